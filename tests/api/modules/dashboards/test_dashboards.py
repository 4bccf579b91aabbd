"""Dashboards over HTTP: the layout per user, role and user widget lists, the catalogue, access and
tenancy."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api import manifest
from api.db import sessionmaker
from api.modules.dashboards.models import DashboardLayout, DashboardRoleWidgets, DashboardUserWidgets
from tests.fixtures import World

LAYOUT = "/api/dashboards/layout"
ROLES = "/api/dashboards/roles/widgets"
USERS = "/api/dashboards/users/widgets"
CATALOG = "/api/dashboards/widgets/catalog"
TASKS = "workflows.dashboard.my-tasks"
BY_STATUS = "workflows.dashboard.instances-by-status"
RULES = "business_rules.dashboard.recent-executions"
ALL_VIEWS = ["dashboards.*", "workflows.tasks.view", "workflows.instances.view", "business_rules.view_logs"]


async def _count(model: Any, **where: str) -> int:
    async with sessionmaker()() as s:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return int((await s.execute(stmt)).scalar_one())


async def test_catalogue_collects_the_manifests_widgets(world: World) -> None:
    admin = await world.user(["dashboards.admin.assign-widgets"])
    r = await admin.get(CATALOG)
    assert r.status_code == 200, r.text
    items = {w["id"]: w for w in r.json()["items"]}
    assert {TASKS, BY_STATUS, RULES} <= set(items)
    assert items[TASKS] == {
        "id": TASKS, "title": "My tasks",
        "description": "Open user tasks assigned to you or to your roles' queues, newest first.",
        "defaultSize": "md", "defaultEnabled": True, "defaultSettings": {"pageSize": 5},
        "features": ["dashboards.view", "workflows.tasks.view"], "moduleId": "workflows", "icon": "check-square",
        "loaderKey": f"workflows:{TASKS}", "supportsRefresh": True,
    }
    assert items[RULES]["moduleId"] == "business_rules" and items[BY_STATUS]["defaultSize"] == "sm"


async def test_layout_starts_from_defaults_and_saves(world: World) -> None:
    me = await world.user(ALL_VIEWS)
    r = await me.get(LAYOUT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"layout", "allowedWidgetIds", "canConfigure", "context", "widgets"}
    assert {TASKS, BY_STATUS, RULES} <= set(body["allowedWidgetIds"])
    assert [w["id"] for w in body["widgets"]] == body["allowedWidgetIds"]
    assert body["canConfigure"] is True
    name = me.email.split("@")[0]
    assert body["context"] == {"userId": me.user_id, "tenantId": world.tenant_id, "organizationId": world.org_id,
                               "userName": name, "userEmail": me.email, "userLabel": name}
    items = body["layout"]["items"]
    assert [i["widgetId"] for i in items] == body["allowedWidgetIds"]
    assert [i["order"] for i in items] == list(range(len(items)))
    tasks = next(i for i in items if i["widgetId"] == TASKS)
    assert tasks["size"] == "md" and tasks["settings"] == {"pageSize": 5}
    # The first visit stored the layout: the same item ids come back.
    assert (await me.get(LAYOUT)).json()["layout"]["items"] == items

    new_item = str(uuid.uuid4())
    r = await me.put(LAYOUT, json={"items": [
        {"id": new_item, "widgetId": RULES, "order": 5, "size": "lg", "settings": {"pageSize": 3}},
        {"id": tasks["id"], "widgetId": TASKS, "order": 1},
        {"id": str(uuid.uuid4()), "widgetId": "no.such.widget", "order": 0},
    ]})
    assert r.status_code == 200 and r.json() == {"ok": True}, r.text
    assert "x-om-operation" in r.headers
    saved = (await me.get(LAYOUT)).json()["layout"]["items"]
    assert saved == [
        {"id": tasks["id"], "widgetId": TASKS, "order": 0, "priority": 0, "size": "md"},
        {"id": new_item, "widgetId": RULES, "order": 1, "priority": 1, "size": "lg", "settings": {"pageSize": 3}},
    ]

    r = await me.patch(f"{LAYOUT}/{tasks['id']}", json={"size": "sm", "settings": {"pageSize": 9}})
    assert r.status_code == 200 and r.json() == {"ok": True}
    r = await me.patch(f"{LAYOUT}/{new_item}", json={})
    assert r.status_code == 200
    saved = (await me.get(LAYOUT)).json()["layout"]["items"]
    assert saved[0]["size"] == "sm" and saved[0]["settings"] == {"pageSize": 9}
    assert saved[1]["size"] == "lg" and saved[1]["settings"] == {"pageSize": 3}
    assert (await me.patch(f"{LAYOUT}/{uuid.uuid4()}", json={"size": "sm"})).status_code == 404
    assert await _count(DashboardLayout, user_id=me.user_id) == 1


async def test_widgets_follow_features_and_layouts_drop_lost_widgets(world: World) -> None:
    await world.setup()
    role = await world.role("ops", ["dashboards.view", "dashboards.configure", "workflows.tasks.view"])
    me = await world.user(roles=[role])
    r = await me.get(LAYOUT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["allowedWidgetIds"] == [TASKS]
    r = await me.put(LAYOUT, json={"items": [{"id": str(uuid.uuid4()), "widgetId": RULES, "order": 0}]})
    assert r.status_code == 200
    assert (await me.get(LAYOUT)).json()["layout"]["items"] == []

    viewer = await world.user(["dashboards.view", "workflows.tasks.view"])
    body = (await viewer.get(LAYOUT)).json()
    assert body["canConfigure"] is False and [i["widgetId"] for i in body["layout"]["items"]] == [TASKS]


async def test_role_and_user_allow_lists(world: World) -> None:
    admin = await world.user(ALL_VIEWS)
    role = await world.role("desk", ALL_VIEWS)
    member = await world.user(roles=[role])
    assert (await admin.get(ROLES, params={"roleId": role})).json() == {
        "widgetIds": [], "hasCustom": False, "scope": {"tenantId": world.tenant_id, "organizationId": None}}

    r = await admin.put(ROLES, json={"roleId": role, "widgetIds": [RULES, TASKS, RULES]})
    assert r.status_code == 200 and r.json() == {"ok": True, "widgetIds": [RULES, TASKS]}, r.text
    assert (await admin.get(ROLES, params={"roleId": role})).json()["hasCustom"] is True
    # Catalogue order (the manifests' order), not the order of the list.
    assert (await member.get(LAYOUT)).json()["allowedWidgetIds"] == [RULES, TASKS]

    # An organization's own list wins over the tenant-wide one.
    r = await admin.put(ROLES, json={"roleId": role, "organizationId": world.org_id, "widgetIds": [BY_STATUS]})
    assert r.status_code == 200
    got = (await admin.get(ROLES, params={"roleId": role, "organizationId": world.org_id})).json()
    assert got == {"widgetIds": [BY_STATUS], "hasCustom": True,
                   "scope": {"tenantId": world.tenant_id, "organizationId": world.org_id}}
    assert (await member.get(LAYOUT)).json()["allowedWidgetIds"] == [BY_STATUS]

    # The user's own list replaces the roles'.
    r = await admin.put(USERS, json={"userId": member.user_id, "mode": "override", "widgetIds": [TASKS]})
    assert r.status_code == 200 and r.json() == {"ok": True, "mode": "override", "widgetIds": [TASKS]}
    got = (await admin.get(USERS, params={"userId": member.user_id})).json()
    assert got == {"mode": "override", "widgetIds": [TASKS], "hasCustom": True, "effectiveWidgetIds": [TASKS],
                   "scope": {"tenantId": world.tenant_id, "organizationId": world.org_id}}
    assert (await member.get(LAYOUT)).json()["allowedWidgetIds"] == [TASKS]

    r = await admin.put(USERS, json={"userId": member.user_id, "mode": "inherit", "widgetIds": [TASKS]})
    assert r.json() == {"ok": True, "mode": "inherit", "widgetIds": []}
    got = (await admin.get(USERS, params={"userId": member.user_id})).json()
    assert got["mode"] == "inherit" and got["hasCustom"] is False and got["effectiveWidgetIds"] == [BY_STATUS]
    assert await _count(DashboardUserWidgets, user_id=member.user_id) == 0

    # Empty lists remove the role's rows: every widget the features allow comes back.
    for org in (world.org_id, None):
        r = await admin.put(ROLES, json={"roleId": role, "organizationId": org, "widgetIds": []})
        assert r.json() == {"ok": True, "widgetIds": []}
    assert await _count(DashboardRoleWidgets, role_id=role) == 0
    assert {TASKS, BY_STATUS, RULES} <= set((await member.get(LAYOUT)).json()["allowedWidgetIds"])


async def test_an_empty_override_hides_every_widget(world: World) -> None:
    admin = await world.user(ALL_VIEWS)
    member = await world.user(ALL_VIEWS)
    assert (await admin.put(USERS, json={"userId": member.user_id, "mode": "override", "widgetIds": []})
            ).status_code == 200
    body = (await member.get(LAYOUT)).json()
    assert body["allowedWidgetIds"] == [] and body["layout"]["items"] == [] and body["widgets"] == []


async def test_assignments_stay_in_the_callers_tenant(world: World) -> None:
    admin = await world.user(ALL_VIEWS)
    other = await World(world.client).setup()
    foreign_role = await other.role("theirs", [])
    foreign_user = await other.user([])
    foreign_org = other.org_id
    assert (await admin.get(ROLES, params={"roleId": foreign_role})).status_code == 404
    assert (await admin.put(ROLES, json={"roleId": foreign_role, "widgetIds": [TASKS]})).status_code == 404
    assert (await admin.get(USERS, params={"userId": foreign_user.user_id})).status_code == 404
    r = await admin.put(USERS, json={"userId": foreign_user.user_id, "mode": "override", "widgetIds": [TASKS]})
    assert r.status_code == 404
    role = await world.role("mine", [])
    r = await admin.put(ROLES, json={"roleId": role, "tenantId": other.tenant_id, "widgetIds": [TASKS]})
    assert r.status_code == 403
    r = await admin.put(ROLES, json={"roleId": role, "organizationId": foreign_org, "widgetIds": [TASKS]})
    assert r.status_code == 403
    assert (await admin.get(ROLES, params={"roleId": role, "tenantId": other.tenant_id})).status_code == 403
    assert await _count(DashboardRoleWidgets, role_id=role) == 0
    assert await _count(DashboardUserWidgets, user_id=foreign_user.user_id) == 0


ROUTES = [
    ("GET", LAYOUT, None, "dashboards.view"),
    ("PUT", LAYOUT, {"items": []}, "dashboards.configure"),
    ("PATCH", f"{LAYOUT}/{uuid.uuid4()}", {"size": "sm"}, "dashboards.configure"),
    ("GET", f"{ROLES}?roleId={uuid.uuid4()}", None, "dashboards.admin.assign-widgets"),
    ("PUT", ROLES, {"roleId": str(uuid.uuid4()), "widgetIds": []}, "dashboards.admin.assign-widgets"),
    ("GET", f"{USERS}?userId={uuid.uuid4()}", None, "dashboards.admin.assign-widgets"),
    ("PUT", USERS, {"userId": str(uuid.uuid4()), "widgetIds": []}, "dashboards.admin.assign-widgets"),
    ("GET", CATALOG, None, "dashboards.admin.assign-widgets"),
]


@pytest.mark.parametrize(("method", "url", "body", "feature"), ROUTES)
async def test_auth_and_features(world: World, anonymous: httpx.AsyncClient, method: str, url: str, body: Any,
                                 feature: str) -> None:
    assert (await anonymous.request(method, url, json=body)).status_code == 401
    someone = await world.user(["dashboards.*"])
    others = [f for f in ("dashboards.view", "dashboards.configure", "dashboards.admin.assign-widgets") if f != feature]
    lacking = await world.user(others)
    r = await lacking.client.request(method, url, json=body, headers=lacking._h(None))
    assert r.status_code == 403 and r.json()["requiredFeatures"] == [feature]
    r = await someone.client.request(method, url, json=body, headers=someone._h(None))
    assert r.status_code in (200, 404), r.text


async def test_bad_input_is_refused_and_stores_nothing(world: World) -> None:
    me = await world.user(ALL_VIEWS)
    role = await world.role("desk", [])
    item = str(uuid.uuid4())
    bad_layouts: list[Any] = [
        {},
        {"items": "x"},
        {"items": [{"id": "nope", "widgetId": TASKS, "order": 0}]},
        {"items": [{"id": item, "widgetId": "", "order": 0}]},
        {"items": [{"id": item, "widgetId": TASKS, "order": -1}]},
        {"items": [{"id": item, "widgetId": TASKS, "order": 0, "size": "xl"}]},
        {"items": [{"id": item, "widgetId": TASKS, "order": 0}, {"id": item, "widgetId": RULES, "order": 1}]},
        {"items": [{"id": str(uuid.uuid4()), "widgetId": TASKS, "order": n} for n in range(101)]},
    ]
    for body in bad_layouts:
        r = await me.put(LAYOUT, json=body)
        assert r.status_code == 400, (body, r.text)
    assert await _count(DashboardLayout, user_id=me.user_id) == 0
    r = await me.put(LAYOUT, json={"items": [{"id": item, "widgetId": TASKS, "order": 0,
                                              "settings": {"blob": "x" * 3_000_000}}]})
    assert r.status_code == 413
    assert await _count(DashboardLayout, user_id=me.user_id) == 0

    await me.get(LAYOUT)
    for body in ([], "x", {"size": "huge"}):
        assert (await me.patch(f"{LAYOUT}/{uuid.uuid4()}", json=body)).status_code == 400
    assert (await me.patch(f"{LAYOUT}/not-a-uuid", json={"size": "sm"})).status_code == 400

    assert (await me.get(ROLES)).json() == {"error": "roleId is required"}
    assert (await me.get(ROLES, params={"roleId": "x"})).status_code == 400
    assert (await me.get(USERS)).status_code == 400
    assert (await me.get(USERS, params={"userId": me.user_id, "organizationId": "x"})).status_code == 400
    for body in ({"widgetIds": [TASKS]}, {"roleId": "x", "widgetIds": []}, {"roleId": role},
                 {"roleId": role, "widgetIds": [TASKS, "no.such.widget"]}):
        r = await me.put(ROLES, json=body)
        assert r.status_code == 400, (body, r.text)
    r = await me.put(ROLES, json={"roleId": role, "widgetIds": ["no.such.widget"]})
    assert r.json() == {"error": "Unknown widgets", "unknown": ["no.such.widget"]}
    for body in ({"userId": me.user_id, "mode": "replace", "widgetIds": []},
                 {"userId": me.user_id, "mode": "override", "widgetIds": ["no.such.widget"]}):
        assert (await me.put(USERS, json=body)).status_code == 400
    assert await _count(DashboardRoleWidgets, role_id=role) == 0
    assert await _count(DashboardUserWidgets, user_id=me.user_id) == 0


async def test_modules_contribute_widgets_through_their_manifest(world: World,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    admin = await world.user(["dashboards.*"])
    extra = manifest.Module("tests", "Tests", widgets=(
        manifest.Widget("tests.hidden", "Hidden", ("tests.only.view",)),
        manifest.Widget("tests.open", "Open", default_enabled=False),
    ))
    loaded = manifest.modules()
    monkeypatch.setattr(manifest, "modules", lambda: (*loaded, extra))
    ids = [w["id"] for w in (await admin.get(CATALOG)).json()["items"]]
    assert ids[-2:] == ["tests.hidden", "tests.open"]
    body = (await admin.get(LAYOUT)).json()
    assert "tests.hidden" not in body["allowedWidgetIds"] and "tests.open" in body["allowedWidgetIds"]
    assert "tests.open" not in [i["widgetId"] for i in body["layout"]["items"]]
