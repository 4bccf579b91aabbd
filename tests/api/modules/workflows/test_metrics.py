"""The workflow metrics (docs/operations.md) through the real engine: the worker's own metrics port (instances
started, completed, failed and cancelled, step and activity durations, from the projection it writes) and the
API's `/metrics` (open and overdue tasks by queue, open instances, signal deliveries), read over HTTP while
instances start, wait, get their task done, get a signal, fail and are cancelled."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.metrics import serve_worker_metrics
from api.settings import get_settings
from tests.api.modules.workflows.builders import step, transition, with_steps
from tests.api.modules.workflows.test_scenarios import define, poll, start
from tests.api.test_metrics import sample, scrape
from tests.fixtures import World
from tests.live import free_port

pytestmark = pytest.mark.usefixtures("engine")

INSTANCES = "/api/workflows/instances"
TASKS = "/api/workflows/tasks"


@pytest.fixture
async def worker_metrics(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """The worker's metrics port, served as worker.py serves it (this test's worker runs in this process)."""
    # Earlier tests of the run have created definitions by the hundred: let this test's get labels of their own.
    monkeypatch.setattr(get_settings(), "metrics_max_label_values", 1_000_000)
    port = free_port()
    stop = serve_worker_metrics("127.0.0.1", port)
    assert stop is not None
    yield f"http://127.0.0.1:{port}/metrics"
    stop()


def reviewed(role: str) -> dict[str, Any]:
    """start → announce (an EMIT_EVENT activity) → review (a task in `role`'s queue, due in 1 s) → go (waits for
    the `go` signal) → end."""
    emit = {"activityId": "announce", "activityName": "Announce", "activityType": "EMIT_EVENT",
            "config": {"eventName": "qa.metrics.announced", "payload": {}}}
    task = {"assignedTo": [role], "slaDuration": "PT1S", "formSchema": {"properties": {"ok": {"type": "boolean"}}}}
    return with_steps(
        [step("start", "START"), step("announce", "AUTOMATED", activities=[emit]),
         step("review", "USER_TASK", "Review", userTaskConfig=task),
         step("go", "WAIT_FOR_SIGNAL", "Go", signalConfig={"signalName": "go"}), step("end", "END")],
        [transition("start-to-announce", "start", "announce"), transition("announce-to-review", "announce", "review"),
         transition("review-to-go", "review", "go"), transition("go-to-end", "go", "end")],
        workflowId=f"qa-metrics-{uuid.uuid4().hex[:10]}")


def failing() -> dict[str, Any]:
    boom = {"activityId": "boom", "activityName": "Boom", "activityType": "EXECUTE_FUNCTION",
            "config": {"functionName": "qa-no-such-function"}}
    return with_steps([step("start", "START"), step("boom", "AUTOMATED", activities=[boom]), step("end", "END")],
                      [transition("start-to-boom", "start", "boom"), transition("boom-to-end", "boom", "end")],
                      workflowId=f"qa-metrics-fail-{uuid.uuid4().hex[:10]}")


async def open_task(caller: Any, instance_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 8
    while True:
        r = await caller.get(TASKS, params={"workflowInstanceId": instance_id})
        found = [t for t in r.json()["data"] if t["status"] == "PENDING"]
        if found:
            return found[0]  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, "no task"
        await asyncio.sleep(0.1)


async def test_instances_tasks_steps_and_activities_show_in_the_metrics(
        world: World, client: httpx.AsyncClient, worker_metrics: str) -> None:
    await world.setup()
    role = f"qa-metrics-{uuid.uuid4().hex[:8]}"
    me = await world.user(roles=[await world.role(role, ["workflows.*"])])
    definition = (await define(me, reviewed(role)))["workflowId"]
    broken = (await define(me, failing()))["workflowId"]
    queue = f"role:{role}"
    async with httpx.AsyncClient() as http:
        async def worker() -> str:
            r = await http.get(worker_metrics)
            assert r.status_code == 200
            return r.text

        worker_before, api_before = await worker(), await scrape(client)
        assert sample(worker_before, "stepwise_instances_started_total", definition=definition) == 0

        first = await start(me, definition)
        second = await start(me, definition)
        task = await open_task(me, first["id"])
        await open_task(me, second["id"])
        waiting = await scrape(client)
        assert sample(waiting, "stepwise_tasks_open", queue=queue, status="PENDING") == 2
        assert sample(waiting, "stepwise_instances_open", definition=definition, status="PAUSED") == 2
        await asyncio.sleep(1.2)  # past the tasks' SLA
        assert sample(await scrape(client), "stepwise_tasks_overdue", queue=queue) == 2

        # The first: its task done, then the signal it waits for; the second: cancelled; a third fails.
        r = await me.post(f"{TASKS}/{task['id']}/complete", json={"formData": {"ok": True}})
        assert r.status_code == 200, r.text
        await poll(me, first["id"], "PAUSED", step_id="go")
        r = await me.post(f"{INSTANCES}/{first['id']}/signal", json={"signalName": "go"})
        assert r.status_code == 200, r.text
        await poll(me, first["id"], "COMPLETED")
        r = await me.post(f"{INSTANCES}/{second['id']}/cancel")
        assert r.status_code == 200, r.text
        await poll(me, second["id"], "CANCELLED")
        third = (await me.post(INSTANCES, json={"workflowId": broken})).json()["data"]["instance"]
        await poll(me, third["id"], "FAILED")

        done, api_after = await worker(), await scrape(client)

    def grew(name: str, before: str = worker_before, after: str = done, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("stepwise_instances_started_total", definition=definition) == 2
    assert grew("stepwise_instances_completed_total", definition=definition) == 1
    assert grew("stepwise_instances_cancelled_total", definition=definition) == 1
    assert grew("stepwise_instances_failed_total", definition=definition) == 0
    assert grew("stepwise_instances_started_total", definition=broken) == 1
    assert grew("stepwise_instances_failed_total", definition=broken) == 1
    # Steps (START has no step of its own): the first instance went through every one, the second left its task
    # when cancelled; the first's task took over a second (its SLA passed before it was done).
    for step_type, n in (("AUTOMATED", 2), ("USER_TASK", 1), ("WAIT_FOR_SIGNAL", 1), ("END", 1)):
        assert grew("stepwise_step_duration_seconds_count", definition=definition, step_type=step_type,
                    status="COMPLETED") == n, step_type
    assert grew("stepwise_step_duration_seconds_count", definition=definition, step_type="USER_TASK",
                status="CANCELLED") == 1
    assert grew("stepwise_step_duration_seconds_bucket", definition=definition, step_type="USER_TASK",
                status="COMPLETED", le="1.0") == 0
    assert grew("stepwise_step_duration_seconds_count", definition=broken, step_type="AUTOMATED", status="FAILED") == 1
    # Activities: both instances announced; the function that does not exist failed.
    assert grew("stepwise_activity_duration_seconds_count", activity_type="EMIT_EVENT", outcome="success") >= 2
    assert grew("stepwise_activity_duration_seconds_count", activity_type="EXECUTE_FUNCTION", outcome="failure") >= 1
    # The API's side: nothing left open in the queue or for the definition, one signal delivered.
    assert sample(api_after, "stepwise_tasks_open", queue=queue, status="PENDING") == 0
    assert sample(api_after, "stepwise_tasks_overdue", queue=queue) == 0
    assert sample(api_after, "stepwise_instances_open", definition=definition, status="PAUSED") == 0
    assert sample(api_after, "stepwise_instances_open", definition=broken, status="FAILED") == 1
    assert grew("stepwise_signal_deliveries_total", api_before, api_after, via="instance", outcome="delivered") == 1
    assert grew("stepwise_http_request_duration_seconds_count", api_before, api_after, method="POST",
                route="/api/workflows/instances/{id}/cancel", status="200") == 1
