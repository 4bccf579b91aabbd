"""Rules on domain events: run by the outbox dispatcher,
scoped to the event's tenant and organization, idempotent by event id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select, update

from api import manifest, outbox
from api.db import new_id, sessionmaker
from api.modules.business_rules import events, service
from api.modules.business_rules.models import RuleExecutionLog
from api.outbox import DomainEvent
from api.outbox_models import OutboxEvent
from tests.api.modules.business_rules.helpers import LOGS, create_rule, dispatch_all, stamp
from tests.fixtures import Caller, World


async def _logs(caller: Caller, rule_id: str) -> list[dict[str, Any]]:
    r = await caller.get(LOGS, params={"ruleId": rule_id, "pageSize": 100})
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def test_a_todo_created_through_the_api_runs_its_rules_once(client: httpx.AsyncClient, world: World) -> None:
    me = await world.user(["business_rules.*", "example.todos.*"])
    full_name = await create_rule(me, ruleId=f"EV_{stamp()}", entityType="Todo", eventType="example.todo.created",
                                  conditionExpression={"field": "title", "operator": "STARTS_WITH",
                                                       "value": "Urgent"})
    reference_style = await create_rule(me, ruleId=f"EV_{stamp()}", entityType="example.todo", eventType="created",
                                        ruleType="ACTION", conditionExpression=None)
    not_this_event = await create_rule(me, ruleId=f"EV_{stamp()}", entityType="Todo",
                                       eventType="example.todo.updated", conditionExpression=None)
    disabled = await create_rule(me, ruleId=f"EV_{stamp()}", entityType="Todo", eventType="example.todo.created",
                                 enabled=False)
    neighbour = await world.user(["business_rules.*"], org_id=await world.org("Neighbour"))
    neighbours_rule = await create_rule(neighbour, ruleId=f"EV_{stamp()}", eventType="example.todo.created")
    stranger = await World(client).user(["business_rules.*"])
    strangers_rule = await create_rule(stranger, ruleId=f"EV_{stamp()}", eventType="example.todo.created")

    r = await me.post("/api/example/todos", json={"title": "Urgent: water the plants"})
    assert r.status_code == 201, r.text
    todo_id = r.json()["id"]
    await dispatch_all()

    [log] = await _logs(me, full_name)
    assert (log["entityType"], log["entityId"], log["executionResult"]) == ("example.todo", todo_id, "SUCCESS")
    assert log["inputContext"]["eventType"] == "example.todo.created" and "user" not in log["inputContext"]
    assert log["inputContext"]["data"]["title"] == "Urgent: water the plants" and log["executedBy"] is None
    [log] = await _logs(me, reference_style)
    assert log["inputContext"]["eventType"] == "created" and log["entityId"] == todo_id
    assert await _logs(me, not_this_event) == [] and await _logs(me, disabled) == []
    assert await _logs(neighbour, neighbours_rule) == [] and await _logs(stranger, strangers_rule) == []

    # Redelivery (the dispatcher died before marking the event) runs nothing twice.
    async with sessionmaker()() as s:
        await s.execute(update(OutboxEvent).where(OutboxEvent.name == "example.todo.created",
                                                  OutboxEvent.tenant_id == me.tenant_id).values(dispatched_at=None))
        await s.commit()
    await dispatch_all()
    assert len(await _logs(me, full_name)) == 1 and len(await _logs(me, reference_style)) == 1

    # An update is another event: the matching rules run for it.
    assert (await me.put("/api/example/todos", json={"id": todo_id, "title": "Calm"})).status_code == 200
    await dispatch_all()
    [log] = await _logs(me, not_this_event)
    assert log["inputContext"]["data"]["title"] == "Calm"


async def test_handler_is_idempotent_by_event_id(world: World) -> None:
    me = await world.user(["business_rules.*"])
    rule_id = await create_rule(me, eventType="qa.widget.created", conditionExpression=None)
    event = DomainEvent(new_id(), 0, "qa.widget.created", me.tenant_id, me.org_id, {"id": "w-1"}, datetime.now(UTC))
    await events.run_rules_on_event(event)
    await events.run_rules_on_event(event)
    other = DomainEvent(new_id(), 0, "qa.widget.created", me.tenant_id, me.org_id, {"id": "w-2"}, datetime.now(UTC))
    await events.run_rules_on_event(other)
    async with sessionmaker()() as s:
        rows = (await s.execute(select(RuleExecutionLog).where(RuleExecutionLog.rule_id == rule_id))).scalars().all()
    assert sorted((r.event_id, r.entity_id) for r in rows) == sorted([(event.id, "w-1"), (other.id, "w-2")])


async def test_rule_emitted_events_cannot_loop_forever(world: World) -> None:
    me = await world.user(["business_rules.*"])
    rule_id = await create_rule(me, ruleType="ACTION", eventType="qa.loop.fired", conditionExpression=None,
                                successActions=[{"type": "EMIT_EVENT", "config": {"eventName": "qa.loop.fired"}}])
    async with sessionmaker()() as s:
        outbox.emit(s, "qa.loop.fired", {"id": "start"}, tenant_id=me.tenant_id, organization_id=me.org_id)
        await s.commit()
    await dispatch_all()
    assert len(await _logs(me, rule_id)) == service.MAX_CHAIN_DEPTH
    async with sessionmaker()() as s:
        fired = (await s.execute(select(OutboxEvent).where(OutboxEvent.name == "qa.loop.fired",
                                                           OutboxEvent.tenant_id == me.tenant_id))).scalars().all()
    assert len(fired) == service.MAX_CHAIN_DEPTH + 1 and all(e.dispatched_at is not None for e in fired)


def test_which_events_can_trigger_rules() -> None:
    def event(name: str, tenant: str | None = "t", org: str | None = "o") -> DomainEvent:
        return DomainEvent("id", 0, name, tenant, org, {}, datetime.now(UTC))

    assert service.wants_event(event("customers.person.created"))
    assert service.wants_event(event("work_order.status_changed"))
    for name in ["query_index.updated", "search.reindex", "cache.invalidated", "business_rules.rule.created",
                 "workflows.instance.completed", "queue.job.done", ""]:
        assert not service.wants_event(event(name)), name
    assert not service.wants_event(event("sales.order.created", tenant=None))
    assert not service.wants_event(event("sales.order.created", org=None))
    assert ("*", events.run_rules_on_event) in manifest.subscribers()
