"""A step's life: entered (a step instance row and STEP_ENTERED), its kind's handler run (bounded by an
AUTOMATED step's `timeout`, re-run by its `retryPolicy`), then left COMPLETED or FAILED, or kept open
while its token rests on it (a task, signal, timer or child).

What each kind does on entry lives in engine/_step_kinds.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from definitions.model import Step
from engine._durations import duration_ms, ms
from engine._instance import Instance
from engine._state import StepRecord
from engine._step_kinds import HandlerResult, StepKinds
from engine._token import Token


@dataclass
class StepOutcome:
    status: str  # COMPLETED | WAITING | FAILED
    error: str | None = None


class Steps:
    def __init__(self, instance: Instance, kinds: StepKinds) -> None:
        self.instance = instance
        self.kinds = kinds

    async def execute(self, step_id: str, trigger_data: Any, token: Token) -> StepOutcome:
        instance = self.instance
        step = instance.compiled.step(step_id)
        if step is None:
            return StepOutcome("FAILED", f"Step not found in workflow definition: {step_id}")
        now = instance.effects.now()
        record = StepRecord(id=instance.effects.new_id(), step_id=step.step_id, step_name=step.step_name,
                            step_type=step.step_type, status="ACTIVE", entered_at=now, input_data=trigger_data,
                            branch_instance_id=token.id)
        instance.journal.step(record)
        instance.journal.log("STEP_ENTERED", {"stepId": step.step_id, "stepName": step.step_name,
                                              "stepType": step.step_type},
                             user=instance.user, step_instance_id=record.id, branch_instance_id=token.id)
        handler = self.kinds.handler(step.step_type)
        if handler is None:
            return self.failed(record, f"Step type not supported: {step.step_type}")
        # An AUTOMATED step's `timeout` bounds each attempt (resting steps are bounded by their Wait's
        # deadline instead), and its retryPolicy re-runs a failed one.
        limit = duration_ms(step.timeout, now) if step.step_type == "AUTOMATED" else None
        status, output, error = await self._bounded(handler(step, record, token), limit, step)
        policy = step.retry_policy
        attempt = 1
        while status == "FAILED" and policy is not None and step.step_type == "AUTOMATED" \
                and attempt < policy.max_attempts:
            attempt += 1
            if policy.backoff_ms:
                await instance.effects.sleep(policy.backoff_ms / 1000)
            status, output, error = await self._bounded(handler(step, record, token), limit, step)
        if status == "FAILED":
            return self.failed(record, error or "Step execution failed", output)
        if status == "COMPLETED":
            self.complete(record, output)
        else:
            instance.state.open_steps[record.id] = record
        return StepOutcome(status)

    async def _bounded(self, work: Coroutine[Any, Any, HandlerResult], limit_ms: int | None,
                       step: Step) -> HandlerResult:
        """`work` (a step handler), failed when it runs longer than `limit_ms`: its activities are cancelled."""
        if not limit_ms:
            return await work
        task = asyncio.ensure_future(work)
        timer = asyncio.ensure_future(self.instance.effects.sleep(limit_ms / 1000))
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

    def complete(self, record: StepRecord, output: Any) -> None:
        exited = self.instance.effects.now()
        record.status = "COMPLETED"
        record.output_data = output
        record.exited_at = exited
        record.execution_time_ms = ms(exited - record.entered_at)
        self.instance.journal.step(record)
        self.instance.journal.log("STEP_EXITED", {"stepId": record.step_id, "status": "COMPLETED",
                                                  "executionTimeMs": record.execution_time_ms,
                                                  "hasOutput": bool(output)},
                                  step_instance_id=record.id, branch_instance_id=record.branch_instance_id)

    def exit_open(self, step_instance_id: str, output: Any) -> None:
        """Leave a step its token rested on, COMPLETED with `output` (what it waited for arrived)."""
        record = self.instance.state.open_steps.pop(step_instance_id, None)
        if record is not None:
            self.complete(record, output)

    def fail_open(self, step_instance_id: str, error: str) -> None:
        record = self.instance.state.open_steps.pop(step_instance_id, None)
        if record is not None:
            self.failed(record, error)

    def cancel_open(self, step_instance_id: str) -> None:
        """Leave a step its token rested on without what it waited for (advanced away from, cancelled)."""
        record = self.instance.state.open_steps.pop(step_instance_id, None)
        if record is not None:
            record.status = "CANCELLED"
            record.exited_at = self.instance.effects.now()
            self.instance.journal.step(record)

    def failed(self, record: StepRecord, error: str, details: Any = None) -> StepOutcome:
        record.status = "FAILED"
        record.error_data = {"error": error, "details": details}
        record.exited_at = self.instance.effects.now()
        self.instance.journal.step(record)
        self.instance.journal.log("STEP_FAILED", {"error": error}, step_instance_id=record.id,
                                  branch_instance_id=record.branch_instance_id)
        return StepOutcome("FAILED", error)
