"""Event triggers through the API and the real engine (docs/workflows.md, "Event triggers"; the reference's
TC-WF-008 driven by an example todo; debounce and the concurrency limit enforced): a domain event written by
`POST /api/example/todos` is delivered by an outbox `Dispatcher`, as the worker delivers it, and starts the
workflows whose triggers match."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from temporalio.service import RPCError, RPCStatusCode

from api.db import sessionmaker, utcnow
from api.modules.workflows import definitions_service, triggers
from api.modules.workflows import instances_service as svc
from api.modules.workflows.models import WorkflowInstance
from api.outbox import Dispatcher, DomainEvent
from api.outbox_models import OutboxEvent
from definitions import ShippedWorkflow, code_workflow_uuid, load_shipped, parse_create
from tests.api.modules.workflows.builders import DEFINITIONS, INSTANCES, manual, minimal, ts
from tests.fixtures import Caller, World

pytestmark = pytest.mark.usefixtures("engine")
FEATURES = ["workflows.*", "example.todos.*"]
TODOS = "/api/example/todos"
CREATED = "example.todo.created"


def trigger(trigger_id: str = "on-todo", pattern: str = CREATED, **fields: Any) -> dict[str, Any]:
    return {"triggerId": trigger_id, "name": f"QA {trigger_id}", "eventPattern": pattern, **fields}


def triggered(payload: dict[str, Any], *items: dict[str, Any]) -> dict[str, Any]:
    payload["definition"]["triggers"] = list(items)
    return payload


async def define(caller: Caller, payload: dict[str, Any]) -> dict[str, Any]:
    r = await caller.post(DEFINITIONS, json=payload)
    assert r.status_code == 201, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def todo(caller: Caller, title: str = "QA todo", **fields: Any) -> str:
    r = await caller.post(TODOS, json={"title": title, **fields})
    assert r.status_code == 201, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


async def dispatch(*tenants: str) -> None:
    """Deliver the pending events of `tenants` to the trigger subscriber, as the worker's dispatcher does
    (other tests' events are passed over)."""
    async def handler(event: DomainEvent) -> None:
        if event.tenant_id in tenants:
            await triggers.start_workflows_for_event(event)

    dispatcher = Dispatcher(sessionmaker(), handlers=[("*", handler)], batch=1000)
    while await dispatcher.dispatch_once():
        pass


async def instances(caller: Caller, workflow_id: str) -> list[dict[str, Any]]:
    r = await caller.get(INSTANCES, params={"workflowId": workflow_id, "limit": 100})
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def poll(caller: Caller, instance_id: str, status: str, within: float = 8.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        data = (await caller.get(f"{INSTANCES}/{instance_id}")).json()["data"]
        if data["status"] == status:
            return data  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"instance stayed {data['status']}"
        await asyncio.sleep(0.1)


async def pending(tenant_id: str) -> list[OutboxEvent]:
    async with sessionmaker()() as s:
        return list((await s.execute(select(OutboxEvent).where(
            OutboxEvent.tenant_id == tenant_id, OutboxEvent.dispatched_at.is_(None)))).scalars().all())


def entity_ids(items: Iterable[dict[str, Any]]) -> list[str]:
    return sorted(i["metadata"]["entityId"] for i in items)


async def test_tc_wf_008_a_created_todo_starts_the_triggered_workflow(world: World) -> None:
    me = await world.user(FEATURES)
    definition = await define(me, minimal("-trigger"))
    wid = definition["workflowId"]
    # Seen before the trigger exists: nothing starts, and the loaded triggers must not go stale.
    await todo(me, "Before the trigger")
    await dispatch(me.tenant_id)
    body = {**definition["definition"], "triggers": [trigger(config={
        "contextMapping": [{"targetKey": "todoTitle", "sourceExpression": "title"}]})]}
    r = await me.put(f"{DEFINITIONS}/{definition['id']}", json={"definition": body})
    assert r.status_code == 200, r.text
    r = await me.get(f"{DEFINITIONS}/{definition['id']}")
    assert r.json()["data"]["definition"]["triggers"][0]["eventPattern"] == CREATED

    todo_id = await todo(me, "Triggered", cf_priority="high")
    await dispatch(me.tenant_id)
    assert await pending(me.tenant_id) == []
    found = await instances(me, wid)
    assert len(found) == 1
    done = await poll(me, found[0]["id"], "COMPLETED")
    context = done["context"]
    assert context["id"] == todo_id and context["title"] == "Triggered" and context["cf_priority"] == "high"
    assert context["todoTitle"] == "Triggered"
    assert context["tenantId"] == me.tenant_id and context["organizationId"] == me.org_id
    trigger_ref = f"{definition['id']}:on-todo"
    meta = context["__trigger"]
    assert meta["triggerId"] == trigger_ref and meta["triggerName"] == "QA on-todo" and meta["source"] == "embedded"
    assert meta["eventName"] == CREATED and meta["eventPayload"]["id"] == todo_id and meta["triggeredAt"]
    # The event names who created the todo (the kit's `actorUserId`): the instance runs as them.
    assert context["actorUserId"] == me.user_id
    assert done["metadata"] == {
        "initiatedBy": me.user_id, "entityId": todo_id,
        "labels": {"trigger_id": trigger_ref, "trigger_name": "QA on-todo", "event_name": CREATED,
                   "trigger_source": "embedded"}}
    assert done["definitionId"] == definition["id"] and done["version"] == 1
    r = await me.get(f"{INSTANCES}/{done['id']}/events")
    assert [e["eventType"] for e in r.json()["data"]][-1] == "WORKFLOW_STARTED"


async def test_filter_conditions_decide(world: World) -> None:
    me = await world.user(FEATURES)
    wid = (await define(me, triggered(minimal("-filter"), trigger(config={"filterConditions": [
        {"field": "cf_priority", "operator": "eq", "value": "high"},
        {"field": "title", "operator": "startsWith", "value": "QA"},
        {"field": "is_done", "operator": "eq", "value": False},
    ]}))))["workflowId"]
    wanted = await todo(me, "QA urgent", cf_priority="high")
    await todo(me, "QA later", cf_priority="low")
    await todo(me, "Other urgent", cf_priority="high")
    await todo(me, "QA done", cf_priority="high", is_done=True)
    await dispatch(me.tenant_id)
    assert entity_ids(await instances(me, wid)) == [wanted]


async def test_other_tenants_and_organizations_start_nothing(world: World) -> None:
    me = await world.user(FEATURES)
    wid = (await define(me, triggered(minimal("-scope"), trigger())))["workflowId"]
    other_tenant = await World(world.client).user(FEATURES)
    other_org = await world.org("Elsewhere")
    sibling = await world.user(FEATURES, org_id=other_org, organizations=[other_org])
    await todo(other_tenant, "Their todo")
    await todo(sibling, "Sibling organization's todo")
    await dispatch(me.tenant_id, other_tenant.tenant_id)
    assert await instances(me, wid) == []
    mine = await todo(me, "Mine")
    await dispatch(me.tenant_id)
    assert entity_ids(await instances(me, wid)) == [mine]


async def test_max_concurrent_instances(world: World) -> None:
    me = await world.user(FEATURES)
    # Manual transitions: an instance rests RUNNING at its START step.
    wid = (await define(me, triggered(manual("-limit"), trigger(config={"maxConcurrentInstances": 1}))))["workflowId"]
    first = await todo(me, "First")
    await todo(me, "Second")
    await dispatch(me.tenant_id)
    running = await instances(me, wid)
    assert entity_ids(running) == [first] and running[0]["status"] == "RUNNING"
    assert (await me.post(f"{INSTANCES}/{running[0]['id']}/cancel")).status_code == 200
    third = await todo(me, "Third")
    await dispatch(me.tenant_id)
    assert entity_ids(await instances(me, wid)) == sorted([first, third])


async def test_debounce_is_enforced_per_trigger_and_entity_and_persisted(world: World) -> None:
    me = await world.user(FEATURES)
    wid = (await define(me, triggered(minimal("-debounce"), trigger(
        pattern="example.todo.updated", config={"debounceMs": 60_000}))))["workflowId"]
    x, y = await todo(me, "X"), await todo(me, "Y")
    for title in ("X1", "X2"):
        assert (await me.put(TODOS, json={"id": x, "title": title})).status_code == 200
    assert (await me.put(TODOS, json={"id": y, "title": "Y1"})).status_code == 200
    await dispatch(me.tenant_id)
    assert entity_ids(await instances(me, wid)) == sorted([x, y])

    # A restarted worker (empty memory) still knows the window from the instance rows.
    triggers.clear_cache()
    assert (await me.put(TODOS, json={"id": x, "title": "X3"})).status_code == 200
    await dispatch(me.tenant_id)
    assert len(await instances(me, wid)) == 2

    # Once the window has passed, the next update starts again.
    async with sessionmaker()() as s:
        await s.execute(update(WorkflowInstance).where(WorkflowInstance.workflow_id == wid)
                        .values(started_at=utcnow() - timedelta(seconds=61)))
        await s.commit()
    assert (await me.put(TODOS, json={"id": x, "title": "X4"})).status_code == 200
    await dispatch(me.tenant_id)
    assert entity_ids(await instances(me, wid)) == sorted([x, x, y])


async def test_a_redelivered_event_starts_one_instance(world: World) -> None:
    me = await world.user(FEATURES)
    wid = (await define(me, triggered(minimal("-redeliver"), trigger())))["workflowId"]
    await todo(me)
    await dispatch(me.tenant_id)
    first = await instances(me, wid)
    assert len(first) == 1
    await poll(me, first[0]["id"], "COMPLETED")
    async with sessionmaker()() as s:
        await s.execute(update(OutboxEvent).where(OutboxEvent.tenant_id == me.tenant_id)
                        .values(dispatched_at=None))
        await s.commit()
    await dispatch(me.tenant_id)
    assert await pending(me.tenant_id) == []
    assert [i["id"] for i in await instances(me, wid)] == [first[0]["id"]]


async def test_an_unreachable_engine_retries_the_event_and_launches_the_committed_row(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    me = await world.user(FEATURES)
    wid = (await define(me, triggered(minimal("-crash"), trigger())))["workflowId"]
    todo_id = await todo(me)
    launch_once = svc.launch_once

    async def down(arg: Any) -> bool:
        raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")

    monkeypatch.setattr(svc, "launch_once", down)
    await dispatch(me.tenant_id)
    # The row was committed, its workflow never started, and the event waits for another delivery.
    [stuck] = await pending(me.tenant_id)
    assert stuck.attempts >= 1 and "connection refused" in (stuck.last_error or "")
    [row] = await instances(me, wid)
    assert row["status"] == "RUNNING" and row["metadata"]["entityId"] == todo_id

    monkeypatch.setattr(svc, "launch_once", launch_once)
    await dispatch(me.tenant_id)
    assert await pending(me.tenant_id) == []
    assert [i["id"] for i in await instances(me, wid)] == [row["id"]]
    await poll(me, row["id"], "COMPLETED")


async def test_disabled_triggers_and_definitions_start_nothing(world: World) -> None:
    me = await world.user(FEATURES)
    off = (await define(me, triggered(minimal("-off"), trigger(enabled=False))))["workflowId"]
    disabled = await define(me, triggered(minimal("-disabled", enabled=False), trigger()))
    await todo(me)
    await dispatch(me.tenant_id)
    assert await instances(me, off) == [] and await instances(me, disabled["workflowId"]) == []
    r = await me.put(f"{DEFINITIONS}/{disabled['id']}", json={"enabled": True})
    assert r.status_code == 200, r.text
    enabled_now = await todo(me)
    await dispatch(me.tenant_id)
    assert entity_ids(await instances(me, disabled["workflowId"])) == [enabled_now]
    assert await instances(me, off) == []


async def test_a_failing_trigger_does_not_stop_the_others(world: World) -> None:
    me = await world.user(FEATURES)
    broken = minimal("-broken")
    broken["definition"]["steps"][0]["preConditions"] = [{"ruleId": f"qa-missing-rule-{ts()}", "required": True}]
    broken_wid = (await define(me, triggered(broken, trigger(priority=10))))["workflowId"]
    fine_wid = (await define(me, triggered(minimal("-fine"), trigger(priority=1))))["workflowId"]
    todo_id = await todo(me)
    await dispatch(me.tenant_id)
    assert await pending(me.tenant_id) == []
    assert await instances(me, broken_wid) == []
    assert entity_ids(await instances(me, fine_wid)) == [todo_id]


def code_workflow(workflow_id: str) -> ShippedWorkflow:
    body = triggered(minimal("-code"), trigger("on-code-todo", "example.*.created",
                                               config={"entityType": "Todo"}))
    return ShippedWorkflow(module_id="qa", row=parse_create({**body, "workflowId": workflow_id}), guard_rules=())


async def test_code_workflow_triggers_until_the_organization_customizes_it(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    wid = f"qa.code-triggered-{ts()}"
    shipped = {**load_shipped(), wid: code_workflow(wid)}
    monkeypatch.setattr(definitions_service, "shipped", lambda: shipped)
    monkeypatch.setattr(svc, "shipped", lambda: shipped)
    me = await world.user(FEATURES)
    first = await todo(me)
    await dispatch(me.tenant_id)
    [started] = await instances(me, wid)
    done = await poll(me, started["id"], "COMPLETED")
    assert done["definitionId"] == code_workflow_uuid(wid)
    assert done["context"]["__trigger"]["source"] == "code"
    assert done["metadata"]["entityId"] == first and done["metadata"]["entityType"] == "Todo"
    assert done["metadata"]["labels"]["trigger_id"] == f"code:{wid}:on-code-todo"

    # The organization's own row (a customization carrying the same trigger) replaces the code version.
    r = await me.post(f"{DEFINITIONS}/code:{wid}/customize")
    assert r.status_code in (200, 201), r.text
    row_id = r.json()["data"]["id"]
    second = await todo(me)
    await dispatch(me.tenant_id)
    by_entity = {i["metadata"]["entityId"]: i for i in await instances(me, wid)}
    assert sorted(by_entity) == sorted([first, second])
    assert by_entity[second]["definitionId"] == row_id
    assert by_entity[second]["metadata"]["labels"]["trigger_source"] == "embedded"
