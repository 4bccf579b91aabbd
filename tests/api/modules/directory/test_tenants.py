"""Tenants: super admins run the platform's tenants; a tenant administrator sees and edits only its own."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from api.db import sessionmaker
from api.modules.audit_logs.models import ActionLog
from api.modules.directory.models import Tenant
from api.outbox_models import OutboxEvent
from tests.fixtures import Caller, World

TENANTS = "/api/directory/tenants"
MANAGE = ["directory.tenants.view", "directory.tenants.manage"]


async def stored(tenant_id: str) -> Tenant:
    async with sessionmaker()() as s:
        tenant = await s.get(Tenant, tenant_id)
        assert tenant is not None
        return tenant


async def test_super_admin_creates_updates_deletes(world: World) -> None:
    boss = await world.user(super_admin=True)
    name = f"Acme {uuid.uuid4().hex[:8]}"
    r = await boss.post(TENANTS, json={"name": name})
    assert r.status_code == 201 and set(r.json()) == {"id"}
    tenant_id = r.json()["id"]
    op = json.loads(r.headers["x-om-operation"])
    assert op["resourceKind"] == "directory.tenant" and op["resourceId"] == tenant_id

    r = await boss.get(TENANTS, params={"id": tenant_id})
    body = r.json()
    assert r.status_code == 200 and set(body) == {"items", "total", "page", "pageSize", "totalPages"}
    assert (body["total"], body["page"], body["pageSize"], body["totalPages"]) == (1, 1, 50, 1)
    item = body["items"][0]
    assert set(item) == {"id", "name", "isActive", "createdAt", "updatedAt"}
    assert (item["id"], item["name"], item["isActive"]) == (tenant_id, name, True) and item["createdAt"]

    r = await boss.put(TENANTS, json={"id": tenant_id, "name": name + " Ltd", "isActive": False})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await stored(tenant_id)).name == name + " Ltd" and (await stored(tenant_id)).is_active is False

    r = await boss.delete(TENANTS, params={"id": tenant_id})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await stored(tenant_id)).deleted_at is not None
    assert (await boss.get(TENANTS, params={"id": tenant_id})).json()["total"] == 0
    assert (await boss.delete(TENANTS, json={"id": tenant_id})).status_code == 404

    async with sessionmaker()() as s:
        events = (await s.execute(select(OutboxEvent).where(OutboxEvent.name.like("directory.tenant.%"))
                                  .order_by(OutboxEvent.seq))).scalars().all()
        mine = [e.name for e in events if e.payload.get("id") == tenant_id]
        assert mine == ["directory.tenant.created", "directory.tenant.updated", "directory.tenant.deleted"]
        logs = (await s.execute(select(ActionLog).where(ActionLog.resource_id == tenant_id)
                                .order_by(ActionLog.created_at))).scalars().all()
        assert [e.command_id for e in logs] == ["directory.tenant.create", "directory.tenant.update",
                                                "directory.tenant.delete"]
        assert logs[1].changes_json is not None and logs[1].changes_json["is_active"] == {"from": True, "to": False}


async def test_super_admin_lists_sorts_and_filters_every_tenant(world: World) -> None:
    boss = await world.user(super_admin=True)
    tag = uuid.uuid4().hex[:8]
    ids = {}
    for name, active in [("b", True), ("a", True), ("c", False)]:
        ids[name] = (await boss.post(TENANTS, json={"name": f"{tag}-{name}", "isActive": active})).json()["id"]
    names = [i["name"] for i in (await boss.get(TENANTS, params={"search": tag})).json()["items"]]
    assert names == [f"{tag}-a", f"{tag}-b", f"{tag}-c"]
    r = await boss.get(TENANTS, params={"search": tag, "sortField": "name", "sortDir": "desc", "pageSize": 2})
    assert [i["name"] for i in r.json()["items"]] == [f"{tag}-c", f"{tag}-b"] and r.json()["totalPages"] == 2
    r = await boss.get(TENANTS, params={"search": tag, "isActive": "false"})
    assert [i["id"] for i in r.json()["items"]] == [ids["c"]]
    r = await boss.get(TENANTS, params={"search": tag, "sortField": "createdAt"})
    assert [i["id"] for i in r.json()["items"]] == [ids["b"], ids["a"], ids["c"]]
    for bad in [{"sortField": "secret"}, {"sortDir": "up"}, {"isActive": "maybe"}, {"pageSize": "101"}]:
        r = await boss.get(TENANTS, params=bad)
        assert r.status_code == 400 and r.json()["error"] == "Invalid input"


async def test_tenant_admin_sees_and_edits_only_its_own(client: httpx.AsyncClient, world: World) -> None:
    admin = await world.user(MANAGE)
    other = World(client)
    await other.setup()
    r = await admin.get(TENANTS)
    assert r.status_code == 200
    assert [i["id"] for i in r.json()["items"]] == [admin.tenant_id] and r.json()["total"] == 1
    assert (await admin.get(TENANTS, params={"id": other.tenant_id})).json()["total"] == 0
    assert (await admin.put(TENANTS, json={"id": admin.tenant_id, "name": "Renamed"})).json() == {"ok": True}
    assert (await stored(admin.tenant_id)).name == "Renamed"
    r = await admin.put(TENANTS, json={"id": other.tenant_id, "name": "Hijacked"})
    assert r.status_code == 404
    # Creating and deleting tenants is for super admins only, whatever the id.
    r = await admin.post(TENANTS, json={"name": "Side business"})
    assert r.status_code == 403 and "super administrators" in r.json()["error"]
    for target in (other.tenant_id, admin.tenant_id):
        r = await admin.delete(TENANTS, params={"id": target})
        assert r.status_code == 403
    assert (await stored(other.tenant_id)).name.startswith("T-")
    assert (await stored(other.tenant_id)).deleted_at is None and (await stored(admin.tenant_id)).deleted_at is None


async def test_bad_bodies_are_400_and_store_nothing(world: World) -> None:
    boss = await world.user(super_admin=True)
    before = await stored(boss.tenant_id)
    async with sessionmaker()() as s:
        count = len((await s.execute(select(Tenant.id))).all())
    bad_creates: list[Any] = [{}, {"name": ""}, {"name": 5}, {"name": None}, {"name": "x" * 201},
                              {"name": "x", "isActive": "yes"}, []]
    for body in bad_creates:
        r = await boss.post(TENANTS, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Invalid input" and r.json()["details"]
    bad_updates: list[Any] = [{}, {"name": "x"}, {"id": boss.tenant_id, "name": ""},
                              {"id": boss.tenant_id, "name": None}, {"id": boss.tenant_id, "isActive": None},
                              {"id": boss.tenant_id, "isActive": "no"}, {"id": 1}]
    for body in bad_updates:
        r = await boss.put(TENANTS, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Invalid input"
    for method in (boss.post, boss.put, boss.delete):
        r = await method(TENANTS, content=b"{oops", headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json() == {"error": "Invalid JSON body"}
    after = await stored(boss.tenant_id)
    assert (after.name, after.is_active, after.updated_at) == (before.name, before.is_active, before.updated_at)
    async with sessionmaker()() as s:
        assert len((await s.execute(select(Tenant.id))).all()) == count


async def test_features_are_required(world: World) -> None:
    viewer = await world.user(["directory.tenants.view"])
    # Super admins pass every feature check, so this one holds everything but the tenant features.
    nobody = await world.user(["directory.organizations.view", "directory.organizations.manage"])
    assert (await viewer.get(TENANTS)).status_code == 200
    cases: list[tuple[Caller, str, dict[str, Any]]] = [
        (viewer, "POST", {"json": {"name": "x"}}), (viewer, "PUT", {"json": {"id": viewer.tenant_id, "name": "x"}}),
        (viewer, "DELETE", {"params": {"id": viewer.tenant_id}}), (nobody, "GET", {}),
    ]
    for caller, method, kw in cases:
        r = await caller.client.request(method, TENANTS, headers={"Authorization": f"Bearer {caller.token}"}, **kw)
        assert r.status_code == 403, (method, r.text)
        assert r.json()["error"] == "Forbidden" and r.json()["requiredFeatures"]
        r = await world.client.request(method, TENANTS, **kw)
        assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}
    assert (await stored(viewer.tenant_id)).name.startswith("T-")
