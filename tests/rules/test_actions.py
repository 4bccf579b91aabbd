"""Actions (docs/rules.md, *Actions*): execution, `{{...}}` interpolation, and the effect values the
business_rules service carries out."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from rules import (
    BlockTransition,
    EmitEvent,
    SendMail,
    SetField,
    apply_set_fields,
    execute_action,
    execute_actions,
    interpolate_message,
)
from tests.rules.builders import NOW, FakeClock

CTX: dict[str, Any] = {
    "user": {"id": "user-123", "email": "test@example.com", "role": "admin"},
    "tenant": {"id": "tenant-456"},
    "organization": {"id": "org-789"},
    "entityType": "WorkOrder",
    "entityId": "wo-001",
    "eventType": "beforeStatusChange",
    "data": {"status": "RELEASED", "priority": "HIGH", "workOrderNumber": "WO-12345"},
    "ruleId": "RULE-001",
    "ruleName": "Work Order Guard",
}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T")
RECIPIENTS = ["supervisor@example.com", "manager@example.com"]
WEBHOOK = "https://api.example.com/webhook"


def ok(expected: dict[str, Any]) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert result.success and result.error is None
        assert result.result == expected

    return check


def field_is(name: str, expected: Any) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert result.success, result.error
        value = result.result[name]
        assert ISO.match(value) if isinstance(expected, re.Pattern) else value == expected

    return check


def fails(fragment: str) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert not result.success and result.result is None
        assert fragment in result.error

    return check


ACTION_TABLE: list[tuple[str, dict[str, Any], Callable[[Any], None]]] = [
    ("allow", {"type": "ALLOW_TRANSITION", "config": {"message": "Transition allowed"}},
     ok({"type": "ALLOW_TRANSITION", "allowed": True, "message": "Transition allowed"})),
    ("allow without config", {"type": "ALLOW_TRANSITION"}, field_is("message", "Transition allowed")),
    ("allow interpolated", {"type": "ALLOW_TRANSITION",
                            "config": {"message": "Work order {{data.workOrderNumber}} can proceed"}},
     field_is("message", "Work order WO-12345 can proceed")),
    ("block", {"type": "BLOCK_TRANSITION", "config": {"message": "Transition blocked"}},
     ok({"type": "BLOCK_TRANSITION", "allowed": False, "message": "Transition blocked"})),
    ("block without config", {"type": "BLOCK_TRANSITION"}, field_is("message", "Transition blocked")),
    ("log", {"type": "LOG", "config": {"level": "info", "message": "Rule executed successfully"}},
     ok({"type": "LOG", "level": "info", "message": "Rule executed successfully",
         "timestamp": "2026-07-25T12:00:00.000Z"})),
    ("log default level", {"type": "LOG", "config": {"message": "m"}}, field_is("level", "info")),
    *[(f"log level {level}", {"type": "LOG", "config": {"level": level, "message": "m"}}, field_is("level", level))
      for level in ("debug", "info", "warn", "error")],
    ("log timestamp", {"type": "LOG", "config": {"message": "m"}}, field_is("timestamp", ISO)),
    *[(f"show {kind}", {"type": f"SHOW_{kind.upper()}", "config": {"message": "X"}},
       ok({"type": f"SHOW_{kind.upper()}", "severity": kind, "message": "X"}))
      for kind in ("error", "warning", "info")],
    ("notify", {"type": "NOTIFY", "config": {"recipients": RECIPIENTS, "subject": "Work Order Update",
                                             "message": "Work order status changed",
                                             "template": "work_order_notification"}},
     ok({"type": "NOTIFY", "recipients": RECIPIENTS, "subject": "Work Order Update",
         "message": "Work order status changed", "template": "work_order_notification"})),
    ("notify interpolated", {"type": "NOTIFY", "config": {"recipients": RECIPIENTS,
                                                          "subject": "Work Order {{data.workOrderNumber}}",
                                                          "message": "Status changed to {{data.status}}"}},
     ok({"type": "NOTIFY", "recipients": RECIPIENTS, "subject": "Work Order WO-12345",
         "message": "Status changed to RELEASED"})),
    ("notify without recipients", {"type": "NOTIFY", "config": {"message": "m"}}, fails("at least one recipient")),
    ("notify recipients not array", {"type": "NOTIFY", "config": {"recipients": "not-an-array"}},
     fails("recipients to be an array")),
    ("set field", {"type": "SET_FIELD", "config": {"field": "assignedTo", "value": "user-456"}},
     ok({"type": "SET_FIELD", "field": "assignedTo", "value": "user-456"})),
    ("set field now", {"type": "SET_FIELD", "config": {"field": "assignedAt", "value": "{{now}}"}},
     field_is("value", ISO)),
    ("set field whole value keeps type", {"type": "SET_FIELD", "config": {"field": "f", "value": "{{user}}"}},
     field_is("value", CTX["user"])),
    ("set field without field", {"type": "SET_FIELD", "config": {"value": "x"}}, fails("requires a field name")),
    ("set field blank field", {"type": "SET_FIELD", "config": {"field": "   "}}, fails("non-empty field name")),
    ("webhook", {"type": "CALL_WEBHOOK", "config": {"url": WEBHOOK, "method": "POST",
                                                    "headers": {"Content-Type": "application/json"},
                                                    "body": {"event": "work_order_updated"}}},
     ok({"type": "CALL_WEBHOOK", "url": WEBHOOK, "method": "POST", "headers": {"Content-Type": "application/json"},
         "body": {"event": "work_order_updated"}, "status": "pending"})),
    ("webhook default method", {"type": "CALL_WEBHOOK", "config": {"url": WEBHOOK}},
     ok({"type": "CALL_WEBHOOK", "url": WEBHOOK, "method": "POST", "headers": {}, "status": "pending"})),
    ("webhook interpolated url", {"type": "CALL_WEBHOOK", "config": {"url": WEBHOOK + "/{{entityId}}"}},
     field_is("url", WEBHOOK + "/wo-001")),
    ("webhook empty url", {"type": "CALL_WEBHOOK", "config": {"url": ""}}, fails("non-empty URL")),
    ("webhook bad method", {"type": "CALL_WEBHOOK", "config": {"url": WEBHOOK, "method": "INVALID"}},
     fails("valid HTTP method")),
    ("webhook lowercase method", {"type": "CALL_WEBHOOK", "config": {"url": WEBHOOK, "method": "get"}},
     field_is("method", "GET")),
    ("emit event", {"type": "EMIT_EVENT", "config": {"event": "work_order.status_changed",
                                                     "payload": {"workOrderId": "wo-001", "newStatus": "RELEASED"}}},
     ok({"type": "EMIT_EVENT", "event": "work_order.status_changed",
         "payload": {"workOrderId": "wo-001", "newStatus": "RELEASED"}})),
    ("emit event by eventName", {"type": "EMIT_EVENT", "config": {"eventName": "sales.order.flagged"}},
     ok({"type": "EMIT_EVENT", "event": "sales.order.flagged", "payload": {}})),
    ("emit event without name", {"type": "EMIT_EVENT", "config": {"payload": {}}}, fails("requires an event name")),
    ("emit event blank name", {"type": "EMIT_EVENT", "config": {"event": "   "}}, fails("non-empty event name")),
    ("unknown type", {"type": "UNKNOWN_ACTION"}, fails("Unknown action type")),
]


@pytest.mark.parametrize(("action", "check"), [pytest.param(*r[1:], id=r[0]) for r in ACTION_TABLE])
def test_execute_action(action: dict[str, Any], check: Callable[[Any], None]) -> None:
    result = execute_action(action, CTX, now=NOW, clock=FakeClock())
    check(result)
    assert result.execution_time >= 0
    assert result.action is action


LOG = {"type": "LOG", "config": {"message": "m"}}


def test_execute_actions_all_succeed() -> None:
    valid_notify = {"type": "NOTIFY", "config": {"recipients": ["a@example.com"], "message": "m"}}
    outcome = execute_actions([LOG, {"type": "ALLOW_TRANSITION"}, valid_notify], CTX, now=NOW)
    assert outcome.success and outcome.errors is None
    assert [r.success for r in outcome.results] == [True, True, True]


def test_a_failing_action_does_not_stop_the_others() -> None:
    outcome = execute_actions([LOG, {"type": "SET_FIELD", "config": {}}, LOG], CTX, now=NOW)
    assert not outcome.success
    assert [r.success for r in outcome.results] == [True, False, True]
    assert outcome.errors == ("Action SET_FIELD: SET_FIELD action requires a field name",)


def test_unknown_actions_each_report() -> None:
    outcome = execute_actions([{"type": "UNKNOWN_ACTION_1"}, {"type": "UNKNOWN_ACTION_2"}], CTX, now=NOW)
    assert not outcome.success
    assert outcome.errors is not None and len(outcome.errors) == 2
    assert "UNKNOWN_ACTION_1" in outcome.errors[0] and "UNKNOWN_ACTION_2" in outcome.errors[1]


def test_no_actions() -> None:
    outcome = execute_actions([], CTX, now=NOW, clock=FakeClock())
    assert (outcome.success, outcome.results, outcome.total_time) == (True, (), 0)
    assert outcome.to_dict() == {"success": True, "results": [], "totalTime": 0}


INTERPOLATION_TABLE: list[tuple[str, str, Any]] = [
    ("user email", "Hello {{user.email}}", "Hello test@example.com"),
    ("two tokens", "User {{user.email}} updated {{data.workOrderNumber}}", "User test@example.com updated WO-12345"),
    ("data", "Work order status: {{data.status}}", "Work order status: RELEASED"),
    ("today", "Today is {{today}}", re.compile(r"^Today is \d{4}-\d{2}-\d{2}$")),
    ("unresolved kept", "Value: {{nonexistent.field}}", "Value: {{nonexistent.field}}"),
    ("repeated", "{{user.email}} - {{user.email}}", "test@example.com - test@example.com"),
    ("empty", "", ""),
    ("static", "Static message", "Static message"),
    ("inner spaces", "User: {{ user.email }}", "User: test@example.com"),
    ("number", "Quantity: {{data.quantity}}", "Quantity: 42"),
    ("null kept", "Value: {{data.nullValue}}", "Value: {{data.nullValue}}"),
    ("undefined kept", "Value: {{data.undefinedValue}}", "Value: {{data.undefinedValue}}"),
    ("untrimmed token kept verbatim", "Value: {{ data.nope }}", "Value: {{ data.nope }}"),
    ("float in JS form", "{{data.ratio}}", "0.30000000000000004"),
    ("array joined", "{{data.list}}", "1,,x"),
    ("object", "{{data.obj}}", "[object Object]"),
    ("boolean", "{{data.flag}}", "false"),
    ("rule id", "{{ruleId}} / {{ruleName}}", "RULE-001 / Work Order Guard"),
]


@pytest.mark.parametrize(("template", "expected"), [pytest.param(*r[1:], id=r[0]) for r in INTERPOLATION_TABLE])
def test_interpolate_message(template: str, expected: Any) -> None:
    data = {**CTX["data"], "quantity": 42, "nullValue": None, "ratio": 0.1 + 0.2, "list": [1, None, "x"],
            "obj": {"a": 1}, "flag": False}
    result = interpolate_message(template, {**CTX, "data": data}, NOW)
    assert expected.match(result) if isinstance(expected, re.Pattern) else result == expected


EFFECT_TABLE: list[tuple[str, dict[str, Any], Any]] = [
    ("emit event", {"type": "EMIT_EVENT", "config": {"eventName": "orders.flagged", "payload": {"id": 1}}},
     EmitEvent("orders.flagged", {"id": 1})),
    ("notify", {"type": "NOTIFY", "config": {"recipients": ["a@x.io"], "subject": "S {{entityId}}", "message": "M"}},
     SendMail(("a@x.io",), "S wo-001", "M", None)),
    ("set field", {"type": "SET_FIELD", "config": {"field": "order.assignee", "value": "{{user.id}}"}},
     SetField("order.assignee", "user-123")),
    ("block", {"type": "BLOCK_TRANSITION", "config": {"message": "No: {{data.status}}"}},
     BlockTransition("No: RELEASED")),
    ("allow has none", {"type": "ALLOW_TRANSITION"}, None),
    ("log has none", LOG, None),
    ("webhook has none", {"type": "CALL_WEBHOOK", "config": {"url": WEBHOOK}}, None),
    ("failed action has none", {"type": "NOTIFY", "config": {"message": "m"}}, None),
]


@pytest.mark.parametrize(("action", "effect"), [pytest.param(*r[1:], id=r[0]) for r in EFFECT_TABLE])
def test_effects(action: dict[str, Any], effect: Any) -> None:
    assert execute_action(action, CTX, now=NOW).effect == effect


def test_set_fields_change_a_copy() -> None:
    data = {"status": "NEW", "order": {"lines": [{"qty": 1}]}}
    effects = [SetField("status", "DONE"), SetField("order.lines[0].qty", 5), SetField("order.owner.id", "u1"),
               SetField("__proto__.x", 1), SetField("status.deeper", 1)]
    result = apply_set_fields(data, effects)
    assert result == {"status": "DONE", "order": {"lines": [{"qty": 5}], "owner": {"id": "u1"}}}
    assert data == {"status": "NEW", "order": {"lines": [{"qty": 1}]}}
