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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from definitions import add_duration, parse_duration, parse_iso_datetime
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
from engine._interpolate import Scope, interpolate
from engine._state import CompletedActivity, InstanceState, StepRecord
from engine.contract import (
    AdvanceInput,
    GuardInput,
    GuardResult,
    ProjectionBatch,
    RunActivityInput,
    started_event_key,
)

MAX_ITERATIONS = 100
# Steps the loop stops at until something from outside resumes them (issue 5 fills them in).
WAITING_STEP_TYPES = frozenset({"USER_TASK", "WAIT_FOR_SIGNAL", "WAIT_FOR_TIMER"})
ALL_TRIGGERS = None
AUTO = frozenset({"auto"})


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
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 1000:03d}Z"


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
        self._projected: dict[str, Any] | None = None
        self._trail: list[dict[str, Any]] = []
        self._errors: list[str] = []
        self._user: str | None = None
        self._announced = False

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
        transition, or the step that failed (which is not run again)."""
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
        """DECISIONS Workflows 6: anything still running for the instance has been stopped by the
        caller (the shell cancels in-flight work first); here the instance is marked CANCELLED."""
        self.check_cancel()
        self._begin(user_id)
        state = self.state
        state.status = st.CANCELLED
        state.cancelled_at = self.effects.now()
        self._log("WORKFLOW_CANCELLED", {})
        await self._finish()

    def snapshot(self) -> dict[str, Any]:
        return self.state.api_view()

    # --- the loop (§3.2) -------------------------------------------------------------------

    async def _loop(self) -> None:
        state = self.state
        for _ in range(MAX_ITERATIONS):
            if state.status != st.RUNNING:
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
            if step.step_type in WAITING_STEP_TYPES:
                return
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
                      trigger_data: Any, *, first_only: bool) -> list[Candidate]:
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

    async def _execute_transition(self, edge: Edge, trigger_data: Any, *,
                                  pre: GuardOutcome | None) -> TransitionOutcome:
        """Pre-conditions (unless the caller's selection just evaluated them), activities, the move,
        the target step, post-conditions."""
        state, transition = self.state, edge.transition
        from_id, to_id = transition.from_step_id, transition.to_step_id
        transition_id = transition.transition_id or f"{from_id}->{to_id}"
        if pre is None and transition.pre_conditions:
            pre = await evaluate_transition_rules(
                transition.pre_conditions, post=False, evaluate=self._evaluate_guard,
                base=self._guard_base(edge, PRE_TRANSITION, state.context, trigger_data))
        if pre is not None and not pre.allowed:
            details = rejected_details(pre)
            self._log("TRANSITION_REJECTED", {
                "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
                "reason": "Pre-conditions failed", "failedRules": details,
                "failedRulesDetail": [{"ruleId": r.rule_id, "ruleName": r.rule_name, "error": r.error}
                                      for r in pre.failed()],
            }, user=self._user)
            return TransitionOutcome(False, f"Pre-conditions failed: {details}")

        run = _ActivityRun()
        if transition.activities:
            run = await self._run_activities(transition.activities, dict(state.context), step_id=None,
                                             transition_id=transition_id)
            failures = run.sync_failures
            if failures:
                self._log("ACTIVITY_FAILED", {
                    "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
                    "failedActivities": [{"activityType": f.activity.activity_type,
                                          "activityName": f.activity.activity_name, "error": f.error,
                                          "retryCount": f.retry_count} for f in failures],
                    "continueOnFailure": transition.continue_on_activity_failure,
                }, user=self._user)
                if not transition.continue_on_activity_failure:
                    await self._drain(run)
                    return TransitionOutcome(False, "Activities failed: " + ", ".join(str(f.error) for f in failures))

        if run.pending:
            outcome = await self._wait_for_transition_batch(edge, run, transition_id)
            if outcome is not None:
                return outcome
        else:
            state.current_step_id = to_id
            state.context = {**state.context, **run.outputs}
        if state.status == st.PAUSED:
            state.status = st.RUNNING  # DECISIONS Workflows 3: moving on means running again

        step_outcome = await self._execute_step(to_id, trigger_data)
        if step_outcome.status == "FAILED":
            return TransitionOutcome(False, step_outcome.error or "Step execution failed", committed=True)

        post_allowed = True
        if transition.post_conditions:
            post = await evaluate_transition_rules(
                transition.post_conditions, post=True, evaluate=self._evaluate_guard,
                base=self._guard_base(edge, POST_TRANSITION, state.context, trigger_data))
            post_allowed = post.allowed
            if not post.allowed:
                self._log("TRANSITION_POST_CONDITION_FAILED", {
                    "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
                    "reason": "Post-conditions failed",
                    "failedRules": ", ".join(post.errors) or "Unknown post-condition failure",
                }, user=self._user)
        results = run.results
        self._log("TRANSITION_EXECUTED", {
            "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
            "transitionName": transition.transition_name, "preConditionsPassed": True,
            "postConditionsPassed": post_allowed, "activitiesExecuted": len(results),
            "activitiesSucceeded": sum(1 for r in results if r.success),
            "activitiesFailed": sum(1 for r in results if not r.success),
        }, user=self._user, trail_data={"fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id})
        return TransitionOutcome(True, committed=True)

    async def _wait_for_transition_batch(self, edge: Edge, run: _ActivityRun,
                                         transition_id: str) -> TransitionOutcome | None:
        """A transition with async activities (§3.3 step 4, §3.7): WAITING_FOR_ACTIVITIES until the
        whole batch is done (counted per batch, DECISIONS 9), then the move; None when it succeeded."""
        state, transition = self.state, edge.transition
        from_id, to_id = transition.from_step_id, transition.to_step_id
        pending_ids = [{"activityId": r.activity.activity_id, "jobId": r.job_id} for r, _ in run.pending]
        state.pending_transition = {
            "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
            "activityResults": [r.as_json() for r in run.results], "timestamp": _js_iso(self.effects.now()),
        }
        state.context = {**state.context, **run.outputs, "_pendingAsyncActivities": pending_ids}
        state.status = st.WAITING_FOR_ACTIVITIES
        self._log("TRANSITION_PAUSED_FOR_ACTIVITIES", {
            "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
            "pendingActivities": pending_ids}, user=self._user)
        self._log("WORKFLOW_WAITING_FOR_ACTIVITIES", {
            "pendingActivities": [r.as_json() for r, _ in run.pending],
            "pausedAtTransition": {"fromStepId": from_id, "toStepId": to_id}})
        finished = await self._await_batch(run)
        state.pending_transition = None
        state.context = {k: v for k, v in state.context.items() if k != "_pendingAsyncActivities"}
        failed = [r for r in finished if not r.success]
        if failed:
            failures = [{"activityId": r.activity.activity_id, "error": r.error, "jobId": r.job_id} for r in failed]
            return TransitionOutcome(False, f"{len(failed)} async activities failed", committed=True,
                                     error_details={"failedActivities": failures},
                                     event_data={"reason": "Async activities failed", "failedActivities": failures})
        state.context = {**state.context, **{f"{r.activity.activity_id}_result": r.output
                                             for r in finished if r.output is not None}}
        state.current_step_id = to_id
        state.status = st.RUNNING
        self._log("WORKFLOW_RESUMED", {
            "reason": "Async activities completed, resuming pending transition",
            "completedActivities": len(finished), "completedTransitionTo": to_id})
        return None

    # --- activities (§3.5) -----------------------------------------------------------------

    def _scope(self, context: dict[str, Any]) -> Scope:
        state = self.state
        return Scope(context=context, env=self.env, now=_js_iso(self.effects.now()), workflow={
            "instanceId": state.instance_id, "tenantId": state.tenant_id, "organizationId": state.organization_id,
            "currentStepId": state.current_step_id, "workflowId": state.workflow_id, "version": state.version,
        })

    async def _run_activities(self, activities: Sequence[Activity], context: dict[str, Any], *,
                              step_id: str | None, transition_id: str | None) -> _ActivityRun:
        """In order; async ones start at once and keep running, a failing sync one stops the list.
        Each sync output is visible to the later activities under its name."""
        run = _ActivityRun()
        try:
            for activity in activities:
                if not await self._run_one(activity, context, run, step_id=step_id, transition_id=transition_id):
                    break
        except BaseException:
            # Interrupted (the instance is being cancelled): what was started in the background stops too.
            for _, task in run.pending:
                task.cancel()
            raise
        return run

    async def _run_one(self, activity: Activity, context: dict[str, Any], run: _ActivityRun, *,
                       step_id: str | None, transition_id: str | None) -> bool:
        """Start or run one activity of a list; False when the list must stop (a sync failure)."""
        config = interpolate(activity.config, self._scope(context))
        if activity.is_async:
            queued = ActivityResult(activity, True, is_async=True, job_id=self._next_key(activity))
            self._log("ACTIVITY_QUEUED", {
                "activityId": activity.activity_id, "activityName": activity.activity_name,
                "activityType": activity.activity_type, "async": True, "jobId": queued.job_id}, user=self._user)
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

    async def _await_batch(self, run: _ActivityRun) -> list[ActivityResult]:
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
                    self._record_async(result)
        except BaseException:
            for task in waiting:
                task.cancel()
            raise
        run.pending = []
        return finished

    def _record_async(self, result: ActivityResult) -> None:
        activity = result.activity
        # retry_count is the number of retries after a success, the number of attempts after a failure.
        attempt = result.retry_count + 1 if result.success else max(1, result.retry_count)
        common = {"activityId": activity.activity_id, "activityName": activity.activity_name or activity.activity_type,
                  "async": True, "jobId": result.job_id, "attemptNumber": attempt}
        if result.success:
            self.state.completed_activities.append(CompletedActivity(activity.activity_id, activity.activity_name))
            self._log("ACTIVITY_COMPLETED", {**common, "executionTimeMs": result.execution_time_ms,
                                             "output": result.output})
        else:
            self._log("ACTIVITY_FAILED", {**common, "error": result.error, "errorStack": None,
                                          "executionTimeMs": result.execution_time_ms})

    async def _drain(self, run: _ActivityRun) -> None:
        """Async activities already started when a sync one failed still happen: wait for them, so
        their effects are recorded (and compensated) instead of forgotten."""
        if run.pending:
            await self._await_batch(run)

    # --- steps (§3.6) ----------------------------------------------------------------------

    async def _execute_step(self, step_id: str, trigger_data: Any) -> StepOutcome:
        step = self.compiled.step(step_id)
        if step is None:
            return StepOutcome("FAILED", f"Step not found in workflow definition: {step_id}")
        now = self.effects.now()
        record = StepRecord(id=self.effects.new_id(), step_id=step.step_id, step_name=step.step_name,
                            step_type=step.step_type, status="ACTIVE", entered_at=now, input_data=trigger_data)
        self._steps[record.id] = record
        self._log("STEP_ENTERED", {"stepId": step.step_id, "stepName": step.step_name, "stepType": step.step_type},
                  user=self._user, step_instance_id=record.id)
        handler = self._step_handlers().get(step.step_type)
        if handler is None:
            return self._step_failed(record, f"Step type not yet supported: {step.step_type}")
        status, output, error = await handler(step, record)
        if status == "FAILED":
            return self._step_failed(record, error or "Step execution failed", output)
        if status == "COMPLETED":
            exited = self.effects.now()
            record.status = "COMPLETED"
            record.output_data = output
            record.exited_at = exited
            record.execution_time_ms = _ms(exited - record.entered_at)
            self._steps[record.id] = record
            self._log("STEP_EXITED", {"stepId": step.step_id, "status": "COMPLETED",
                                      "executionTimeMs": record.execution_time_ms, "hasOutput": bool(output)},
                      step_instance_id=record.id)
        return StepOutcome(status)

    def _step_failed(self, record: StepRecord, error: str, details: Any = None) -> StepOutcome:
        record.status = "FAILED"
        record.error_data = {"error": error, "details": details}
        record.exited_at = self.effects.now()
        self._steps[record.id] = record
        self._log("STEP_FAILED", {"error": error}, step_instance_id=record.id)
        return StepOutcome("FAILED", error)

    def _step_handlers(self) -> dict[str, Callable[[Step, StepRecord], Any]]:
        return {"START": self._start_step, "END": self._end_step, "AUTOMATED": self._automated_step}

    async def _start_step(self, step: Step, record: StepRecord) -> tuple[str, Any, str | None]:
        return "COMPLETED", {"stepType": "START", "timestamp": _js_iso(self.effects.now())}, None

    async def _end_step(self, step: Step, record: StepRecord) -> tuple[str, Any, str | None]:
        return "COMPLETED", {"stepType": "END", "timestamp": _js_iso(self.effects.now()),
                             "finalContext": self.state.context}, None

    async def _automated_step(self, step: Step, record: StepRecord) -> tuple[str, Any, str | None]:
        state = self.state
        activities = step.activities or []
        if not activities:
            return "COMPLETED", {"stepType": "AUTOMATED", "timestamp": _js_iso(self.effects.now())}, None
        run = await self._run_activities(activities, dict(state.context), step_id=step.step_id, transition_id=None)
        failures = run.sync_failures
        if failures:
            await self._drain(run)
            message = "; ".join(f"{f.activity.activity_name or f.activity.activity_id}: {f.error}" for f in failures)
            details = {"failures": [{"activityId": f.activity.activity_id, "activityName": f.activity.activity_name,
                                     "error": f.error, "retryCount": f.retry_count} for f in failures]}
            return "FAILED", details, f"{len(failures)} activity(ies) failed: {message}"
        results = {r.activity.activity_id: r.output for r in run.results if not r.is_async and r.output is not None}
        if run.pending:
            # The reference let the loop run on past pending step activities; like a transition's
            # batch, the step waits for them (WAITING_FOR_ACTIVITIES), outputs under <activityId>_result.
            state.status = st.WAITING_FOR_ACTIVITIES
            state.paused_at = self.effects.now()
            finished = await self._await_batch(run)
            failed = [r for r in finished if not r.success]
            if failed:
                details = {"failures": [{"activityId": r.activity.activity_id, "error": r.error, "jobId": r.job_id}
                                        for r in failed]}
                return "FAILED", details, f"{len(failed)} async activities failed"
            outputs = {r.activity.activity_id: r.output for r in finished if r.output is not None}
            results.update(outputs)
            state.context = {**state.context, **{f"{key}_result": value for key, value in outputs.items()}}
            state.status = st.RUNNING
            self._log("WORKFLOW_RESUMED", {"reason": "All async activities completed",
                                           "completedActivities": len(finished)})
        return "COMPLETED", {"stepType": "AUTOMATED", "timestamp": _js_iso(self.effects.now()),
                             "activityResults": results, "activityCount": len(run.results)}, None

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
        row = self.state.row()
        if not self._events and not self._steps and row == self._projected:
            return
        self.state.projection_seq += 1
        events, steps = self._events, self._steps
        self._events, self._steps = [], {}
        batch = ProjectionBatch(
            tenant_id=self.state.tenant_id, organization_id=self.state.organization_id,
            instance_id=self.state.instance_id, seq=self.state.projection_seq, instance=row,
            steps=[record.row(self.state) for record in steps.values()], events=events,
            before_activity=before_activity,
        )
        try:
            await self.effects.project(batch)
        except BaseException:
            # Not written (or not known to be): keep it for the next write; the write is idempotent.
            self._events = events + self._events
            self._steps = {**steps, **self._steps}
            raise
        # A copy: the next comparison must see later changes of the context (always replaced, never
        # changed in place, but a shallow copy keeps this honest).
        self._projected = {**row, "context": dict(row["context"])}

    async def _finish(self) -> dict[str, Any]:
        """Resting point: project, and describe the execution as the reference's ExecutionResult."""
        await self._flush()
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
