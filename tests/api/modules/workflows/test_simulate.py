"""`POST /api/workflows/definitions/{id}/simulate` and `POST /api/workflows/definitions/simulate`
(docs/workflows.md, "Simulation"): guards from the tenant's rules as dry runs, nothing written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from api.db import sessionmaker
from api.modules.business_rules.models import RuleExecutionLog
from api.modules.workflows.models import WorkflowInstance
from api.outbox_models import OutboxEvent
from tests.api.modules.workflows.builders import DEFINITIONS, minimal, step, transition, with_steps
from tests.fixtures import World

ADMIN = ["workflows.*", "business_rules.*"]
CART = {"cart": {"items": [{"sku": "A-1", "quantity": 2}], "itemCount": 2, "total": 120}}


async def _counts(tenant_id: str) -> tuple[int, int, int]:
    async with sessionmaker()() as session:
        instances = await session.scalar(select(func.count()).select_from(WorkflowInstance)
                                         .where(WorkflowInstance.tenant_id == tenant_id))
        logs = await session.scalar(select(func.count()).select_from(RuleExecutionLog)
                                    .where(RuleExecutionLog.tenant_id == tenant_id))
        events = await session.scalar(select(func.count()).select_from(OutboxEvent)
                                      .where(OutboxEvent.tenant_id == tenant_id))
    return int(instances or 0), int(logs or 0), int(events or 0)


def guarded(rule_id: str) -> dict[str, Any]:
    """start → review (USER_TASK) → approved if the rule passes, else rests; a manual way to `end` too."""
    return with_steps(
        [step("start", "START"), step("review", "USER_TASK", userTaskConfig={"formSchema": {
            "type": "object", "properties": {"amount": {"type": "number"}}, "required": ["amount"]}}),
         step("approved", "AUTOMATED"), step("end", "END")],
        [transition("start-to-review", "start", "review"),
         transition("review-to-approved", "review", "approved", priority=10,
                    preConditions=[{"ruleId": rule_id, "required": True}]),
         transition("review-to-end", "review", "end", "manual"),
         transition("approved-to-end", "approved", "end")])


async def test_a_stored_definition_is_simulated_with_the_tenants_rules_and_nothing_is_written(world: World) -> None:
    me = await world.user(ADMIN + ["workflows.definitions.*"])
    rule_id = f"sim_small_{world.tenant_id[:8]}"[:50]
    r = await me.post("/api/business_rules/rules", json={
        "ruleId": rule_id, "ruleName": "Small amounts", "ruleType": "GUARD", "entityType": "QaGuardEntity",
        "eventType": "beforeSave",
        "conditionExpression": {"field": "workflowContext.amount", "operator": "<", "value": 100},
        "failureActions": [{"type": "BLOCK_TRANSITION", "config": {"message": "too big"}}],
        "successActions": [{"type": "EMIT_EVENT", "config": {"eventName": "qa.sim.guard"}}]})
    assert r.status_code == 201, r.text
    created = (await me.post(DEFINITIONS, json=guarded(rule_id))).json()["data"]
    before = await _counts(world.tenant_id)
    url = f"{DEFINITIONS}/{created['id']}/simulate"

    r = await me.post(url, json={"events": [{"type": "completeTask", "stepId": "review", "data": {"amount": 40}}]})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["status"] == "COMPLETED" and data["path"] == ["review", "approved", "end"]
    assert data["definition"] == {"id": created["id"], "workflowId": created["workflowId"], "version": 1}
    verdict = next(d for d in data["decisions"] if d["stepId"] == "review" and d["kind"] == "auto")
    assert verdict["firstValid"] == "review-to-approved"
    assert verdict["candidates"][0]["rules"][0] == {
        "ruleId": rule_id, "ruleName": "Small amounts", "required": True, "passed": True, "conditionResult": True,
        "blocked": False, "error": None}

    r = await me.post(url, json={"events": [{"type": "completeTask", "data": {"amount": 400}}]})
    data = r.json()["data"]
    assert data["status"] == "RUNNING" and data["currentStepId"] == "review" and data["scriptConsumed"] is True
    rule = data["decisions"][-1]["candidates"][0]["rules"][0]
    assert (rule["conditionResult"], rule["blocked"], rule["passed"]) == (False, True, False)
    assert data["decisions"][-1]["candidates"][1]["reason"].startswith("Not considered: a manual transition")
    assert data["waitingFor"] == [{"kind": "ADVANCE", "stepId": "review", "reason": "No auto transition is valid",
                                   "taskId": None, "signalName": None, "fireAt": None, "timeoutAt": None,
                                   "branchKey": None}]
    # no instance, no rule execution log, no event from the rule's action
    assert await _counts(world.tenant_id) == before


async def test_shipped_workflows_by_code_id(world: World) -> None:
    me = await world.user(ADMIN)
    r = await me.post(f"{DEFINITIONS}/code:workflows.checkout-demo/simulate", json={
        "initialContext": CART,
        "events": [{"type": "completeTask", "stepId": "customer_info",
                    "data": {"fullName": "Ann", "email": "ann@example.com"}},
                   {"type": "signal", "signalName": "payment_confirmed", "payload": {"ref": "p-1"}}],
        "activities": {"create_order": {"output": {"orderId": "o-9"}}},
        "startAt": "2026-05-01T10:00:00Z"})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["status"] == "COMPLETED", data["errorMessage"]
    assert data["path"] == ["cart_validation", "customer_info", "payment_initiation", "wait_payment_confirmation",
                            "order_confirmation", "end"]
    assert data["context"]["ref"] == "p-1" and data["context"]["fullName"] == "Ann"
    assert data["start"]["canStart"] is True and data["startedAt"] == "2026-05-01T10:00:00.000Z"
    create = next(a for a in data["activities"] if a["activityId"] == "create_order")
    assert create["outcome"] == "success" and create["output"] == {"orderId": "o-9"}
    # an empty cart: the shipped START rule refuses, as a start would
    r = await me.post(f"{DEFINITIONS}/code:workflows.checkout-demo/simulate", json={})
    data = r.json()["data"]
    assert data["status"] == "NOT_STARTED"
    assert data["start"]["errors"][0]["ruleId"] == "workflow_checkout_cart_not_empty"


async def test_an_inline_definition_is_validated_and_simulated_without_being_stored(world: World) -> None:
    me = await world.user(ADMIN)
    body = minimal()
    r = await me.post(f"{DEFINITIONS}/simulate", json={"definition": body})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "COMPLETED" and r.json()["data"]["definition"]["id"] is None
    bare = await me.post(f"{DEFINITIONS}/simulate", json={"definition": body["definition"]})
    assert bare.json()["data"]["definition"]["workflowId"] == "simulation"
    listed = (await me.get(DEFINITIONS, params={"workflowId": body["workflowId"]})).json()["data"]
    assert listed == []
    broken = minimal()
    broken["definition"]["steps"][1]["stepId"] = "End"
    r = await me.post(f"{DEFINITIONS}/simulate", json={"definition": broken})
    assert r.status_code == 400 and r.json()["error"] == "Validation failed"
    assert r.json()["details"][0]["path"] == ["definition", "definition", "steps", 1, "stepId"]
    dangling = minimal()
    dangling["definition"]["transitions"][0]["toStepId"] = "nowhere"
    r = await me.post(f"{DEFINITIONS}/simulate", json={"definition": dangling})
    data = r.json()["data"]
    assert data["status"] == "FAILED" and data["warnings"][0]["code"] == "UNKNOWN_STEP"


async def test_a_bad_script_is_a_400_with_precise_details(world: World) -> None:
    me = await world.user(ADMIN)
    url = f"{DEFINITIONS}/code:workflows.simple-approval/simulate"
    r = await me.post(url, json={"events": [{"type": "completeTask", "stepId": "nowhere"},
                                            {"type": "completeTask", "stepId": "end"},
                                            {"type": "signal", "signalName": "paid"},
                                            {"type": "advance", "toStepId": "x"}],
                                 "activities": {"ghost": {"outcome": "failure"}}})
    assert r.status_code == 400 and r.json()["error"] == "Invalid simulation script"
    assert [(d["path"], d["code"]) for d in r.json()["details"]] == [
        (["events", 0, "stepId"], "unknown_step"), (["events", 1, "stepId"], "wrong_step_type"),
        (["events", 2, "signalName"], "unknown_signal"), (["events", 3, "toStepId"], "unknown_step"),
        (["activities", "ghost"], "unknown_activity")]
    assert r.json()["details"][1]["message"] == 'Step "end" is a END step, not USER_TASK'
    for bad in ({"events": [{"type": "explode"}]}, {"events": [{"type": "signal"}]}, {"bogus": 1},
                {"maxIterations": 0}, {"events": "no"}, {"activities": {"notify_approver": {"outcome": "maybe"}}}):
        r = await me.post(url, json=bad)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["details"], bad
    # an event the instance does not expect at that point is the run's answer, not an error
    r = await me.post(url, json={"events": [{"type": "advance", "toStepId": "start"},
                                            {"type": "completeTask", "data": {}}]})
    data = r.json()["data"]
    assert r.status_code == 200 and data["scriptConsumed"] is False and data["unconsumedEvents"] == [0, 1]
    assert data["events"][0]["error"] == {"code": "NO_VALID_TRANSITION_TO_STEP",
                                         "message": "No valid transition to step 'start'"}


async def test_a_looping_definition_is_truncated(world: World) -> None:
    me = await world.user(ADMIN)
    loop = with_steps([step("start", "START"), step("ping", "AUTOMATED"), step("end", "END")],
                      [transition("start-to-ping", "start", "ping"), transition("again", "ping", "ping", "manual"),
                       transition("out", "ping", "end", "manual")])
    r = await me.post(f"{DEFINITIONS}/simulate", json={"definition": loop, "maxIterations": 5,
                                                      "events": [{"type": "advance", "toStepId": "ping"}] * 20})
    data = r.json()["data"]
    assert r.status_code == 200 and data["truncated"] is True and data["scriptConsumed"] is False
    assert len(data["decisions"]) == 5


async def test_features_and_tenancy(world: World) -> None:
    me = await world.user(ADMIN + ["workflows.definitions.*"])
    created = (await me.post(DEFINITIONS, json=minimal())).json()["data"]
    url = f"{DEFINITIONS}/{created['id']}/simulate"
    other = await World(world.client).user(ADMIN)
    r = await other.post(url, json={})
    assert r.status_code == 404 and r.json() == {"error": "Workflow definition not found"}
    viewer = await world.user(["workflows.definitions.view"])
    assert (await viewer.post(url, json={})).status_code == 403
    assert (await viewer.post(f"{DEFINITIONS}/simulate", json={"definition": minimal()})).status_code == 403
    runner = await world.user(["workflows.instances.create"])
    assert (await runner.post(url, json={})).status_code == 403
    assert (await world.client.post(url, json={})).status_code == 401


async def test_openapi_documents_the_schemas(world: World) -> None:
    spec = (await world.client.get("/api/docs/openapi.json")).json()
    operation = spec["paths"]["/api/workflows/definitions/{id}/simulate"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/SimulationScript")
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/SimulationResponse")
    assert "SimulateDocument" in spec["components"]["schemas"]
    assert "Decision" in spec["components"]["schemas"]
