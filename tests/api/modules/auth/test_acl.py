"""Grants: role and user ACLs, wildcard semantics end to end, feature checks and the catalogue."""

from __future__ import annotations

import json
import uuid

import httpx
from sqlalchemy import select

from api.db import sessionmaker
from api.modules.audit_logs.models import ActionLog
from api.modules.auth.models import RoleAcl, UserAcl
from tests.fixtures import World

ROLE_ACL = "/api/auth/roles/acl"
USER_ACL = "/api/auth/users/acl"
CHECK = "/api/auth/feature-check"


async def test_role_acl_read_write_and_sanitize(world: World) -> None:
    admin = await world.admin()
    role_id = (await admin.post("/api/auth/roles", json={"name": "Clerk"})).json()["id"]
    r = await admin.get(ROLE_ACL, params={"roleId": role_id})
    assert r.status_code == 200 and r.json() == {"isSuperAdmin": False, "features": [], "organizations": None}
    child = await world.org("Child")
    r = await admin.put(ROLE_ACL, json={"roleId": role_id, "features": ["example.todos.view", "made.up.feature",
                                                                         "example.todos.view", "auth.*"],
                                        "organizations": [child, str(uuid.uuid4())]})
    assert r.status_code == 200 and r.json() == {"ok": True, "sanitized": True}
    acl = (await admin.get(ROLE_ACL, params={"roleId": role_id})).json()
    assert acl == {"isSuperAdmin": False, "features": ["example.todos.view", "auth.*"], "organizations": [child]}
    # Keys left out keep their value; a clean list reports sanitized false.
    r = await admin.put(ROLE_ACL, json={"roleId": role_id, "features": ["example.todos.manage"]})
    assert r.json() == {"ok": True, "sanitized": False}
    acl = (await admin.get(ROLE_ACL, params={"roleId": role_id})).json()
    assert acl["features"] == ["example.todos.manage"] and acl["organizations"] == [child]
    assert (await admin.put(ROLE_ACL, json={"roleId": role_id, "organizations": None})).status_code == 200
    assert (await admin.get(ROLE_ACL, params={"roleId": role_id})).json()["organizations"] is None
    async with sessionmaker()() as s:
        logs = (await s.execute(select(ActionLog).where(ActionLog.resource_kind == "auth.role_acl",
                                                        ActionLog.resource_id == role_id))).scalars().all()
        assert len(logs) == 3
    # Errors.
    assert (await admin.get(ROLE_ACL)).status_code == 400
    r = await admin.get(ROLE_ACL, params={"roleId": "nope"})
    assert r.status_code == 400 and r.json()["error"] == "Invalid role id"
    assert (await admin.get(ROLE_ACL, params={"roleId": str(uuid.uuid4())})).status_code == 404
    assert (await admin.put(ROLE_ACL, json={"roleId": str(uuid.uuid4()), "features": []})).status_code == 404
    for body in [{}, {"features": []}, {"roleId": role_id, "features": "auth.*"}, {"roleId": role_id,
                 "features": [1]}, {"roleId": role_id, "isSuperAdmin": "yes"}, {"roleId": role_id,
                 "organizations": "all"}, {"roleId": "nope"}]:
        r = await admin.put(ROLE_ACL, json=body)
        assert r.status_code == 400, (body, r.text)
    r = await admin.put(ROLE_ACL, content=b"{x", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert (await admin.get(ROLE_ACL, params={"roleId": role_id})).json()["features"] == ["example.todos.manage"]


async def test_only_super_admins_grant_super_admin(world: World) -> None:
    admin = await world.admin()  # feature "*", but not a super administrator
    boss = await world.user(super_admin=True)
    role_id = await world.role("plain", [])
    target = await world.user([])
    r = await admin.put(ROLE_ACL, json={"roleId": role_id, "isSuperAdmin": True})
    assert r.status_code == 403
    r = await admin.put(USER_ACL, json={"userId": target.user_id, "isSuperAdmin": True})
    assert r.status_code == 403
    assert (await admin.get(ROLE_ACL, params={"roleId": role_id})).json()["isSuperAdmin"] is False
    assert (await admin.get(USER_ACL, params={"userId": target.user_id})).json()["hasCustomAcl"] is False
    r = await boss.put(ROLE_ACL, json={"roleId": role_id, "isSuperAdmin": True})
    assert r.status_code == 200
    assert (await admin.get(ROLE_ACL, params={"roleId": role_id})).json()["isSuperAdmin"] is True
    # And what a super administrator set, others cannot take back.
    assert (await admin.put(ROLE_ACL, json={"roleId": role_id, "isSuperAdmin": False})).status_code == 403
    assert (await admin.put(ROLE_ACL, json={"roleId": role_id, "features": []})).status_code == 403
    r = await boss.put(USER_ACL, json={"userId": target.user_id, "isSuperAdmin": True})
    assert r.status_code == 200
    assert (await target.get("/api/auth/users")).status_code == 200  # super admins pass every check


async def test_grants_stay_within_the_callers_own(world: World) -> None:
    acl_manager = await world.user(["auth.acl.manage", "example.todos.view"])
    role_id = await world.role("plain", [])
    r = await acl_manager.put(ROLE_ACL, json={"roleId": role_id, "features": ["*"]})
    assert r.status_code == 403 and r.json()["features"] == ["*"]
    r = await acl_manager.put(ROLE_ACL, json={"roleId": role_id, "features": ["example.todos.view"]})
    assert r.status_code == 200
    # Own ACL cannot be widened either.
    r = await acl_manager.put(USER_ACL, json={"userId": acl_manager.user_id, "features": ["auth.*"]})
    assert r.status_code == 403
    # A caller limited to some organizations cannot grant all of them.
    child = await world.org("Child")
    local = await world.user(["auth.acl.manage"], organizations=[child], org_id=child)
    other = await world.user([], org_id=child)
    r = await local.put(USER_ACL, json={"userId": other.user_id, "features": ["auth.acl.manage"]})
    assert r.status_code == 403
    r = await local.put(USER_ACL, json={"userId": other.user_id, "features": ["auth.acl.manage"],
                                        "organizations": [child]})
    assert r.status_code == 200


async def test_a_deleted_roles_grant_goes_with_it_and_comes_back_with_its_undo(world: World) -> None:
    admin = await world.admin()
    role_id = (await admin.post("/api/auth/roles", json={"name": "Clerk"})).json()["id"]
    assert (await admin.put(ROLE_ACL, json={"roleId": role_id, "features": ["example.todos.view"]})).status_code == 200
    r = await admin.delete("/api/auth/roles", params={"id": role_id})
    assert r.status_code == 200, r.text
    async with sessionmaker()() as s:
        assert (await s.execute(select(RoleAcl).where(RoleAcl.role_id == role_id))).first() is None
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    assert (await admin.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})).status_code == 200
    acl = (await admin.get(ROLE_ACL, params={"roleId": role_id})).json()
    assert acl == {"isSuperAdmin": False, "features": ["example.todos.view"], "organizations": None}


async def test_user_acl_overrides_roles(world: World) -> None:
    admin = await world.admin()
    target = await world.user(["example.todos.view"])
    r = await admin.get(USER_ACL, params={"userId": target.user_id})
    assert r.json() == {"hasCustomAcl": False, "isSuperAdmin": False, "features": [], "organizations": None}
    r = await admin.put(USER_ACL, json={"userId": target.user_id, "features": ["auth.users.list", "bogus.x"]})
    assert r.status_code == 200 and r.json() == {"ok": True, "sanitized": True}
    r = await admin.get(USER_ACL, params={"userId": target.user_id})
    assert r.json() == {"hasCustomAcl": True, "isSuperAdmin": False, "features": ["auth.users.list"],
                        "organizations": None}
    # The user's own grant replaces the role's.
    r = await target.post(CHECK, json={"features": ["auth.users.list", "example.todos.view"]})
    assert r.json() == {"ok": False, "granted": ["auth.users.list"]}
    # Clearing it hands the user back to the role.
    r = await admin.put(USER_ACL, json={"userId": target.user_id, "features": []})
    assert r.status_code == 200 and r.json()["sanitized"] is False
    assert (await admin.get(USER_ACL, params={"userId": target.user_id})).json()["hasCustomAcl"] is False
    r = await target.post(CHECK, json={"features": ["auth.users.list", "example.todos.view"]})
    assert r.json() == {"ok": False, "granted": ["example.todos.view"]}
    async with sessionmaker()() as s:
        assert (await s.execute(select(UserAcl).where(UserAcl.user_id == target.user_id))).first() is None
    for body in [{}, {"userId": "nope"}, {"userId": target.user_id, "features": "x"},
                 {"userId": target.user_id, "isSuperAdmin": 1}]:
        assert (await admin.put(USER_ACL, json=body)).status_code == 400, body
    assert (await admin.get(USER_ACL)).status_code == 400
    assert (await admin.get(USER_ACL, params={"userId": "x"})).status_code == 400
    assert (await admin.get(USER_ACL, params={"userId": str(uuid.uuid4())})).status_code == 404


async def test_wildcards_end_to_end(world: World) -> None:
    admin = await world.admin()
    role_id = await world.role("module-admin", [])
    member = await world.user(roles=[role_id])
    assert (await member.get("/api/auth/users")).status_code == 403
    assert (await admin.put(ROLE_ACL, json={"roleId": role_id, "features": ["auth.*"]})).status_code == 200
    assert (await member.get("/api/auth/users")).status_code == 200
    assert (await member.get("/api/auth/roles")).status_code == 200
    assert (await member.get("/api/auth/features")).status_code == 200
    assert (await member.get("/api/example/todos")).status_code == 403
    r = await member.post(CHECK, json={"features": ["auth.users.delete", "auth", "authx.y", "example.todos.view"]})
    assert r.json() == {"ok": False, "granted": ["auth.users.delete", "auth"]}
    assert (await admin.put(ROLE_ACL, json={"roleId": role_id, "features": ["*"]})).status_code == 200
    assert (await member.get("/api/example/todos")).status_code == 200
    r = await member.post(CHECK, json={"features": ["anything.at.all", "example.todos.manage"]})
    assert r.json() == {"ok": True, "granted": ["anything.at.all", "example.todos.manage"]}
    async with sessionmaker()() as s:
        acl = (await s.execute(select(RoleAcl).where(RoleAcl.role_id == role_id))).scalars().one()
        assert acl.features_json == ["*"]


async def test_feature_check_validation(world: World, client: httpx.AsyncClient) -> None:
    me = await world.user(["example.todos.view"])
    assert (await me.post(CHECK, json={"features": []})).json() == {"ok": True, "granted": []}
    for body in [{}, {"features": "example.todos.view"}, {"features": [1]}, []]:
        r = await me.post(CHECK, json=body)
        assert r.status_code == 400 and "error" in r.json(), body
    assert (await client.post(CHECK, json={"features": []})).status_code == 401


async def test_feature_catalogue(world: World) -> None:
    admin = await world.user(["auth.acl.manage"])
    body = (await admin.get("/api/auth/features")).json()
    ids = {i["id"]: i for i in body["items"]}
    for fid in ["auth.acl.manage", "auth.roles.list", "auth.roles.manage", "auth.users.list", "auth.users.create",
                "auth.users.edit", "auth.users.delete", "auth.sidebar.manage", "example.todos.view"]:
        assert fid in ids, fid
    assert ids["auth.users.list"]["module"] == "auth" and ids["auth.users.list"]["title"]
    modules = {m["id"]: m["title"] for m in body["modules"]}
    assert modules["auth"] == "Authentication & Accounts" and "example" in modules
    assert all(i["module"] in modules for i in body["items"])
