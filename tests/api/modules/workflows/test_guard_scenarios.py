"""Workflow guards through HTTP against the running system (docs/workflows.md, "Guards: business rules and
conditions"): START pre-conditions, transition pre- and post-conditions backed
by business rules created through `/api/business_rules/rules`, the decision-branching pattern, the rule
execution logs guards leave, BLOCK_TRANSITION, and inline conditions. The API runs in this process; the real
interpreter and activities run in a worker of this process on the Temporal dev server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from api.db import sessionmaker
from api.modules.workflows.models import WorkflowInstance
from definitions import load_shipped
from tests.api.modules.business_rules.helpers import LOGS, RULES, rule_payload, stamp
from tests.api.modules.workflows.builders import INSTANCES, minimal, step, transition, with_steps
from tests.api.modules.workflows.test_scenarios import define, event_types, poll, start
from tests.fixtures import Caller, World

pytestmark = pytest.mark.usefixtures("engine")
ADMIN = ["workflows.*", "business_rules.*"]


async def rule(caller: Caller, rule_id: str, condition: dict[str, Any], **fields: Any) -> str:
    """A GUARD rule; the entity and event types a workflow guard uses are its own (the rule's are ignored),
    so they are left at something else on purpose."""
    body = rule_payload(ruleId=rule_id, ruleName=fields.pop("ruleName", f"Rule {rule_id}"),
                        entityType="QaGuardEntity", eventType="beforeSave", conditionExpression=condition, **fields)
    r = await caller.post(RULES, json=body)
    assert r.status_code == 201, r.text
    return rule_id


def key(name: str) -> str:
    return f"qa_{name}_{stamp()}"


async def events(caller: Caller, instance_id: str, event_type: str) -> list[dict[str, Any]]:
    """The instance's events of one type, oldest first, as their eventData."""
    r = await caller.get(f"{INSTANCES}/{instance_id}/events", params={"eventType": event_type})
    assert r.status_code == 200, r.text
    return [e["eventData"] for e in reversed(r.json()["data"])]


async def rule_logs(caller: Caller, instance_id: str | None = None, **params: Any) -> list[dict[str, Any]]:
    """Rule execution logs (oldest first), optionally only those a given instance's guards wrote."""
    r = await caller.get(LOGS, params={"pageSize": 100, "sortDir": "asc", **params})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    if instance_id is not None:
        items = [i for i in items if (i["inputContext"] or {}).get("data", {}).get("workflowInstanceId") == instance_id]
    return items


async def rested(caller: Caller, instance_id: str, step_id: str, within: float = 8.0) -> dict[str, Any]:
    """The instance once its workflow has run and rests RUNNING at `step_id`. The API writes the row RUNNING
    at the START step before the workflow runs, so the row alone cannot tell a resting instance from one
    that has not begun: the workflow's own projection (projection_seq) can."""
    deadline = time.monotonic() + within
    while True:
        async with sessionmaker()() as s:
            row = await s.get(WorkflowInstance, instance_id)
            assert row is not None
            if row.projection_seq and row.status == "RUNNING" and row.current_step_id == step_id:
                break
            assert time.monotonic() < deadline, f"instance stayed {row.status} at {row.current_step_id}"
        await asyncio.sleep(0.05)
    r = await caller.get(f"{INSTANCES}/{instance_id}")
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def start_guarded(rule_ids: list[tuple[str, bool]]) -> dict[str, Any]:
    """START (with pre-conditions) → END."""
    conditions = [{"ruleId": rule_id, "required": required,
                   "validationMessage": {"en": f"{rule_id} says no", "pl": f"{rule_id} mówi nie"}}
                  for rule_id, required in rule_ids]
    return with_steps([step("start", "START", preConditions=conditions), step("end", "END")],
                      [transition("start-to-end", "start", "end")])


def transition_guarded(**guards: Any) -> dict[str, Any]:
    """START → END through one auto transition carrying `guards` (preConditions / postConditions / ...)."""
    payload = minimal()
    payload["definition"]["transitions"][0].update(guards)
    return payload


# --- START pre-conditions -----------------------------------------------------------------------------------

async def test_start_pre_conditions_decide_whether_an_instance_starts(world: World) -> None:
    me = await world.user(ADMIN)
    cart = await rule(me, key("cart_not_empty"), {"operator": "AND", "rules": [
        {"field": "workflowContext.cart.items", "operator": "IS_NOT_EMPTY", "value": None},
        {"field": "workflowContext.cart.itemCount", "operator": ">", "value": 0}]},
        failureActions=[{"type": "BLOCK_TRANSITION", "config": {"message": "Cart is empty"}}])
    optional = key("optional_missing")
    wid = (await define(me, start_guarded([(cart, True), (optional, False)])))["workflowId"]
    full = {"cart": {"items": ["sku-1"], "itemCount": 1}}

    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": wid, "context": full})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["canStart"] is True and "errors" not in body
    # A failing optional rule is reported in validatedRules but does not stop the start.
    assert [(v["ruleId"], v["passed"]) for v in body["validatedRules"]] == [(cart, True), (optional, False)]

    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": wid, "locale": "pl",
                                                          "context": {"cart": {"items": [], "itemCount": 0}}})
    assert r.json()["canStart"] is False
    assert r.json()["errors"] == [{"ruleId": cart, "message": f"{cart} mówi nie", "code": "PRE_CONDITION_FAILED"}]

    r = await me.post(INSTANCES, json={"workflowId": wid, "initialContext": {"cart": {"items": []}}})
    assert r.status_code == 422
    assert r.json()["error"] == f"Workflow start pre-conditions failed: {cart} says no"
    assert r.json()["code"] == "START_PRE_CONDITIONS_FAILED"
    assert r.json()["details"]["errors"] == [{"ruleId": cart, "message": f"{cart} says no",
                                              "code": "PRE_CONDITION_FAILED"}]
    # A refused start stores nothing.
    assert (await me.get(INSTANCES, params={"workflowId": wid})).json()["data"] == []

    instance = await start(me, wid, initialContext=full)
    done = await poll(me, instance["id"], "COMPLETED")
    assert done["context"] == full
    # START validation runs the rules as dry runs: no execution logs.
    assert await rule_logs(me) == []


async def test_start_pre_conditions_on_missing_disabled_and_expired_rules(world: World) -> None:
    me = await world.user(ADMIN)
    anything = {"field": "workflowContext.ok", "operator": "=", "value": True}
    disabled = await rule(me, key("disabled"), anything, enabled=False, ruleName="Switched off")
    expired = await rule(me, key("expired"), anything, effectiveFrom="2020-01-01T00:00:00Z",
                         effectiveTo="2020-02-01T00:00:00Z")
    missing = key("missing")
    cases = [
        (missing, "RULE_NOT_FOUND", f"Business rule not found: {missing}"),
        (disabled, "RULE_DISABLED", "Business rule is disabled: Switched off"),
        (expired, "RULE_ERROR", "Rule error: Rule has expired (ended 2020-02-01T00:00:00.000Z)"),
    ]
    for rule_id, code, message in cases:
        payload = start_guarded([(rule_id, True)])
        del payload["definition"]["steps"][0]["preConditions"][0]["validationMessage"]
        wid = (await define(me, payload))["workflowId"]
        r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": wid, "context": {"ok": True}})
        assert r.json()["canStart"] is False
        assert r.json()["errors"] == [{"ruleId": rule_id, "message": message, "code": code}], rule_id
        r = await me.post(INSTANCES, json={"workflowId": wid, "initialContext": {"ok": True}})
        assert r.status_code == 422 and r.json()["details"]["errors"][0]["code"] == code
    # The same rules, not required, let the instance start.
    wid = (await define(me, start_guarded([(missing, False), (disabled, False), (expired, False)])))["workflowId"]
    await poll(me, (await start(me, wid))["id"], "COMPLETED")


# --- Transition pre-conditions ------------------------------------------------------------------------------

async def test_required_pre_conditions_block_optional_ones_do_not(world: World) -> None:
    me = await world.user(ADMIN)
    ok = await rule(me, key("ok"), {"field": "workflowContext.ok", "operator": "=", "value": True})
    missing = key("missing")
    required = (await define(me, transition_guarded(preConditions=[{"ruleId": ok, "required": True}])))["workflowId"]
    optional = (await define(me, transition_guarded(preConditions=[{"ruleId": ok, "required": False}])))["workflowId"]
    unknown = (await define(me, transition_guarded(preConditions=[{"ruleId": missing}])))["workflowId"]
    unknown_optional = (await define(me, transition_guarded(
        preConditions=[{"ruleId": missing, "required": False}])))["workflowId"]

    blocked = await start(me, required, initialContext={"ok": False})
    passing = await start(me, required, initialContext={"ok": True})
    not_required = await start(me, optional, initialContext={"ok": False})
    no_rule = await start(me, unknown, initialContext={"ok": True})
    no_rule_optional = await start(me, unknown_optional)

    for instance in (passing, not_required, no_rule_optional):
        await poll(me, instance["id"], "COMPLETED")
    for instance in (blocked, no_rule):
        # A guard that says no makes the instance rest where it is: not a failure, no event.
        resting = await rested(me, instance["id"], "start")
        assert resting["errorMessage"] is None and resting["completedAt"] is None
        assert await event_types(me, instance["id"]) == ["WORKFLOW_STARTED"]
    executed = await events(me, not_required["id"], "TRANSITION_EXECUTED")
    assert executed[0]["preConditionsPassed"] is True

    # Every evaluation of an existing rule is logged (not a dry run), with the reference's shape.
    [log] = await rule_logs(me, blocked["id"])
    assert log["ruleId"] and log["executionResult"] == "FAILURE" and log["executedBy"] == me.user_id
    assert log["entityType"] == f"workflow:{required}:transition" and log["entityId"] == "start-to-end"
    assert log["inputContext"]["eventType"] == "pre_transition"
    assert log["inputContext"]["user"] == {"id": me.user_id}
    assert log["inputContext"]["data"] == {
        "workflowInstanceId": blocked["id"], "workflowId": required, "fromStepId": "start", "toStepId": "end",
        "workflowContext": {"ok": False}, "triggerData": None}
    assert [x["executionResult"] for x in await rule_logs(me, passing["id"])] == ["SUCCESS"]
    assert [x["executionResult"] for x in await rule_logs(me, not_required["id"])] == ["FAILURE"]
    # A rule that does not exist leaves no log (it never ran).
    assert await rule_logs(me, no_rule["id"]) == []


async def test_advance_evaluates_guards_with_context_updates_and_trigger_data(world: World) -> None:
    me = await world.user(ADMIN)
    reason = await rule(me, key("reason"), {"operator": "AND", "rules": [
        {"field": "triggerData.reason", "operator": "=", "value": "checked"},
        {"field": "workflowContext.reviewed", "operator": "=", "value": True}]})
    payload = with_steps(
        [step("start", "START"), step("side", "AUTOMATED"), step("end", "END")],
        [transition("start-to-end", "start", "end", "manual", priority=10, preConditions=[{"ruleId": reason}]),
         transition("start-to-side", "start", "side", "manual"), transition("side-to-end", "side", "end")])
    instance = await start(me, (await define(me, payload))["workflowId"])
    await rested(me, instance["id"], "start")
    url = f"{INSTANCES}/{instance['id']}/advance"

    r = await me.post(url, json={"toStepId": "end", "triggerData": {"reason": "checked"},
                                 "contextUpdates": {"reviewed": False, "note": "too early"}})
    assert r.status_code == 400
    assert r.json() == {"error": "No valid transition to step 'end'", "availableTransitions": [{"toStepId": "side"}]}
    r = await me.post(url, json={"toStepId": "end", "triggerData": {"reason": "checked"},
                                 "contextUpdates": {"reviewed": True}})
    assert r.status_code == 200, r.text
    data = r.json()["data"]["instance"]
    # The refused call's context updates were not kept.
    assert data["transitionFired"] == "start-to-end" and data["context"] == {"reviewed": True}
    await poll(me, instance["id"], "COMPLETED")
    logs = await rule_logs(me, instance["id"])
    assert [x["executionResult"] for x in logs] == ["FAILURE", "SUCCESS"]
    assert logs[0]["inputContext"]["data"]["workflowContext"] == {"reviewed": False, "note": "too early"}
    assert logs[1]["inputContext"]["data"]["triggerData"] == {"reason": "checked"}
    assert logs[1]["inputContext"]["data"]["workflowContext"] == {"reviewed": True}
    assert [e["transitionId"] for e in await events(me, instance["id"], "TRANSITION_EXECUTED")] == ["start-to-end"]


# --- Post-conditions ----------------------------------------------------------------------------------------

async def test_post_conditions_are_recorded_but_never_block(world: World) -> None:
    me = await world.user(ADMIN)
    announced = await rule(me, key("announced"), {"field": "workflowContext.Announce.emitted", "operator": "=",
                                                  "value": True})
    big = await rule(me, key("big"), {"field": "workflowContext.total", "operator": ">=", "value": 100},
                     ruleName="Big order")
    emit = {"activityId": "announce", "activityName": "Announce", "activityType": "EMIT_EVENT",
            "config": {"eventName": "qa.guards.announced"}}
    wid = (await define(me, transition_guarded(
        activities=[emit], postConditions=[{"ruleId": announced}, {"ruleId": big}])))["workflowId"]
    small = await start(me, wid, initialContext={"total": 5})
    large = await start(me, wid, initialContext={"total": 500})

    done = await poll(me, small["id"], "COMPLETED")
    assert done["currentStepId"] == "end" and done["errorMessage"] is None
    assert await event_types(me, small["id"]) == [
        "WORKFLOW_STARTED", "STEP_ENTERED", "STEP_EXITED", "TRANSITION_POST_CONDITION_FAILED",
        "TRANSITION_EXECUTED", "WORKFLOW_COMPLETED"]
    assert await events(me, small["id"], "TRANSITION_POST_CONDITION_FAILED") == [{
        "fromStepId": "start", "toStepId": "end", "transitionId": "start-to-end",
        "reason": "Post-conditions failed", "failedRules": "Post-condition 'Big order' failed"}]
    assert (await events(me, small["id"], "TRANSITION_EXECUTED"))[0]["postConditionsPassed"] is False

    await poll(me, large["id"], "COMPLETED")
    assert await events(me, large["id"], "TRANSITION_POST_CONDITION_FAILED") == []
    assert (await events(me, large["id"], "TRANSITION_EXECUTED"))[0]["postConditionsPassed"] is True

    # Post-conditions run after the move, on the context the transition's activities produced.
    logs = await rule_logs(me, small["id"])
    assert [(x["inputContext"]["eventType"], x["executionResult"]) for x in logs] == [
        ("post_transition", "SUCCESS"), ("post_transition", "FAILURE")]
    assert logs[0]["inputContext"]["data"]["workflowContext"]["Announce"]["emitted"] is True


# --- Decision branching -------------------------------------------------------------------------------------

def order_approval() -> dict[str, Any]:
    """sales.order-approval's shape, with an AUTOMATED step where the reference waits for a USER_TASK: the
    decision comes with the start context or with an advance."""
    def emit(activity_id: str, event: str) -> dict[str, Any]:
        return {"activityId": activity_id, "activityName": activity_id.replace("_", " ").title(),
                "activityType": "EMIT_EVENT", "async": True,
                "config": {"eventName": event, "payload": {"orderId": "{{context.id}}",
                                                           "workflowInstanceId": "{{workflow.instanceId}}"}}}

    return with_steps(
        [step("start", "START"), step("pending_approval", "AUTOMATED", "Pending Approval"),
         step("approved", "AUTOMATED", "Order Approved"), step("rejected", "AUTOMATED", "Order Rejected"),
         step("end", "END")],
        [transition("start_to_pending", "start", "pending_approval", priority=100),
         transition("pending_approval_to_approved", "pending_approval", "approved", priority=100,
                    continueOnActivityFailure=True, activities=[emit("emit_order_approved", "qa.order.approved")],
                    preConditions=[{"ruleId": "workflow_order_approval_check_approved", "required": True}]),
         transition("pending_approval_to_rejected", "pending_approval", "rejected", priority=90,
                    continueOnActivityFailure=True, activities=[emit("emit_order_rejected", "qa.order.rejected")],
                    preConditions=[{"ruleId": "workflow_order_approval_check_rejected", "required": True}]),
         transition("approved_to_end", "approved", "end"), transition("rejected_to_end", "rejected", "end")],
        "-order-approval")


async def test_decision_branching_on_guard_rules_like_sales_order_approval(world: World) -> None:
    me = await world.user(ADMIN)
    for body in load_shipped()["sales.order-approval"].guard_rules:
        assert (await me.post(RULES, json=body)).status_code == 201
    wid = (await define(me, order_approval()))["workflowId"]
    approve = await start(me, wid, initialContext={"id": "o-1", "decision": "approve"})
    reject = await start(me, wid, initialContext={"id": "o-2", "decision": "reject"})
    undecided = await start(me, wid, initialContext={"id": "o-3"})

    async def path(instance_id: str) -> list[str]:
        return [e["toStepId"] for e in await events(me, instance_id, "TRANSITION_EXECUTED")]

    async def guards(instance_id: str) -> list[tuple[str, str]]:
        return [(x["entityId"], x["executionResult"]) for x in await rule_logs(me, instance_id)]

    done = await poll(me, approve["id"], "COMPLETED")
    assert await path(approve["id"]) == ["pending_approval", "approved", "end"]
    # The async activity of the chosen branch ran, and its output is in the context under <activityId>_result.
    assert done["context"]["emit_order_approved_result"]["eventName"] == "qa.order.approved"
    # The higher-priority guard held, so the other one was never evaluated.
    assert await guards(approve["id"]) == [("pending_approval_to_approved", "SUCCESS")]

    await poll(me, reject["id"], "COMPLETED")
    assert await path(reject["id"]) == ["pending_approval", "rejected", "end"]
    assert await guards(reject["id"]) == [("pending_approval_to_approved", "FAILURE"),
                                          ("pending_approval_to_rejected", "SUCCESS")]

    # No decision yet: both guards say no, and the instance waits at the decision point.
    await rested(me, undecided["id"], "pending_approval")
    assert await path(undecided["id"]) == ["pending_approval"]
    r = await me.post(f"{INSTANCES}/{undecided['id']}/advance", json={"contextUpdates": {"decision": "reject"}})
    assert r.status_code == 200, r.text
    data = r.json()["data"]["instance"]
    assert data["previousStepId"] == "pending_approval" and data["transitionFired"] == "pending_approval_to_rejected"
    done = await poll(me, undecided["id"], "COMPLETED")
    assert done["context"]["decision"] == "reject" and "emit_order_rejected_result" in done["context"]
    assert await path(undecided["id"]) == ["pending_approval", "rejected", "end"]


async def test_priority_then_definition_order_among_passing_guards(world: World) -> None:
    me = await world.user(ADMIN)
    always = await rule(me, key("always"), {"field": "workflowContext.n", "operator": ">=", "value": 0})
    use_b = await rule(me, key("use_b"), {"field": "workflowContext.useB", "operator": "=", "value": True})
    payload = with_steps(
        [step("start", "START"), step("a", "AUTOMATED"), step("b", "AUTOMATED"), step("c", "AUTOMATED"),
         step("end", "END")],
        [transition("start-to-a", "start", "a", priority=10, preConditions=[{"ruleId": always}]),
         transition("start-to-b", "start", "b", priority=50, preConditions=[{"ruleId": use_b}]),
         transition("start-to-c", "start", "c", priority=50, preConditions=[{"ruleId": always}]),
         transition("a-to-end", "a", "end"), transition("b-to-end", "b", "end"), transition("c-to-end", "c", "end")])
    wid = (await define(me, payload))["workflowId"]
    chose_b = await start(me, wid, initialContext={"n": 1, "useB": True})
    chose_c = await start(me, wid, initialContext={"n": 1, "useB": False})
    for instance, expected in ((chose_b, "b"), (chose_c, "c")):
        await poll(me, instance["id"], "COMPLETED")
        assert [e["toStepId"] for e in await events(me, instance["id"], "TRANSITION_EXECUTED")][0] == expected


# --- BLOCK_TRANSITION ---------------------------------------------------------------------------------------

async def test_block_transition_action_blocks_even_when_the_condition_holds(world: World) -> None:
    me = await world.user(ADMIN)
    positive = {"field": "workflowContext.amount", "operator": ">", "value": 0}
    frozen = await rule(me, key("frozen"), positive,
                        successActions=[{"type": "BLOCK_TRANSITION", "config": {"message": "Account frozen"}}])
    allow_on_failure = await rule(me, key("allow_on_failure"), positive,
                                  failureActions=[{"type": "ALLOW_TRANSITION"}])
    blocked_wid = (await define(me, transition_guarded(preConditions=[{"ruleId": frozen}])))["workflowId"]
    optional_wid = (await define(me, transition_guarded(
        preConditions=[{"ruleId": frozen, "required": False}])))["workflowId"]
    allow_wid = (await define(me, transition_guarded(preConditions=[{"ruleId": allow_on_failure}])))["workflowId"]

    blocked = await start(me, blocked_wid, initialContext={"amount": 5})
    not_required = await start(me, optional_wid, initialContext={"amount": 5})
    still_blocked = await start(me, allow_wid, initialContext={"amount": 0})
    await poll(me, not_required["id"], "COMPLETED")
    for instance in (blocked, still_blocked):
        await rested(me, instance["id"], "start")
        r = await me.post(f"{INSTANCES}/{instance['id']}/advance", json={})
        assert r.status_code == 400
        assert r.json() == {"error": "No valid transitions available", "currentStepId": "start",
                            "reason": "All transitions blocked by conditions or business rules"}
    # The rule's condition held; its BLOCK_TRANSITION action is what stopped the transition, and the log says so.
    log = (await rule_logs(me, blocked["id"]))[0]
    assert log["executionResult"] == "SUCCESS"
    assert log["outputContext"]["conditionResult"] is True
    assert log["outputContext"]["actionsExecuted"][0]["type"] == "BLOCK_TRANSITION"
    # ALLOW_TRANSITION does not overrule a condition that failed.
    assert (await rule_logs(me, still_blocked["id"]))[0]["executionResult"] == "FAILURE"


# --- Inline conditions --------------------------------------------------------------------------------------

async def test_inline_conditions_route_without_rule_logs(world: World) -> None:
    me = await world.user(ADMIN)
    payload = with_steps(
        [step("start", "START"), step("fast", "AUTOMATED"), step("slow", "AUTOMATED"), step("end", "END")],
        [transition("start-to-fast", "start", "fast", priority=10, condition={"==": [{"var": "express"}, True]}),
         transition("start-to-slow", "start", "slow", condition={"field": "express", "operator": "=",
                                                                  "value": False}),
         transition("fast-to-end", "fast", "end"), transition("slow-to-end", "slow", "end")])
    definition = await define(me, payload)
    assert definition["definition"]["transitions"][0]["condition"] == {"==": [{"var": "express"}, True]}
    wid = definition["workflowId"]
    express = await start(me, wid, initialContext={"express": True})
    standard = await start(me, wid, initialContext={"express": False})
    neither = await start(me, wid, initialContext={})
    for instance, expected in ((express, "fast"), (standard, "slow")):
        await poll(me, instance["id"], "COMPLETED")
        assert [e["toStepId"] for e in await events(me, instance["id"], "TRANSITION_EXECUTED")][0] == expected
    await rested(me, neither["id"], "start")
    assert await rule_logs(me) == []


async def test_block_transition_on_a_start_rule_blocks_the_start(world: World) -> None:
    # The START check and the transition guards share one implementation (engine.guards.validate_start).
    me = await world.user(ADMIN)
    frozen = await rule(me, key("start_frozen"), {"field": "workflowContext.amount", "operator": ">", "value": 0},
                        successActions=[{"type": "BLOCK_TRANSITION", "config": {"message": "Account frozen"}}])
    wid = (await define(me, start_guarded([(frozen, True)])))["workflowId"]
    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": wid, "context": {"amount": 5}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["canStart"] is False
    assert body["errors"][0]["code"] == "PRE_CONDITION_FAILED"
    assert body["validatedRules"] == [{"ruleId": frozen, "passed": False,
                                       "executionTime": body["validatedRules"][0]["executionTime"]}]
    r = await me.post(INSTANCES, json={"workflowId": wid, "initialContext": {"amount": 5}})
    assert r.status_code == 422 and r.json()["code"] == "START_PRE_CONDITIONS_FAILED"
