"""Write-time validation of conditions (docs/rules.md, *Validation on save*) and of actions, one case
a row."""

from __future__ import annotations

from typing import Any

import pytest

from rules import (
    SAFETY_LIMITS_MESSAGE,
    actions_error,
    condition_expression_error,
    validate_actions,
    validate_condition_expression,
)
from tests.rules.builders import group, leaf

COMPARISON_LIST = "=, ==, !=, >, >=, <, <=, IN, NOT_IN, CONTAINS, NOT_CONTAINS, STARTS_WITH, ENDS_WITH, MATCHES, " \
    "IS_EMPTY, IS_NOT_EMPTY"
FIELD_FORMAT = "Field paths must start with a letter or underscore, and contain only letters, numbers, underscores, " \
    "dots, and brackets"


def nest(depth: int) -> Any:
    """A root group with groups nested `depth` times, leaves at the bottom."""
    node: Any = leaf("x", "=", 1)
    for _ in range(depth):
        node = group("AND", node)
    return node


CONDITION_TABLE: list[tuple[str, Any, list[str]]] = [
    ("null is valid", None, []),
    ("simple leaf", leaf("status", "=", "ACTIVE"), []),
    ("value null is present", leaf("notes", "IS_EMPTY", None), []),
    ("valueField", leaf("a", ">=", None, valueField="b"), []),
    ("deepest valid tree", nest(5), []),
    ("depth 6", nest(6), ["Rule 1: " * 6 + "Maximum nesting depth (5) exceeded"]),
    ("depth 11 hits the safety limit", nest(11), [SAFETY_LIMITS_MESSAGE]),
    ("51 rules", group("AND", *[leaf("x", "=", i) for i in range(51)]), [SAFETY_LIMITS_MESSAGE]),
    ("50 rules", group("AND", *[leaf("x", "=", i) for i in range(50)]), []),
    ("field longer than 200", leaf("a" * 201, "=", 1), [SAFETY_LIMITS_MESSAGE]),
    ("IS_EMPTY without value key", {"field": "x", "operator": "IS_EMPTY"}, ["Invalid condition expression structure"]),
    ("valueField without value key", {"field": "x", "operator": "=", "valueField": "y"},
     ["Invalid condition expression structure"]),
    ("bad logical operator", group("XOR", leaf("x", "=", 1)),
     ['Invalid logical operator: "XOR". Valid operators are: AND, OR, NOT']),
    ("empty group", group("AND"), ["Group must have at least one rule"]),
    ("child errors", group("OR", leaf("x", "=", 1), leaf("", "=", 1), leaf("y", "LIKE", 1)),
     ["Rule 2: Field path is required for simple conditions",
      f'Rule 3: Invalid comparison operator: "LIKE". Valid operators are: {COMPARISON_LIST}']),
    ("field not a string", leaf(5, "=", 1), ["Field path is required for simple conditions"]),  # type: ignore[arg-type]
    ("field format", leaf("1abc", "=", 1), [f'Invalid field path format: "1abc". {FIELD_FORMAT}']),
    ("field with dash", leaf("a-b", "=", 1), [f'Invalid field path format: "a-b". {FIELD_FORMAT}']),
    ("bracket path ok", leaf("items[0].qty", "=", 1), []),
    ("operator empty", leaf("x", "", 1), ["Operator is required"]),
    ("operator lowercase", leaf("x", "in", 1),
     [f'Invalid comparison operator: "in". Valid operators are: {COMPARISON_LIST}']),
    ("valueField not a string", leaf("x", "=", 1, valueField=5), ["valueField must be a string"]),
    ("errors collected", leaf("", "", 1, valueField=[1]),
     ["Field path is required for simple conditions", "Operator is required", "valueField must be a string"]),
    ("not an object", "status = ACTIVE", ["Invalid condition expression structure"]),
    ("null child", group("AND", None), ["Rule 1: Invalid condition expression structure"]),
    ("jsonlogic accepted", {"and": [{">": [{"var": "a"}, 1]}, {"in": ["x", {"var": "tags"}]}]}, []),
    ("jsonlogic unknown operator", {"or": [{"regex": ["a", "b"]}]}, ["Unrecognized operation regex"]),
]


@pytest.mark.parametrize(("expression", "expected"), [pytest.param(*r[1:], id=r[0]) for r in CONDITION_TABLE])
def test_validate_condition_expression(expression: Any, expected: list[str]) -> None:
    assert validate_condition_expression(expression) == expected


def test_full_condition_messages() -> None:
    assert condition_expression_error(leaf("x", "=", 1)) is None
    assert condition_expression_error(group("AND")) == "Invalid condition expression: Group must have at least one rule"
    assert condition_expression_error(nest(11)) == SAFETY_LIMITS_MESSAGE
    assert condition_expression_error(group("AND", leaf("", "=", 1), leaf("x", "", 1))) == (
        "Invalid condition expression: Rule 1: Field path is required for simple conditions; "
        "Rule 2: Operator is required"
    )


TYPES = "ALLOW_TRANSITION, BLOCK_TRANSITION, LOG, SHOW_ERROR, SHOW_WARNING, SHOW_INFO, NOTIFY, SET_FIELD, " \
    "CALL_WEBHOOK, EMIT_EVENT"

ACTIONS_TABLE: list[tuple[str, Any, list[str]]] = [
    ("none", None, []),
    ("empty", [], []),
    ("transitions need nothing", [{"type": "ALLOW_TRANSITION"}, {"type": "BLOCK_TRANSITION", "config": {}}], []),
    ("valid set", [{"type": "LOG", "config": {"message": "m"}}, {"type": "EMIT_EVENT", "config": {"eventName": "e"}}],
     []),
    ("type missing", [{"config": {}}], ["Action 1: Action type is required"]),
    ("type not a string", [{"type": 5}], ["Action 1: Action type is required"]),
    ("unknown type", [{"type": "SEND_SMS"}], [f'Action 1: Unknown action type "SEND_SMS". Valid types are: {TYPES}']),
    ("config absent", [{"type": "SET_FIELD"}],
     ["Action 1: Action SET_FIELD requires config with fields: field, value"]),
    ("notify missing both", [{"type": "NOTIFY", "config": {}}],
     ['Action 1: Required field "message" is missing from config, Required field "recipients" is missing from config']),
    ("falsy values count as missing", [{"type": "SET_FIELD", "config": {"field": "x", "value": 0}}],
     ['Action 1: Required field "value" is missing from config']),
    ("EMIT_EVENT validates eventName", [{"type": "EMIT_EVENT", "config": {"event": "x"}}],
     ['Action 1: Required field "eventName" is missing from config']),
    ("empty recipients pass validation", [{"type": "NOTIFY", "config": {"message": "m", "recipients": []}}], []),
    ("second action", [{"type": "LOG", "config": {"message": "ok"}}, {"type": "CALL_WEBHOOK", "config": {}}],
     ['Action 2: Required field "url" is missing from config']),
]


@pytest.mark.parametrize(("actions", "expected"), [pytest.param(*r[1:], id=r[0]) for r in ACTIONS_TABLE])
def test_validate_actions(actions: Any, expected: list[str]) -> None:
    assert validate_actions(actions) == expected


def test_full_actions_message() -> None:
    assert actions_error([{"type": "NOTIFY", "config": {}}, {"type": "LOG"}]) == (
        'Invalid actions: Action 1: Required field "message" is missing from config, '
        'Required field "recipients" is missing from config; Action 2: Action LOG requires config with fields: message'
    )
    assert actions_error([{"type": "LOG", "config": {"message": "x"}}]) is None
