"""Durability of waiting instances (docs/workflows.md, "Durability"): the real worker process is killed with
SIGKILL while instances rest at user tasks, signals, timers, inside parallel branches and in child workflows;
timers come due and tasks are completed and signals sent while it is down; after a new worker starts, every
instance resumes once and completes, and the SQL projection is what an uninterrupted run writes.

Everything is real, as in `test_durability.py` (whose worker-process helpers this reuses): a Temporal dev
server, the API in this process (instances started, tasks completed and signals sent over HTTP), the worker as
a separate process (`tests/engine/durability_worker.py`) and a local webhook receiver counting every activity
call by instance, activity and Idempotency-Key (`durability_waits_support.py`).

The instances (PER_KIND of each kind): START → before (webhook) → <rest> → after (webhook) → END, resting at
- `task`: a USER_TASK in a role queue, completed by a holder of the role;
- `signal`: a WAIT_FOR_SIGNAL;
- `timer`: a WAIT_FOR_TIMER, half due while the worker is down, half after it is back;
- `fork`: a PARALLEL_FORK with four branches: a task, a signal, a timer (due while down) followed by a webhook
  call, and a webhook call done before the kill; then the join;
- `parent`: a SUB_WORKFLOW whose child rests at a USER_TASK (then calls the webhook); the child's output is
  mapped into the parent.
Some completions and signals are sent while the worker is down (the Update waits for a worker), two of those
tasks twice at once (one succeeds, the other is refused). A control instance of each kind, started after the
restart and never interrupted, gives the event shape every instance of its kind must have.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from api import temporal
from api.modules.audit_logs.models import ActionLog
from api.modules.workflows.models import (
    StepInstance,
    UserTask,
    WorkflowBranchInstance,
    WorkflowEvent,
    WorkflowInstance,
)
from tests.engine.durability_waits_support import (
    CHILD,
    FORK,
    HOOKS,
    KINDS,
    PARENT,
    ROLE,
    SIGNAL,
    SIGNAL_NAME,
    TASK,
    TIMER,
    by_instance,
    definitions,
    receiving,
    rows,
    shape,
)
from tests.engine.test_durability import DEV_SERVER, WorkerProcess, kill, start_worker
from tests.fixtures import Caller, World

PER_KIND = 8
# Timers of the instances killed mid-wait: EARLY ones come due while the worker is down (the restart waits
# for them), LATE ones after it is back. The control's timer is short.
EARLY, LATE, SHORT = "PT8S", "PT16S", "PT1S"
# Sent while the worker is down: task completions (the first DOUBLED of them twice at once), signals, and
# completions of children's tasks.
DOWN_TASKS, DOUBLED, DOWN_SIGNALS, DOWN_CHILDREN = 3, 2, 2, 2
# HTTP calls in flight at once: each holds a database connection while its Update waits (the SQLite pool
# has 15).
IN_FLIGHT = 10
REVIEWER_FEATURES = ["workflows.tasks.view", "workflows.tasks.complete", "workflows.tasks.claim"]


@pytest.fixture
async def dev_server(app: FastAPI) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(DEV_SERVER))
    yield env
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(env.shutdown(), 10)


async def until(description: str, check: Callable[[], Awaitable[bool]], within: float,
                worker: WorkerProcess | None, every: float = 0.2) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if worker is not None:
            assert worker.process.returncode is None, f"the worker died:\n{worker.tail()}"
        assert time.monotonic() < deadline, f"timed out waiting for {description}" + (
            f":\n{worker.tail()}" if worker is not None else "")
        await asyncio.sleep(every)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_waiting_instances_survive_a_killed_worker_and_resume_once(
        world: World, dev_server: WorkflowEnvironment, tmp_path: Path) -> None:
    queue = f"durability-waits-{uuid.uuid4()}"
    address = dev_server.client.service_client.config.target_host
    temporal.set_client(dev_server.client, task_queue=queue)
    me: Caller = await world.user(["workflows.*"])
    reviewer: Caller = await world.user(roles=[await world.role(ROLE, REVIEWER_FEATURES)])
    tenant = me.tenant_id
    gate = asyncio.Semaphore(IN_FLIGHT)
    workers: list[WorkerProcess] = []
    background: list[asyncio.Task[Any]] = []

    async def call(caller: Caller, url: str, body: dict[str, Any]) -> httpx.Response:
        async with gate:
            return await caller.post(url, json=body)

    async def open_task(instance_id: str) -> str:
        [task] = [t for t in await rows(UserTask, tenant) if t.workflow_instance_id == instance_id
                  and t.status == "PENDING"]
        return str(task.id)

    async def complete(instance_id: str, form: dict[str, Any]) -> httpx.Response:
        task_id = await open_task(instance_id)
        return await call(reviewer, f"/api/workflows/tasks/{task_id}/complete",
                          {"formData": form, "comments": f"done {instance_id}"})

    async def signal(instance_id: str) -> httpx.Response:
        return await call(me, f"/api/workflows/instances/{instance_id}/signal",
                          {"signalName": SIGNAL_NAME, "payload": {"decision": f"go {instance_id}"}})

    try:
        with receiving() as hooks:
            workflow_ids: dict[str, str] = {}
            for kind, payload in definitions(hooks.url).items():
                r = await me.post("/api/workflows/definitions", json=payload)
                assert r.status_code == 201, r.text
                workflow_ids[kind] = r.json()["data"]["workflowId"]
            kind_of_workflow = {v: k for k, v in workflow_ids.items()}

            async def start(kind: str, n: int, nap: str) -> str:
                r = await call(me, "/api/workflows/instances", {
                    "workflowId": workflow_ids[kind], "initialContext": {"n": n, "nap": nap, "orderId": f"o-{n}"}})
                assert r.status_code == 201, r.text
                return str(r.json()["data"]["instance"]["id"])

            loading = asyncio.create_task(start_worker(address, queue, tmp_path / "worker-1.log", workers))
            background.append(loading)
            ids: dict[str, list[str]] = {}
            for kind in KINDS:
                naps = [LATE if kind == TIMER and n % 2 else EARLY for n in range(PER_KIND)]
                ids[kind] = list(await asyncio.gather(*(start(kind, n, naps[n]) for n in range(PER_KIND))))
            late_timers = set(ids[TIMER][1::2])
            first = await loading
            began = time.monotonic()

            # --- 1. Everything rests. -----------------------------------------------------------------------
            children: dict[str, str] = {}  # parent → child

            async def rested() -> bool:
                instances = {r.id: r for r in await rows(WorkflowInstance, tenant)}
                for kind, kind_ids in ids.items():
                    want = "FORKED" if kind == FORK else "PAUSED"
                    if any(instances.get(i) is None or instances[i].status != want for i in kind_ids):
                        return False
                branches = by_instance(await rows(WorkflowBranchInstance, tenant))
                if any(sorted(b.status for b in branches.get(i, [])) != ["COMPLETED", "PAUSED", "PAUSED", "PAUSED"]
                       for i in ids[FORK]):
                    return False
                for event in await rows(WorkflowEvent, tenant):
                    if event.event_type == "SUB_WORKFLOW_STARTED":
                        children[event.workflow_instance_id] = event.event_data["childInstanceId"]
                return len(children) == PER_KIND and all(
                    instances.get(c) is not None and instances[c].status == "PAUSED" for c in children.values())

            await until("every instance to rest", rested, 30, first)
            rest_seconds = time.monotonic() - began

            # --- 2. The worker dies; timers come due, tasks are completed and signals sent meanwhile. ----------
            await kill(first)
            killed = datetime.now(UTC)
            at_kill = Counter((kind_of_workflow[r.workflow_id], r.status) for r in await rows(WorkflowInstance, tenant))
            events = await rows(WorkflowEvent, tenant)
            resumed_types = {"TIMER_FIRED", "USER_TASK_COMPLETED", "SIGNAL_RECEIVED", "SUB_WORKFLOW_COMPLETED"}
            assert not [e for e in events if e.event_type in resumed_types]
            fire_at = {e.workflow_instance_id: moment(e.event_data["fireAt"]) for e in events
                       if e.event_type == "TIMER_AWAITING"}
            early = [at for i, at in fire_at.items() if i not in late_timers]
            assert len(early) == PER_KIND // 2 + PER_KIND and min(early) > killed, (killed, sorted(early))
            margin = (min(early) - killed).total_seconds()

            down_task_ids = ids[TASK][:DOWN_TASKS]
            while_down: list[asyncio.Task[httpx.Response]] = []
            for n, instance_id in enumerate(down_task_ids):
                for _ in range(2 if n < DOUBLED else 1):
                    while_down.append(asyncio.create_task(complete(instance_id, {"approved": True})))
            while_down += [asyncio.create_task(signal(i)) for i in ids[SIGNAL][:DOWN_SIGNALS]]
            while_down += [asyncio.create_task(complete(children[p], {"approver": f"ann {p}"}))
                           for p in ids[PARENT][:DOWN_CHILDREN]]
            background += while_down
            # Until the early timers are due (and at least 3 s): the calls are in, waiting for a worker.
            await asyncio.sleep(max(3.0, (max(early) - datetime.now(UTC)).total_seconds() + 0.5))
            assert not [t for t in while_down if t.done()], [t.result().text for t in while_down if t.done()]
            assert not [e for e in await rows(WorkflowEvent, tenant) if e.event_type in resumed_types]

            # --- 3. A new worker; the rest of the tasks and signals, and the control instances. --------------
            restarted = datetime.now(UTC)
            second = await start_worker(address, queue, tmp_path / "worker-2.log", workers)
            restart_began = time.monotonic()
            controls = {kind: await start(kind, -1, SHORT) for kind in KINDS}

            async def drive_control(kind: str, instance_id: str) -> list[httpx.Response]:
                async def rests() -> bool:
                    [row] = [r for r in await rows(WorkflowInstance, tenant) if r.id == instance_id]
                    if kind == FORK:
                        branches = [b for b in await rows(WorkflowBranchInstance, tenant)
                                    if b.workflow_instance_id == instance_id]
                        return row.status == "FORKED" and sorted(b.status for b in branches).count("PAUSED") >= 2
                    return row.status == "PAUSED"

                await until(f"the {kind} control to rest", rests, 30, second)
                if kind in (TASK, SIGNAL, TIMER, FORK):
                    out = [await complete(instance_id, {"approved": True})] if kind in (TASK, FORK) else []
                    if kind in (SIGNAL, FORK):
                        out.append(await signal(instance_id))
                    return out
                started = [e for e in await rows(WorkflowEvent, tenant) if e.workflow_instance_id == instance_id
                           and e.event_type == "SUB_WORKFLOW_STARTED"]
                child = started[0].event_data["childInstanceId"]
                children[instance_id] = child

                async def child_rests() -> bool:
                    return any(r.id == child and r.status == "PAUSED" for r in await rows(WorkflowInstance, tenant))

                await until("the control's child to rest", child_rests, 30, second)
                return [await complete(child, {"approver": f"ann {instance_id}"})]

            after: list[Awaitable[httpx.Response]] = [
                *(complete(i, {"approved": True}) for i in ids[TASK][DOWN_TASKS:]),
                *(signal(i) for i in ids[SIGNAL][DOWN_SIGNALS:]),
                *(complete(i, {"approved": True}) for i in ids[FORK]),
                *(signal(i) for i in ids[FORK]),
                *(complete(children[p], {"approver": f"ann {p}"}) for p in ids[PARENT][DOWN_CHILDREN:]),
            ]
            answers, control_answers = await asyncio.gather(
                asyncio.gather(*after), asyncio.gather(*(drive_control(k, i) for k, i in controls.items())))
            down_answers = await asyncio.gather(*while_down)
            answered = time.monotonic() - restart_began

            everything = [i for kind_ids in ids.values() for i in kind_ids] + list(controls.values())

            async def all_done() -> bool:
                finished = {r.id for r in await rows(WorkflowInstance, tenant)
                            if r.status in ("COMPLETED", "FAILED", "CANCELLED")}
                return all(i in finished for i in [*everything, *children.values()])

            await until("every instance to finish", all_done, 45, second)
            recovery = time.monotonic() - restart_began
            keys = hooks.keys()
            deliveries = dict(hooks.deliveries)
    finally:
        for task in background:
            if not task.done():
                task.cancel()
            with contextlib.suppress(BaseException):
                await task
        for worker in workers:
            await kill(worker)
        temporal.set_client(None)

    # --- The calls: everything answered, the Updates sent while the worker was down included. -------------------
    for r in [*answers, *(r for rs in control_answers for r in rs)]:
        assert r.status_code == 200, r.text
    statuses = [r.status_code for r in down_answers]
    doubled = DOUBLED * 2
    # A task completed twice at once: exactly one completion wins, the other is told it is already completed.
    for pair in zip(statuses[0:doubled:2], statuses[1:doubled:2], strict=True):
        assert sorted(pair) == [200, 404], [r.text for r in down_answers[:doubled]]
    for r in down_answers[doubled:]:
        assert r.status_code == 200, r.text
    refused = [r.json() for r in down_answers[:doubled] if r.status_code == 404]
    assert refused == [{"error": "Task not found or already completed"}] * DOUBLED
    # Only the completion that took effect is in the action log.
    all_tasks = await rows(UserTask, tenant)
    logged = Counter(log.resource_id for log in await rows(ActionLog, tenant)
                     if log.command_id == "workflows.tasks.complete")
    assert logged == Counter(t.id for t in all_tasks)

    # --- Every instance completed, children too, with their output in the parent. ----------------------------
    instances = {r.id: r for r in await rows(WorkflowInstance, tenant)}
    kind_of = {i: kind for kind, kind_ids in ids.items() for i in kind_ids}
    kind_of.update({i: kind for kind, i in controls.items()})
    kind_of.update({child: CHILD for child in children.values()})
    assert sorted(instances) == sorted(kind_of)
    failed = {i: (r.status, r.error_message) for i, r in instances.items() if r.status != "COMPLETED"}
    assert failed == {}
    for i, row in instances.items():
        assert row.current_step_id == "end" and row.completed_at is not None and row.retry_count == 0, i
    for parent, child in children.items():
        assert instances[parent].context["approvedBy"] == f"ann {parent}"
        assert instances[child].context["approver"] == f"ann {parent}"
        assert instances[child].context["order"] == instances[parent].context["orderId"]
        assert (instances[child].metadata_json or {})["labels"]["parentInstanceId"] == parent
    for i in [*ids[TASK], controls[TASK]]:
        assert instances[i].context["approved"] is True
    for i in [*ids[SIGNAL], controls[SIGNAL]]:
        assert instances[i].context["decision"] == f"go {i}"
    for i in [*ids[FORK], controls[FORK]]:
        branches = instances[i].context["branches"]
        assert sorted(branches) == ["fork-to-nap", "fork-to-review", "fork-to-wait", "fork-to-work"]
        assert branches["fork-to-review"]["approved"] is True
        assert branches["fork-to-wait"]["decision"] == f"go {i}"

    # --- The projection: nothing twice, and the shape of the uninterrupted control of the kind. --------------
    trails = by_instance(sorted(await rows(WorkflowEvent, tenant), key=lambda e: e.id))
    steps = by_instance(await rows(StepInstance, tenant))
    tasks = by_instance(await rows(UserTask, tenant))
    branches_of = by_instance(await rows(WorkflowBranchInstance, tenant))
    parent_of = {child: parent for parent, child in children.items()}
    control_of = {**{kind: i for kind, i in controls.items()}, CHILD: children[controls[PARENT]]}

    def step_shape(i: str) -> Counter[tuple[str, str]]:
        return Counter((s.step_id, s.status) for s in steps.get(i, []))

    for i, kind in kind_of.items():
        control = control_of[kind]
        trail = trails[i]
        assert Counter(shape(e) for e in trail) == Counter(shape(e) for e in trails[control]), (kind, i)
        times = [e.occurred_at for e in trail]
        assert times == sorted(times), (kind, i)
        assert len({e.event_key for e in trail}) == len(trail)
        # One row per step, every one COMPLETED (no step entered twice).
        assert step_shape(i) == step_shape(control), (kind, i)
        assert all(count == 1 and status == "COMPLETED" for (_, status), count in step_shape(i).items()), (kind, i)
        own_tasks = tasks.get(i, [])
        assert len(own_tasks) == len(tasks.get(control, [])) == (1 if kind in (TASK, FORK, CHILD) else 0), (kind, i)
        for task in own_tasks:
            assert (task.status, task.completed_by, task.assigned_to_roles) == ("COMPLETED", reviewer.user_id, [ROLE])
            assert task.form_data == ({"approver": f"ann {parent_of[i]}"} if kind == CHILD else {"approved": True})
        own_branches = branches_of.get(i, [])
        assert sorted((b.branch_key, b.status) for b in own_branches) == sorted(
            (b.branch_key, b.status) for b in branches_of.get(control, [])), (kind, i)
        assert all(b.status == "COMPLETED" for b in own_branches)
        types = Counter(e.event_type for e in trail)
        assert types["USER_TASK_COMPLETED"] == types["USER_TASK_CREATED"] == len(own_tasks)
        assert types["SIGNAL_RECEIVED"] == (1 if kind in (SIGNAL, FORK) else 0), (kind, i)
        assert types["TIMER_FIRED"] == types["TIMER_AWAITING"] == (1 if kind in (TIMER, FORK) else 0), (kind, i)
        assert types["WORKFLOW_COMPLETED"] == 1

    # Timers: each fired once, with its own job id, not before it was due, and the early ones only after the
    # restart (they came due while no worker was there to see them).
    fired = {i: e for i, trail in trails.items() for e in trail if e.event_type == "TIMER_FIRED"}
    for i, at in fire_at.items():
        [awaiting] = [e for e in trails[i] if e.event_type == "TIMER_AWAITING"]
        assert fired[i].event_data["jobId"] == awaiting.event_data["jobId"]
        assert fired[i].occurred_at.replace(tzinfo=UTC) >= at - timedelta(milliseconds=1)
        if i not in late_timers:
            assert fired[i].occurred_at.replace(tzinfo=UTC) >= restarted
    # What was sent while the worker was down took effect after the restart, once.
    for i in [*down_task_ids, *ids[SIGNAL][:DOWN_SIGNALS], *(children[p] for p in ids[PARENT][:DOWN_CHILDREN])]:
        [resumed] = [e for e in trails[i] if e.event_type in ("USER_TASK_COMPLETED", "SIGNAL_RECEIVED")]
        assert resumed.occurred_at.replace(tzinfo=UTC) >= restarted

    # Activities: each instance called each of its hooks once (one key), and each key was delivered once.
    expected = {(i, hook) for i, kind in kind_of.items() for hook in HOOKS[kind]}
    assert set(keys) == expected
    assert {who: len(k) for who, k in keys.items() if len(k) != 1} == {}
    assert {key: n for key, n in deliveries.items() if n != 1} == {}

    print(f"\ndurability of waits: {len(kind_of)} instances ({PER_KIND} per kind, children, controls) rested in "
          f"{rest_seconds:.1f} s, killed {margin:.1f} s before the first early timer; at the kill {dict(at_kill)}; "
          f"down {(restarted - killed).total_seconds():.1f} s; "
          f"calls answered {answered:.1f} s and all completed {recovery:.1f} s after the restart")
