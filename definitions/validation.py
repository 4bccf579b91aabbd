"""Validation of workflow definitions with the reference's rules and messages (docs/workflows.md,
*What validation checks*).

Issues look like the reference's zod 4 issues: ``{code, message, path}`` plus zod's parameters
(``expected``, ``minimum``, ``origin``...), so the API can answer
``400 {"error": "Validation failed", "details": [issue.to_dict(), ...]}``.

Reporting follows zod: fields in schema order, every string check of a field reported, an object's
refinements (WAIT durations, fork/join structure) skipped once a type error was found inside it, and a
union reporting the only option that "almost" matched, else ``invalid_union``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from definitions._shapes import Shape, fields_of
from definitions.duration import DURATION_ERROR, is_valid_duration, parse_iso_datetime
from definitions.model import Activity, Definition, DefinitionCreate, DefinitionModel, DefinitionUpdate, Step
from jscompat import type_name

__all__ = [
    "DefinitionValidationError", "Issue", "check_value", "dump_definition", "fork_join_problems", "lint_definition",
    "parse_create", "parse_definition", "parse_update", "validate_create", "validate_definition", "validate_update",
]

Path = tuple[str | int, ...]
M = TypeVar("M", bound=DefinitionModel)

UNTIL_ERROR = 'Invalid "until". Provide an ISO 8601 datetime string'
UNTIL_PAST_ERROR = '"until" must be a future datetime'


@dataclass(frozen=True)
class Issue:
    """One validation problem, shaped like a zod issue."""

    code: str
    message: str
    path: Path = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    # zod stops an object's refinements after a type error ("aborting" issue), not after a failed check.
    aborts: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "path": list(self.path), **self.params}


class DefinitionValidationError(ValueError):
    """Raised by the ``parse_*`` functions; ``issues`` holds every problem found."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, i.path)) or '<root>'}: {i.message}" for i in issues))
        self.issues = issues


@dataclass
class _Run:
    now: datetime
    issues: list[Issue] = field(default_factory=list)

    def add(self, code: str, message: str, path: Path, aborts: bool = False, **params: Any) -> None:
        self.issues.append(Issue(code, message, path, params, aborts))

    def aborted_since(self, start: int) -> bool:
        return any(issue.aborts for issue in self.issues[start:])


# --- Generic walker over the model shapes -----------------------------------------------------------------

_EXPECTED = {"string": "string", "int": "number", "number": "number", "bool": "boolean", "list": "array",
             "record": "record", "object": "object"}


def _json(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _invalid_type(run: _Run, expected: str, value: Any, path: Path, received: str | None = None) -> None:
    received = received or type_name(value)
    run.add("invalid_type", f"Invalid input: expected {expected}, received {received}", path, aborts=True,
            expected=expected)


def _invalid_value(run: _Run, values: tuple[Any, ...], path: Path) -> None:
    if len(values) == 1:
        message = f"Invalid input: expected {_json(values[0])}"
    else:
        message = "Invalid option: expected one of " + "|".join(_json(v) for v in values)
    run.add("invalid_value", message, path, aborts=True, values=list(values))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _js_length(text: str) -> int:
    # zod counts UTF-16 code units, as JavaScript does.
    return len(text.encode("utf-16-le")) // 2


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    # JavaScript's `$` never matches before a trailing newline; Python's does unless told otherwise.
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


def _check_bounds(run: _Run, shape: Shape, size: float, origin: str, path: Path) -> None:
    sized = origin in ("string", "array")
    unit = {"string": " characters", "array": " items"}.get(origin, "")
    if shape.minimum is not None:
        too_small = size <= shape.minimum if shape.exclusive_minimum else size < shape.minimum
        if too_small:
            adj = ">" if shape.exclusive_minimum else ">="
            verb = "to have" if sized else "to be"
            message = shape.messages.min or f"Too small: expected {origin} {verb} {adj}{_num(shape.minimum)}{unit}"
            run.add("too_small", message, path, origin=origin, minimum=shape.minimum,
                    inclusive=not shape.exclusive_minimum)
    if shape.maximum is not None and size > shape.maximum:
        verb = "to have" if sized else "to be"
        message = shape.messages.max or f"Too big: expected {origin} {verb} <={_num(shape.maximum)}{unit}"
        run.add("too_big", message, path, origin=origin, maximum=shape.maximum, inclusive=True)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _check(run: _Run, shape: Shape, value: Any, path: Path) -> None:
    kind = shape.kind
    if kind == "any":
        return
    if kind == "string":
        if not isinstance(value, str):
            return _invalid_type(run, "string", value, path)
        _check_bounds(run, shape, _js_length(value), "string", path)
        if shape.pattern is not None and not _regex(shape.pattern).search(value):
            run.add("invalid_format", shape.messages.pattern or f"Invalid string: must match pattern "
                    f"/{shape.pattern}/", path, format="regex", pattern=f"/{shape.pattern}/")
        if shape.duration is not None and not _is_duration_text(value, shape.duration.allow_milliseconds):
            run.add("custom", DURATION_ERROR, path)
        return
    if kind in ("int", "number"):
        if not _is_number(value):
            return _invalid_type(run, "number", value, path)
        if kind == "int" and not float(value).is_integer():
            run.add("invalid_type", "Invalid input: expected int, received number", path, expected="int")
        _check_bounds(run, shape, value, "number", path)
        return
    if kind == "bool":
        if not isinstance(value, bool):
            _invalid_type(run, "boolean", value, path)
        return
    if kind == "enum":
        if not any(value == v and type(value) is type(v) for v in shape.values):
            _invalid_value(run, shape.values, path)
        return
    if kind == "list":
        if not isinstance(value, list):
            return _invalid_type(run, "array", value, path)
        assert shape.item is not None
        for index, item in enumerate(value):
            _check(run, shape.item, item, (*path, index))
        # zod runs length checks even when items failed (they only need the array).
        _check_bounds(run, shape, len(value), "array", path)
        return
    if kind == "record":
        if not isinstance(value, dict):
            return _invalid_type(run, "record", value, path)
        assert shape.item is not None
        for key, item in value.items():
            _check(run, shape.item, item, (*path, key))
        return
    if kind == "object":
        assert shape.model is not None
        return _check_object(run, shape.model, value, path)
    if kind == "union":
        return _check_union(run, shape, value, path)
    raise AssertionError(kind)


def _is_duration_text(value: str, allow_milliseconds: bool) -> bool:
    if allow_milliseconds and value.isascii() and value.isdigit():
        return int(value) > 0
    return is_valid_duration(value)


def _check_object(run: _Run, model: type[DefinitionModel], value: Any, path: Path) -> None:
    if not isinstance(value, dict):
        return _invalid_type(run, "object", value, path)
    start = len(run.issues)
    for f in fields_of(model):
        if f.alias not in value:
            if f.required:
                _missing(run, f.shape, (*path, f.alias))
            continue
        item = value[f.alias]
        if item is None and f.nullable:
            continue
        _check(run, f.shape, item, (*path, f.alias))
    if model.strict_keys:
        known = {f.alias for f in fields_of(model)}
        unknown = [k for k in value if k not in known]
        if unknown:
            plural = "s" if len(unknown) > 1 else ""
            run.add("unrecognized_keys", f"Unrecognized key{plural}: " + ", ".join(_json(k) for k in unknown), path,
                    aborts=True, keys=unknown)
    if not run.aborted_since(start):
        for refine in _REFINEMENTS.get(model, ()):
            refine(run, value, path)


def _missing(run: _Run, shape: Shape, path: Path) -> None:
    if shape.kind == "any":
        return
    if shape.kind == "enum":
        return _invalid_value(run, shape.values, path)
    if shape.kind == "union":
        return run.add("invalid_union", "Invalid input", path, aborts=True, errors=[])
    _invalid_type(run, _EXPECTED[shape.kind], None, path, received="undefined")


def _check_union(run: _Run, shape: Shape, value: Any, path: Path) -> None:
    attempts: list[list[Issue]] = []
    for option in shape.options:
        trial = _Run(run.now)
        _check(trial, option, value, path)
        if not trial.issues:
            return
        attempts.append(trial.issues)
    almost = [issues for issues in attempts if not any(i.aborts for i in issues)]
    if len(almost) == 1:
        run.issues.extend(almost[0])
        return
    errors = [[{**i.to_dict(), "path": list(i.path[len(path):])} for i in issues] for issues in attempts]
    run.add("invalid_union", "Invalid input", path, aborts=True, errors=errors)


# --- Refinements (zod superRefine) ------------------------------------------------------------------------

def _wait_rules(type_key: str, type_value: str, kind: str) -> Callable[[_Run, dict[str, Any], Path], None]:
    """WAIT_FOR_TIMER steps and WAIT activities: `config.duration` XOR `config.until`."""

    def refine(run: _Run, obj: dict[str, Any], path: Path) -> None:
        if obj.get(type_key) != type_value:
            return
        config = obj.get("config") or {}
        has_duration = config.get("duration") not in (None, "")
        has_until = config.get("until") not in (None, "")
        at = (*path, "config")
        if not has_duration and not has_until:
            return run.add("custom", f'{kind} requires "duration" or "until"', at)
        if has_duration and has_until:
            return run.add("custom", f'{kind} accepts "duration" OR "until", not both', at)
        if has_duration and not _template_or(config["duration"], is_valid_duration):
            run.add("custom", DURATION_ERROR, (*at, "duration"))
        if has_until:
            until = config["until"]
            if not _template_or(until, _is_iso_datetime):
                run.add("custom", UNTIL_ERROR, (*at, "until"))
            elif not _template_or(until, lambda v: parse_iso_datetime(v) > run.now):
                run.add("custom", UNTIL_PAST_ERROR, (*at, "until"))

    return refine


def _template_or(value: Any, test: Callable[[str], bool]) -> bool:
    # `{{...}}` placeholders are resolved when the step runs, so they cannot be checked now.
    if not isinstance(value, str) or not value:
        return False
    return "{{" in value or test(value)


def _is_iso_datetime(value: str) -> bool:
    try:
        parse_iso_datetime(value)
    except ValueError:
        return False
    return True


def _fork_join_rule(run: _Run, definition: dict[str, Any], path: Path) -> None:
    for code, message in fork_join_problems(definition["steps"], definition["transitions"]):
        run.add("custom", f"[{code}] {message}", (*path, "steps"))


_REFINEMENTS: dict[type[DefinitionModel], list[Callable[[_Run, dict[str, Any], Path], None]]] = {
    Step: [_wait_rules("stepType", "WAIT_FOR_TIMER", "WAIT_FOR_TIMER step")],
    Activity: [_wait_rules("activityType", "WAIT", "WAIT activity")],
    Definition: [_fork_join_rule],
}


def _js_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fork_join_problems(steps: list[dict[str, Any]], transitions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """PARALLEL_FORK / PARALLEL_JOIN structure as ``(code, message)`` pairs.

    For every fork: the paired join exists and points back, at least two outgoing auto transitions with
    distinct ids, at least two transitions into the join, and every path from a branch start (over all
    outgoing transitions) reaches the join: no END, dead end, other join, nested fork or cycle on the way.
    Each code is reported at most once per fork.
    """
    problems: list[tuple[str, str]] = []
    by_id = {s["stepId"]: s for s in steps}
    outgoing: dict[str, list[dict[str, Any]]] = {}
    incoming: dict[str, int] = {}
    for t in transitions:
        outgoing.setdefault(t["fromStepId"], []).append(t)
        incoming[t["toStepId"]] = incoming.get(t["toStepId"], 0) + 1
    paired: set[str] = set()

    for fork in (s for s in steps if s["stepType"] == "PARALLEL_FORK"):
        fork_id = fork["stepId"]
        join_id = (fork.get("config") or {}).get("joinStepId")
        if not join_id:
            problems.append(("MISSING_JOIN_STEP_ID", f'PARALLEL_FORK "{fork_id}" must declare config.joinStepId'))
            continue
        join = by_id.get(join_id) if isinstance(join_id, str) else None
        join_text = _js_str(join_id)
        if join is None:
            problems.append(("JOIN_STEP_NOT_FOUND",
                             f'PARALLEL_FORK "{fork_id}" references missing join step "{join_text}"'))
            continue
        if join["stepType"] != "PARALLEL_JOIN":
            problems.append(("JOIN_STEP_WRONG_TYPE",
                             f'Step "{join_text}" referenced by fork "{fork_id}" is not a PARALLEL_JOIN'))
            continue
        paired.add(join_id)
        back = (join.get("config") or {}).get("forkStepId")
        if not back:
            problems.append(("MISSING_FORK_STEP_ID", f'PARALLEL_JOIN "{join_id}" must declare config.forkStepId'))
        elif back != fork_id:
            problems.append(("FORK_JOIN_MISMATCH", f'PARALLEL_JOIN "{join_id}" back-reference forkStepId '
                                                   f'"{_js_str(back)}" does not match fork "{fork_id}"'))
        branches = [t for t in outgoing.get(fork_id, []) if t["trigger"] == "auto"]
        if len(branches) < 2:
            problems.append(("FORK_TOO_FEW_BRANCHES", f'PARALLEL_FORK "{fork_id}" must have at least 2 outgoing '
                                                      f'auto transitions (found {len(branches)})'))
        keys: set[str] = set()
        for branch in branches:
            if branch["transitionId"] in keys:
                problems.append(("DUPLICATE_BRANCH_KEY", f'PARALLEL_FORK "{fork_id}" has duplicate branch key '
                                                         f'"{branch["transitionId"]}"'))
            keys.add(branch["transitionId"])
        if incoming.get(join_id, 0) < 2:
            problems.append(("JOIN_TOO_FEW_INCOMING", f'PARALLEL_JOIN "{join_id}" must have at least 2 incoming '
                                                      f'transitions'))
        problems.extend(_branch_region_problems(fork_id, join_id, branches, by_id, outgoing))

    for join in steps:
        if join["stepType"] == "PARALLEL_JOIN" and join["stepId"] not in paired:
            problems.append(("UNPAIRED_JOIN", f'PARALLEL_JOIN "{join["stepId"]}" is not paired with any '
                                              f'PARALLEL_FORK'))
    return problems


def _branch_region_problems(fork_id: str, join_id: str, branches: list[dict[str, Any]],
                            by_id: dict[str, dict[str, Any]],
                            outgoing: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str]]:
    # A depth-first walk, iterative so a long chain of steps cannot exhaust Python's recursion limit.
    reported: dict[str, str] = {}
    explored: set[str] = set()
    on_path: set[str] = set()
    stack: list[tuple[str, Iterator[dict[str, Any]]]] = []
    branch_of = f'A branch of fork "{fork_id}"'

    def report(code: str, message: str) -> None:
        reported.setdefault(code, message)

    def enter(step_id: str) -> None:
        if step_id == join_id:
            return
        if step_id == fork_id:
            return report("FORK_JOIN_CYCLE", f'{branch_of} loops back to the fork before reaching join "{join_id}"')
        step = by_id.get(step_id)
        if step is None:
            return report("NO_CONVERGENCE_TO_JOIN",
                          f'{branch_of} reaches missing step "{step_id}" instead of join "{join_id}"')
        if step["stepType"] == "END":
            return report("NO_CONVERGENCE_TO_JOIN", f'{branch_of} reaches an END step before join "{join_id}"')
        if step["stepType"] == "PARALLEL_FORK":
            return report("NESTED_FORK_NOT_SUPPORTED",
                          f'Nested PARALLEL_FORK "{step_id}" inside fork "{fork_id}" is not supported')
        if step["stepType"] == "PARALLEL_JOIN":
            return report("NO_CONVERGENCE_TO_JOIN",
                          f'{branch_of} reaches join "{step_id}" instead of its own join "{join_id}"')
        if step_id in on_path:
            return report("FORK_JOIN_CYCLE", f'{branch_of} contains a cycle at step "{step_id}"')
        if step_id in explored:
            return
        nexts = outgoing.get(step_id, [])
        if not nexts:
            return report("NO_CONVERGENCE_TO_JOIN",
                          f'{branch_of} dead-ends at step "{step_id}" without reaching join "{join_id}"')
        on_path.add(step_id)
        stack.append((step_id, iter(nexts)))

    for branch in branches:
        enter(branch["toStepId"])
        while stack:
            step_id, remaining = stack[-1]
            transition = next(remaining, None)
            if transition is None:
                stack.pop()
                on_path.discard(step_id)
                explored.add(step_id)
            else:
                enter(transition["toStepId"])
    return list(reported.items())


# --- Public entry points ---------------------------------------------------------------------------------

def check_value(model: type[DefinitionModel], raw: Any, *, now: datetime | None = None,
                path: Path = ()) -> list[Issue]:
    """Every issue of ``raw`` against ``model`` (any definition or config model), paths from ``path``.

    ``now`` is the reference time of the "until must be in the future" rule (default: the current time).
    """
    run = _Run(now or datetime.now(UTC))
    _check_object(run, model, raw, path)
    return run.issues


def validate_definition(raw: Any, *, now: datetime | None = None) -> list[Issue]:
    """Issues of a `definition` object; paths relative to it, e.g. ``["steps", 0, "stepId"]``."""
    return check_value(Definition, raw, now=now)


def validate_create(raw: Any, *, now: datetime | None = None) -> list[Issue]:
    """Issues of a `POST /definitions` body; paths from the body, e.g. ``["definition", "steps"]``."""
    return check_value(DefinitionCreate, raw, now=now)


def validate_update(raw: Any, *, now: datetime | None = None) -> list[Issue]:
    """Issues of a `PUT /definitions/{id}` body: all fields optional, unknown top-level keys refused."""
    return check_value(DefinitionUpdate, raw, now=now)


def _parse(model: type[M], raw: Any, now: datetime | None) -> M:
    issues = check_value(model, raw, now=now)
    if issues:
        raise DefinitionValidationError(issues)
    return model.model_validate(raw)


def parse_definition(raw: Any, *, now: datetime | None = None) -> Definition:
    """Validate and build a :class:`Definition`; ``DefinitionValidationError`` lists the issues."""
    return _parse(Definition, raw, now)


def parse_create(raw: Any, *, now: datetime | None = None) -> DefinitionCreate:
    return _parse(DefinitionCreate, raw, now)


def parse_update(raw: Any, *, now: datetime | None = None) -> DefinitionUpdate:
    return _parse(DefinitionUpdate, raw, now)


def dump_definition(definition: DefinitionModel) -> dict[str, Any]:
    """The JSON to store: exactly what was posted, plus the reference's defaults where keys were omitted."""
    return definition.model_dump(mode="json", by_alias=True, exclude_unset=True)


# --- Lint: problems the reference accepts at save time ----------------------------------------------------

def lint_definition(definition: Definition) -> list[Issue]:
    """Warnings about a valid definition that will misbehave when it runs.

    The reference saves these (it checks neither START/END steps nor references), so they are not validation
    errors; the API may show them and the engine refuses a definition without a START step at start time.
    Codes: NO_START_STEP, MULTIPLE_START_STEPS, NO_END_STEP, DUPLICATE_STEP_ID, DUPLICATE_TRANSITION_ID,
    DUPLICATE_ACTIVITY_ID, UNKNOWN_STEP, END_UNREACHABLE, UNKNOWN_COMPENSATION_ACTIVITY.
    """
    issues: list[Issue] = []
    steps = definition.steps

    def warn(code: str, message: str, *path: str | int) -> None:
        issues.append(Issue(code, message, tuple(path)))

    starts = [i for i, s in enumerate(steps) if s.step_type == "START"]
    if not starts:
        warn("NO_START_STEP", "Workflow definition must have a START step", "steps")
    for i in starts[1:]:
        warn("MULTIPLE_START_STEPS", f'Step "{steps[i].step_id}" is a second START step; only the first is used',
             "steps", i)
    if not any(s.step_type == "END" for s in steps):
        warn("NO_END_STEP", "Workflow definition has no END step, so no instance can complete", "steps")

    seen: set[str] = set()
    for i, s in enumerate(steps):
        if s.step_id in seen:
            warn("DUPLICATE_STEP_ID", f'Step ID "{s.step_id}" is used more than once', "steps", i, "stepId")
        seen.add(s.step_id)
    seen_transitions: set[str] = set()
    for i, t in enumerate(definition.transitions):
        if t.transition_id in seen_transitions:
            warn("DUPLICATE_TRANSITION_ID", f'Transition ID "{t.transition_id}" is used more than once',
                 "transitions", i, "transitionId")
        seen_transitions.add(t.transition_id)
        for key, ref in (("fromStepId", t.from_step_id), ("toStepId", t.to_step_id)):
            if ref not in seen:
                warn("UNKNOWN_STEP", f'Transition "{t.transition_id}" references unknown step "{ref}"',
                     "transitions", i, key)

    activities = list(_all_activities(definition))
    activity_ids: set[str] = set()
    for activity, path in activities:
        if activity.activity_id in activity_ids:
            warn("DUPLICATE_ACTIVITY_ID", f'Activity ID "{activity.activity_id}" is used more than once',
                 *path, "activityId")
        activity_ids.add(activity.activity_id)
    for activity, path in activities:
        if activity.compensation and activity.compensation.activity_id not in activity_ids:
            warn("UNKNOWN_COMPENSATION_ACTIVITY", f'Activity "{activity.activity_id}" is compensated by unknown '
                 f'activity "{activity.compensation.activity_id}"', *path, "compensation", "activityId")

    if starts and any(s.step_type == "END" for s in steps):
        reachable = {steps[starts[0]].step_id}
        frontier = [steps[starts[0]].step_id]
        while frontier:
            current = frontier.pop()
            for t in definition.transitions:
                if t.from_step_id == current and t.to_step_id not in reachable:
                    reachable.add(t.to_step_id)
                    frontier.append(t.to_step_id)
        if not any(s.step_type == "END" and s.step_id in reachable for s in steps):
            warn("END_UNREACHABLE", "No END step can be reached from the START step", "steps")
    return issues


def _all_activities(definition: Definition) -> Iterator[tuple[Activity, tuple[str | int, ...]]]:
    for i, s in enumerate(definition.steps):
        for j, a in enumerate(s.activities or []):
            yield a, ("steps", i, "activities", j)
    for i, t in enumerate(definition.transitions):
        for j, a in enumerate(t.activities or []):
            yield a, ("transitions", i, "activities", j)
    for j, a in enumerate(definition.activities or []):
        yield a, ("activities", j)
