"""`DefinitionWorkflow`: one Temporal workflow type runs every definition.

The definition is pinned in the input; the step machine (`engine._machine`) decides, and this shell
carries its effects out (`engine._effects`): definition activities through `run_activity` with the
definition's retry policy (short kinds as local activities, docs/workflows.md, "Local activities"), guards
and the SQL projection through local activities, WAIT as durable timers. People and systems act on a
running instance through Updates (advance, cancel, retry), each answered once the instance has reached its
next resting point and the projection shows it.

An instance whose history grows long (thousands of Updates, timers) continues as new at a resting point: the
next run of the same workflow id takes over its state (docs/workflows.md, "Long-lived instances").

Temporal replays this code on every worker restart. Any change of behaviour that running instances
could observe (which effect happens, in which order) goes behind a change id: runs already going ask
`workflow.patched("<change-id>")`, runs started from then on have it by their level (`engine._effects.CHANGE_LEVELS`),
and the replay test over `tests/engine/histories/` must stay green.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from engine import _state as st
from engine._definition import DefinitionError, compile_definition
from engine._effects import CONTINUE_AS_NEW_PATCH, Interrupted, TemporalEffects, cancelled, empty_definition, refuse
from engine._machine import EngineError, Machine
from engine._state import carry, new_state, restore
from engine.contract import (
    FAILED_RETENTION_SECONDS,
    QUERY_STATE,
    UPDATE_ADVANCE,
    UPDATE_CANCEL,
    UPDATE_CLAIM_TASK,
    UPDATE_COMPLETE_TASK,
    UPDATE_RETRY,
    UPDATE_SIGNAL,
    WORKFLOW_TYPE,
    Actor,
    AdvanceInput,
    ClaimTaskInput,
    CompleteTaskInput,
    SignalInput,
    StartInput,
    UpdateResult,
)

# Past this many history events (or when Temporal suggests it first), a resting run continues as new: far below
# Temporal's limits (50,000 events, 50 MB), so a run never approaches them. Runs whose history began before this
# change only do so once the patch marker is recorded (see `_continue_as_new_due`).
CONTINUE_AS_NEW_EVENTS = 10_000


# Outside Temporal's workflow sandbox. The sandbox re-imports a workflow's module for every instance it loads
# and runs every activation and every payload conversion through its import hooks: with the engine already
# passed through it (it guarded nothing of the engine: passed-through modules are not restricted), that cost
# ~6 ms of the worker's ~22 ms CPU per instance (docs/benchmarks.md, "Outside the sandbox"). Determinism rests
# on the rules the sandbox never checked here anyway: the `engine` package reads no clock, randomness,
# environment or files (tests/test_architecture.py) and every committed history replays (tests/engine).
@workflow.defn(name=WORKFLOW_TYPE, sandboxed=False)
class DefinitionWorkflow:
    @workflow.init
    def __init__(self, start: StartInput) -> None:
        invalid = None
        try:
            compiled = compile_definition(start.definition)
        except DefinitionError as error:
            compiled, invalid = empty_definition(), str(error)
        start_step = compiled.start_step.step_id if compiled.start_step else None
        if start.carried is not None:
            self._state = restore(start.carried)
        else:
            self._state = new_state(start, now=workflow.now(), start_step_id=start_step)
        self._start = start
        # Ends of SUB_WORKFLOW children, waiting for the machine (handled one at a time, under the lock).
        self._inbox: list[tuple[str, dict[str, Any]]] = []
        self._effects = TemporalEffects(on_child_done=lambda child, result: self._inbox.append((child, result)),
                                        level=start.engine_level)
        self._machine = Machine(compiled, self._state, self._effects, env=start.env, invalid_definition=invalid)
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
            if start.carried is not None:
                # A continued run: the instance rests where the previous run left it.
                self._machine.announce(resumed=True)
                self._began = self._started = True
            else:
                async with self._lock:
                    self._machine.announce(resumed=resumed)
                    self._began = True
                    try:
                        await self._exclusive(self._machine.start(resumed=resumed))
                    except Interrupted:
                        pass
                    self._started = True
            await self._rest()
        except (asyncio.CancelledError, ActivityError) as error:
            if not cancelled(error):
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
        """Wait while the instance can still be acted on (a FAILED one for the retention period), firing its
        timers when they are due and handing it its children's ends."""
        state, machine = self._state, self._machine
        while state.status not in st.ENDED:
            if state.status == st.FAILED:
                try:
                    await workflow.wait_condition(lambda: state.status != st.FAILED, timeout=self._retention)
                except TimeoutError:
                    if state.status == st.FAILED and not self._lock.locked():
                        return
                continue
            if self._inbox:
                child, result = self._inbox.pop(0)
                await self._operate(functools.partial(machine.child_finished, child, result))
                continue
            if self._continue_as_new_due():
                # Updates in flight finish in this run first (their callers get their answers from it).
                if workflow.all_handlers_finished() and not self._lock.locked():
                    workflow.continue_as_new(dataclasses.replace(self._start, carried=carry(state)))
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._lock.locked())
                continue
            deadline = machine.next_deadline()
            woken = functools.partial(self._woken, machine.changes)
            if deadline is None:
                await workflow.wait_condition(woken)
                continue
            delay = (deadline - workflow.now()).total_seconds()
            if delay > 0:
                try:
                    await workflow.wait_condition(woken, timeout=delay)
                    continue
                except TimeoutError:
                    pass
            await self._operate(machine.fire_due)

    def _continue_as_new_due(self) -> bool:
        """Whether the resting instance should continue in a new run: its history is long, and nothing this run
        alone can finish is under way. A SUB_WORKFLOW child reports its end to the run that started it (and
        is asked to cancel when that run closes), so a run waiting for a child keeps going until the child ends.
        A FAILED instance stays in its run for its retention period."""
        state = self._state
        if state.status not in st.CANCELLABLE or state.status == st.FAILED:
            return False
        waits = [state.wait, *(b.wait for b in state.branches if b.status in st.BRANCH_OPEN)]
        if any(wait is not None and wait.kind == "SUB_WORKFLOW" for wait in waits):
            return False
        info = workflow.info()
        limit = self._start.continue_as_new_events or CONTINUE_AS_NEW_EVENTS
        if not (info.is_continue_as_new_suggested() or info.get_current_history_length() >= limit):
            return False
        # Replaying a history recorded before this change, the run did not continue here: patched() is False
        # for it (and stays so for the rest of that run), True for every run that records the marker.
        return self._effects.has(CONTINUE_AS_NEW_PATCH)

    def _woken(self, seen: int) -> bool:
        """Something the rest loop must look at: a child ended, an operation moved the instance (its
        timers may have changed), or it ended or failed."""
        status = self._state.status
        return bool(self._inbox) or self._machine.changes != seen or status in st.ENDED or status == st.FAILED

    async def _operate(self, operation: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """A machine operation the workflow starts itself (a timer fired, a child ended)."""
        async with self._lock:
            if self._cancelling or self._state.status in st.ENDED:
                return
            try:
                await self._exclusive(operation())
            except Interrupted:
                pass

    async def _exclusive(self, operation: Coroutine[Any, Any, Any]) -> Any:
        """Run a machine operation as the task cancel may interrupt (the caller holds the lock)."""
        task = asyncio.ensure_future(operation)
        self._busy = task
        try:
            result = await task
        except (asyncio.CancelledError, ActivityError) as error:
            if self._cancelling and cancelled(error):
                raise Interrupted() from None
            raise
        finally:
            self._busy = None
        await self._effects.settle()  # nothing is owed, normally
        return result

    async def _update(self, operation: Callable[[], Coroutine[Any, Any, dict[str, Any]]],
                      check: Callable[[], None]) -> UpdateResult:
        await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            if self._cancelling:
                raise ApplicationError("Workflow is cancelled", type="WORKFLOW_CANCELLED", non_retryable=True)
            refuse(check)  # again: the state may have moved while the update waited for its turn
            try:
                extra = await self._exclusive(operation())
            except EngineError as error:
                raise ApplicationError(error.message, error.details, type=error.code, non_retryable=True) from None
            except Interrupted:
                raise ApplicationError("Workflow is cancelled", type="WORKFLOW_CANCELLED",
                                       non_retryable=True) from None
        return UpdateResult(instance=self._machine.snapshot(), extra=extra)

    @workflow.update(name=UPDATE_ADVANCE)
    async def advance(self, request: AdvanceInput) -> UpdateResult:
        return await self._update(lambda: self._machine.advance(request), self._machine.check_advance)

    @advance.validator
    def _validate_advance(self, request: AdvanceInput) -> None:
        refuse(self._machine.check_advance)

    @workflow.update(name=UPDATE_RETRY)
    async def retry(self, actor: Actor) -> UpdateResult:
        return await self._update(lambda: self._machine.retry(actor.user_id), self._machine.check_retry)

    @retry.validator
    def _validate_retry(self, actor: Actor) -> None:
        refuse(self._machine.check_retry)

    @workflow.update(name=UPDATE_CANCEL)
    async def cancel(self, actor: Actor) -> UpdateResult:
        """Stops whatever runs (activities, timers, async batches), then marks the
        instance CANCELLED."""
        await workflow.wait_condition(lambda: self._began)
        self._cancelling = True
        try:
            if self._busy is not None and not self._busy.done():
                self._busy.cancel()
            async with self._lock:
                refuse(self._machine.check_cancel)
                await self._machine.cancel(actor.user_id)
        finally:
            self._cancelling = False
        return UpdateResult(instance=self._machine.snapshot())

    @cancel.validator
    def _validate_cancel(self, actor: Actor) -> None:
        refuse(self._machine.check_cancel)

    @workflow.update(name=UPDATE_CLAIM_TASK)
    async def claim_task(self, request: ClaimTaskInput) -> UpdateResult:
        return await self._update(lambda: self._machine.claim_task(request),
                                  lambda: self._machine.check_claim(request))

    @claim_task.validator
    def _validate_claim(self, request: ClaimTaskInput) -> None:
        refuse(lambda: self._machine.check_claim(request))

    @workflow.update(name=UPDATE_COMPLETE_TASK)
    async def complete_task(self, request: CompleteTaskInput) -> UpdateResult:
        return await self._update(lambda: self._machine.complete_task(request),
                                  lambda: self._machine.check_complete(request))

    @complete_task.validator
    def _validate_complete(self, request: CompleteTaskInput) -> None:
        refuse(lambda: self._machine.check_complete(request))

    @workflow.update(name=UPDATE_SIGNAL)
    async def signal(self, request: SignalInput) -> UpdateResult:
        return await self._update(lambda: self._machine.signal(request),
                                  lambda: self._machine.check_signal(request))

    @signal.validator
    def _validate_signal(self, request: SignalInput) -> None:
        refuse(lambda: self._machine.check_signal(request))

    @workflow.query(name=QUERY_STATE)
    def state(self) -> dict[str, Any]:
        return self._machine.snapshot()
