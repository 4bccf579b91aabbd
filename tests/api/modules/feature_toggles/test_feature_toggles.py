"""Feature toggles over HTTP: global toggles (super administrators only), tenant overrides and the
`check/{type}` resolution with its source."""

from __future__ import annotations

from sqlalchemy import func, select

from api.db import sessionmaker
from api.modules.feature_toggles import service
from api.modules.feature_toggles.models import FeatureToggle, FeatureToggleOverride
from tests.fixtures import World

GLOBAL = "/api/feature_toggles/global"
OVERRIDES = "/api/feature_toggles/overrides"
MISSING = "00000000-0000-4000-8000-000000000000"


async def _toggles(identifier: str) -> int:
    async with sessionmaker()() as s:
        return int((await s.execute(select(func.count()).select_from(FeatureToggle)
                                    .where(FeatureToggle.identifier.like(f"{identifier}%")))).scalar_one())


async def test_global_toggles_and_overrides(world: World) -> None:
    root = await world.user([], super_admin=True)
    ident = f"t_{world.tenant_id[:8]}"
    r = await root.post(GLOBAL, json={"identifier": ident, "name": "New checkout", "type": "boolean",
                                      "defaultValue": False, "category": "sales"})
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    r = await root.post(GLOBAL, json={"identifier": ident, "name": "Again", "type": "boolean"})
    assert r.status_code == 409
    for body in ({"identifier": "Bad-Id", "name": "x", "type": "boolean"},
                 {"identifier": f"{ident}_x", "name": "x", "type": "color"},
                 {"identifier": f"{ident}_y", "name": "x", "type": "number", "defaultValue": "12"}):
        assert (await root.post(GLOBAL, json=body)).status_code == 400, body
    assert await _toggles(ident) == 1

    listed = (await root.get(GLOBAL, params={"identifier": ident})).json()
    assert listed["total"] == 1 and listed["items"][0]["defaultValue"] is False
    detail = (await root.get(f"{GLOBAL}/{tid}")).json()
    assert detail["identifier"] == ident and detail["type"] == "boolean"
    assert (await root.get(f"{GLOBAL}/nope")).status_code == 400
    assert (await root.get(f"{GLOBAL}/{MISSING}")).status_code == 404

    me = await world.user([])
    check = await me.get("/api/feature_toggles/check/boolean", params={"identifier": ident})
    assert check.json() == {"enabled": False, "source": "default", "toggleId": tid, "identifier": ident,
                            "tenantId": world.tenant_id}

    r = await root.put(OVERRIDES, json={"toggleId": tid, "isOverride": True, "overrideValue": True})
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True and r.json()["overrideToggleId"] and r.headers.get("x-om-operation")
    check = (await me.get("/api/feature_toggles/check/boolean", params={"identifier": ident})).json()
    assert check["enabled"] is True and check["source"] == "override"
    async with sessionmaker()() as s:
        assert await service.is_enabled(s, ident, world.tenant_id)
    ov = (await root.get(f"{GLOBAL}/{tid}/override")).json()
    assert ov["value"] is True and ov["tenantId"] == world.tenant_id and ov["toggleType"] == "boolean"
    page = (await root.get(OVERRIDES, params={"identifier": ident})).json()
    assert page["isSuperAdmin"] is True and page["total"] == 1
    assert page["items"][0]["isOverride"] is True and page["items"][0]["overrideState"] == "enabled"

    # Another tenant keeps the default.
    other = World(world.client)
    stranger = await other.user([])
    check = (await stranger.get("/api/feature_toggles/check/boolean", params={"identifier": ident})).json()
    assert check["enabled"] is False and check["source"] == "default"

    bad = await root.put(OVERRIDES, json={"toggleId": tid, "isOverride": True, "overrideValue": "yes"})
    assert bad.status_code == 400
    assert (await root.put(OVERRIDES, json={"toggleId": "x", "isOverride": True})).status_code == 400
    assert (await root.put(OVERRIDES, json={"toggleId": MISSING, "isOverride": False})).status_code == 404
    r = await root.put(OVERRIDES, json={"toggleId": tid, "isOverride": False})
    assert r.status_code == 200 and r.json() == {"ok": True, "overrideToggleId": None}
    async with sessionmaker()() as s:
        assert (await s.execute(select(func.count()).select_from(FeatureToggleOverride)
                                .where(FeatureToggleOverride.toggle_id == tid))).scalar_one() == 0

    r = await root.put(GLOBAL, json={"id": tid, "name": "Checkout v2"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    r = await root.delete(GLOBAL, params={"id": tid})
    assert r.status_code == 200
    assert (await me.get("/api/feature_toggles/check/boolean", params={"identifier": ident})).status_code == 404


async def test_typed_checks(world: World) -> None:
    root = await world.user([], super_admin=True)
    me = await world.user([])
    base = f"n_{world.tenant_id[:8]}"
    values = {"string": "Free shipping", "number": 2500, "json": {"email": "help@example.com"}}
    for kind, value in values.items():
        r = await root.post(GLOBAL, json={"identifier": f"{base}_{kind}", "name": kind, "type": kind,
                                          "defaultValue": value})
        assert r.status_code == 201, r.text
        got = (await me.get(f"/api/feature_toggles/check/{kind}", params={"identifier": f"{base}_{kind}"})).json()
        assert got["valueType"] == kind and got["value"] == value and got["source"] == "default"
    wrong = await me.get("/api/feature_toggles/check/boolean", params={"identifier": f"{base}_number"})
    assert wrong.status_code == 400
    assert (await me.get("/api/feature_toggles/check/boolean")).status_code == 400
    assert (await me.get("/api/feature_toggles/check/json", params={"identifier": "nothing_here"})).status_code == 404


async def test_super_admins_only(world: World) -> None:
    admin = await world.user(["*"])  # a tenant administrator, not a super administrator
    nobody = await world.user([])
    calls = [("get", GLOBAL), ("post", GLOBAL), ("put", GLOBAL), ("delete", f"{GLOBAL}?id={MISSING}"),
             ("get", f"{GLOBAL}/{MISSING}"), ("get", f"{GLOBAL}/{MISSING}/override"),
             ("get", OVERRIDES), ("put", OVERRIDES)]
    body = {"json": {"id": MISSING, "identifier": "x_y", "name": "x", "type": "boolean", "toggleId": MISSING,
                     "isOverride": False}}
    for method, url in calls:
        kw = body if method in ("post", "put") else {}
        assert (await getattr(world.client, method if method != "delete" else "request")(
            *(("DELETE", url) if method == "delete" else (url,)), **kw)).status_code == 401
        r = await getattr(nobody, method)(url, **kw)
        assert r.status_code == 403 and r.json()["requiredFeatures"] == ["feature_toggles.global.manage"], url
        r = await getattr(admin, method)(url, **kw)
        assert r.status_code == 403 and r.json()["requiredRoles"] == ["superadmin"], (method, url, r.text)
    for kind in ("boolean", "string", "number", "json"):
        assert (await world.client.get(f"/api/feature_toggles/check/{kind}?identifier=x")).status_code == 401
