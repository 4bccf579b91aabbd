"""What each step type does when a token enters it: START, END and PARALLEL_JOIN pass; AUTOMATED runs its
activities; USER_TASK, WAIT_FOR_SIGNAL, WAIT_FOR_TIMER and SUB_WORKFLOW make the token rest on a `Wait`;
PARALLEL_FORK opens the branches (docs/workflows.md, "Steps" and "People, signals and time").

A handler answers (status, output, error): COMPLETED, WAITING (the step stays open) or FAILED.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from definitions import add_duration, parse_iso_datetime
from definitions.model import Step
from engine import _state as st
from engine._activities import Activities
from engine._definition import AUTO
from engine._durations import duration_ms, js_iso
from engine._instance import Instance
from engine._interpolate import assign, interpolate, lookup
from engine._state import BranchRecord, StepRecord, TaskRecord, Wait
from engine._token import Token
from engine.contract import ENGINE_LEVEL, ResolveChildInput, StartInput

HandlerResult = tuple[str, Any, str | None]
Handler = Callable[[Step, StepRecord, Token], Coroutine[Any, Any, HandlerResult]]
# A FAILED child ends its run at once: the parent is told, and a retry of the child starts a new run.
CHILD_FAILED_RETENTION_SECONDS = 1


def step_deadline(step: Step, now: datetime) -> tuple[datetime | None, str | None]:
    """A resting step's own `timeout`: when it runs out, and the duration as written (for the events)."""
    limit = duration_ms(step.timeout, now)
    return (now + timedelta(milliseconds=limit), step.timeout) if limit else (None, None)


def sub_config(step: Step | None) -> dict[str, Any]:
    """A SUB_WORKFLOW step's settings: `config`, falling back to `subWorkflowConfig` key by key."""
    if step is None:
        return {}
    base = step.sub_workflow_config.model_dump(by_alias=True, exclude_none=True) if step.sub_workflow_config \
        else {}
    return {**base, **{k: v for k, v in (step.config or {}).items() if v is not None}}


class StepKinds:
    def __init__(self, instance: Instance, activities: Activities) -> None:
        self.instance = instance
        self.activities = activities
        self._handlers: dict[str, Handler] = {
            "START": self._start, "END": self._end, "AUTOMATED": self._automated, "USER_TASK": self._user_task,
            "WAIT_FOR_SIGNAL": self._signal, "WAIT_FOR_TIMER": self._timer, "SUB_WORKFLOW": self._sub_workflow,
            "PARALLEL_FORK": self._fork, "PARALLEL_JOIN": self._join,
        }

    def handler(self, step_type: str) -> Handler | None:
        return self._handlers.get(step_type)

    def _now(self) -> datetime:
        return self.instance.effects.now()

    async def _start(self, step: Step, record: StepRecord, token: Token) -> HandlerResult:
        return "COMPLETED", {"stepType": "START", "timestamp": js_iso(self._now())}, None

    async def _end(self, step: Step, record: StepRecord, token: Token) -> HandlerResult:
        return "COMPLETED", {"stepType": "END", "timestamp": js_iso(self._now()),
                             "finalContext": self.instance.state.context}, None

    async def _join(self, step: Step, record: StepRecord, token: Token) -> HandlerResult:
        return "COMPLETED", {"stepType": "PARALLEL_JOIN", "timestamp": js_iso(self._now())}, None

    async def _automated(self, step: Step, record: StepRecord, token: Token) -> HandlerResult:
        activities = step.activities or []
        if not activities:
            return "COMPLETED", {"stepType": "AUTOMATED", "timestamp": js_iso(self._now())}, None
        run = await self.activities.run(activities, dict(token.context()), step_id=step.step_id,
                                        transition_id=None, token=token)
        failures = run.sync_failures
        if failures:
            await self.activities.drain(run, token)
            message = "; ".join(f"{f.activity.activity_name or f.activity.activity_id}: {f.error}" for f in failures)
            details = {"failures": [{"activityId": f.activity.activity_id, "activityName": f.activity.activity_name,
                                     "error": f.error, "retryCount": f.retry_count} for f in failures]}
            return "FAILED", details, f"{len(failures)} activity(ies) failed: {message}"
        results = {r.activity.activity_id: r.output for r in run.results if not r.is_async and r.output is not None}
        if run.pending:
            # Like a transition's batch, the step waits for its async activities (WAITING_FOR_ACTIVITIES);
            # their outputs land under <activityId>_result.
            token.set_status(st.WAITING_FOR_ACTIVITIES)
            if not token.in_branch:
                self.instance.state.paused_at = self._now()
            finished = await self.activities.await_batch(run, token)
            failed = [r for r in finished if not r.success]
            if failed:
                details = {"failures": [{"activityId": r.activity.activity_id, "error": r.error, "jobId": r.job_id}
                                        for r in failed]}
                return "FAILED", details, f"{len(failed)} async activities failed"
            outputs = {r.activity.activity_id: r.output for r in finished if r.output is not None}
            results.update(outputs)
            token.merge({f"{key}_result": value for key, value in outputs.items()})
            token.set_status(st.RUNNING)
            self.instance.journal.log("WORKFLOW_RESUMED", {"reason": "All async activities completed",
                                                           "completedActivities": len(finished)},
                                      branch_instance_id=token.id)
        return "COMPLETED", {"stepType": "AUTOMATED", "timestamp": js_iso(self._now()),
                             "activityResults": results, "activityCount": len(run.results)}, None

    async def _user_task(self, step: Step, record: StepRecord, token: Token) -> HandlerResult:
        instance = self.instance
        config = step.user_task_config
        now = self._now()
        assigned = config.assigned_to if config else None
        roles = list(assigned) if isinstance(assigned, list) else list((config.assigned_to_roles or [])
                                                                       if config else [])
        due = None
        if config and config.sla_duration:
            try:
                due = add_duration(now, config.sla_duration)
            except ValueError:
                due = None
        schema = config.form_schema.model_dump(by_alias=True, exclude_none=True) if config and config.form_schema \
            else None
        task = TaskRecord(
            id=instance.effects.new_id(), step_id=step.step_id, step_instance_id=record.id, task_name=step.step_name,
            created_at=now, branch_instance_id=record.branch_instance_id, description=step.description,
            form_schema=schema, assigned_to=assigned if isinstance(assigned, str) else None,
            assigned_to_roles=roles or None, due_date=due, updated_at=now,
        )
        instance.state.tasks[task.id] = task
        instance.journal.task(task)
        instance.journal.log("USER_TASK_CREATED", {"userTaskId": task.id, "taskName": task.task_name,
                                                   "assignedTo": task.assigned_to,
                                                   "assignedToRoles": task.assigned_to_roles,
                                                   "dueDate": st.js_iso(due)},
                             user=instance.user, step_instance_id=record.id,
                             branch_instance_id=record.branch_instance_id)
        deadline, text = step_deadline(step, now)
        token.pause(Wait("USER_TASK", step.step_id, record.id, task_id=task.id, deadline=deadline, timeout_text=text))
        return "WAITING", None, None

    async def _signal(self, step: Step, record: StepRecord, token: Token) -> HandlerResult:
        config = step.signal_config
        name = (config.signal_name if config else None) or step.step_id
        now = self._now()
        timeout_text = config.timeout if config and config.timeout else None
        timeout = duration_ms(timeout_text, now)
        deadline = now + timedelta(milliseconds=timeout) if timeout else None
        if deadline is None:
            deadline, timeout_text = step_deadline(step, now)
        self.instance.journal.log("SIGNAL_AWAITING", {"signalName": name, "timeout": timeout,
                                                      "description": step.description},
                                  user=self.instance.user, step_instance_id=record.id,
                                  branch_instance_id=record.branch_instance_id)
        token.pause(Wait("WAIT_FOR_SIGNAL", step.step_id, record.id, signal_name=name, deadline=deadline,
                         timeout_text=timeout_text))
        return "WAITING", None, None

    async def _timer(self, step: Step, record: StepRecord, token: Token) -> HandlerResult:
        raw = step.config if step.config and ("duration" in step.config or "until" in step.config) \
            else (step.timer_config or step.config or {})
        config = interpolate(raw, self.activities.scope(token.context(), token))
        duration, until = config.get("duration"), config.get("until")
        if not duration and not until:
            return "FAILED", None, ('WAIT_FOR_TIMER requires either "duration" (e.g., "PT5M") or "until" '
                                    '(ISO 8601 datetime)')
        now = self._now()
        if until:
            try:
                fire_at = parse_iso_datetime(str(until))
            except ValueError:
                return "FAILED", None, f'WAIT_FOR_TIMER invalid "until" datetime: {until}'
        else:
            try:
                fire_at = now + timedelta(milliseconds=float(duration)) if isinstance(duration, int | float) \
                    else add_duration(now, str(duration))
            except ValueError:
                return "FAILED", None, f"WAIT_FOR_TIMER invalid duration: {duration}"
        if fire_at <= now:
            return "COMPLETED", {"stepType": "WAIT_FOR_TIMER", "timerFiredImmediately": True,
                                 "fireAt": js_iso(fire_at), "duration": duration or None, "until": until or None}, None
        job_id = self.instance.effects.new_id()
        self.instance.journal.log("TIMER_AWAITING", {"fireAt": js_iso(fire_at), "duration": duration or None,
                                                     "until": until or None, "jobId": job_id},
                                  user=self.instance.user, step_instance_id=record.id,
                                  branch_instance_id=record.branch_instance_id)
        token.pause(Wait("WAIT_FOR_TIMER", step.step_id, record.id, fire_at=fire_at, job_id=job_id))
        return "WAITING", None, None

    async def _sub_workflow(self, step: Step, record: StepRecord, token: Token) -> HandlerResult:
        instance = self.instance
        state, effects, journal = instance.state, instance.effects, instance.journal
        config = sub_config(step)
        workflow_id = config.get("subWorkflowId")
        if not workflow_id:
            return "FAILED", None, "Sub-workflow ID not specified in step configuration"
        version = config.get("version") if isinstance(config.get("version"), int) else None
        branch_id = record.branch_instance_id
        await journal.flush()
        resolved = await effects.resolve_child(ResolveChildInput(
            tenant_id=state.tenant_id, organization_id=state.organization_id, workflow_id=str(workflow_id),
            version=version))
        if resolved.error is not None:
            journal.log("SUB_WORKFLOW_FAILED", {"subWorkflowId": workflow_id, "error": resolved.error},
                        user=instance.user, step_instance_id=record.id, branch_instance_id=branch_id)
            return "FAILED", None, f"Sub-workflow execution failed: {resolved.error}"
        parent_context = token.context()
        child_context: dict[str, Any] = {}
        mapping = config.get("inputMapping")
        if isinstance(mapping, dict):
            for child_key, path in mapping.items():
                found, value = lookup(parent_context, str(path))
                if found and value is not None:
                    assign(child_context, str(child_key), value)
        if not child_context:
            child_context = dict(parent_context)
        metadata = dict(state.metadata or {})
        labels = dict(metadata.get("labels") or {}) if isinstance(metadata.get("labels"), dict) else {}
        labels.update({"parentInstanceId": state.instance_id, "parentStepId": step.step_id,
                       "parentStepInstanceId": record.id})
        metadata["labels"] = labels
        child_id = effects.new_id()
        journal.log("SUB_WORKFLOW_STARTED", {"childInstanceId": child_id, "subWorkflowId": workflow_id,
                                             "version": resolved.version, "inputData": child_context},
                    user=instance.user, step_instance_id=record.id, branch_instance_id=branch_id)
        deadline, text = step_deadline(step, effects.now())
        timeout = config.get("timeoutMs")
        if deadline is None and isinstance(timeout, int) and timeout > 0:
            deadline, text = effects.now() + timedelta(milliseconds=timeout), f"{timeout}ms"
        token.pause(Wait("SUB_WORKFLOW", step.step_id, record.id, child_id=child_id, deadline=deadline,
                         timeout_text=text))
        await journal.flush()
        await effects.start_child(StartInput(
            instance_id=child_id, tenant_id=state.tenant_id, organization_id=state.organization_id,
            definition_id=resolved.definition_id, workflow_id=resolved.workflow_id, version=resolved.version,
            definition=resolved.definition, context=child_context, correlation_key=state.correlation_key,
            metadata=metadata, user_id=instance.user, parent_instance_id=state.instance_id,
            parent_step_id=step.step_id, env=instance.env, failed_retention_seconds=CHILD_FAILED_RETENTION_SECONDS,
            engine_level=ENGINE_LEVEL,  # a new instance (Temporal does not compare a child's input on replay)
        ))
        return "WAITING", None, None

    async def _fork(self, step: Step, record: StepRecord, token: Token) -> HandlerResult:
        if token.in_branch:
            return "FAILED", None, "Nested PARALLEL_FORK is not supported"
        instance = self.instance
        state = instance.state
        join_id = (step.config or {}).get("joinStepId")
        now = self._now()
        branches = [BranchRecord(id=instance.effects.new_id(), fork_step_id=step.step_id, join_step_id=join_id,
                                 branch_key=edge.transition_id, current_step_id=step.step_id, started_at=now)
                    for edge in instance.compiled.edges_from(step.step_id, triggers=AUTO)]
        state.branches = branches
        for branch in branches:
            instance.journal.branch(branch)
        state.status = st.FORKED
        state.active_fork_step_id = step.step_id
        keys = [b.branch_key for b in branches]
        instance.journal.log("PARALLEL_FORK_OPENED", {"forkStepId": step.step_id, "joinStepId": join_id,
                                                      "branchKeys": keys},
                             user=instance.user, step_instance_id=record.id)
        return "COMPLETED", {"stepType": "PARALLEL_FORK", "timestamp": js_iso(now), "branchKeys": keys}, None
