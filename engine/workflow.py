"""`DefinitionWorkflow`: one Temporal workflow type runs every definition.

The definition is pinned in the input; the step machine (`engine._machine`) decides, and this shell
carries its effects out: definition activities through `run_activity` with the definition's retry
policy, guards and the SQL projection through local activities, WAIT as durable timers. People and
systems act on a running instance through Updates (advance, cancel, retry), each answered once the
instance has reached its next resting point and the projection shows it.

Temporal replays this code on every worker restart. Any change of behaviour that running instances
could observe (which effect happens, in which order) goes behind `workflow.patched("<change-id>")`,
and the replay test over `tests/engine/histories/` must stay green.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, RetryState
from temporalio.exceptions import CancelledError as TemporalCancelledError
from temporalio.exceptions import TimeoutError as ActivityTimeoutError

with workflow.unsafe.imports_passed_through():
    from definitions import Definition
    from engine import _state as st
    from engine._definition import CompiledDefinition, DefinitionError, compile_definition
    from engine._machine import ActivityCall, ActivityOutcome, EngineError, Machine
    from engine._state import new_state
    from engine.contract import (
        ACTIVITY_EVALUATE_GUARD,
        ACTIVITY_PROJECT,
        ACTIVITY_RUN,
        FAILED_RETENTION_SECONDS,
        HTTP_4XX,
        QUERY_STATE,
        UPDATE_ADVANCE,
        UPDATE_CANCEL,
        UPDATE_RETRY,
        WORKFLOW_TYPE,
        Actor,
        AdvanceInput,
        GuardInput,
        GuardResult,
        ProjectionBatch,
        StartInput,
        UpdateResult,
    )

# An attempt of an activity without a timeout of its own. Past it the worker is presumed gone (crash,
# restart) and the same execution is tried again, with the same idempotency key, without counting
# against the definition's retry policy.
DEFAULT_ACTIVITY_TIMEOUT = timedelta(seconds=60)
INFRASTRUCTURE_RETRIES = 10
LOCAL_ACTIVITY_TIMEOUT = timedelta(seconds=30)
# The projection must land eventually: retried until the database answers.
PROJECTION_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10))
GUARD_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=3)


def _retry_policy(call: ActivityCall) -> RetryPolicy:
    """The definition's retryPolicy (spec §3.5) as Temporal's; 4xx answers are never retried."""
    spec = call.retry
    initial = max(1, spec.initial_interval_ms)
    return RetryPolicy(
        maximum_attempts=max(1, spec.max_attempts),
        initial_interval=timedelta(milliseconds=initial),
        backoff_coefficient=max(1.0, spec.backoff_coefficient),
        maximum_interval=timedelta(milliseconds=max(initial, spec.max_interval_ms)) if spec.max_interval_ms else None,
        non_retryable_error_types=[HTTP_4XX],
    )


def _cancelled(error: BaseException) -> bool:
    """An await that ended because we cancelled it (a cancelled activity surfaces as an ActivityError)."""
    return isinstance(error, asyncio.CancelledError) or (
        isinstance(error, ActivityError) and isinstance(error.cause, TemporalCancelledError))


def _failure(error: ActivityError, call: ActivityCall) -> ActivityOutcome:
    cause = error.cause
    attempts = 1
    if isinstance(cause, ApplicationError):
        message = cause.message
        detail = cause.details[0] if cause.details else None
        if isinstance(detail, dict) and isinstance(detail.get("attempt"), int):
            attempts = detail["attempt"]
    elif isinstance(cause, ActivityTimeoutError):
        limit = call.timeout_ms or int(DEFAULT_ACTIVITY_TIMEOUT.total_seconds() * 1000)
        message = f"Activity execution timeout after {limit}ms"
    else:
        message = str(cause or error)
    if error.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED:
        attempts = max(attempts, call.retry.max_attempts)
    return ActivityOutcome(False, error=message, attempts=attempts)


class TemporalEffects:
    """The machine's effects as Temporal commands."""

    def now(self) -> datetime:
        return workflow.now()

    def new_id(self) -> str:
        return str(workflow.uuid4())

    async def run_activity(self, call: ActivityCall) -> ActivityOutcome:
        timeout = timedelta(milliseconds=call.timeout_ms) if call.timeout_ms else DEFAULT_ACTIVITY_TIMEOUT
        for infrastructure_retry in range(INFRASTRUCTURE_RETRIES + 1):
            try:
                output = await workflow.execute_activity(
                    ACTIVITY_RUN, call.input, start_to_close_timeout=timeout, retry_policy=_retry_policy(call),
                    result_type=dict, summary=f"{call.input.activity_type} {call.input.activity_id}",
                )
                return ActivityOutcome(True, output)
            except ActivityError as error:
                if _cancelled(error):
                    raise
                lost = isinstance(error.cause, ActivityTimeoutError) and call.timeout_ms is None
                if lost and infrastructure_retry < INFRASTRUCTURE_RETRIES:
                    continue
                return _failure(error, call)
        raise AssertionError("unreachable")

    async def sleep(self, seconds: float) -> None:
        await workflow.sleep(seconds)

    async def evaluate_guard(self, guard: GuardInput) -> GuardResult:
        try:
            return await workflow.execute_local_activity(
                ACTIVITY_EVALUATE_GUARD, guard, result_type=GuardResult,
                start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT, retry_policy=GUARD_RETRY,
            )
        except ActivityError as error:
            if _cancelled(error):
                raise
            # The rules service could not answer: the guard counts as failed, with the reason.
            cause = error.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(cause or error)
            return GuardResult(guard.rule_id, None, False, f"Rule evaluation failed: {message}")

    async def project(self, batch: ProjectionBatch) -> None:
        await workflow.execute_local_activity(
            ACTIVITY_PROJECT, batch, start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT, retry_policy=PROJECTION_RETRY,
        )


class _Interrupted(Exception):
    """A machine operation stopped because the instance is being cancelled."""


def _refuse(check: Callable[[], None]) -> None:
    """Run a machine check; its refusal becomes the ApplicationError the API renders."""
    try:
        check()
    except EngineError as error:
        raise ApplicationError(error.message, error.details, type=error.code, non_retryable=True) from None


def _empty_definition() -> CompiledDefinition:
    return CompiledDefinition(definition=Definition.model_construct(steps=[], transitions=[]), steps={}, outgoing={})


@workflow.defn(name=WORKFLOW_TYPE)
class DefinitionWorkflow:
    @workflow.init
    def __init__(self, start: StartInput) -> None:
        invalid = None
        try:
            compiled = compile_definition(start.definition)
        except DefinitionError as error:
            compiled, invalid = _empty_definition(), str(error)
        start_step = compiled.start_step.step_id if compiled.start_step else None
        self._state = new_state(start, now=workflow.now(), start_step_id=start_step)
        self._machine = Machine(compiled, self._state, TemporalEffects(), env=start.env, invalid_definition=invalid)
        self._retention = timedelta(seconds=start.failed_retention_seconds or FAILED_RETENTION_SECONDS)
        # One machine operation at a time; `_busy` is the running one, which cancel may interrupt.
        self._lock = asyncio.Lock()
        self._busy: asyncio.Task[Any] | None = None
        self._cancelling = False
        # Handlers may run before `run` does: updates wait for the first run to finish, cancel only
        # for it to begin (that is what it may have to stop).
        self._began = False
        self._started = False

    @workflow.run
    async def run(self, start: StartInput) -> dict[str, Any]:
        resumed = start.resume_step_id is not None
        try:
            async with self._lock:
                self._machine.announce(resumed=resumed)
                self._began = True
                try:
                    await self._exclusive(self._machine.start(resumed=resumed))
                except _Interrupted:
                    pass
                self._started = True
            await self._rest()
        except (asyncio.CancelledError, ActivityError) as error:
            if not _cancelled(error):
                raise
            # Cancelled from outside (Temporal UI or CLI): record it as the cancel update would.
            if self._state.status in st.CANCELLABLE:
                if self._busy is not None:
                    self._busy.cancel()
                await self._machine.cancel(None)
            raise asyncio.CancelledError() from None
        await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._lock.locked())
        return self._machine.snapshot()

    async def _rest(self) -> None:
        """Wait while the instance can still be acted on; a FAILED one for the retention period."""
        state = self._state
        while state.status not in st.ENDED:
            if state.status == st.FAILED:
                try:
                    await workflow.wait_condition(lambda: state.status != st.FAILED, timeout=self._retention)
                except TimeoutError:
                    if state.status == st.FAILED and not self._lock.locked():
                        return
            else:
                await workflow.wait_condition(lambda: state.status in st.ENDED or state.status == st.FAILED)

    async def _exclusive(self, operation: Coroutine[Any, Any, Any]) -> Any:
        """Run a machine operation as the task cancel may interrupt (the caller holds the lock)."""
        task = asyncio.ensure_future(operation)
        self._busy = task
        try:
            return await task
        except (asyncio.CancelledError, ActivityError) as error:
            if self._cancelling and _cancelled(error):
                raise _Interrupted() from None
            raise
        finally:
            self._busy = None

    async def _update(self, operation: Callable[[], Coroutine[Any, Any, dict[str, Any]]],
                      check: Callable[[], None]) -> UpdateResult:
        await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            if self._cancelling:
                raise ApplicationError("Workflow is cancelled", type="WORKFLOW_CANCELLED", non_retryable=True)
            _refuse(check)  # again: the state may have moved while the update waited for its turn
            try:
                extra = await self._exclusive(operation())
            except EngineError as error:
                raise ApplicationError(error.message, error.details, type=error.code, non_retryable=True) from None
            except _Interrupted:
                raise ApplicationError("Workflow is cancelled", type="WORKFLOW_CANCELLED",
                                       non_retryable=True) from None
        return UpdateResult(instance=self._machine.snapshot(), extra=extra)

    @workflow.update(name=UPDATE_ADVANCE)
    async def advance(self, request: AdvanceInput) -> UpdateResult:
        return await self._update(lambda: self._machine.advance(request), self._machine.check_advance)

    @advance.validator
    def _validate_advance(self, request: AdvanceInput) -> None:
        _refuse(self._machine.check_advance)

    @workflow.update(name=UPDATE_RETRY)
    async def retry(self, actor: Actor) -> UpdateResult:
        return await self._update(lambda: self._machine.retry(actor.user_id), self._machine.check_retry)

    @retry.validator
    def _validate_retry(self, actor: Actor) -> None:
        _refuse(self._machine.check_retry)

    @workflow.update(name=UPDATE_CANCEL)
    async def cancel(self, actor: Actor) -> UpdateResult:
        """DECISIONS Workflows 6: stops whatever runs (activities, timers, async batches), then marks the
        instance CANCELLED."""
        await workflow.wait_condition(lambda: self._began)
        self._cancelling = True
        try:
            if self._busy is not None and not self._busy.done():
                self._busy.cancel()
            async with self._lock:
                _refuse(self._machine.check_cancel)
                await self._machine.cancel(actor.user_id)
        finally:
            self._cancelling = False
        return UpdateResult(instance=self._machine.snapshot())

    @cancel.validator
    def _validate_cancel(self, actor: Actor) -> None:
        _refuse(self._machine.check_cancel)

    @workflow.query(name=QUERY_STATE)
    def state(self) -> dict[str, Any]:
        return self._machine.snapshot()
