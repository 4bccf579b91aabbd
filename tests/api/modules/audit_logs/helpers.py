from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from api.db import sessionmaker
from api.modules.audit_logs.models import ActionLog
from api.outbox_models import OutboxEvent
from tests.fixtures import Caller

ACTIONS = "/api/audit_logs/audit-logs/actions"
ACCESS = "/api/audit_logs/audit-logs/access"
UNDO = ACTIONS + "/undo"
REDO = ACTIONS + "/redo"
TODOS = "/api/example/todos"
# A user who manages todos and may read, undo and redo its own actions.
ACTOR = ["example.todos.*", "audit_logs.view_self", "audit_logs.undo_self", "audit_logs.redo_self"]


def operation(r: httpx.Response) -> dict[str, Any]:
    return json.loads(r.headers["x-om-operation"])  # type: ignore[no-any-return]


async def todos(me: Caller, **params: str) -> list[dict[str, Any]]:
    r = await me.get(TODOS, params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def create_todo(me: Caller, title: str, **fields: Any) -> tuple[str, str]:
    """The new todo's id and the undo token of its creation."""
    r = await me.post(TODOS, json={"title": title, **fields})
    assert r.status_code == 201, r.text
    return r.json()["id"], operation(r)["undoToken"]


async def entry(log_id: str) -> ActionLog:
    async with sessionmaker()() as s:
        row = await s.get(ActionLog, log_id)
        assert row is not None
        return row


async def events(tenant_id: str, resource_id: str | None = None) -> list[OutboxEvent]:
    async with sessionmaker()() as s:
        rows = (await s.execute(
            select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id).order_by(OutboxEvent.seq)
        )).scalars().all()
    return [e for e in rows if resource_id is None or e.payload.get("id") == resource_id]


async def log_id_of(token: str) -> str:
    async with sessionmaker()() as s:
        return (await s.execute(select(ActionLog.id).where(ActionLog.undo_token == token))).scalar_one()
