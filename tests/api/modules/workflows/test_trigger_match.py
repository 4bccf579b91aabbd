"""Event triggers, the pure part (docs/workflows.md, "Event triggers"): patterns, the 14 filter operators with the
reference's JavaScript semantics, context mapping, the start context and metadata."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from api.modules.workflows.trigger_match import (
    TriggerSpec,
    by_priority,
    condition_holds,
    filters_pass,
    mapped_context,
    matches_pattern,
    matching,
    start_context,
    start_metadata,
    triggers_of,
    wants_event,
)

NOW = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


def spec(config: dict[str, Any] | None = None, *, pattern: str = "example.todo.created", priority: int = 0,
         trigger_id: str = "t1", source: str = "embedded") -> TriggerSpec:
    return TriggerSpec(id=f"def-1:{trigger_id}", trigger_id=trigger_id, name=f"Trigger {trigger_id}",
                       event_pattern=pattern, config=config or {}, priority=priority, definition_id="def-1",
                       workflow_id="qa-wf", version=1, source=source)


@pytest.mark.parametrize(("pattern", "name", "expected"), [
    ("*", "anything.at.all", True),
    ("*", "x", True),
    ("sales.orders.created", "sales.orders.created", True),
    ("sales.orders.created", "sales.orders.updated", False),
    ("sales.orders.*", "sales.orders.created", True),
    ("sales.orders.*", "sales.orders.x.y", False),
    ("sales.orders.*", "sales.orders", False),
    ("sales.*.created", "sales.orders.created", True),
    ("sales.*.created", "sales.orders.items.created", False),
    ("*.created", "todo.created", True),
    ("*.created", "example.todo.created", False),
    ("sales.order*", "sales.orders", True),
    ("sales.order*", "sales.order", True),
    ("sales.ord*s.*", "sales.orders.created", True),
    ("sales.ord*s.*", "sales.ord.created", False),
    ("Sales.Orders.*", "sales.orders.created", True),
    ("sales.orders.created", "SALES.orders.created", True),
    ("sales", "sales.orders", False),
    ("sales.orders", "sales", False),
    ("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "a" * 200, False),
])
def test_event_patterns(pattern: str, name: str, expected: bool) -> None:
    assert matches_pattern(name, pattern) is expected


@pytest.mark.parametrize(("name", "tenant", "org", "expected"), [
    ("example.todo.created", "t", "o", True),
    ("example.todo.created", "t", None, False),
    ("example.todo.created", None, "o", False),
    ("example.todo.created", "", "o", False),
    ("workflows.definition.created", "t", "o", False),
    ("query_index.rebuilt", "t", "o", False),
    ("search.indexed", "t", "o", False),
    ("cache.cleared", "t", "o", False),
    ("queue.job.done", "t", "o", False),
    ("workflowsx.thing", "t", "o", True),
])
def test_ignored_events(name: str, tenant: str | None, org: str | None, expected: bool) -> None:
    assert wants_event(name, tenant, org) is expected


PAYLOAD: dict[str, Any] = {
    "id": "todo-1", "title": "Write the report", "count": 5, "ratio": 2.5, "flag": True, "zero": 0,
    "nothing": None, "tags": ["urgent", "home", 3, True], "customer": {"tier": "gold", "address": {"city": "Oslo"}},
    "items": [{"sku": "A-1"}, {"sku": "B-2"}], "empty": "",
}


@pytest.mark.parametrize(("field", "operator", "value", "expected"), [
    # eq / neq: strict equality (JavaScript ===)
    ("title", "eq", "Write the report", True),
    ("title", "eq", "write the report", False),
    ("count", "eq", 5, True),
    ("count", "eq", 5.0, True),
    ("count", "eq", "5", False),
    ("flag", "eq", True, True),
    ("flag", "eq", 1, False),
    ("zero", "eq", False, False),
    ("zero", "eq", 0, True),
    ("nothing", "eq", None, True),
    ("missing", "eq", None, False),
    ("customer", "eq", {"tier": "gold", "address": {"city": "Oslo"}}, False),
    ("tags", "eq", ["urgent", "home", 3, True], False),
    ("customer.tier", "eq", "gold", True),
    ("customer.address.city", "eq", "Oslo", True),
    ("items.1.sku", "eq", "B-2", True),
    ("title", "neq", "Other", True),
    ("title", "neq", "Write the report", False),
    ("flag", "neq", 1, True),
    ("missing", "neq", None, True),
    ("nothing", "neq", None, False),
    # gt / gte / lt / lte: numbers only, never bools or numeric strings
    ("count", "gt", 4, True),
    ("count", "gt", 5, False),
    ("count", "gte", 5, True),
    ("ratio", "lt", 3, True),
    ("ratio", "lte", 2.5, True),
    ("ratio", "lte", 2.4, False),
    ("flag", "gt", 0, False),
    ("count", "gt", True, False),
    ("count", "gt", "4", False),
    ("title", "gt", "A", False),
    ("missing", "lt", 10, False),
    ("nothing", "lte", 0, False),
    # contains: substring of a string, member of an array (strictly)
    ("title", "contains", "report", True),
    ("title", "contains", "Report", False),
    ("title", "contains", "", True),
    ("tags", "contains", "home", True),
    ("tags", "contains", "hom", False),
    ("tags", "contains", 3, True),
    ("tags", "contains", "3", False),
    ("tags", "contains", 1, False),
    ("tags", "contains", True, True),
    ("count", "contains", 5, False),
    ("customer", "contains", "tier", False),
    ("title", "contains", 5, False),
    # startsWith / endsWith: strings only
    ("title", "startsWith", "Write", True),
    ("title", "startsWith", "write", False),
    ("title", "endsWith", "report", True),
    ("title", "endsWith", "Write", False),
    ("count", "startsWith", "5", False),
    ("title", "startsWith", None, False),
    ("tags", "endsWith", "True", False),
    # in / notIn: the value must be an array
    ("title", "in", ["Other", "Write the report"], True),
    ("title", "in", ["Other"], False),
    ("count", "in", [5], True),
    ("count", "in", ["5"], False),
    ("flag", "in", [1], False),
    ("missing", "in", [None], False),
    ("nothing", "in", [None], True),
    ("title", "in", "Write the report", False),
    ("title", "notIn", ["Other"], True),
    ("title", "notIn", ["Write the report"], False),
    ("title", "notIn", "Other", False),
    ("flag", "notIn", [1], True),
    # exists / notExists: not null and not undefined
    ("title", "exists", None, True),
    ("zero", "exists", None, True),
    ("empty", "exists", None, True),
    ("nothing", "exists", None, False),
    ("missing", "exists", None, False),
    ("customer.address.zip", "exists", None, False),
    ("nothing", "notExists", None, True),
    ("missing", "notExists", None, True),
    ("title", "notExists", None, False),
    # regex: linear-time, strings only, invalid -> false
    ("title", "regex", "^Write", True),
    ("title", "regex", "report$", True),
    ("title", "regex", "^report", False),
    ("title", "regex", "[", False),
    ("title", "regex", "(a)\\1", False),
    ("title", "regex", "(?=Write)", False),
    ("count", "regex", "5", False),
    ("title", "regex", 5, False),
    ("title", "regex", "W" + "x?" * 97 + "rite.", True),  # 200 characters
    ("title", "regex", "W" + "x?" * 97 + "rite..", False),  # 201
    # an operator the validation would refuse never holds
    ("title", "like", "Write%", False),
])
def test_operators(field: str, operator: str, value: Any, expected: bool) -> None:
    assert condition_holds({"field": field, "operator": operator, "value": value}, PAYLOAD) is expected


def test_regex_limits_and_catastrophic_patterns() -> None:
    long_text = {"text": "a" * 10_000 + "!", "ok": "a" * 10_000}
    assert condition_holds({"field": "ok", "operator": "regex", "value": "a$"}, long_text) is True
    assert condition_holds({"field": "text", "operator": "regex", "value": "a"}, long_text) is False
    # Backtracking engines take forever here; the linear one answers at once.
    evil = {"field": "ok", "operator": "regex", "value": "(a+)+b"}
    assert condition_holds(evil, long_text) is False


def test_missing_value_is_undefined_not_null() -> None:
    # The condition's `value` left out is JavaScript undefined: equal to a missing field only.
    assert condition_holds({"field": "missing", "operator": "eq"}, PAYLOAD) is True
    assert condition_holds({"field": "nothing", "operator": "eq"}, PAYLOAD) is False
    assert condition_holds({"field": "missing", "operator": "in"}, PAYLOAD) is False


def test_filters_are_anded() -> None:
    both = {"filterConditions": [{"field": "title", "operator": "contains", "value": "report"},
                                 {"field": "count", "operator": "gte", "value": 5}]}
    assert filters_pass(both, PAYLOAD) is True
    assert filters_pass({"filterConditions": [*both["filterConditions"],
                                              {"field": "flag", "operator": "eq", "value": False}]}, PAYLOAD) is False
    assert filters_pass({}, PAYLOAD) is True
    assert filters_pass({"filterConditions": []}, PAYLOAD) is True


def test_matching_checks_pattern_then_filters() -> None:
    a = spec({"filterConditions": [{"field": "count", "operator": "eq", "value": 5}]}, trigger_id="a")
    b = spec({"filterConditions": [{"field": "count", "operator": "eq", "value": 6}]}, trigger_id="b")
    c = spec(pattern="example.todo.*", trigger_id="c")
    d = spec(pattern="example.todo.updated", trigger_id="d")
    assert [t.trigger_id for t in matching([a, b, c, d], "example.todo.created", PAYLOAD)] == ["a", "c"]


def test_context_mapping() -> None:
    config = {"contextMapping": [
        {"targetKey": "todoTitle", "sourceExpression": "title"},
        {"targetKey": "city", "sourceExpression": "customer.address.city"},
        {"targetKey": "firstSku", "sourceExpression": "items.0.sku"},
        {"targetKey": "fallback", "sourceExpression": "missing", "defaultValue": "n/a"},
        {"targetKey": "fromNull", "sourceExpression": "nothing", "defaultValue": 7},
        {"targetKey": "keepsFalsy", "sourceExpression": "zero", "defaultValue": 9},
        {"targetKey": "unmapped", "sourceExpression": "missing"},
        {"targetKey": "nullDefault", "sourceExpression": "missing", "defaultValue": None},
    ]}
    assert mapped_context(config, PAYLOAD) == {
        "todoTitle": "Write the report", "city": "Oslo", "firstSku": "A-1", "fallback": "n/a", "fromNull": 7,
        "keepsFalsy": 0, "nullDefault": None,
    }
    assert mapped_context({}, PAYLOAD) == {}


def test_start_context_spreads_the_payload_then_the_mappings() -> None:
    trigger = spec({"contextMapping": [{"targetKey": "title", "sourceExpression": "customer.tier"},
                                       {"targetKey": "orderRef", "sourceExpression": "id"}]})
    payload = {"id": "todo-1", "title": "Original", "customer": {"tier": "gold"}, "tenantId": "t",
               "organizationId": "o"}
    assert start_context(trigger, "example.todo.created", payload, NOW) == {
        "id": "todo-1", "title": "gold", "customer": {"tier": "gold"}, "tenantId": "t", "organizationId": "o",
        "orderRef": "todo-1",
        "__trigger": {"triggerId": "def-1:t1", "triggerName": "Trigger t1", "eventName": "example.todo.created",
                      "eventPayload": payload, "triggeredAt": "2025-03-04T05:06:07.890Z", "source": "embedded"},
    }
    # A mapping that resolves to nothing leaves the payload's own key alone.
    assert start_context(spec({"contextMapping": [{"targetKey": "title", "sourceExpression": "nope"}]}),
                         "e", payload, NOW)["title"] == "Original"


def test_metadata() -> None:
    trigger = spec({"entityType": "Todo"}, source="code")
    assert start_metadata(trigger, "example.todo.created", {"id": "todo-1"}) == {
        "initiatedBy": "trigger:def-1:t1", "entityId": "todo-1", "entityType": "Todo",
        "labels": {"trigger_id": "def-1:t1", "trigger_name": "Trigger t1", "event_name": "example.todo.created",
                   "trigger_source": "code"},
    }
    meta = start_metadata(trigger, "e", {"id": 42, "userId": "user-1", "actorUserId": "user-2",
                                         "entityType": "Custom"})
    assert meta["initiatedBy"] == "user-1" and meta["entityId"] == 42 and meta["entityType"] == "Custom"
    assert start_metadata(trigger, "e", {"userId": "", "actorUserId": "user-2"})["initiatedBy"] == "user-2"
    assert start_metadata(trigger, "e", {"userId": None, "actorUserId": 0})["initiatedBy"] == "trigger:def-1:t1"
    bare = start_metadata(spec(), "e", {"entityType": ""})
    assert "entityId" not in bare and "entityType" not in bare


def test_triggers_of_a_stored_definition() -> None:
    definition = {"triggers": [
        {"triggerId": "low", "name": "Low", "eventPattern": "a.b.c", "enabled": True, "priority": 1},
        {"triggerId": "off", "name": "Off", "eventPattern": "a.b.c", "enabled": False, "priority": 50},
        {"triggerId": "high", "name": "High", "eventPattern": "a.*.c", "enabled": True, "priority": 10,
         "config": {"debounceMs": 500, "maxConcurrentInstances": 3}},
        {"triggerId": "same", "name": "Same", "eventPattern": "x", "enabled": True, "priority": 1},
        {"name": "broken"},
    ]}
    found = triggers_of(definition, id_prefix="row-1", definition_id="row-1", workflow_id="wf", version=2,
                        source="embedded")
    assert [t.id for t in found] == ["row-1:low", "row-1:high", "row-1:same"]
    assert [t.trigger_id for t in by_priority(found)] == ["high", "low", "same"]
    high = found[1]
    assert (high.debounce_ms, high.max_concurrent_instances, high.version) == (500, 3, 2)
    assert (found[0].debounce_ms, found[0].max_concurrent_instances) == (0, 0)
    assert triggers_of({}, id_prefix="x", definition_id="x", workflow_id="x", version=1, source="code") == []
