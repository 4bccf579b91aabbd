"""Every shipped workflow starts through the API in a tenant that has never seen it: its guard rules are
installed (tenant-wide, in the root organization) the first time they are needed, once; reset-to-code puts
them back (api/modules/workflows/shipped_rules.py)."""

from __future__ import annotations

import asyncio
import json

import pytest

from api.modules.workflows.shipped_rules import rules_of
from definitions import load_shipped
from tests.api.modules.workflows.builders import INSTANCES
from tests.fixtures import World, narrow_pool

pytestmark = pytest.mark.usefixtures("engine")
ADMIN = ["workflows.*", "business_rules.*"]
CART = {"cart": {"items": [{"sku": "A-1", "quantity": 2}], "itemCount": 2, "total": 120},
        "order": {"id": "o-1", "total": 120}}
SHIPPED = sorted(load_shipped())


@pytest.mark.parametrize("workflow_id", SHIPPED)
async def test_every_shipped_workflow_starts(world: World, workflow_id: str) -> None:
    me = await world.user(ADMIN)
    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": workflow_id, "context": CART})
    assert r.status_code == 200 and r.json()["canStart"] is True, r.text
    r = await me.post(INSTANCES, json={"workflowId": workflow_id, "initialContext": CART})
    assert r.status_code == 201, r.text
    assert r.json()["data"]["instance"]["status"] == "RUNNING"


async def test_shipped_rules_are_installed_once_per_tenant_and_apply_to_every_organization(world: World) -> None:
    me = await world.user(ADMIN)
    shipped_ids = sorted(r["ruleId"] for r in rules_of())
    assert "workflow_checkout_cart_not_empty" in shipped_ids
    # An empty cart is refused by the shipped rule itself, not by a missing one.
    r = await me.post(INSTANCES, json={"workflowId": "workflows.checkout-demo"})
    assert r.status_code == 422, r.text
    assert r.json()["details"]["errors"][0]["ruleId"] == "workflow_checkout_cart_not_empty"
    assert r.json()["details"]["errors"][0]["code"] != "RULE_NOT_FOUND"
    listed = (await me.get("/api/business_rules/rules", params={"pageSize": 100})).json()["items"]
    assert sorted(i["ruleId"] for i in listed) == shipped_ids
    assert {i["organizationId"] for i in listed} == {world.org_id}
    # a child organization starts with the root's rules; nothing is installed twice
    child = await world.org("Branch")
    there = await world.user(ADMIN, org_id=child)
    r = await there.post(INSTANCES, json={"workflowId": "workflows.checkout-demo", "initialContext": CART})
    assert r.status_code == 201, r.text
    listed = (await me.get("/api/business_rules/rules", params={"pageSize": 100})).json()["items"]
    assert sorted(i["ruleId"] for i in listed) == shipped_ids


async def test_a_tenants_changes_are_kept_and_reset_to_code_restores_the_rules(world: World) -> None:
    me = await world.user(ADMIN + ["workflows.definitions.*"])
    await me.post(f"{INSTANCES}/validate-start", json={"workflowId": "workflows.checkout-demo", "context": CART})
    rules = {i["ruleId"]: i for i in (await me.get("/api/business_rules/rules",
                                                   params={"pageSize": 100})).json()["items"]}
    guard = rules["workflow_checkout_cart_not_empty"]
    assert (await me.delete("/api/business_rules/rules", params={"id": guard["id"]})).status_code == 200
    # deleted by the tenant: stays deleted, and the start now misses its rule
    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": "workflows.checkout-demo", "context": CART})
    assert r.json()["canStart"] is False and r.json()["errors"][0]["code"] == "RULE_NOT_FOUND"
    # a customization, then reset-to-code: the code version of the workflow and of its rules
    code = (await me.get("/api/workflows/definitions/code:workflows.checkout-demo")).json()["data"]
    r = await me.post("/api/workflows/definitions/code:workflows.checkout-demo/customize", json={})
    if r.status_code == 404:  # customizing is an update of the code definition
        r = await me.put("/api/workflows/definitions/code:workflows.checkout-demo",
                         json={"workflowName": code["workflowName"] + " (ours)"})
    assert r.status_code in (200, 201), r.text
    custom_id = r.json()["data"]["id"]
    r = await me.post(f"/api/workflows/definitions/{custom_id}/reset-to-code")
    assert r.status_code == 200, r.text
    r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": "workflows.checkout-demo", "context": CART})
    assert r.json()["canStart"] is True, r.text


async def test_more_first_starts_at_once_than_the_pool_has_connections_all_start(world: World) -> None:
    # Each request holds the connection it authenticated with; the installation of the tenant's shipped
    # rules needs one more. Before the request gave its own back, they all waited for the pool's timeout.
    me = await world.user(ADMIN)
    async with narrow_pool(2):
        answers = await asyncio.gather(*(
            me.post(INSTANCES, json={"workflowId": "workflows.checkout-demo", "initialContext": CART})
            for _ in range(6)))
    assert [r.status_code for r in answers] == [201] * 6, [r.text for r in answers]


async def test_undoing_a_reset_to_code_puts_the_tenants_rules_back_and_redo_resets_them_again(world: World) -> None:
    me = await world.user(ADMIN + ["workflows.definitions.*", "audit_logs.undo_self", "audit_logs.redo_self"])
    other = await world.user(ADMIN)
    await me.post(f"{INSTANCES}/validate-start", json={"workflowId": "workflows.checkout-demo", "context": CART})
    rules = {i["ruleId"]: i for i in (await me.get("/api/business_rules/rules",
                                                   params={"pageSize": 100})).json()["items"]}
    guard = rules["workflow_checkout_cart_not_empty"]
    assert (await me.delete("/api/business_rules/rules", params={"id": guard["id"]})).status_code == 200
    code = (await me.get("/api/workflows/definitions/code:workflows.checkout-demo")).json()["data"]
    r = await me.put("/api/workflows/definitions/code:workflows.checkout-demo",
                     json={"workflowName": code["workflowName"] + " (ours)"})
    assert r.status_code in (200, 201), r.text
    r = await me.post(f"/api/workflows/definitions/{r.json()['data']['id']}/reset-to-code")
    assert r.status_code == 200, r.text
    token = json.loads(r.headers["x-om-operation"])["undoToken"]

    async def can_start() -> bool:
        r = await me.post(f"{INSTANCES}/validate-start", json={"workflowId": "workflows.checkout-demo",
                                                                "context": CART})
        return bool(r.json()["canStart"])

    assert await can_start() is True
    undo = await me.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})
    assert undo.status_code == 200, undo.text
    assert await can_start() is False  # the tenant's deletion of the guard is back
    redo = await me.post("/api/audit_logs/audit-logs/actions/redo", json={"logId": undo.json()["logId"]})
    assert redo.status_code == 200, redo.text
    assert await can_start() is True

    # A rule edited by someone since: undoing the reset again would overwrite it, so it is refused.
    assert (await other.put("/api/business_rules/rules", json={"id": guard["id"], "priority": 7})).status_code == 200
    r = await me.post("/api/audit_logs/audit-logs/actions/undo",
                      json={"undoToken": json.loads(redo.headers["x-om-operation"])["undoToken"]})
    assert r.status_code == 400 and r.json() == {"error": "The record has changed since this action"}
    assert await can_start() is True
