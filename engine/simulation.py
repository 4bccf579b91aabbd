"""Simulation: a definition run by the engine's own step machine (engine/_machine.py) against a script, with
no side effect (docs/workflows.md, "Simulation").

The machine is the one the Temporal workflow runs; only its effects differ. Here they are `SimulatedEffects`:
a virtual clock, ids numbered from one, activities answered by the script (success with an output, or
failure), business-rule guards through a caller-supplied `evaluate` (the API evaluates them as dry runs: read
and evaluated, no log, no action), SUB_WORKFLOW children resolved but never run (the script says how they
end), and the projection kept in memory (`Store`) instead of SQL. So a simulation and a real run of the same
script take the same path and end with the same context (tests/engine/test_simulation_agreement.py).

Pure and deterministic: no I/O, no wall clock; the same definition and script give the same report.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from engine import _state as st
from engine._definition import TIMER, CompiledDefinition, DefinitionError, compile_definition
from engine._guards import Evaluate, validate_start
from engine._machine import Machine
from engine._ports import ActivityCall, ActivityOutcome, EngineError
from engine._state import new_state
from engine._transitions import Candidate
from engine.contract import (
    Actor,
    AdvanceInput,
    CompleteTaskInput,
    GuardInput,
    GuardResult,
    ProjectionBatch,
    ResolveChildInput,
    ResolvedChild,
    SignalInput,
    StartInput,
)
from jscompat import iso_string

T = TypeVar("T")
ResolveChild = Callable[[ResolveChildInput], Awaitable[ResolvedChild]]

# Transition selections (each time the engine looks for a way out of a step) a simulation may make before
# it stops with `truncated: true`; the machine's own per-operation limit (100, as in a real run) still applies.
DEFAULT_MAX_ITERATIONS = 1000
MAX_ITERATIONS_LIMIT = 10000
# Event-loop turns without any effect after which every task of the machine is presumed to wait for the
# virtual clock: the earliest sleep is woken then (a chain of awaits between tasks takes 2 to 3 turns a hop).
_IDLE_TURNS = 25
# Turns with nothing to wake and nothing moving: the operation waits for something that will never come.
_STUCK_TURNS = 1000


# --- the script ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityScript:
    """How one execution of an activity ends. A failure uses up the activity's retry policy (the virtual
    clock moves by its backoff), unless `retryable` is False (a 4xx answer, tried once)."""

    ok: bool = True
    output: Any = None
    error: str | None = None
    retryable: bool = True


@dataclass(frozen=True)
class CompleteTask:
    """A person completes the open task of `step_id` (the only open task when None) with form `data`."""

    step_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    comments: str | None = None


@dataclass(frozen=True)
class SendSignal:
    name: str
    payload: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class FireTimer:
    """Time passes until the next timer, timeout or SLA is due (the one of `step_id` when given), and what is
    due fires."""

    step_id: str | None = None


@dataclass(frozen=True)
class Advance:
    to_step_id: str | None = None
    trigger_data: Mapping[str, Any] | None = None
    context_updates: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class EndChild:
    """The SUB_WORKFLOW child started by `step_id` ends in `status` (COMPLETED, with its final `context`; or
    FAILED, with `error`)."""

    step_id: str
    status: str = st.COMPLETED
    context: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


Event = CompleteTask | SendSignal | FireTimer | Advance | EndChild
EVENT_TYPES: dict[type[Any], str] = {CompleteTask: "completeTask", SendSignal: "signal", FireTimer: "timer",
                                     Advance: "advance", EndChild: "subWorkflow"}


@dataclass(frozen=True)
class Script:
    start_at: datetime
    context: Mapping[str, Any] = field(default_factory=dict)
    events: Sequence[Event] = ()
    # Per activityId, one outcome per execution in order; the last one repeats. Unscripted: success, no output.
    activities: Mapping[str, Sequence[ActivityScript]] = field(default_factory=dict)
    max_iterations: int = DEFAULT_MAX_ITERATIONS


@dataclass(frozen=True)
class Subject:
    """Who and what the simulated instance is: its tenant, organization, starter and definition."""

    tenant_id: str
    organization_id: str
    workflow_id: str
    definition_id: str = "simulation"
    version: int = 1
    user_id: str | None = None
    instance_id: str = "simulation"


class SimulationLimit(Exception):
    """The simulation made more transition selections than its script allows."""


def prepare(definition: Mapping[str, Any]) -> CompiledDefinition | None:
    """The definition as the machine runs it (None when it does not even parse), for `script_problems`."""
    try:
        return compile_definition(definition)
    except DefinitionError:
        return None


def script_problems(compiled: CompiledDefinition, script: Script) -> list[dict[str, Any]]:
    """What in a script cannot match the definition, whatever happens when it runs: unknown steps, a task
    completed at a step that is not a USER_TASK, a signal no step waits for, an unknown activity. Issues as
    the API reports them (`{path, message, code}`); events the instance does not expect *when* they come are
    reported by the run instead."""
    problems: list[dict[str, Any]] = []

    def problem(path: list[Any], message: str, code: str = "invalid_script") -> None:
        problems.append({"path": path, "message": message, "code": code})

    def step_type(index: int, key: str, step_id: str | None, *expected: str) -> None:
        if step_id is None:
            return
        step = compiled.step(step_id)
        if step is None:
            problem(["events", index, key], f'Unknown step "{step_id}"', "unknown_step")
        elif expected and step.step_type not in expected:
            problem(["events", index, key], f'Step "{step_id}" is a {step.step_type} step, not '
                                            + " or ".join(expected), "wrong_step_type")

    signals = {(s.signal_config.signal_name if s.signal_config and s.signal_config.signal_name else s.step_id)
               for s in compiled.steps.values() if s.step_type == "WAIT_FOR_SIGNAL"}
    for index, event in enumerate(script.events):
        if isinstance(event, CompleteTask):
            step_type(index, "stepId", event.step_id, "USER_TASK")
        elif isinstance(event, SendSignal):
            if event.name not in signals:
                problem(["events", index, "signalName"], f'No WAIT_FOR_SIGNAL step waits for signal "{event.name}"',
                        "unknown_signal")
        elif isinstance(event, FireTimer):
            step_type(index, "stepId", event.step_id)
        elif isinstance(event, Advance):
            step_type(index, "toStepId", event.to_step_id)
        else:
            step_type(index, "stepId", event.step_id, "SUB_WORKFLOW")
    for activity_id in script.activities:
        if compiled.find_activity(activity_id) is None:
            problem(["activities", activity_id], f'Unknown activity "{activity_id}"', "unknown_activity")
    return problems


# --- the projection, in memory ---------------------------------------------------------------------------


@dataclass
class Store:
    """What the SQL projection would hold, applied the way the `project` activity applies batches."""

    instance: dict[str, Any] | None = None
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    branches: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    seq: int = 0

    def apply(self, batch: ProjectionBatch) -> None:
        keys = {e["event_key"] for e in self.events}
        self.events.extend(e for e in batch.events if e["event_key"] not in keys)
        for row in batch.steps:
            self.steps[row["id"]] = row
        for row in batch.tasks:
            self.tasks[row["id"]] = row
        for row in batch.branches:
            self.branches[row["id"]] = row
        if batch.instance is not None and batch.seq >= self.seq:
            self.instance, self.seq = batch.instance, batch.seq

    def types(self) -> list[str]:
        return [e["event_type"] for e in self.events]

    def of(self, event_type: str) -> list[dict[str, Any]]:
        return [e["event_data"] for e in self.events if e["event_type"] == event_type]


def _plain(value: Any) -> Any:
    """What crosses the wire is JSON: a later change of the machine's state must not leak into the record."""
    return json.loads(json.dumps(value, default=str))


# --- the effects -----------------------------------------------------------------------------------------


class SimulatedEffects:
    """`engine._ports.Effects` without a side effect, on a virtual clock.

    `sleep` waits for the virtual clock: `drive` runs a machine operation and, whenever every task of it is
    waiting, moves the clock to the earliest sleep and wakes it, so concurrent timers (branches, an AUTOMATED
    step's timeout against its WAIT activity) fire in the order of their moments, as in a real run.
    """

    def __init__(self, *, start_at: datetime, activities: Mapping[str, Sequence[ActivityScript]],
                 evaluate: Evaluate, resolve_child: ResolveChild | None = None) -> None:
        self.clock = start_at
        self.store = Store()
        self.executions: list[dict[str, Any]] = []
        self.guards: list[tuple[GuardInput, GuardResult]] = []
        self.children: list[StartInput] = []
        self.cancelled_children: list[str] = []
        self._evaluate = evaluate
        self._resolve = resolve_child
        self._outcomes = {key: list(value) for key, value in activities.items()}
        self._executed: dict[str, int] = {}
        self._ids = 0
        # Every effect call counts as progress (see `drive`).
        self._calls = 0
        self._timers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        # Calls to the caller's world (rules, sub-workflow definitions) under way: real I/O, not virtual time.
        self._outside = 0
        self._returned = asyncio.Event()

    def now(self) -> datetime:
        self._calls += 1
        return self.clock

    def new_id(self) -> str:
        self._calls += 1
        self._ids += 1
        return f"sim-{self._ids:04d}"

    def key_run(self) -> str | None:
        # Idempotency keys by position, as new instances have; no activity runs, so they key nothing here.
        return "simulation"

    def guard_key_run(self) -> str | None:
        return "simulation"

    def _scripted(self, activity_id: str) -> ActivityScript:
        outcomes = self._outcomes.get(activity_id) or [ActivityScript()]
        index = self._executed.get(activity_id, 0)
        self._executed[activity_id] = index + 1
        return outcomes[min(index, len(outcomes) - 1)]

    async def run_activity(self, call: ActivityCall) -> ActivityOutcome:
        self._calls += 1
        started = self.clock
        scripted = self._scripted(call.input.activity_id)
        attempts = 1
        if not scripted.ok and scripted.retryable:
            # Every attempt fails: the engine's retry policy waits its backoff between them.
            retry = call.retry
            attempts = max(1, retry.max_attempts)
            delay, waited = retry.initial_interval_ms, 0
            for _ in range(attempts - 1):
                waited += delay
                delay = int(delay * max(1.0, retry.backoff_coefficient))
                if retry.max_interval_ms:
                    delay = min(delay, retry.max_interval_ms)
            if waited:
                await self.sleep(waited / 1000)
        record: dict[str, Any] = {
            "activityId": call.input.activity_id, "activityName": call.input.activity_name,
            "activityType": call.input.activity_type, "stepId": call.input.step_id,
            "transitionId": call.input.transition_id, "startedAt": iso_string(started),
            "outcome": "success" if scripted.ok else "failure", "attempts": attempts,
            "config": _plain(call.input.config),
        }
        if scripted.ok:
            record["output"] = _plain(scripted.output)
            self.executions.append(record)
            return ActivityOutcome(True, _plain(scripted.output), attempts=attempts)
        error = scripted.error or "Simulated failure"
        record["error"] = error
        self.executions.append(record)
        return ActivityOutcome(False, error=error, attempts=attempts)

    async def sleep(self, seconds: float) -> None:
        self._calls += 1
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        moment = self.clock + timedelta(seconds=seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (moment, next(self._order), future))
        await future

    async def evaluate_guard(self, guard: GuardInput) -> GuardResult:
        self._calls += 1
        # Read and evaluated, never executed for effect: a dry run leaves no log and runs no action.
        asked = replace(guard, dry_run=True, idempotency_key=None)
        try:
            result = await self._outside_call(self._evaluate(asked))
        except Exception as error:  # noqa: BLE001 - as in a real run: a rules service that cannot answer fails the guard
            result = GuardResult(guard.rule_id, None, False, f"Rule evaluation failed: {error}")
        self.guards.append((asked, result))
        return result

    async def project(self, batch: ProjectionBatch) -> None:
        self._calls += 1
        self.store.apply(ProjectionBatch(**_plain(batch.__dict__)))

    async def resolve_child(self, request: ResolveChildInput) -> ResolvedChild:
        self._calls += 1
        if self._resolve is None:
            return ResolvedChild(error=f"Workflow definition not found: {request.workflow_id}")
        return await self._outside_call(self._resolve(request))

    async def _outside_call(self, call: Awaitable[T]) -> T:
        self._outside += 1
        try:
            return await call
        finally:
            self._outside -= 1
            self._calls += 1
            self._returned.set()

    async def start_child(self, start: StartInput) -> None:
        self._calls += 1
        self.children.append(start)

    def cancel_child(self, child_id: str) -> None:
        self._calls += 1
        self.cancelled_children.append(child_id)

    def cancelled(self, error: BaseException) -> bool:
        return isinstance(error, asyncio.CancelledError)

    async def drive(self, operation: Coroutine[Any, Any, T]) -> T:
        """Run a machine operation to its end on the virtual clock."""
        task = asyncio.ensure_future(operation)
        idle = 0
        try:
            while not task.done():
                if self._outside:
                    # Real I/O under way: wait for it (or the operation's end) instead of turning the loop.
                    self._returned.clear()
                    returned = asyncio.ensure_future(self._returned.wait())
                    await asyncio.wait({task, returned}, return_when=asyncio.FIRST_COMPLETED)
                    returned.cancel()
                    idle = 0
                    continue
                seen = self._calls
                await asyncio.sleep(0)
                if task.done():
                    break
                idle = 0 if self._calls != seen else idle + 1
                if idle >= _IDLE_TURNS and self._wake_earliest():
                    idle = 0
                elif idle >= _STUCK_TURNS:
                    raise RuntimeError("The simulated operation waits for something that never comes")
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        return task.result()

    def _wake_earliest(self) -> bool:
        while self._timers:
            moment, _, future = heapq.heappop(self._timers)
            if future.done():  # its sleeper was cancelled (a step timeout won, a branch was stopped)
                continue
            self.clock = max(self.clock, moment)
            future.set_result(None)
            return True
        return False


# --- the report ------------------------------------------------------------------------------------------


def _trigger_name(triggers: frozenset[str] | None) -> str:
    if triggers is None:
        return "advance"
    return "timeout" if triggers == TIMER else "auto"


class Recorder:
    """Every transition selection with each candidate's verdict (the machine's `on_select`), bounded."""

    def __init__(self, compiled: CompiledDefinition, effects: SimulatedEffects, limit: int) -> None:
        self.compiled = compiled
        self.effects = effects
        self.limit = limit
        self.state: st.InstanceState | None = None
        self.decisions: list[dict[str, Any]] = []

    def selected(self, step_id: str | None, triggers: frozenset[str] | None, candidates: list[Any]) -> None:
        if len(self.decisions) >= self.limit:
            raise SimulationLimit(f"Stopped after {self.limit} transition selections")
        verdicts: dict[str, dict[str, Any]] = {}
        first_valid = next((c for c in candidates if isinstance(c, Candidate) and c.valid), None)
        for candidate in candidates:
            assert isinstance(candidate, Candidate)
            verdicts[candidate.edge.transition_id] = self._verdict(candidate)
        considered = triggers
        rows = []
        for edge in self.compiled.edges_from(step_id):
            transition = edge.transition
            row = verdicts.get(edge.transition_id)
            if row is None:
                if considered is not None and transition.trigger not in considered:
                    reason = (f"Not considered: a {transition.trigger} transition is taken only "
                              + ("by advance" if transition.trigger == "manual" else
                                 "when the step times out" if transition.trigger == "timer" else "never"))
                else:
                    reason = "Not evaluated: a transition of higher priority was valid"
                row = {"evaluated": False, "valid": None, "reason": reason, "rules": []}
            rows.append({"transitionId": edge.transition_id, "toStepId": transition.to_step_id,
                         "trigger": transition.trigger, "priority": transition.priority, **row})
        self.decisions.append({
            "stepId": step_id, "branchKey": self._branch_key(step_id), "kind": _trigger_name(triggers),
            "at": iso_string(self.effects.clock),
            "firstValid": first_valid.edge.transition_id if first_valid is not None else None,
            "candidates": rows,
        })

    @staticmethod
    def _verdict(candidate: Candidate) -> dict[str, Any]:
        rules = []
        for ref, result in (candidate.guards.results if candidate.guards is not None else []):
            rules.append({"ruleId": ref.rule_id, "ruleName": result.rule_name, "required": ref.required is not False,
                          "passed": result.passed, "conditionResult": result.condition_result,
                          "blocked": result.blocked, "error": result.error})
        return {"evaluated": True, "valid": candidate.valid,
                "reason": candidate.reason or "Valid: condition and pre-conditions hold", "rules": rules}

    def _branch_key(self, step_id: str | None) -> str | None:
        # The selection does not say which token it is for: inside a fork it is the branch standing at the step.
        state = self.state
        if state is None or state.status != st.FORKED:
            return None
        return next((b.branch_key for b in state.branches if b.current_step_id == step_id
                     and b.status in st.BRANCH_OPEN), None)


def _waiting_for(machine: Machine) -> list[dict[str, Any]]:
    """What the instance rests on: a task, a signal, time, a child, or a person advancing it."""
    state = machine.state
    out: list[dict[str, Any]] = []
    tokens: list[tuple[str | None, st.Wait | None, str | None, str]] = [
        (None, state.wait, state.current_step_id, state.status)]
    tokens += [(b.branch_key, b.wait, b.current_step_id, b.status) for b in state.branches
               if b.status in st.BRANCH_OPEN]
    for branch_key, wait, step_id, status in tokens:
        if wait is not None:
            item: dict[str, Any] = {"kind": wait.kind, "stepId": wait.step_id}
            if wait.task_id:
                item["taskId"] = wait.task_id
            if wait.signal_name:
                item["signalName"] = wait.signal_name
            if wait.fire_at:
                item["fireAt"] = iso_string(wait.fire_at)
            if wait.deadline:
                item["timeoutAt"] = iso_string(wait.deadline)
        elif branch_key is None and status == st.RUNNING:
            edges = machine.compiled.edges_from(step_id)
            if not any(e.transition.trigger == "auto" for e in edges):
                reason = "Only manual transitions leave this step"
            else:
                reason = "No auto transition is valid"
            item = {"kind": "ADVANCE", "stepId": step_id, "reason": reason}
        else:
            continue
        if branch_key is not None:
            item["branchKey"] = branch_key
        out.append(item)
    return out


def _refusal(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _describe(waiting: list[dict[str, Any]]) -> str:
    if not waiting:
        return "nothing (the instance is not waiting)"
    parts = []
    for w in waiting:
        kind = w["kind"]
        what = {"USER_TASK": "the task of step", "WAIT_FOR_SIGNAL": f"signal \"{w.get('signalName')}\" at step",
                "WAIT_FOR_TIMER": "its timer at step", "SUB_WORKFLOW": "its sub-workflow at step",
                "ADVANCE": "an advance at step"}.get(kind, kind)
        parts.append(f"{what} \"{w['stepId']}\"")
    return ", ".join(parts)


class Simulation:
    def __init__(self, compiled: CompiledDefinition, script: Script, subject: Subject, *, evaluate: Evaluate,
                 resolve_child: ResolveChild | None, env: Mapping[str, str]) -> None:
        self.script = script
        self.subject = subject
        self.effects = SimulatedEffects(start_at=script.start_at, activities=script.activities, evaluate=evaluate,
                                        resolve_child=resolve_child)
        limit = max(1, min(script.max_iterations, MAX_ITERATIONS_LIMIT))
        self.recorder = Recorder(compiled, self.effects, limit)
        start = StartInput(
            instance_id=subject.instance_id, tenant_id=subject.tenant_id, organization_id=subject.organization_id,
            definition_id=subject.definition_id, workflow_id=subject.workflow_id, version=subject.version,
            definition={}, context=dict(script.context), metadata={"initiatedBy": subject.user_id},
            user_id=subject.user_id, env=dict(env), started_at=script.start_at.isoformat(),
        )
        start_step = compiled.start_step.step_id if compiled.start_step else None
        state = new_state(start, now=script.start_at, start_step_id=start_step)
        self.recorder.state = state
        self.machine = Machine(compiled, state, self.effects, env=dict(env), on_select=self.recorder.selected)
        self.truncated = False
        self.results: list[dict[str, Any]] = []
        self.stopped: int | None = None

    async def _operate(self, operation: Coroutine[Any, Any, Any]) -> None:
        try:
            await self.effects.drive(operation)
        except SimulationLimit:
            self.truncated = True
            await self.machine.flush()

    def _actor(self) -> Actor:
        # The script acts as someone allowed everything: who may claim or complete is not what is simulated.
        return Actor(user_id=self.subject.user_id, roles=[], can_manage=True)

    async def run(self) -> None:
        await self._operate(self.machine.start())
        for index, event in enumerate(self.script.events):
            if self.truncated:
                break
            refusal = await self._apply(event)
            state = self.machine.state
            entry: dict[str, Any] = {"index": index, "type": EVENT_TYPES[type(event)], "consumed": refusal is None,
                                     "status": state.status, "currentStepId": state.current_step_id}
            if self.truncated:
                entry["truncated"] = True
            if refusal is not None:
                entry["error"] = refusal
                self.stopped = index
            self.results.append(entry)
            if refusal is not None:
                break

    async def _apply(self, event: Event) -> dict[str, str] | None:
        machine, state = self.machine, self.machine.state
        if state.status in st.ENDED:
            return _refusal("INSTANCE_ENDED", f"The instance has ended ({state.status})")
        try:
            if isinstance(event, CompleteTask):
                return await self._complete(event)
            if isinstance(event, SendSignal):
                request = SignalInput(self._actor(), event.name, dict(event.payload) if event.payload is not None
                                      else None)
                machine.check_signal(request)
                await self._operate(machine.signal(request))
            elif isinstance(event, FireTimer):
                return await self._fire(event)
            elif isinstance(event, Advance):
                machine.check_advance()
                await self._operate(machine.advance(AdvanceInput(
                    self._actor(), to_step_id=event.to_step_id,
                    trigger_data=dict(event.trigger_data) if event.trigger_data is not None else None,
                    context_updates=dict(event.context_updates) if event.context_updates is not None else None)))
            else:
                return await self._end_child(event)
        except EngineError as error:
            return _refusal(error.code, error.message)
        return None

    def _not_waiting(self, what: str) -> dict[str, str]:
        waiting = _waiting_for(self.machine)
        return _refusal("NOT_EXPECTED", f"{what}; the instance ({self.machine.state.status}) waits for "
                                        f"{_describe(waiting)}")

    async def _complete(self, event: CompleteTask) -> dict[str, str] | None:
        state = self.machine.state
        open_tasks = [t for t in state.tasks.values() if t.is_open
                      and (event.step_id is None or t.step_id == event.step_id)]
        if not open_tasks:
            where = f"at step \"{event.step_id}\"" if event.step_id else "at all"
            return self._not_waiting(f"No open task {where}")
        if len(open_tasks) > 1:
            return _refusal("AMBIGUOUS_TASK", "Several tasks are open (" + ", ".join(
                sorted(t.step_id for t in open_tasks)) + "): name the step with stepId")
        request = CompleteTaskInput(self._actor(), open_tasks[0].id, dict(event.data), event.comments)
        self.machine.check_complete(request)
        await self._operate(self.machine.complete_task(request))
        return None

    async def _fire(self, event: FireTimer) -> dict[str, str] | None:
        machine = self.machine
        if event.step_id is None:
            moment = machine.next_deadline()
            if moment is None:
                return self._not_waiting("Nothing is waiting for time")
        else:
            state = machine.state
            waits = [state.wait, *[b.wait for b in state.branches if b.status in st.BRANCH_OPEN]]
            moments = [m for w in waits if w is not None and w.step_id == event.step_id
                       for m in (w.fire_at, w.deadline) if m is not None]
            if not moments:
                return self._not_waiting(f"Step \"{event.step_id}\" is not waiting for time")
            moment = min(moments)
        self.effects.clock = max(self.effects.clock, moment)
        await self._operate(machine.fire_due())
        return None

    async def _end_child(self, event: EndChild) -> dict[str, str] | None:
        state = self.machine.state
        waits = [state.wait, *[b.wait for b in state.branches if b.status in st.BRANCH_OPEN]]
        child = next((w.child_id for w in waits if w is not None and w.kind == "SUB_WORKFLOW"
                      and w.step_id == event.step_id), None)
        if child is None:
            return self._not_waiting(f"Step \"{event.step_id}\" is not waiting for a sub-workflow")
        result: dict[str, Any] = {"status": event.status, "context": dict(event.context)}
        if event.error is not None:
            result["errorMessage"] = event.error
        await self._operate(self.machine.child_finished(child, result))
        return None

    def report(self) -> dict[str, Any]:
        machine, store = self.machine, self.effects.store
        state = machine.state
        branch_keys = {b.id: b.branch_key for b in state.branches}
        entered = [e["step_instance_id"] for e in store.events if e["event_type"] == "STEP_ENTERED"]
        steps = []
        for step_instance_id in entered:
            row = store.steps.get(step_instance_id)
            if row is None:
                continue
            item: dict[str, Any] = {
                "stepId": row["step_id"], "stepName": row["step_name"], "stepType": row["step_type"],
                "status": row["status"], "enteredAt": _js(row["entered_at"]), "exitedAt": _js(row["exited_at"]),
                "executionTimeMs": row["execution_time_ms"], "input": row["input_data"],
                "output": row["output_data"], "error": row["error_data"],
            }
            if row["branch_instance_id"]:
                item["branchKey"] = branch_keys.get(row["branch_instance_id"])
            steps.append(item)
        taken = [{"transitionId": e["event_data"].get("transitionId"), "fromStepId": e["event_data"].get("fromStepId"),
                  "toStepId": e["event_data"].get("toStepId"), "at": _js(e["occurred_at"]),
                  "postConditionsPassed": e["event_data"].get("postConditionsPassed"),
                  **({"branchKey": branch_keys.get(e["branch_instance_id"])} if e["branch_instance_id"] else {})}
                 for e in store.events if e["event_type"] == "TRANSITION_EXECUTED"]
        done = {r["index"] for r in self.results if r["consumed"] and not r.get("truncated")}
        unconsumed = [i for i in range(len(self.script.events)) if i not in done]
        return {
            "status": state.status,
            "currentStepId": state.current_step_id,
            "context": _plain(state.context),
            "errorMessage": state.error_message,
            "errorDetails": _plain(state.error_details),
            "path": [s["stepId"] for s in steps],
            "steps": steps,
            "transitionsTaken": taken,
            "decisions": self.recorder.decisions,
            "activities": self.effects.executions,
            "tasks": [{"taskId": t.id, "stepId": t.step_id, "taskName": t.task_name, "status": t.status,
                       "formData": _plain(t.form_data), "dueDate": st.js_iso(t.due_date)}
                      for t in state.tasks.values()],
            "subWorkflows": [{"childInstanceId": c.instance_id, "stepId": c.parent_step_id, "workflowId": c.workflow_id,
                              "version": c.version, "context": _plain(c.context),
                              "cancelled": c.instance_id in self.effects.cancelled_children}
                             for c in self.effects.children],
            "events": self.results,
            "scriptConsumed": not unconsumed and not self.truncated,
            "unconsumedEvents": unconsumed,
            "waitingFor": _waiting_for(machine) if state.status not in st.ENDED else [],
            "truncated": self.truncated,
            "log": [{"eventType": e["event_type"], "occurredAt": _js(e["occurred_at"]), "data": e["event_data"],
                     **({"branchKey": branch_keys.get(e["branch_instance_id"])} if e["branch_instance_id"] else {})}
                    for e in store.events],
            "startedAt": iso_string(self.script.start_at),
            "endedAt": iso_string(self.effects.clock),
        }


def _js(text: str | None) -> str | None:
    return iso_string(datetime.fromisoformat(text)) if text else None


async def simulate(definition: Mapping[str, Any], script: Script, subject: Subject, *, evaluate: Evaluate,
                   resolve_child: ResolveChild | None = None, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run `definition` against `script` and report: START pre-conditions, path, steps (entry, exit, output),
    transitions taken and every selection's verdicts, activities, tasks, what the script consumed, what the
    instance waits for, the final context and the event log. `DefinitionError` when it does not parse."""
    compiled = compile_definition(definition)
    start = await validate_start(compiled.definition, workflow_id=subject.workflow_id, context=script.context,
                                 tenant_id=subject.tenant_id, organization_id=subject.organization_id,
                                 evaluate=evaluate)
    if not start["canStart"]:
        return {"status": "NOT_STARTED", "start": start, "currentStepId": None, "context": _plain(script.context),
                "errorMessage": "Workflow start pre-conditions failed", "errorDetails": None, "path": [], "steps": [],
                "transitionsTaken": [], "decisions": [], "activities": [], "tasks": [], "subWorkflows": [],
                "events": [], "scriptConsumed": not script.events, "unconsumedEvents": list(range(len(script.events))),
                "waitingFor": [], "truncated": False, "log": [], "startedAt": iso_string(script.start_at),
                "endedAt": iso_string(script.start_at)}
    simulation = Simulation(compiled, script, subject, evaluate=evaluate, resolve_child=resolve_child, env=env or {})
    await simulation.run()
    return {**simulation.report(), "start": start}
