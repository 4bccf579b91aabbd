"""The organization switcher: the tree the caller may switch within, its current choice, and the
tenants a super admin may switch to."""

from __future__ import annotations

import httpx

from tests.fixtures import World

SWITCHER = "/api/directory/organization-switcher"


async def test_menu_for_an_organization_manager(world: World) -> None:
    await world.setup()
    root = world.org_id
    sales = await world.org("Sales")
    emea = await world.org("EMEA", sales)
    hr = await world.org("HR")
    me = await world.user(["directory.organizations.manage"])
    r = await me.get(SWITCHER)
    assert r.status_code == 200
    assert r.json() == {
        "items": [{"id": root, "name": "Root", "depth": 0, "selectable": True, "children": [
            {"id": hr, "name": "HR", "depth": 1, "selectable": True, "children": []},
            {"id": sales, "name": "Sales", "depth": 1, "selectable": True, "children": [
                {"id": emea, "name": "EMEA", "depth": 2, "selectable": True, "children": []}]},
        ]}],
        "selectedId": root,
        "canManage": True,
        "tenantId": me.tenant_id,
        "tenants": [],
        "isSuperAdmin": False,
    }


async def test_selection_follows_the_cookie(world: World) -> None:
    await world.setup()
    child = await world.org("Child")
    me = await world.user([])
    r = await me.get(SWITCHER, headers={"Cookie": f"om_selected_org={child}"})
    assert r.json()["selectedId"] == child and r.json()["canManage"] is False
    r = await me.get(SWITCHER, headers={"Cookie": "om_selected_org=__all__"})
    assert r.json()["selectedId"] is None
    # A stale or foreign choice falls back to the caller's own organization.
    r = await me.get(SWITCHER, headers={"Cookie": "om_selected_org=not-an-org"})
    assert r.json()["selectedId"] == world.org_id


async def test_restricted_user_sees_its_branch(world: World) -> None:
    await world.setup()
    root = world.org_id
    sales = await world.org("Sales")
    emea = await world.org("EMEA", sales)
    await world.org("HR")
    me = await world.user([], org_id=emea, organizations=[sales])
    body = (await me.get(SWITCHER)).json()
    # Ancestors keep the menu's shape but cannot be chosen; siblings outside the grant are hidden.
    assert body["items"] == [{"id": root, "name": "Root", "depth": 0, "selectable": False, "children": [
        {"id": sales, "name": "Sales", "depth": 1, "selectable": True, "children": [
            {"id": emea, "name": "EMEA", "depth": 2, "selectable": True, "children": []}]}]}]
    assert body["selectedId"] == emea
    r = await me.get(SWITCHER, headers={"Cookie": f"om_selected_org={root}"})
    assert r.json()["selectedId"] == emea


async def test_super_admin_gets_the_tenants(client: httpx.AsyncClient, world: World) -> None:
    boss = await world.user(super_admin=True)
    other = World(client)
    await other.setup()
    body = (await boss.get(SWITCHER)).json()
    assert body["isSuperAdmin"] is True and body["canManage"] is True and body["tenantId"] == boss.tenant_id
    tenants = {t["id"]: t for t in body["tenants"]}
    assert {boss.tenant_id, other.tenant_id} <= set(tenants)
    assert set(tenants[other.tenant_id]) == {"id", "name", "isActive"} and tenants[other.tenant_id]["isActive"]
    # Other tenants' organizations are not part of this tenant's menu.
    assert [n["id"] for n in body["items"]] == [world.org_id]


async def test_anonymous_is_401(world: World) -> None:
    r = await world.client.get(SWITCHER)
    assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}
