"""A pinned definition prepared once for running: steps by id, outgoing transitions in selection
order, inline conditions compiled to closures, activities by id.

Preparing is pure and its result immutable, so it is cached by the definition's JSON: every instance
of a definition (and every replay of one) shares one compiled form.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from definitions import Activity, Definition, Step, Transition
from rules import CompiledCondition, compile_condition

_CACHE_SIZE = 256
# Trigger sets for `CompiledDefinition.edges_from`: what the machine takes by itself, what a timed-out
# resting step takes, and every transition (a person advancing by hand may fire any).
AUTO = frozenset({"auto"})
TIMER = frozenset({"timer"})
ALL_TRIGGERS = None


class DefinitionError(ValueError):
    """The pinned definition cannot be run (it does not even parse)."""


@dataclass(frozen=True)
class Edge:
    """An outgoing transition with its inline condition compiled (None: no condition)."""

    transition: Transition
    condition: CompiledCondition | None

    @property
    def transition_id(self) -> str:
        return self.transition.transition_id


@dataclass(frozen=True)
class CompiledDefinition:
    definition: Definition
    steps: Mapping[str, Step]
    # Per source step: priority descending, ties in definition order (the first valid one is taken).
    outgoing: Mapping[str, tuple[Edge, ...]]
    activities: Mapping[str, Activity] = field(default_factory=dict)
    has_compensation: bool = False
    start_step: Step | None = None

    def step(self, step_id: str | None) -> Step | None:
        return self.steps.get(step_id) if step_id is not None else None

    def edges_from(self, step_id: str | None, *, triggers: frozenset[str] | None = None) -> tuple[Edge, ...]:
        edges = self.outgoing.get(step_id or "", ())
        if triggers is None:
            return edges
        return tuple(edge for edge in edges if edge.transition.trigger in triggers)

    def find_activity(self, activity_id: str) -> Activity | None:
        return self.activities.get(activity_id)


def _all_activities(definition: Definition) -> Iterator[Activity]:
    # The reference looks in transitions first, then the root list; step activities are ours
    # (compensation covers every activity that ran, in transitions and steps alike).
    for transition in definition.transitions:
        yield from transition.activities or ()
    yield from definition.activities or ()
    for step in definition.steps:
        yield from step.activities or ()


def _prepare(definition: Definition) -> CompiledDefinition:
    steps: dict[str, Step] = {}
    for step in definition.steps:
        steps.setdefault(step.step_id, step)
    grouped: dict[str, list[Edge]] = {}
    for transition in definition.transitions:
        condition = compile_condition(transition.condition) if transition.condition else None
        grouped.setdefault(transition.from_step_id, []).append(Edge(transition, condition))
    # sorted() is stable, so equal priorities keep definition order.
    outgoing = {source: tuple(sorted(edges, key=lambda e: -e.transition.priority)) for source, edges in grouped.items()}
    activities: dict[str, Activity] = {}
    for activity in _all_activities(definition):
        activities.setdefault(activity.activity_id, activity)
    return CompiledDefinition(
        definition=definition,
        steps=steps,
        outgoing=outgoing,
        activities=activities,
        has_compensation=any(a.compensation is not None and a.compensation.activity_id for a in activities.values()),
        start_step=next((s for s in definition.steps if s.step_type == "START"), None),
    )


# Workflow tasks run on several threads: only single dict operations here, which the GIL makes atomic,
# so a race costs at most a second compilation.
_cache: dict[str, CompiledDefinition] = {}


def compile_definition(raw: Mapping[str, Any]) -> CompiledDefinition:
    """Parse and prepare a pinned definition; `DefinitionError` when it does not parse.

    Parsing uses the model only, not the save-time validation: that checks things relative to the
    current time ("until" must be in the future), which a running instance must not depend on.
    """
    key = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    try:
        definition = Definition.model_validate(raw)
    except ValidationError as error:
        raise DefinitionError(f"Invalid workflow definition: {error.error_count()} problem(s), first: "
                              f"{error.errors()[0].get('msg')}") from None
    compiled = _prepare(definition)
    if len(_cache) >= _CACHE_SIZE:
        _cache.clear()
    _cache[key] = compiled
    return compiled
