"""Scale-out on several processes (docs/running.md, "Several API and worker processes"): two API processes
(`server.py`) and two worker processes (`worker.py`) against one Temporal dev server and one PostgreSQL
database, as deployed, with one worker killed by SIGKILL mid-run.

- 200 instances started through both APIs (half each) complete: START → `work` (EMIT_EVENT `qa.scale.done`)
  → `rest` (a 3 s durable timer) → END, so most of them are mid-flight when the worker dies;
- each of those 200 domain events is handled once: an event trigger starts exactly one instance per event
  (the started instance carries the emitting instance's id), and a business rule on the event has exactly
  one execution log per event; every event ends up dispatched;
- tasks completed through either API apply once: 20 instances rest at a USER_TASK, and each task is
  completed through both APIs at the same moment: one answers 200, the other 404 (`Task not found or
  already completed`, as docs/workflows.md documents), the instance takes the winner's form once;
- the worker killed is the one holding the outbox lease, so the survivor has to take over the dispatch of
  events (after the lease expires) as well as the killed worker's instances.

PostgreSQL only: SQLite is one file for one machine, and several processes writing it is not a deployment
we support. The test creates a database of its own next to the test database (the CI role may create
databases) and drops it afterwards, so the workers' dispatchers see only this test's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from temporalio.client import Client

from api.db import make_engine
from api.modules.business_rules.models import RuleExecutionLog
from api.modules.workflows.models import UserTask, WorkflowEvent, WorkflowInstance
from api.outbox_models import OutboxEvent, OutboxLease

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATABASE_URL = os.environ.get("STEPWISE_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgresql"),
    reason="scale-out needs PostgreSQL (STEPWISE_TEST_DATABASE_URL): several processes on one SQLite file is "
           "not a supported deployment; CI runs this test in its PostgreSQL pass (.ci/run)")

INSTANCES = 200
TASKS = 20
EVENT = "qa.scale.done"
EMAIL, PASSWORD = "scale-admin@example.com", "scale-password-1234"
RETRY = {"maxAttempts": 10, "initialIntervalMs": 200, "backoffCoefficient": 1, "maxIntervalMs": 1000}


def _step(step_id: str, step_type: str, **extra: Any) -> dict[str, Any]:
    return {"stepId": step_id, "stepName": step_id.title(), "stepType": step_type, **extra}


def _chain(*steps: str) -> list[dict[str, Any]]:
    return [{"transitionId": f"{a}-to-{b}", "fromStepId": a, "toStepId": b, "trigger": "auto"}
            for a, b in zip(steps, steps[1:], strict=False)]


FLOW = {"workflowId": "qa-scale-flow", "workflowName": "Scale: emit and rest", "version": 1, "definition": {
    "steps": [_step("start", "START"),
              _step("work", "AUTOMATED", activities=[{
                  "activityId": "announce", "activityName": "Announce", "activityType": "EMIT_EVENT",
                  # A short timeout: an attempt lost with the killed worker is tried again after 5 s.
                  "timeout": "PT5S", "retryPolicy": RETRY,
                  "config": {"eventName": EVENT, "payload": {"instance": "{{workflow.instanceId}}"}}}]),
              _step("rest", "WAIT_FOR_TIMER", config={"duration": "PT3S"}),
              _step("end", "END")],
    "transitions": _chain("start", "work", "rest", "end")}}
TRIGGERED = {"workflowId": "qa-scale-triggered", "workflowName": "Scale: started by the event", "version": 1,
             "definition": {
                 "steps": [_step("start", "START"), _step("end", "END")], "transitions": _chain("start", "end"),
                 "triggers": [{"triggerId": "on-done", "name": "Done", "eventPattern": EVENT, "config": {
                     "contextMapping": [{"targetKey": "source", "sourceExpression": "instance"}]}}]}}
TASK = {"workflowId": "qa-scale-task", "workflowName": "Scale: one task", "version": 1, "definition": {
    "steps": [_step("start", "START"),
              _step("approve", "USER_TASK", userTaskConfig={
                  "formSchema": {"properties": {"by": {"type": "string"}}, "required": ["by"]}}),
              _step("end", "END")],
    "transitions": _chain("start", "approve", "end")}}
RULE = {"ruleId": "qa_scale_seen", "ruleName": "Scale: event seen", "ruleType": "ACTION", "entityType": "qa.scale",
        "eventType": EVENT, "conditionExpression": {"field": "instance", "operator": "!=", "value": ""}}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    tmp: Path
    env: dict[str, str]
    db: AsyncEngine
    temporal: Client | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    apis: list[str] = field(default_factory=list)

    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(self.db, expire_on_commit=False)

    def spawn(self, name: str, argv: list[str], **env: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")
        process = subprocess.Popen(argv, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {name}:\n{(self.tmp / f'{name}.log').read_text(errors='replace')[-2500:]}"
                         for name in self.processes)

    def alive(self, name: str) -> None:
        code = self.processes[name].poll()
        assert code is None, f"{name} exited with {code}:\n{self.logs()}"

    async def until(self, what: str, check: Callable[[], Awaitable[bool]], within: float,
                    watch: tuple[str, ...] = ()) -> None:
        deadline = time.monotonic() + within
        while not await check():
            for name in watch:
                self.alive(name)
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{self.logs()}"
            await asyncio.sleep(0.2)

    async def polling(self, name: str) -> bool:
        """Temporal lists the worker process among the pollers of the task queue."""
        from temporalio.api.enums.v1 import TaskQueueType
        from temporalio.api.taskqueue.v1 import TaskQueue
        from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

        if self.temporal is None:
            with contextlib.suppress(Exception):
                self.temporal = await Client.connect(self.env["STEPWISE_TEMPORAL_ADDRESS"])
            if self.temporal is None:
                return False
        answer = await self.temporal.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
            namespace="default", task_queue=TaskQueue(name=self.env["STEPWISE_TEMPORAL_TASK_QUEUE"]),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW))
        return any(p.identity.startswith(f"{self.processes[name].pid}@") for p in answer.pollers)

    async def count(self, statement: Any) -> int:
        async with self.sessions()() as s:
            return int((await s.execute(statement)).scalar_one())

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.asynccontextmanager
async def _database(url: str) -> AsyncIterator[str]:
    """A database of this test's own on the test database's server: created, yielded, dropped."""
    name = f"stepwise_scale_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    async with _database(DATABASE_URL) as url:
        temporal_port = _port()
        env = {**os.environ, "STEPWISE_DATABASE_URL": url, "STEPWISE_DATA_DIR": str(tmp_path),
               "STEPWISE_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
               "STEPWISE_TEMPORAL_TASK_QUEUE": "scale-out", "PYTHONUNBUFFERED": "1",
               # Two workers on one machine: neither serves metrics (they would want the same port).
               "STEPWISE_WORKER_METRICS_PORT": "0"}
        env.pop("STEPWISE_TEST_DATABASE_URL", None)
        cluster = Cluster(tmp_path, env, make_engine(url))
        began = time.monotonic()
        try:
            cluster.spawn("temporal", [str(BIN / "temporal"), "server", "start-dev", "--headless", "--ip",
                                       "127.0.0.1", "--port", str(temporal_port), "--http-port", str(_port()),
                                       "--log-level", "error"])
            await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "api.cli", "migrate"], cwd=ROOT, env=env,
                                    check=True, capture_output=True)
            await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "api.cli", "create-tenant", "Scale",
                                                     EMAIL, "--password", PASSWORD],
                                    cwd=ROOT, env=env, check=True, capture_output=True)
            migrated = time.monotonic()
            ports = [_port(), _port()]
            for n, port in enumerate(ports, 1):
                cluster.spawn(f"api-{n}", [sys.executable, "server.py"], STEPWISE_PORT=str(port))
                cluster.apis.append(f"http://127.0.0.1:{port}")
            # worker-1 takes the outbox lease before worker-2 exists, so the test knows which one holds it.
            cluster.spawn("worker-1", [sys.executable, "worker.py"])
            await cluster.until("worker-1 to take the outbox lease",
                                lambda: _holds_lease(cluster), 60, watch=("worker-1",))
            cluster.spawn("worker-2", [sys.executable, "worker.py"])
            for name in ("worker-1", "worker-2"):
                await cluster.until(f"{name} to poll", functools.partial(cluster.polling, name), 60, watch=(name,))
            async with httpx.AsyncClient(timeout=5) as http:
                for n, base in enumerate(cluster.apis, 1):
                    async def up(base: str = base) -> bool:
                        with contextlib.suppress(httpx.HTTPError):
                            return (await http.get(f"{base}/api/docs/openapi.json")).status_code == 200
                        return False
                    await cluster.until(f"api-{n}", up, 60, watch=(f"api-{n}",))
            print(f"\nscale-out: database, Temporal, 2 APIs and 2 workers up in {time.monotonic() - began:.1f} s "
                  f"(of which migrations and the tenant {migrated - began:.1f} s)")
            yield cluster
        finally:
            cluster.stop()
            await cluster.db.dispose()


async def _holds_lease(cluster: Cluster) -> bool:
    with contextlib.suppress(Exception):  # the table exists once migrated; the worker may still be starting
        return await cluster.count(select(func.count()).select_from(OutboxLease)) == 1
    return False


async def test_two_apis_and_two_workers_one_killed(cluster: Cluster) -> None:
    began = time.monotonic()
    async with httpx.AsyncClient(timeout=120) as http:
        r = await http.post(f"{cluster.apis[0]}/api/auth/login", data={"email": EMAIL, "password": PASSWORD})
        assert r.status_code == 200, r.text
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        one, two = cluster.apis

        async def post(base: str, path: str, body: dict[str, Any]) -> httpx.Response:
            return await http.post(f"{base}{path}", json=body, headers=auth)

        r = await post(one, "/api/business_rules/rules", RULE)
        assert r.status_code == 201, r.text
        for base, body in ((one, FLOW), (two, TRIGGERED), (one, TASK)):
            r = await post(base, "/api/workflows/definitions", body)
            assert r.status_code == 201, r.text

        gate = asyncio.Semaphore(20)

        async def start(n: int, workflow_id: str) -> tuple[str, str]:
            base = cluster.apis[n % 2]
            async with gate:
                r = await post(base, "/api/workflows/instances", {"workflowId": workflow_id})
            assert r.status_code == 201, r.text
            return base, str(r.json()["data"]["instance"]["id"])

        flows = await asyncio.gather(*(start(n, "qa-scale-flow") for n in range(INSTANCES)))
        tasks = await asyncio.gather(*(start(n, "qa-scale-task") for n in range(TASKS)))
        flow_ids = [i for _, i in flows]
        assert Counter(base for base, _ in flows) == {one: INSTANCES // 2, two: INSTANCES // 2}

        # Mid-run: instances are resting on their timers or still emitting, events wait for dispatch.
        cluster.processes["worker-1"].send_signal(signal.SIGKILL)
        cluster.processes["worker-1"].wait()
        killed_at = time.monotonic()
        async with cluster.sessions()() as s:
            at_kill = {(w, status): n for w, status, n in (await s.execute(
                select(WorkflowInstance.workflow_id, WorkflowInstance.status, func.count())
                .group_by(WorkflowInstance.workflow_id, WorkflowInstance.status))).all()}
        completed_at_kill = await cluster.count(select(func.count()).select_from(WorkflowInstance).where(
            WorkflowInstance.workflow_id == "qa-scale-flow", WorkflowInstance.status == "COMPLETED"))
        assert completed_at_kill < INSTANCES, at_kill

        # Each task completed through both APIs at the same moment, once its instance rests at it.
        async def task_of(instance_id: str) -> str:
            async with cluster.sessions()() as s:
                return str((await s.execute(select(UserTask.id).where(
                    UserTask.workflow_instance_id == instance_id))).scalar_one())

        async def rests() -> bool:
            return await cluster.count(select(func.count()).select_from(UserTask).where(
                UserTask.workflow_instance_id.in_([i for _, i in tasks]))) == TASKS

        await cluster.until("every task to be created", rests, 90, watch=("worker-2",))

        async def complete_twice(instance_id: str) -> tuple[str, dict[str, int]]:
            task_id = await task_of(instance_id)
            answers = await asyncio.gather(*(
                post(base, f"/api/workflows/tasks/{task_id}/complete", {"formData": {"by": base}})
                for base in cluster.apis))
            statuses = {base: r.status_code for base, r in zip(cluster.apis, answers, strict=True)}
            if sorted(statuses.values()) != [200, 404]:
                async with cluster.sessions()() as s:
                    rows = [(t.id, t.status, t.created_at) for t in (await s.execute(select(UserTask).where(
                        UserTask.workflow_instance_id == instance_id))).scalars()]
                assert cluster.temporal is not None
                history = await cluster.temporal.get_workflow_handle(instance_id).fetch_history()
                kinds = [e.WhichOneof("attributes") for e in history.events]
                raise AssertionError(f"{[r.text for r in answers]}; task {task_id}; rows {rows}; history {kinds}")
            refused = next(r for r in answers if r.status_code == 404)
            assert refused.json() == {"error": "Task not found or already completed"}
            return instance_id, statuses

        completions = dict(await asyncio.gather(*(complete_twice(i) for _, i in tasks)))

    async def all_done() -> bool:
        return await cluster.count(select(func.count()).select_from(WorkflowInstance).where(
            WorkflowInstance.status == "COMPLETED")) == 2 * INSTANCES + TASKS

    await cluster.until("every instance to complete", all_done, 120, watch=("worker-2", "api-1", "api-2"))
    recovered = time.monotonic() - killed_at

    async with cluster.sessions()() as s:
        instances = list((await s.execute(select(WorkflowInstance))).scalars())
        events = list((await s.execute(select(OutboxEvent).where(OutboxEvent.name == EVENT))).scalars())
        logs = list((await s.execute(select(RuleExecutionLog))).scalars())
        task_events = list((await s.execute(select(WorkflowEvent).where(
            WorkflowEvent.event_type == "USER_TASK_COMPLETED"))).scalars())
    by_workflow = Counter((i.workflow_id, i.status) for i in instances)
    assert by_workflow == {("qa-scale-flow", "COMPLETED"): INSTANCES, ("qa-scale-triggered", "COMPLETED"): INSTANCES,
                           ("qa-scale-task", "COMPLETED"): TASKS}, by_workflow

    # One event per instance (EMIT_EVENT applies once), every one dispatched.
    assert Counter(e.payload["instance"] for e in events) == Counter(flow_ids)
    assert all(e.dispatched_at is not None for e in events)
    # The trigger started exactly one instance per event...
    triggered = [i for i in instances if i.workflow_id == "qa-scale-triggered"]
    assert Counter(i.context["source"] for i in triggered) == Counter(flow_ids)
    # ...and the rule on the event ran exactly once per event.
    assert Counter(log.event_id for log in logs) == Counter(e.id for e in events)

    # Each task: one completion applied, the winner's.
    assert Counter(e.workflow_instance_id for e in task_events) == Counter(i for _, i in tasks)
    for instance in (i for i in instances if i.workflow_id == "qa-scale-task"):
        winner = next(base for base, status in completions[instance.id].items() if status == 200)
        assert instance.context["by"] == winner
    assert {status for answers in completions.values() for status in answers.values()} == {200, 404}

    print(f"\nscale-out: {completed_at_kill}/{INSTANCES} flow instances done when worker-1 was killed "
          f"({dict(at_kill)}); all {2 * INSTANCES + TASKS} instances completed {recovered:.1f} s later; "
          f"{time.monotonic() - began:.1f} s from login")
