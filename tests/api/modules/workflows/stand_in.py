"""A stand-in registered under the real workflow type, for the API tests that are about the HTTP side of
instances: it rests where it started, records what the API sent, and answers the Updates with canned
results or the refusals the real engine uses. It writes no projection rows."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from engine.contract import (
        UPDATE_ADVANCE,
        UPDATE_CANCEL,
        UPDATE_RETRY,
        WORKFLOW_TYPE,
        Actor,
        AdvanceInput,
        StartInput,
        UpdateResult,
    )


@dataclass
class Seen:
    start: StartInput
    actors: list[Actor]


@workflow.defn(name=WORKFLOW_TYPE)
class StandInWorkflow:
    def __init__(self) -> None:
        self._start: StartInput | None = None
        self._actors: list[Actor] = []
        self._status = "RUNNING"
        self._step: str | None = None
        self._done = False

    @workflow.run
    async def run(self, arg: StartInput) -> None:
        self._start = arg
        self._step = arg.resume_step_id or next(s["stepId"] for s in arg.definition["steps"]
                                                if s["stepType"] == "START")
        await workflow.wait_condition(lambda: self._done)

    def _instance(self) -> dict[str, object]:
        assert self._start is not None
        return {"id": self._start.instance_id, "status": self._status, "currentStepId": self._step,
                "context": self._start.context}

    @workflow.query(name="seen")
    def seen(self) -> Seen:
        assert self._start is not None
        return Seen(self._start, self._actors)

    @workflow.signal(name="fail")
    def fail(self) -> None:
        self._status = "FAILED"

    async def _started(self) -> None:
        # An Update that arrives with the first workflow task can run before `run` does (the engine waits the
        # same way).
        await workflow.wait_condition(lambda: self._start is not None)

    @workflow.update(name=UPDATE_ADVANCE)
    async def advance(self, arg: AdvanceInput) -> UpdateResult:
        await self._started()
        assert self._start is not None
        self._actors.append(arg.actor)
        if arg.to_step_id == "blocked":
            raise ApplicationError("No valid transitions available",
                                   {"currentStepId": self._step, "reason": "All transitions blocked by conditions "
                                                                           "or business rules"},
                                   type="NO_VALID_TRANSITIONS")
        if arg.to_step_id == "explode":
            raise ApplicationError("Something unexpected", type="UNEXPECTED")
        previous, self._step = self._step, arg.to_step_id or "end"
        self._start.context.update(arg.context_updates or {})
        fired = f"{previous}-to-{self._step}"
        after = {**self._instance(), "previousStepId": previous, "transitionFired": fired}
        return UpdateResult(instance=self._instance(), extra={
            "previousStepId": previous, "transitionFired": fired, "afterTransition": after,
            "execution": {"status": self._status, "currentStep": self._step, "context": self._start.context,
                          "events": [], "executionTime": 0}})

    @workflow.update(name=UPDATE_CANCEL)
    async def cancel(self, arg: Actor) -> UpdateResult:
        await self._started()
        self._actors.append(arg)
        self._status = "CANCELLED"
        self._done = True
        return UpdateResult(instance={**self._instance(), "cancelledAt": "2026-01-01T00:00:00.000Z"})

    @workflow.update(name=UPDATE_RETRY)
    async def retry(self, arg: Actor) -> UpdateResult:
        await self._started()
        self._actors.append(arg)
        if self._status != "FAILED":
            raise ApplicationError(f"Cannot retry workflow in {self._status} status. Only FAILED workflows can be "
                                   "retried.", type="CANNOT_RETRY")
        self._status = "RUNNING"
        return UpdateResult(instance={**self._instance(), "retryCount": 1},
                            extra={"execution": {"status": "RUNNING", "currentStep": self._step}})
