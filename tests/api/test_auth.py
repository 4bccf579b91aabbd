"""The caller cache of api/auth.py: a signed-in caller is resolved once per few seconds, and every write to
the tables a caller is built from (users, roles, ACLs, organizations) is seen by the next request."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import update

from api import auth
from api.db import sessionmaker, utcnow
from api.modules.auth.models import RoleAcl, User
from tests.fixtures import World, statements

CHECK = "/api/auth/feature-check"


async def granted(caller: Any, *features: str) -> list[str]:
    r = await caller.post(CHECK, json={"features": list(features)})
    assert r.status_code == 200, r.text
    return list(r.json()["granted"])


async def test_a_caller_is_resolved_once_and_its_copy_is_its_own(world: World) -> None:
    me = await world.user(["example.todos.view"])
    await granted(me, "example.todos.view")
    with statements() as seen:
        assert await granted(me, "example.todos.view") == ["example.todos.view"]
    assert not [s for s in seen if "FROM users" in s or "FROM role_acls" in s]
    # Each request gets a copy: changing one (as the super-admin tenant switch does) leaves the cache alone.
    remembered = auth._callers.get((me.user_id, 0, None, None))  # (user, token version, tenant, organization)
    assert remembered is not None
    remembered[0].features.clear()
    assert await granted(me, "example.todos.view") == []
    auth.forget_callers()
    assert await granted(me, "example.todos.view") == ["example.todos.view"]


async def test_requests_that_find_the_caller_forgotten_together_resolve_it_once(world: World) -> None:
    me = await world.user(["example.todos.view"])
    await granted(me, "example.todos.view")
    auth.forget_callers()  # as when the entry's few seconds ran out with requests in flight
    with statements() as seen:
        answers = await asyncio.gather(*(granted(me, "example.todos.view") for _ in range(10)))
    assert answers == [["example.todos.view"]] * 10
    assert len([s for s in seen if "FROM users" in s]) == 1


async def test_writes_to_grants_users_and_organizations_are_seen_at_once(world: World) -> None:
    me = await world.user(["example.todos.view"])
    assert await granted(me, "example.todos.view", "example.todos.manage") == ["example.todos.view"]
    # A bulk UPDATE through another session of this process.
    async with sessionmaker()() as s:
        role_ids = [r for (r,) in (await s.execute(
            RoleAcl.__table__.select().with_only_columns(RoleAcl.role_id).where(RoleAcl.tenant_id == me.tenant_id)))]
        await s.execute(update(RoleAcl).where(RoleAcl.role_id.in_(role_ids))
                        .values(features_json=["example.todos.view", "example.todos.manage"]))
        await s.commit()
    assert await granted(me, "example.todos.view", "example.todos.manage") == [
        "example.todos.view", "example.todos.manage"]
    # A unit-of-work change: the user is deleted.
    async with sessionmaker()() as s:
        user = await s.get(User, me.user_id)
        assert user is not None
        user.deleted_at = utcnow()
        await s.commit()
    r = await me.post(CHECK, json={"features": ["example.todos.view"]})
    assert r.status_code == 401


async def test_remembered_callers_expire(world: World, monkeypatch: Any) -> None:
    me = await world.user(["example.todos.view"])
    await granted(me, "example.todos.view")
    monkeypatch.setattr(auth, "CALLER_TTL_SECONDS", -1.0)
    auth.forget_callers()
    await granted(me, "example.todos.view")
    with statements() as seen:
        await granted(me, "example.todos.view")
    assert [s for s in seen if "FROM users" in s]
