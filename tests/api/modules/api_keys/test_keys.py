"""API keys: issuing (secret once, hash only at rest), listing, revoking, and what a caller may not
give a key."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from api.db import sessionmaker
from api.modules.api_keys.models import ApiKey
from api.modules.audit_logs.models import ActionLog
from api.outbox_models import OutboxEvent
from api.security import sha256
from tests.fixtures import Caller, World

KEYS = "/api/api_keys/keys"
ALL = ["api_keys.view", "api_keys.create", "api_keys.delete"]
SECRET = re.compile(r"^omk_[0-9a-f]{8}\.[0-9a-f]{48}$")


async def keys_of(tenant_id: str) -> list[ApiKey]:
    async with sessionmaker()() as s:
        return list((await s.execute(select(ApiKey).where(ApiKey.tenant_id == tenant_id)
                                     .order_by(ApiKey.created_at))).scalars().all())


async def issue(me: Caller, **body: Any) -> dict[str, Any]:
    r = await me.post(KEYS, json={"name": "CI", **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_create_list_delete(world: World) -> None:
    me = await world.user([*ALL, "example.todos.view"])
    reader = await world.role("reader", ["example.todos.view"])
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    r = await me.post(KEYS, json={"name": "CI", "description": "pipeline", "roles": ["reader"],
                                  "expiresAt": expires.isoformat()})
    assert r.status_code == 201, r.text
    created = r.json()
    assert set(created) == {"id", "name", "keyPrefix", "secret", "tenantId", "organizationId", "roles"}
    assert SECRET.match(created["secret"]) and created["keyPrefix"] == created["secret"][:12]
    assert (created["name"], created["tenantId"], created["organizationId"]) == ("CI", me.tenant_id, me.org_id)
    assert created["roles"] == [{"id": reader, "name": "reader"}]
    op = json.loads(r.headers["x-om-operation"])
    assert op["resourceKind"] == "api_keys.key" and op["resourceId"] == created["id"]

    [row] = await keys_of(me.tenant_id)
    assert row.key_hash == sha256(created["secret"]) and row.key_prefix == created["keyPrefix"]
    assert created["secret"] not in json.dumps([str(getattr(row, c)) for c in ApiKey.__table__.columns.keys()])
    assert row.roles_json == [reader] and row.created_by == me.user_id and row.description == "pipeline"

    r = await me.get(KEYS)
    body = r.json()
    assert r.status_code == 200 and set(body) == {"items", "total", "page", "pageSize", "totalPages"}
    assert (body["total"], body["page"], body["totalPages"]) == (1, 1, 1)
    assert body["items"] == [{
        "id": created["id"], "name": "CI", "description": "pipeline", "keyPrefix": created["keyPrefix"],
        "organizationId": me.org_id, "organizationName": "Root", "createdAt": body["items"][0]["createdAt"],
        "lastUsedAt": None, "expiresAt": body["items"][0]["expiresAt"], "roles": [{"id": reader, "name": "reader"}],
    }]
    assert datetime.fromisoformat(body["items"][0]["expiresAt"]).replace(tzinfo=UTC) == expires

    r = await me.delete(KEYS, params={"id": created["id"]})
    assert r.status_code == 200 and r.json() == {"success": True}
    assert (await me.get(KEYS)).json()["total"] == 0
    assert (await keys_of(me.tenant_id))[0].deleted_at is not None
    assert (await me.delete(KEYS, params={"id": created["id"]})).status_code == 404
    assert (await me.delete(KEYS)).status_code == 400


async def test_the_secret_never_reaches_audit_or_events(world: World) -> None:
    me = await world.user(ALL)
    created = await issue(me, description="for the audit")
    await me.delete(KEYS, params={"id": created["id"]})
    [row] = await keys_of(me.tenant_id)
    async with sessionmaker()() as s:
        logs = (await s.execute(select(ActionLog).where(ActionLog.resource_id == created["id"])
                                .order_by(ActionLog.created_at))).scalars().all()
        events = (await s.execute(select(OutboxEvent).where(OutboxEvent.tenant_id == me.tenant_id,
                                                            OutboxEvent.name.like("api_keys.%"))
                                  .order_by(OutboxEvent.seq))).scalars().all()
    assert [e.command_id for e in logs] == ["api_keys.key.create", "api_keys.key.delete"]
    assert [e.name for e in events] == ["api_keys.key.created", "api_keys.key.deleted"]
    assert events[0].payload["id"] == created["id"] and events[0].payload["keyPrefix"] == created["keyPrefix"]
    stored = json.dumps([[e.snapshot_before, e.snapshot_after, e.command_payload, e.changes_json] for e in logs]
                        + [e.payload for e in events])
    assert created["secret"] not in stored and row.key_hash not in stored and "key_hash" not in stored


async def test_roles_by_id_or_name_and_unknown_roles(client: httpx.AsyncClient, world: World) -> None:
    me = await world.user(["*"])
    one = await world.role("one", ["example.todos.view"])
    two = await world.role("two", ["example.todos.view"])
    created = await issue(me, roles=[one, "two", "one"])
    assert created["roles"] == [{"id": one, "name": "one"}, {"id": two, "name": "two"}]
    other = World(client)
    foreign = await (await other.setup()).role("foreign", [])
    for roles in (["nobody"], [foreign], ["foreign"]):
        r = await me.post(KEYS, json={"name": "x", "roles": roles})
        assert r.status_code == 400 and "not found" in r.json()["error"], r.text
    assert len(await keys_of(me.tenant_id)) == 1


async def test_a_key_cannot_get_more_than_its_creator_has(world: World) -> None:
    me = await world.user([*ALL, "example.todos.view"])
    viewer = await world.role("viewer", ["example.todos.view"])
    manager = await world.role("manager", ["example.todos.manage"])
    wide = await world.role("wide", ["example.*"])
    boss = await world.role("boss", [], super_admin=True)
    superadmin = await world.role("superadmin", [])
    assert (await me.post(KEYS, json={"name": "ok", "roles": [viewer]})).status_code == 201
    r = await me.post(KEYS, json={"name": "up", "roles": [viewer, manager]})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["example.todos.manage"]
    for role in (wide, boss, superadmin):
        r = await me.post(KEYS, json={"name": "up", "roles": [role]})
        assert r.status_code == 403, r.text
    assert [k.name for k in await keys_of(me.tenant_id)] == ["ok"]
    # A super admin may hand out anything.
    root = await world.user(super_admin=True)
    assert (await root.post(KEYS, json={"name": "all", "roles": [boss, manager]})).status_code == 201


async def test_key_organization_must_be_in_scope(world: World) -> None:
    await world.setup()
    child = await world.org("Child")
    grandchild = await world.org("Grandchild", child)
    me = await world.user(ALL, org_id=child)
    assert (await issue(me, organizationId=grandchild))["organizationId"] == grandchild
    r = await me.post(KEYS, json={"name": "x", "organizationId": world.org_id})
    assert r.status_code == 403
    r = await me.post(KEYS, json={"name": "x", "organizationId": "no-such-org"})
    assert r.status_code == 400 and r.json() == {"error": "Organization not found"}
    # A parent organization's manager sees the keys of the whole subtree; the child's user does not see up.
    admin = await world.user(ALL)
    up = await issue(admin)
    assert {k["organizationId"] for k in (await admin.get(KEYS)).json()["items"]} == {world.org_id, grandchild}
    assert (await me.delete(KEYS, params={"id": up["id"]})).status_code == 404


async def test_list_paging_and_search(world: World) -> None:
    me = await world.user(ALL)
    for name in ["alpha", "beta", "gamma"]:
        await issue(me, name=name)
    r = await me.get(KEYS, params={"pageSize": 2})
    body = r.json()
    assert [i["name"] for i in body["items"]] == ["gamma", "beta"] and body["totalPages"] == 2
    assert body["pageSize"] == 2
    assert [i["name"] for i in (await me.get(KEYS, params={"pageSize": 2, "page": 2})).json()["items"]] == ["alpha"]
    assert [i["name"] for i in (await me.get(KEYS, params={"search": "ET"})).json()["items"]] == ["beta"]
    prefix = (await me.get(KEYS, params={"search": "alpha"})).json()["items"][0]["keyPrefix"]
    assert [i["name"] for i in (await me.get(KEYS, params={"search": prefix})).json()["items"]] == ["alpha"]
    for bad in [{"page": "0"}, {"pageSize": "201"}, {"pageSize": "many"}]:
        r = await me.get(KEYS, params=bad)
        assert r.status_code == 400 and r.json()["error"] == "Invalid input"


async def test_bad_bodies_are_400_and_store_nothing(world: World) -> None:
    me = await world.user(ALL)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    bad: list[Any] = [{}, {"name": ""}, {"name": 5}, {"name": None}, {"name": "x" * 121},
                      {"name": "x", "roles": "admin"}, {"name": "x", "roles": [1]}, {"name": "x", "roles": [""]},
                      {"name": "x", "expiresAt": "someday"}, {"name": "x", "expiresAt": past},
                      {"name": "x", "description": 3}, {"name": "x", "organizationId": 9}, [], "x"]
    for body in bad:
        r = await me.post(KEYS, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Invalid input" and r.json()["details"], (body, r.text)
    r = await me.post(KEYS, content=b'{"name": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json() == {"error": "Invalid JSON body"}
    r = await me.delete(KEYS, content=b'{"id": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json() == {"error": "Invalid JSON body"}
    assert await keys_of(me.tenant_id) == []


async def test_other_tenants_keys_are_invisible(client: httpx.AsyncClient, world: World) -> None:
    a = await world.user(ALL)
    key = await issue(a)
    b = await World(client).user(["*"])
    assert (await b.get(KEYS)).json()["total"] == 0
    assert (await b.delete(KEYS, params={"id": key["id"]})).status_code == 404
    assert (await a.get(KEYS)).json()["total"] == 1
    assert (await keys_of(a.tenant_id))[0].deleted_at is None


async def test_features_are_required(world: World) -> None:
    me = await world.user(ALL)
    key = await issue(me)
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "api_keys.view", {}), ("POST", "api_keys.create", {"json": {"name": "x"}}),
        ("DELETE", "api_keys.delete", {"params": {"id": key["id"]}})]
    for method, feature, kw in cases:
        caller = await world.user([f for f in ALL if f != feature])
        r = await caller.client.request(method, KEYS, headers={"Authorization": f"Bearer {caller.token}"}, **kw)
        assert r.status_code == 403, (method, r.text)
        assert r.json() == {"error": "Forbidden", "requiredFeatures": [feature]}
        r = await world.client.request(method, KEYS, **kw)
        assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}
    assert [k.id for k in await keys_of(me.tenant_id) if k.deleted_at is None] == [key["id"]]
