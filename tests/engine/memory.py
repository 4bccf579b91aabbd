"""An in-memory world for the step machine: a virtual clock, scripted activities and rules, and a
projection store that applies batches the way the SQL projection does."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from engine._definition import compile_definition
from engine._machine import Machine
from engine._ports import ActivityCall, ActivityOutcome, ScopeCounts
from engine._state import new_state
from engine.contract import (
    GuardInput,
    GuardResult,
    ProjectionBatch,
    ResolveChildInput,
    ResolvedChild,
    RunActivityInput,
    StartInput,
)
from engine.simulation import Store

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Fail(Exception):
    """A scripted activity failure: `retryable=False` is the HTTP_4XX kind."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


# A scripted activity: called per attempt with the input and the attempt number (1-based); returns
# the output or raises Fail.
Script = Callable[[RunActivityInput, int], Any]
# A scripted rule: the guard's data → condition result (or a GuardResult for errors).
Rule = Callable[[dict[str, Any]], "bool | GuardResult"]


def ok(output: Any = None) -> Script:
    return lambda _input, _attempt: output


def fails(message: str = "boom", *, until_attempt: int | None = None, retryable: bool = True,
          output: Any = None) -> Script:
    """Fails every attempt, or only attempts before `until_attempt`."""

    def run(_input: RunActivityInput, attempt: int) -> Any:
        if until_attempt is None or attempt < until_attempt:
            raise Fail(message, retryable=retryable)
        return output

    return run


class MemoryEffects:
    def __init__(self, *, activities: dict[str, Script] | None = None, rules: dict[str, Rule] | None = None,
                 ticks: dict[str, int] | None = None, run: str | None = "run-1", scoped_ids: bool = False,
                 guard_run: str | None = "run-1") -> None:
        self.clock = T0
        # What `key_run` answers: None plays an instance started before keys by position.
        self.run = run
        # What `guard_key_run` answers: None plays an instance started before guard keys by scope.
        self.guard_run = guard_run
        self._ids = 0
        # scoped_ids: ids numbered by ID_SCOPE, as the workflow numbers them from level 2 on.
        self._scoped = ScopeCounts() if scoped_ids else None
        self.activities = activities or {}
        self.rules = rules or {}
        # Event-loop turns an activity takes, to order concurrent (async) activities.
        self.ticks = ticks or {}
        self.calls: list[ActivityCall] = []
        # When each activity started and ended, to see what overlapped.
        self.timeline: list[tuple[str, str]] = []
        self.guards: list[GuardInput] = []
        self.batches: list[ProjectionBatch] = []
        self.sleeps: list[float] = []
        self.store = Store()
        # SUB_WORKFLOW: definitions by workflowId the children resolve to, children started and cancelled.
        self.definitions: dict[str, dict[str, Any]] = {}
        self.children: list[StartInput] = []
        self.cancelled_children: list[str] = []

    def now(self) -> datetime:
        return self.clock

    def new_id(self) -> str:
        if self._scoped is not None:
            scope, count = self._scoped.next()
            return f"id{scope}#{count}"
        self._ids += 1
        return f"id-{self._ids:04d}"

    def key_run(self) -> str | None:
        return self.run

    def guard_key_run(self) -> str | None:
        return self.guard_run


    async def run_activity(self, call: ActivityCall) -> ActivityOutcome:
        self.calls.append(call)
        self.timeline.append(("start", call.input.activity_id))
        for _ in range(self.ticks.get(call.input.activity_id, 0)):
            await asyncio.sleep(0)
        self.timeline.append(("end", call.input.activity_id))
        script = self.activities.get(call.input.activity_id, ok({"done": call.input.activity_id}))
        retry = call.retry
        delay = retry.initial_interval_ms
        for attempt in range(1, retry.max_attempts + 1):
            try:
                return ActivityOutcome(True, script(call.input, attempt), attempts=attempt)
            except Fail as failure:
                if not failure.retryable or attempt == retry.max_attempts:
                    return ActivityOutcome(False, error=str(failure), attempts=attempt)
                self.clock += timedelta(milliseconds=delay)
                delay = int(delay * retry.backoff_coefficient)
                if retry.max_interval_ms:
                    delay = min(delay, retry.max_interval_ms)
        raise AssertionError("unreachable")

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock += timedelta(seconds=seconds)
        await asyncio.sleep(0)

    async def evaluate_guard(self, guard: GuardInput) -> GuardResult:
        self.guards.append(guard)
        rule = self.rules.get(guard.rule_id)
        if rule is None:
            return GuardResult(guard.rule_id, None, False, "Rule not found")
        verdict = rule(guard.data)
        if isinstance(verdict, GuardResult):
            return verdict
        return GuardResult(guard.rule_id, f"Rule {guard.rule_id}", bool(verdict))

    async def resolve_child(self, request: ResolveChildInput) -> ResolvedChild:
        definition = self.definitions.get(request.workflow_id)
        if definition is None:
            return ResolvedChild(error=f"Workflow definition not found: {request.workflow_id}")
        return ResolvedChild(definition_id=f"def-{request.workflow_id}", workflow_id=request.workflow_id,
                             version=request.version or 1, definition=definition)

    async def start_child(self, start: StartInput) -> None:
        self.children.append(copy.deepcopy(start))

    def cancel_child(self, child_id: str) -> None:
        self.cancelled_children.append(child_id)

    def cancelled(self, error: BaseException) -> bool:
        return isinstance(error, asyncio.CancelledError)

    async def project(self, batch: ProjectionBatch) -> None:
        # What crosses the wire is JSON: a later change of the machine's state must not leak in.
        batch = copy.deepcopy(batch)
        json.dumps(batch.__dict__)
        self.batches.append(batch)
        self.store.apply(batch)


def start_input(definition: dict[str, Any], **overrides: Any) -> StartInput:
    values: dict[str, Any] = {
        "instance_id": "inst-1", "tenant_id": "tenant-1", "organization_id": "org-1", "definition_id": "def-1",
        "workflow_id": "qa.flow", "version": 1, "definition": definition, "context": {},
        "metadata": {"initiatedBy": "user-1"}, "user_id": "user-1",
    }
    values.update(overrides)
    return StartInput(**values)


def build(definition: dict[str, Any], effects: MemoryEffects, **overrides: Any) -> Machine:
    start = start_input(definition, **overrides)
    compiled = compile_definition(definition)
    start_step = compiled.start_step.step_id if compiled.start_step else None
    state = new_state(start, now=effects.now(), start_step_id=start_step)
    return Machine(compiled, state, effects, env=start.env)


# --- definition builders ------------------------------------------------------------------------


def step(step_id: str, step_type: str = "AUTOMATED", **extra: Any) -> dict[str, Any]:
    return {"stepId": step_id, "stepName": step_id.replace("_", " ").title(), "stepType": step_type, **extra}


def move(source: str, target: str, trigger: str = "auto", **extra: Any) -> dict[str, Any]:
    return {"transitionId": f"{source}-to-{target}", "fromStepId": source, "toStepId": target, "trigger": trigger,
            **extra}


def act(activity_id: str, activity_type: str = "EXECUTE_FUNCTION", *, background: bool = False,
        **extra: Any) -> dict[str, Any]:
    """An activity; `background` is the definition's `async: true`."""
    config = extra.pop("config", {"functionName": activity_id})
    activity = {"activityId": activity_id, "activityName": extra.pop("name", activity_id.replace("_", " ").title()),
                "activityType": activity_type, "config": config, **extra}
    if background:
        activity["async"] = True
    return activity


def chain(*middle: dict[str, Any], **transition_extra: Any) -> dict[str, Any]:
    """START → middle steps → END, auto transitions."""
    steps = [step("start", "START"), *middle, step("end", "END")]
    ids = [s["stepId"] for s in steps]
    return {"steps": steps, "transitions": [move(a, b, **transition_extra) for a, b in zip(ids, ids[1:], strict=False)]}
