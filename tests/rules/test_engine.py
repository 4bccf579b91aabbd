"""Rule discovery, execution and aggregation (docs/rules.md, *How rules run*): context validation,
selection, GUARD aggregation, direct execution, log content, plus effects."""

from __future__ import annotations

from typing import Any

import pytest

from rules import (
    BlockTransition,
    EmitEvent,
    RuleCache,
    SetField,
    execute_rule_directly,
    execute_rule_list,
    execute_rules,
    execute_single_rule,
    is_uuid,
    log_input_context,
    sanitize_for_log,
    select_rules,
)
from tests.rules.builders import NOW, ORG, TENANT, TOMORROW, YESTERDAY, FakeClock, context, leaf, rule

PASSING = leaf("status", "=", "ACTIVE")
FAILING = leaf("status", "=", "NEVER")
BLOCK = [{"type": "BLOCK_TRANSITION", "config": {"message": "blocked"}}]
ALLOW = [{"type": "ALLOW_TRANSITION"}]
DATA = {"status": "ACTIVE"}


def _ids(rules: Any) -> list[str]:
    return [r.rule_id for r in rules]


# --- discovery -----------------------------------------------------------------------------

OTHER = "00000000-0000-4000-8000-000000000999"
DISCOVERY_TABLE: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("matches", {}, {}, True),
    ("other entity type", {"entity_type": "Item"}, {}, False),
    ("other tenant", {"tenant_id": OTHER}, {}, False),
    ("other organization", {"organization_id": OTHER}, {}, False),
    ("disabled", {"enabled": False}, {}, False),
    ("deleted", {"deleted_at": YESTERDAY}, {}, False),
    ("not yet effective", {"effective_from": TOMORROW}, {}, False),
    ("expired", {"effective_to": YESTERDAY}, {}, False),
    ("window bounds inclusive", {"effective_from": NOW, "effective_to": NOW}, {}, True),
    ("same event type", {"event_type": "beforeSave"}, {"event_type": "beforeSave"}, True),
    ("other event type", {"event_type": "afterSave"}, {"event_type": "beforeSave"}, False),
    ("rule without event type, context with one", {"event_type": None}, {"event_type": "beforeSave"}, False),
    ("context without event type matches any", {"event_type": "afterSave"}, {}, True),
    ("context without event type matches none", {"event_type": None}, {}, True),
    ("empty context event type is none", {"event_type": "afterSave"}, {"event_type": ""}, True),
    ("rule type filter", {"rule_type": "ACTION"}, {"rule_type": "GUARD"}, False),
]


@pytest.mark.parametrize(("overrides", "query", "selected"), [pytest.param(*r[1:], id=r[0]) for r in DISCOVERY_TABLE])
def test_select_rules(overrides: dict[str, Any], query: dict[str, Any], selected: bool) -> None:
    found = select_rules([rule(**overrides)], entity_type="WorkOrder", tenant_id=TENANT, organization_id=ORG,
                         now=NOW, **query)
    assert (len(found) == 1) is selected


def test_select_rules_orders_by_priority_then_rule_id() -> None:
    rules = [rule("B", priority=10), rule("C", priority=50), rule("A", priority=10), rule("D", priority=900)]
    found = select_rules(rules, entity_type="WorkOrder", tenant_id=TENANT, organization_id=ORG, now=NOW)
    assert _ids(found) == ["D", "C", "A", "B"]


# --- multi-rule execution: which rules run, what `allowed` is --------------------------------


def test_rules_run_in_discovery_order_and_all_pass() -> None:
    rules = [rule("TEST-002", rule_type="ACTION", priority=50), rule("TEST-001", priority=100)]
    result = execute_rules(rules, context(DATA), now=NOW)
    assert _ids(r.rule for r in result.executed_rules) == ["TEST-001", "TEST-002"]
    assert result.allowed is True and result.errors is None


def test_a_failing_guard_blocks() -> None:
    result = execute_rules([rule(condition_expression=FAILING, failure_actions=BLOCK)], context(DATA), now=NOW)
    assert result.allowed is False
    assert len(result.executed_rules) == 1
    assert result.effects == (BlockTransition("blocked"),)


def test_two_passing_guards_allow() -> None:
    result = execute_rules([rule("G1"), rule("G2")], context(DATA), now=NOW)
    assert result.allowed is True
    assert all(r.condition_result for r in result.executed_rules)


def test_action_rules_never_affect_allowed() -> None:
    rules = [rule("A1", rule_type="ACTION", priority=200), rule("A2", rule_type="ACTION", condition_expression=FAILING)]
    result = execute_rules(rules, context(DATA), now=NOW)
    assert [r.condition_result for r in result.executed_rules] == [True, False]
    assert result.allowed is True


def test_every_rule_runs_after_a_guard_failed() -> None:
    rules = [rule("G1", priority=9, condition_expression=FAILING), rule("G2", priority=1)]
    result = execute_rules(rules, context(DATA), now=NOW)
    assert len(result.executed_rules) == 2 and result.allowed is False


def test_an_erroring_guard_counts_as_false() -> None:
    result = execute_rules([rule(condition_expression=leaf("status", "BAD", 1))], context(DATA), now=NOW)
    assert result.allowed is False
    assert result.errors == (
        "Rule execution failed [ruleId=TEST-001, type=GUARD, entityType=WorkOrder]: "
        "Condition evaluation failed: Unknown operator: BAD",
    )
    execution = result.executed_rules[0]
    assert (execution.execution_result, execution.actions_executed, execution.output_context()) == ("ERROR", None, None)


def test_transition_actions_do_not_change_allowed() -> None:
    result = execute_rules([rule(rule_type="ACTION", success_actions=BLOCK)], context(DATA), now=NOW)
    assert result.allowed is True
    assert result.effects == (BlockTransition("blocked"),)


CONTEXT_TABLE: list[tuple[str, dict[str, Any], str]] = [
    ("missing entity type", {"entity_type": ""}, "entityType: entityType is required"),
    ("bad tenant", {"tenant_id": "tenant-1"}, "tenantId: tenantId must be a valid UUID"),
    ("bad organization", {"organization_id": ""}, "organizationId: organizationId must be a valid UUID"),
    ("entity id not a string", {"entity_id": 5}, "entityId: Invalid input: expected string, received number"),
]


@pytest.mark.parametrize(("overrides", "error"), [pytest.param(*r[1:], id=r[0]) for r in CONTEXT_TABLE])
def test_invalid_context(overrides: dict[str, Any], error: str) -> None:
    result = execute_rules([rule()], context(DATA, **overrides), now=NOW)
    assert (result.allowed, result.executed_rules, result.total_execution_time) == (False, (), 0)
    assert result.errors == (error,)


@pytest.mark.parametrize(("value", "valid"), [
    ("00000000-0000-4000-8000-000000000101", True), ("00000000-0000-0000-0000-000000000000", True),
    ("ffffffff-ffff-ffff-ffff-ffffffffffff", True), ("123e4567-e89b-12d3-a456-426614174000", True),
    ("00000000-0000-0000-8000-000000000101", False), ("00000000-0000-4000-0000-000000000101", False),
    ("not-a-uuid", False),
])
def test_is_uuid(value: str, valid: bool) -> None:
    assert is_uuid(value) is valid


def test_times_come_from_the_clock() -> None:
    clock = FakeClock()
    clock.step = 0.002
    result = execute_rules([rule(success_actions=ALLOW)], context(DATA), now=NOW, clock=clock)
    assert result.total_execution_time > 0 and result.executed_rules[0].execution_time > 0
    without_clock = execute_rules([rule()], context(DATA), now=NOW)
    assert (without_clock.total_execution_time, without_clock.executed_rules[0].execution_time) == (0, 0)


def test_rule_count_limit() -> None:
    rules = [rule(f"R{i:03d}") for i in range(101)]
    result = execute_rules(rules, context(DATA), now=NOW)
    assert result.allowed is False and result.executed_rules == ()
    assert result.errors == ("Rule count limit exceeded: 101 rules found, maximum is 100",)
    assert execute_rules(rules[:100], context(DATA), now=NOW).allowed is True


def test_single_rule_timeout() -> None:
    clock = FakeClock()
    clock.step = 11.0  # every reading of the clock advances 11 s
    result = execute_single_rule(rule(success_actions=ALLOW), context(DATA), now=NOW, clock=clock)
    assert result.condition_result is False and result.actions_executed is None
    assert result.error == (
        "Failed to execute rule [ruleId=TEST-001, entityType=WorkOrder]: "
        "Single rule execution timeout [ruleId=TEST-001] (timeout: 30000ms)"
    )
    assert result.effects == ()


def test_total_timeout_stops_the_run() -> None:
    clock = FakeClock()
    clock.step = 7.0
    rules = [rule(f"R{i}", rule_type="ACTION") for i in range(5)]
    result = execute_rule_list(rules, context(DATA, entity_id="wo-1"), now=NOW, clock=clock)
    assert result.allowed is False
    assert 0 < len(result.executed_rules) < 5
    assert result.errors is not None
    assert result.errors[-1] == (
        "Critical rule engine error [entityType=WorkOrder, entityId=wo-1]: "
        "Total rule execution timeout [entityType=WorkOrder] (timeout: 60000ms)"
    )


# --- single rule execution and log content --------------------------------------------------


def test_success_actions_run_when_the_condition_holds() -> None:
    result = execute_single_rule(rule(success_actions=ALLOW, failure_actions=BLOCK), context(DATA), now=NOW)
    assert result.condition_result is True
    assert result.actions_executed is not None and result.actions_executed.success
    assert result.actions_executed.results[0].result == {"type": "ALLOW_TRANSITION", "allowed": True,
                                                         "message": "Transition allowed"}
    assert (result.execution_result, result.error) == ("SUCCESS", None)
    assert result.output_context() == {"conditionResult": True,
                                       "actionsExecuted": [{"type": "ALLOW_TRANSITION", "success": True}]}


def test_failure_actions_run_when_it_does_not() -> None:
    failing = [{"type": "NOTIFY", "config": {"message": "m"}}]
    result = execute_single_rule(rule(condition_expression=FAILING, failure_actions=failing), context(DATA), now=NOW)
    assert result.condition_result is False and result.execution_result == "FAILURE"
    assert result.actions_executed is not None and result.actions_executed.success is False
    assert result.error is None  # failed actions are not a rule error
    assert result.output_context() == {"conditionResult": False, "actionsExecuted": [
        {"type": "NOTIFY", "success": False, "error": "NOTIFY action requires at least one recipient"}]}


def test_no_actions_for_the_branch_means_no_output_context() -> None:
    result = execute_single_rule(rule(success_actions=[]), context(DATA), now=NOW)
    assert (result.actions_executed, result.output_context()) == (None, None)


def test_conditions_see_the_evaluation_context() -> None:
    condition = {"operator": "AND", "rules": [
        leaf("owner", "=", "{{user.id}}"), leaf("tenant", "=", "{{tenant.id}}"),
        leaf("org", "=", "{{organization.id}}"), leaf("kind", "=", "{{entityType}}"), leaf("id", "=", "{{entityId}}")]}
    data = {"owner": "u1", "tenant": TENANT, "org": ORG, "kind": "WorkOrder", "id": "wo-9"}
    ctx = context(data, user={"id": "u1"}, entity_id="wo-9")
    assert execute_single_rule(rule(condition_expression=condition), ctx, now=NOW).condition_result is True


def test_effects_and_returned_data() -> None:
    actions = [
        {"type": "SET_FIELD", "config": {"field": "status", "value": "APPROVED"}},
        {"type": "SET_FIELD", "config": {"field": "approvedBy", "value": "{{user.id}}"}},
        {"type": "EMIT_EVENT", "config": {"eventName": "orders.approved", "payload": {"n": 1}}},
    ]
    data = {"status": "ACTIVE", "lines": [1]}
    result = execute_rules([rule(rule_type="ACTION", success_actions=actions)], context(data, user={"id": "u7"}),
                           now=NOW)
    assert result.effects == (SetField("status", "APPROVED"), SetField("approvedBy", "u7"),
                              EmitEvent("orders.approved", {"n": 1}))
    assert result.data == {"status": "APPROVED", "lines": [1], "approvedBy": "u7"}
    assert data == {"status": "ACTIVE", "lines": [1]}


def test_rules_share_a_cache() -> None:
    cache = RuleCache()
    rules = [rule("R1", updated_at=1), rule("R2", updated_at=1)]
    for _ in range(3):
        execute_rules(rules, context(DATA), now=NOW, cache=cache)
    assert (cache.misses, cache.hits) == (2, 4)


# --- direct execution (one rule by id) -------------------------------------------------------

DIRECT_TABLE: list[tuple[str, Any, bool, str, str, str | None]] = [
    ("not found", None, False, "wanted-id", "Unknown", "Rule not found"),
    ("disabled", rule(enabled=False), False, "TEST-001", "Test Rule", "Rule is disabled"),
    ("not yet effective", rule(effective_from=TOMORROW), False, "TEST-001", "Test Rule",
     "Rule is not yet effective (starts 2026-07-26T12:00:00.000Z)"),
    ("expired", rule(effective_to=YESTERDAY), False, "TEST-001", "Test Rule",
     "Rule has expired (ended 2026-07-24T12:00:00.000Z)"),
    ("runs", rule(), True, "TEST-001", "Test Rule", None),
    ("condition false is still success", rule(condition_expression=FAILING), True, "TEST-001", "Test Rule", None),
    ("evaluation error", rule(condition_expression=leaf("x", "??", 1)), False, "TEST-001", "Test Rule",
     "Condition evaluation failed: Unknown operator: ??"),
]


@pytest.mark.parametrize(("record", "success", "rule_id", "rule_name", "error"),
                         [pytest.param(*r[1:], id=r[0]) for r in DIRECT_TABLE])
def test_execute_rule_directly(record: Any, success: bool, rule_id: str, rule_name: str, error: str | None) -> None:
    result = execute_rule_directly(record, context(DATA, entity_type=""), requested_rule_id="wanted-id", now=NOW)
    assert (result.success, result.rule_id, result.rule_name, result.error) == (success, rule_id, rule_name, error)
    refused = error is not None and error.startswith("Rule ")
    assert (result.execution is None) is refused


def test_direct_execution_defaults_entity_and_event_type_to_the_rule() -> None:
    condition = {"operator": "AND", "rules": [leaf("e", "=", "{{entityType}}"), leaf("v", "=", "{{eventType}}")]}
    record = rule(entity_type="workflow:wf:start", event_type="validate_start", condition_expression=condition)
    result = execute_rule_directly(record, context({"e": "workflow:wf:start", "v": "validate_start"}, entity_type=""),
                                   requested_rule_id="x", now=NOW)
    assert result.condition_result is True


# --- log content: redaction and depth -------------------------------------------------------

SANITIZE_TABLE: list[tuple[str, Any, Any]] = [
    ("primitives kept", {"a": 1, "b": "x", "c": None}, {"a": 1, "b": "x", "c": None}),
    ("secrets redacted", {"password": "p", "apiKey": "k", "api-key": "k", "userToken": "t", "creditCard": "c"},
     {"password": "[REDACTED]", "apiKey": "[REDACTED]", "api-key": "[REDACTED]", "userToken": "[REDACTED]",
      "creditCard": "[REDACTED]"}),
    ("substring over-redacts", {"author": "a", "className": "c"}, {"author": "[REDACTED]", "className": "[REDACTED]"}),
    ("nested", {"user": {"ssn": "1", "name": "n"}}, {"user": {"ssn": "[REDACTED]", "name": "n"}}),
    ("arrays mapped", [{"pwd": 1}, 2], [{"pwd": "[REDACTED]"}, 2]),
    ("depth capped", {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}},
     {"a": {"b": {"c": {"d": {"e": {"f": "[Max depth exceeded]"}}}}}}),
    ("array items at depth 6", {"a": {"b": {"c": {"d": {"e": [1]}}}}},
     {"a": {"b": {"c": {"d": {"e": ["[Max depth exceeded]"]}}}}}),
]


@pytest.mark.parametrize(("data", "expected"), [pytest.param(*r[1:], id=r[0]) for r in SANITIZE_TABLE])
def test_sanitize_for_log(data: Any, expected: Any) -> None:
    assert sanitize_for_log(data) == expected


def test_log_input_context_keeps_only_id_and_role() -> None:
    ctx = context({"token": "t"}, event_type="created", user={"id": "u1", "email": "e@x.io", "role": "admin"})
    assert log_input_context(ctx) == {"data": {"token": "[REDACTED]"}, "eventType": "created",
                                      "user": {"id": "u1", "role": "admin"}}
    assert log_input_context(context(None)) == {"data": None}
