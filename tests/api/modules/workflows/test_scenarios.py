"""The reference platform's API scenarios for START / END / AUTOMATED instances, through HTTP
against the app, with the real interpreter and activities running in a worker of this process."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import update

from api.db import sessionmaker
from api.modules.workflows.models import WorkflowInstance
from tests.api.modules.business_rules.helpers import RULES, rule_payload
from tests.api.modules.workflows.builders import INSTANCES, manual, minimal, step, transition, with_steps
from tests.fixtures import Caller, World

pytestmark = pytest.mark.usefixtures("engine")
ADMIN = ["workflows.*", "business_rules.*"]


async def define(caller: Caller, payload: dict[str, Any]) -> dict[str, Any]:
    r = await caller.post("/api/workflows/definitions", json=payload)
    assert r.status_code == 201, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def start(caller: Caller, workflow_id: str, **body: Any) -> dict[str, Any]:
    r = await caller.post(INSTANCES, json={"workflowId": workflow_id, **body})
    assert r.status_code == 201, r.text
    instance = r.json()["data"]["instance"]
    assert instance["status"] == "RUNNING" and instance["currentStepId"] == "start"
    return instance  # type: ignore[no-any-return]


async def poll(caller: Caller, instance_id: str, *statuses: str, step_id: str | None = None,
               within: float = 8.0) -> dict[str, Any]:
    """The reference's poll helper: the instance every 100 ms until it is in one of `statuses`."""
    deadline = time.monotonic() + within
    while True:
        r = await caller.get(f"{INSTANCES}/{instance_id}")
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        if data["status"] in statuses and (step_id is None or data["currentStepId"] == step_id):
            return data  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"instance stayed {data['status']} at {data['currentStepId']}"
        await asyncio.sleep(0.1)


async def event_types(caller: Caller, instance_id: str, **params: Any) -> list[str]:
    r = await caller.get(f"{INSTANCES}/{instance_id}/events", params=params)
    assert r.status_code == 200, r.text
    return [e["eventType"] for e in reversed(r.json()["data"])]


async def test_tc_wf_004_instance_lifecycle(world: World) -> None:
    me = await world.user(ADMIN)
    definition = await define(me, minimal("-inst"))
    wid = definition["workflowId"]
    instance = await start(me, wid, initialContext={"orderId": "order-1"}, correlationKey="qa-corr-1",
                           metadata={"entityType": "order", "entityId": "order-1"})
    r = await me.get(f"{INSTANCES}/{instance['id']}")
    assert r.status_code == 200 and r.json()["data"]["correlationKey"] == "qa-corr-1"
    for params in ({"workflowId": wid}, {"correlationKey": "qa-corr-1"}):
        assert instance["id"] in [i["id"] for i in (await me.get(INSTANCES, params=params)).json()["data"]]
    done = await poll(me, instance["id"], "COMPLETED")
    assert done["completedAt"] and done["context"] == {"orderId": "order-1"}
    assert (await me.post(f"{INSTANCES}/{instance['id']}/cancel")).status_code == 400
    # (d) retry of an instance that did not fail
    r = await me.post(f"{INSTANCES}/{instance['id']}/retry")
    assert r.status_code == 400 and "COMPLETED status" in r.json()["error"]


async def test_tc_wf_005_events_of_a_completed_instance(world: World) -> None:
    me = await world.user(ADMIN)
    instance = await start(me, (await define(me, minimal()))["workflowId"], initialContext={"test": True})
    await poll(me, instance["id"], "COMPLETED")
    assert await event_types(me, instance["id"]) == [
        "WORKFLOW_STARTED", "STEP_ENTERED", "STEP_EXITED", "TRANSITION_EXECUTED", "WORKFLOW_COMPLETED"]
    assert await event_types(me, instance["id"], eventType="WORKFLOW_STARTED") == ["WORKFLOW_STARTED"]
    r = await me.get(f"{INSTANCES}/{instance['id']}/events", params={"limit": 1, "offset": 0})
    assert len(r.json()["data"]) == 1 and r.json()["pagination"]["limit"] == 1
    assert r.json()["pagination"]["total"] == 5


async def test_tc_wf_012_sync_wait_blocks_the_transition(world: World) -> None:
    me = await world.user(ADMIN)
    payload = minimal()
    payload["definition"]["transitions"][0]["activities"] = [
        {"activityId": "pause-briefly", "activityName": "Pause briefly", "activityType": "WAIT", "async": False,
         "config": {"duration": "PT1S"}}]
    began = time.monotonic()
    instance = await start(me, (await define(me, payload))["workflowId"], initialContext={"test": True})
    done = await poll(me, instance["id"], "COMPLETED")
    assert time.monotonic() - began >= 0.9
    elapsed = datetime.fromisoformat(done["completedAt"]) - datetime.fromisoformat(done["startedAt"])
    assert elapsed.total_seconds() >= 0.9


async def test_tc_wf_019_automated_steps_without_forks(world: World) -> None:
    me = await world.user(ADMIN)
    payload = with_steps([step("start", "START"), step("work", "AUTOMATED"), step("end", "END")],
                         [transition("start-to-work", "start", "work"), transition("work-to-end", "work", "end")])
    instance = await start(me, (await define(me, payload))["workflowId"], initialContext={"test": True})
    done = await poll(me, instance["id"], "COMPLETED", within=20)
    assert "branches" not in done["context"] and done["currentStepId"] == "end"


async def test_automated_activities_land_in_the_context(world: World) -> None:
    me = await world.user(ADMIN)
    emit = {"activityId": "announce", "activityName": "Announce", "activityType": "EMIT_EVENT",
            "config": {"eventName": "qa.workflow.announced", "payload": {"order": "{{context.orderId}}"}}}
    payload = with_steps([step("start", "START"), step("work", "AUTOMATED", activities=[emit]), step("end", "END")],
                         [transition("start-to-work", "start", "work", activities=[{**emit, "activityName": "Tell"}]),
                          transition("work-to-end", "work", "end")])
    instance = await start(me, (await define(me, payload))["workflowId"], initialContext={"orderId": "o-7"})
    done = await poll(me, instance["id"], "COMPLETED")
    # Sync transition outputs are merged under the activity's name (docs/workflows.md, "Activities").
    assert done["context"]["Tell"]["emitted"] is True and done["context"]["Tell"]["payload"]["order"] == "o-7"


async def test_a_guarded_transition_rests_until_its_rule_passes(world: World) -> None:
    me = await world.user(ADMIN)
    rule = rule_payload(ruleId="qa_approved_guard", entityType="workflow:any:transition", eventType="pre_transition",
                        conditionExpression={"field": "workflowContext.approved", "operator": "=", "value": True})
    assert (await me.post(RULES, json=rule)).status_code == 201
    payload = minimal()
    payload["definition"]["transitions"][0]["preConditions"] = [{"ruleId": "qa_approved_guard"}]
    wid = (await define(me, payload))["workflowId"]
    blocked = await start(me, wid, initialContext={"approved": False})
    passing = await start(me, wid, initialContext={"approved": True})
    await poll(me, passing["id"], "COMPLETED")
    resting = await poll(me, blocked["id"], "RUNNING", step_id="start")
    assert resting["errorMessage"] is None
    r = await me.post(f"{INSTANCES}/{blocked['id']}/advance", json={})
    assert r.status_code == 400
    assert r.json()["error"] == "No valid transitions available" and r.json()["currentStepId"] == "start"
    # contextUpdates are merged before the guards run.
    r = await me.post(f"{INSTANCES}/{blocked['id']}/advance", json={"contextUpdates": {"approved": True}})
    assert r.status_code == 200, r.text
    await poll(me, blocked["id"], "COMPLETED")


async def test_tc_wf_026_retry(world: World) -> None:
    me = await world.user(ADMIN)
    wid = (await define(me, minimal()))["workflowId"]
    instance = await start(me, wid)
    await poll(me, instance["id"], "COMPLETED")
    async with sessionmaker()() as s:
        await s.execute(update(WorkflowInstance).where(WorkflowInstance.id == instance["id"]).values(
            status="FAILED", retry_count=0, error_message="[qa] forced failure", error_details=None,
            completed_at=None))
        await s.commit()
    r = await me.post(f"{INSTANCES}/{instance['id']}/retry")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["instance"]["retryCount"] == 1 and r.json()["data"]["instance"]["status"] != "FAILED"
    done = await poll(me, instance["id"], "COMPLETED")
    assert done["retryCount"] == 1 and done["errorMessage"] is None
    # (b) a completed instance cannot be retried
    assert (await me.post(f"{INSTANCES}/{instance['id']}/retry")).status_code == 400
    # (c) nor a cancelled one
    resting = await start(me, (await define(me, manual()))["workflowId"])
    await poll(me, resting["id"], "RUNNING", step_id="start")
    r = await me.post(f"{INSTANCES}/{resting['id']}/cancel")
    assert r.status_code == 200 and r.json()["data"]["status"] == "CANCELLED"
    assert (await me.post(f"{INSTANCES}/{resting['id']}/retry")).status_code == 400


async def test_tc_wf_027_advance_manual_transitions(world: World) -> None:
    me = await world.user(ADMIN)
    instance = await start(me, (await define(me, manual()))["workflowId"])
    url = f"{INSTANCES}/{instance['id']}/advance"
    await poll(me, instance["id"], "RUNNING", step_id="start")
    assert (await me.post(url, json={"toStepId": "does-not-exist"})).status_code == 400
    r = await me.post(url, json={"toStepId": "mid", "contextUpdates": {"advancedBy": "qa"}})
    assert r.status_code == 200, r.text
    data = r.json()["data"]["instance"]
    assert data["currentStepId"] == "mid" and data["previousStepId"] == "start"
    assert data["transitionFired"] == "start-to-mid" and data["context"]["advancedBy"] == "qa"
    r = await me.post(url, json={})
    assert r.status_code == 200, r.text
    data = r.json()["data"]["instance"]
    assert data["currentStepId"] == "end" and data["transitionFired"] == "mid-to-end"
    await poll(me, instance["id"], "COMPLETED")
    r = await me.post(url, json={})
    assert r.status_code == 400 and r.json() == {"error": "Workflow already completed"}


async def test_cancel_stops_a_resting_instance(world: World) -> None:
    me = await world.user(ADMIN)
    instance = await start(me, (await define(me, manual()))["workflowId"])
    await poll(me, instance["id"], "RUNNING", step_id="start")
    r = await me.post(f"{INSTANCES}/{instance['id']}/cancel")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "CANCELLED" and r.json()["data"]["cancelledAt"]
    assert (await poll(me, instance["id"], "CANCELLED"))["cancelledAt"]
    assert "WORKFLOW_CANCELLED" in await event_types(me, instance["id"])
    r = await me.post(f"{INSTANCES}/{instance['id']}/advance", json={})
    assert r.status_code == 400 and r.json() == {"error": "Workflow is cancelled"}


async def test_tc_wf_029_each_organization_runs_its_own(world: World) -> None:
    await world.setup()
    a_org, b_org = await world.org("A"), await world.org("B")
    a = await world.user(ADMIN, org_id=a_org, organizations=[a_org])
    b = await world.user(ADMIN, org_id=b_org, organizations=[b_org])
    wid = (await define(a, minimal()))["workflowId"]
    instance = await start(a, wid)
    await poll(a, instance["id"], "COMPLETED")
    assert (await b.get(f"{INSTANCES}/{instance['id']}")).status_code == 404
    assert (await b.post(INSTANCES, json={"workflowId": wid})).status_code == 404
