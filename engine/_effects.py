"""The step machine's effects as Temporal commands, for `DefinitionWorkflow` (engine/workflow.py).

Everything here runs inside the workflow and must stay deterministic (no I/O, clock or randomness): the
workflow runs outside Temporal's sandbox (engine/workflow.py says why), so nothing but these rules and the
replay tests keeps it so.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError, FailureError, RetryState
from temporalio.exceptions import CancelledError as TemporalCancelledError
from temporalio.exceptions import TimeoutError as ActivityTimeoutError

from definitions import Definition
from definitions.model import LOCAL_ACTIVITY_LIMIT_MS
from engine._definition import CompiledDefinition
from engine._ports import ActivityCall, ActivityOutcome, EngineError, ScopeCounts
from engine.contract import (
    ACTIVITY_EVALUATE_GUARD,
    ACTIVITY_PROJECT,
    ACTIVITY_RESOLVE_CHILD,
    ACTIVITY_RUN,
    HTTP_4XX,
    PROJECTED,
    WORKFLOW_TYPE,
    GuardInput,
    GuardResult,
    ProjectionBatch,
    ResolveChildInput,
    ResolvedChild,
    RunActivityInput,
    StartInput,
)

# An attempt of an activity without a timeout of its own. Past it the worker is presumed gone (crash,
# restart) and the same execution is tried again, with the same idempotency key, without counting
# against the definition's retry policy.
DEFAULT_ACTIVITY_TIMEOUT = timedelta(seconds=60)
INFRASTRUCTURE_RETRIES = 10
LOCAL_ACTIVITY_TIMEOUT = timedelta(seconds=30)
# An attempt of a definition activity run locally without a timeout of its own: the longest a local
# activity may take (definitions.model.LOCAL_ACTIVITY_LIMIT_MS). Unlike a regular activity's, reaching it is
# a failure of the attempt: the worker running it is the one waiting for it, so it is not lost.
LOCAL_RUN_TIMEOUT = timedelta(milliseconds=LOCAL_ACTIVITY_LIMIT_MS)
# Definition activities of the local kinds run as local activities from this change on; instances whose
# history began before it keep running them as regular activities (their replay must see the same commands).
LOCAL_ACTIVITIES_PATCH = "local-activities"
# Instances started while it was the newest change run an activity locally only when its definition says
# `local: true` (a durability test failure was taken for a second webhook key; it was the test's receiver, see
# tests/engine/test_durability.py). Instances that started before it keep local-by-type.
LOCAL_OPT_IN_PATCH = "local-activities-opt-in"
# Instances started from here on key their executions by position (`Activities.next_key`) and run the local
# kinds locally by type again; those that started before keep their counter keys and their local rule.
POSITION_KEYS_PATCH = "activity-keys-by-position"
# A resting run whose history grew long continues as new (engine/workflow.py); runs whose history began before
# this change only do so once the patch marker is recorded.
CONTINUE_AS_NEW_PATCH = "continue-as-new"
# The level from which a run has a change from its start (StartInput.engine_level), without asking
# `workflow.patched`: each patched() that a run calls for the first time costs it a marker and an upsert of the
# TemporalChangeVersion search attribute, which the server writes to its visibility store (about 1 ms of the dev
# server's CPU per instance: docs/benchmarks.md, the "every engine change by their level" row). Runs below a
# change's level (those started before levels: 0) ask patched() as before, so their histories replay unchanged.
# A new change gets a patch id for the runs already going and a level, ENGINE_LEVEL + 1, which ENGINE_LEVEL then
# becomes.
# Ids of rows and events named by their place (`TemporalEffects.new_id`) instead of drawn from the run's random
# sequence: a worker that dies before its workflow task completes has already written the projection its local
# activities carried, and the next worker, whose parallel branches may finish in another order, must name the
# same rows and events the same way (drawn in turn, two branches' ids swapped: one event written twice and the
# other never). Runs started before keep drawing theirs.
IDS_BY_SCOPE_PATCH = "ids-by-scope"
# Guard evaluations keyed by run, scope and count (`Transitions._evaluate_guard`) instead of a count over the whole
# instance, for the same reason: the guard activity is local, and the key finds the verdict of an evaluation that
# already ran, so two branches' guards whose keys swapped would each get the other's verdict.
GUARD_KEYS_BY_SCOPE_PATCH = "guard-keys-by-scope"
CHANGE_LEVELS = {LOCAL_ACTIVITIES_PATCH: 1, LOCAL_OPT_IN_PATCH: 1, POSITION_KEYS_PATCH: 1, CONTINUE_AS_NEW_PATCH: 1,
                 IDS_BY_SCOPE_PATCH: 2, GUARD_KEYS_BY_SCOPE_PATCH: 3}
# Names the ids of IDS_BY_SCOPE_PATCH (uuid5 of the run, the scope and the count).
ID_NAMESPACE = UUID("6f1d6a8e-3c55-4b8e-9a51-6d0b1f2c7e90")
# The projection must land eventually: retried until the database answers.
PROJECTION_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10))
# Largest projection batch (JSON) an activity carries; a larger one is written by the local activity.
MAX_CARRIED_BYTES = 32 * 1024
# Guards and sub-workflow lookups answer with a value (the rule's verdict, the definition or why it cannot start);
# an exception means the database could not answer, and it is retried until it does (an outage is not a "no").
GUARD_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10))


def retry_policy(call: ActivityCall) -> RetryPolicy:
    """The definition's retryPolicy as Temporal's (docs/workflows.md, "Retries, timeouts, failure and compensation");
    4xx answers are never retried."""
    spec = call.retry
    initial = max(1, spec.initial_interval_ms)
    return RetryPolicy(
        maximum_attempts=max(1, spec.max_attempts),
        initial_interval=timedelta(milliseconds=initial),
        backoff_coefficient=max(1.0, spec.backoff_coefficient),
        maximum_interval=timedelta(milliseconds=max(initial, spec.max_interval_ms)) if spec.max_interval_ms else None,
        non_retryable_error_types=[HTTP_4XX],
    )


def cancelled(error: BaseException) -> bool:
    """An await that ended because we cancelled it (a cancelled activity surfaces as an ActivityError)."""
    return isinstance(error, asyncio.CancelledError) or (
        isinstance(error, ActivityError) and isinstance(error.cause, TemporalCancelledError))


def failure(error: ActivityError, call: ActivityCall) -> ActivityOutcome:
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


def local_failure(cause: BaseException | None, call: ActivityCall) -> ActivityOutcome:
    """`failure` for a local activity, whose error carries no retry state: a retryable failure that still
    ended the execution used up the retry policy's attempts."""
    attempts = call.retry.max_attempts
    if isinstance(cause, ApplicationError):
        message = cause.message
        detail = cause.details[0] if cause.details else None
        if isinstance(detail, dict) and isinstance(detail.get("attempt"), int):
            attempts = detail["attempt"]
        elif cause.non_retryable or cause.type == HTTP_4XX:
            attempts = 1
    elif isinstance(cause, ActivityTimeoutError):
        message = f"Activity execution timeout after {call.timeout_ms or LOCAL_ACTIVITY_LIMIT_MS}ms"
    else:
        message = str(cause)
    return ActivityOutcome(False, error=message, attempts=max(1, attempts))


class TemporalEffects:
    """The machine's effects as Temporal commands.

    A projection batch written right before a sync activity (`before_activity`) travels with that activity
    (`RunActivityInput.projection`: the worker writes it, then runs the handler) instead of costing a local
    activity of its own: same order (written before the side effect), one local activity round trip and
    history marker less per step. What the activity does not confirm it wrote (it failed, was cancelled,
    or its worker ignores the field) is written with the local activity before anything else.
    """

    def __init__(self, on_child_done: Callable[[str, dict[str, Any]], None] | None = None, *, level: int = 0) -> None:
        self._level = level
        # The batch the next activity carries; batches to write before anything else, in order.
        self._carry: ProjectionBatch | None = None
        self._owed: list[ProjectionBatch] = []
        # SUB_WORKFLOW children by instance id; their ends are handed to `on_child_done` (the shell queues
        # them for the machine).
        self._children: dict[str, workflow.ChildWorkflowHandle[Any, Any]] = {}
        self._on_child_done = on_child_done
        # Ids given so far in this run, by scope (new_id).
        self._ids = ScopeCounts()

    def now(self) -> datetime:
        return workflow.now()

    def new_id(self) -> str:
        if not self.has(IDS_BY_SCOPE_PATCH):
            return str(workflow.uuid4())
        scope, count = self._ids.next()
        # The run id alone tells runs (and so instances) apart; a new run (a continue-as-new) counts from 1 again.
        return str(uuid5(ID_NAMESPACE, f"{workflow.info().run_id}:{scope}:{count}"))

    def has(self, change: str) -> bool:
        """Whether this run has `change`: from its start by its level, else as `workflow.patched` says."""
        return self._level >= CHANGE_LEVELS[change] or workflow.patched(change)

    def key_run(self) -> str | None:
        # The run id: keys of a new run (a retry after the workflow ended, a continue-as-new) never meet
        # those of an earlier one, even when the counts start over.
        return workflow.info().run_id if self.has(POSITION_KEYS_PATCH) else None

    def guard_key_run(self) -> str | None:
        return workflow.info().run_id if self.has(GUARD_KEYS_BY_SCOPE_PATCH) else None

    async def run_activity(self, call: ActivityCall) -> ActivityOutcome:
        carry, self._carry = self._carry, None
        try:
            outcome, confirmed = await self._execute(call, carry)
        except BaseException:
            if carry is not None:  # cancelled: the next write pays it
                self._owed.append(carry)
            raise
        if carry is not None and not confirmed:
            self._owed.append(carry)
        await self._pay()
        return outcome

    async def _execute(self, call: ActivityCall, carry: ProjectionBatch | None) -> tuple[ActivityOutcome, bool]:
        """The activity's outcome, and whether it confirmed writing `carry`."""
        arg = call.input if carry is None else dataclasses.replace(call.input, projection=carry)
        if call.local and self._local_allowed(call):
            return await self._execute_local(call, arg, carry)
        timeout = timedelta(milliseconds=call.timeout_ms) if call.timeout_ms else DEFAULT_ACTIVITY_TIMEOUT
        for infrastructure_retry in range(INFRASTRUCTURE_RETRIES + 1):
            try:
                output = await workflow.execute_activity(
                    ACTIVITY_RUN, arg, start_to_close_timeout=timeout, retry_policy=retry_policy(call),
                    result_type=dict, summary=f"{call.input.activity_type} {call.input.activity_id}",
                )
            except ActivityError as error:
                if cancelled(error):
                    raise
                lost = isinstance(error.cause, ActivityTimeoutError) and call.timeout_ms is None
                if lost and infrastructure_retry < INFRASTRUCTURE_RETRIES:
                    continue
                # Whether a failed execution wrote its batch is unknown: it is written again (idempotent).
                return failure(error, call), False
            return _succeeded(output, carry)
        raise AssertionError("unreachable")

    async def _execute_local(self, call: ActivityCall, arg: RunActivityInput,
                             carry: ProjectionBatch | None) -> tuple[ActivityOutcome, bool]:
        """The same execution as a local activity: run by this worker within the instance's workflow task,
        its result recorded as a marker, with the definition's retry policy and timeout. A worker that dies
        before the workflow task completes leaves no marker: the next worker runs it again with the same
        idempotency key (docs/workflows.md, "Local activities")."""
        timeout = timedelta(milliseconds=call.timeout_ms) if call.timeout_ms else LOCAL_RUN_TIMEOUT
        try:
            output = await workflow.execute_local_activity(
                ACTIVITY_RUN, arg, start_to_close_timeout=timeout, retry_policy=retry_policy(call),
                result_type=dict, summary=f"{call.input.activity_type} {call.input.activity_id}",
            )
        except (ActivityError, FailureError) as error:
            # A local activity's failure arrives as its cause itself (no ActivityError around it, no retry
            # state): cancellation is turned into the cancellation every await of the machine expects.
            cause = error.cause if isinstance(error, ActivityError) else error
            if isinstance(cause, TemporalCancelledError):
                raise asyncio.CancelledError() from None
            return local_failure(cause, call), False
        return _succeeded(output, carry)

    def _local_allowed(self, call: ActivityCall) -> bool:
        """Whether this instance runs a local-kind activity locally, by when it started: before local activities
        never; then by type; then (opt-in) only when its definition said `local: true`; since position keys by
        type again. The patch asked first is the newest, so a new instance records one marker for it (none
        from level 1 on)."""
        if self.has(POSITION_KEYS_PATCH):
            return True
        if not self.has(LOCAL_ACTIVITIES_PATCH):
            return False
        return not (call.local_by_default and self.has(LOCAL_OPT_IN_PATCH))

    async def sleep(self, seconds: float) -> None:
        await self._pay()
        await workflow.sleep(seconds)

    async def evaluate_guard(self, guard: GuardInput) -> GuardResult:
        await self._pay()
        try:
            return await workflow.execute_local_activity(
                ACTIVITY_EVALUATE_GUARD, guard, result_type=GuardResult,
                start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT, retry_policy=GUARD_RETRY,
            )
        except (ActivityError, FailureError) as error:
            # A local activity's failure arrives as its cause (see `_execute_local`); with GUARD_RETRY only a
            # cancellation ends it before it answers.
            cause = error.cause if isinstance(error, ActivityError) else error
            if isinstance(cause, TemporalCancelledError):
                raise asyncio.CancelledError() from None
            raise

    async def project(self, batch: ProjectionBatch) -> None:
        await self._pay()
        if batch.before_activity and _small(batch):
            self._carry = batch
            return
        await self._write(batch)

    async def resolve_child(self, request: ResolveChildInput) -> ResolvedChild:
        await self._pay()
        try:
            return await workflow.execute_local_activity(
                ACTIVITY_RESOLVE_CHILD, request, result_type=ResolvedChild,
                start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT, retry_policy=GUARD_RETRY,
            )
        except (ActivityError, FailureError) as error:
            cause = error.cause if isinstance(error, ActivityError) else error
            if isinstance(cause, TemporalCancelledError):
                raise asyncio.CancelledError() from None
            raise

    async def start_child(self, start: StartInput) -> None:
        """The child is an instance of its own (own row, own workflow id = its instance id); cancelling the
        parent's run asks it to cancel too."""
        await self._pay()
        handle = await workflow.start_child_workflow(
            WORKFLOW_TYPE, start, id=start.instance_id, task_queue=workflow.info().task_queue,
            parent_close_policy=workflow.ParentClosePolicy.REQUEST_CANCEL, result_type=dict,
            static_summary=f"SUB_WORKFLOW {start.workflow_id}",
        )
        self._children[start.instance_id] = handle
        asyncio.ensure_future(self._watch(start.instance_id, handle))

    async def _watch(self, child_id: str, handle: workflow.ChildWorkflowHandle[Any, Any]) -> None:
        try:
            result: dict[str, Any] = await handle
        except ChildWorkflowError as error:
            # Cancelled, terminated or timed out from outside: an end the parent cannot use.
            cause = error.cause
            status = "CANCELLED" if isinstance(cause, TemporalCancelledError) else "FAILED"
            result = {"status": status, "errorMessage": str(cause or error)}
        except asyncio.CancelledError:
            return
        finally:
            self._children.pop(child_id, None)
        if self._on_child_done is not None:
            self._on_child_done(child_id, result)

    def cancel_child(self, child_id: str) -> None:
        handle = self._children.pop(child_id, None)
        if handle is not None and not handle.done():
            handle.cancel()

    def cancelled(self, error: BaseException) -> bool:
        return cancelled(error)

    async def settle(self) -> None:
        """Write whatever is still owed (the end of a machine operation)."""
        await self._pay()

    async def _pay(self) -> None:
        """Write, in order, what an activity was to carry but did not confirm (or never ran to carry)."""
        if self._carry is not None:
            self._owed.append(self._carry)
            self._carry = None
        while self._owed:
            batch = self._owed.pop(0)
            try:
                await self._write(batch)
            except BaseException:
                self._owed.insert(0, batch)
                raise

    async def _write(self, batch: ProjectionBatch) -> None:
        await workflow.execute_local_activity(
            ACTIVITY_PROJECT, batch, start_to_close_timeout=LOCAL_ACTIVITY_TIMEOUT, retry_policy=PROJECTION_RETRY,
        )


def _succeeded(output: Any, carry: ProjectionBatch | None) -> tuple[ActivityOutcome, bool]:
    """A run_activity answer: the output, and whether the activity confirmed writing `carry`."""
    if carry is not None and isinstance(output, dict) and PROJECTED in output:
        return ActivityOutcome(True, output.get("output")), bool(output[PROJECTED])
    return ActivityOutcome(True, output), False


def _small(batch: ProjectionBatch) -> bool:
    """An activity's input is kept in the workflow's history (a local activity's is not): only small batches
    travel with it."""
    return len(json.dumps(batch.__dict__, separators=(",", ":"), default=str)) <= MAX_CARRIED_BYTES


class Interrupted(Exception):
    """A machine operation stopped because the instance is being cancelled."""


def refuse(check: Callable[[], None]) -> None:
    """Run a machine check; its refusal becomes the ApplicationError the API renders."""
    try:
        check()
    except EngineError as error:
        raise ApplicationError(error.message, error.details, type=error.code, non_retryable=True) from None


def empty_definition() -> CompiledDefinition:
    return CompiledDefinition(definition=Definition.model_construct(steps=[], transitions=[]), steps={}, outgoing={})
