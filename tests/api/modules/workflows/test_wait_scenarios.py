"""The reference platform's waiting scenarios (TC-WF-013, 015, 016, 017, 020, 021, 022) and the rest of
docs/workflows.md, "People, signals and time", through HTTP against the app, with the real interpreter and
activities running in a worker of this process on the Temporal dev server: timers, parallel branches with
tasks, signals and timers inside them, sub-workflows, cancel cleanup, the saga ("Retries, timeouts, failure
and compensation") and one signal per instance for 100 instances waiting on a correlation key."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from activities.functions import FunctionContext, register
from tests.api.modules.workflows.builders import step, transition, with_steps
from tests.api.modules.workflows.test_scenarios import define, event_types, poll, start
from tests.api.modules.workflows.test_tasks import admin, find_task
from tests.api.modules.workflows.wait_builders import (
    UNKNOWN_FUNCTION,
    Branch,
    activity,
    chain,
    fork_join,
    signal_step,
    sub_parent,
    task_step,
    timer,
    timer_step,
    two_automated,
    waiting_for,
)
from tests.fixtures import Caller, World

pytestmark = pytest.mark.usefixtures("engine")

INSTANCES = "/api/workflows/instances"
TASKS = "/api/workflows/tasks"
SIGNALS = "/api/workflows/signals"
EVENTS = "/api/workflows/events"

# What the saga's functions did, per instance, in the order they ran (a side effect the test can see).
LEDGER: dict[str, list[str]] = {}


@register("qa.saga.record")
def _record_action(args: dict[str, Any], ctx: FunctionContext) -> dict[str, Any]:
    LEDGER.setdefault(ctx.instance_id, []).append(str(args.get("action")))
    return {"recorded": args.get("action")}


# --- Helpers ----------------------------------------------------------------------------------------------

async def events(caller: Caller, instance_id: str, event_type: str | None = None) -> list[dict[str, Any]]:
    """The instance's events, newest first (as the API lists them)."""
    params: dict[str, Any] = {"limit": 1000}
    if event_type:
        params["eventType"] = event_type
    r = await caller.get(f"{INSTANCES}/{instance_id}/events", params=params)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def awaited(caller: Caller, instance_id: str, event_type: str, within: float = 8.0) -> list[dict[str, Any]]:
    """The instance's `event_type` events once there is one."""
    deadline = time.monotonic() + within
    while True:
        found = await events(caller, instance_id, event_type)
        if found:
            return found
        assert time.monotonic() < deadline, f"no {event_type} event"
        await asyncio.sleep(0.1)


async def tasks_of(caller: Caller, instance_id: str) -> list[dict[str, Any]]:
    r = await caller.get(TASKS, params={"workflowInstanceId": instance_id})
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def complete(caller: Caller, task_id: str, form: dict[str, Any]) -> dict[str, Any]:
    r = await caller.post(f"{TASKS}/{task_id}/complete", json={"formData": form})
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def counted(caller: Caller, total: int, within: float, **params: Any) -> None:
    """Poll the instance list (only its total) until `params` match `total` instances."""
    deadline = time.monotonic() + within
    while True:
        r = await caller.get(INSTANCES, params={**params, "limit": 1})
        assert r.status_code == 200, r.text
        found = r.json()["pagination"]["total"]
        if found == total:
            return
        assert time.monotonic() < deadline, f"{found} instances match {params}, expected {total}"
        await asyncio.sleep(0.1)


async def listed(caller: Caller, workflow_id: str, within: float = 8.0) -> list[dict[str, Any]]:
    """Instances of `workflow_id` once there is at least one."""
    deadline = time.monotonic() + within
    while True:
        r = await caller.get(INSTANCES, params={"workflowId": workflow_id})
        assert r.status_code == 200, r.text
        if r.json()["data"]:
            return r.json()["data"]  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"no instance of {workflow_id}"
        await asyncio.sleep(0.1)


async def closed(env: WorkflowEnvironment, instance_id: str, within: float = 5.0) -> WorkflowExecutionStatus:
    """The instance's Temporal workflow once it has ended."""
    deadline = time.monotonic() + within
    while True:
        status = (await env.client.get_workflow_handle(instance_id).describe()).status
        if status != WorkflowExecutionStatus.RUNNING:
            assert status is not None
            return status
        assert time.monotonic() < deadline, f"workflow {instance_id} still running"
        await asyncio.sleep(0.1)


async def in_chunks(calls: list[Awaitable[Any]], size: int = 25) -> list[Any]:
    out: list[Any] = []
    for i in range(0, len(calls), size):
        out += await asyncio.gather(*calls[i:i + size])
    return out


async def signal_receipts(caller: Caller) -> Counter[str]:
    """SIGNAL_RECEIVED events of the caller's tenant, by instance (each test has a tenant of its own)."""
    seen: Counter[str] = Counter()
    page = 1
    while True:
        r = await caller.get(EVENTS, params={"eventType": "SIGNAL_RECEIVED", "pageSize": 100, "page": page})
        assert r.status_code == 200, r.text
        body = r.json()
        seen.update(e["workflowInstanceId"] for e in body["items"])
        if page >= body["totalPages"]:
            return seen
        page += 1


def seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


# --- Timers -----------------------------------------------------------------------------------------------

async def test_tc_wf_013_wait_for_timer(world: World) -> None:
    me = await admin(world)
    instance = await start(me, (await define(me, timer("PT1S")))["workflowId"], initialContext={"test": True})
    paused = await poll(me, instance["id"], "PAUSED", step_id="wait_for_timer", within=5)
    assert paused["pausedAt"]
    awaiting = await events(me, instance["id"], "TIMER_AWAITING")
    assert len(awaiting) == 1
    data = awaiting[0]["eventData"]
    assert data["jobId"] and data["fireAt"] and data["duration"] == "PT1S" and data["until"] is None
    assert 0.9 <= seconds_between(paused["startedAt"], data["fireAt"].replace("Z", "+00:00")) <= 3

    done = await poll(me, instance["id"], "COMPLETED", within=10)
    assert seconds_between(done["startedAt"], done["completedAt"]) >= 0.9
    fired = await events(me, instance["id"], "TIMER_FIRED")
    assert len(fired) == 1 and fired[0]["eventData"]["stepId"] == "wait_for_timer"
    assert fired[0]["eventData"]["jobId"] == data["jobId"]
    # The transition into the timer step is recorded as executed once the step waits.
    assert await event_types(me, instance["id"]) == [
        "WORKFLOW_STARTED", "STEP_ENTERED", "TIMER_AWAITING", "TRANSITION_EXECUTED", "TIMER_FIRED", "STEP_EXITED",
        "STEP_ENTERED", "STEP_EXITED", "TRANSITION_EXECUTED", "WORKFLOW_COMPLETED"]


# --- Parallel branches ------------------------------------------------------------------------------------

async def test_tc_wf_015_fork_with_a_user_task_branch(world: World) -> None:
    me = await admin(world)
    payload = fork_join(Branch("auto", step("auto_branch", "AUTOMATED")), Branch("task", task_step("task_branch")))
    instance = await start(me, (await define(me, payload))["workflowId"], initialContext={"orderId": "o-15"})
    task = await find_task(me, instance["id"], "PENDING", "IN_PROGRESS", within=10)
    assert task["branchInstanceId"] and task["assignedTo"] == "admin" and task["taskName"] == "Task Branch"
    forked = await poll(me, instance["id"], "FORKED")
    assert forked["activeForkStepId"] == "fork"

    data = await complete(me, task["id"], {"approved": True})
    assert data["status"] == "COMPLETED" and data["branchInstanceId"] == task["branchInstanceId"]
    done = await poll(me, instance["id"], "COMPLETED", within=30)
    assert sorted(done["context"]["branches"]) == ["fork-to-auto", "fork-to-task"]
    # Branch form data stays in its namespace, merged under `branches` at the join (docs/workflows.md,
    # "Parallel branches").
    assert done["context"]["branches"]["fork-to-task"]["approved"] is True
    assert "approved" not in done["context"] and done["context"]["orderId"] == "o-15"
    assert done["activeForkStepId"] is None
    created = await events(me, instance["id"], "USER_TASK_CREATED")
    assert [e["branchInstanceId"] for e in created] == [task["branchInstanceId"]]


async def test_tc_wf_016_fork_with_an_async_wait_on_a_branch(world: World) -> None:
    me = await admin(world)
    wait = activity("async_wait", "WAIT", {"duration": "PT1S"}, activityName="Async Wait", **{"async": True})
    payload = fork_join(Branch("async", step("async_branch", "AUTOMATED"), activities=[wait]),
                        Branch("auto", step("auto_branch", "AUTOMATED")))
    instance = await start(me, (await define(me, payload))["workflowId"], initialContext={"test": True})
    done = await poll(me, instance["id"], "COMPLETED", within=15)
    assert seconds_between(done["startedAt"], done["completedAt"]) >= 0.9
    assert done["context"]["branches"]["fork-to-async"]["async_wait_result"] == {"waited": True}
    assert "_pendingAsyncActivities" not in done["context"]["branches"]["fork-to-async"]
    queued = await events(me, instance["id"], "ACTIVITY_QUEUED")
    completed = await events(me, instance["id"], "ACTIVITY_COMPLETED")
    assert len(queued) == 1 and len(completed) == 1
    assert queued[0]["branchInstanceId"] and completed[0]["branchInstanceId"] == queued[0]["branchInstanceId"]
    assert completed[0]["eventData"]["jobId"] == queued[0]["eventData"]["jobId"]


async def test_tc_wf_017_a_failed_branch_cancels_its_sibling(world: World) -> None:
    me = await admin(world)
    boom = activity("boom", "EXECUTE_FUNCTION", {"functionId": UNKNOWN_FUNCTION}, activityName="Boom")
    payload = fork_join(Branch("task", task_step("task_branch")),
                        Branch("failing", step("failing_step", "AUTOMATED"), activities=[boom]))
    instance = await start(me, (await define(me, payload))["workflowId"])
    failed = await poll(me, instance["id"], "FAILED", within=30)
    assert failed["errorMessage"].startswith('Parallel branch "fork-to-failing" failed: ')
    assert "functionName" in failed["errorMessage"]
    cancelled = await events(me, instance["id"], "PARALLEL_BRANCH_CANCELLED")
    assert len(cancelled) >= 1
    assert [e["eventData"] for e in cancelled] == [{"branchKey": "fork-to-task", "reason": "sibling-failed"}]
    branch_failed = await events(me, instance["id"], "PARALLEL_BRANCH_FAILED")
    assert [e["eventData"]["branchKey"] for e in branch_failed] == ["fork-to-failing"]
    assert len(await events(me, instance["id"], "PARALLEL_FORK_FAILED")) == 1
    tasks = await tasks_of(me, instance["id"])
    assert [t["status"] for t in tasks] == ["CANCELLED"]
    assert tasks[0]["branchInstanceId"] == cancelled[0]["branchInstanceId"]
    r = await me.post(f"{TASKS}/{tasks[0]['id']}/complete", json={"formData": {"approved": True}})
    assert r.status_code == 404, r.text


async def test_tc_wf_020_branch_events_belong_to_their_instance(world: World, client: Any) -> None:
    me = await admin(world)
    instance = await start(me, (await define(me, two_automated()))["workflowId"])
    await poll(me, instance["id"], "COMPLETED", within=30)
    opened = await events(me, instance["id"], "PARALLEL_FORK_OPENED")
    assert opened and all(e["workflowInstanceId"] == instance["id"] for e in opened)
    assert opened[0]["eventData"] == {"forkStepId": "fork", "joinStepId": "join",
                                      "branchKeys": ["fork-to-a", "fork-to-b"]}
    every = await events(me, instance["id"])
    assert all(e["workflowInstanceId"] == instance["id"] for e in every)
    assert len([e for e in every if e["eventType"] == "PARALLEL_BRANCH_COMPLETED"]) == 2
    r = await me.get(f"{INSTANCES}/{instance['id']}", headers={"Authorization": "Bearer "})
    assert r.status_code in (401, 403), r.text
    r = await client.get(f"{INSTANCES}/{instance['id']}")
    assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}


async def test_tc_wf_021_user_task_after_the_join(world: World) -> None:
    me = await admin(world)
    payload = two_automated(after=(task_step("review"),))
    instance = await start(me, (await define(me, payload))["workflowId"])
    task = await find_task(me, instance["id"], "PENDING", within=15)
    # After the join the instance itself waits: the task belongs to no branch.
    assert task["branchInstanceId"] is None
    paused = await poll(me, instance["id"], "PAUSED", step_id="review")
    assert sorted(paused["context"]["branches"]) == ["fork-to-a", "fork-to-b"]
    await complete(me, task["id"], {"reviewed": True})
    done = await poll(me, instance["id"], "COMPLETED", within=30)
    assert done["context"]["reviewed"] is True


async def test_tc_wf_022_fork_join_happy_path(world: World) -> None:
    me = await admin(world)
    instance = await start(me, (await define(me, two_automated()))["workflowId"], initialContext={"test": True})
    done = await poll(me, instance["id"], "COMPLETED", within=30)
    assert done["context"]["branches"]
    assert sorted(done["context"]["branches"]) == ["fork-to-a", "fork-to-b"]
    assert done["context"]["test"] is True
    joined = await events(me, instance["id"], "PARALLEL_JOIN_COMPLETED")
    assert len(joined) >= 1
    assert joined[0]["eventData"]["forkStepId"] == "fork" and joined[0]["eventData"]["joinStepId"] == "join"
    assert sorted(joined[0]["eventData"]["mergedBranchKeys"]) == ["fork-to-a", "fork-to-b"]


async def test_a_signal_and_a_timer_inside_branches(world: World) -> None:
    me = await admin(world)
    payload = fork_join(Branch("signal", signal_step("wait_signal", "go")),
                        Branch("timer", timer_step("wait_timer", "PT2S")))
    instance = await start(me, (await define(me, payload))["workflowId"])
    url = f"{INSTANCES}/{instance['id']}/signal"
    await poll(me, instance["id"], "FORKED")
    # The signal branch must have reached its step before a signal can find it.
    await awaited(me, instance["id"], "SIGNAL_AWAITING")
    r = await me.post(url, json={"signalName": "not-awaited"})
    assert r.status_code == 409 and r.json()["error"] == "No parallel branch awaiting this signal", r.text

    r = await me.post(url, json={"signalName": "go", "payload": {"decidedBy": "qa"}})
    assert r.status_code == 200 and r.json()["success"] is True, r.text
    # The signalled branch has reached the join; the instance waits for the timer branch.
    assert (await me.get(f"{INSTANCES}/{instance['id']}")).json()["data"]["status"] == "FORKED"
    arrived = await events(me, instance["id"], "PARALLEL_BRANCH_COMPLETED")
    assert [e["eventData"]["branchKey"] for e in arrived] == ["fork-to-signal"]
    assert await events(me, instance["id"], "TIMER_FIRED") == []
    done = await poll(me, instance["id"], "COMPLETED", within=10)
    signalled = done["context"]["branches"]["fork-to-signal"]
    assert signalled["decidedBy"] == "qa" and signalled["signal_go_payload"] == {"decidedBy": "qa"}
    assert "decidedBy" not in done["context"]
    received = await events(me, instance["id"], "SIGNAL_RECEIVED")
    assert [e["eventData"] for e in received] == [{"signalName": "go", "payload": {"decidedBy": "qa"},
                                                    "branch": True}]
    fired = await events(me, instance["id"], "TIMER_FIRED")
    assert len(fired) == 1 and fired[0]["eventData"]["branch"] is True and fired[0]["branchInstanceId"]
    assert received[0]["branchInstanceId"] != fired[0]["branchInstanceId"]
    r = await me.post(url, json={"signalName": "go"})
    assert r.status_code == 409, r.text


async def test_signals_by_key_reach_branches_of_forked_instances(world: World) -> None:
    me = await admin(world)
    payload = fork_join(Branch("signal", signal_step("wait_signal", "go")), Branch("auto", step("auto", "AUTOMATED")))
    workflow_id = (await define(me, payload))["workflowId"]
    started = [await start(me, workflow_id, correlationKey="qa-forked-key") for _ in range(2)]
    await counted(me, 2, 8, correlationKey="qa-forked-key", status="FORKED")
    for instance in started:
        await awaited(me, instance["id"], "SIGNAL_AWAITING")
    r = await me.post(SIGNALS, json={"correlationKey": "qa-forked-key", "signalName": "go"})
    assert r.status_code == 200 and r.json()["count"] == 2, r.text
    for instance in started:
        done = await poll(me, instance["id"], "COMPLETED")
        assert sorted(done["context"]["branches"]) == ["fork-to-auto", "fork-to-signal"]


# --- Sub-workflows: output merged into the parent, subWorkflowConfig honoured -----------------------------

async def test_a_sub_workflow_waits_for_its_childs_task_and_maps_its_output(world: World) -> None:
    me = await admin(world)
    child = await define(me, chain(step("start", "START"), task_step("approve"), step("end", "END"),
                                   suffix="-child"))
    parent = await define(me, sub_parent(child["workflowId"], inputMapping={"order.id": "orderId"},
                                         outputMapping={"childApproved": "approved", "childOrder": "order.id"}))
    instance = await start(me, parent["workflowId"], initialContext={"orderId": "o-sub"},
                           correlationKey="qa-sub-corr")
    [kid] = await listed(me, child["workflowId"])
    labels = kid["metadata"]["labels"]
    assert labels["parentInstanceId"] == instance["id"] and labels["parentStepId"] == "sub"
    assert labels["parentStepInstanceId"]
    assert kid["correlationKey"] == "qa-sub-corr"
    task = await find_task(me, kid["id"], "PENDING")
    assert (await poll(me, kid["id"], "PAUSED", step_id="approve"))["context"] == {"order": {"id": "o-sub"}}
    await poll(me, instance["id"], "PAUSED", step_id="sub")
    started = await events(me, instance["id"], "SUB_WORKFLOW_STARTED")
    assert [e["eventData"]["childInstanceId"] for e in started] == [kid["id"]]
    assert started[0]["eventData"]["inputData"] == {"order": {"id": "o-sub"}}

    await complete(me, task["id"], {"approved": True})
    assert (await poll(me, kid["id"], "COMPLETED"))["context"]["approved"] is True
    done = await poll(me, instance["id"], "COMPLETED", within=10)
    assert done["context"]["childApproved"] is True and done["context"]["childOrder"] == "o-sub"
    assert done["context"]["orderId"] == "o-sub"
    finished = await events(me, instance["id"], "SUB_WORKFLOW_COMPLETED")
    assert [e["eventData"] for e in finished] == [{"childInstanceId": kid["id"], "outputData": {
        "childApproved": True, "childOrder": "o-sub"}}]


async def test_a_failed_sub_workflow_fails_its_parent(world: World) -> None:
    me = await admin(world)
    boom = activity("boom", "EXECUTE_FUNCTION", {"functionName": UNKNOWN_FUNCTION})
    child = await define(me, with_steps([step("start", "START"), step("end", "END")],
                                        [transition("start-to-end", "start", "end", activities=[boom])],
                                        "-child-fails"))
    # The step's subWorkflowConfig is honoured as well as its config.
    parent = chain(step("start", "START"),
                   step("sub", "SUB_WORKFLOW", subWorkflowConfig={"subWorkflowId": child["workflowId"]}),
                   step("end", "END"), suffix="-parent-fails")
    instance = await start(me, (await define(me, parent))["workflowId"], initialContext={"orderId": "o-x"})
    failed = await poll(me, instance["id"], "FAILED", within=10)
    assert failed["errorMessage"].startswith("Sub-workflow failed: "), failed["errorMessage"]
    assert "not registered" in failed["errorMessage"]
    [kid] = await listed(me, child["workflowId"])
    assert kid["status"] == "FAILED" and kid["context"] == {"orderId": "o-x"}
    assert kid["metadata"]["labels"]["parentInstanceId"] == instance["id"]
    sub_failed = await events(me, instance["id"], "SUB_WORKFLOW_FAILED")
    assert [e["eventData"]["childInstanceId"] for e in sub_failed] == [kid["id"]]


async def test_a_child_waiting_for_a_signal_gets_it_by_the_parents_correlation_key(world: World) -> None:
    me = await admin(world)
    child = await define(me, waiting_for("approval"))
    parent = await define(me, sub_parent(child["workflowId"]))
    instance = await start(me, parent["workflowId"], initialContext={"orderId": "o-key"}, correlationKey="qa-family")
    [kid] = await listed(me, child["workflowId"])
    await poll(me, kid["id"], "PAUSED", step_id="wait")
    await poll(me, instance["id"], "PAUSED", step_id="sub")
    # Both wait under the key; only the child waits for a signal.
    r = await me.post(SIGNALS, json={"correlationKey": "qa-family", "signalName": "approval",
                                     "payload": {"decidedBy": "qa"}})
    assert r.status_code == 200 and r.json()["count"] == 1, r.text
    done = await poll(me, instance["id"], "COMPLETED", within=10)
    # Without an outputMapping the child's whole context lands under the step id.
    assert done["context"]["sub"]["orderId"] == "o-key" and done["context"]["sub"]["decidedBy"] == "qa"
    assert (await poll(me, kid["id"], "COMPLETED"))["context"]["decidedBy"] == "qa"


async def test_cancelling_a_parent_cancels_its_waiting_child(world: World, engine: WorkflowEnvironment) -> None:
    me = await admin(world)
    child = await define(me, chain(step("start", "START"), task_step("approve"), step("end", "END"),
                                   suffix="-child-cancel"))
    instance = await start(me, (await define(me, sub_parent(child["workflowId"])))["workflowId"])
    [kid] = await listed(me, child["workflowId"])
    task = await find_task(me, kid["id"], "PENDING")
    await poll(me, instance["id"], "PAUSED", step_id="sub")
    r = await me.post(f"{INSTANCES}/{instance['id']}/cancel")
    assert r.status_code == 200 and r.json()["data"]["status"] == "CANCELLED", r.text
    await poll(me, kid["id"], "CANCELLED")
    assert (await me.get(f"{TASKS}/{task['id']}")).json()["data"]["status"] == "CANCELLED"
    assert await closed(engine, kid["id"]) in (WorkflowExecutionStatus.CANCELED, WorkflowExecutionStatus.COMPLETED)
    r = await me.post(f"{TASKS}/{task['id']}/complete", json={"formData": {"approved": True}})
    assert r.status_code == 404, r.text
    assert (await me.get(f"{INSTANCES}/{instance['id']}")).json()["data"]["status"] == "CANCELLED"


# --- Cancel cleanup: tasks, timers, branches and children go with the instance ----------------------------

async def test_cancelling_a_forked_instance_cleans_up(world: World, engine: WorkflowEnvironment) -> None:
    me = await admin(world)
    payload = fork_join(Branch("task", task_step("task_branch")), Branch("timer", timer_step("wait_timer", "PT1S")))
    instance = await start(me, (await define(me, payload))["workflowId"])
    task = await find_task(me, instance["id"], "PENDING")
    await poll(me, instance["id"], "FORKED")
    assert len(await events(me, instance["id"], "TIMER_AWAITING")) == 1

    r = await me.post(f"{INSTANCES}/{instance['id']}/cancel")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "CANCELLED" and r.json()["data"]["cancelledAt"]
    assert (await me.get(f"{TASKS}/{task['id']}")).json()["data"]["status"] == "CANCELLED"
    cancelled = await events(me, instance["id"], "PARALLEL_BRANCH_CANCELLED")
    assert sorted(e["eventData"]["branchKey"] for e in cancelled) == ["fork-to-task", "fork-to-timer"]
    assert {e["eventData"]["reason"] for e in cancelled} == {"instance-cancelled"}
    assert [e["eventData"]["taskId"] for e in await events(me, instance["id"], "USER_TASK_CANCELLED")] == [task["id"]]
    assert len(await events(me, instance["id"], "WORKFLOW_CANCELLED")) == 1
    assert await closed(engine, instance["id"]) == WorkflowExecutionStatus.COMPLETED
    seen = await event_types(me, instance["id"])

    # Past the timer's fire time nothing has moved, and nothing can be moved.
    await asyncio.sleep(1.2)
    assert await event_types(me, instance["id"]) == seen and "TIMER_FIRED" not in seen
    assert (await me.get(f"{INSTANCES}/{instance['id']}")).json()["data"]["status"] == "CANCELLED"
    r = await me.post(f"{TASKS}/{task['id']}/complete", json={"formData": {"approved": True}})
    assert r.status_code == 404, r.text
    assert (await me.post(f"{INSTANCES}/{instance['id']}/cancel")).status_code == 400
    r = await me.post(f"{INSTANCES}/{instance['id']}/signal", json={"signalName": "anything"})
    assert r.status_code == 409, r.text


async def test_cancelling_an_instance_waiting_for_activities(world: World, engine: WorkflowEnvironment) -> None:
    me = await admin(world)
    wait = activity("slow_wait", "WAIT", {"duration": "PT1S"}, **{"async": True})
    payload = with_steps([step("start", "START"), step("end", "END")],
                         [transition("start-to-end", "start", "end", activities=[wait])], "-waiting")
    instance = await start(me, (await define(me, payload))["workflowId"])
    await poll(me, instance["id"], "WAITING_FOR_ACTIVITIES")
    r = await me.post(f"{INSTANCES}/{instance['id']}/cancel")
    assert r.status_code == 200 and r.json()["data"]["status"] == "CANCELLED", r.text
    assert await closed(engine, instance["id"]) == WorkflowExecutionStatus.COMPLETED
    seen = await event_types(me, instance["id"])
    await asyncio.sleep(1.2)
    assert await event_types(me, instance["id"]) == seen
    assert "ACTIVITY_COMPLETED" not in seen and "WORKFLOW_COMPLETED" not in seen
    done = (await me.get(f"{INSTANCES}/{instance['id']}")).json()["data"]
    assert done["status"] == "CANCELLED" and done["currentStepId"] == "start"


# --- Compensation: sync activities too, newest first ----------------------------------------------------

def _saga() -> dict[str, Any]:
    """start → reserved → charged → end: reserving and charging record what they do and declare how to undo
    it; the last transition calls a function nobody registered. The undo activities sit on a manual
    transition that is never taken (compensations are found among every transition's activities)."""
    def record(activity_id: str, **extra: Any) -> dict[str, Any]:
        return activity(activity_id, "EXECUTE_FUNCTION", {"functionName": "qa.saga.record",
                                                          "args": {"action": activity_id}}, **extra)

    steps = [step("start", "START"), step("reserved", "AUTOMATED"), step("charged", "AUTOMATED"), step("end", "END")]
    transitions = [
        transition("start-to-reserved", "start", "reserved",
                   activities=[record("reserve", compensation={"activityId": "release"})]),
        transition("reserved-to-charged", "reserved", "charged",
                   activities=[record("charge", compensation={"activityId": "refund"})]),
        transition("charged-to-end", "charged", "end", activities=[
            activity("boom", "EXECUTE_FUNCTION", {"functionName": UNKNOWN_FUNCTION})]),
        transition("undo", "charged", "end", "manual", activities=[record("release"), record("refund")]),
    ]
    return with_steps(steps, transitions, "-saga")


async def test_a_failure_compensates_completed_activities_newest_first(world: World) -> None:
    me = await admin(world)
    instance = await start(me, (await define(me, _saga()))["workflowId"])
    done = await poll(me, instance["id"], "COMPENSATED", within=10)
    assert "not registered" in done["errorMessage"]
    assert LEDGER[instance["id"]] == ["reserve", "charge", "refund", "release"]
    saga = [e for e in reversed(await events(me, instance["id"])) if e["eventType"].startswith("COMPENSATION_")]
    assert [(e["eventType"], e["eventData"].get("compensationActivityId")) for e in saga] == [
        ("COMPENSATION_STARTED", None),
        ("COMPENSATION_ACTIVITY_STARTED", "refund"), ("COMPENSATION_ACTIVITY_COMPLETED", "refund"),
        ("COMPENSATION_ACTIVITY_STARTED", "release"), ("COMPENSATION_ACTIVITY_COMPLETED", "release"),
        ("COMPENSATION_COMPLETED", None)]
    assert saga[1]["eventData"]["originalActivityId"] == "charge"
    assert saga[3]["eventData"]["originalActivityId"] == "reserve"
    assert saga[-1]["eventData"] == {"totalActivities": 2, "compensatedActivities": 2, "failedCompensations": [],
                                     "errors": []}
    types = [e["eventType"] for e in await events(me, instance["id"])]
    assert "WORKFLOW_FAILED" not in types and "ACTIVITY_FAILED" in types


# --- One signal per instance, even when the same signal is sent twice at once ------------------------------

async def _hundred_waiting(me: Caller, key: str) -> list[str]:
    workflow_id = (await define(me, waiting_for("approval")))["workflowId"]
    started = await in_chunks([start(me, workflow_id, correlationKey=key) for _ in range(100)])
    await counted(me, 100, 30, correlationKey=key, status="PAUSED")
    return [i["id"] for i in started]


async def test_a_hundred_instances_on_one_correlation_key_get_one_signal_each(world: World) -> None:
    me = await admin(world)
    key = "qa-hundred"
    ids = await _hundred_waiting(me, key)
    r = await me.post(SIGNALS, json={"correlationKey": key, "signalName": "approval", "payload": {"n": 1}})
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "message": "Signal sent to 100 workflow(s)", "count": 100}
    await counted(me, 100, 30, correlationKey=key, status="COMPLETED")
    assert await signal_receipts(me) == Counter({i: 1 for i in ids})
    r = await me.post(SIGNALS, json={"correlationKey": key, "signalName": "approval"})
    assert r.status_code == 200 and r.json()["count"] == 0, r.text


async def test_two_concurrent_signal_calls_deliver_once_per_instance(world: World) -> None:
    me = await admin(world)
    key = "qa-hundred-twice"
    ids = await _hundred_waiting(me, key)
    body = {"correlationKey": key, "signalName": "approval"}
    answers = await asyncio.gather(me.post(SIGNALS, json=body), me.post(SIGNALS, json=body))
    assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
    assert sum(r.json()["count"] for r in answers) == 100, [r.json() for r in answers]
    await counted(me, 100, 30, correlationKey=key, status="COMPLETED")
    assert await signal_receipts(me) == Counter({i: 1 for i in ids})
