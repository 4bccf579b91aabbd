"""EMIT_EVENT: a domain event in the outbox, delivered by the worker's dispatcher like any other.

Config `{eventName, payload?: object}`. The stored payload is `{...payload, _workflow: {workflowInstanceId,
workflowId, tenantId, organizationId}}` with the instance's tenant and organization (tenancy comes from
the instance, never from the payload). Output `{emitted: true, eventName, payload}`.

The outbox event id is derived from the idempotency key, so a retried activity finds its event and does
not append a second one."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from activities.deps import ActivityDeps
from activities.handlers.common import fail, text
from api import outbox
from api.outbox_models import OutboxEvent
from engine.contract import RunActivityInput

MAX_NAME_LENGTH = 200
# Keys that are not UUIDs become one deterministically (the outbox id column holds 36 characters).
KEY_NAMESPACE = uuid.UUID("2f0f8a52-6a43-4a0e-9d53-4f1e3c3f7b11")


def event_id(idempotency_key: str) -> str:
    try:
        return str(uuid.UUID(idempotency_key))
    except ValueError:
        return str(uuid.uuid5(KEY_NAMESPACE, idempotency_key))


async def handle(inp: RunActivityInput, deps: ActivityDeps) -> dict[str, Any]:
    config = inp.config or {}
    name = text(config, "eventName")
    if name is None:
        raise fail('EMIT_EVENT requires "eventName" field')
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise fail(f"EMIT_EVENT eventName must be 1-{MAX_NAME_LENGTH} characters")
    payload = config.get("payload")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise fail('EMIT_EVENT "payload" must be an object')
    enriched = {
        **payload,
        "tenantId": inp.tenant_id,
        "organizationId": inp.organization_id,
        "_workflow": {
            "workflowInstanceId": inp.instance_id,
            "workflowId": inp.workflow_id or None,
            "tenantId": inp.tenant_id,
            "organizationId": inp.organization_id,
        },
    }
    event_key = event_id(inp.idempotency_key) if inp.idempotency_key else None
    try:
        async with deps.sessions() as session, session.begin():
            exists = event_key is not None and (await session.execute(
                select(OutboxEvent.seq).where(OutboxEvent.id == event_key)
            )).first() is not None
            if not exists:
                row = outbox.emit(session, name, enriched, tenant_id=inp.tenant_id,
                                  organization_id=inp.organization_id)
                if event_key is not None:
                    row.id = event_key
    except IntegrityError:
        # A concurrent attempt with the same key committed first: the event exists once, as wanted.
        pass
    return {"emitted": True, "eventName": name, "payload": enriched}
