"""Rule evaluation (enabled, effective window, condition) and the in-memory selection helpers, one
case a row."""

from __future__ import annotations

from typing import Any

import pytest

from rules import (
    ConditionError,
    RuleCache,
    evaluate_conditions,
    evaluate_rules,
    evaluate_single_rule,
    filter_rules_by_context,
    get_applicable_rules,
    sort_rules_by_priority,
)
from tests.rules.builders import NOW, TOMORROW, YESTERDAY, FakeClock, group, leaf, rule

SINGLE_TABLE: list[tuple[str, dict[str, Any], Any, bool, bool, str | None]] = [
    ("matches", {}, {"status": "ACTIVE"}, True, True, None),
    ("does not match", {}, {"status": "INACTIVE"}, False, True, None),
    ("disabled", {"enabled": False}, {"status": "ACTIVE"}, False, False, "Rule is disabled"),
    ("effective from tomorrow", {"effective_from": TOMORROW}, {"status": "ACTIVE"}, False, False,
     "Rule is not effective (outside date range)"),
    ("effective to yesterday", {"effective_to": YESTERDAY}, {"status": "ACTIVE"}, False, False,
     "Rule is not effective (outside date range)"),
    ("inside the window", {"effective_from": YESTERDAY, "effective_to": TOMORROW}, {"status": "ACTIVE"},
     True, True, None),
    ("window bounds are inclusive", {"effective_from": NOW, "effective_to": NOW}, {"status": "ACTIVE"},
     True, True, None),
    ("AND group", {"condition_expression": group("AND", leaf("quantity", ">", 0), leaf("status", "=", "ACTIVE"))},
     {"quantity": 10, "status": "ACTIVE"}, True, True, None),
    ("OR group", {"condition_expression": group("OR", leaf("priority", "=", "HIGH"), leaf("urgent", "=", True))},
     {"priority": "LOW", "urgent": True}, True, True, None),
    ("null condition", {"condition_expression": None}, {}, True, True, None),
    ("invalid operator", {"condition_expression": leaf("status", "INVALID_OPERATOR", "x")}, {"status": "x"},
     False, False, "Condition evaluation failed: Unknown operator: INVALID_OPERATOR"),
    ("jsonlogic condition", {"condition_expression": {"==": [{"var": "status"}, "ACTIVE"]}}, {"status": "ACTIVE"},
     True, True, None),
    ("jsonlogic unknown operator", {"condition_expression": {"and": [{"regex": ["a", "b"]}]}}, {},
     False, False, "Condition evaluation failed: Unrecognized operation regex"),
]


@pytest.mark.parametrize(("overrides", "data", "passed", "completed", "error"),
                         [pytest.param(*r[1:], id=r[0]) for r in SINGLE_TABLE])
def test_evaluate_single_rule(overrides: dict[str, Any], data: Any, passed: bool, completed: bool,
                              error: str | None) -> None:
    result = evaluate_single_rule(rule(**overrides), data, {}, now=NOW, clock=FakeClock())
    assert (result.conditions_passed, result.evaluation_completed, result.error) == (passed, completed, error)
    assert result.evaluation_time >= 0
    if not completed and error and error.startswith("Rule "):
        assert result.evaluation_time == 0


def test_evaluate_conditions() -> None:
    assert evaluate_conditions(leaf("a", "=", 1), {"a": 1}) is True
    assert evaluate_conditions(group("AND", leaf("a", "=", 1), leaf("b", "=", 2)), {"a": 1, "b": 3}) is False
    assert evaluate_conditions(None, {}) is True
    with pytest.raises(ConditionError, match="Condition evaluation failed"):
        evaluate_conditions(leaf("a", "NOPE", 1), {"a": 1})


def _ids(rules: Any) -> list[str]:
    return [r.rule_id for r in rules]


def test_two_matching_rules() -> None:
    result = evaluate_rules([rule("RULE-001"), rule("RULE-002")], {"status": "ACTIVE"}, {}, now=NOW)
    assert (result.conditions_passed, result.evaluation_completed) == (True, True)
    assert (len(result.matched_rules), len(result.failed_rules), result.errors) == (2, 0, None)


def test_one_matching_one_failing() -> None:
    rules = [rule("RULE-001", condition_expression=leaf("qty", ">", 0)),
             rule("RULE-002", condition_expression=leaf("status", "=", "DELETED"))]
    result = evaluate_rules(rules, {"qty": 5, "status": "ACTIVE"}, {}, now=NOW)
    assert _ids(result.matched_rules) == ["RULE-001"]
    assert _ids(result.failed_rules) == ["RULE-002"]


def test_disabled_and_invalid_rules() -> None:
    rules = [rule("RULE-001", enabled=False), rule("RULE-002", condition_expression=leaf("status", "BAD", 1))]
    result = evaluate_rules(rules, {"status": "ACTIVE"}, {}, now=NOW)
    assert (result.conditions_passed, result.evaluation_completed) == (False, False)
    assert result.errors is not None and len(result.errors) == 2
    assert "RULE-001" in result.errors[0] and "RULE-002" in result.errors[1]


def test_matched_in_priority_order() -> None:
    rules = [rule("LOW", priority=50), rule("HIGH", priority=200), rule("MEDIUM", priority=100)]
    assert _ids(evaluate_rules(rules, {"status": "ACTIVE"}, {}, now=NOW).matched_rules) == ["HIGH", "MEDIUM", "LOW"]


SORT_TABLE: list[tuple[str, list[tuple[str, int]], list[str]]] = [
    ("by priority", [("LOW", 50), ("HIGH", 200), ("MEDIUM", 100)], ["HIGH", "MEDIUM", "LOW"]),
    ("ties by ruleId", [("RULE-C", 100), ("RULE-A", 100), ("RULE-B", 100)], ["RULE-A", "RULE-B", "RULE-C"]),
    ("ruleId by locale", [("b-rule", 1), ("A-rule", 1), ("a-rule", 1)], ["a-rule", "A-rule", "b-rule"]),
]


@pytest.mark.parametrize(("given", "expected"), [pytest.param(*r[1:], id=r[0]) for r in SORT_TABLE])
def test_sort_rules_by_priority(given: list[tuple[str, int]], expected: list[str]) -> None:
    rules = [rule(rule_id, priority=priority) for rule_id, priority in given]
    before = list(rules)
    assert _ids(sort_rules_by_priority(rules)) == expected
    assert rules == before


FILTER_TABLE: list[tuple[str, list[dict[str, Any]], str | None, str | None, list[str]]] = [
    ("entity type", [{"entity_type": "WorkOrder"}, {"entity_type": "Item"}, {"entity_type": "WorkOrder"}],
     "WorkOrder", None, ["RULE-1", "RULE-3"]),
    ("event type, null passes", [{"event_type": "beforeSave"}, {"event_type": "afterSave"}, {"event_type": None}],
     None, "beforeSave", ["RULE-1", "RULE-3"]),
    ("both", [{"entity_type": "WorkOrder", "event_type": "beforeSave"},
              {"entity_type": "Item", "event_type": "beforeSave"},
              {"entity_type": "WorkOrder", "event_type": "afterSave"},
              {"entity_type": "WorkOrder", "event_type": None}],
     "WorkOrder", "beforeSave", ["RULE-1", "RULE-4"]),
    ("no filters", [{"entity_type": "A"}, {"entity_type": "B"}], None, None, ["RULE-1", "RULE-2"]),
]


@pytest.mark.parametrize(("specs", "entity_type", "event_type", "expected"),
                         [pytest.param(*r[1:], id=r[0]) for r in FILTER_TABLE])
def test_filter_rules_by_context(specs: list[dict[str, Any]], entity_type: str | None, event_type: str | None,
                                 expected: list[str]) -> None:
    rules = [rule(f"RULE-{i}", **spec) for i, spec in enumerate(specs, start=1)]
    assert _ids(filter_rules_by_context(rules, entity_type, event_type)) == expected


def test_get_applicable_rules() -> None:
    rules = [
        rule("RULE-1", priority=100),
        rule("RULE-2", priority=200, enabled=False),
        rule("RULE-3", priority=150, effective_from=TOMORROW),
        rule("RULE-4", priority=50, effective_to=YESTERDAY),
        rule("RULE-5", priority=300),
    ]
    assert _ids(get_applicable_rules(rules, None, None, now=NOW)) == ["RULE-5", "RULE-1"]
    by_entity = [rule("RULE-1", priority=100), rule("RULE-2", entity_type="Item", priority=200),
                 rule("RULE-3", priority=150)]
    assert _ids(get_applicable_rules(by_entity, "WorkOrder", None, now=NOW)) == ["RULE-3", "RULE-1"]


def test_rule_cache_compiles_once_per_version() -> None:
    cache = RuleCache()
    first = rule("R", updated_at="v1")
    for _ in range(3):
        evaluate_single_rule(first, {"status": "ACTIVE"}, {}, now=NOW, cache=cache)
    assert (cache.misses, cache.hits, len(cache)) == (1, 2, 1)
    changed = rule("R", updated_at="v2", condition_expression=leaf("status", "=", "DONE"))
    result = evaluate_single_rule(changed, {"status": "DONE"}, {}, now=NOW, cache=cache)
    assert result.conditions_passed is True
    assert (cache.misses, len(cache)) == (2, 1)  # the stale version was dropped
    cache.invalidate(changed.id)
    assert len(cache) == 0


def test_rule_cache_is_bounded() -> None:
    cache = RuleCache(maxsize=3)
    for i in range(5):
        cache.get_or_compile(f"r{i}", 1, leaf("x", "=", i))
    assert len(cache) == 3
    assert cache.get_or_compile("r4", 1, None)({"x": 4}) is True  # still cached: the expression is not recompiled
