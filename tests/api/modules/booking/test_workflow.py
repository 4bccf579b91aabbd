"""A workflow that waits for a resource's next free window (docs/booking.md, "Waiting for availability"):
an EXECUTE_FUNCTION activity `booking.next_available_window` computes the instant, a WAIT_FOR_TIMER step
waits `until` it. Real interpreter and activities on the time-skipping Temporal test server; the API
starts and reads the instance over HTTP."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api import temporal
from tests.api.modules.booking.test_availability import resource, rule, windows
from tests.fixtures import Caller, World

WF = "/api/workflows"


@pytest.fixture
async def skipping(app: FastAPI) -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server with the real interpreter and activities, as worker.py registers them."""
    from worker import ACTIVITIES, WORKFLOWS

    binary = Path(sys.executable).parent / "temporal-test-server"
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(binary))
    queue = f"booking-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        temporal.set_client(env.client, task_queue=queue)
        try:
            yield env
        finally:
            temporal.set_client(None)
    await env.shutdown()


def definition(workflow_id: str) -> dict[str, Any]:
    find = {"activityId": "find_window", "activityName": "window", "activityType": "EXECUTE_FUNCTION",
            "config": {"functionName": "booking.next_available_window",
                       "args": {"subjectType": "resource", "subjectId": "{{context.resourceId}}", "minMinutes": 30}}}
    return {"workflowId": workflow_id, "workflowName": "Wait for the room", "version": 1, "enabled": True,
            "definition": {
                "steps": [{"stepId": "start", "stepName": "Start", "stepType": "START"},
                          {"stepId": "wait_for_room", "stepName": "Wait for the room", "stepType": "WAIT_FOR_TIMER",
                           "config": {"until": "{{context.window.result.startsAt}}"}},
                          {"stepId": "end", "stepName": "End", "stepType": "END"}],
                "transitions": [
                    {"transitionId": "find", "fromStepId": "start", "toStepId": "wait_for_room", "trigger": "auto",
                     "activities": [find]},
                    {"transitionId": "done", "fromStepId": "wait_for_room", "toStepId": "end", "trigger": "auto"}]}}


async def instance(me: Caller, instance_id: str, *statuses: str, within: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        r = await me.get(f"{WF}/instances/{instance_id}")
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        if data["status"] in statuses:
            return data
        assert time.monotonic() < deadline, f"instance stayed {data['status']} at {data['currentStepId']}"
        await asyncio.sleep(0.1)


async def events_of(me: Caller, instance_id: str, event_type: str) -> list[dict[str, Any]]:
    r = await me.get(f"{WF}/instances/{instance_id}/events", params={"eventType": event_type, "limit": 100})
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


async def test_a_timer_waits_for_the_next_free_window(world: World, skipping: WorkflowEnvironment) -> None:
    me = await world.user(["*"])
    room = await resource(me)
    # Free from two days on, for one hour a day; a 20-minute window before that is too short (minMinutes 30).
    opens = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    short = opens - timedelta(days=1)
    await rule(me, room, f"DTSTART:{short:%Y%m%dT%H%M%S}Z\nDURATION:PT20M\nRRULE:FREQ=DAILY;COUNT=1",
               timezone="UTC")
    await rule(me, room, f"DTSTART:{opens:%Y%m%dT%H%M%S}Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3",
               timezone="UTC")
    free = await windows(me, room, datetime.now(UTC).isoformat(), (opens + timedelta(days=5)).isoformat())
    assert free[1]["startsAt"] == f"{opens:%Y-%m-%dT%H:%M:%S}Z"

    workflow_id = f"booking-wait-{uuid.uuid4().hex[:8]}"
    r = await me.post(f"{WF}/definitions", json=definition(workflow_id))
    assert r.status_code == 201, r.text
    r = await me.post(f"{WF}/instances", json={"workflowId": workflow_id, "initialContext": {"resourceId": room}})
    assert r.status_code == 201, r.text
    instance_id = r.json()["data"]["instance"]["id"]

    paused = await instance(me, instance_id, "PAUSED", "FAILED")
    assert paused["status"] == "PAUSED" and paused["currentStepId"] == "wait_for_room", paused
    assert paused["context"]["window"]["result"]["startsAt"] == free[1]["startsAt"]
    [awaiting] = await events_of(me, instance_id, "TIMER_AWAITING")
    fire_at = datetime.fromisoformat(awaiting["eventData"]["fireAt"].replace("Z", "+00:00"))
    assert fire_at == opens

    await skipping.sleep(timedelta(days=3))  # the test server jumps to the window
    done = await instance(me, instance_id, "COMPLETED", "FAILED")
    assert done["status"] == "COMPLETED", done
    [fired] = await events_of(me, instance_id, "TIMER_FIRED")
    assert datetime.fromisoformat(fired["eventData"]["firedAt"].replace("Z", "+00:00")) >= opens
