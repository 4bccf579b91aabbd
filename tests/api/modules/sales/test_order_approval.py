"""The shipped `sales.order-approval` workflow on a real order, through HTTP and a worker running the real
interpreter: its guard rules evaluate the order (totals, customer) in the instance's context, the approval
task is claimed and completed, and UPDATE_ENTITY sets the order's status row through the order-status
dictionary; an event trigger on `sales.order.created` starts it by itself."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.api.modules.sales.test_documents import B, get_order, order, seeded
from tests.api.modules.workflows.test_tasks import TASKS, find_task
from tests.api.modules.workflows.test_triggers import dispatch, instances, poll
from tests.fixtures import Caller, World

pytestmark = pytest.mark.usefixtures("engine")
INSTANCES = "/api/workflows/instances"
WORKFLOW = "sales.order-approval"


async def customer(admin: Caller) -> str:
    r = await admin.post("/api/customers/people", json={"firstName": "Ada", "lastName": "Lovelace"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def big_order(admin: Caller) -> dict[str, Any]:
    return await order(admin, customerEntityId=await customer(admin), lines=[
        {"name": "Widget", "quantity": 4, "unitPriceNet": "250", "taxRate": 23}])


async def guard_logs(admin: Caller) -> list[dict[str, Any]]:
    r = await admin.get("/api/business_rules/logs", params={"pageSize": 100})
    assert r.status_code == 200, r.text
    return [i for i in r.json()["items"] if i["ruleName"].startswith("Check Decision is")]


async def decide(caller: Caller, instance_id: str, decision: str, *, claim: bool = False) -> dict[str, Any]:
    """Complete the approval task with `decision` (claiming it first from a role queue)."""
    task = await find_task(caller, instance_id, "PENDING")
    if claim:
        r = await caller.post(f"{TASKS}/{task['id']}/claim")
        assert r.status_code == 200, r.text
        assert r.json()["data"]["status"] == "IN_PROGRESS" and r.json()["data"]["claimedBy"] == caller.user_id
    r = await caller.post(f"{TASKS}/{task['id']}/complete",
                          json={"formData": {"decision": decision, "comments": "checked"}})
    assert r.status_code == 200, r.text
    return await poll(caller, instance_id, "COMPLETED")


async def test_an_order_is_approved_end_to_end(world: World) -> None:
    admin = await seeded(world)
    o = await big_order(admin)
    assert o["status"] is None or o["status"] == "draft"
    r = await admin.post(INSTANCES, json={"workflowId": WORKFLOW, "initialContext": o})
    assert r.status_code == 201, r.text
    instance_id = r.json()["data"]["instance"]["id"]

    # The first transition's UPDATE_ENTITY put the order into the status the approval waits in.
    await find_task(admin, instance_id, "PENDING")
    assert (await get_order(admin, o["id"]))["status"] == "pending_approval"

    done = await decide(admin, instance_id, "approve")
    assert done["currentStepId"] == "end" and done["context"]["decision"] == "approve"
    after = await get_order(admin, o["id"])
    assert after["status"] == "approved"
    entry = (await admin.get(f"{B}/order-statuses", params={"pageSize": 100})).json()["items"]
    assert after["statusEntryId"] == next(e["id"] for e in entry if e["value"] == "approved")
    # The totals are untouched by the status change.
    assert after["grandTotalGrossAmount"] == o["grandTotalGrossAmount"]

    # The guard that let the approval through evaluated the real order: its totals and customer.
    logs = await guard_logs(admin)
    passed = [g for g in logs if g["ruleName"] == "Check Decision is Approve" and g["executionResult"] == "SUCCESS"]
    assert passed, logs
    seen = passed[0]["inputContext"]["data"]["workflowContext"]
    assert seen["id"] == o["id"] and seen["grandTotalGrossAmount"] == o["grandTotalGrossAmount"]
    assert seen["customerEntityId"] == o["customerEntityId"] and seen["customerSnapshot"]


async def test_a_rejected_order_gets_the_rejected_status(world: World) -> None:
    admin = await seeded(world)
    o = await big_order(admin)
    r = await admin.post(INSTANCES, json={"workflowId": WORKFLOW, "initialContext": {"id": o["id"]}})
    assert r.status_code == 201, r.text
    done = await decide(admin, r.json()["data"]["instance"]["id"], "reject")
    assert done["currentStepId"] == "end"
    assert (await get_order(admin, o["id"]))["status"] == "rejected"


async def test_a_tenant_rule_on_the_order_total_holds_back_the_approval(world: World) -> None:
    """A tenant tightens the shipped approval rule with the order's total: a big order cannot be approved,
    a small one can."""
    admin = await seeded(world)
    r = await admin.post(f"{INSTANCES}/validate-start", json={"workflowId": WORKFLOW, "context": {}})
    assert r.status_code == 200, r.text
    rules = (await admin.get("/api/business_rules/rules", params={"pageSize": 100})).json()["items"]
    rule = next(i for i in rules if i["ruleId"] == "workflow_order_approval_check_approved")
    condition = {"operator": "AND", "rules": [
        {"field": "workflowContext.decision", "operator": "=", "value": "approve"},
        {"field": "workflowContext.grandTotalGrossAmount", "operator": "<", "value": 1000}]}
    r = await admin.put("/api/business_rules/rules", json={"id": rule["id"], "conditionExpression": condition})
    assert r.status_code == 200, r.text

    big = await big_order(admin)
    small = await order(admin, lines=[{"name": "Pen", "quantity": 2, "unitPriceNet": "5", "taxRate": 23}])
    started = {}
    for o in (big, small):
        r = await admin.post(INSTANCES, json={"workflowId": WORKFLOW, "initialContext": o})
        assert r.status_code == 201, r.text
        started[o["id"]] = r.json()["data"]["instance"]["id"]
    assert (await decide(admin, started[small["id"]], "approve"))["currentStepId"] == "end"
    assert (await get_order(admin, small["id"]))["status"] == "approved"

    task = await find_task(admin, started[big["id"]], "PENDING")
    r = await admin.post(f"{TASKS}/{task['id']}/complete", json={"formData": {"decision": "approve"}})
    assert r.status_code == 200, r.text
    data = (await admin.get(f"{INSTANCES}/{started[big['id']]}")).json()["data"]
    assert data["status"] != "COMPLETED" and data["currentStepId"] == "pending_approval"
    assert (await get_order(admin, big["id"]))["status"] == "pending_approval"


async def test_a_created_order_starts_the_approval_through_its_trigger(world: World) -> None:
    admin = await seeded(world)
    o = await big_order(admin)
    await dispatch(admin.tenant_id)
    found = await instances(admin, WORKFLOW)
    assert len(found) == 1, found
    instance = found[0]
    assert instance["metadata"]["entityId"] == o["id"] and instance["metadata"]["entityType"] == "SalesOrder"
    context = instance["context"]
    assert context["id"] == o["id"] and context["__trigger"]["eventName"] == "sales.order.created"
    assert Decimal(context["grandTotalGrossAmount"]) == Decimal(o["grandTotalGrossAmount"]) == Decimal("1230")
    assert context["customerEntityId"] == o["customerEntityId"]
    # The event names who created the order: the instance runs as them, so its first status step (before
    # anyone decided) moves the order with their features.
    assert instance["metadata"]["initiatedBy"] == admin.user_id
    await find_task(admin, instance["id"], "PENDING")  # the transition into the task has run
    assert (await get_order(admin, o["id"]))["status"] == "pending_approval"
    done = await decide(admin, instance["id"], "approve")
    assert done["currentStepId"] == "end"
    assert (await get_order(admin, o["id"]))["status"] == "approved"


async def test_an_approver_claims_the_task_from_the_role_queue(world: World) -> None:
    """The tenant puts the shipped workflow's approval into its approvers' queue; one of them claims the
    task and completes it, and the order's status changes as the approver (UPDATE_ENTITY checks the
    approver's features)."""
    admin = await seeded(world)
    code = (await admin.get("/api/workflows/definitions/code:sales.order-approval")).json()["data"]
    definition = code["definition"]
    step = next(s for s in definition["steps"] if s["stepId"] == "pending_approval")
    step["userTaskConfig"]["assignedToRoles"] = ["Order approvers"]
    r = await admin.post("/api/workflows/definitions/code:sales.order-approval/customize", json={})
    assert r.status_code in (200, 201), r.text
    custom = r.json()["data"]["id"]
    r = await admin.put(f"/api/workflows/definitions/{custom}", json={"definition": definition})
    assert r.status_code == 200, r.text
    role = await world.role("Order approvers", ["workflows.tasks.*", "workflows.instances.view", "sales.orders.*"])
    approver = await world.user(roles=[role])

    o = await big_order(admin)
    r = await admin.post(INSTANCES, json={"workflowId": WORKFLOW, "initialContext": {"id": o["id"]}})
    assert r.status_code == 201, r.text
    instance_id = r.json()["data"]["instance"]["id"]
    task = await find_task(approver, instance_id, "PENDING")
    assert task["assignedToRoles"] == ["Order approvers"]
    done = await decide(approver, instance_id, "approve", claim=True)
    assert done["currentStepId"] == "end"
    assert (await get_order(admin, o["id"]))["status"] == "approved"
