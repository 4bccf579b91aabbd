"""The kit test world's tools: `Kit` serves resources on a test's own app and makes its callers; the
functions read what a write left in the database, each with a fresh session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from api.crud import Resource, crud_router
from api.db import new_id, sessionmaker, utcnow
from api.modules.audit_logs.models import ActionLog
from api.outbox_models import OutboxEvent
from tests.api.crud.gadgets import EVERYTHING, Gadget
from tests.fixtures import Caller, World

GADGETS = "/api/crudkit/gadgets"
PARTS = "/api/crudkit/parts"
UNDO = "/api/audit_logs/audit-logs/actions/undo"


class Kit:
    """`serve(...)` mounts resources under `/api`; `world` is the test's tenant, `platform` the real app's
    client (for the audit log's undo, which the kit's resources are registered with)."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, platform: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client
        self.platform = platform
        self.world = World(client)

    def serve(self, *resources: Resource) -> None:
        for res in resources:
            self.app.include_router(crud_router(res), prefix="/api")

    async def user(self, features: list[str] | None = None, **kw: Any) -> Caller:
        return await self.world.user(EVERYTHING if features is None else features, **kw)

    async def stranger(self) -> Caller:
        """A caller of another tenant holding every feature."""
        return await World(self.client).user(["*"])


async def on_platform(kit: Kit, me: Caller, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST `body` to the real app as `me` (the audit log's undo and redo); the answer must be a 200."""
    r = await kit.platform.post(path, json=body, headers={"Authorization": f"Bearer {me.token}"})
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def make(me: Caller, path: str = GADGETS, **body: Any) -> str:
    r = await me.post(path, json={"name": "gadget", **body})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def seed(me: Caller, *rows: dict[str, Any]) -> list[str]:
    """Gadgets of the caller's tenant and organization written straight to the database, for tests about
    reading them (one transaction instead of a request each); created a millisecond apart, in order."""
    start = utcnow() - timedelta(minutes=1)
    made = [Gadget(id=new_id(), tenant_id=me.tenant_id, organization_id=me.org_id,
                   created_at=start + timedelta(milliseconds=n), updated_at=start, **{"name": "gadget", **row})
            for n, row in enumerate(rows)]
    async with sessionmaker()() as s:
        s.add_all(made)
        await s.commit()
    return [g.id for g in made]


async def seed_names(me: Caller, *names: str) -> list[str]:
    return await seed(me, *({"name": n} for n in names))


async def names(me: Caller, path: str = GADGETS, **params: Any) -> list[str]:
    r = await me.get(path, params=params)
    assert r.status_code == 200, r.text
    return [i["name"] for i in r.json()["items"]]


async def stored(model: type[Any], row_id: str) -> Any:
    """The row as the database has it now (None when absent)."""
    async with sessionmaker()() as s:
        return await s.get(model, row_id)


async def gadget_count(tenant_id: str) -> int:
    async with sessionmaker()() as s:
        return len((await s.execute(select(Gadget.id).where(Gadget.tenant_id == tenant_id))).all())


async def events(tenant_id: str) -> list[OutboxEvent]:
    async with sessionmaker()() as s:
        return list((await s.execute(
            select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id).order_by(OutboxEvent.seq))).scalars())


async def action_logs(tenant_id: str) -> list[ActionLog]:
    async with sessionmaker()() as s:
        return list((await s.execute(
            select(ActionLog).where(ActionLog.tenant_id == tenant_id).order_by(ActionLog.created_at))).scalars())


def problem(r: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body
