"""Running a list of definition activities (of a transition, an AUTOMATED step, a compensation or an
escalation notice): sync ones in order, each output visible to the later ones; async ones started at once
and awaited as a batch. WAIT activities are durable timers in the workflow, not activities.

See docs/workflows.md, "Activities" and "Retries, timeouts, failure and compensation".
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from definitions import add_duration, parse_duration, parse_iso_datetime
from definitions.model import LOCAL_ACTIVITY_LIMIT_MS, LOCAL_ACTIVITY_TYPES, Activity
from engine._durations import js_iso, ms
from engine._instance import Instance
from engine._interpolate import Scope, interpolate
from engine._ports import ActivityCall, RetrySpec
from engine._state import CompletedActivity
from engine._token import Token
from engine.contract import RunActivityInput


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
        """Where a sync output lands in the context: activityName, else activityType."""
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
class ActivityRun:
    """The activities of one list: sync results in order, async ones still running."""

    results: list[ActivityResult] = field(default_factory=list)
    pending: list[tuple[ActivityResult, asyncio.Task[ActivityResult]]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def sync_failures(self) -> list[ActivityResult]:
        return [r for r in self.results if not r.success and not r.is_async]


def retry_spec(activity: Activity) -> RetrySpec:
    policy = activity.retry_policy
    if policy is None:
        return RetrySpec()
    return RetrySpec(policy.max_attempts, policy.initial_interval_ms, policy.backoff_coefficient,
                     policy.max_interval_ms)


def timeout_ms(activity: Activity) -> int | None:
    """The activity's own limit per attempt: `timeoutMs`, or `timeout` as a duration or a number of
    milliseconds (None: the shell's default applies)."""
    if activity.timeout_ms:
        return activity.timeout_ms
    if activity.timeout:
        text = activity.timeout.strip()
        if text.isdigit():
            return int(text) or None
        return ms(parse_duration(text)) or None
    return None


def runs_locally(activity: Activity) -> bool:
    """Whether the activity runs as a local activity (docs/workflows.md, "Local activities"): its `local`
    field, else its type when it is sync; never WAIT (a timer) nor an activity allowed longer attempts than
    a local activity may take."""
    if activity.activity_type == "WAIT":
        return False
    limit = timeout_ms(activity)
    if limit is not None and limit > LOCAL_ACTIVITY_LIMIT_MS:
        return False
    if activity.local is not None:
        return activity.local
    return activity.activity_type in LOCAL_ACTIVITY_TYPES and not activity.is_async


def wait_seconds(config: dict[str, Any], now: datetime) -> float:
    """The delay of a WAIT activity (docs/workflows.md, "WAIT"); ValueError with the message the instance
    fails with when the config is unusable."""
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


class Activities:
    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.state = instance.state
        self.effects = instance.effects
        self.journal = instance.journal

    def scope(self, context: dict[str, Any], token: Token) -> Scope:
        """What `{{...}}` placeholders in a config may read (docs/workflows.md, "Interpolation")."""
        state = self.state
        return Scope(context=context, env=self.instance.env, now=js_iso(self.effects.now()), workflow={
            "instanceId": state.instance_id, "tenantId": state.tenant_id, "organizationId": state.organization_id,
            "currentStepId": token.current_step_id, "workflowId": state.workflow_id, "version": state.version,
        })

    async def run(self, activities: Sequence[Activity], context: dict[str, Any], *, step_id: str | None,
                  transition_id: str | None, token: Token) -> ActivityRun:
        """In order; async ones start at once and keep running, a failing sync one stops the list.
        Each sync output is visible to the later activities under its name."""
        run = ActivityRun()
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

    async def _run_one(self, activity: Activity, context: dict[str, Any], run: ActivityRun, *,
                       step_id: str | None, transition_id: str | None, token: Token) -> bool:
        """Start or run one activity of a list; False when the list must stop (a sync failure)."""
        config = interpolate(activity.config, self.scope(context, token))
        if activity.is_async:
            queued = ActivityResult(activity, True, is_async=True, job_id=self.next_key(activity, token))
            self.journal.log("ACTIVITY_QUEUED", {
                "activityId": activity.activity_id, "activityName": activity.activity_name,
                "activityType": activity.activity_type, "async": True, "jobId": queued.job_id},
                user=self.instance.user, branch_instance_id=token.id)
            task = asyncio.ensure_future(self.execute(
                activity, config, dict(context), queued.job_id or "", step_id=step_id, transition_id=transition_id,
                is_async=True))
            run.results.append(queued)
            run.pending.append((queued, task))
            return True
        await self.journal.flush(before_activity=True)
        result = await self.execute(activity, config, context, self.next_key(activity, token),
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

    def next_key(self, activity: Activity, token: Token | None = None) -> str:
        """The idempotency key of the next execution of `activity` by `token` (None: the instance itself): the
        same on every replay and every re-run, new for every execution.

        A key names the execution's place: the run, the token (a parallel branch by its key), the activity,
        and how many times that token has executed that activity in this run. Nothing else goes in, in
        particular nothing that depends on the order in which concurrent work finished: a worker that dies
        before its workflow task completes has already done the effects of the local activities it ran, and
        the next worker, running them again, must arrive at the same keys even when parallel branches finish
        their activities in another order this time. (A counter over all of the instance's executions, what
        instances started before this change keep using, does not: two branches' activities swap numbers.)
        """
        state = self.state
        state.activity_counter += 1
        run = self.effects.key_run()
        if run is None:
            return f"{state.instance_id}:{state.retry_count}:{activity.activity_id}:{state.activity_counter}"
        branch = token.branch if token is not None else None
        position = activity.activity_id if branch is None else f"{branch.branch_key}/{activity.activity_id}"
        count = state.executions[position] = state.executions.get(position, 0) + 1
        return f"{state.instance_id}:{run}:{position}:{count}"

    async def execute(self, activity: Activity, config: Any, context: dict[str, Any], key: str, *,
                      step_id: str | None, transition_id: str | None, is_async: bool) -> ActivityResult:
        """One activity with all its attempts (the shell applies the retry policy)."""
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
                                  execution_time_ms=ms(self.effects.now() - started))
        state = self.state
        call = ActivityCall(
            input=RunActivityInput(
                instance_id=state.instance_id, tenant_id=state.tenant_id, organization_id=state.organization_id,
                user_id=self.instance.user, activity_id=activity.activity_id, activity_type=activity.activity_type,
                activity_name=activity.activity_name or activity.activity_type,
                config=config if isinstance(config, dict) else {}, context=context, idempotency_key=key,
                timeout_ms=timeout_ms(activity), workflow_id=state.workflow_id, definition_id=state.definition_id,
                initiated_by=state.initiated_by, step_id=step_id, transition_id=transition_id,
            ),
            retry=retry_spec(activity), timeout_ms=timeout_ms(activity), local=runs_locally(activity),
            local_by_default=activity.local is None,
        )
        outcome = await self.effects.run_activity(call)
        elapsed = ms(self.effects.now() - started)
        if outcome.ok:
            return ActivityResult(activity, True, outcome.output, retry_count=max(0, outcome.attempts - 1),
                                  execution_time_ms=elapsed, is_async=is_async, job_id=key if is_async else None)
        message = f"Activity failed after {outcome.attempts} attempts: {outcome.error}"
        return ActivityResult(activity, False, error=message, retry_count=outcome.attempts, execution_time_ms=elapsed,
                              is_async=is_async, job_id=key if is_async else None)

    async def await_batch(self, run: ActivityRun, token: Token) -> list[ActivityResult]:
        """Wait for every async activity of the batch, recording each as it finishes."""
        finished: list[ActivityResult] = []
        order = [task for _, task in run.pending]
        waiting: set[asyncio.Task[ActivityResult]] = set(order)
        try:
            await self.journal.flush()
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

    def _record_async(self, result: ActivityResult, token: Token) -> None:
        activity = result.activity
        # retry_count is the number of retries after a success, the number of attempts after a failure.
        attempt = result.retry_count + 1 if result.success else max(1, result.retry_count)
        common = {"activityId": activity.activity_id, "activityName": activity.activity_name or activity.activity_type,
                  "async": True, "jobId": result.job_id, "attemptNumber": attempt}
        if result.success:
            self.state.completed_activities.append(CompletedActivity(activity.activity_id, activity.activity_name))
            self.journal.log("ACTIVITY_COMPLETED", {**common, "executionTimeMs": result.execution_time_ms,
                                                    "output": result.output}, branch_instance_id=token.id)
        else:
            self.journal.log("ACTIVITY_FAILED", {**common, "error": result.error, "errorStack": None,
                                                 "executionTimeMs": result.execution_time_ms},
                             branch_instance_id=token.id)

    async def drain(self, run: ActivityRun, token: Token) -> None:
        """Async activities already started when a sync one failed still happen: wait for them, so
        their effects are recorded (and compensated) instead of forgotten."""
        if run.pending:
            await self.await_batch(run, token)
