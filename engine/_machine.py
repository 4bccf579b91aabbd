"""The step machine: spec §3.2-3.13 as plain async Python.

It decides and records; everything with an effect goes through `Effects` (activities, guards, the
projection, the clock and ids), so it runs unchanged inside the Temporal workflow and in tests
with an in-memory double. Each public operation (`start`, `run`, `advance`, `retry`, `cancel`)
ends at a resting point with the projection written.

Temporal replays this code on every worker restart: keep the order of effects stable, and put any
change of behaviour for running instances behind `workflow.patched(...)` in the shell.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from definitions import add_duration, parse_duration, parse_iso_datetime
from definitions.forms import form_error
from definitions.model import Activity, Step
from engine import _state as st
from engine._definition import CompiledDefinition, Edge
from engine._guards import (
    POST_TRANSITION,
    PRE_TRANSITION,
    GuardOutcome,
    evaluate_transition_rules,
    rejected_details,
    transition_entity_type,
)
from engine._interpolate import Scope, assign, interpolate, lookup
from engine._state import BranchRecord, CompletedActivity, InstanceState, StepRecord, TaskRecord, Wait
from engine.contract import (
    Actor,
    AdvanceInput,
    ClaimTaskInput,
    CompleteTaskInput,
    GuardInput,
    GuardResult,
    ProjectionBatch,
    ResolveChildInput,
    ResolvedChild,
    RunActivityInput,
    SignalInput,
    StartInput,
    started_event_key,
)

MAX_ITERATIONS = 100
ALL_TRIGGERS = None
AUTO = frozenset({"auto"})
TIMER = frozenset({"timer"})
# A FAILED child ends its run at once: the parent is told, and a retry of the child starts a new run.
CHILD_FAILED_RETENTION_SECONDS = 1
# The token a piece of the machine works on: the instance itself (None) or one parallel branch.
Token = BranchRecord | None


class EngineError(Exception):
    """A refused or failed request; `code` is one of contract.ERROR_STATUS, `details` extra body fields."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


@dataclass(frozen=True)
class RetrySpec:
    """An activity's retryPolicy with the reference's defaults (one attempt)."""

    max_attempts: int = 1
    initial_interval_ms: int = 0
    backoff_coefficient: float = 1.0
    max_interval_ms: int = 0


@dataclass(frozen=True)
class ActivityCall:
    input: RunActivityInput
    retry: RetrySpec
    timeout_ms: int | None


@dataclass(frozen=True)
class ActivityOutcome:
    """How an activity execution ended, after all its attempts. `error` is the handler's message."""

    ok: bool
    output: Any = None
    error: str | None = None
    attempts: int = 1


class Effects(Protocol):
    def now(self) -> datetime: ...

    def new_id(self) -> str: ...

    async def run_activity(self, call: ActivityCall) -> ActivityOutcome: ...

    async def sleep(self, seconds: float) -> None: ...

    async def evaluate_guard(self, guard: GuardInput) -> GuardResult: ...

    async def project(self, batch: ProjectionBatch) -> None: ...

    async def resolve_child(self, request: ResolveChildInput) -> ResolvedChild: ...

    async def start_child(self, start: StartInput) -> None:
        """Start a SUB_WORKFLOW child; its end arrives later through `Machine.child_finished`."""

    def cancel_child(self, child_id: str) -> None: ...

    def cancelled(self, error: BaseException) -> bool:
        """Whether `error` is what an await raises when its task was cancelled."""


@dataclass
class ActivityResult:
    activity: Activity
    success: bool
    output: Any = None
    error: str | None = None
    retry_count: int = 0
    execution_time_ms: int = 0
    is_async: bool = False
    job_id: str | None = None

    @property
    def key(self) -> str:
        """Where a sync output lands in the context: activityName, else activityType (spec §6.8.5)."""
        return self.activity.activity_name or self.activity.activity_type

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "activityId": self.activity.activity_id, "activityName": self.activity.activity_name,
            "activityType": self.activity.activity_type, "success": self.success, "async": self.is_async,
            "retryCount": self.retry_count, "executionTimeMs": self.execution_time_ms,
        }
        if self.job_id is not None:
            data["jobId"] = self.job_id
        if self.output is not None:
            data["output"] = self.output
        if self.error is not None:
            data["error"] = self.error
        return data


@dataclass
class _ActivityRun:
    """The activities of one list: sync results in order, async ones still running."""

    results: list[ActivityResult] = field(default_factory=list)
    pending: list[tuple[ActivityResult, asyncio.Task[ActivityResult]]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def sync_failures(self) -> list[ActivityResult]:
        return [r for r in self.results if not r.success and not r.is_async]


@dataclass
class Candidate:
    edge: Edge
    valid: bool
    reason: str | None = None
    guards: GuardOutcome | None = None


@dataclass
class TransitionOutcome:
    ok: bool
    error: str | None = None
    # True once the instance is committed to the transition (the cursor moved, or an async batch
    # ran): a failure from there on fails the instance even when a person asked for the transition.
    committed: bool = False
    error_details: Any = None
    event_data: dict[str, Any] | None = None


@dataclass
class StepOutcome:
    status: str  # COMPLETED | WAITING | FAILED
    error: str | None = None


def _ms(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


def _js_iso(moment: datetime) -> str:
    """`Date.prototype.toISOString()`, as the reference writes timestamps inside JSON data."""
    return st.js_iso(moment) or ""


def _duration_ms(text: str | None, now: datetime) -> int | None:
    """An ISO 8601 / simple duration, or a number of milliseconds, in ms (None when absent or unusable)."""
    if not text:
        return None
    text = text.strip()
    if text.isdigit():
        return int(text) or None
    try:
        return _ms(add_duration(now, text) - now) or None
    except ValueError:
        return None


def retry_spec(activity: Activity) -> RetrySpec:
    policy = activity.retry_policy
    if policy is None:
        return RetrySpec()
    return RetrySpec(policy.max_attempts, policy.initial_interval_ms, policy.backoff_coefficient,
                     policy.max_interval_ms)


def timeout_ms(activity: Activity) -> int | None:
    """DECISIONS Workflows 4: the activity timeout is enforced (`timeoutMs`, or `timeout` as a duration
    or a number of milliseconds)."""
    if activity.timeout_ms:
        return activity.timeout_ms
    if activity.timeout:
        text = activity.timeout.strip()
        if text.isdigit():
            return int(text) or None
        return _ms(parse_duration(text)) or None
    return None


def wait_seconds(config: dict[str, Any], now: datetime) -> float:
    """The delay of a WAIT activity (spec §1.5); ValueError with the reference's text when unusable."""
    duration, until = config.get("duration"), config.get("until")
    if duration and until:
        raise ValueError('WAIT activity accepts "duration" OR "until", not both')
    if duration:
        if isinstance(duration, int | float):
            return max(0.0, float(duration) / 1000)
        try:
            return max(0.0, (add_duration(now, str(duration)) - now).total_seconds())
        except ValueError:
            raise ValueError("Invalid duration. Use ISO 8601 (e.g., PT5M, PT1H, P1D) or simple format "
                             "(5m, 1h, 3d)") from None
    if until:
        try:
            moment = parse_iso_datetime(str(until))
        except ValueError:
            raise ValueError('Invalid "until". Provide an ISO 8601 datetime string') from None
        return max(0.0, (moment - now).total_seconds())
    raise ValueError('WAIT activity requires "duration" or "until"')


class Machine:
    def __init__(self, compiled: CompiledDefinition, state: InstanceState, effects: Effects, *,
                 env: dict[str, str] | None = None, invalid_definition: str | None = None) -> None:
        self.compiled = compiled
        self.state = state
        self.effects = effects
        self.env = dict(env or {})
        self.invalid_definition = invalid_definition
        self._events: list[dict[str, Any]] = []
        self._steps: dict[str, StepRecord] = {}
        self._tasks: dict[str, TaskRecord] = {}
        self._branches: dict[str, BranchRecord] = {}
        self._projected: dict[str, Any] | None = None
        self._trail: list[dict[str, Any]] = []
        self._errors: list[str] = []
        self._user: str | None = None
        self._announced = False
        # Parallel branches write the projection one batch at a time, in order (a later batch that
        # landed first would make the store skip an earlier one's rows as stale).
        self._flush_lock = asyncio.Lock()
        self._concurrent = 0
        # Bumped at every resting point: the shell recomputes its timers when it changes.
        self.changes = 0

    # --- public operations ------------------------------------------------------------------

    def announce(self, *, resumed: bool = False) -> None:
        """WORKFLOW_STARTED of a new instance (a resumed row has it already). Synchronous, so it is
        recorded even when the first run is cancelled before it begins."""
        if self._announced:
            return
        self._announced = True
        state = self.state
        if not resumed:
            self._log("WORKFLOW_STARTED", {
                "workflowId": state.workflow_id, "version": state.version,
                "startStepId": state.current_step_id, "initialContext": state.context,
                "metadata": state.metadata,
            }, user=state.initiated_by, key=started_event_key(state.instance_id), at=state.started_at)

    async def start(self, *, resumed: bool = False) -> dict[str, Any]:
        """First execution of a new run: WORKFLOW_STARTED (unless resuming an existing row), then
        the loop."""
        self.announce(resumed=resumed)
        self._begin(self.state.user_id)
        if self.invalid_definition:
            await self._fail(self.invalid_definition, compensate=False)
        elif not resumed and self.compiled.start_step is None:
            await self._fail("Workflow definition must have a START step", compensate=False)
        else:
            await self._loop()
        return await self._finish()

    async def run(self, user_id: str | None = None) -> dict[str, Any]:
        """Continue from the cursor until the next resting point (spec §3.2)."""
        self._begin(user_id)
        await self._loop()
        return await self._finish()

    def check_advance(self) -> None:
        status = self.state.status
        if status == st.COMPLETED:
            raise EngineError("WORKFLOW_COMPLETED", "Workflow already completed")
        if status == st.CANCELLED:
            raise EngineError("WORKFLOW_CANCELLED", "Workflow is cancelled")
        if status == st.FAILED:
            raise EngineError("WORKFLOW_FAILED", "Workflow has failed. Use retry endpoint to retry.")
        if status == st.FORKED:
            # Its cursor is the fork: firing a transition by hand would start a branch a second time.
            raise EngineError("NO_VALID_TRANSITIONS", "No valid transitions available", {
                "currentStepId": self.state.current_step_id, "reason": "Parallel branches are running"})

    def check_cancel(self) -> None:
        if self.state.status not in st.CANCELLABLE:
            raise EngineError("CANNOT_CANCEL", f"Cannot cancel workflow in {self.state.status} status. "
                                               "Only RUNNING or PAUSED workflows can be cancelled.")

    def check_retry(self) -> None:
        if self.state.status != st.FAILED:
            raise EngineError("CANNOT_RETRY", f"Cannot retry workflow in {self.state.status} status. "
                                              "Only FAILED workflows can be retried.")

    async def advance(self, request: AdvanceInput) -> dict[str, Any]:
        """Fire a transition by hand (spec §4.2), then continue to the next resting point."""
        self.check_advance()
        self._begin(request.actor.user_id)
        state = self.state
        before = state.context
        context = {**before, **(request.context_updates or {})}
        trigger_data = request.trigger_data
        from_step = state.current_step_id
        candidates = await self._select(from_step, ALL_TRIGGERS, context, trigger_data, first_only=False)
        valid = [c for c in candidates if c.valid]
        if not valid:
            raise EngineError("NO_VALID_TRANSITIONS", "No valid transitions available", {
                "currentStepId": from_step, "reason": "All transitions blocked by conditions or business rules"})
        chosen = valid[0]
        if request.to_step_id:
            matching = [c for c in valid if c.edge.transition.to_step_id == request.to_step_id]
            if not matching:
                raise EngineError("NO_VALID_TRANSITION_TO_STEP", f"No valid transition to step '{request.to_step_id}'",
                                  {"availableTransitions": [{"toStepId": c.edge.transition.to_step_id} for c in valid]})
            chosen = matching[0]
        state.context = context
        # Moving on by hand leaves whatever the step waited for behind: its task, timer or child.
        if state.wait is not None:
            self._abandon(None, state.wait, "advanced")
        outcome = await self._execute_transition(chosen.edge, trigger_data, pre=chosen.guards)
        if not outcome.ok:
            if outcome.committed:
                await self._fail(outcome.error or "Transition failed", details=outcome.error_details,
                                 event_data=outcome.event_data)
            else:
                state.context = before
            await self._finish()
            raise EngineError("TRANSITION_FAILED", "Transition failed", {"reason": outcome.error})
        transition = chosen.edge.transition
        after = {"id": state.instance_id, "status": state.status, "currentStepId": state.current_step_id,
                 "previousStepId": from_step, "transitionFired": transition.transition_id, "context": state.context}
        await self._loop()
        execution = await self._finish()
        return {"previousStepId": from_step, "transitionFired": transition.transition_id,
                "afterTransition": after, "execution": execution}

    async def retry(self, user_id: str | None = None) -> dict[str, Any]:
        """Resume a FAILED instance from its cursor (spec §3.11): the source step of a failed
        transition, or the step that failed (which is not run again; a fork opens anew)."""
        self.check_retry()
        self._begin(user_id)
        state = self.state
        state.status = st.RUNNING
        state.retry_count += 1
        state.error_message = None
        state.error_details = None
        state.completed_at = None
        await self._loop()
        return {"execution": await self._finish()}

    async def cancel(self, user_id: str | None = None) -> None:
        """DECISIONS Workflows 6: the shell has stopped whatever ran; here open tasks, branches, timers
        and children are cancelled and the instance is marked CANCELLED."""
        self.check_cancel()
        self._begin(user_id)
        state = self.state
        if state.wait is not None:
            self._abandon(None, state.wait, "cancelled")
        self._cancel_branches("instance-cancelled")
        for task in list(state.tasks.values()):
            if task.is_open:
                self._cancel_task(task, "cancelled")
        state.status = st.CANCELLED
        state.cancelled_at = self.effects.now()
        self._log("WORKFLOW_CANCELLED", {})
        await self._finish()

    def snapshot(self) -> dict[str, Any]:
        return self.state.api_view()

    # --- user tasks (§3.8, DECISIONS Workflows 10) -------------------------------------------

    def _task(self, task_id: str, message: str) -> TaskRecord:
        task = self.state.tasks.get(task_id)
        if task is None:
            raise EngineError("TASK_NOT_FOUND", message)
        return task

    def check_claim(self, request: ClaimTaskInput) -> None:
        message = "Task not found or already claimed"
        task = self._task(request.task_id, message)
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

    async def claim_task(self, request: ClaimTaskInput) -> dict[str, Any]:
        self.check_claim(request)
        self._begin(request.actor.user_id)
        task = self.state.tasks[request.task_id]
        now = self.effects.now()
        task.claimed_by = request.actor.user_id
        task.claimed_at = now
        task.status = "IN_PROGRESS"
        task.updated_at = now
        self._tasks[task.id] = task
        self._log("USER_TASK_STARTED", {"taskId": task.id, "taskName": task.task_name, "claimedBy": task.claimed_by},
                  user=self._user, branch_instance_id=task.branch_instance_id)
        await self._finish()
        return {"task": task.api_view(self.state)}

    @staticmethod
    def _may_complete(task: TaskRecord, actor: Actor) -> bool:
        if actor.can_manage:
            return True
        people = {task.assigned_to, task.claimed_by, task.escalated_to} - {None}
        if actor.user_id is not None and actor.user_id in people:
            return True
        roles = set(actor.roles)
        # A task nobody in particular was given is open to every caller with the complete feature
        # (the reference's rule); `assignedTo` may name a role as well as a user.
        if roles & (set(task.assigned_to_roles or ()) | people):
            return True
        return not people and not task.assigned_to_roles

    def check_complete(self, request: CompleteTaskInput) -> None:
        task = self._task(request.task_id, "Task not found or already completed")
        if not task.is_open:
            raise EngineError("TASK_NOT_FOUND", "Task not found or already completed")
        if not self._may_complete(task, request.actor):
            raise EngineError("TASK_FORBIDDEN", "Only the task's assignee, claimer or role holders can complete it")
        problem = form_error(task.form_schema, request.form_data or {})
        if problem is not None:
            raise EngineError("FORM_VALIDATION_FAILED", problem)

    async def complete_task(self, request: CompleteTaskInput) -> dict[str, Any]:
        """Complete a task, merge its form into the context (the branch's namespace inside a fork), and
        continue to the next resting point."""
        self.check_complete(request)
        self._begin(request.actor.user_id)
        state = self.state
        task = state.tasks[request.task_id]
        now = self.effects.now()
        form = dict(request.form_data or {})
        task.status = "COMPLETED"
        task.form_data = form
        task.completed_by = request.actor.user_id
        task.completed_at = now
        task.comments = request.comments
        task.updated_at = now
        self._tasks[task.id] = task
        token = self._branch(task.branch_instance_id)
        self._merge(token, form)
        self._log("USER_TASK_COMPLETED", {"taskId": task.id, "taskName": task.task_name,
                                          "completedBy": task.completed_by, "formData": form},
                  user=self._user, branch_instance_id=task.branch_instance_id)
        wait = self._wait_of(token)
        if wait is not None and wait.task_id == task.id:
            self._set_wait(token, None)
            self._exit_open_step(wait.step_instance_id, {"userTaskId": task.id, "formData": form})
            await self._resume(token)
        await self._finish()
        return {"task": task.api_view(state)}

    # --- signals (§3.9) ----------------------------------------------------------------------

    def _signal_target(self, request: SignalInput) -> Token:
        state = self.state
        if state.status == st.FORKED:
            for branch in state.branches:
                wait = branch.wait
                if (branch.status == st.PAUSED and wait is not None and wait.kind == "WAIT_FOR_SIGNAL"
                        and wait.signal_name == request.signal_name):
                    return branch
            raise EngineError("NO_BRANCH_AWAITING_SIGNAL", "No parallel branch awaiting this signal")
        if state.status != st.PAUSED:
            raise EngineError("WORKFLOW_NOT_PAUSED", "Workflow is not paused")
        wait = state.wait
        if wait is None or wait.kind != "WAIT_FOR_SIGNAL":
            raise EngineError("NOT_WAITING_FOR_SIGNAL", "Workflow is not waiting for signal")
        if wait.signal_name != request.signal_name:
            raise EngineError("SIGNAL_NAME_MISMATCH", "Signal name mismatch",
                              {"expected": wait.signal_name, "received": request.signal_name})
        return None

    def check_signal(self, request: SignalInput) -> None:
        self._signal_target(request)

    async def signal(self, request: SignalInput) -> dict[str, Any]:
        token = self._signal_target(request)
        self._begin(request.actor.user_id)
        wait = self._wait_of(token)
        assert wait is not None
        name, payload = request.signal_name, request.payload
        if payload is not None:
            self._merge(token, {**payload, f"signal_{name}_payload": payload,
                                f"signal_{name}_receivedAt": _js_iso(self.effects.now())})
        data: dict[str, Any] = {"signalName": name, "payload": payload}
        if token is not None:
            data["branch"] = True
        self._log("SIGNAL_RECEIVED", data, user=self._user, branch_instance_id=token.id if token else None)
        self._set_wait(token, None)
        self._exit_open_step(wait.step_instance_id, {"signalName": name, "payload": payload})
        await self._resume(token)
        await self._finish()
        return {}

    # --- time: timers, timeouts, SLA (DECISIONS Workflows 4) ---------------------------------

    def _tokens(self) -> list[Token]:
        state = self.state
        return [None, *[b for b in state.branches if b.status in st.BRANCH_OPEN]]

    def next_deadline(self) -> datetime | None:
        """When `fire_due` has something to do next (None: nothing is timed)."""
        if self.state.status not in (st.RUNNING, st.PAUSED, st.FORKED, st.WAITING_FOR_ACTIVITIES):
            return None
        moments: list[datetime] = []
        for token in self._tokens():
            wait = self._wait_of(token)
            if wait is not None:
                moments += [m for m in (wait.fire_at, wait.deadline) if m is not None]
        for task in self.state.tasks.values():
            if self._escalation_due_at(task) is not None:
                moments.append(task.due_date)  # type: ignore[arg-type]
        return min(moments) if moments else None

    def _escalation_due_at(self, task: TaskRecord) -> datetime | None:
        if not task.is_open or task.due_date is None or task.escalated_at is not None:
            return None
        step = self.compiled.step(task.step_id)
        config = step.user_task_config if step else None
        rules = [r for r in (config.escalation_rules or []) if r.trigger == "sla_breach"] if config else []
        return task.due_date if rules else None

    async def fire_due(self) -> dict[str, Any]:
        """Everything whose time has come: SLA escalations, timers, signal and step timeouts."""
        self._begin(None)
        now = self.effects.now()
        for task in list(self.state.tasks.values()):
            due = self._escalation_due_at(task)
            if due is not None and due <= now:
                await self._escalate(task)
        resumed = False
        for token in self._tokens():
            wait = self._wait_of(token)
            if wait is None:
                continue
            if wait.kind == "WAIT_FOR_TIMER" and wait.fire_at is not None and wait.fire_at <= now:
                self._timer_fired(token, wait)
                resumed = True
            elif wait.deadline is not None and wait.deadline <= now:
                await self._timed_out(token, wait)
                resumed = True
        if resumed:
            await self._loop()
        return await self._finish()

    def _timer_fired(self, token: Token, wait: Wait) -> None:
        fired = _js_iso(self.effects.now())
        data: dict[str, Any] = {"firedAt": fired, "branch": True} if token is not None else {
            "stepId": wait.step_id, "firedAt": fired}
        data["jobId"] = wait.job_id
        self._log("TIMER_FIRED", data, branch_instance_id=token.id if token else None,
                  step_instance_id=wait.step_instance_id)
        self._set_wait(token, None)
        self._exit_open_step(wait.step_instance_id, {"firedAt": fired})
        self._activate(token)

    async def _timed_out(self, token: Token, wait: Wait) -> None:
        """A signal or step that waited too long: a `timer` transition out of the step if one is valid,
        else the token fails."""
        if wait.kind == "WAIT_FOR_SIGNAL" and wait.signal_name is not None:
            message = f'Signal "{wait.signal_name}" timed out after {wait.timeout_text}'
            self._log("SIGNAL_TIMEOUT", {"signalName": wait.signal_name, "stepId": wait.step_id,
                                         "timeout": wait.timeout_text},
                      branch_instance_id=token.id if token else None, step_instance_id=wait.step_instance_id)
        else:
            message = f'Step "{wait.step_id}" timed out after {wait.timeout_text}'
        self._abandon(token, wait, "timeout", failed=message)
        candidates = await self._select(wait.step_id, TIMER, self._ctx(token), None, first_only=True, token=token)
        chosen = next((c for c in candidates if c.valid), None)
        if chosen is None:
            await self._fail_token(token, message)
            return
        self._activate(token)
        outcome = await self._execute_transition(chosen.edge, None, pre=chosen.guards, token=token)
        if not outcome.ok:
            await self._fail_token(token, outcome.error or "Transition failed", outcome.error_details,
                                   outcome.event_data)

    async def _escalate(self, task: TaskRecord) -> None:
        """SLA breach (DECISIONS Workflows 4): ESCALATED, then each sla_breach rule's action."""
        step = self.compiled.step(task.step_id)
        config = step.user_task_config if step else None
        rules = [r for r in (config.escalation_rules or []) if r.trigger == "sla_breach"] if config else []
        now = self.effects.now()
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
        self._tasks[task.id] = task
        self._log("USER_TASK_ESCALATED", {
            "taskId": task.id, "taskName": task.task_name, "dueDate": _js_iso(task.due_date or now),
            "actions": [r.action for r in rules], "escalatedTo": task.escalated_to, "notifyUsers": notified,
        }, branch_instance_id=task.branch_instance_id)
        if notified:
            # A domain event the platform's notification subscribers deliver (in the outbox, once).
            notice = Activity.model_validate({
                "activityId": f"escalate-{task.id}", "activityName": "Task escalation notice",
                "activityType": "EMIT_EVENT", "config": {}})
            config_out = {"eventName": "workflows.task.escalated", "payload": {
                "taskId": task.id, "taskName": task.task_name, "workflowInstanceId": self.state.instance_id,
                "dueDate": _js_iso(task.due_date or now), "escalatedTo": task.escalated_to,
                "notifyUsers": notified, "tenantId": self.state.tenant_id,
                "organizationId": self.state.organization_id}}
            await self._flush()
            await self._execute_activity(notice, config_out, dict(self.state.context), self._next_key(notice),
                                         step_id=task.step_id, transition_id=None, is_async=False)

    # --- sub-workflows (§3.6, DECISIONS Workflows 8) ------------------------------------------

    async def child_finished(self, child_id: str, result: dict[str, Any]) -> dict[str, Any]:
        """A SUB_WORKFLOW child ended (`result`: its instance as the API shows it)."""
        self._begin(None)
        for token in self._tokens():
            wait = self._wait_of(token)
            if wait is not None and wait.kind == "SUB_WORKFLOW" and wait.child_id == child_id:
                await self._child_ended(token, wait, result)
                break
        return await self._finish()

    async def _child_ended(self, token: Token, wait: Wait, result: dict[str, Any]) -> None:
        status = result.get("status")
        self._set_wait(token, None)
        branch_id = token.id if token else None
        if status == st.COMPLETED:
            step = self.compiled.step(wait.step_id)
            mapping = self._sub_config(step).get("outputMapping") if step else None
            child_context = result.get("context") or {}
            if isinstance(mapping, dict) and mapping:
                output: dict[str, Any] = {}
                for key, path in mapping.items():
                    found, value = lookup(child_context, str(path))
                    if found:
                        output[key] = value
            else:
                output = {wait.step_id: child_context}
            self._log("SUB_WORKFLOW_COMPLETED", {"childInstanceId": wait.child_id, "outputData": output},
                      user=self._user, branch_instance_id=branch_id, step_instance_id=wait.step_instance_id)
            self._merge(token, output)
            self._exit_open_step(wait.step_instance_id, output)
            await self._resume(token)
            return
        if status in (st.FAILED, st.COMPENSATED):
            error = result.get("errorMessage") or "Sub-workflow failed"
            message = f"Sub-workflow failed: {error}"
        else:
            error = f"ended in {status}"
            message = f"Sub-workflow ended in unexpected state: {status}"
        self._log("SUB_WORKFLOW_FAILED", {"childInstanceId": wait.child_id, "error": error},
                  user=self._user, branch_instance_id=branch_id, step_instance_id=wait.step_instance_id)
        self._fail_open_step(wait.step_instance_id, message)
        await self._fail_token(token, message)

    @staticmethod
    def _sub_config(step: Step | None) -> dict[str, Any]:
        """`config` as the reference's runtime reads it, falling back to `subWorkflowConfig` key by key."""
        if step is None:
            return {}
        base = step.sub_workflow_config.model_dump(by_alias=True, exclude_none=True) if step.sub_workflow_config \
            else {}
        return {**base, **{k: v for k, v in (step.config or {}).items() if v is not None}}

    # --- the loop (§3.2) -------------------------------------------------------------------

    async def _loop(self) -> None:
        state = self.state
        for _ in range(MAX_ITERATIONS):
            if state.status == st.FORKED:
                if await self._run_fork() != "joined":
                    return
                continue
            if state.status != st.RUNNING or state.wait is not None:
                return
            step = self.compiled.step(state.current_step_id)
            if step is None:
                await self._fail(f"Step not found in workflow definition: {state.current_step_id}")
                return
            if step.step_type == "END":
                state.status = st.COMPLETED
                state.completed_at = self.effects.now()
                self._log("WORKFLOW_COMPLETED", {})
                return
            if step.step_type == "PARALLEL_FORK":
                # Only a retry rests RUNNING at a fork (its branches failed): the fork opens anew.
                opened = await self._execute_step(step.step_id, None)
                if opened.status == "FAILED":
                    await self._fail(opened.error or "Step execution failed")
                    return
                continue
            if not self.compiled.edges_from(step.step_id, triggers=AUTO):
                return  # rests, e.g. at a step left only by manual transitions
            candidates = await self._select(step.step_id, AUTO, state.context, None, first_only=True)
            chosen = next((c for c in candidates if c.valid), None)
            if chosen is None:
                return  # every guard said no: the instance waits here, it has not failed
            outcome = await self._execute_transition(chosen.edge, None, pre=chosen.guards)
            if not outcome.ok:
                await self._fail(outcome.error or "Transition failed", details=outcome.error_details,
                                 event_data=outcome.event_data)
                return
        # DECISIONS Workflows 3: an instance nothing will move on is not RUNNING.
        await self._fail("Maximum execution iterations reached - possible infinite loop")

    async def _resume(self, token: Token) -> None:
        self._activate(token)
        await self._loop()

    def _activate(self, token: Token) -> None:
        """DECISIONS Workflows 3: a token that moves on is running again."""
        if token is None:
            self.state.status = st.RUNNING
        else:
            token.status = st.ACTIVE
            self._branches[token.id] = token

    async def _fail_token(self, token: Token, error: str, details: Any = None,
                          event_data: dict[str, Any] | None = None) -> None:
        if token is None:
            await self._fail(error, details=details, event_data=event_data)
        else:
            self._branch_failed(token, error, details)
            await self._loop()

    # --- parallel branches (§3.10) -----------------------------------------------------------

    def _branch(self, branch_id: str | None) -> Token:
        if branch_id is None:
            return None
        return next((b for b in self.state.branches if b.id == branch_id), None)

    async def _run_fork(self) -> str:
        """Advance every ACTIVE branch concurrently until each rests; then join, fail, or wait."""
        state = self.state
        active = [b for b in state.branches if b.status == st.ACTIVE]
        if active:
            tasks = [asyncio.ensure_future(self._branch_loop(b)) for b in active]
            pending: set[asyncio.Future[None]] = set(tasks)
            self._concurrent += 1
            try:
                while pending:
                    _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    if pending and any(b.status == st.FAILED for b in state.branches):
                        # A failed branch stops its siblings (their activities are cancelled too).
                        for task in pending:
                            task.cancel()
                        await asyncio.wait(pending)
                        pending = set()
            except BaseException:
                for task in tasks:
                    task.cancel()
                raise
            finally:
                self._concurrent -= 1
            for task in tasks:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        failed = next((b for b in state.branches if b.status == st.FAILED), None)
        if failed is not None:
            self._cancel_branches("sibling-failed")
            self._log("PARALLEL_FORK_FAILED", {"forkStepId": state.active_fork_step_id,
                                               "failedBranchKey": failed.branch_key})
            await self._fail(f'Parallel branch "{failed.branch_key}" failed: {failed.error_message}',
                             details={"branchKey": failed.branch_key, "error": failed.error_message,
                                      "details": failed.error_details})
            return "failed"
        if state.branches and all(b.status == st.COMPLETED for b in state.branches):
            await self._join()
            return "joined"
        return "waiting"

    async def _branch_loop(self, branch: BranchRecord) -> None:
        try:
            for _ in range(MAX_ITERATIONS):
                if branch.status != st.ACTIVE or branch.wait is not None:
                    return
                at = branch.current_step_id
                if at == branch.join_step_id:
                    branch.status = st.COMPLETED
                    branch.completed_at = self.effects.now()
                    self._branches[branch.id] = branch
                    self._log("PARALLEL_BRANCH_COMPLETED", {"branchKey": branch.branch_key,
                                                            "joinStepId": branch.join_step_id},
                              branch_instance_id=branch.id)
                    return
                pre: GuardOutcome | None = None
                if at == branch.fork_step_id:
                    edge = next((e for e in self.compiled.edges_from(at) if e.transition_id == branch.branch_key), None)
                    if edge is None:
                        self._branch_failed(branch, f'Branch "{branch.branch_key}" has no transition from the fork')
                        return
                else:
                    candidates = await self._select(at, AUTO, self._ctx(branch), None, first_only=True, token=branch)
                    chosen = next((c for c in candidates if c.valid), None)
                    if chosen is None:
                        self._branch_failed(branch, f'Branch "{branch.branch_key}" has no valid transition from '
                                                    f'"{at}"')
                        return
                    edge, pre = chosen.edge, chosen.guards
                outcome = await self._execute_transition(edge, None, pre=pre, token=branch)
                if not outcome.ok:
                    self._branch_failed(branch, outcome.error or "Transition failed", outcome.error_details)
                    return
            self._branch_failed(branch, "Maximum execution iterations reached - possible infinite loop")
        except BaseException as error:
            if self.effects.cancelled(error) and branch.status != st.FAILED:
                return  # a sibling failed, or the instance is being cancelled: the caller marks it
            raise

    def _branch_failed(self, branch: BranchRecord, error: str, details: Any = None) -> None:
        branch.status = st.FAILED
        branch.error_message = error
        branch.error_details = details
        branch.completed_at = self.effects.now()
        branch.wait = None
        self._branches[branch.id] = branch
        self._errors.append(error)
        self._log("PARALLEL_BRANCH_FAILED", {"branchKey": branch.branch_key, "error": error},
                  branch_instance_id=branch.id)

    def _cancel_branches(self, reason: str) -> None:
        for branch in self.state.branches:
            if branch.status not in st.BRANCH_OPEN:
                continue
            if branch.wait is not None:
                self._abandon(branch, branch.wait, reason)
            for task in self.state.tasks.values():
                if task.branch_instance_id == branch.id and task.is_open:
                    self._cancel_task(task, reason)
            branch.status = st.CANCELLED
            branch.completed_at = self.effects.now()
            self._branches[branch.id] = branch
            self._log("PARALLEL_BRANCH_CANCELLED", {"branchKey": branch.branch_key, "reason": reason},
                      branch_instance_id=branch.id)

    async def _join(self) -> None:
        """Wait-all join: each branch's namespace under `context.branches.<branchKey>`, then the join's
        outputMapping; the root continues from the join step."""
        state = self.state
        branches = state.branches
        fork_id = state.active_fork_step_id
        join_id = branches[0].join_step_id
        merged = dict(state.context.get("branches") or {}) if isinstance(state.context.get("branches"), dict) else {}
        merged.update({b.branch_key: b.namespace for b in branches})
        context = {**state.context, "branches": merged}
        join = self.compiled.step(join_id)
        mapping = (join.config or {}).get("outputMapping") if join else None
        if isinstance(mapping, dict):
            for key, path in mapping.items():
                if key == "branches":
                    continue
                found, value = lookup(context, str(path))
                if found:
                    context[key] = value
        state.context = context
        state.status = st.RUNNING
        state.active_fork_step_id = None
        state.current_step_id = join_id
        await self._execute_step(join_id or "", None)
        self._log("PARALLEL_JOIN_COMPLETED", {"forkStepId": fork_id, "joinStepId": join_id,
                                              "mergedBranchKeys": [b.branch_key for b in branches],
                                              "afterJoinStepId": join_id})

    # --- tokens ------------------------------------------------------------------------------

    def _ctx(self, token: Token) -> dict[str, Any]:
        """What a token reads: the instance context, with a branch's own writes on top."""
        if token is None:
            return self.state.context
        return {**self.state.context, **token.namespace}

    def _merge(self, token: Token, updates: dict[str, Any]) -> None:
        """What a token writes: the instance context, or a branch's private namespace."""
        if not updates:
            return
        if token is None:
            self.state.context = {**self.state.context, **updates}
        else:
            token.namespace = {**token.namespace, **updates}
            self._branches[token.id] = token

    def _drop(self, token: Token, key: str) -> None:
        if token is None:
            self.state.context = {k: v for k, v in self.state.context.items() if k != key}
        else:
            token.namespace = {k: v for k, v in token.namespace.items() if k != key}
            self._branches[token.id] = token

    def _move(self, token: Token, step_id: str) -> None:
        if token is None:
            self.state.current_step_id = step_id
        else:
            token.current_step_id = step_id
            self._branches[token.id] = token

    def _set_status(self, token: Token, status: str) -> None:
        """RUNNING / PAUSED / WAITING_FOR_ACTIVITIES of the instance; ACTIVE stands for RUNNING in a branch."""
        if token is None:
            self.state.status = status
        else:
            token.status = st.ACTIVE if status == st.RUNNING else status
            self._branches[token.id] = token

    def _wait_of(self, token: Token) -> Wait | None:
        return self.state.wait if token is None else token.wait

    def _set_wait(self, token: Token, wait: Wait | None) -> None:
        if token is None:
            self.state.wait = wait
        else:
            token.wait = wait
            self._branches[token.id] = token

    def _pause(self, token: Token, wait: Wait) -> None:
        self._set_wait(token, wait)
        self._set_status(token, st.PAUSED)
        if token is None:
            self.state.paused_at = self.effects.now()

    def _abandon(self, token: Token, wait: Wait, reason: str, *, failed: str | None = None) -> None:
        """The token stops waiting without what it waited for: its task is cancelled, its child too, and
        its step is left (FAILED when it timed out, CANCELLED otherwise)."""
        self._set_wait(token, None)
        if wait.task_id is not None:
            task = self.state.tasks.get(wait.task_id)
            if task is not None and task.is_open:
                self._cancel_task(task, reason)
        if wait.child_id is not None:
            self.effects.cancel_child(wait.child_id)
        if failed is not None:
            self._fail_open_step(wait.step_instance_id, failed)
        else:
            record = self.state.open_steps.pop(wait.step_instance_id, None)
            if record is not None:
                record.status = "CANCELLED"
                record.exited_at = self.effects.now()
                self._steps[record.id] = record

    def _cancel_task(self, task: TaskRecord, reason: str) -> None:
        task.status = "CANCELLED"
        task.updated_at = self.effects.now()
        self._tasks[task.id] = task
        self._log("USER_TASK_CANCELLED", {"taskId": task.id, "taskName": task.task_name, "reason": reason},
                  user=self._user, branch_instance_id=task.branch_instance_id)

    # --- transitions (§3.3) ----------------------------------------------------------------

    def _guard_base(self, edge: Edge, event_type: str, context: dict[str, Any], trigger_data: Any) -> GuardInput:
        state, transition = self.state, edge.transition
        return GuardInput(
            tenant_id=state.tenant_id, organization_id=state.organization_id, rule_id="",
            entity_type=transition_entity_type(state.workflow_id),
            entity_id=transition.transition_id or f"{transition.from_step_id}->{transition.to_step_id}",
            event_type=event_type,
            data={"workflowInstanceId": state.instance_id, "workflowId": state.workflow_id,
                  "fromStepId": transition.from_step_id, "toStepId": transition.to_step_id,
                  "workflowContext": context, "triggerData": trigger_data},
            user_id=self._user,
        )

    async def _evaluate_guard(self, guard: GuardInput) -> GuardResult:
        """One rule through the rules service, with the evaluation's idempotency key (contract.GuardInput)."""
        state = self.state
        state.guard_counter += 1
        key = f"{state.instance_id}:{state.retry_count}:guard:{state.guard_counter}"
        return await self.effects.evaluate_guard(replace(guard, idempotency_key=key))

    async def _evaluate(self, edge: Edge, context: dict[str, Any], trigger_data: Any) -> Candidate:
        if edge.condition is not None:
            data = {**context, "triggerData": trigger_data}
            rule_context: dict[str, Any] = {"entityType": "workflow:transition", "entityId": self.state.instance_id}
            if self._user:
                rule_context["user"] = {"id": self._user}
            try:
                holds = edge.condition(data, rule_context, now=self.effects.now())
            except Exception as error:  # noqa: BLE001 - a broken condition makes the transition invalid
                return Candidate(edge, False, f"Condition evaluation error: {error}")
            if not holds:
                return Candidate(edge, False, "Transition condition evaluated to false")
        refs = edge.transition.pre_conditions
        if not refs:
            return Candidate(edge, True)
        guards = await evaluate_transition_rules(refs, post=False, evaluate=self._evaluate_guard,
                                                 base=self._guard_base(edge, PRE_TRANSITION, context, trigger_data))
        if not guards.allowed:
            failed = ", ".join(r.rule_id for r in guards.failed())
            return Candidate(edge, False, f"Pre-conditions failed: {failed}", guards)
        return Candidate(edge, True, None, guards)

    async def _select(self, step_id: str | None, triggers: frozenset[str] | None, context: dict[str, Any],
                      trigger_data: Any, *, first_only: bool, token: Token = None) -> list[Candidate]:
        """Outgoing transitions in selection order, each checked (inline condition, then pre-
        conditions). With `first_only` evaluation stops at the first valid one, so rules of
        lower-priority transitions are not executed needlessly."""
        out: list[Candidate] = []
        for edge in self.compiled.edges_from(step_id, triggers=triggers):
            candidate = await self._evaluate(edge, context, trigger_data)
            out.append(candidate)
            if first_only and candidate.valid:
                break
        return out

    async def _execute_transition(self, edge: Edge, trigger_data: Any, *, pre: GuardOutcome | None,
                                  token: Token = None) -> TransitionOutcome:
        """Pre-conditions (unless the caller's selection just evaluated them), activities, the move,
        the target step, post-conditions."""
        state, transition = self.state, edge.transition
        from_id, to_id = transition.from_step_id, transition.to_step_id
        transition_id = transition.transition_id or f"{from_id}->{to_id}"
        branch_id = token.id if token is not None else None
        if pre is None and transition.pre_conditions:
            pre = await evaluate_transition_rules(
                transition.pre_conditions, post=False, evaluate=self._evaluate_guard,
                base=self._guard_base(edge, PRE_TRANSITION, self._ctx(token), trigger_data))
        if pre is not None and not pre.allowed:
            details = rejected_details(pre)
            self._log("TRANSITION_REJECTED", {
                "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
                "reason": "Pre-conditions failed", "failedRules": details,
                "failedRulesDetail": [{"ruleId": r.rule_id, "ruleName": r.rule_name, "error": r.error}
                                      for r in pre.failed()],
            }, user=self._user, branch_instance_id=branch_id)
            return TransitionOutcome(False, f"Pre-conditions failed: {details}")

        run = _ActivityRun()
        if transition.activities:
            run = await self._run_activities(transition.activities, dict(self._ctx(token)), step_id=None,
                                             transition_id=transition_id, token=token)
            failures = run.sync_failures
            if failures:
                self._log("ACTIVITY_FAILED", {
                    "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
                    "failedActivities": [{"activityType": f.activity.activity_type,
                                          "activityName": f.activity.activity_name, "error": f.error,
                                          "retryCount": f.retry_count} for f in failures],
                    "continueOnFailure": transition.continue_on_activity_failure,
                }, user=self._user, branch_instance_id=branch_id)
                if not transition.continue_on_activity_failure:
                    await self._drain(run, token)
                    return TransitionOutcome(False, "Activities failed: " + ", ".join(str(f.error) for f in failures))

        if run.pending:
            outcome = await self._wait_for_transition_batch(edge, run, transition_id, token)
            if outcome is not None:
                return outcome
        else:
            self._move(token, to_id)
            self._merge(token, run.outputs)
        if token is None and state.status == st.PAUSED:
            state.status = st.RUNNING  # DECISIONS Workflows 3: moving on means running again

        # A branch that reaches its join has arrived: the join step runs once, when all have.
        if token is None or to_id != token.join_step_id:
            step_outcome = await self._execute_step(to_id, trigger_data, token)
            if step_outcome.status == "FAILED":
                return TransitionOutcome(False, step_outcome.error or "Step execution failed", committed=True)

        post_allowed = True
        if transition.post_conditions:
            post = await evaluate_transition_rules(
                transition.post_conditions, post=True, evaluate=self._evaluate_guard,
                base=self._guard_base(edge, POST_TRANSITION, self._ctx(token), trigger_data))
            post_allowed = post.allowed
            if not post.allowed:
                self._log("TRANSITION_POST_CONDITION_FAILED", {
                    "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
                    "reason": "Post-conditions failed",
                    "failedRules": ", ".join(post.errors) or "Unknown post-condition failure",
                }, user=self._user, branch_instance_id=branch_id)
        results = run.results
        self._log("TRANSITION_EXECUTED", {
            "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
            "transitionName": transition.transition_name, "preConditionsPassed": True,
            "postConditionsPassed": post_allowed, "activitiesExecuted": len(results),
            "activitiesSucceeded": sum(1 for r in results if r.success),
            "activitiesFailed": sum(1 for r in results if not r.success),
        }, user=self._user, branch_instance_id=branch_id,
            trail_data={"fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id})
        return TransitionOutcome(True, committed=True)

    async def _wait_for_transition_batch(self, edge: Edge, run: _ActivityRun, transition_id: str,
                                         token: Token) -> TransitionOutcome | None:
        """A transition with async activities (§3.3 step 4, §3.7): WAITING_FOR_ACTIVITIES until the
        whole batch is done (counted per batch, DECISIONS 9), then the move; None when it succeeded."""
        state, transition = self.state, edge.transition
        from_id, to_id = transition.from_step_id, transition.to_step_id
        branch_id = token.id if token is not None else None
        pending_ids = [{"activityId": r.activity.activity_id, "jobId": r.job_id} for r, _ in run.pending]
        pending = {
            "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
            "activityResults": [r.as_json() for r in run.results], "timestamp": _js_iso(self.effects.now()),
        }
        if token is None:
            state.pending_transition = pending
        else:
            token.pending_transition = pending
        self._merge(token, {**run.outputs, "_pendingAsyncActivities": pending_ids})
        self._set_status(token, st.WAITING_FOR_ACTIVITIES)
        self._log("TRANSITION_PAUSED_FOR_ACTIVITIES", {
            "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
            "pendingActivities": pending_ids}, user=self._user, branch_instance_id=branch_id)
        self._log("WORKFLOW_WAITING_FOR_ACTIVITIES", {
            "pendingActivities": [r.as_json() for r, _ in run.pending],
            "pausedAtTransition": {"fromStepId": from_id, "toStepId": to_id}}, branch_instance_id=branch_id)
        finished = await self._await_batch(run, token)
        if token is None:
            state.pending_transition = None
        else:
            token.pending_transition = None
        self._drop(token, "_pendingAsyncActivities")
        failed = [r for r in finished if not r.success]
        if failed:
            failures = [{"activityId": r.activity.activity_id, "error": r.error, "jobId": r.job_id} for r in failed]
            return TransitionOutcome(False, f"{len(failed)} async activities failed", committed=True,
                                     error_details={"failedActivities": failures},
                                     event_data={"reason": "Async activities failed", "failedActivities": failures})
        self._merge(token, {f"{r.activity.activity_id}_result": r.output for r in finished if r.output is not None})
        self._move(token, to_id)
        self._set_status(token, st.RUNNING)
        self._log("WORKFLOW_RESUMED", {
            "reason": "Async activities completed, resuming pending transition",
            "completedActivities": len(finished), "completedTransitionTo": to_id}, branch_instance_id=branch_id)
        return None

    # --- activities (§3.5) -----------------------------------------------------------------

    def _scope(self, context: dict[str, Any], token: Token = None) -> Scope:
        state = self.state
        current = state.current_step_id if token is None else token.current_step_id
        return Scope(context=context, env=self.env, now=_js_iso(self.effects.now()), workflow={
            "instanceId": state.instance_id, "tenantId": state.tenant_id, "organizationId": state.organization_id,
            "currentStepId": current, "workflowId": state.workflow_id, "version": state.version,
        })

    async def _run_activities(self, activities: Sequence[Activity], context: dict[str, Any], *,
                              step_id: str | None, transition_id: str | None, token: Token = None) -> _ActivityRun:
        """In order; async ones start at once and keep running, a failing sync one stops the list.
        Each sync output is visible to the later activities under its name."""
        run = _ActivityRun()
        try:
            for activity in activities:
                if not await self._run_one(activity, context, run, step_id=step_id, transition_id=transition_id,
                                           token=token):
                    break
        except BaseException:
            # Interrupted (the instance is being cancelled): what was started in the background stops too.
            for _, task in run.pending:
                task.cancel()
            raise
        return run

    async def _run_one(self, activity: Activity, context: dict[str, Any], run: _ActivityRun, *,
                       step_id: str | None, transition_id: str | None, token: Token = None) -> bool:
        """Start or run one activity of a list; False when the list must stop (a sync failure)."""
        config = interpolate(activity.config, self._scope(context, token))
        branch_id = token.id if token is not None else None
        if activity.is_async:
            queued = ActivityResult(activity, True, is_async=True, job_id=self._next_key(activity))
            self._log("ACTIVITY_QUEUED", {
                "activityId": activity.activity_id, "activityName": activity.activity_name,
                "activityType": activity.activity_type, "async": True, "jobId": queued.job_id}, user=self._user,
                branch_instance_id=branch_id)
            task = asyncio.ensure_future(self._execute_activity(
                activity, config, dict(context), queued.job_id or "", step_id=step_id, transition_id=transition_id,
                is_async=True))
            run.results.append(queued)
            run.pending.append((queued, task))
            return True
        await self._flush(before_activity=True)
        result = await self._execute_activity(activity, config, context, self._next_key(activity),
                                              step_id=step_id, transition_id=transition_id, is_async=False)
        run.results.append(result)
        if not result.success:
            return False
        self.state.completed_activities.append(CompletedActivity(activity.activity_id, activity.activity_name))
        if result.output is not None:
            run.outputs[result.key] = result.output
            if isinstance(result.output, dict):
                context[result.key] = result.output
        return True

    def _next_key(self, activity: Activity) -> str:
        state = self.state
        state.activity_counter += 1
        return f"{state.instance_id}:{state.retry_count}:{activity.activity_id}:{state.activity_counter}"

    async def _execute_activity(self, activity: Activity, config: Any, context: dict[str, Any], key: str, *,
                                step_id: str | None, transition_id: str | None, is_async: bool) -> ActivityResult:
        started = self.effects.now()
        if activity.activity_type == "WAIT":
            # A durable timer in the workflow: no worker slot is held while waiting.
            try:
                seconds = wait_seconds(config if isinstance(config, dict) else {}, started)
            except ValueError as error:
                return ActivityResult(activity, False, error=f"Activity failed after 1 attempts: {error}",
                                      retry_count=1, is_async=is_async, job_id=key if is_async else None)
            if seconds > 0:
                await self.effects.sleep(seconds)
            output: dict[str, Any] = {"waited": True}
            if not is_async:
                output["durationMs"] = int(seconds * 1000)
            return ActivityResult(activity, True, output, is_async=is_async, job_id=key if is_async else None,
                                  execution_time_ms=_ms(self.effects.now() - started))
        state = self.state
        call = ActivityCall(
            input=RunActivityInput(
                instance_id=state.instance_id, tenant_id=state.tenant_id, organization_id=state.organization_id,
                user_id=self._user, activity_id=activity.activity_id, activity_type=activity.activity_type,
                activity_name=activity.activity_name or activity.activity_type,
                config=config if isinstance(config, dict) else {}, context=context, idempotency_key=key,
                timeout_ms=timeout_ms(activity), workflow_id=state.workflow_id, definition_id=state.definition_id,
                initiated_by=state.initiated_by, step_id=step_id, transition_id=transition_id,
            ),
            retry=retry_spec(activity), timeout_ms=timeout_ms(activity),
        )
        outcome = await self.effects.run_activity(call)
        elapsed = _ms(self.effects.now() - started)
        if outcome.ok:
            return ActivityResult(activity, True, outcome.output, retry_count=max(0, outcome.attempts - 1),
                                  execution_time_ms=elapsed, is_async=is_async, job_id=key if is_async else None)
        message = f"Activity failed after {outcome.attempts} attempts: {outcome.error}"
        return ActivityResult(activity, False, error=message, retry_count=outcome.attempts, execution_time_ms=elapsed,
                              is_async=is_async, job_id=key if is_async else None)

    async def _await_batch(self, run: _ActivityRun, token: Token = None) -> list[ActivityResult]:
        """Wait for every async activity of the batch, recording each as it finishes."""
        finished: list[ActivityResult] = []
        order = [task for _, task in run.pending]
        waiting: set[asyncio.Task[ActivityResult]] = set(order)
        try:
            await self._flush()
            while waiting:
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                # Several may finish in the same instant: record them in the order they were queued.
                for task in [t for t in order if t in done]:
                    waiting.discard(task)
                    result = task.result()
                    finished.append(result)
                    self._record_async(result, token)
        except BaseException:
            for task in waiting:
                task.cancel()
            raise
        run.pending = []
        return finished

    def _record_async(self, result: ActivityResult, token: Token = None) -> None:
        activity = result.activity
        # retry_count is the number of retries after a success, the number of attempts after a failure.
        attempt = result.retry_count + 1 if result.success else max(1, result.retry_count)
        common = {"activityId": activity.activity_id, "activityName": activity.activity_name or activity.activity_type,
                  "async": True, "jobId": result.job_id, "attemptNumber": attempt}
        branch_id = token.id if token is not None else None
        if result.success:
            self.state.completed_activities.append(CompletedActivity(activity.activity_id, activity.activity_name))
            self._log("ACTIVITY_COMPLETED", {**common, "executionTimeMs": result.execution_time_ms,
                                             "output": result.output}, branch_instance_id=branch_id)
        else:
            self._log("ACTIVITY_FAILED", {**common, "error": result.error, "errorStack": None,
                                          "executionTimeMs": result.execution_time_ms}, branch_instance_id=branch_id)

    async def _drain(self, run: _ActivityRun, token: Token = None) -> None:
        """Async activities already started when a sync one failed still happen: wait for them, so
        their effects are recorded (and compensated) instead of forgotten."""
        if run.pending:
            await self._await_batch(run, token)

    # --- steps (§3.6) ----------------------------------------------------------------------

    async def _execute_step(self, step_id: str, trigger_data: Any, token: Token = None) -> StepOutcome:
        step = self.compiled.step(step_id)
        if step is None:
            return StepOutcome("FAILED", f"Step not found in workflow definition: {step_id}")
        now = self.effects.now()
        branch_id = token.id if token is not None else None
        record = StepRecord(id=self.effects.new_id(), step_id=step.step_id, step_name=step.step_name,
                            step_type=step.step_type, status="ACTIVE", entered_at=now, input_data=trigger_data,
                            branch_instance_id=branch_id)
        self._steps[record.id] = record
        self._log("STEP_ENTERED", {"stepId": step.step_id, "stepName": step.step_name, "stepType": step.step_type},
                  user=self._user, step_instance_id=record.id, branch_instance_id=branch_id)
        handler = self._step_handlers().get(step.step_type)
        if handler is None:
            return self._step_failed(record, f"Step type not supported: {step.step_type}")
        # DECISIONS Workflows 4: an AUTOMATED step's `timeout` bounds each attempt (resting steps are bounded
        # by their Wait's deadline instead), and its retryPolicy re-runs a failed one.
        limit = _duration_ms(step.timeout, now) if step.step_type == "AUTOMATED" else None
        status, output, error = await self._bounded(handler(step, record, token), limit, step)
        policy = step.retry_policy
        attempt = 1
        while status == "FAILED" and policy is not None and step.step_type == "AUTOMATED" \
                and attempt < policy.max_attempts:
            attempt += 1
            if policy.backoff_ms:
                await self.effects.sleep(policy.backoff_ms / 1000)
            status, output, error = await self._bounded(handler(step, record, token), limit, step)
        if status == "FAILED":
            return self._step_failed(record, error or "Step execution failed", output)
        if status == "COMPLETED":
            self._complete_step(record, output)
        else:
            self.state.open_steps[record.id] = record
        return StepOutcome(status)

    async def _bounded(self, work: Coroutine[Any, Any, tuple[str, Any, str | None]], limit_ms: int | None,
                       step: Step) -> tuple[str, Any, str | None]:
        """`work` (a step handler), failed when it runs longer than `limit_ms`: its activities are cancelled."""
        if not limit_ms:
            return await work
        task = asyncio.ensure_future(work)
        timer = asyncio.ensure_future(self.effects.sleep(limit_ms / 1000))
        try:
            await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            task.cancel()
            timer.cancel()
            raise
        if task.done():
            timer.cancel()
            return task.result()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)  # let its activities be cancelled
        return "FAILED", None, f'Step "{step.step_id}" timed out after {step.timeout}'

    def _complete_step(self, record: StepRecord, output: Any) -> None:
        exited = self.effects.now()
        record.status = "COMPLETED"
        record.output_data = output
        record.exited_at = exited
        record.execution_time_ms = _ms(exited - record.entered_at)
        self._steps[record.id] = record
        self._log("STEP_EXITED", {"stepId": record.step_id, "status": "COMPLETED",
                                  "executionTimeMs": record.execution_time_ms, "hasOutput": bool(output)},
                  step_instance_id=record.id, branch_instance_id=record.branch_instance_id)

    def _exit_open_step(self, step_instance_id: str, output: Any) -> None:
        record = self.state.open_steps.pop(step_instance_id, None)
        if record is not None:
            self._complete_step(record, output)

    def _fail_open_step(self, step_instance_id: str, error: str) -> None:
        record = self.state.open_steps.pop(step_instance_id, None)
        if record is not None:
            self._step_failed(record, error)

    def _step_failed(self, record: StepRecord, error: str, details: Any = None) -> StepOutcome:
        record.status = "FAILED"
        record.error_data = {"error": error, "details": details}
        record.exited_at = self.effects.now()
        self._steps[record.id] = record
        self._log("STEP_FAILED", {"error": error}, step_instance_id=record.id,
                  branch_instance_id=record.branch_instance_id)
        return StepOutcome("FAILED", error)

    def _step_handlers(self) -> dict[str, Callable[[Step, StepRecord, Token], Any]]:
        return {"START": self._start_step, "END": self._end_step, "AUTOMATED": self._automated_step,
                "USER_TASK": self._user_task_step, "WAIT_FOR_SIGNAL": self._signal_step,
                "WAIT_FOR_TIMER": self._timer_step, "SUB_WORKFLOW": self._sub_workflow_step,
                "PARALLEL_FORK": self._fork_step, "PARALLEL_JOIN": self._join_step}

    def _step_deadline(self, step: Step, now: datetime) -> tuple[datetime | None, str | None]:
        """DECISIONS Workflows 4: a waiting step's own `timeout`."""
        ms = _duration_ms(step.timeout, now)
        return (now + timedelta(milliseconds=ms), step.timeout) if ms else (None, None)

    async def _start_step(self, step: Step, record: StepRecord, token: Token) -> tuple[str, Any, str | None]:
        return "COMPLETED", {"stepType": "START", "timestamp": _js_iso(self.effects.now())}, None

    async def _end_step(self, step: Step, record: StepRecord, token: Token) -> tuple[str, Any, str | None]:
        return "COMPLETED", {"stepType": "END", "timestamp": _js_iso(self.effects.now()),
                             "finalContext": self.state.context}, None

    async def _join_step(self, step: Step, record: StepRecord, token: Token) -> tuple[str, Any, str | None]:
        return "COMPLETED", {"stepType": "PARALLEL_JOIN", "timestamp": _js_iso(self.effects.now())}, None

    async def _automated_step(self, step: Step, record: StepRecord, token: Token) -> tuple[str, Any, str | None]:
        activities = step.activities or []
        if not activities:
            return "COMPLETED", {"stepType": "AUTOMATED", "timestamp": _js_iso(self.effects.now())}, None
        run = await self._run_activities(activities, dict(self._ctx(token)), step_id=step.step_id,
                                         transition_id=None, token=token)
        failures = run.sync_failures
        if failures:
            await self._drain(run, token)
            message = "; ".join(f"{f.activity.activity_name or f.activity.activity_id}: {f.error}" for f in failures)
            details = {"failures": [{"activityId": f.activity.activity_id, "activityName": f.activity.activity_name,
                                     "error": f.error, "retryCount": f.retry_count} for f in failures]}
            return "FAILED", details, f"{len(failures)} activity(ies) failed: {message}"
        results = {r.activity.activity_id: r.output for r in run.results if not r.is_async and r.output is not None}
        if run.pending:
            # The reference let the loop run on past pending step activities; like a transition's
            # batch, the step waits for them (WAITING_FOR_ACTIVITIES), outputs under <activityId>_result.
            self._set_status(token, st.WAITING_FOR_ACTIVITIES)
            if token is None:
                self.state.paused_at = self.effects.now()
            finished = await self._await_batch(run, token)
            failed = [r for r in finished if not r.success]
            if failed:
                details = {"failures": [{"activityId": r.activity.activity_id, "error": r.error, "jobId": r.job_id}
                                        for r in failed]}
                return "FAILED", details, f"{len(failed)} async activities failed"
            outputs = {r.activity.activity_id: r.output for r in finished if r.output is not None}
            results.update(outputs)
            self._merge(token, {f"{key}_result": value for key, value in outputs.items()})
            self._set_status(token, st.RUNNING)
            self._log("WORKFLOW_RESUMED", {"reason": "All async activities completed",
                                           "completedActivities": len(finished)},
                      branch_instance_id=token.id if token else None)
        return "COMPLETED", {"stepType": "AUTOMATED", "timestamp": _js_iso(self.effects.now()),
                             "activityResults": results, "activityCount": len(run.results)}, None

    async def _user_task_step(self, step: Step, record: StepRecord, token: Token) -> tuple[str, Any, str | None]:
        config = step.user_task_config
        now = self.effects.now()
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
            id=self.effects.new_id(), step_id=step.step_id, step_instance_id=record.id, task_name=step.step_name,
            created_at=now, branch_instance_id=record.branch_instance_id, description=step.description,
            form_schema=schema, assigned_to=assigned if isinstance(assigned, str) else None,
            assigned_to_roles=roles or None, due_date=due, updated_at=now,
        )
        self.state.tasks[task.id] = task
        self._tasks[task.id] = task
        self._log("USER_TASK_CREATED", {"userTaskId": task.id, "taskName": task.task_name,
                                        "assignedTo": task.assigned_to, "assignedToRoles": task.assigned_to_roles,
                                        "dueDate": st.js_iso(due)},
                  user=self._user, step_instance_id=record.id, branch_instance_id=record.branch_instance_id)
        deadline, text = self._step_deadline(step, now)
        self._pause(token, Wait("USER_TASK", step.step_id, record.id, task_id=task.id, deadline=deadline,
                                timeout_text=text))
        return "WAITING", None, None

    async def _signal_step(self, step: Step, record: StepRecord, token: Token) -> tuple[str, Any, str | None]:
        config = step.signal_config
        name = (config.signal_name if config else None) or step.step_id
        now = self.effects.now()
        timeout_text = config.timeout if config and config.timeout else None
        timeout = _duration_ms(timeout_text, now)
        deadline = now + timedelta(milliseconds=timeout) if timeout else None
        if deadline is None:
            deadline, timeout_text = self._step_deadline(step, now)
        self._log("SIGNAL_AWAITING", {"signalName": name, "timeout": timeout, "description": step.description},
                  user=self._user, step_instance_id=record.id, branch_instance_id=record.branch_instance_id)
        self._pause(token, Wait("WAIT_FOR_SIGNAL", step.step_id, record.id, signal_name=name, deadline=deadline,
                                timeout_text=timeout_text))
        return "WAITING", None, None

    async def _timer_step(self, step: Step, record: StepRecord, token: Token) -> tuple[str, Any, str | None]:
        raw = step.config if step.config and ("duration" in step.config or "until" in step.config) \
            else (step.timer_config or step.config or {})
        config = interpolate(raw, self._scope(self._ctx(token), token))
        duration, until = config.get("duration"), config.get("until")
        if not duration and not until:
            return "FAILED", None, ('WAIT_FOR_TIMER requires either "duration" (e.g., "PT5M") or "until" '
                                    '(ISO 8601 datetime)')
        now = self.effects.now()
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
                                 "fireAt": _js_iso(fire_at), "duration": duration or None, "until": until or None}, None
        job_id = self.effects.new_id()
        self._log("TIMER_AWAITING", {"fireAt": _js_iso(fire_at), "duration": duration or None,
                                     "until": until or None, "jobId": job_id},
                  user=self._user, step_instance_id=record.id, branch_instance_id=record.branch_instance_id)
        self._pause(token, Wait("WAIT_FOR_TIMER", step.step_id, record.id, fire_at=fire_at, job_id=job_id))
        return "WAITING", None, None

    async def _sub_workflow_step(self, step: Step, record: StepRecord,
                                 token: Token) -> tuple[str, Any, str | None]:
        state = self.state
        config = self._sub_config(step)
        workflow_id = config.get("subWorkflowId")
        if not workflow_id:
            return "FAILED", None, "Sub-workflow ID not specified in step configuration"
        version = config.get("version") if isinstance(config.get("version"), int) else None
        branch_id = record.branch_instance_id
        await self._flush()
        resolved = await self.effects.resolve_child(ResolveChildInput(
            tenant_id=state.tenant_id, organization_id=state.organization_id, workflow_id=str(workflow_id),
            version=version))
        if resolved.error is not None:
            self._log("SUB_WORKFLOW_FAILED", {"subWorkflowId": workflow_id, "error": resolved.error},
                      user=self._user, step_instance_id=record.id, branch_instance_id=branch_id)
            return "FAILED", None, f"Sub-workflow execution failed: {resolved.error}"
        parent_context = self._ctx(token)
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
        child_id = self.effects.new_id()
        self._log("SUB_WORKFLOW_STARTED", {"childInstanceId": child_id, "subWorkflowId": workflow_id,
                                           "version": resolved.version, "inputData": child_context},
                  user=self._user, step_instance_id=record.id, branch_instance_id=branch_id)
        deadline, text = self._step_deadline(step, self.effects.now())
        timeout = config.get("timeoutMs")
        if deadline is None and isinstance(timeout, int) and timeout > 0:
            deadline, text = self.effects.now() + timedelta(milliseconds=timeout), f"{timeout}ms"
        self._pause(token, Wait("SUB_WORKFLOW", step.step_id, record.id, child_id=child_id, deadline=deadline,
                                timeout_text=text))
        await self._flush()
        await self.effects.start_child(StartInput(
            instance_id=child_id, tenant_id=state.tenant_id, organization_id=state.organization_id,
            definition_id=resolved.definition_id, workflow_id=resolved.workflow_id, version=resolved.version,
            definition=resolved.definition, context=child_context, correlation_key=state.correlation_key,
            metadata=metadata, user_id=self._user, parent_instance_id=state.instance_id,
            parent_step_id=step.step_id, env=self.env, failed_retention_seconds=CHILD_FAILED_RETENTION_SECONDS,
        ))
        return "WAITING", None, None

    async def _fork_step(self, step: Step, record: StepRecord, token: Token) -> tuple[str, Any, str | None]:
        if token is not None:
            return "FAILED", None, "Nested PARALLEL_FORK is not supported"
        state = self.state
        join_id = (step.config or {}).get("joinStepId")
        now = self.effects.now()
        branches = [BranchRecord(id=self.effects.new_id(), fork_step_id=step.step_id, join_step_id=join_id,
                                 branch_key=edge.transition_id, current_step_id=step.step_id, started_at=now)
                    for edge in self.compiled.edges_from(step.step_id, triggers=AUTO)]
        state.branches = branches
        for branch in branches:
            self._branches[branch.id] = branch
        state.status = st.FORKED
        state.active_fork_step_id = step.step_id
        keys = [b.branch_key for b in branches]
        self._log("PARALLEL_FORK_OPENED", {"forkStepId": step.step_id, "joinStepId": join_id, "branchKeys": keys},
                  user=self._user, step_instance_id=record.id)
        return "COMPLETED", {"stepType": "PARALLEL_FORK", "timestamp": _js_iso(now), "branchKeys": keys}, None

    # --- failure and compensation (§3.11) --------------------------------------------------

    async def _fail(self, error: str, *, details: Any = None, event_data: dict[str, Any] | None = None,
                    compensate: bool = True) -> None:
        state = self.state
        self._errors.append(error)
        state.error_message = error
        state.error_details = details
        if compensate and self.compiled.has_compensation:
            await self._compensate()
            return
        state.status = st.FAILED
        state.completed_at = self.effects.now()
        if event_data is None:
            event_data = {"error": error}
            if details is not None:
                event_data["details"] = details
        self._log("WORKFLOW_FAILED", event_data)

    async def _compensate(self) -> None:
        """Saga (DECISIONS 7): undo every completed activity that declares a compensation, newest
        first, sync and async alike; continue past failures."""
        state = self.state
        state.status = st.COMPENSATING
        self._log("COMPENSATION_STARTED", {"reason": state.error_message, "continueOnError": True}, user=self._user)
        completed = list(reversed(state.completed_activities))
        compensated, failed_ids, errors = 0, [], []
        for done in completed:
            original = self.compiled.find_activity(done.activity_id)
            if original is None or original.compensation is None or not original.compensation.activity_id:
                continue
            compensation_id = original.compensation.activity_id
            compensation = self.compiled.find_activity(compensation_id)
            if compensation is None:
                failed_ids.append(done.activity_id)
                continue
            self._log("COMPENSATION_ACTIVITY_STARTED", {
                "originalActivityId": done.activity_id, "compensationActivityId": compensation_id,
                "compensationActivityName": compensation.activity_name}, user=self._user)
            await self._flush()
            context = dict(state.context)
            result = await self._execute_activity(compensation, interpolate(compensation.config, self._scope(context)),
                                                  context, self._next_key(compensation), step_id=None,
                                                  transition_id=None, is_async=False)
            if result.success:
                compensated += 1
                self._log("COMPENSATION_ACTIVITY_COMPLETED", {
                    "originalActivityId": done.activity_id, "compensationActivityId": compensation_id,
                    "output": result.output, "executionTimeMs": result.execution_time_ms}, user=self._user)
            else:
                failed_ids.append(done.activity_id)
                errors.append(f"Failed to compensate {done.activity_name}: {result.error}")
                self._log("COMPENSATION_ACTIVITY_FAILED", {
                    "originalActivityId": done.activity_id, "compensationActivityId": compensation_id,
                    "error": result.error}, user=self._user)
        # Compensated work must not be undone twice if the instance is retried and fails again.
        state.completed_activities = []
        outcome = "COMPLETED" if not failed_ids else ("PARTIAL" if compensated else "FAILED")
        state.status = st.COMPENSATED if outcome == "COMPLETED" else st.FAILED
        self._log(f"COMPENSATION_{outcome}", {
            "totalActivities": len(completed), "compensatedActivities": compensated,
            "failedCompensations": failed_ids, "errors": errors}, user=self._user)

    # --- projection ------------------------------------------------------------------------

    def _begin(self, user_id: str | None) -> None:
        initiated = self.state.initiated_by
        fallback = initiated if initiated and not initiated.startswith("trigger:") else None
        self._user = user_id or fallback
        self._trail = []
        self._errors = []
        self._started = self.effects.now()

    def _log(self, event_type: str, data: dict[str, Any], *, user: str | None = None,
             step_instance_id: str | None = None, branch_instance_id: str | None = None, key: str | None = None,
             at: datetime | None = None, trail_data: dict[str, Any] | None = None) -> None:
        occurred = at or self.effects.now()
        self._events.append({
            "event_key": key or self.effects.new_id(), "event_type": event_type, "event_data": data,
            "occurred_at": occurred.isoformat(), "user_id": user, "step_instance_id": step_instance_id,
            "branch_instance_id": branch_instance_id,
        })
        entry: dict[str, Any] = {"eventType": event_type, "occurredAt": occurred.isoformat()}
        if trail_data is not None:
            entry["data"] = trail_data
        self._trail.append(entry)

    async def _flush(self, *, before_activity: bool = False) -> None:
        """Write what changed since the last write, in one local activity call (or, `before_activity`, with
        the sync activity the machine runs next, if the shell prefers)."""
        async with self._flush_lock:
            row = self.state.row()
            if not self._events and not self._steps and not self._tasks and not self._branches \
                    and row == self._projected:
                return
            self.state.projection_seq += 1
            events, steps, tasks, branches = self._events, self._steps, self._tasks, self._branches
            self._events, self._steps, self._tasks, self._branches = [], {}, {}, {}
            batch = ProjectionBatch(
                tenant_id=self.state.tenant_id, organization_id=self.state.organization_id,
                instance_id=self.state.instance_id, seq=self.state.projection_seq, instance=row,
                steps=[record.row(self.state) for record in steps.values()], events=events,
                tasks=[task.row(self.state) for task in tasks.values()],
                branches=[branch.row(self.state) for branch in branches.values()],
                # Concurrent branches write through the local activity only: a batch carried by one
                # branch's activity could land after a later batch of another branch.
                before_activity=before_activity and not self._concurrent,
            )
            try:
                await self.effects.project(batch)
            except BaseException:
                # Not written (or not known to be): keep it for the next write; the write is idempotent.
                self._events = events + self._events
                self._steps = {**steps, **self._steps}
                self._tasks = {**tasks, **self._tasks}
                self._branches = {**branches, **self._branches}
                raise
            # A copy: the next comparison must see later changes of the context (always replaced, never
            # changed in place, but a shallow copy keeps this honest).
            self._projected = {**row, "context": dict(row["context"])}

    async def _finish(self) -> dict[str, Any]:
        """Resting point: project, and describe the execution as the reference's ExecutionResult."""
        await self._flush()
        self.changes += 1
        state = self.state
        result: dict[str, Any] = {"status": state.status, "currentStep": state.current_step_id,
                                  "context": state.context, "events": self._trail,
                                  "executionTime": _ms(self.effects.now() - self._started)}
        if self._errors:
            result["errors"] = list(self._errors)
        return result

    async def flush(self) -> None:
        """Project whatever is buffered (used by the shell after an interrupted operation)."""
        await self._flush()
