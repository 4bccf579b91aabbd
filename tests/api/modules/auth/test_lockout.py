"""Nobody locks a tenant out: a change that would leave a tenant without a user able to manage users,
roles and grants is refused with 409, and nothing of it is stored."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from api.db import sessionmaker
from api.modules.auth.models import User, UserRole
from api.modules.auth.service import LOCKOUT
from tests.fixtures import PASSWORD, World

USERS = "/api/auth/users"
USER_ACL = "/api/auth/users/acl"
ROLE_ACL = "/api/auth/roles/acl"
MANAGE = ["auth.*"]


async def _role_ids(user_id: str) -> list[str]:
    async with sessionmaker()() as s:
        return sorted((await s.execute(select(UserRole.role_id).where(UserRole.user_id == user_id))).scalars())


async def test_the_last_manager_cannot_drop_their_own_roles(world: World) -> None:
    admin = await world.user(MANAGE)
    roles = await _role_ids(admin.user_id)
    r = await admin.put(USERS, json={"id": admin.user_id, "roles": []})
    assert r.status_code == 409 and r.json() == {"error": LOCKOUT}
    assert await _role_ids(admin.user_id) == roles
    # With a second manager, the same change is fine.
    await world.user(MANAGE)
    assert (await admin.put(USERS, json={"id": admin.user_id, "roles": []})).status_code == 200


async def test_the_last_manager_cannot_narrow_their_own_acl(world: World) -> None:
    admin = await world.user(MANAGE)
    r = await admin.put(USER_ACL, json={"userId": admin.user_id, "features": ["auth.users.list"]})
    assert r.status_code == 409 and r.json() == {"error": LOCKOUT}
    assert (await admin.get(USER_ACL, params={"userId": admin.user_id})).json()["hasCustomAcl"] is False
    # Clearing a user ACL hands the user back to their roles: still a manager.
    assert (await admin.put(USER_ACL, json={"userId": admin.user_id, "features": []})).status_code == 200


async def test_the_last_manager_cannot_be_deleted_or_demoted_by_someone_else(world: World) -> None:
    manager = await world.user(MANAGE)
    deleter = await world.user(["auth.users.delete", "auth.users.list"])
    r = await deleter.delete(USERS, params={"id": manager.user_id})
    assert r.status_code == 409 and r.json() == {"error": LOCKOUT}
    async with sessionmaker()() as s:
        assert (await s.get(User, manager.user_id)).deleted_at is None  # type: ignore[union-attr]
    editor = await world.user(["auth.users.edit", "auth.users.list"])
    assert (await editor.put(USERS, json={"id": manager.user_id, "roles": []})).status_code == 409


async def test_a_role_acl_cannot_take_management_from_the_last_managers(world: World) -> None:
    await world.setup()
    role = await world.role("managers", MANAGE)
    admin = await world.user(roles=[role])
    r = await admin.put(ROLE_ACL, json={"roleId": role, "features": ["auth.users.list"]})
    assert r.status_code == 409 and r.json() == {"error": LOCKOUT}
    acl = (await admin.get(ROLE_ACL, params={"roleId": role})).json()
    assert acl["features"] == MANAGE
    # Once someone else manages, the same narrowing is fine.
    await world.user(MANAGE)
    assert (await admin.put(ROLE_ACL, json={"roleId": role, "features": ["auth.users.list"]})).status_code == 200


async def test_a_tenant_without_managers_is_not_blocked(world: World) -> None:
    """The check protects managers that exist; it does not demand one where there never was one."""
    editor = await world.user(["auth.users.edit", "auth.users.list"])
    other = await world.user(["example.todos.view"])
    assert (await editor.put(USERS, json={"id": other.user_id, "name": "Renamed"})).status_code == 200


async def test_an_undo_that_would_leave_no_manager_is_refused(world: World, browser: httpx.AsyncClient) -> None:
    await world.setup()
    managers = await world.role("managers", MANAGE)
    editors = await world.role("editors", ["auth.users.edit", "auth.users.list", "audit_logs.undo_self"])
    manager = await world.user(roles=[managers, editors])
    promoted = await world.user([])
    before = await _role_ids(promoted.user_id)
    r = await manager.put(USERS, json={"id": promoted.user_id, "roles": ["managers"]})
    assert r.status_code == 200, r.text
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    # The role change ended the promoted user's session: signed in again, they take management from the one who
    # promoted them, who can still edit users.
    login = await browser.post("/api/auth/login", data={"email": promoted.email, "password": PASSWORD})
    promoted.token = login.json()["token"]
    assert (await promoted.put(USERS, json={"id": manager.user_id, "roles": ["editors"]})).status_code == 200
    login = await browser.post("/api/auth/login", data={"email": manager.email, "password": PASSWORD})
    manager.token = login.json()["token"]

    r = await manager.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})
    assert r.status_code == 409 and r.json() == {"error": LOCKOUT}
    assert await _role_ids(promoted.user_id) == [managers] != before
