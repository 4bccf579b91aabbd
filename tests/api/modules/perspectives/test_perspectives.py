"""Perspectives over HTTP: personal views per table, defaults, role views, access and tenancy."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select

from api.db import sessionmaker
from api.modules.perspectives.models import Perspective, RolePerspective
from tests.fixtures import World

URL = "/api/perspectives/customers.people"
SETTINGS = {"columnOrder": ["name", "email"], "columnVisibility": {"email": False},
            "filters": {"status": ["active"]}, "sorting": [{"id": "name", "desc": True}], "pageSize": 25,
            "searchValue": "ann"}


async def _count(model: type[Perspective] | type[RolePerspective], **where: str) -> int:
    async with sessionmaker()() as s:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return int((await s.execute(stmt)).scalar_one())


async def test_save_list_update_default_and_delete(world: World) -> None:
    me = await world.user(["perspectives.use"])
    r = await me.get(URL)
    assert r.status_code == 200, r.text
    assert r.json() == {"tableId": "customers.people", "perspectives": [], "defaultPerspectiveId": None,
                        "rolePerspectives": [], "roles": [{"id": r.json()["roles"][0]["id"],
                                                           "name": r.json()["roles"][0]["name"],
                                                           "hasPerspective": False, "hasDefault": False}],
                        "canApplyToRoles": False}

    r = await me.post(URL, json={"name": "Active", "settings": {**SETTINGS, "unknown": 1}, "isDefault": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"perspective", "rolePerspectives", "clearedRoleIds"}
    first = body["perspective"]
    assert first["name"] == "Active" and first["tableId"] == "customers.people" and first["isDefault"] is True
    assert first["settings"] == SETTINGS
    assert set(first) == {"id", "name", "tableId", "settings", "isDefault", "createdAt", "updatedAt"}
    assert body["rolePerspectives"] == [] and body["clearedRoleIds"] == []
    assert "x-om-operation" in r.headers

    # Saving under the same name updates; a second default takes the flag from the first.
    r = await me.post(URL, json={"name": "Active", "settings": {"pageSize": 10}})
    assert r.status_code == 200 and r.json()["perspective"]["id"] == first["id"]
    assert r.json()["perspective"]["settings"] == {"pageSize": 10} and r.json()["perspective"]["isDefault"] is True
    r = await me.post(URL, json={"name": "Mine", "settings": {}, "isDefault": True})
    second = r.json()["perspective"]
    state = (await me.get(URL)).json()
    assert [p["id"] for p in state["perspectives"]] == [second["id"], first["id"]]
    assert state["defaultPerspectiveId"] == second["id"]
    assert [p["isDefault"] for p in state["perspectives"]] == [True, False]

    # Rename by id; another table is another list.
    r = await me.post(URL, json={"perspectiveId": first["id"], "name": "Renamed", "settings": {}})
    assert r.status_code == 200 and r.json()["perspective"]["name"] == "Renamed"
    assert (await me.get("/api/perspectives/other")).json()["perspectives"] == []

    r = await me.delete(f"{URL}/{first['id']}")
    assert r.status_code == 200 and r.json() == {"success": True}
    assert [p["id"] for p in (await me.get(URL)).json()["perspectives"]] == [second["id"]]
    assert (await me.delete(f"{URL}/{first['id']}")).status_code == 404
    # The name is free again after the delete.
    assert (await me.post(URL, json={"name": "Renamed", "settings": {}})).status_code == 200


async def test_perspectives_are_personal_and_tenant_scoped(world: World) -> None:
    me = await world.user(["perspectives.use"])
    colleague = await world.user(["perspectives.use"])
    other = await World(world.client).setup()
    stranger = await other.user(["perspectives.use"])
    pid = (await me.post(URL, json={"name": "Mine", "settings": {}})).json()["perspective"]["id"]
    assert (await colleague.get(URL)).json()["perspectives"] == []
    assert (await stranger.get(URL)).json()["perspectives"] == []
    assert (await colleague.delete(f"{URL}/{pid}")).status_code == 404
    assert (await stranger.delete(f"{URL}/{pid}")).status_code == 404
    r = await stranger.post(URL, json={"perspectiveId": pid, "name": "Stolen", "settings": {}})
    assert r.status_code == 404
    assert (await me.get(URL)).json()["perspectives"][0]["name"] == "Mine"


async def test_role_perspectives_apply_clear_and_reach_members(world: World) -> None:
    admin = await world.user(["perspectives.use", "perspectives.role_defaults"])
    sales = await world.role("sales", ["perspectives.use"])
    member = await world.user(roles=[sales])
    r = await admin.post(URL, json={"name": "Team view", "settings": {"pageSize": 50}, "applyToRoles": [sales],
                                    "setRoleDefault": True})
    assert r.status_code == 200, r.text
    [role_view] = r.json()["rolePerspectives"]
    assert role_view["roleId"] == sales and role_view["roleName"] == "sales" and role_view["isDefault"] is True
    assert role_view["settings"] == {"pageSize": 50} and role_view["tenantId"] == world.tenant_id
    assert role_view["organizationId"] == world.org_id

    state = (await admin.get(URL)).json()
    assert state["canApplyToRoles"] is True
    assert {"id": sales, "name": "sales", "hasPerspective": True, "hasDefault": True} in state["roles"]
    member_state = (await member.get(URL)).json()
    assert member_state["canApplyToRoles"] is False and member_state["perspectives"] == []
    assert [v["id"] for v in member_state["rolePerspectives"]] == [role_view["id"]]
    assert member_state["roles"] == [{"id": sales, "name": "sales", "hasPerspective": True, "hasDefault": True}]

    # Applying again under the same name updates the role's copy; clearing removes it.
    r = await admin.post(URL, json={"name": "Team view", "settings": {"pageSize": 20}, "applyToRoles": [sales]})
    assert r.json()["rolePerspectives"][0]["id"] == role_view["id"]
    r = await admin.post(URL, json={"name": "Team view", "settings": {}, "clearRoleIds": [sales]})
    assert r.status_code == 200 and r.json()["clearedRoleIds"] == [sales]
    assert (await member.get(URL)).json()["rolePerspectives"] == []

    await admin.post(URL, json={"name": "Again", "settings": {}, "applyToRoles": [sales]})
    r = await admin.delete(f"{URL}/roles/{sales}")
    assert r.status_code == 200 and r.json() == {"success": True}
    assert (await member.get(URL)).json()["rolePerspectives"] == []
    assert await _count(RolePerspective, role_id=sales) == 2  # soft-deleted, kept for the action log


async def test_role_changes_need_the_feature_and_roles_in_scope(world: World) -> None:
    user = await world.user(["perspectives.use"])
    role = await world.role("desk", [])
    r = await user.post(URL, json={"name": "X", "settings": {}, "applyToRoles": [role]})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["perspectives.role_defaults"]
    assert await _count(Perspective, user_id=user.user_id) == 0

    admin = await world.user(["perspectives.*"])
    foreign_role = await (await World(world.client).setup()).role("theirs", [])
    missing = str(uuid.uuid4())
    r = await admin.post(URL, json={"name": "X", "settings": {}, "applyToRoles": [role, foreign_role],
                                    "clearRoleIds": [missing]})
    assert r.status_code == 400 and r.json()["error"] == "Invalid roles"
    assert r.json()["missing"] == [foreign_role, missing]
    assert await _count(Perspective, user_id=admin.user_id) == 0
    assert await _count(RolePerspective, role_id=role) == 0

    assert (await admin.delete(f"{URL}/roles/{foreign_role}")).status_code == 404
    assert (await admin.delete(f"{URL}/roles/{missing}")).status_code == 404
    assert (await admin.delete(f"{URL}/roles/not-a-uuid")).status_code == 400
    r = await user.delete(f"{URL}/roles/{role}")
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["perspectives.role_defaults"]


async def test_auth_and_features(world: World, anonymous: httpx.AsyncClient) -> None:
    nobody = await world.user([])
    pid = str(uuid.uuid4())
    for method, url in (("GET", URL), ("POST", URL), ("DELETE", f"{URL}/{pid}")):
        r = await anonymous.request(method, url, json={"name": "x", "settings": {}} if method == "POST" else None)
        assert r.status_code == 401, (method, url)
        r = await nobody.client.request(method, url, headers=nobody._h(None),
                                        json={"name": "x", "settings": {}} if method == "POST" else None)
        assert r.status_code == 403 and r.json()["requiredFeatures"] == ["perspectives.use"], (method, url)
    assert (await anonymous.delete(f"{URL}/roles/{pid}")).status_code == 401


async def test_bad_input_is_refused_and_stores_nothing(world: World) -> None:
    me = await world.user(["perspectives.use"])
    bad_bodies = [
        {"settings": {}},
        {"name": "", "settings": {}},
        {"name": "x" * 121, "settings": {}},
        {"name": "x"},
        {"name": "x", "settings": {"pageSize": 0}},
        {"name": "x", "settings": {"pageSize": "10"}},
        {"name": "x", "settings": {"sorting": [{"desc": True}]}},
        {"name": "x", "settings": {"columnOrder": ["c"] * 121}},
        {"name": "x", "settings": {}, "perspectiveId": "nope"},
        {"name": "x", "settings": {}, "applyToRoles": ["nope"]},
        {"name": "x", "settings": {}, "isDefault": "yes"},
        [],
    ]
    for body in bad_bodies:
        r = await me.post(URL, json=body)
        assert r.status_code == 400, (body, r.text)
        assert "error" in r.json()
    r = await me.post(URL, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = await me.post(URL, json={"name": "x", "settings": {}, "perspectiveId": str(uuid.uuid4())})
    assert r.status_code == 404
    r = await me.post(URL, json={"name": "big", "settings": {"filters": {"q": "x" * 3_000_000}}})
    assert r.status_code == 413
    assert (await me.get("/api/perspectives/" + "t" * 201)).status_code == 400
    assert (await me.delete(f"{URL}/not-a-uuid")).status_code == 400
    assert await _count(Perspective, user_id=me.user_id) == 0
