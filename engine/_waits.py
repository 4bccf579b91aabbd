"""What a resting token waits for, and what happens when it ends: a signal arrives, a timer fires, a
signal or step times out, a child instance ends; or the token stops waiting without it (advanced away
from, cancelled). See docs/workflows.md, "People, signals and time".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from engine import _state as st
from engine._definition import TIMER
from engine._durations import js_iso
from engine._instance import Instance
from engine._interpolate import lookup
from engine._ports import EngineError
from engine._state import Wait
from engine._step_kinds import sub_config
from engine._steps import Steps
from engine._tasks import Tasks
from engine._token import Token
from engine._transitions import Transitions
from engine.contract import SignalInput

Resume = Callable[[Token], Awaitable[None]]
FailToken = Callable[[Token, str, Any, dict[str, Any] | None], Awaitable[None]]


class Waits:
    def __init__(self, instance: Instance, tasks: Tasks, steps: Steps, transitions: Transitions, *,
                 resume: Resume, fail_token: FailToken) -> None:
        self.instance = instance
        self.tasks = tasks
        self.steps = steps
        self.transitions = transitions
        # The machine's: run a token on from where it rested, fail a token (the instance, or one branch).
        self._resume = resume
        self._fail_token = fail_token

    # --- signals ----------------------------------------------------------------------------

    def signal_target(self, request: SignalInput) -> Token:
        """The token waiting for this signal: inside a fork, the first branch waiting for its name."""
        instance = self.instance
        state = instance.state
        if state.status == st.FORKED:
            for branch in state.branches:
                wait = branch.wait
                if (branch.status == st.PAUSED and wait is not None and wait.kind == "WAIT_FOR_SIGNAL"
                        and wait.signal_name == request.signal_name):
                    return instance.token(branch)
            raise EngineError("NO_BRANCH_AWAITING_SIGNAL", "No parallel branch awaiting this signal")
        if state.status != st.PAUSED:
            raise EngineError("WORKFLOW_NOT_PAUSED", "Workflow is not paused")
        wait = state.wait
        if wait is None or wait.kind != "WAIT_FOR_SIGNAL":
            raise EngineError("NOT_WAITING_FOR_SIGNAL", "Workflow is not waiting for signal")
        if wait.signal_name != request.signal_name:
            raise EngineError("SIGNAL_NAME_MISMATCH", "Signal name mismatch",
                              {"expected": wait.signal_name, "received": request.signal_name})
        return instance.root

    def receive_signal(self, token: Token, request: SignalInput) -> None:
        """Merge the payload (with `signal_<name>_payload` and `_receivedAt`) and leave the waiting step;
        the caller resumes the token."""
        instance = self.instance
        wait = token.wait
        assert wait is not None
        name, payload = request.signal_name, request.payload
        if payload is not None:
            token.merge({**payload, f"signal_{name}_payload": payload,
                         f"signal_{name}_receivedAt": js_iso(instance.effects.now())})
        data: dict[str, Any] = {"signalName": name, "payload": payload}
        if token.in_branch:
            data["branch"] = True
        instance.journal.log("SIGNAL_RECEIVED", data, user=instance.user, branch_instance_id=token.id)
        token.set_wait(None)
        self.steps.exit_open(wait.step_instance_id, {"signalName": name, "payload": payload})

    # --- time -------------------------------------------------------------------------------

    def next_deadline(self) -> datetime | None:
        """When something timed is due next: a timer, a timeout, an SLA (None: nothing is timed)."""
        instance = self.instance
        if instance.state.status not in (st.RUNNING, st.PAUSED, st.FORKED, st.WAITING_FOR_ACTIVITIES):
            return None
        moments: list[datetime] = []
        for token in instance.open_tokens():
            wait = token.wait
            if wait is not None:
                moments += [m for m in (wait.fire_at, wait.deadline) if m is not None]
        for task in instance.state.tasks.values():
            if self.tasks.escalation_due_at(task) is not None:
                moments.append(task.due_date)  # type: ignore[arg-type]
        return min(moments) if moments else None

    def timer_fired(self, token: Token, wait: Wait) -> None:
        instance = self.instance
        fired = js_iso(instance.effects.now())
        data: dict[str, Any] = {"firedAt": fired, "branch": True} if token.in_branch else {
            "stepId": wait.step_id, "firedAt": fired}
        data["jobId"] = wait.job_id
        instance.journal.log("TIMER_FIRED", data, branch_instance_id=token.id, step_instance_id=wait.step_instance_id)
        token.set_wait(None)
        self.steps.exit_open(wait.step_instance_id, {"firedAt": fired})
        token.activate()

    async def timed_out(self, token: Token, wait: Wait) -> None:
        """A signal or step that waited too long: a `timer` transition out of the step if one is valid,
        else the token fails."""
        instance = self.instance
        if wait.kind == "WAIT_FOR_SIGNAL" and wait.signal_name is not None:
            message = f'Signal "{wait.signal_name}" timed out after {wait.timeout_text}'
            instance.journal.log("SIGNAL_TIMEOUT", {"signalName": wait.signal_name, "stepId": wait.step_id,
                                                    "timeout": wait.timeout_text},
                                 branch_instance_id=token.id, step_instance_id=wait.step_instance_id)
        else:
            message = f'Step "{wait.step_id}" timed out after {wait.timeout_text}'
        self.abandon(token, wait, "timeout", failed=message)
        candidates = await self.transitions.select(wait.step_id, TIMER, token.context(), None, first_only=True)
        chosen = next((c for c in candidates if c.valid), None)
        if chosen is None:
            await self._fail_token(token, message, None, None)
            return
        token.activate()
        outcome = await self.transitions.execute(chosen.edge, None, pre=chosen.guards, token=token)
        if not outcome.ok:
            await self._fail_token(token, outcome.error or "Transition failed", outcome.error_details,
                                   outcome.event_data)

    # --- sub-workflows ----------------------------------------------------------------------

    async def child_ended(self, token: Token, wait: Wait, result: dict[str, Any]) -> None:
        """The child the token waited for ended (`result`: its instance as the API shows it): on COMPLETED
        its context is mapped back and the token resumes; otherwise the token fails."""
        instance = self.instance
        status = result.get("status")
        token.set_wait(None)
        branch_id = token.id
        if status == st.COMPLETED:
            step = instance.compiled.step(wait.step_id)
            mapping = sub_config(step).get("outputMapping") if step else None
            child_context = result.get("context") or {}
            if isinstance(mapping, dict) and mapping:
                output: dict[str, Any] = {}
                for key, path in mapping.items():
                    found, value = lookup(child_context, str(path))
                    if found:
                        output[key] = value
            else:
                output = {wait.step_id: child_context}
            instance.journal.log("SUB_WORKFLOW_COMPLETED", {"childInstanceId": wait.child_id, "outputData": output},
                                 user=instance.user, branch_instance_id=branch_id,
                                 step_instance_id=wait.step_instance_id)
            token.merge(output)
            self.steps.exit_open(wait.step_instance_id, output)
            await self._resume(token)
            return
        if status in (st.FAILED, st.COMPENSATED):
            error = result.get("errorMessage") or "Sub-workflow failed"
            message = f"Sub-workflow failed: {error}"
        else:
            error = f"ended in {status}"
            message = f"Sub-workflow ended in unexpected state: {status}"
        instance.journal.log("SUB_WORKFLOW_FAILED", {"childInstanceId": wait.child_id, "error": error},
                             user=instance.user, branch_instance_id=branch_id, step_instance_id=wait.step_instance_id)
        self.steps.fail_open(wait.step_instance_id, message)
        await self._fail_token(token, message, None, None)

    # --- giving up --------------------------------------------------------------------------

    def abandon(self, token: Token, wait: Wait, reason: str, *, failed: str | None = None) -> None:
        """The token stops waiting without what it waited for: its task is cancelled, its child too, and
        its step is left (FAILED when it timed out, CANCELLED otherwise)."""
        token.set_wait(None)
        if wait.task_id is not None:
            task = self.instance.state.tasks.get(wait.task_id)
            if task is not None and task.is_open:
                self.tasks.cancel(task, reason)
        if wait.child_id is not None:
            self.instance.effects.cancel_child(wait.child_id)
        if failed is not None:
            self.steps.fail_open(wait.step_instance_id, failed)
        else:
            self.steps.cancel_open(wait.step_instance_id)
