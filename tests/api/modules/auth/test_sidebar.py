"""The sidebar: navigation filtered by features, shaped by role and personal preferences."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api import manifest
from api.db import sessionmaker
from api.modules.auth.models import UserSidebarPreference
from tests.fixtures import Caller, World

NAV_URL = "/api/auth/admin/nav"
PREFS = "/api/auth/sidebar/preferences"


async def _nav(caller: Caller, **kw: Any) -> dict[str, Any]:
    r = await caller.get(NAV_URL, **kw)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _hrefs(nav: dict[str, Any]) -> list[str]:
    return [i["href"] for g in nav["groups"] for i in g["items"]]


async def test_nav_follows_features(world: World) -> None:
    admin = await world.admin()
    viewer = await world.user(["example.todos.view", "auth.users.list"])
    nobody = await world.user([])
    full = await _nav(admin)
    assert {"/backend/users", "/backend/roles", "/backend/directory/organizations", "/backend/todos",
            "/backend/audit-logs", "/backend/api-keys"} <= set(_hrefs(full))
    for group in full["groups"]:
        assert set(group) == {"id", "name", "defaultName", "items"} and group["name"] == group["defaultName"]
        for item in group["items"]:
            assert set(item) == {"href", "title", "defaultTitle", "enabled"} and item["enabled"] is True
    assert sorted(_hrefs(await _nav(viewer))) == ["/backend/todos", "/backend/users"]
    assert (await _nav(nobody))["groups"] == []


async def test_modules_contribute_entries_through_their_manifest(world: World,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    admin = await world.admin()
    extra = manifest.Module("tests", "Tests", navigation=(manifest.NavEntry(
        "/backend/test-only", "Test Only", group_id="zz_tests", group_name="Tests",
        features=("tests.only.view",), group_order=10_000),))
    loaded = manifest.modules()
    monkeypatch.setattr(manifest, "modules", lambda: (*loaded, extra))
    nav = await _nav(admin)
    assert nav["groups"][-1]["id"] == "zz_tests" and _hrefs(nav)[-1] == "/backend/test-only"
    assert "/backend/test-only" not in _hrefs(await _nav(await world.user(["auth.*"])))


async def test_preferences_roundtrip_and_shape_the_nav(world: World) -> None:
    me = await world.admin()
    r = await me.get(PREFS)
    assert r.status_code == 200
    assert r.json()["settings"] == {"version": 1, "groupOrder": [], "groupLabels": {}, "itemLabels": {},
                                    "hiddenItems": []}
    assert r.json()["locale"] == "en" and r.json()["canApplyToRoles"] is True
    settings = {"version": 1, "groupOrder": ["example", "auth", "auth"], "groupLabels": {"auth": " People "},
                "itemLabels": {"/backend/users": "Team"}, "hiddenItems": ["/backend/roles", "/backend/roles"]}
    r = await me.put(PREFS, json=settings)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["settings"] == {"version": 1, "groupOrder": ["example", "auth"], "groupLabels": {"auth": "People"},
                                "itemLabels": {"/backend/users": "Team"}, "hiddenItems": ["/backend/roles"]}
    assert body["appliedRoles"] == [] and body["clearedRoles"] == []
    assert set(body) == {"locale", "settings", "canApplyToRoles", "roles", "appliedRoles", "clearedRoles"}
    assert (await me.get(PREFS)).json()["settings"] == body["settings"]

    nav = await _nav(me)
    assert [g["id"] for g in nav["groups"]][:2] == ["example", "auth"]
    auth = next(g for g in nav["groups"] if g["id"] == "auth")
    assert auth["name"] == "People" and auth["defaultName"] == "Auth"
    users = next(i for i in auth["items"] if i["href"] == "/backend/users")
    assert users["title"] == "Team" and users["defaultTitle"] == "Users"
    assert "/backend/roles" not in _hrefs(nav)
    # Another locale keeps its own preferences.
    other_locale = await _nav(me, headers={"Cookie": "locale=de"})
    assert "/backend/roles" in _hrefs(other_locale)
    # Saving again updates the one row.
    assert (await me.put(PREFS, json={"hiddenItems": []})).status_code == 200
    assert "/backend/roles" in _hrefs(await _nav(me))
    async with sessionmaker()() as s:
        count = (await s.execute(select(func.count()).select_from(UserSidebarPreference)
                                 .where(UserSidebarPreference.user_id == me.user_id))).scalar_one()
        assert count == 1


async def test_role_preferences_under_user_preferences(world: World) -> None:
    manager = await world.user(["*"])
    role_id = await world.role("desk", ["auth.users.list", "auth.roles.list", "example.todos.view"])
    member = await world.user(roles=[role_id])
    r = await manager.put(PREFS, json={"groupLabels": {"auth": "Staff"}, "itemLabels": {"/backend/todos": "Tasks"},
                                       "hiddenItems": ["/backend/roles"], "groupOrder": ["example"],
                                       "applyToRoles": [role_id]})
    assert r.status_code == 200, r.text
    assert r.json()["appliedRoles"] == [role_id]
    assert {"id": role_id, "name": "desk", "hasPreference": True} in r.json()["roles"]
    nav = await _nav(member)
    assert [g["id"] for g in nav["groups"]] == ["example", "auth"]
    assert _hrefs(nav) == ["/backend/todos", "/backend/users"]
    auth = nav["groups"][1]
    # The role's labels become the defaults its members see...
    assert auth["name"] == auth["defaultName"] == "Staff"
    # ...and the member's own preference wins over them.
    assert (await member.put(PREFS, json={"groupLabels": {"auth": "Mine"}, "groupOrder": ["auth"]})).status_code \
        == 200
    nav = await _nav(member)
    assert [g["id"] for g in nav["groups"]] == ["auth", "example"]
    assert nav["groups"][0]["name"] == "Mine" and nav["groups"][0]["defaultName"] == "Staff"
    assert nav["groups"][1]["items"][0]["title"] == "Tasks"
    # Clearing the role preference.
    r = await manager.put(PREFS, json={"clearRoleIds": [role_id]})
    assert r.json()["clearedRoles"] == [role_id]
    nav = await _nav(member)
    assert "/backend/roles" in _hrefs(nav) and nav["groups"][0]["defaultName"] == "Auth"


async def test_preferences_refusals(world: World, client: httpx.AsyncClient) -> None:
    plain = await world.user(["auth.users.list"])
    r = await plain.get(PREFS)
    assert r.json()["canApplyToRoles"] is False and r.json()["roles"] == []
    role_id = await world.role("somebody", [])
    r = await plain.put(PREFS, json={"hiddenItems": ["/backend/users"], "applyToRoles": [role_id]})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["auth.sidebar.manage"]
    assert (await plain.get(PREFS)).json()["settings"]["hiddenItems"] == []
    manager = await world.user(["auth.sidebar.manage"])
    foreign = await World(client).role("foreign", [])
    missing = str(uuid.uuid4())
    r = await manager.put(PREFS, json={"applyToRoles": [role_id, foreign, missing]})
    assert r.status_code == 400 and sorted(r.json()["missing"]) == sorted([foreign, missing])
    bad_bodies: list[Any] = [
        {"version": 0}, {"version": "1"}, {"groupOrder": "auth"}, {"groupOrder": [""]}, {"groupLabels": ["x"]},
        {"groupLabels": {"auth": ""}}, {"itemLabels": {"x": "y" * 121}}, {"hiddenItems": [1]},
        {"applyToRoles": ["not-a-uuid"]}, {"hiddenItems": ["x"] * 501}, [],
    ]
    for body in bad_bodies:
        r = await manager.put(PREFS, json=body)
        assert r.status_code == 400 and "error" in r.json(), body
    r = await manager.put(PREFS, content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert (await manager.get(PREFS)).json()["settings"]["hiddenItems"] == []
