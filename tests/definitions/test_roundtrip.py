"""Stored definition JSON is what was posted, plus the reference's defaults where keys were omitted."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from definitions import dump_definition, parse_create, parse_definition, parse_update
from tests.definitions.builders import TC_WF_002_DEFINITION, activity, graph, row, step, transition


def _round_trip(definition: dict[str, Any]) -> dict[str, Any]:
    return dump_definition(parse_definition(copy.deepcopy(definition)))


def test_tc_wf_002_definition_round_trips_exactly() -> None:
    assert _round_trip(TC_WF_002_DEFINITION) == TC_WF_002_DEFINITION


def test_defaults_are_materialised_only_where_omitted() -> None:
    posted = graph(
        [step("start", "START", preConditions=[{"ruleId": "r1"}, {"ruleId": "r2", "required": False}]),
         step("end", "END")],
        [transition("go", "start", "end", preConditions=[{"ruleId": "r3"}], postConditions=[{"ruleId": "r4"}],
                    activities=[activity("a", "EMIT_EVENT", compensation={"activityId": "b"}),
                                activity("b", "EMIT_EVENT", **{"async": True},
                                         compensation={"activityId": "a", "automatic": False})]),
         transition("again", "start", "end", priority=7, continueOnActivityFailure=True)],
        triggers=[{"triggerId": "t1", "name": "T", "eventPattern": "*"},
                  {"triggerId": "t2", "name": "T", "eventPattern": "*", "enabled": False, "priority": 3}],
    )
    stored = _round_trip(posted)
    start, _ = stored["steps"]
    assert start["preConditions"] == [{"ruleId": "r1", "required": True}, {"ruleId": "r2", "required": False}]
    go, again = stored["transitions"]
    assert go["priority"] == 0 and go["continueOnActivityFailure"] is False
    assert go["preConditions"] == [{"ruleId": "r3", "required": True}]
    assert go["postConditions"] == [{"ruleId": "r4", "required": True}]
    first, second = go["activities"]
    assert first["async"] is False and first["compensation"] == {"activityId": "b", "automatic": True}
    assert second["async"] is True and second["compensation"] == {"activityId": "a", "automatic": False}
    assert again["priority"] == 7 and again["continueOnActivityFailure"] is True
    assert stored["triggers"] == [
        {"triggerId": "t1", "name": "T", "eventPattern": "*", "enabled": True, "priority": 0},
        {"triggerId": "t2", "name": "T", "eventPattern": "*", "enabled": False, "priority": 3},
    ]


def test_optional_keys_without_defaults_stay_absent() -> None:
    stored = _round_trip(row()["definition"])
    assert stored["steps"] == row()["definition"]["steps"]
    assert set(stored["transitions"][0]) == {"transitionId", "fromStepId", "toStepId", "trigger", "priority",
                                             "continueOnActivityFailure"}
    assert "triggers" not in stored


def test_unknown_keys_survive_at_every_level() -> None:
    posted = graph(
        [step("start", "START", _editorPosition={"x": 10.5, "y": -3}, color="blue"),
         step("review", "USER_TASK", userTaskConfig={
             "assignedTo": ["admin"], "ui": {"wide": True},
             "formSchema": {"fields": [{"name": "ok", "type": "boolean", "label": "OK", "hint": "tick"}],
                            "layout": "grid"}}),
         step("end", "END", retryPolicy={"maxAttempts": 1, "backoffMs": 0, "jitter": True})],
        [transition("start-to-review", "start", "review", note="n",
                    activities=[activity("x", "CALL_WEBHOOK",
                                         {"url": "https://e", "nested": {"deep": [1, {"a": None}]}},
                                         retryPolicy={"maxAttempts": 2, "initialIntervalMs": 0,
                                                      "backoffCoefficient": 1, "maxIntervalMs": 0, "extra": 1},
                                         tag="t")]),
         transition("review-to-end", "review", "end")],
        triggers=[{"triggerId": "t", "name": "T", "eventPattern": "a.b", "config": {"custom": 1, "entityType": "X"}}],
        layout={"zoom": 2},
    )
    stored = _round_trip(posted)
    assert stored["layout"] == {"zoom": 2}
    assert stored["steps"][0]["_editorPosition"] == {"x": 10.5, "y": -3} and stored["steps"][0]["color"] == "blue"
    assert stored["steps"][1]["userTaskConfig"] == posted["steps"][1]["userTaskConfig"]
    assert stored["steps"][2]["retryPolicy"]["jitter"] is True
    assert stored["transitions"][0]["note"] == "n"
    assert stored["transitions"][0]["activities"][0]["config"] == posted["transitions"][0]["activities"][0]["config"]
    assert stored["transitions"][0]["activities"][0]["retryPolicy"]["extra"] == 1
    assert stored["transitions"][0]["activities"][0]["tag"] == "t"
    assert stored["triggers"][0]["config"] == {"custom": 1, "entityType": "X"}


@pytest.mark.parametrize("condition", [
    {"field": "amount", "operator": ">", "value": 100},
    {"operator": "AND", "rules": [
        {"field": "a", "operator": "=", "value": 1},
        {"operator": "NOT", "rules": [{"field": "b", "operator": "IS_EMPTY", "value": None}]}]},
    {"and": [{">": [{"var": "amount"}, 100]}, {"in": [{"var": "status"}, ["new", "open"]]}]},
    True,
    None,
])
def test_inline_condition_is_kept_exactly(condition: Any) -> None:
    posted = graph([step("start", "START"), step("end", "END")],
                   [transition("go", "start", "end", condition=condition)])
    stored = _round_trip(posted)
    assert stored["transitions"][0]["condition"] == condition
    assert parse_definition(posted).transitions[0].condition == condition


def test_keys_the_reference_strips_but_its_runtime_reads_are_kept() -> None:
    posted = graph(
        [step("start", "START"),
         step("review", "USER_TASK", userTaskConfig={"assignedToRoles": ["sales"]}),
         step("wait", "WAIT_FOR_TIMER", config={"duration": "PT1M"}, timerConfig={"duration": "PT1M"}),
         step("end", "END")],
        [transition("a", "start", "review", activities=[activity("x", "EMIT_EVENT", timeoutMs=500)]),
         transition("b", "review", "wait"), transition("c", "wait", "end")],
        activities=[activity("undo", "EMIT_EVENT")],
    )
    stored = _round_trip(posted)
    assert stored["steps"][1]["userTaskConfig"]["assignedToRoles"] == ["sales"]
    assert stored["steps"][2]["timerConfig"] == {"duration": "PT1M"}
    assert stored["transitions"][0]["activities"][0]["timeoutMs"] == 500
    assert stored["activities"][0]["activityId"] == "undo"


def test_round_trip_is_stable() -> None:
    once = _round_trip(TC_WF_002_DEFINITION | {"custom": [1]})
    assert _round_trip(once) == once


def test_models_read_in_python_names() -> None:
    definition = parse_definition(TC_WF_002_DEFINITION)
    review = definition.steps[1]
    assert review.step_type == "USER_TASK"
    assert review.user_task_config is not None and review.user_task_config.assigned_to == "approver"
    assert review.activities is not None and review.activities[0].is_async is True
    assert definition.transitions[0].continue_on_activity_failure is True
    assert definition.transitions[1].trigger == "manual"
    assert definition.transitions[0].condition is None


def test_models_are_immutable() -> None:
    definition = parse_definition(TC_WF_002_DEFINITION)
    with pytest.raises(ValidationError):
        definition.steps[0].step_id = "other"  # type: ignore[misc]


def test_create_row_round_trip_and_defaults() -> None:
    created = parse_create(row(version=..., enabled=..., metadata={"tags": ["a"], "category": "QA", "icon": "x"}))
    assert created.version == 1 and created.enabled is True
    assert created.metadata is not None and created.metadata.tags == ["a"]
    dumped = dump_definition(created)
    assert dumped["version"] == 1 and dumped["enabled"] is True
    assert dumped["metadata"] == {"tags": ["a"], "category": "QA", "icon": "x"}
    assert dumped["definition"] == dump_definition(created.definition)


def test_update_keeps_only_what_was_sent() -> None:
    update = parse_update({"enabled": False, "metadata": None})
    assert dump_definition(update) == {"enabled": False, "metadata": None}
    assert update.model_fields_set == {"enabled", "metadata"}
