"""Users and roles: CRUD conventions, tenancy, validation, audit and events."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from api.db import sessionmaker
from api.modules.audit_logs.models import ActionLog
from api.modules.auth.models import Role, RoleAcl, User, UserRole
from api.outbox_models import OutboxEvent
from tests.fixtures import PASSWORD, Caller, World

USERS = "/api/auth/users"
ROLES = "/api/auth/roles"


async def _events(resource_id: str) -> list[str]:
    async with sessionmaker()() as s:
        rows = (await s.execute(select(OutboxEvent).order_by(OutboxEvent.seq))).scalars().all()
        return [r.name for r in rows if r.payload.get("id") == resource_id]


async def _snapshot_users(caller: Caller) -> list[tuple[Any, ...]]:
    items = (await caller.get(USERS, params={"pageSize": 100})).json()["items"]
    return sorted((i["id"], i["email"], i["organizationId"], tuple(i["roles"])) for i in items)


async def test_user_crud(world: World, browser: httpx.AsyncClient) -> None:
    admin = await world.user(["auth.*", "example.*"])
    editor = await world.role("editor", ["example.todos.view"])
    child = await world.org("Child")
    r = await admin.post(USERS, json={"email": "New.Person@Example.com", "password": "first secret",
                                      "organizationId": child, "roles": ["editor"], "name": "New Person"})
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]
    assert r.json() == {"id": user_id}
    op = json.loads(r.headers["x-om-operation"])
    assert op["resourceKind"] == "auth.user" and op["resourceId"] == user_id and op["undoToken"]

    body = (await admin.get(USERS, params={"id": user_id})).json()
    assert set(body) >= {"items", "total", "page", "pageSize", "totalPages"} and body["total"] == 1
    item = body["items"][0]
    assert item["email"] == "new.person@example.com" and item["name"] == "New Person"
    assert item["organizationId"] == child and item["organizationName"] == "Child"
    assert item["tenantId"] == world.tenant_id and item["tenantName"].startswith("T-")
    assert item["roles"] == ["editor"] and item["roleIds"] == [editor]
    assert not any("password" in k.lower() for k in item)

    # The new user can sign in with the role's grants.
    r = await browser.post("/api/auth/login", data={"email": "new.person@example.com", "password": "first secret"})
    assert r.status_code == 200
    token = r.json()["token"]
    r = await browser.post("/api/auth/feature-check", json={"features": ["example.todos.view"]},
                           headers={"Authorization": f"Bearer {token}"})
    assert r.json() == {"ok": True, "granted": ["example.todos.view"]}

    # Filters and search.
    assert (await admin.get(USERS, params={"search": "new.person"})).json()["total"] == 1
    assert (await admin.get(USERS, params={"organizationId": child})).json()["total"] == 1
    assert [i["id"] for i in (await admin.get(USERS, params={"roleIds": editor})).json()["items"]] == [user_id]
    r = await admin.get(USERS, params={"roleIds": str(uuid.uuid4())})
    assert r.json()["total"] == 0 and r.json()["items"] == []
    assert (await admin.get(USERS, params={"roleIds": "nope"})).status_code == 400
    assert (await admin.get(USERS)).json()["total"] == 2

    # Update: email, password, roles, organization.
    other_role = await world.role("viewer", [])
    r = await admin.put(USERS, json={"id": user_id, "email": "renamed@example.com", "password": "second secret",
                                     "roles": ["viewer", editor], "organizationId": world.org_id})
    assert r.status_code == 200 and r.json() == {"ok": True}, r.text
    item = (await admin.get(USERS, params={"id": user_id})).json()["items"][0]
    assert item["email"] == "renamed@example.com" and item["organizationId"] == world.org_id
    assert sorted(item["roleIds"]) == sorted([editor, other_role])
    assert (await browser.post("/api/auth/login", data={"email": "renamed@example.com",
                                                         "password": "first secret"})).status_code == 401
    assert (await browser.post("/api/auth/login", data={"email": "renamed@example.com",
                                                         "password": "second secret"})).status_code == 200
    assert (await admin.put(USERS, json={"id": user_id, "roles": []})).status_code == 200
    assert (await admin.get(USERS, params={"id": user_id})).json()["items"][0]["roles"] == []

    # Delete (soft): gone from the list, cannot sign in, visible with withDeleted.
    r = await admin.delete(USERS, params={"id": user_id})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await admin.get(USERS, params={"id": user_id})).json()["total"] == 0
    assert (await admin.get(USERS, params={"id": user_id, "withDeleted": "true"})).json()["total"] == 1
    assert (await browser.post("/api/auth/login", data={"email": "renamed@example.com",
                                                         "password": "second secret"})).status_code == 401
    assert (await admin.delete(USERS, params={"id": user_id})).status_code == 404

    # Audited and evented, never with the password.
    assert await _events(user_id) == ["auth.user.created", "auth.user.updated", "auth.user.updated",
                                      "auth.user.deleted"]
    async with sessionmaker()() as s:
        logs = (await s.execute(select(ActionLog).where(ActionLog.resource_id == user_id)
                                .order_by(ActionLog.created_at))).scalars().all()
        events = (await s.execute(select(OutboxEvent))).scalars().all()
        assert [log.command_id for log in logs] == ["auth.user.create", "auth.user.update", "auth.user.update",
                                                    "auth.user.delete"]
        dump = json.dumps([[log.snapshot_before, log.snapshot_after, log.command_payload] for log in logs]
                          + [e.payload for e in events if e.payload.get("id") == user_id])
        assert "password" not in dump and "secret" not in dump and "argon2" not in dump
        assert logs[1].changes_json and "role_ids" in logs[1].changes_json
        stored = await s.get(User, user_id)
        assert stored is not None and stored.password_hash and stored.password_hash.startswith("$argon2")


async def test_user_rules(world: World) -> None:
    admin = await world.user(["auth.*"])
    taken = await world.user([])
    base = {"password": "good secret", "organizationId": world.org_id}
    r = await admin.post(USERS, json={**base, "email": taken.email.upper()})
    assert r.status_code == 409 and r.json()["error"] == "Email already in use"
    user_id = (await admin.post(USERS, json={**base, "email": "free@example-two.com"})).json()["id"]
    r = await admin.put(USERS, json={"id": user_id, "email": taken.email})
    assert r.status_code == 409
    # Own account: no self-deletion.
    r = await admin.delete(USERS, params={"id": admin.user_id})
    assert r.status_code == 400 and r.json()["error"] == "You cannot delete your own account"
    # Unknown roles are refused, `rolesCsv` works.
    r = await admin.post(USERS, json={**base, "email": "x1@example.com", "roles": ["no-such-role"]})
    assert r.status_code == 400 and "no-such-role" in json.dumps(r.json()["details"])
    await world.role("alpha", [])
    await world.role("beta", [])
    r = await admin.post(USERS, json={**base, "email": "x2@example.com", "rolesCsv": "alpha, beta"})
    assert r.status_code == 201
    item = (await admin.get(USERS, params={"id": r.json()["id"]})).json()["items"][0]
    assert item["roles"] == ["alpha", "beta"]
    # Organizations of other tenants, or outside the caller's scope, are refused.
    other = World(world.client)
    await other.setup()
    r = await admin.post(USERS, json={**base, "email": "x3@example.com", "organizationId": other.org_id})
    assert r.status_code == 403
    r = await admin.post(USERS, json={**base, "email": "x3@example.com", "tenantId": other.tenant_id})
    assert r.status_code == 403
    child = await world.org("Branch")
    sibling = await world.org("Sibling")
    local = await world.user(["auth.users.*"], org_id=child, organizations=[child])
    r = await local.post(USERS, json={**base, "email": "x4@example.com", "organizationId": sibling})
    assert r.status_code == 403
    assert (await local.post(USERS, json={**base, "email": "x4@example.com", "organizationId": child})).status_code \
        == 201
    listed = {i["email"] for i in (await local.get(USERS, params={"pageSize": 100})).json()["items"]}
    assert "x4@example.com" in listed and taken.email not in listed  # the root org is outside its scope
    # Not allowed to hand out grants the caller lacks, nor to touch a super administrator.
    powerful = await world.role("powerful", ["*"])
    limited = await world.user(["auth.users.*"])
    r = await limited.post(USERS, json={**base, "email": "x5@example.com", "roles": [powerful]})
    assert r.status_code == 403
    boss = await world.user(super_admin=True)
    assert (await limited.put(USERS, json={"id": boss.user_id, "password": "hijacked!"})).status_code == 403
    assert (await limited.delete(USERS, params={"id": boss.user_id})).status_code == 403
    r = await admin.post(ROLES, json={"name": "SuperAdmin"})
    assert r.status_code == 403


async def test_bad_user_bodies_are_400_and_change_nothing(world: World) -> None:
    admin = await world.user(["auth.*"])
    target = await world.user([])
    before = await _snapshot_users(admin)
    good = {"email": "ok@example.com", "password": "good secret", "organizationId": world.org_id}
    bad_creates: list[dict[str, Any]] = [
        {}, {k: v for k, v in good.items() if k != "email"}, {k: v for k, v in good.items() if k != "password"},
        {k: v for k, v in good.items() if k != "organizationId"}, {**good, "email": "not-an-email"},
        {**good, "email": 5}, {**good, "password": "short"}, {**good, "password": 12345678},
        {**good, "organizationId": "not-a-uuid"}, {**good, "roles": "admin"}, {**good, "roles": [1]},
        {**good, "name": ["x"]},
    ]
    for body in bad_creates:
        r = await admin.post(USERS, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Invalid input" and r.json()["details"]
    bad_updates: list[dict[str, Any]] = [
        {}, {"email": "a@example.com"}, {"id": "nope"}, {"id": target.user_id, "email": "bad"},
        {"id": target.user_id, "password": "123"}, {"id": target.user_id, "roles": {"a": 1}},
        {"id": 42},
    ]
    for body in bad_updates:
        r = await admin.put(USERS, json=body)
        assert r.status_code == 400, (body, r.text)
    for raw in [b"{not json", b"[1,2", b""]:
        for method in ("POST", "PUT"):
            r = await admin.client.request(method, USERS, content=raw, headers={
                "Authorization": f"Bearer {admin.token}", "Content-Type": "application/json"})
            assert r.status_code == 400 and "error" in r.json(), (method, raw)
    assert (await admin.delete(USERS)).status_code == 400
    assert (await admin.delete(USERS, params={"id": "not-a-uuid"})).status_code == 400
    assert (await admin.delete(USERS, params={"id": str(uuid.uuid4())})).status_code == 404
    assert (await admin.put(USERS, json={"id": str(uuid.uuid4()), "name": "x"})).status_code == 404
    for bad in [{"pageSize": "0"}, {"pageSize": "500"}, {"sortField": "password_hash"}, {"page": "x"}]:
        assert (await admin.get(USERS, params=bad)).status_code == 400, bad
    assert await _snapshot_users(admin) == before


async def test_role_crud(world: World) -> None:
    admin = await world.user(["auth.*"])
    r = await admin.post(ROLES, json={"name": "Support"})
    assert r.status_code == 201, r.text
    role_id = r.json()["id"]
    assert json.loads(r.headers["x-om-operation"])["resourceKind"] == "auth.role"
    await world.user(roles=[role_id])
    body = (await admin.get(ROLES, params={"search": "support"})).json()
    assert set(body) >= {"items", "total", "page", "pageSize", "totalPages"}
    item = body["items"][0]
    assert item["id"] == role_id and item["name"] == "Support" and item["usersCount"] == 1
    assert item["tenantId"] == world.tenant_id and item["tenantName"].startswith("T-")
    # Names are unique per tenant, whatever the case.
    assert (await admin.post(ROLES, json={"name": "support"})).status_code == 409
    second = (await admin.post(ROLES, json={"name": "Second"})).json()["id"]
    assert (await admin.put(ROLES, json={"id": second, "name": "SUPPORT"})).status_code == 409
    assert (await admin.put(ROLES, json={"id": role_id, "name": "Helpdesk"})).json() == {"ok": True}
    assert (await admin.get(ROLES, params={"id": role_id})).json()["items"][0]["name"] == "Helpdesk"
    # A role in use cannot go.
    r = await admin.delete(ROLES, params={"id": role_id})
    assert r.status_code == 400 and r.json()["error"] == "Role has assigned users"
    assert (await admin.get(ROLES, params={"id": role_id})).json()["total"] == 1
    r = await admin.delete(ROLES, params={"id": second})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await admin.get(ROLES, params={"id": second})).json()["total"] == 0
    assert (await admin.delete(ROLES, params={"id": second})).status_code == 404
    # Deleted users no longer hold a role up.
    holder = (await admin.get(USERS, params={"roleIds": role_id})).json()["items"][0]["id"]
    assert (await admin.delete(USERS, params={"id": holder})).status_code == 200
    assert (await admin.get(ROLES, params={"id": role_id})).json()["items"][0]["usersCount"] == 0
    assert (await admin.delete(ROLES, params={"id": role_id})).status_code == 200
    assert await _events(second) == ["auth.role.created", "auth.role.deleted"]
    async with sessionmaker()() as s:
        assert (await s.execute(select(RoleAcl).where(RoleAcl.role_id == role_id))).first() is None


async def test_global_roles(world: World, client: httpx.AsyncClient) -> None:
    admin = await world.user(["auth.*", "example.todos.view"])
    boss = await world.user(super_admin=True)
    assert (await admin.post(ROLES, json={"name": "Everywhere", "tenantId": None})).status_code == 403
    name = f"global-{uuid.uuid4().hex[:6]}"
    r = await boss.post(ROLES, json={"name": name, "tenantId": None})
    assert r.status_code == 201, r.text
    global_id = r.json()["id"]
    other = await World(client).user(["auth.*"])
    for caller in (admin, other):
        item = (await caller.get(ROLES, params={"id": global_id})).json()["items"][0]
        assert item["tenantId"] is None and item["tenantName"] is None
        # Visible, usable, but only a super administrator changes it.
        assert (await caller.put(ROLES, json={"id": global_id, "name": "mine now"})).status_code == 403
        assert (await caller.delete(ROLES, params={"id": global_id})).status_code == 403
    # Each tenant grants a global role its own features.
    assert (await admin.put("/api/auth/roles/acl", json={"roleId": global_id,
                                                        "features": ["example.todos.view"]})).status_code == 200
    assert (await other.get("/api/auth/roles/acl", params={"roleId": global_id})).json()["features"] == []
    holder = await world.user(roles=[global_id])
    assert (await holder.post("/api/auth/feature-check", json={"features": ["example.todos.view"]})).json()["ok"]
    # Super administrators see other tenants' roles; tenant admins never do.
    tenant_role = (await admin.post(ROLES, json={"name": "Local"})).json()["id"]
    assert (await boss.get(ROLES, params={"id": tenant_role})).json()["total"] == 1
    assert (await other.get(ROLES, params={"id": tenant_role})).json()["total"] == 0


async def test_bad_role_bodies_are_400(world: World) -> None:
    admin = await world.user(["auth.*"])
    role_id = (await admin.post(ROLES, json={"name": "Keep"})).json()["id"]
    for body in [{}, {"name": ""}, {"name": "x"}, {"name": 5}, {"name": "y" * 101}, {"name": "ok", "tenantId": 7},
                 {"name": "ok", "tenantId": "nope"}]:
        r = await admin.post(ROLES, json=body)
        assert r.status_code == 400, (body, r.text)
    for body in [{}, {"name": "Renamed"}, {"id": role_id, "name": "x"}, {"id": role_id, "name": None},
                 {"id": "nope"}]:
        r = await admin.put(ROLES, json=body)
        assert r.status_code == 400, (body, r.text)
    r = await admin.post(ROLES, content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert (await admin.delete(ROLES)).status_code == 400
    items = (await admin.get(ROLES, params={"id": role_id})).json()["items"]
    assert [i["name"] for i in items] == ["Keep"]


async def test_tenants_cannot_touch_each_others_users_and_roles(world: World, client: httpx.AsyncClient) -> None:
    a = await world.user(["auth.*"])
    a_user = await world.user([])
    a_role = await world.role("a-role", ["example.todos.view"])
    b = await World(client).user(["*"])
    assert a_user.user_id not in {i["id"] for i in (await b.get(USERS, params={"pageSize": 100})).json()["items"]}
    assert (await b.get(USERS, params={"id": a_user.user_id})).json()["total"] == 0
    assert (await b.get(ROLES, params={"id": a_role})).json()["total"] == 0
    assert (await b.put(USERS, json={"id": a_user.user_id, "email": "stolen@example.com"})).status_code == 404
    assert (await b.delete(USERS, params={"id": a_user.user_id})).status_code == 404
    assert (await b.put(ROLES, json={"id": a_role, "name": "stolen"})).status_code == 404
    assert (await b.delete(ROLES, params={"id": a_role})).status_code == 404
    assert (await b.get("/api/auth/users/acl", params={"userId": a_user.user_id})).status_code == 404
    assert (await b.put("/api/auth/users/acl", json={"userId": a_user.user_id, "features": ["*"]})).status_code \
        == 404
    assert (await b.get("/api/auth/roles/acl", params={"roleId": a_role})).status_code == 404
    assert (await b.put("/api/auth/roles/acl", json={"roleId": a_role, "features": ["*"]})).status_code == 404
    # Nothing changed on A's side.
    item = (await a.get(USERS, params={"id": a_user.user_id})).json()["items"][0]
    assert item["email"] == a_user.email
    assert (await a.get("/api/auth/users/acl", params={"userId": a_user.user_id})).json()["hasCustomAcl"] is False
    assert (await a.get("/api/auth/roles/acl", params={"roleId": a_role})).json()["features"] == \
        ["example.todos.view"]
    async with sessionmaker()() as s:
        role = await s.get(Role, a_role)
        assert role is not None and role.name == "a-role"
        links = (await s.execute(select(UserRole).where(UserRole.user_id == a_user.user_id))).scalars().all()
        assert len(links) == 1


async def test_login_works_for_users_created_through_the_api(world: World, browser: httpx.AsyncClient) -> None:
    admin = await world.user(["auth.*"])
    r = await admin.post(USERS, json={"email": "fresh@example.com", "password": PASSWORD,
                                      "organizationId": world.org_id})
    assert r.status_code == 201
    r = await browser.post("/api/auth/login", data={"email": "fresh@example.com", "password": PASSWORD})
    assert r.status_code == 200


async def test_an_admin_without_an_organization_list_administers_every_organization(world: World) -> None:
    """An ACL whose organizations are null covers every organization of the tenant for administration;
    the organization the caller works in only narrows what lists show."""
    admin = await world.user(["auth.*", "directory.organizations.*"])
    r = await admin.post("/api/directory/organizations", json={"name": "Elsewhere"})
    assert r.status_code == 201, r.text
    elsewhere = r.json()["id"]
    r = await admin.post(USERS, json={"email": f"new-{elsewhere[:8]}@example.com", "password": "secret123",
                                      "organizationId": elsewhere})
    assert r.status_code == 201, r.text
    narrowed = await world.user(["auth.*"], organizations=[world.org_id])
    r = await narrowed.post(USERS, json={"email": f"no-{elsewhere[:8]}@example.com", "password": "secret123",
                                         "organizationId": elsewhere})
    assert r.status_code == 403


UNDO = "/api/audit_logs/audit-logs/actions/undo"


async def test_undoing_a_user_update_puts_its_roles_back_unless_they_changed_since(world: World) -> None:
    admin = await world.user(["auth.*", "audit_logs.*", "example.*"])
    other = await world.user(["auth.*", "audit_logs.*", "example.*"])
    editor = await world.role("editor", ["example.todos.view"])
    await world.role("viewer", ["example.todos.view"])
    r = await admin.post(USERS, json={"email": "rolled@example.com", "password": "first secret",
                                      "organizationId": world.org_id, "roles": ["editor"]})
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]

    async def roles() -> list[str]:
        return list((await admin.get(USERS, params={"id": user_id})).json()["items"][0]["roles"])

    r = await admin.put(USERS, json={"id": user_id, "name": "Rolled", "roles": ["viewer"]})
    assert r.status_code == 200 and await roles() == ["viewer"]
    undo = await admin.post(UNDO, json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    assert await roles() == ["editor"]
    assert (await admin.get(USERS, params={"id": user_id})).json()["items"][0]["roleIds"] == [editor]

    # Someone else changes the roles after this caller's change: its undo would overwrite theirs, so it is refused.
    r = await admin.put(USERS, json={"id": user_id, "roles": ["viewer"]})
    assert (await other.put(USERS, json={"id": user_id, "roles": ["editor", "viewer"]})).status_code == 200
    undo = await admin.post(UNDO, json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 400 and undo.json()["error"] == "The record has changed since this action"
    assert await roles() == ["editor", "viewer"]


async def test_undoing_a_password_change_does_not_bring_the_ended_sessions_back(world: World,
                                                                                 browser: httpx.AsyncClient) -> None:
    admin = await world.user(["auth.*", "audit_logs.*", "example.*"])
    r = await admin.post(USERS, json={"email": "held@example.com", "password": "first secret",
                                      "organizationId": world.org_id})
    user_id = r.json()["id"]
    token = (await browser.post("/api/auth/login", data={"email": "held@example.com",
                                                         "password": "first secret"})).json()["token"]

    async def signed_in() -> int:
        r = await browser.post("/api/auth/feature-check", json={"features": []},
                               headers={"Authorization": f"Bearer {token}"})
        return r.status_code

    assert await signed_in() == 200
    r = await admin.put(USERS, json={"id": user_id, "password": "second secret"})
    assert r.status_code == 200 and await signed_in() == 401
    undo = await admin.post(UNDO, json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    assert await signed_in() == 401


async def test_redoing_a_role_delete_is_refused_once_users_hold_it(world: World) -> None:
    admin = await world.user(["auth.*", "audit_logs.*"])
    r = await admin.post(ROLES, json={"name": "Night shift"})
    role_id = r.json()["id"]
    r = await admin.delete(ROLES, params={"id": role_id})
    assert r.status_code == 200, r.text
    undo = await admin.post(UNDO, json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    await world.user(roles=[role_id])  # given to someone while the delete stood undone

    redo = await admin.post("/api/audit_logs/audit-logs/actions/redo", json={"logId": undo.json()["logId"]})
    assert redo.status_code == 400, redo.text
    assert redo.json() == {"error": "Role has assigned users"}
    assert (await admin.get(ROLES, params={"id": role_id})).json()["items"][0]["usersCount"] == 1



async def test_a_login_since_an_update_does_not_block_its_undo_nor_is_undone(world: World,
                                                                           browser: httpx.AsyncClient) -> None:
    admin = await world.user(["auth.*", "audit_logs.*"])
    r = await admin.post(USERS, json={"email": "named@example.com", "password": "first secret",
                                      "organizationId": world.org_id, "name": "Before"})
    user_id = r.json()["id"]
    r = await admin.put(USERS, json={"id": user_id, "name": "After"})
    assert r.status_code == 200, r.text
    login = await browser.post("/api/auth/login", data={"email": "named@example.com", "password": "first secret"})
    assert login.status_code == 200, login.text

    undo = await admin.post(UNDO, json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    item = (await admin.get(USERS, params={"id": user_id})).json()["items"][0]
    assert item["name"] == "Before" and item["lastLoginAt"] is not None
