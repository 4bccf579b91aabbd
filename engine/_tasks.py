"""User tasks: who may claim and complete one, what completing does to the context, SLA escalation, and
cancelling an open task (docs/workflows.md, "User tasks")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from definitions.forms import form_error
from definitions.model import Activity
from engine._activities import Activities
from engine._durations import js_iso
from engine._instance import Instance
from engine._ports import EngineError
from engine._state import TaskRecord
from engine._steps import Steps
from engine._token import Token
from engine.contract import Actor, ClaimTaskInput, CompleteTaskInput


class Tasks:
    def __init__(self, instance: Instance, activities: Activities, steps: Steps) -> None:
        self.instance = instance
        self.activities = activities
        self.steps = steps

    def _find(self, task_id: str, message: str) -> TaskRecord:
        task = self.instance.state.tasks.get(task_id)
        if task is None:
            raise EngineError("TASK_NOT_FOUND", message)
        return task

    def check_claim(self, request: ClaimTaskInput) -> None:
        message = "Task not found or already claimed"
        task = self._find(request.task_id, message)
        if task.status not in ("PENDING", "ESCALATED") or task.claimed_by is not None:
            raise EngineError("TASK_NOT_FOUND", message)
        if task.assigned_to is not None:
            raise EngineError("TASK_ALREADY_ASSIGNED", "Task is already assigned to a specific user")
        if not task.assigned_to_roles:
            raise EngineError("TASK_NOT_ROLE_ASSIGNED", "Task is not assigned to any roles")
        actor = request.actor
        if not actor.can_manage and not set(actor.roles) & set(task.assigned_to_roles):
            raise EngineError("TASK_FORBIDDEN", "Only a holder of one of the task's roles can claim it",
                              {"assignedToRoles": task.assigned_to_roles})

    def claim(self, request: ClaimTaskInput) -> TaskRecord:
        """The caller takes the (checked) task: IN_PROGRESS, claimed by them."""
        instance = self.instance
        task = instance.state.tasks[request.task_id]
        now = instance.effects.now()
        task.claimed_by = request.actor.user_id
        task.claimed_at = now
        task.status = "IN_PROGRESS"
        task.updated_at = now
        instance.journal.task(task)
        instance.journal.log("USER_TASK_STARTED", {"taskId": task.id, "taskName": task.task_name,
                                                   "claimedBy": task.claimed_by},
                             user=instance.user, branch_instance_id=task.branch_instance_id)
        return task

    @staticmethod
    def _may_complete(task: TaskRecord, actor: Actor) -> bool:
        if actor.can_manage:
            return True
        people = {task.assigned_to, task.claimed_by, task.escalated_to} - {None}
        if actor.user_id is not None and actor.user_id in people:
            return True
        roles = set(actor.roles)
        # A task nobody in particular was given is open to every caller with the complete feature;
        # `assignedTo` may name a role as well as a user.
        if roles & (set(task.assigned_to_roles or ()) | people):
            return True
        return not people and not task.assigned_to_roles

    def check_complete(self, request: CompleteTaskInput) -> None:
        task = self._find(request.task_id, "Task not found or already completed")
        if not task.is_open:
            raise EngineError("TASK_NOT_FOUND", "Task not found or already completed")
        if not self._may_complete(task, request.actor):
            raise EngineError("TASK_FORBIDDEN", "Only the task's assignee, claimer or role holders can complete it")
        problem = form_error(task.form_schema, request.form_data or {})
        if problem is not None:
            raise EngineError("FORM_VALIDATION_FAILED", problem)

    def complete(self, request: CompleteTaskInput) -> tuple[TaskRecord, Token | None]:
        """Complete the (checked) task and merge its form into the context (the branch's namespace inside a
        fork); the token to resume when its step waited for this task, else None."""
        instance = self.instance
        task = instance.state.tasks[request.task_id]
        now = instance.effects.now()
        form = dict(request.form_data or {})
        task.status = "COMPLETED"
        task.form_data = form
        task.completed_by = request.actor.user_id
        task.completed_at = now
        task.comments = request.comments
        task.updated_at = now
        instance.journal.task(task)
        token = instance.branch_token(task.branch_instance_id)
        token.merge(form)
        instance.journal.log("USER_TASK_COMPLETED", {"taskId": task.id, "taskName": task.task_name,
                                                     "completedBy": task.completed_by, "formData": form},
                             user=instance.user, branch_instance_id=task.branch_instance_id)
        wait = token.wait
        if wait is None or wait.task_id != task.id:
            return task, None
        token.set_wait(None)
        self.steps.exit_open(wait.step_instance_id, {"userTaskId": task.id, "formData": form})
        return task, token

    def escalation_due_at(self, task: TaskRecord) -> datetime | None:
        """When an open task breaches its SLA, if it has an `sla_breach` rule and was not escalated yet."""
        if not task.is_open or task.due_date is None or task.escalated_at is not None:
            return None
        step = self.instance.compiled.step(task.step_id)
        config = step.user_task_config if step else None
        rules = [r for r in (config.escalation_rules or []) if r.trigger == "sla_breach"] if config else []
        return task.due_date if rules else None

    async def escalate(self, task: TaskRecord) -> None:
        """SLA breach: ESCALATED, then each sla_breach rule's action (reassign, escalate, notify)."""
        instance = self.instance
        step = instance.compiled.step(task.step_id)
        config = step.user_task_config if step else None
        rules = [r for r in (config.escalation_rules or []) if r.trigger == "sla_breach"] if config else []
        now = instance.effects.now()
        task.status = "ESCALATED"
        task.escalated_at = now
        task.updated_at = now
        notified: list[str] = []
        for rule in rules:
            if rule.action == "reassign" and rule.escalate_to:
                task.assigned_to = rule.escalate_to
                task.assigned_to_roles = None
                task.claimed_by = None
                task.claimed_at = None
                task.escalated_to = rule.escalate_to
            elif rule.action == "escalate" and rule.escalate_to:
                task.escalated_to = rule.escalate_to
            elif rule.action == "notify":
                notified += [u for u in (rule.notify_users or []) if u not in notified]
                if rule.escalate_to and rule.escalate_to not in notified:
                    notified.append(rule.escalate_to)
        instance.journal.task(task)
        instance.journal.log("USER_TASK_ESCALATED", {
            "taskId": task.id, "taskName": task.task_name, "dueDate": js_iso(task.due_date or now),
            "actions": [r.action for r in rules], "escalatedTo": task.escalated_to, "notifyUsers": notified,
        }, branch_instance_id=task.branch_instance_id)
        if notified:
            await self._notify(task, notified, now)

    async def _notify(self, task: TaskRecord, notified: list[str], now: datetime) -> None:
        """A domain event the platform's notification subscribers deliver (in the outbox, once)."""
        state = self.instance.state
        notice = Activity.model_validate({
            "activityId": f"escalate-{task.id}", "activityName": "Task escalation notice",
            "activityType": "EMIT_EVENT", "config": {}})
        config: dict[str, Any] = {"eventName": "workflows.task.escalated", "payload": {
            "taskId": task.id, "taskName": task.task_name, "workflowInstanceId": state.instance_id,
            "dueDate": js_iso(task.due_date or now), "escalatedTo": task.escalated_to,
            "notifyUsers": notified, "tenantId": state.tenant_id, "organizationId": state.organization_id}}
        await self.instance.journal.flush()
        await self.activities.execute(notice, config, dict(state.context), self.activities.next_key(notice),
                                      step_id=task.step_id, transition_id=None, is_async=False)

    def cancel(self, task: TaskRecord, reason: str) -> None:
        instance = self.instance
        task.status = "CANCELLED"
        task.updated_at = instance.effects.now()
        instance.journal.task(task)
        instance.journal.log("USER_TASK_CANCELLED", {"taskId": task.id, "taskName": task.task_name,
                                                     "reason": reason},
                             user=instance.user, branch_instance_id=task.branch_instance_id)
