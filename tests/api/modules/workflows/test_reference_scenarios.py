"""The reference platform's definition scenarios replayed step by step as its integration tests run them:
TC-WF-014, TC-WF-CRUDFORM-001, the WF-TOGGLE part of TC-LOCK-OSS-044 and TC-WF-028, on the definition and
instance endpoints. Other parts of these scenarios are covered in test_definitions.py and test_instances.py."""

from __future__ import annotations

from typing import Any

from tests.api.modules.workflows.builders import DEFINITIONS, INSTANCES, LOCK, minimal, step, transition, ts
from tests.fixtures import Caller, World

ADMIN = ["workflows.*"]


def start_to_end(priority: int = 10) -> dict[str, Any]:
    return {"steps": [step("start", "START", "Start"), step("end", "END", "End")],
            "transitions": [transition("start_to_end", "start", "end", priority=priority)]}


async def read(caller: Caller, definition_id: str) -> dict[str, Any]:
    r = await caller.get(f"{DEFINITIONS}/{definition_id}")
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def test_tc_wf_014_metadata_round_trip(world: World) -> None:
    me = await world.user(ADMIN)
    stamp = ts()
    metadata = {"tags": ["sales", "orders", "invoicing"], "category": "Sales", "icon": "shopping-cart"}
    payload = {"workflowId": f"qa-wf-014-{stamp}", "workflowName": f"QA Metadata {stamp}", "version": 1,
               "enabled": True, "metadata": metadata, "definition": start_to_end()}
    r = await me.post(DEFINITIONS, json=payload)
    assert r.status_code == 201, r.text
    created = r.json()["data"]
    assert created["metadata"] == metadata
    assert (await read(me, created["id"]))["metadata"] == metadata

    edited = {**payload, "workflowName": f"{payload['workflowName']} (edited)",
              "metadata": {**metadata, "category": "qa-category-2503"}}
    r = await me.put(f"{DEFINITIONS}/{created['id']}", json=edited)
    assert r.status_code == 200, r.text
    data = await read(me, created["id"])
    assert data["workflowName"] == edited["workflowName"]
    assert data["metadata"] == {"tags": ["sales", "orders", "invoicing"], "category": "qa-category-2503",
                                "icon": "shopping-cart"}


async def test_tc_wf_crudform_001_create_then_edit_every_field(world: World) -> None:
    me = await world.user(ADMIN)
    workflow_id = f"qa-wf-crudform-{ts()}"
    original = {"workflowId": workflow_id, "workflowName": "QA CrudForm Workflow",
                "description": "Original workflow description", "version": 1, "enabled": True,
                "metadata": {"category": "QA Sales", "tags": ["alpha", "beta", "gamma"], "icon": "workflow"},
                "definition": start_to_end()}
    r = await me.post(DEFINITIONS, json=original)
    assert r.status_code == 201, r.text
    definition_id = r.json()["data"]["id"]
    data = await read(me, definition_id)
    for key in ("workflowId", "workflowName", "description", "version", "enabled", "metadata"):
        assert data[key] == original[key], key
    # Stored as posted, with the omitted defaults materialised.
    assert data["definition"]["transitions"] == [{**start_to_end()["transitions"][0],
                                                  "continueOnActivityFailure": False}]

    edited = {"workflowId": workflow_id, "workflowName": "QA CrudForm Workflow EDITED",
              "description": "Updated workflow description", "version": 1, "enabled": False,
              "metadata": {"category": "QA Fulfilment", "tags": ["delta"], "icon": "workflow-edited"},
              "definition": start_to_end()}
    r = await me.put(f"{DEFINITIONS}/{definition_id}", json=edited)
    assert r.status_code == 200, r.text
    data = await read(me, definition_id)
    for key in ("workflowId", "workflowName", "description", "version", "enabled", "metadata"):
        assert data[key] == edited[key], key


async def test_lock_oss_044_list_page_toggles_carry_the_rows_token(world: World) -> None:
    me = await world.user(ADMIN)
    payload = minimal("-toggle")
    r = await me.post(DEFINITIONS, json=payload)
    assert r.status_code == 201, r.text
    url = f"{DEFINITIONS}/{r.json()['data']['id']}"
    [row] = (await me.get(DEFINITIONS, params={"workflowId": payload["workflowId"]})).json()["data"]
    r = await me.put(url, json={"enabled": False}, headers={LOCK: row["updatedAt"]})
    assert r.status_code == 200 and r.json()["data"]["enabled"] is False
    # The list was not refreshed: the next toggle carries the old token and is refused.
    r = await me.put(url, json={"enabled": True}, headers={LOCK: row["updatedAt"]})
    assert r.status_code == 409 and r.json()["code"] == "optimistic_lock_conflict"
    assert (await me.get(url)).json()["data"]["enabled"] is False


async def test_tc_wf_028_read_only_role(world: World) -> None:
    viewer = await world.user(["workflows.view", "workflows.definitions.view", "workflows.instances.view",
                               "workflows.tasks.view"])
    payload = minimal("-rbac")
    assert (await viewer.post(DEFINITIONS, json=payload)).status_code == 403
    assert (await viewer.post(INSTANCES, json={"workflowId": payload["workflowId"]})).status_code == 403
    r = await world.client.get(DEFINITIONS, headers={"Authorization": "Bearer not-a-valid-session-token"})
    assert r.status_code == 401
    admin = await world.user(ADMIN)
    assert (await admin.post(DEFINITIONS, json=payload)).status_code == 201
