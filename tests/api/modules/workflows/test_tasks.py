"""`/api/workflows/tasks` (docs/workflows.md, "User tasks").

Three layers: what the routes decide alone (features, bodies, scope, the list filters on rows written
straight to the database, the pre-checks from the row); how they carry the workflow's answers and refusals
(against `PeopleStandIn`, a stand-in answering the task and signal Updates with canned results); and the
reference's scenarios end to end through the real engine (`engine` fixture).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api import temporal
from api.db import new_id, sessionmaker
from api.modules.audit_logs.models import ActionLog
from api.modules.workflows.models import UserTask, WorkflowInstance
from engine.contract import (
    UPDATE_CLAIM_TASK,
    UPDATE_COMPLETE_TASK,
    UPDATE_SIGNAL,
    WORKFLOW_TYPE,
    ClaimTaskInput,
    CompleteTaskInput,
    SignalInput,
    StartInput,
    UpdateResult,
)
from tests.api.modules.workflows.builders import NIL, minimal, step, transition, ts, with_steps
from tests.api.modules.workflows.conftest import running
from tests.api.modules.workflows.test_scenarios import define, poll, start
from tests.fixtures import Caller, World

TASKS = "/api/workflows/tasks"
INSTANCES = "/api/workflows/instances"
ADMIN = ["workflows.*"]
VIEW_ONLY = ["workflows.view", "workflows.definitions.view", "workflows.instances.view", "workflows.tasks.view"]
TASK_KEYS = ["id", "workflowInstanceId", "stepInstanceId", "branchInstanceId", "taskName", "description", "status",
             "formSchema", "formData", "assignedTo", "assignedToRoles", "claimedBy", "claimedAt", "dueDate",
             "escalatedAt", "escalatedTo", "completedBy", "completedAt", "comments", "tenantId", "organizationId",
             "createdAt", "updatedAt"]


# --- Helpers ----------------------------------------------------------------------------------------------

async def admin(world: World, **kw: Any) -> Caller:
    """The reference's test caller: a user holding the role named `admin` (the CLAIMABLE queue), `workflows.*`."""
    if not world.tenant_id:
        await world.setup()
    return await world.user(roles=[await world.role("admin", ADMIN)], **kw)


async def add_task(caller: Caller, *, instance_id: str | None = None, org_id: str | None = None,
                   age: int = 0, **fields: Any) -> str:
    """A task row as the workflow's projection would write it; `age` seconds old (lists are newest first)."""
    created = datetime.now(UTC) - timedelta(seconds=age)
    values: dict[str, Any] = {"task_name": "Review", "status": "PENDING", "assigned_to_roles": ["admin"], **fields}
    async with sessionmaker()() as s:
        task = UserTask(id=new_id(), tenant_id=caller.tenant_id, organization_id=org_id or caller.org_id,
                        workflow_instance_id=instance_id or new_id(), created_at=created, updated_at=created,
                        **values)
        s.add(task)
        await s.commit()
        return task.id


async def add_instance(caller: Caller, *, status: str, correlation_key: str | None = None) -> str:
    """An instance row without a workflow behind it."""
    now = datetime.now(UTC)
    async with sessionmaker()() as s:
        row = WorkflowInstance(id=new_id(), tenant_id=caller.tenant_id, organization_id=caller.org_id,
                               definition_id=new_id(), workflow_id="qa-rows", version=1, status=status,
                               current_step_id="wait", context={}, correlation_key=correlation_key,
                               started_at=now, created_at=now, updated_at=now, retry_count=0)
        s.add(row)
        await s.commit()
        return row.id


async def set_task(task_id: str, **values: Any) -> None:
    async with sessionmaker()() as s:
        await s.execute(update(UserTask).where(UserTask.id == task_id).values(**values))
        await s.commit()


async def set_status(instance_id: str, status: str) -> None:
    async with sessionmaker()() as s:
        await s.execute(update(WorkflowInstance).where(WorkflowInstance.id == instance_id).values(status=status))
        await s.commit()


async def logged(caller: Caller, resource_id: str) -> list[str]:
    """Commands of the action log about one resource, oldest first."""
    async with sessionmaker()() as s:
        rows = (await s.execute(select(ActionLog).where(ActionLog.tenant_id == caller.tenant_id,
                                                        ActionLog.resource_id == resource_id)
                                .order_by(ActionLog.created_at))).scalars().all()
        return [r.command_id for r in rows]


async def ids(caller: Caller, **params: Any) -> list[str]:
    r = await caller.get(TASKS, params=params)
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()["data"]]


async def find_task(caller: Caller, instance_id: str, *statuses: str, within: float = 8.0) -> dict[str, Any]:
    """The reference's task finder: the instance's tasks until one is in `statuses`."""
    deadline = time.monotonic() + within
    while True:
        r = await caller.get(TASKS, params={"workflowInstanceId": instance_id})
        assert r.status_code == 200, r.text
        found = [t for t in r.json()["data"] if t["status"] in statuses]
        if found:
            return found[0]  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"no task in {statuses}: {r.json()['data']}"
        await asyncio.sleep(0.1)


def claimable(suffix: str = "") -> dict[str, Any]:
    """CLAIMABLE(ts, suffix): a `review` task in the `admin` role queue; approved is required."""
    stamp = ts()
    config = {"assignedTo": ["admin"], "formSchema": {
        "properties": {"approved": {"type": "boolean"}, "comments": {"type": "string"}}, "required": ["approved"]}}
    return with_steps([step("start", "START"), step("review", "USER_TASK", "Review", userTaskConfig=config),
                       step("end", "END")],
                      [transition("start-to-review", "start", "review"), transition("review-to-end", "review", "end")],
                      workflowId=f"qa-wf-claim{suffix}-{stamp}")


def assigned(user_id: str, suffix: str = "") -> dict[str, Any]:
    """ASSIGNED(ts, userId, suffix): a `review` task assigned to one user."""
    stamp = ts()
    config = {"assignedTo": user_id, "formSchema": {"properties": {"approved": {"type": "boolean"}}}}
    return with_steps([step("start", "START"), step("review", "USER_TASK", "Review", userTaskConfig=config),
                       step("end", "END")],
                      [transition("start-to-review", "start", "review"), transition("review-to-end", "review", "end")],
                      workflowId=f"qa-wf-assigned{suffix}-{stamp}")


# --- A stand-in for the Updates ---------------------------------------------------------------------------

@workflow.defn(name=WORKFLOW_TYPE, sandboxed=False)
class PeopleStandIn:
    """Rests until a signal arrives and answers the task and signal Updates like the engine would, from its
    start context: `refuse` ({type, message, details?}) refuses every Update; `waitsFor` names the signal it
    waits for. It records each Update's input (query `calls`) and writes no projection rows."""

    # An Update sent right after the start can be handled before `run` begins: set up in `__init__`.
    @workflow.init
    def __init__(self, arg: StartInput) -> None:
        self._context: dict[str, Any] = dict(arg.context)
        self._instance: dict[str, Any] = {"id": arg.instance_id, "status": "PAUSED", "currentStepId": "wait"}
        self._calls: list[dict[str, Any]] = []
        self._done = False

    @workflow.run
    async def run(self, arg: StartInput) -> None:
        await workflow.wait_condition(lambda: self._done and workflow.all_handlers_finished())

    def _refuse(self) -> None:
        refusal = self._context.get("refuse")
        if refusal:
            raise ApplicationError(refusal["message"], *([refusal["details"]] if "details" in refusal else []),
                                   type=refusal["type"])

    @workflow.query(name="calls")
    def calls(self) -> list[dict[str, Any]]:
        return self._calls

    @workflow.update(name=UPDATE_CLAIM_TASK)
    async def claim(self, arg: ClaimTaskInput) -> UpdateResult:
        self._calls.append({"update": UPDATE_CLAIM_TASK, "taskId": arg.task_id, "actor": arg.actor.__dict__})
        self._refuse()
        task = {"id": arg.task_id, "status": "IN_PROGRESS", "claimedBy": arg.actor.user_id,
                "claimedAt": "2026-01-15T10:00:00.000Z"}
        return UpdateResult(instance=self._instance, extra={"task": task})

    @workflow.update(name=UPDATE_COMPLETE_TASK)
    async def complete(self, arg: CompleteTaskInput) -> UpdateResult:
        self._calls.append({"update": UPDATE_COMPLETE_TASK, "taskId": arg.task_id, "actor": arg.actor.__dict__,
                            "formData": arg.form_data, "comments": arg.comments})
        self._refuse()
        task = {"id": arg.task_id, "status": "COMPLETED", "completedBy": arg.actor.user_id,
                "completedAt": "2026-01-15T10:00:00.000Z", "formData": arg.form_data, "comments": arg.comments}
        return UpdateResult(instance={**self._instance, "status": "COMPLETED"}, extra={"task": task})

    @workflow.update(name=UPDATE_SIGNAL)
    async def signal(self, arg: SignalInput) -> UpdateResult:
        self._calls.append({"update": UPDATE_SIGNAL, "signalName": arg.signal_name, "payload": arg.payload,
                            "actor": arg.actor.__dict__})
        self._refuse()
        expected = self._context.get("waitsFor")
        if expected is None:
            raise ApplicationError("Workflow is not waiting for signal", type="NOT_WAITING_FOR_SIGNAL")
        if arg.signal_name != expected:
            raise ApplicationError("Signal name mismatch", {"details": {"expected": expected,
                                                                        "received": arg.signal_name}},
                                   type="SIGNAL_NAME_MISMATCH")
        self._done = True
        return UpdateResult(instance={**self._instance, "status": "COMPLETED"}, extra={"execution": {}})


@pytest.fixture(scope="session")
async def people_queue(temporal_env: WorkflowEnvironment) -> AsyncIterator[str]:
    queue = f"people-{uuid.uuid4()}"
    async with running(Worker(temporal_env.client, task_queue=queue, workflows=[PeopleStandIn])):
        yield queue


@pytest.fixture
def people(temporal_env: WorkflowEnvironment, people_queue: str) -> Iterator[WorkflowEnvironment]:
    """The API talks to `PeopleStandIn`."""
    temporal.set_client(temporal_env.client, task_queue=people_queue)
    yield temporal_env
    temporal.set_client(None)


async def calls(env: WorkflowEnvironment, instance_id: str) -> list[dict[str, Any]]:
    handle = env.client.get_workflow_handle(instance_id)
    return await handle.query("calls", result_type=list[dict[str, Any]])  # type: ignore[no-any-return]


async def stand_in_instance(caller: Caller, *, correlation_key: str | None = None, **context: Any) -> str:
    """An instance run by `PeopleStandIn` with `context` as its start context."""
    extra = {"correlationKey": correlation_key} if correlation_key else {}
    instance = await start(caller, (await define(caller, minimal("-people")))["workflowId"], initialContext=context,
                           **extra)
    return str(instance["id"])


# --- What the routes decide alone -------------------------------------------------------------------------

async def test_tc_wf_028_task_actions_are_gated_before_any_lookup(world: World) -> None:
    viewer = await world.user(VIEW_ONLY)
    task_id = await add_task(viewer)
    for url, body in ((f"{TASKS}/{NIL}/claim", None), (f"{TASKS}/{task_id}/claim", None),
                      (f"{TASKS}/{NIL}/complete", {"formData": {"approved": True}}),
                      (f"{TASKS}/{task_id}/complete", {"formData": {"approved": True}})):
        r = await viewer.post(url, json=body)
        assert r.status_code == 403, r.text
        assert r.json()["error"] == "Forbidden"
    assert set((await viewer.post(f"{TASKS}/{NIL}/claim")).json()["requiredFeatures"]) == {"workflows.tasks.claim"}
    # Viewing is what the role allows.
    assert await ids(viewer) == [task_id]
    assert (await viewer.get(f"{TASKS}/{task_id}")).status_code == 200
    assert (await world.client.get(TASKS, headers={"Authorization": "Bearer not-a-valid-session-token"})
            ).status_code == 401


async def test_tc_wf_023_unknown_tasks_are_not_found(world: World) -> None:
    me = await admin(world)
    for r in (await me.get(f"{TASKS}/{NIL}"), await me.post(f"{TASKS}/{NIL}/claim"),
              await me.post(f"{TASKS}/{NIL}/complete", json={"formData": {"approved": True}})):
        assert r.status_code == 404, r.text
        assert r.json() == {"error": "Task not found"}


async def test_complete_bodies_are_checked_first(world: World) -> None:
    me = await admin(world)
    task_id = await add_task(me)
    for body, path in (({}, ["formData"]), ({"formData": None}, ["formData"]), ({"formData": [1]}, ["formData"]),
                       ({"formData": {}, "comments": 5}, ["comments"])):
        r = await me.post(f"{TASKS}/{task_id}/complete", json=body)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "Invalid request body"
        assert [d["path"] for d in r.json()["details"]] == [path]
    r = await me.post(f"{TASKS}/{NIL}/complete", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "Invalid request body"


async def test_a_task_reads_as_the_reference_serializes_it(world: World) -> None:
    me = await admin(world)
    due = datetime(2030, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    instance_id = new_id()
    task_id = await add_task(me, instance_id=instance_id, description="Check it", due_date=due,
                             form_schema={"properties": {"approved": {"type": "boolean"}}},
                             step_instance_id="s-1")
    r = await me.get(f"{TASKS}/{task_id}")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert list(data) == TASK_KEYS
    assert data["workflowInstanceId"] == instance_id and data["stepInstanceId"] == "s-1"
    assert data["dueDate"] == "2030-05-06T07:08:09.123Z"
    assert data["assignedToRoles"] == ["admin"] and data["assignedTo"] is None
    assert data["tenantId"] == me.tenant_id and data["organizationId"] == me.org_id
    assert data["createdAt"].endswith("Z") and data["claimedAt"] is None


async def test_tc_wf_024_list_filters_on_rows(world: World) -> None:
    me = await admin(world)
    other_user = await world.user(ADMIN)
    a, b = new_id(), new_id()
    assigned_task = await add_task(me, instance_id=a, assigned_to=me.user_id, assigned_to_roles=None, age=4)
    claimed_task = await add_task(me, instance_id=b, status="IN_PROGRESS", claimed_by=me.user_id, age=3)
    others = await add_task(me, assigned_to=other_user.user_id, assigned_to_roles=None, age=2)
    # A role name that only contains `admin` is another queue.
    lookalike = await add_task(me, assigned_to_roles=["administrators", "ops"], age=1)
    done = await add_task(me, status="COMPLETED", age=0)

    assert await ids(me) == [done, lookalike, others, claimed_task, assigned_task]
    assert await ids(me, workflowInstanceId=a) == [assigned_task]
    assert await ids(me, workflowInstanceId=b) == [claimed_task]
    assert await ids(me, workflowInstanceId=a, status="PENDING") == [assigned_task]
    assert await ids(me, workflowInstanceId=a, status="IN_PROGRESS") == []
    assert await ids(me, workflowInstanceId=b, status="IN_PROGRESS") == [claimed_task]
    assert await ids(me, workflowInstanceId=a, status="PENDING,IN_PROGRESS") == [assigned_task]
    assert await ids(me, workflowInstanceId=b, status="PENDING, IN_PROGRESS") == [claimed_task]
    assert await ids(me, status="COMPLETED,CANCELLED") == [done]
    assert await ids(me, workflowInstanceId=a, assignedTo=me.user_id) == [assigned_task]
    assert await ids(me, workflowInstanceId=b, assignedTo=me.user_id) == []  # claiming does not assign
    assert await ids(me, workflowInstanceId=a, myTasks="true") == [assigned_task]
    # Mine: assigned to me, or in the queue of a role I hold (by name), whatever the status.
    assert await ids(me, myTasks="true") == [done, claimed_task, assigned_task]
    assert await ids(me, myTasks="false") == await ids(me)
    assert await ids(other_user, myTasks="true") == [others]

    r = await me.get(TASKS, params={"limit": 1, "offset": 0})
    assert len(r.json()["data"]) == 1
    assert r.json()["pagination"] == {"total": 5, "limit": 1, "offset": 0, "hasMore": True}
    r = await me.get(TASKS, params={"myTasks": "true", "limit": 2, "offset": 2})
    assert [t["id"] for t in r.json()["data"]] == [assigned_task]
    assert r.json()["pagination"] == {"total": 3, "limit": 2, "offset": 2, "hasMore": False}
    assert (await me.get(TASKS, params={"limit": 0})).status_code == 400


async def test_overdue_means_open_and_past_due_whatever_the_status_filter(world: World) -> None:
    me = await admin(world)
    yesterday, tomorrow = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)
    late = await add_task(me, due_date=yesterday, age=4)
    late_claimed = await add_task(me, status="IN_PROGRESS", due_date=yesterday, age=3)
    late_escalated = await add_task(me, status="ESCALATED", due_date=yesterday, age=2)
    await add_task(me, status="COMPLETED", due_date=yesterday, age=1)
    await add_task(me, due_date=tomorrow, age=1)
    await add_task(me, age=0)  # no due date
    expected = [late_escalated, late_claimed, late]
    assert await ids(me, overdue="true") == expected
    assert await ids(me, overdue="true", status="COMPLETED") == expected
    assert len(await ids(me, overdue="false")) == 6


async def test_other_tenants_and_organizations_tasks_are_invisible(world: World, client: Any) -> None:
    me = await admin(world)
    foreign = await admin(World(client))
    theirs = await add_task(foreign)
    assert await ids(me) == []
    assert (await me.get(f"{TASKS}/{theirs}")).status_code == 404
    # The tenant is checked before anything else: their task does not exist here.
    for r in (await me.post(f"{TASKS}/{theirs}/claim"),
              await me.post(f"{TASKS}/{theirs}/complete", json={"formData": {"approved": True}})):
        assert r.status_code == 404 and r.json() == {"error": "Task not found"}

    b_org = await world.org("B")
    in_root = await add_task(me, age=1)
    in_b = await add_task(me, org_id=b_org)
    b_user = await world.user(ADMIN, org_id=b_org, organizations=[b_org])
    assert await ids(b_user) == [in_b]
    assert (await b_user.get(f"{TASKS}/{in_root}")).status_code == 404
    assert (await b_user.post(f"{TASKS}/{in_root}/claim")).status_code == 404
    # The root organization's scope includes its descendants.
    assert await ids(me) == [in_b, in_root]


async def test_row_pre_checks_refuse_without_asking_the_workflow(world: World) -> None:
    me = await admin(world)
    claimed = await add_task(me, status="IN_PROGRESS", claimed_by=me.user_id)
    direct = await add_task(me, assigned_to=me.user_id)
    completed = await add_task(me, status="COMPLETED")
    cancelled = await add_task(me, status="CANCELLED")
    r = await me.post(f"{TASKS}/{claimed}/claim")
    assert r.status_code == 404 and r.json() == {"error": "Task not found or already claimed"}
    r = await me.post(f"{TASKS}/{direct}/claim")
    assert r.status_code == 409 and r.json() == {"error": "Task is already assigned to a specific user"}
    for task_id in (completed, cancelled):
        r = await me.post(f"{TASKS}/{task_id}/complete", json={"formData": {"approved": True}})
        assert r.status_code == 404 and r.json() == {"error": "Task not found or already completed"}


# --- Carrying the workflow's answers (stand-in) -----------------------------------------------------------

@pytest.mark.usefixtures("people")
async def test_claim_and_complete_answer_with_the_task_the_workflow_returned(world: World,
                                                                              temporal_env: WorkflowEnvironment
                                                                              ) -> None:
    me = await admin(world)
    instance_id = await stand_in_instance(me)
    task_id = await add_task(me, instance_id=instance_id, form_schema={"properties": {}})
    r = await me.post(f"{TASKS}/{task_id}/claim")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["message"] == "Task claimed successfully"
    # Fresh from the workflow, the rest from the row.
    assert body["data"]["status"] == "IN_PROGRESS" and body["data"]["claimedBy"] == me.user_id
    assert body["data"]["taskName"] == "Review" and list(body["data"]) == TASK_KEYS

    r = await me.post(f"{TASKS}/{task_id}/complete", json={"formData": {"approved": True}, "comments": "ok",
                                                           "ignored": 1})
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Task completed successfully. Workflow resumed."
    assert r.json()["data"]["status"] == "COMPLETED" and r.json()["data"]["formData"] == {"approved": True}
    assert r.json()["data"]["comments"] == "ok" and r.json()["data"]["completedBy"] == me.user_id

    seen = await calls(temporal_env, instance_id)
    assert [c["update"] for c in seen] == ["claim_task", "complete_task"]
    assert all(c["taskId"] == task_id for c in seen)
    assert seen[0]["actor"] == {"user_id": me.user_id, "roles": ["admin"], "can_manage": True}
    assert seen[1]["formData"] == {"approved": True} and seen[1]["comments"] == "ok"

    assert await logged(me, task_id) == ["workflows.tasks.claim", "workflows.tasks.complete"]


@pytest.mark.usefixtures("people")
async def test_the_workflows_refusals_keep_their_status(world: World) -> None:
    me = await world.user(["workflows.tasks.view", "workflows.tasks.claim", "workflows.tasks.complete",
                           "workflows.definitions.view", "workflows.definitions.create",
                           "workflows.instances.view", "workflows.instances.create"])
    refusals = [({"type": "TASK_FORBIDDEN", "message": "You may not work on this task"}, 403),
                ({"type": "FORM_VALIDATION_FAILED", "message": "Required field missing: approved"}, 400),
                ({"type": "TASK_NOT_FOUND", "message": "Task not found or already completed"}, 404)]
    for refusal, status in refusals:
        instance_id = await stand_in_instance(me, refuse=refusal)
        task_id = await add_task(me, instance_id=instance_id)
        r = await me.post(f"{TASKS}/{task_id}/complete", json={"formData": {}})
        assert r.status_code == status and r.json() == {"error": refusal["message"]}, r.text
    forbidden = {"type": "TASK_FORBIDDEN", "message": "You may not claim this task"}
    task_id = await add_task(me, instance_id=await stand_in_instance(me, refuse=forbidden))
    r = await me.post(f"{TASKS}/{task_id}/claim")
    assert r.status_code == 403 and r.json() == {"error": "You may not claim this task"}


@pytest.mark.usefixtures("people")
async def test_a_task_whose_workflow_has_ended_is_not_found(world: World) -> None:
    me = await admin(world)
    task_id = await add_task(me)  # its instance has no workflow (any more)
    r = await me.post(f"{TASKS}/{task_id}/claim")
    assert r.status_code == 404 and r.json() == {"error": "Task not found or already claimed"}
    r = await me.post(f"{TASKS}/{task_id}/complete", json={"formData": {"approved": True}})
    assert r.status_code == 404 and r.json() == {"error": "Task not found or already completed"}


# --- End to end through the engine ------------------------------------------------------------------------

@pytest.mark.usefixtures("engine")
async def test_tc_wf_023_claim_and_complete(world: World) -> None:
    me = await admin(world)
    instance = await start(me, (await define(me, claimable()))["workflowId"],
                           initialContext={"orderId": "order-023"})
    task = await find_task(me, instance["id"], "PENDING")
    assert task["assignedTo"] is None and "admin" in task["assignedToRoles"]
    assert task["taskName"] == "Review" and task["formSchema"]["required"] == ["approved"]

    r = await me.post(f"{TASKS}/{task['id']}/claim")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "IN_PROGRESS" and r.json()["data"]["claimedBy"] == me.user_id
    r = await me.get(f"{TASKS}/{task['id']}")
    assert r.status_code == 200
    assert r.json()["data"]["status"] == "IN_PROGRESS" and r.json()["data"]["claimedBy"] == me.user_id
    assert r.json()["data"]["claimedAt"]
    r = await me.post(f"{TASKS}/{task['id']}/claim")
    assert r.status_code == 404, r.text

    r = await me.post(f"{TASKS}/{task['id']}/complete", json={"formData": {"approved": True,
                                                                           "comments": "qa-approved"}})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["status"] == "COMPLETED" and data["completedBy"] == me.user_id and data["completedAt"]
    assert data["formData"] == {"approved": True, "comments": "qa-approved"}
    done = await poll(me, instance["id"], "COMPLETED")
    assert done["context"]["orderId"] == "order-023" and done["context"]["approved"] is True
    r = await me.post(f"{TASKS}/{task['id']}/complete", json={"formData": {"approved": True}})
    assert r.status_code == 404 and r.json()["error"] == "Task not found or already completed"


@pytest.mark.usefixtures("engine")
async def test_tc_wf_024_list_filters(world: World) -> None:
    me = await admin(world)
    a = await start(me, (await define(me, assigned(me.user_id)))["workflowId"])
    b = await start(me, (await define(me, claimable()))["workflowId"])
    assigned_task = await find_task(me, a["id"], "PENDING")
    claimable_task = await find_task(me, b["id"], "PENDING")
    assert assigned_task["assignedTo"] == me.user_id
    assert (await me.post(f"{TASKS}/{claimable_task['id']}/claim")).status_code == 200

    mine, theirs = [assigned_task["id"]], [claimable_task["id"]]
    assert await ids(me, workflowInstanceId=a["id"]) == mine
    r = await me.get(TASKS, params={"workflowInstanceId": b["id"]})
    assert [t["id"] for t in r.json()["data"]] == theirs and r.json()["data"][0]["status"] == "IN_PROGRESS"
    assert await ids(me, workflowInstanceId=a["id"], status="PENDING") == mine
    assert await ids(me, workflowInstanceId=a["id"], status="IN_PROGRESS") == []
    assert await ids(me, workflowInstanceId=b["id"], status="IN_PROGRESS") == theirs
    assert await ids(me, workflowInstanceId=a["id"], status="PENDING,IN_PROGRESS") == mine
    assert await ids(me, workflowInstanceId=b["id"], status="PENDING,IN_PROGRESS") == theirs
    assert await ids(me, workflowInstanceId=a["id"], assignedTo=me.user_id) == mine
    assert await ids(me, workflowInstanceId=b["id"], assignedTo=me.user_id) == []
    assert await ids(me, workflowInstanceId=a["id"], myTasks="true") == mine
    r = await me.get(TASKS, params={"limit": 1, "offset": 0})
    assert len(r.json()["data"]) <= 1
    page = r.json()["pagination"]
    assert page["limit"] == 1 and page["total"] >= 2 and page["hasMore"] is True

    await set_task(assigned_task["id"], due_date=datetime.now(UTC) - timedelta(days=1))
    assert await ids(me, workflowInstanceId=a["id"], overdue="true") == mine
    assert await ids(me, workflowInstanceId=b["id"], overdue="true") == []


@pytest.mark.usefixtures("engine")
async def test_a_missing_required_field_is_named(world: World) -> None:
    me = await admin(world)
    instance = await start(me, (await define(me, claimable()))["workflowId"])
    task = await find_task(me, instance["id"], "PENDING")
    r = await me.post(f"{TASKS}/{task['id']}/complete", json={"formData": {"comments": "no decision"}})
    assert r.status_code == 400 and r.json()["error"] == "Required field missing: approved", r.text
    r = await me.post(f"{TASKS}/{task['id']}/complete", json={"formData": {"approved": None}})
    assert r.status_code == 400 and r.json()["error"] == "Required field missing: approved", r.text
    assert (await me.get(f"{TASKS}/{task['id']}")).json()["data"]["status"] == "PENDING"
    assert (await me.get(f"{INSTANCES}/{instance['id']}")).json()["data"]["status"] == "PAUSED"


@pytest.mark.usefixtures("engine")
async def test_claiming_needs_the_role_or_workflows_manage(world: World) -> None:
    me = await admin(world)
    outsider = await world.user(["workflows.tasks.view", "workflows.tasks.claim", "workflows.tasks.complete"])
    instance = await start(me, (await define(me, claimable()))["workflowId"])
    task = await find_task(me, instance["id"], "PENDING")
    r = await outsider.post(f"{TASKS}/{task['id']}/claim")
    assert r.status_code == 403, r.text
    r = await outsider.post(f"{TASKS}/{task['id']}/complete", json={"formData": {"approved": True}})
    assert r.status_code == 403, r.text
    assert (await me.get(f"{TASKS}/{task['id']}")).json()["data"]["status"] == "PENDING"
    # workflows.manage stands in for the role.
    manager = await world.user(["workflows.tasks.view", "workflows.tasks.claim", "workflows.manage"])
    r = await manager.post(f"{TASKS}/{task['id']}/claim")
    assert r.status_code == 200 and r.json()["data"]["claimedBy"] == manager.user_id, r.text


@pytest.mark.usefixtures("engine")
async def test_two_people_completing_one_task_at_once(world: World) -> None:
    me = await admin(world)
    colleague = await world.user(ADMIN)
    instance = await start(me, (await define(me, claimable()))["workflowId"])
    task = await find_task(me, instance["id"], "PENDING")
    url = f"{TASKS}/{task['id']}/complete"
    answers = await asyncio.gather(me.post(url, json={"formData": {"approved": True}}),
                                   colleague.post(url, json={"formData": {"approved": False}}))
    assert sorted(r.status_code for r in answers) == [200, 404], [r.text for r in answers]
    refused = next(r for r in answers if r.status_code == 404)
    assert refused.json()["error"] == "Task not found or already completed"
    winner = next(r for r in answers if r.status_code == 200).json()["data"]
    done = await poll(me, instance["id"], "COMPLETED")
    assert done["context"]["approved"] == winner["formData"]["approved"]
    assert (await me.get(f"{TASKS}/{task['id']}")).json()["data"]["completedBy"] == winner["completedBy"]
