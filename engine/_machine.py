"""The step machine: the public operations on one instance (start, run, advance, retry, cancel, tasks,
signals, timers, children) and the loop that moves the instance from step to step, as plain async Python.

It decides and records; everything with an effect goes through `Effects` (activities, guards, the
projection, the clock and ids), so it runs unchanged inside the Temporal workflow and in tests with an
in-memory double. Each public operation ends at a resting point with the projection written. The parts
it is built from each have a module: the journal (engine/_journal.py), tokens (engine/_token.py),
activities, steps and their kinds, transitions, tasks, waits, branches and failure.

Temporal replays this code on every worker restart: keep the order of effects stable, and put any
change of behaviour for running instances behind `workflow.patched(...)` in the shell.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine import _state as st
from engine._activities import Activities
from engine._branches import Branches
from engine._definition import ALL_TRIGGERS, AUTO, CompiledDefinition
from engine._durations import ms
from engine._failure import Failure
from engine._instance import Instance
from engine._ports import Effects, EngineError
from engine._state import InstanceState
from engine._step_kinds import StepKinds
from engine._steps import Steps
from engine._tasks import Tasks
from engine._token import Token
from engine._transitions import MAX_ITERATIONS, Transitions
from engine._waits import Waits
from engine.contract import AdvanceInput, ClaimTaskInput, CompleteTaskInput, SignalInput, started_event_key


class Machine:
    def __init__(self, compiled: CompiledDefinition, state: InstanceState, effects: Effects, *,
                 env: dict[str, str] | None = None, invalid_definition: str | None = None,
                 on_select: Callable[[str | None, frozenset[str] | None, list[Any]], None] | None = None) -> None:
        self.compiled = compiled
        self.state = state
        self.effects = effects
        self.env = dict(env or {})
        self.invalid_definition = invalid_definition
        instance = self._instance = Instance(compiled, state, effects, self.env)
        instance.on_select = on_select
        self._journal = instance.journal
        activities = Activities(instance)
        self._failure = Failure(instance, activities)
        self._steps = Steps(instance, StepKinds(instance, activities))
        self._transitions = Transitions(instance, activities, self._steps)
        self._tasks = Tasks(instance, activities, self._steps)
        self._waits = Waits(instance, self._tasks, self._steps, self._transitions, resume=self._resume,
                            fail_token=self._fail_token)
        self._branches = Branches(instance, self._transitions, self._steps, self._failure, self._waits, self._tasks)
        self._announced = False
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
            self._journal.log("WORKFLOW_STARTED", {
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
            await self._failure.fail(self.invalid_definition, compensate=False)
        elif not resumed and self.compiled.start_step is None:
            await self._failure.fail("Workflow definition must have a START step", compensate=False)
        else:
            await self._loop()
        return await self._finish()

    async def run(self, user_id: str | None = None) -> dict[str, Any]:
        """Continue from the cursor until the next resting point."""
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
        """Fire a transition by hand (docs/workflows.md, "Acting on an instance"), then continue to the next
        resting point."""
        self.check_advance()
        self._begin(request.actor.user_id)
        state = self.state
        before = state.context
        context = {**before, **(request.context_updates or {})}
        trigger_data = request.trigger_data
        from_step = state.current_step_id
        candidates = await self._transitions.select(from_step, ALL_TRIGGERS, context, trigger_data, first_only=False)
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
            self._waits.abandon(self._instance.root, state.wait, "advanced")
        outcome = await self._transitions.execute(chosen.edge, trigger_data, pre=chosen.guards,
                                                  token=self._instance.root)
        if not outcome.ok:
            if outcome.committed:
                await self._failure.fail(outcome.error or "Transition failed", details=outcome.error_details,
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
        """Resume a FAILED instance from its cursor: the source step of a failed transition, or the step
        that failed (which is not run again; a fork opens anew)."""
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
        """The shell has stopped whatever ran; here open tasks, branches, timers and children are cancelled
        and the instance is marked CANCELLED."""
        self.check_cancel()
        self._begin(user_id)
        state = self.state
        if state.wait is not None:
            self._waits.abandon(self._instance.root, state.wait, "cancelled")
        self._branches.cancel_all("instance-cancelled")
        for task in list(state.tasks.values()):
            if task.is_open:
                self._tasks.cancel(task, "cancelled")
        state.status = st.CANCELLED
        state.cancelled_at = self.effects.now()
        self._journal.log("WORKFLOW_CANCELLED", {})
        await self._finish()

    def snapshot(self) -> dict[str, Any]:
        return self.state.api_view()

    # --- user tasks -------------------------------------------------------------------------

    def check_claim(self, request: ClaimTaskInput) -> None:
        self._tasks.check_claim(request)

    async def claim_task(self, request: ClaimTaskInput) -> dict[str, Any]:
        self.check_claim(request)
        self._begin(request.actor.user_id)
        task = self._tasks.claim(request)
        await self._finish()
        return {"task": task.api_view(self.state)}

    def check_complete(self, request: CompleteTaskInput) -> None:
        self._tasks.check_complete(request)

    async def complete_task(self, request: CompleteTaskInput) -> dict[str, Any]:
        """Complete a task, merge its form into the context (the branch's namespace inside a fork), and
        continue to the next resting point."""
        self.check_complete(request)
        self._begin(request.actor.user_id)
        task, waiting = self._tasks.complete(request)
        if waiting is not None:
            await self._resume(waiting)
        await self._finish()
        return {"task": task.api_view(self.state)}

    # --- signals ----------------------------------------------------------------------------

    def check_signal(self, request: SignalInput) -> None:
        self._waits.signal_target(request)

    async def signal(self, request: SignalInput) -> dict[str, Any]:
        token = self._waits.signal_target(request)
        self._begin(request.actor.user_id)
        self._waits.receive_signal(token, request)
        await self._resume(token)
        await self._finish()
        return {}

    # --- time: timers, timeouts, SLAs -------------------------------------------------------

    def next_deadline(self) -> datetime | None:
        """When `fire_due` has something to do next (None: nothing is timed)."""
        return self._waits.next_deadline()

    async def fire_due(self) -> dict[str, Any]:
        """Everything whose time has come: SLA escalations, timers, signal and step timeouts."""
        self._begin(None)
        now = self.effects.now()
        for task in list(self.state.tasks.values()):
            due = self._tasks.escalation_due_at(task)
            if due is not None and due <= now:
                await self._tasks.escalate(task)
        resumed = False
        for token in self._instance.open_tokens():
            wait = token.wait
            if wait is None:
                continue
            if wait.kind == "WAIT_FOR_TIMER" and wait.fire_at is not None and wait.fire_at <= now:
                self._waits.timer_fired(token, wait)
                resumed = True
            elif wait.deadline is not None and wait.deadline <= now:
                await self._waits.timed_out(token, wait)
                resumed = True
        if resumed:
            await self._loop()
        return await self._finish()

    # --- sub-workflows ----------------------------------------------------------------------

    async def child_finished(self, child_id: str, result: dict[str, Any]) -> dict[str, Any]:
        """A SUB_WORKFLOW child ended (`result`: its instance as the API shows it)."""
        self._begin(None)
        for token in self._instance.open_tokens():
            wait = token.wait
            if wait is not None and wait.kind == "SUB_WORKFLOW" and wait.child_id == child_id:
                await self._waits.child_ended(token, wait, result)
                break
        return await self._finish()

    # --- the loop ---------------------------------------------------------------------------

    async def _loop(self) -> None:
        """Move the instance along `auto` transitions until it rests, ends or fails (a fork runs its
        branches until they rest or join)."""
        state = self.state
        root = self._instance.root
        for _ in range(MAX_ITERATIONS):
            if state.status == st.FORKED:
                if await self._branches.run_fork() != "joined":
                    return
                continue
            if state.status != st.RUNNING or state.wait is not None:
                return
            step = self.compiled.step(state.current_step_id)
            if step is None:
                await self._failure.fail(f"Step not found in workflow definition: {state.current_step_id}")
                return
            if step.step_type == "END":
                state.status = st.COMPLETED
                state.completed_at = self.effects.now()
                self._journal.log("WORKFLOW_COMPLETED", {})
                return
            if step.step_type == "PARALLEL_FORK":
                # Only a retry rests RUNNING at a fork (its branches failed): the fork opens anew.
                opened = await self._steps.execute(step.step_id, None, root)
                if opened.status == "FAILED":
                    await self._failure.fail(opened.error or "Step execution failed")
                    return
                continue
            if not self.compiled.edges_from(step.step_id, triggers=AUTO):
                return  # rests, e.g. at a step left only by manual transitions
            candidates = await self._transitions.select(step.step_id, AUTO, state.context, None, first_only=True)
            chosen = next((c for c in candidates if c.valid), None)
            if chosen is None:
                return  # every guard said no: the instance waits here, it has not failed
            outcome = await self._transitions.execute(chosen.edge, None, pre=chosen.guards, token=root)
            if not outcome.ok:
                await self._failure.fail(outcome.error or "Transition failed", details=outcome.error_details,
                                         event_data=outcome.event_data)
                return
        # An instance nothing will move on is not RUNNING: it fails.
        await self._failure.fail("Maximum execution iterations reached - possible infinite loop")

    async def _resume(self, token: Token) -> None:
        token.activate()
        await self._loop()

    async def _fail_token(self, token: Token, error: str, details: Any = None,
                          event_data: dict[str, Any] | None = None) -> None:
        if token.branch is None:
            await self._failure.fail(error, details=details, event_data=event_data)
        else:
            self._branches.branch_failed(token.branch, error, details)
            await self._loop()

    # --- operations begin and end -------------------------------------------------------------

    def _begin(self, user_id: str | None) -> None:
        self._instance.begin(user_id)

    async def _finish(self) -> dict[str, Any]:
        """Resting point: project, and describe the execution as the API's ExecutionResult."""
        await self._journal.flush()
        self.changes += 1
        state, instance = self.state, self._instance
        assert instance.started is not None
        result: dict[str, Any] = {"status": state.status, "currentStep": state.current_step_id,
                                  "context": state.context, "events": instance.journal.trail,
                                  "executionTime": ms(self.effects.now() - instance.started)}
        if instance.errors:
            result["errors"] = list(instance.errors)
        return result

    async def flush(self) -> None:
        """Project whatever is buffered (used by the shell after an interrupted operation)."""
        await self._journal.flush()
