"""`/api/workflows/instances` and `/api/workflows/events` against a stand-in workflow: starting (definition
resolution, START pre-conditions, the row and event written before the workflow starts, the pinned input),
reads from SQL, and how Update answers and refusals become HTTP answers (docs/workflows.md, "Running
instances")."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select, text, update
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api import temporal
from api.db import sessionmaker
from api.modules.workflows import instances_service as svc
from api.modules.workflows.models import WorkflowEvent, WorkflowInstance
from definitions import code_workflow_uuid, load_shipped
from tests.api.modules.business_rules.helpers import RULES, rule_payload
from tests.api.modules.workflows.builders import (
    DEFINITIONS,
    EVENTS,
    INSTANCES,
    NIL,
    minimal,
    step,
    transition,
    with_steps,
)
from tests.api.modules.workflows.stand_in import Seen
from tests.fixtures import Caller, World, statements

pytestmark = pytest.mark.usefixtures("stand_in")
ADMIN = ["workflows.*"]


async def define(caller: Caller, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    r = await caller.post(DEFINITIONS, json=payload or minimal())
    assert r.status_code == 201, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def start(caller: Caller, workflow_id: str, **body: Any) -> dict[str, Any]:
    r = await caller.post(INSTANCES, json={"workflowId": workflow_id, **body})
    assert r.status_code == 201, r.text
    return r.json()["data"]["instance"]  # type: ignore[no-any-return]


async def seen(env: WorkflowEnvironment, instance_id: str) -> Seen:
    return await env.client.get_workflow_handle(instance_id).query("seen", result_type=Seen)


async def set_status(instance_id: str, status: str) -> None:
    """What the workflow's projection would have written."""
    async with sessionmaker()() as s:
        await s.execute(update(WorkflowInstance).where(WorkflowInstance.id == instance_id).values(status=status))
        await s.commit()


async def row(instance_id: str) -> WorkflowInstance:
    async with sessionmaker()() as s:
        found = await s.get(WorkflowInstance, instance_id)
        assert found is not None
        return found


# --- Start ------------------------------------------------------------------------------------------------

async def test_start_writes_the_row_and_event_then_starts_the_pinned_workflow(
        world: World, stand_in: WorkflowEnvironment) -> None:
    me = await world.user(ADMIN)
    definition = await define(me, minimal("-inst"))
    r = await me.post(INSTANCES, json={
        "workflowId": definition["workflowId"], "initialContext": {"orderId": "order-1"},
        "correlationKey": "qa-corr-1",
        "metadata": {"entityType": "order", "entityId": "order-1", "initiatedBy": "someone-else",
                     "labels": {"source": "qa"}}})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["message"] == "Workflow started successfully"
    assert body["data"]["execution"] == {"status": "RUNNING", "currentStep": "start",
                                         "message": "Workflow execution started in background"}
    instance = body["data"]["instance"]
    assert instance["status"] == "RUNNING" and instance["currentStepId"] == "start"
    assert instance["definitionId"] == definition["id"] and instance["version"] == 1
    assert instance["context"] == {"orderId": "order-1"} and instance["correlationKey"] == "qa-corr-1"
    assert instance["metadata"] == {"entityType": "order", "entityId": "order-1", "labels": {"source": "qa"},
                                    "initiatedBy": me.user_id}
    assert instance["retryCount"] == 0 and instance["tenantId"] == me.tenant_id
    assert instance["organizationId"] == me.org_id and instance["startedAt"]

    got = await seen(stand_in, instance["id"])
    assert got.start.definition == definition["definition"] and got.start.definition_id == definition["id"]
    assert got.start.context == {"orderId": "order-1"} and got.start.user_id == me.user_id
    assert got.start.metadata == instance["metadata"] and got.start.started_at == instance["startedAt"]
    assert "APP_URL" in got.start.env and got.start.resume_step_id is None

    r = await me.get(f"{INSTANCES}/{instance['id']}")
    assert r.status_code == 200 and r.json()["data"] == instance
    r = await me.get(f"{INSTANCES}/{instance['id']}/events")
    events = r.json()
    assert events["pagination"] == {"total": 1, "limit": 100, "offset": 0, "hasMore": False}
    started = events["data"][0]
    assert started["eventType"] == "WORKFLOW_STARTED" and started["workflowInstanceId"] == instance["id"]
    assert started["eventData"] == {"workflowId": definition["workflowId"], "version": 1, "startStepId": "start",
                                    "initialContext": {"orderId": "order-1"}, "metadata": instance["metadata"]}
    assert started["userId"] == me.user_id and isinstance(started["id"], str)


async def test_starts_reuse_the_definition_they_looked_up_until_this_process_saves_one(
        world: World, stand_in: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch) -> None:
    me = await world.user(ADMIN)
    definition = await define(me, minimal("-cache"))
    await start(me, definition["workflowId"])
    with statements() as queries:
        await start(me, definition["workflowId"])
    assert not [q for q in queries if "FROM workflow_definitions" in q]  # looked up by the first start
    # An update through the API is seen by the very next start: steps, version, enabled.
    steps = [*definition["definition"]["steps"][:1], step("middle", "AUTOMATED", "Middle"),
             *definition["definition"]["steps"][1:]]
    changed = {"steps": steps,
               "transitions": [transition("s-m", "start", "middle"), transition("m-e", "middle", "end")]}
    r = await me.put(f"{DEFINITIONS}/{definition['id']}", json={"definition": changed})
    assert r.status_code == 200, r.text
    instance = await start(me, definition["workflowId"])
    pinned = (await seen(stand_in, instance["id"])).start.definition
    assert pinned == r.json()["data"]["definition"] and [s["stepId"] for s in pinned["steps"]] == [
        "start", "middle", "end"]
    r = await me.put(f"{DEFINITIONS}/{definition['id']}", json={"enabled": False})
    assert r.status_code == 200, r.text
    r = await me.post(INSTANCES, json={"workflowId": definition["workflowId"]})
    assert r.status_code == 400 and "disabled" in r.json()["error"], r.text
    # A change this process did not make (another API process's) is seen once the lookup is older than its TTL.
    async with sessionmaker()() as s:  # plain SQL: no ORM event sees it, as none would in another process
        await (await s.connection()).execute(text("UPDATE workflow_definitions SET enabled = true WHERE id = :id"),
                                             {"id": definition["id"]})
        await s.commit()
    r = await me.post(INSTANCES, json={"workflowId": definition["workflowId"]})
    assert r.status_code == 400, r.text  # still the disabled one it looked up
    monkeypatch.setattr(svc, "DEFINITION_TTL_SECONDS", -1.0)
    svc.forget_definitions()
    await start(me, definition["workflowId"])


async def test_starts_that_find_the_definition_forgotten_together_look_it_up_once(world: World) -> None:
    me = await world.user(ADMIN)
    definition = await define(me, minimal("-together"))
    await start(me, definition["workflowId"])
    svc.forget_definitions()  # as when the lookup's seconds ran out with starts in flight
    with statements() as queries:
        started = await asyncio.gather(*(start(me, definition["workflowId"]) for _ in range(8)))
    assert len({instance["id"] for instance in started}) == 8
    assert len([q for q in queries if "FROM workflow_definitions" in q]) == 1


async def test_tc_wf_004_unknown_disabled_and_broken_definitions(world: World) -> None:
    me = await world.user(ADMIN)
    r = await me.post(INSTANCES, json={"workflowId": "qa-does-not-exist"})
    assert r.status_code == 404 and r.json() == {"error": "Workflow definition not found: qa-does-not-exist"}
    definition = await define(me)
    r = await me.post(INSTANCES, json={"workflowId": definition["workflowId"], "version": 2})
    assert r.status_code == 404
    assert r.json() == {"error": f"Workflow definition not found: {definition['workflowId']} v2"}
    assert (await me.put(f"{DEFINITIONS}/{definition['id']}", json={"enabled": False})).status_code == 200
    r = await me.post(INSTANCES, json={"workflowId": definition["workflowId"]})
    assert r.status_code == 400
    assert r.json() == {"error": f"Workflow definition is disabled: {definition['workflowId']}"}

    no_start = await define(me, with_steps([step("a", "AUTOMATED"), step("b", "AUTOMATED")],
                                           [transition("a-to-b", "a", "b")]))
    r = await me.post(INSTANCES, json={"workflowId": no_start["workflowId"]})
    assert r.status_code == 400 and r.json() == {"error": "Workflow definition must have a START step"}
    async with sessionmaker()() as s:
        count = (await s.execute(select(WorkflowInstance).where(WorkflowInstance.tenant_id == me.tenant_id))).all()
    assert count == []


async def test_start_bodies_are_validated(world: World) -> None:
    me = await world.user(ADMIN)
    for body in [{}, {"workflowId": ""}, {"workflowId": 5}, {"workflowId": "x", "version": 0},
                 {"workflowId": "x", "initialContext": "ctx"}, {"workflowId": "x", "metadata": {"labels": {"a": 1}}},
                 {"workflowId": "x", "metadata": {"entityType": "x" * 101}}, [1]]:
        r = await me.post(INSTANCES, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Validation failed" and r.json()["details"]
    r = await me.post(INSTANCES, content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


async def test_code_workflows_start_with_their_deterministic_definition_id(
        world: World, stand_in: WorkflowEnvironment) -> None:
    me = await world.user(ADMIN)
    instance = await start(me, "workflows.simple-approval")
    assert instance["definitionId"] == code_workflow_uuid("workflows.simple-approval")
    got = await seen(stand_in, instance["id"])
    assert got.start.definition == load_shipped()["workflows.simple-approval"].to_json()["definition"]
    # A disabled customization does not fall back to the code version.
    assert (await me.put(f"{DEFINITIONS}/code:workflows.simple-approval", json={"enabled": False})).status_code == 200
    r = await me.post(INSTANCES, json={"workflowId": "workflows.simple-approval"})
    assert r.status_code == 400


# --- START pre-conditions ---------------------------------------------------------------------------------

def guarded(rule_id: str, required: bool = True) -> dict[str, Any]:
    return with_steps(
        [step("start", "START", preConditions=[{"ruleId": rule_id, "required": required,
                                                  "validationMessage": {"en": "Cart is empty", "pl": "Pusty koszyk"}}]),
         step("end", "END")],
        [transition("start-to-end", "start", "end")])


async def test_validate_start_and_start_pre_conditions(world: World) -> None:
    me = await world.user([*ADMIN, "business_rules.*"])
    rule = rule_payload(ruleId="qa_cart_not_empty", entityType="workflow:any:start", eventType="validate_start",
                        conditionExpression={"field": "workflowContext.cart.itemCount", "operator": ">", "value": 0})
    assert (await me.post(RULES, json=rule)).status_code == 201
    definition = await define(me, guarded("qa_cart_not_empty"))
    wid = definition["workflowId"]

    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": wid, "context": {"cart": {"itemCount": 2}}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["canStart"] is True and body["workflowId"] == wid and "errors" not in body
    assert body["validatedRules"][0]["ruleId"] == "qa_cart_not_empty" and body["validatedRules"][0]["passed"] is True

    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": wid, "context": {"cart": {"itemCount": 0}},
                                                          "locale": "pl"})
    assert r.json()["canStart"] is False
    assert r.json()["errors"] == [{"ruleId": "qa_cart_not_empty", "message": "Pusty koszyk",
                                   "code": "PRE_CONDITION_FAILED"}]

    r = await me.post(INSTANCES, json={"workflowId": wid, "initialContext": {"cart": {"itemCount": 0}}})
    assert r.status_code == 422
    assert r.json() == {
        "error": "Workflow start pre-conditions failed: Cart is empty", "code": "START_PRE_CONDITIONS_FAILED",
        "details": {"workflowId": wid, "errors": [{"ruleId": "qa_cart_not_empty", "message": "Cart is empty",
                                                   "code": "PRE_CONDITION_FAILED"}],
                    "validatedRules": [{"ruleId": "qa_cart_not_empty", "passed": False,
                                        "executionTime": r.json()["details"]["validatedRules"][0]["executionTime"]}]}}
    instance = await start(me, wid, initialContext={"cart": {"itemCount": 1}})
    assert instance["status"] == "RUNNING"

    missing = await define(me, guarded("qa_missing_rule"))
    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": missing["workflowId"]})
    assert r.json()["errors"] == [{"ruleId": "qa_missing_rule", "message": "Cart is empty", "code": "RULE_NOT_FOUND"}]
    optional = await define(me, guarded("qa_missing_rule", required=False))
    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": optional["workflowId"]})
    assert r.json()["canStart"] is True and r.json()["validatedRules"][0]["passed"] is False
    # The shipped checkout demo brings its guard rule, which refuses an empty cart (test_shipped.py).
    r = await me.post(INSTANCES, json={"workflowId": "workflows.checkout-demo"})
    assert r.status_code == 422
    assert r.json()["details"]["errors"][0]["ruleId"] == "workflow_checkout_cart_not_empty"


async def test_tc_wf_005_validate_start_edge_cases(world: World) -> None:
    me = await world.user(ADMIN)
    definition = await define(me)
    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": definition["workflowId"],
                                                          "context": {"test": True}})
    assert r.json() == {"canStart": True, "workflowId": definition["workflowId"]}
    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": "qa-unknown"})
    assert r.status_code == 200 and r.json() == {"canStart": False, "workflowId": "qa-unknown", "errors": [
        {"ruleId": "_DEFINITION_NOT_FOUND", "message": "Workflow definition not found: qa-unknown",
         "code": "DEFINITION_NOT_FOUND"}]}
    await me.put(f"{DEFINITIONS}/{definition['id']}", json={"enabled": False})
    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": definition["workflowId"]})
    assert r.json()["errors"][0]["ruleId"] == "_DEFINITION_DISABLED"
    no_start = await define(me, with_steps([step("a", "AUTOMATED"), step("b", "AUTOMATED")],
                                           [transition("a-to-b", "a", "b")]))
    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": no_start["workflowId"]})
    assert r.json()["errors"] == [{"ruleId": "_NO_START_STEP", "message": "Workflow has no START step",
                                   "code": "INVALID_DEFINITION"}]
    for bad in [{"workflowId": ""}, {}, {"workflowId": "x", "context": []}]:
        r = await me.post(f"{INSTANCES}/validate-start", json=bad)
        assert r.status_code == 400 and r.json()["error"] == "Validation failed"


# --- When Temporal cannot start the workflow ----------------------------------------------------------------

async def test_a_failed_workflow_start_marks_the_instance_failed_and_retry_starts_it(
        world: World, stand_in: WorkflowEnvironment) -> None:
    me = await world.user(ADMIN)
    definition = await define(me)
    good = await temporal.get_client()
    broken = await Client.connect(stand_in.client.service_client.config.target_host, namespace="no-such-namespace")
    temporal.set_client(broken, task_queue=temporal.task_queue())
    try:
        r = await me.post(INSTANCES, json={"workflowId": definition["workflowId"]})
    finally:
        temporal.set_client(good, task_queue=temporal.task_queue())
    assert r.status_code == 500 and r.json()["error"] == "Failed to start workflow"
    instance_id = r.json()["instanceId"]
    failed = (await me.get(f"{INSTANCES}/{instance_id}")).json()["data"]
    assert failed["status"] == "FAILED" and failed["errorMessage"].startswith("Failed to start workflow execution")
    types = [e["eventType"] for e in (await me.get(f"{INSTANCES}/{instance_id}/events")).json()["data"]]
    assert types == ["WORKFLOW_FAILED", "WORKFLOW_STARTED"]

    r = await me.post(f"{INSTANCES}/{instance_id}/retry")
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Workflow retry initiated successfully"
    assert r.json()["data"]["instance"]["status"] == "RUNNING" and r.json()["data"]["instance"]["retryCount"] == 1
    got = await seen(stand_in, instance_id)
    assert got.start.resume_step_id == "start" and got.start.retry_count == 1
    assert got.start.definition == definition["definition"]
    resumed = await row(instance_id)
    assert resumed.status == "RUNNING" and resumed.error_message is None and resumed.retry_count == 1


# --- Reads --------------------------------------------------------------------------------------------------

async def test_tc_wf_004_list_filters_and_paging(world: World) -> None:
    me = await world.user(ADMIN)
    a, b = await define(me), await define(me)
    first = await start(me, a["workflowId"], correlationKey="corr-1",
                        metadata={"entityType": "order", "entityId": "o-1"})
    second = await start(me, a["workflowId"], metadata={"entityType": "invoice", "entityId": "i-1"})
    third = await start(me, b["workflowId"], correlationKey="corr-1")
    await set_status(second["id"], "PAUSED")

    async def ids(**params: Any) -> list[str]:
        r = await me.get(INSTANCES, params=params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["data"]]

    assert await ids() == [third["id"], second["id"], first["id"]]
    assert await ids(workflowId=a["workflowId"]) == [second["id"], first["id"]]
    assert await ids(correlationKey="corr-1") == [third["id"], first["id"]]
    assert await ids(status="PAUSED") == [second["id"]]
    assert await ids(status="PAUSED,RUNNING") == [third["id"], second["id"], first["id"]]
    assert await ids(status="COMPLETED") == []
    assert await ids(entityType="order") == [first["id"]]
    assert await ids(entityId="i-1") == [second["id"]]
    r = await me.get(INSTANCES, params={"limit": 1, "offset": 1})
    assert [i["id"] for i in r.json()["data"]] == [second["id"]]
    assert r.json()["pagination"] == {"total": 3, "limit": 1, "offset": 1, "hasMore": True}
    assert (await me.get(INSTANCES, params={"limit": 0})).status_code == 400


async def test_tc_wf_005_instance_events(world: World) -> None:
    me = await world.user(ADMIN)
    instance = await start(me, (await define(me))["workflowId"], initialContext={"test": True})
    async with sessionmaker()() as s:
        for n, kind in enumerate(["STEP_ENTERED", "STEP_EXITED", "TRANSITION_EXECUTED", "WORKFLOW_COMPLETED"]):
            s.add(WorkflowEvent(event_key=f"{instance['id']}:{n}", workflow_instance_id=instance["id"],
                                event_type=kind, event_data={"n": n}, tenant_id=me.tenant_id,
                                organization_id=me.org_id))
            await s.flush()
        await s.commit()
    url = f"{INSTANCES}/{instance['id']}/events"
    body = (await me.get(url)).json()
    assert body["pagination"]["total"] == 5 and all(e["workflowInstanceId"] == instance["id"] for e in body["data"])
    assert [e["eventType"] for e in body["data"]][0] == "WORKFLOW_COMPLETED"
    assert "WORKFLOW_STARTED" in [e["eventType"] for e in body["data"]]
    only = (await me.get(url, params={"eventType": "WORKFLOW_STARTED"})).json()["data"]
    assert [e["eventType"] for e in only] == ["WORKFLOW_STARTED"]
    page = (await me.get(url, params={"limit": 1, "offset": 0})).json()
    assert len(page["data"]) == 1 and page["pagination"]["limit"] == 1 and page["pagination"]["hasMore"] is True
    r = await me.get(f"{INSTANCES}/{NIL}/events")
    assert r.status_code == 404 and r.json() == {"error": "Workflow instance not found"}
    assert (await me.get(f"{INSTANCES}/{NIL}")).status_code == 404


async def test_global_event_log(world: World) -> None:
    me = await world.user(ADMIN)
    definition = await define(me, minimal(workflowName="Named workflow"))
    one = await start(me, definition["workflowId"])
    two = await start(me, "workflows.simple-approval")
    body = (await me.get(EVENTS)).json()
    assert body["total"] == 2 and body["page"] == 1 and body["pageSize"] == 50 and body["totalPages"] == 1
    assert [i["workflowInstanceId"] for i in body["items"]] == [two["id"], one["id"]]
    item = body["items"][1]
    assert item["eventType"] == "WORKFLOW_STARTED" and item["userId"] == me.user_id
    assert item["workflowInstance"] == {"id": one["id"], "workflowId": definition["workflowId"],
                                        "workflowName": "Named workflow", "status": "RUNNING"}
    assert body["items"][0]["workflowInstance"]["workflowName"] == "Simple Approval Workflow"

    asc = (await me.get(EVENTS, params={"sortDir": "asc"})).json()["items"]
    assert [i["workflowInstanceId"] for i in asc] == [one["id"], two["id"]]
    assert [i["workflowInstanceId"] for i in (await me.get(
        EVENTS, params={"workflowInstanceId": one["id"]})).json()["items"]] == [one["id"]]
    assert (await me.get(EVENTS, params={"eventType": "NOPE"})).json()["total"] == 0
    assert (await me.get(EVENTS, params={"userId": me.user_id})).json()["total"] == 2
    assert (await me.get(EVENTS, params={"occurredAtFrom": "2999-01-01T00:00:00Z"})).json()["total"] == 0
    assert (await me.get(EVENTS, params={"occurredAtTo": "2999-01-01"})).json()["total"] == 2
    paged = (await me.get(EVENTS, params={"page": 2, "pageSize": 1})).json()
    assert len(paged["items"]) == 1 and paged["totalPages"] == 2
    for bad in [{"sortField": "nope"}, {"sortDir": "up"}, {"page": 0}, {"pageSize": 101},
                {"occurredAtFrom": "yesterday"}]:
        assert (await me.get(EVENTS, params=bad)).status_code == 400, bad

    detail = (await me.get(f"{EVENTS}/{item['id']}")).json()
    assert "data" not in detail and detail["id"] == item["id"] and detail["tenantId"] == me.tenant_id
    assert detail["workflowInstance"]["id"] == one["id"] and detail["workflowInstance"]["currentStepId"] == "start"
    for missing in ["999999999", "abc", "9" * 30]:
        r = await me.get(f"{EVENTS}/{missing}")
        assert r.status_code == 404 and r.json() == {"error": "Workflow event not found"}
    other = await World(world.client).user(ADMIN)
    assert (await other.get(f"{EVENTS}/{item['id']}")).status_code == 404
    assert (await other.get(EVENTS)).json()["total"] == 0


# --- Updates ------------------------------------------------------------------------------------------------

async def test_advance_answers_from_the_update_and_maps_refusals(world: World, stand_in: WorkflowEnvironment) -> None:
    me = await world.user(ADMIN)
    instance = await start(me, (await define(me))["workflowId"], initialContext={"a": 1})
    url = f"{INSTANCES}/{instance['id']}/advance"
    r = await me.post(url, json={"toStepId": "mid", "contextUpdates": {"advancedBy": "qa"}})
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Workflow advanced successfully"
    data = r.json()["data"]
    assert data["instance"] == {"id": instance["id"], "status": "RUNNING", "currentStepId": "mid",
                                "previousStepId": "start", "transitionFired": "start-to-mid",
                                "context": {"a": 1, "advancedBy": "qa"}}
    assert data["execution"]["currentStep"] == "mid"
    got = await seen(stand_in, instance["id"])
    assert got.actors[0].user_id == me.user_id and got.actors[0].can_manage is True

    r = await me.post(url, json={"toStepId": "blocked"})
    assert r.status_code == 400
    assert r.json() == {"error": "No valid transitions available", "currentStepId": "mid",
                        "reason": "All transitions blocked by conditions or business rules"}
    r = await me.post(url, json={"toStepId": "explode"})
    assert r.status_code == 500 and r.json()["error"] == "Failed to advance workflow"
    # Unreadable bodies count as {}; wrong types do not.
    r = await me.post(url, content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["data"]["instance"]["currentStepId"] == "end"
    r = await me.post(url, json={"contextUpdates": "x"})
    assert r.status_code == 400 and r.json()["error"] == "Validation failed"

    for status, message in [("COMPLETED", "Workflow already completed"), ("CANCELLED", "Workflow is cancelled"),
                            ("FAILED", "Workflow has failed. Use retry endpoint to retry.")]:
        await set_status(instance["id"], status)
        r = await me.post(url, json={})
        assert r.status_code == 400 and r.json() == {"error": message}
    assert (await me.post(f"{INSTANCES}/{NIL}/advance", json={})).status_code == 404


async def test_cancel(world: World) -> None:
    me = await world.user(ADMIN)
    wid = (await define(me))["workflowId"]
    instance = await start(me, wid)
    url = f"{INSTANCES}/{instance['id']}/cancel"
    r = await me.post(url)
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Workflow cancelled successfully"
    data = r.json()["data"]
    assert data["status"] == "CANCELLED" and data["cancelledAt"] and data["workflowId"] == wid

    await set_status(instance["id"], "CANCELLED")
    r = await me.post(url)
    assert r.status_code == 400
    assert r.json() == {"error": "Cannot cancel workflow in CANCELLED status. Only RUNNING or PAUSED workflows can "
                                 "be cancelled."}
    # The workflow has ended but the row says it runs: advancing is refused, cancelling fixes the row.
    await set_status(instance["id"], "RUNNING")
    r = await me.post(f"{INSTANCES}/{instance['id']}/advance", json={})
    assert r.status_code == 400 and r.json() == {"error": "Workflow is not running (status RUNNING)"}
    r = await me.post(url)
    assert r.status_code == 200 and r.json()["data"]["status"] == "CANCELLED"
    assert (await row(instance["id"])).status == "CANCELLED"

    done = await start(me, wid)
    await set_status(done["id"], "COMPLETED")
    r = await me.post(f"{INSTANCES}/{done['id']}/cancel")
    assert r.status_code == 400 and "COMPLETED status" in r.json()["error"]


async def test_retry(world: World, stand_in: WorkflowEnvironment) -> None:
    me = await world.user(ADMIN)
    instance = await start(me, (await define(me))["workflowId"])
    url = f"{INSTANCES}/{instance['id']}/retry"
    r = await me.post(url)
    assert r.status_code == 400
    assert r.json() == {"error": "Cannot retry workflow in RUNNING status. Only FAILED workflows can be retried."}
    # Failed and still open: the workflow's retry Update answers.
    await stand_in.client.get_workflow_handle(instance["id"]).signal("fail")
    await set_status(instance["id"], "FAILED")
    r = await me.post(url)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["instance"]["retryCount"] == 1 and r.json()["data"]["execution"]["status"] == "RUNNING"
    # The workflow refuses (its own state disagrees with the row): its refusal is the answer.
    r = await me.post(url)
    assert r.status_code == 400 and r.json()["error"].startswith("Cannot retry workflow in RUNNING status")


# --- Access -------------------------------------------------------------------------------------------------

async def test_features_and_tenancy(world: World) -> None:
    admin = await world.user(ADMIN)
    wid = (await define(admin))["workflowId"]
    instance = await start(admin, wid)
    base = f"{INSTANCES}/{instance['id']}"

    viewer = await world.user(["workflows.view", "workflows.definitions.view", "workflows.instances.view",
                               "workflows.tasks.view"])
    r = await viewer.post(INSTANCES, json={"workflowId": wid})
    assert r.status_code == 403 and r.json() == {"error": "Insufficient permissions"}
    assert (await viewer.get(base)).status_code == 200
    for path, feature in [("advance", "workflows.instances.create"), ("cancel", "workflows.instances.cancel"),
                          ("retry", "workflows.instances.retry")]:
        r = await viewer.post(f"{base}/{path}", json={})
        assert r.status_code == 403 and r.json()["requiredFeatures"] == [feature]
    nobody = await world.user([])
    for url in [INSTANCES, base, f"{base}/events", EVENTS]:
        assert (await nobody.get(url)).status_code == 403
        assert (await world.client.get(url)).status_code == 401
    assert (await world.client.get(base, headers={"Authorization": "Bearer "})).status_code == 401

    other = await World(world.client).user(ADMIN)
    for call in [other.get(base), other.get(f"{base}/events"), other.post(f"{base}/advance", json={}),
                 other.post(f"{base}/cancel"), other.post(f"{base}/retry")]:
        r = await call
        assert r.status_code == 404 and r.json() == {"error": "Workflow instance not found"}
    assert (await other.get(INSTANCES)).json()["data"] == []
    assert (await other.post(INSTANCES, json={"workflowId": wid})).status_code == 404
    assert (await admin.get(base)).json()["data"]["status"] == "RUNNING"


async def test_tc_wf_029_instances_stay_in_their_organization(world: World) -> None:
    await world.setup()
    a_org, b_org = await world.org("A"), await world.org("B")
    a = await world.user(ADMIN, org_id=a_org, organizations=[a_org])
    b = await world.user(ADMIN, org_id=b_org, organizations=[b_org])
    wid = (await define(a))["workflowId"]
    instance = await start(a, wid)
    assert instance["organizationId"] == a_org
    assert (await a.get(f"{INSTANCES}/{instance['id']}")).status_code == 200
    assert [i["id"] for i in (await a.get(INSTANCES, params={"workflowId": wid})).json()["data"]] == [instance["id"]]
    assert (await b.get(INSTANCES, params={"workflowId": wid})).json()["data"] == []
    assert (await b.get(f"{INSTANCES}/{instance['id']}")).status_code == 404
    r = await b.post(INSTANCES, json={"workflowId": wid})
    assert r.status_code == 404 and r.json() == {"error": f"Workflow definition not found: {wid}"}
