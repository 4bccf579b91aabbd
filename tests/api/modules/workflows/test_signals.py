"""`POST /api/workflows/instances/{id}/signal` and `POST /api/workflows/signals` (docs/workflows.md,
"Signals"): what the routes decide alone, how they carry the workflow's answers
(`PeopleStandIn`), and the reference's TC-WF-025 end to end through the real engine."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.api.modules.workflows.builders import NIL, step, transition, ts, with_steps
from tests.api.modules.workflows.test_scenarios import define, poll, start
from tests.api.modules.workflows.test_tasks import (  # noqa: F401 - fixtures used by name
    ADMIN,
    VIEW_ONLY,
    add_instance,
    admin,
    calls,
    claimable,
    find_task,
    logged,
    people,
    people_queue,
    set_status,
    stand_in_instance,
)
from tests.fixtures import World

INSTANCES = "/api/workflows/instances"
SIGNALS = "/api/workflows/signals"


def waiting(signal_name: str = "approval", suffix: str = "") -> dict[str, Any]:
    """SIGNAL(ts, signalName, suffix): start → `wait` (WAIT_FOR_SIGNAL) → end."""
    return with_steps([step("start", "START"), step("wait", "WAIT_FOR_SIGNAL", "Wait",
                                                    signalConfig={"signalName": signal_name}), step("end", "END")],
                      [transition("start-to-wait", "start", "wait"), transition("wait-to-end", "wait", "end")],
                      workflowId=f"qa-wf-signal{suffix}-{ts()}")


# --- What the routes decide alone -------------------------------------------------------------------------

async def test_tc_wf_028_signals_are_gated_before_any_lookup(world: World) -> None:
    viewer = await world.user(VIEW_ONLY)
    r = await viewer.post(f"{INSTANCES}/{NIL}/signal", json={"signalName": "approval"})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["workflows.instances.signal"], r.text
    r = await viewer.post(SIGNALS, json={"correlationKey": "k", "signalName": "approval"})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["workflows.signals.send"], r.text


async def test_signal_bodies_are_checked(world: World) -> None:
    me = await admin(world)
    cases = [({}, ["signalName"], None), ({"signalName": ""}, ["signalName"], "Signal name required"),
             ({"signalName": "approval", "payload": [1]}, ["payload"], None)]
    for body, path, message in cases:
        r = await me.post(f"{INSTANCES}/{NIL}/signal", json=body)
        assert r.status_code == 400 and r.json()["error"] == "Invalid request body", r.text
        assert [d["path"] for d in r.json()["details"]] == [path]
        assert message is None or r.json()["details"][0]["message"] == message
    # Invalid `/signals` bodies are 400 too, where the reference platform answers 500.
    key_cases = [({}, [["correlationKey"], ["signalName"]], None),
                 ({"correlationKey": "", "signalName": "approval"}, [["correlationKey"]], "Correlation key required"),
                 ({"correlationKey": "k", "signalName": ""}, [["signalName"]], "Signal name required"),
                 ({"correlationKey": "k", "signalName": "approval", "payload": "x"}, [["payload"]], None)]
    for body, paths, message in key_cases:
        r = await me.post(SIGNALS, json=body)
        assert r.status_code == 400 and r.json()["error"] == "Invalid request body", r.text
        assert [d["path"] for d in r.json()["details"]] == paths
        assert message is None or r.json()["details"][0]["message"] == message
    r = await me.post(SIGNALS, content=b"[", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "Invalid request body"


async def test_unknown_foreign_and_finished_instances(world: World, client: Any) -> None:
    me = await admin(world)
    foreign = await add_instance(await admin(World(client)), status="PAUSED")
    for instance_id in (NIL, foreign):
        r = await me.post(f"{INSTANCES}/{instance_id}/signal", json={"signalName": "approval"})
        assert r.status_code == 404 and r.json() == {"error": "Workflow instance not found"}
    for status in ("COMPLETED", "CANCELLED"):
        finished = await add_instance(me, status=status)
        r = await me.post(f"{INSTANCES}/{finished}/signal", json={"signalName": "approval"})
        assert r.status_code == 409 and r.json() == {"error": "Workflow is not paused"}


async def test_signals_find_only_waiting_instances_of_the_caller(world: World, client: Any) -> None:
    me = await admin(world)
    key = f"qa-key-{ts()}"
    for status in ("RUNNING", "COMPLETED", "CANCELLED", "FAILED"):
        await add_instance(me, status=status, correlation_key=key)
    await add_instance(await admin(World(client)), status="PAUSED", correlation_key=key)
    b_org = await world.org("B")
    b_user = await world.user(ADMIN, org_id=b_org, organizations=[b_org])
    await add_instance(me, status="PAUSED", correlation_key=f"{key}-other")
    for caller in (me, b_user):
        r = await caller.post(SIGNALS, json={"correlationKey": key, "signalName": "approval"})
        assert r.status_code == 200, r.text
        assert r.json() == {"success": True, "message": "Signal sent to 0 workflow(s)", "count": 0}


# --- Carrying the workflow's answers (stand-in) -----------------------------------------------------------

@pytest.mark.usefixtures("people")
async def test_a_signal_is_the_workflows_update(world: World, temporal_env: WorkflowEnvironment) -> None:
    me = await admin(world)
    instance_id = await stand_in_instance(me, waitsFor="approval")
    await set_status(instance_id, "PAUSED")
    r = await me.post(f"{INSTANCES}/{instance_id}/signal", json={"signalName": "not-the-expected-signal"})
    assert r.status_code == 400, r.text
    assert r.json() == {"error": "Signal name mismatch",
                        "details": {"expected": "approval", "received": "not-the-expected-signal"}}
    r = await me.post(f"{INSTANCES}/{instance_id}/signal", json={"signalName": "approval",
                                                                 "payload": {"decidedBy": "qa"}})
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "message": "Signal sent successfully"}
    seen = await calls(temporal_env, instance_id)
    assert [(c["signalName"], c["payload"]) for c in seen] == [("not-the-expected-signal", None),
                                                               ("approval", {"decidedBy": "qa"})]
    assert seen[1]["actor"] == {"user_id": me.user_id, "roles": ["admin"], "can_manage": True}
    assert await logged(me, instance_id) == ["workflows.instances.start", "workflows.instances.signal"]
    # Its workflow has ended (the stand-in writes no row, which still says PAUSED).
    r = await me.post(f"{INSTANCES}/{instance_id}/signal", json={"signalName": "approval"})
    assert r.status_code == 409 and r.json() == {"error": "Workflow is not paused"}


@pytest.mark.usefixtures("people")
async def test_signals_count_the_deliveries(world: World, temporal_env: WorkflowEnvironment) -> None:
    me = await admin(world)
    key = f"qa-key-{ts()}"

    async def instance(status: str, **context: Any) -> str:
        instance_id = await stand_in_instance(me, correlation_key=key, **context)
        await set_status(instance_id, status)
        return instance_id

    paused = await instance("PAUSED", waitsFor="approval")
    forked = await instance("FORKED", waitsFor="approval")
    other_signal = await instance("PAUSED", waitsFor="rejection")
    at_a_task = await instance("PAUSED")
    running = await instance("RUNNING", waitsFor="approval")
    gone = await add_instance(me, status="PAUSED", correlation_key=key)  # no workflow behind it

    r = await me.post(SIGNALS, json={"correlationKey": key, "signalName": "approval", "payload": {"n": 1}})
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "message": "Signal sent to 2 workflow(s)", "count": 2}
    for instance_id in (paused, forked):
        assert [c["payload"] for c in await calls(temporal_env, instance_id)] == [{"n": 1}]
        assert await logged(me, instance_id) == ["workflows.instances.start", "workflows.signals.send"]
    assert len(await calls(temporal_env, other_signal)) == 1 and len(await calls(temporal_env, at_a_task)) == 1
    assert await calls(temporal_env, running) == []
    assert await logged(me, other_signal) == ["workflows.instances.start"]
    assert await logged(me, gone) == []


@pytest.mark.usefixtures("people")
async def test_signals_reach_many_instances(world: World) -> None:
    me = await admin(world)
    key = f"qa-many-{ts()}"
    workflow_id = (await define(me, with_steps([step("start", "START"), step("end", "END")],
                                               [transition("start-to-end", "start", "end")])))["workflowId"]
    started = await asyncio.gather(*(start(me, workflow_id, correlationKey=key,
                                           initialContext={"waitsFor": "approval"}) for _ in range(20)))
    for instance in started:
        await set_status(instance["id"], "PAUSED")
    r = await me.post(SIGNALS, json={"correlationKey": key, "signalName": "approval"})
    assert r.status_code == 200 and r.json()["count"] == 20, r.text
    r = await me.post(SIGNALS, json={"correlationKey": key, "signalName": "approval"})
    assert r.status_code == 200 and r.json()["count"] == 0, r.text


# --- End to end through the engine ------------------------------------------------------------------------

@pytest.mark.usefixtures("engine")
async def test_tc_wf_025a_signal_one_instance(world: World) -> None:
    me = await admin(world)
    instance = await start(me, (await define(me, waiting(suffix="-direct")))["workflowId"],
                           correlationKey=f"qa-direct-{ts()}", initialContext={"orderId": "o-25"})
    url = f"{INSTANCES}/{instance['id']}/signal"
    await poll(me, instance["id"], "PAUSED", step_id="wait")
    r = await me.post(url, json={"signalName": "not-the-expected-signal"})
    assert r.status_code == 400, r.text
    r = await me.post(url, json={"signalName": "approval", "payload": {"decidedBy": "qa"}})
    assert r.status_code == 200 and r.json()["success"] is True, r.text
    done = await poll(me, instance["id"], "COMPLETED")
    assert done["context"]["decidedBy"] == "qa" and done["context"]["orderId"] == "o-25"
    assert done["context"]["signal_approval_payload"] == {"decidedBy": "qa"}
    r = await me.post(url, json={"signalName": "approval"})
    assert r.status_code == 409, r.text
    r = await me.post(f"{INSTANCES}/{NIL}/signal", json={"signalName": "approval"})
    assert r.status_code == 404, r.text


@pytest.mark.usefixtures("engine")
async def test_tc_wf_025b_signal_by_correlation_key(world: World) -> None:
    me = await admin(world)
    key = f"qa-corr-{ts()}"
    workflow_id = (await define(me, waiting(suffix="-corr")))["workflowId"]
    first = await start(me, workflow_id, correlationKey=key)
    second = await start(me, workflow_id, correlationKey=key)
    # Waiting at a user task, not for a signal: skipped, not counted.
    at_a_task = await start(me, (await define(me, claimable()))["workflowId"], correlationKey=key)
    for instance in (first, second):
        await poll(me, instance["id"], "PAUSED", step_id="wait")
    task = await find_task(me, at_a_task["id"], "PENDING")

    r = await me.post(SIGNALS, json={"correlationKey": f"qa-no-match-{ts()}", "signalName": "approval"})
    assert r.status_code == 200 and r.json()["count"] == 0, r.text
    r = await me.post(f"{INSTANCES}/{at_a_task['id']}/signal", json={"signalName": "approval"})
    assert r.status_code == 409 and r.json()["error"] == "Workflow is not waiting for signal", r.text
    r = await me.post(SIGNALS, json={"correlationKey": key, "signalName": "approval"})
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "message": "Signal sent to 2 workflow(s)", "count": 2}
    for instance in (first, second):
        await poll(me, instance["id"], "COMPLETED")
    assert (await me.get(f"{INSTANCES}/{at_a_task['id']}")).json()["data"]["status"] == "PAUSED"
    assert (await me.get(f"/api/workflows/tasks/{task['id']}")).json()["data"]["status"] == "PENDING"
