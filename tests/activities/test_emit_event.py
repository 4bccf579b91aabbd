"""EMIT_EVENT: one outbox event per idempotency key, tenancy from the instance, payload enriched."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.exceptions import ApplicationError

from activities.deps import ActivityDeps
from activities.handlers import emit_event
from api.db import sessionmaker
from api.outbox_models import OutboxEvent
from tests.activities.conftest import activity_input


async def events(tenant_id: str) -> list[OutboxEvent]:
    async with sessionmaker()() as s:
        return list((await s.execute(select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id)
                                     .order_by(OutboxEvent.seq))).scalars())


async def test_emits_once_per_key(deps: ActivityDeps) -> None:
    inp = activity_input("EMIT_EVENT", {"eventName": "sales.order.approved",
                                        "payload": {"orderId": "o-1", "tenantId": "forged"}},
                         key="instance-1:0:notify:3", workflow_id="sales.order-approval")
    out = await emit_event.handle(inp, deps)
    workflow = {"workflowInstanceId": inp.instance_id, "workflowId": "sales.order-approval",
                "tenantId": inp.tenant_id, "organizationId": inp.organization_id}
    assert out == {"emitted": True, "eventName": "sales.order.approved",
                   "payload": {"orderId": "o-1", "tenantId": inp.tenant_id, "organizationId": inp.organization_id,
                               "_workflow": workflow}}
    assert await emit_event.handle(inp, deps) == out
    [event] = await events(inp.tenant_id)
    assert event.id == emit_event.event_id("instance-1:0:notify:3") and event.name == "sales.order.approved"
    assert event.organization_id == inp.organization_id and event.dispatched_at is None
    assert event.payload == out["payload"]


async def test_a_uuid_key_is_the_event_id_and_new_keys_emit_again(deps: ActivityDeps) -> None:
    tenant = str(uuid.uuid4())
    key = str(uuid.uuid4())
    await emit_event.handle(activity_input("EMIT_EVENT", {"eventName": "a.b"}, tenant_id=tenant, key=key), deps)
    await emit_event.handle(activity_input("EMIT_EVENT", {"eventName": "a.b"}, tenant_id=tenant), deps)
    first, second = await events(tenant)
    assert first.id == key and second.id != key


async def test_refusals(deps: ActivityDeps) -> None:
    cases: dict[str, dict[str, Any]] = {
        'EMIT_EVENT requires "eventName" field': {"payload": {}},
        'EMIT_EVENT "payload" must be an object': {"eventName": "a.b", "payload": [1]},
        "EMIT_EVENT eventName must be 1-200 characters": {"eventName": "x" * 201},
    }
    for message, config in cases.items():
        inp = activity_input("EMIT_EVENT", config)
        with pytest.raises(ApplicationError) as info:
            await emit_event.handle(inp, deps)
        assert info.value.message == message and info.value.non_retryable
        assert await events(inp.tenant_id) == []
