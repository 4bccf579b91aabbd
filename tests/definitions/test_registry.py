"""The code-defined workflows we ship and their guard rules."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from definitions import (
    DefinitionValidationError,
    code_workflow_uuid,
    lint_definition,
    load_shipped,
    shipped_rules,
    validate_create,
)
from definitions.registry import SHIPPED_DIR
from tests.definitions.builders import MIN_ROW

SHIPPED = ["sales.order-approval", "workflows.checkout-demo", "workflows.simple-approval"]


def _raw(workflow_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SHIPPED_DIR / f"{workflow_id}.json").read_text())
    return data


def _rule_refs(workflow_id: str) -> set[str]:
    definition = load_shipped()[workflow_id].definition
    refs = {c.rule_id for s in definition.steps for c in s.pre_conditions or []}
    for t in definition.transitions:
        refs |= {c.rule_id for c in [*(t.pre_conditions or []), *(t.post_conditions or [])]}
    return refs


def test_the_three_reference_workflows_are_shipped() -> None:
    shipped = load_shipped()
    assert sorted(shipped) == SHIPPED
    assert {w: shipped[w].row.workflow_name for w in SHIPPED} == {
        "sales.order-approval": "Sales Order Approval Workflow",
        "workflows.checkout-demo": "Checkout with Payment Webhook",
        "workflows.simple-approval": "Simple Approval Workflow",
    }
    assert {w: shipped[w].module_id for w in SHIPPED} == {
        "sales.order-approval": "sales", "workflows.checkout-demo": "workflows",
        "workflows.simple-approval": "workflows"}


@pytest.mark.parametrize("workflow_id", SHIPPED)
def test_shipped_definitions_are_valid_and_lint_clean(workflow_id: str) -> None:
    raw = _raw(workflow_id)
    raw.pop("moduleId")
    assert validate_create(raw) == []
    assert lint_definition(load_shipped()[workflow_id].definition) == []


@pytest.mark.parametrize("workflow_id", SHIPPED)
def test_to_json_is_the_file_plus_defaults(workflow_id: str) -> None:
    raw = _raw(workflow_id)
    raw.pop("moduleId")
    dumped = load_shipped()[workflow_id].to_json()

    def contains(stored: Any, posted: Any) -> bool:
        if isinstance(posted, dict):
            return isinstance(stored, dict) and all(k in stored and contains(stored[k], v) for k, v in posted.items())
        if isinstance(posted, list):
            return isinstance(stored, list) and len(stored) == len(posted) and all(map(contains, stored, posted))
        return bool(stored == posted)

    assert contains(dumped, raw)
    assert all(t["priority"] >= 0 and "continueOnActivityFailure" in t for t in dumped["definition"]["transitions"])


@pytest.mark.parametrize("workflow_id", SHIPPED)
def test_every_referenced_rule_is_shipped(workflow_id: str) -> None:
    shipped_ids = {r["ruleId"] for r in load_shipped()[workflow_id].guard_rules}
    assert _rule_refs(workflow_id) <= shipped_ids


def test_rule_ids_are_unique() -> None:
    ids = [r["ruleId"] for r in shipped_rules()]
    assert len(ids) == len(set(ids))
    assert {"workflow_checkout_cart_not_empty", "workflow_order_approval_check_approved",
            "workflow_order_approval_check_rejected"} <= set(ids)


_RULE_TYPES = {"GUARD", "VALIDATION", "CALCULATION", "ACTION", "ASSIGNMENT"}
_OPERATORS = {"=", "==", "!=", ">", ">=", "<", "<=", "IN", "NOT_IN", "CONTAINS", "NOT_CONTAINS", "STARTS_WITH",
              "ENDS_WITH", "MATCHES", "IS_EMPTY", "IS_NOT_EMPTY"}
_ACTION_REQUIRED = {"ALLOW_TRANSITION": [], "BLOCK_TRANSITION": [], "LOG": ["message"], "SHOW_ERROR": ["message"],
                    "SHOW_WARNING": ["message"], "SHOW_INFO": ["message"], "NOTIFY": ["message", "recipients"],
                    "SET_FIELD": ["field", "value"], "CALL_WEBHOOK": ["url"], "EMIT_EVENT": ["eventName"]}


def _condition_ok(node: Any, depth: int = 0) -> bool:
    """The structure a stored condition must have: groups of AND/OR/NOT with at least one rule,
    leaves with a field path, a known operator and a value, at most five levels deep."""
    if depth > 5 or not isinstance(node, dict):
        return False
    if isinstance(node.get("rules"), list) and "operator" in node:
        return node["operator"] in {"AND", "OR", "NOT"} and bool(node["rules"]) and all(
            _condition_ok(child, depth + 1) for child in node["rules"])
    return ({"field", "operator", "value"} <= set(node) and node["operator"] in _OPERATORS
            and re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_.\[\]]*", node["field"]) is not None)


@pytest.mark.parametrize("rule", shipped_rules(), ids=lambda r: r["ruleId"])
def test_rules_have_the_business_rules_create_shape(rule: dict[str, Any]) -> None:
    """What POST /api/business_rules/rules accepts (docs/rules.md)."""
    assert 1 <= len(rule["ruleId"]) <= 50 and 1 <= len(rule["ruleName"]) <= 200
    assert rule["ruleType"] == "GUARD" and rule["ruleType"] in _RULE_TYPES
    assert 1 <= len(rule["entityType"]) <= 50 and len(rule.get("eventType") or "") <= 50
    assert rule["entityType"].startswith("workflow:")
    assert isinstance(rule["enabled"], bool) and 0 <= rule["priority"] <= 9999
    assert _condition_ok(rule["conditionExpression"])
    for action in [*(rule.get("successActions") or []), *(rule.get("failureActions") or [])]:
        assert set(action) <= {"type", "config"}
        assert all(action.get("config", {}).get(k) for k in _ACTION_REQUIRED[action["type"]])


def test_simple_approval() -> None:
    definition = load_shipped()["workflows.simple-approval"].definition
    assert [s.step_id for s in definition.steps] == ["start", "approval", "end"]
    approval = definition.steps[1]
    assert approval.step_type == "USER_TASK" and approval.step_name == "Pending Approval"
    assert approval.user_task_config is not None
    assert (approval.user_task_config.assigned_to, approval.user_task_config.sla_duration) == ("approver", "PT1H")
    start_to_approval, approval_to_end = definition.transitions
    assert (start_to_approval.trigger, start_to_approval.priority) == ("auto", 100)
    assert approval_to_end.trigger == "manual"
    activities = start_to_approval.activities or []
    assert [(a.activity_type, a.is_async) for a in activities] == [("SEND_EMAIL", True), ("EMIT_EVENT", True)]
    assert activities[0].retry_policy is not None and activities[0].retry_policy.max_attempts == 3
    assert activities[1].config["eventName"] == "approval.requested"
    assert (approval_to_end.activities or [])[1].config["eventName"] == "approval.completed"


def test_checkout_demo() -> None:
    definition = load_shipped()["workflows.checkout-demo"].definition
    assert [s.step_id for s in definition.steps] == ["start", "cart_validation", "customer_info", "payment_initiation",
                                                     "wait_payment_confirmation", "order_confirmation", "end"]
    start = definition.steps[0]
    assert start.pre_conditions is not None
    (pre,) = start.pre_conditions
    assert pre.rule_id == "workflow_checkout_cart_not_empty" and set(pre.validation_message or {}) == {"en", "pl"}
    signal = definition.steps[4].signal_config
    assert signal is not None and (signal.signal_name, signal.timeout) == ("payment_confirmed", "PT5M")
    form = definition.steps[2].user_task_config
    assert form is not None and form.form_schema is not None
    assert form.form_schema.model_dump(by_alias=True, exclude_unset=True)["required"] == ["fullName", "email"]
    by_id = {t.transition_id: t for t in definition.transitions}
    assert [c.rule_id for c in by_id["cart_to_customer_info"].pre_conditions or []] == [pre.rule_id]
    create_order, email = by_id["confirmation_to_end"].activities or []
    assert create_order.activity_type == "CALL_API" and create_order.is_async is False
    assert (create_order.config["endpoint"], create_order.config["method"]) == ("/api/sales/orders", "POST")
    assert create_order.retry_policy is not None and create_order.retry_policy.max_attempts == 3
    assert (email.activity_type, email.is_async) == ("SEND_EMAIL", True)


def test_sales_order_approval() -> None:
    definition = load_shipped()["sales.order-approval"].definition
    by_id = {t.transition_id: t for t in definition.transitions}
    approved, rejected = by_id["pending_approval_to_approved"], by_id["pending_approval_to_rejected"]
    assert (approved.priority, rejected.priority) == (100, 90)
    assert [c.rule_id for c in approved.pre_conditions or []] == ["workflow_order_approval_check_approved"]
    assert [c.rule_id for c in rejected.pre_conditions or []] == ["workflow_order_approval_check_rejected"]
    assert all(by_id[t].continue_on_activity_failure for t in ("start_to_pending", "pending_approval_to_approved",
                                                               "pending_approval_to_rejected"))
    assert (by_id["start_to_pending"].activities or [])[0].config["commandId"] == "sales.orders.update"
    (trigger,) = definition.triggers or []
    assert (trigger.trigger_id, trigger.event_pattern) == ("order_approval_trigger", "sales.order.created")
    assert trigger.config is not None and trigger.config.entity_type == "SalesOrder"
    rules = {r["ruleId"]: r for r in load_shipped()["sales.order-approval"].guard_rules}
    assert rules["workflow_order_approval_check_approved"]["conditionExpression"] == {
        "field": "workflowContext.decision", "operator": "=", "value": "approve"}


def test_code_workflow_uuid_follows_the_spec() -> None:
    h = hashlib.sha256(b"code-workflow:workflows.simple-approval").hexdigest()
    expected = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"
    assert code_workflow_uuid("workflows.simple-approval") == expected
    assert load_shipped()["workflows.simple-approval"].uuid == expected
    for workflow_id in SHIPPED:
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                            code_workflow_uuid(workflow_id))
    assert code_workflow_uuid("a") != code_workflow_uuid("b")


def test_a_broken_file_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "qa-wf-123.json").write_text(json.dumps({**MIN_ROW, "moduleId": "qa", "workflowName": ""}))
    with pytest.raises(DefinitionValidationError, match="workflowName"):
        load_shipped(tmp_path)


def test_the_file_name_is_the_workflow_id(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text(json.dumps({**MIN_ROW, "moduleId": "qa"}))
    with pytest.raises(ValueError, match="does not match the file name"):
        load_shipped(tmp_path)


def test_rules_are_read_next_to_their_workflow(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "qa-wf-123.json").write_text(json.dumps({**MIN_ROW, "moduleId": "qa"}))
    (tmp_path / "rules" / "qa-wf-123.json").write_text(json.dumps([{"ruleId": "r"}]))
    assert load_shipped(tmp_path)["qa-wf-123"].guard_rules == ({"ruleId": "r"},)
    assert shipped_rules(tmp_path) == [{"ruleId": "r"}]
