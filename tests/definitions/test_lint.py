"""Warnings about definitions the reference saves but that misbehave when they run."""

from __future__ import annotations

from typing import Any

import pytest

from definitions import lint_definition, parse_definition
from tests.definitions.builders import activity, graph, row, step, transition


def _codes(definition: dict[str, Any]) -> list[tuple[str, list[str | int]]]:
    return [(i.code, list(i.path)) for i in lint_definition(parse_definition(definition))]


def test_a_clean_definition_has_no_warnings() -> None:
    assert _codes(row()["definition"]) == []


@pytest.mark.parametrize(("definition", "expected"), [
    (graph([step("a", "AUTOMATED"), step("end", "END")], [transition("a-end", "a", "end")]),
     [("NO_START_STEP", ["steps"])]),
    (graph([step("start", "START"), step("again", "START"), step("end", "END")],
           [transition("s-e", "start", "end"), transition("a-e", "again", "end")]),
     [("MULTIPLE_START_STEPS", ["steps", 1])]),
    (graph([step("start", "START"), step("mid", "AUTOMATED")], [transition("s-m", "start", "mid")]),
     [("NO_END_STEP", ["steps"])]),
    (graph([step("start", "START"), step("start", "AUTOMATED"), step("end", "END")],
           [transition("s-e", "start", "end")]),
     [("DUPLICATE_STEP_ID", ["steps", 1, "stepId"])]),
    (graph([step("start", "START"), step("end", "END")],
           [transition("go", "start", "end"), transition("go", "start", "end", "manual")]),
     [("DUPLICATE_TRANSITION_ID", ["transitions", 1, "transitionId"])]),
    (graph([step("start", "START"), step("end", "END")],
           [transition("s-e", "start", "end"), transition("x", "ghost", "end")]),
     [("UNKNOWN_STEP", ["transitions", 1, "fromStepId"])]),
    (graph([step("start", "START"), step("mid", "AUTOMATED"), step("end", "END")],
           [transition("s-m", "start", "mid")]),
     [("END_UNREACHABLE", ["steps"])]),
    (graph([step("start", "START"), step("end", "END")],
           [transition("s-e", "start", "end", activities=[activity("a", "EMIT_EVENT"), activity("a", "EMIT_EVENT")])]),
     [("DUPLICATE_ACTIVITY_ID", ["transitions", 0, "activities", 1, "activityId"])]),
    (graph([step("start", "START"), step("end", "END")],
           [transition("s-e", "start", "end",
                       activities=[activity("a", "EMIT_EVENT", compensation={"activityId": "undo_a"})])]),
     [("UNKNOWN_COMPENSATION_ACTIVITY", ["transitions", 0, "activities", 0, "compensation", "activityId"])]),
])
def test_lint_codes(definition: dict[str, Any], expected: list[tuple[str, list[str | int]]]) -> None:
    assert _codes(definition) == expected


def test_compensations_may_live_at_the_root() -> None:
    definition = graph([step("start", "START"), step("end", "END")],
                       [transition("s-e", "start", "end",
                                   activities=[activity("a", "EMIT_EVENT", compensation={"activityId": "undo_a"})])],
                       activities=[activity("undo_a", "EMIT_EVENT")])
    assert _codes(definition) == []
