"""Every validation rule and message of the definition format (docs/workflows.md, *What validation
checks*), table-driven (see cases.py)."""

from __future__ import annotations

from typing import Any

import pytest

from definitions import (
    DefinitionValidationError,
    Issue,
    check_value,
    parse_create,
    parse_definition,
    parse_update,
    validate_create,
    validate_definition,
    validate_update,
)
from definitions.configs import CallWebhookConfig
from tests.definitions.builders import row
from tests.definitions.cases import CASES, NOW, Expected, missing, too_small, wrong


def _summary(issues: list[Issue]) -> Expected:
    return [(i.code, i.message, list(i.path)) for i in issues]


@pytest.mark.parametrize(("body", "expected"), [pytest.param(b, e, id=i) for i, b, e in CASES])
def test_create_body(body: Any, expected: Expected) -> None:
    assert _summary(validate_create(body, now=NOW)) == expected


def test_every_case_has_a_unique_id() -> None:
    ids = [i for i, _, _ in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("body", "expected"), [pytest.param(b, e, id=i) for i, b, e in CASES
                                                if i.startswith(("definition", "step", "fork", "timer", "wait"))])
def test_definition_alone_reports_paths_from_the_definition(body: Any, expected: Expected) -> None:
    relative = [(code, message, path[1:]) for code, message, path in expected if path[:1] == ["definition"]]
    assert _summary(validate_definition(body["definition"], now=NOW)) == relative


@pytest.mark.parametrize(("body", "expected"), [
    ([], [wrong([], "object", "array")]),
    (None, [wrong([], "object", "null")]),
    ("x", [wrong([], "object", "string")]),
])
def test_body_must_be_an_object(body: Any, expected: Expected) -> None:
    assert _summary(validate_create(body)) == expected


def test_issues_carry_zods_parameters() -> None:
    issues = validate_create(row(workflowId="", version=0, workflowName=5, enabled=...,
                                 definition={"steps": [], "transitions": [{"trigger": "soon"}]}))
    assert [i.to_dict() for i in issues][:4] == [
        {"code": "too_small", "message": "Too small: expected string to have >=1 characters", "path": ["workflowId"],
         "origin": "string", "minimum": 1, "inclusive": True},
        {"code": "invalid_format", "message": "Workflow ID must contain only lowercase letters, numbers, dots, "
                                              "hyphens, and underscores", "path": ["workflowId"],
         "format": "regex", "pattern": "/^[a-z0-9._-]+$/"},
        {"code": "invalid_type", "message": "Invalid input: expected string, received number", "path": ["workflowName"],
         "expected": "string"},
        {"code": "too_small", "message": "Too small: expected number to be >0", "path": ["version"],
         "origin": "number", "minimum": 0, "inclusive": False},
    ]
    trigger = next(i for i in issues if i.path[-1] == "trigger")
    assert trigger.to_dict()["values"] == ["auto", "manual", "signal", "timer"]


def test_invalid_union_lists_each_options_issues() -> None:
    body = row()
    body["definition"]["steps"][0]["userTaskConfig"] = {"assignedTo": 5}
    (issue,) = validate_create(body)
    assert issue.to_dict() == {
        "code": "invalid_union", "message": "Invalid input",
        "path": ["definition", "steps", 0, "userTaskConfig", "assignedTo"],
        "errors": [[{"code": "invalid_type", "message": "Invalid input: expected string, received number", "path": [],
                     "expected": "string"}],
                   [{"code": "invalid_type", "message": "Invalid input: expected array, received number", "path": [],
                     "expected": "array"}]],
    }


def test_string_lengths_count_like_javascript() -> None:
    # An emoji is two UTF-16 code units, as zod counts it.
    assert validate_create(row(workflowName="😀" * 127 + "a")) == []
    assert _summary(validate_create(row(workflowName="😀" * 128))) == [
        ("too_big", "Too big: expected string to have <=255 characters", ["workflowName"])]


def test_until_is_compared_with_the_given_clock() -> None:
    body = row()
    body["definition"]["transitions"][0]["activities"] = [
        {"activityId": "w", "activityName": "W", "activityType": "WAIT", "config": {"until": "2026-06-01T12:00:01Z"}}]
    assert validate_create(body, now=NOW) == []
    assert [i.message for i in validate_create(body)] == ['"until" must be a future datetime']


@pytest.mark.parametrize(("body", "expected"), [
    ({}, []),
    ({"enabled": False}, []),
    ({"workflowName": "QA (edited)", "description": None, "metadata": None}, []),
    ({"workflowId": "Anything Goes", "version": 2, "effectiveFrom": "garbage", "effectiveTo": None}, []),
    ({"workflowId": ""}, [too_small(["workflowId"], ">=1")]),
    ({"workflowName": None}, [wrong(["workflowName"], "string", "null")]),
    ({"enabled": "false"}, [wrong(["enabled"], "boolean", "string")]),
    ({"foo": 1}, [("unrecognized_keys", 'Unrecognized key: "foo"', [])]),
    ({"enabled": True, "foo": 1, "tenantId": "t"}, [("unrecognized_keys", 'Unrecognized keys: "foo", "tenantId"', [])]),
    ({"definition": {"steps": [], "transitions": []}},
     [("too_small", "Workflow must have at least START and END steps", ["definition", "steps"]),
      ("too_small", "Workflow must have at least one transition", ["definition", "transitions"])]),
    ({"definition": {"transitions": []}},
     [missing(["definition", "steps"], "array"),
      ("too_small", "Workflow must have at least one transition", ["definition", "transitions"])]),
    ({k: v for k, v in row(workflowName="QA (edited)", version=2, enabled=False,
                           metadata={"category": "general"}).items()}, []),
])
def test_update_body(body: dict[str, Any], expected: Expected) -> None:
    assert _summary(validate_update(body)) == expected


def test_unrecognized_key_carries_the_keys() -> None:
    (issue,) = validate_update({"a": 1, "b": 2})
    assert issue.to_dict() == {"code": "unrecognized_keys", "message": 'Unrecognized keys: "a", "b"', "path": [],
                               "keys": ["a", "b"]}


def test_parse_functions_raise_with_every_issue() -> None:
    with pytest.raises(DefinitionValidationError) as caught:
        parse_create(row(workflowId="", workflowName=""))
    assert [i.path for i in caught.value.issues] == [("workflowId",), ("workflowId",), ("workflowName",)]
    assert "workflowName: Too small" in str(caught.value)
    with pytest.raises(DefinitionValidationError):
        parse_definition({"steps": []})
    with pytest.raises(DefinitionValidationError):
        parse_update({"nope": True})
    assert parse_update({"enabled": False}).enabled is False


def test_check_value_validates_activity_configs_at_run_time() -> None:
    assert _summary(check_value(CallWebhookConfig, {"url": ""}, path=("config",))) == [
        ("too_small", "Webhook URL is required", ["config", "url"])]
    assert _summary(check_value(CallWebhookConfig, {"url": "https://x", "method": "TRACE"})) == [
        ("invalid_value", 'Invalid option: expected one of "GET"|"POST"|"PUT"|"PATCH"|"DELETE"', ["method"])]
    config = CallWebhookConfig.model_validate({"url": "https://x"})
    assert config.method == "POST"


def test_long_branches_do_not_exhaust_the_stack() -> None:
    chain = [f"s{i}" for i in range(3000)]
    steps = [{"stepId": "start", "stepName": "S", "stepType": "START"},
             {"stepId": "fork", "stepName": "F", "stepType": "PARALLEL_FORK", "config": {"joinStepId": "join"}},
             {"stepId": "join", "stepName": "J", "stepType": "PARALLEL_JOIN", "config": {"forkStepId": "fork"}},
             {"stepId": "end", "stepName": "E", "stepType": "END"},
             *({"stepId": s, "stepName": s, "stepType": "AUTOMATED"} for s in chain)]
    transitions = [{"transitionId": "f-a", "fromStepId": "fork", "toStepId": chain[0], "trigger": "auto"},
                   {"transitionId": "f-b", "fromStepId": "fork", "toStepId": "join", "trigger": "auto"},
                   *({"transitionId": f"t{i}", "fromStepId": a, "toStepId": b, "trigger": "auto"}
                     for i, (a, b) in enumerate(zip(chain, [*chain[1:], "join"], strict=True)))]
    assert validate_definition({"steps": steps, "transitions": transitions}) == []
