"""Shipments through `/api/shipments` (the kit's collection) and `/api/shipments/{id}`."""

from __future__ import annotations

import pytest

from tests.api.modules.shipments.helpers import ALL, VIEW_ONLY, company, count, shipment
from tests.fixtures import World

FULL = {
    "internalReference": "JOB-7", "bookingNumber": "BK123", "bolNumber": "BL9", "containerNumber": "MSKU1234567",
    "carrier": "Maersk", "originPort": "Gdansk", "destinationPort": "Shanghai", "etd": "2026-01-10T00:00:00Z",
    "eta": "2026-02-20", "weight": 1200.5, "volume": 33, "containerType": "40HC", "totalPieces": 12,
    "mode": "SEA", "incoterms": "FOB", "vesselName": "Ever Given", "voyageNumber": "V01", "status": "ORDERED",
}


async def test_create_list_update_delete(world: World) -> None:
    me = await world.user(ALL)
    client_id = await company(me)
    r = await me.post("/api/shipments", json={**FULL, "clientId": client_id, "assignedToId": me.user_id})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    page = (await me.get("/api/shipments")).json()
    assert set(page) == {"items", "total", "page", "pageSize", "totalPages"} and page["total"] == 1
    item = page["items"][0]
    assert item["id"] == sid and item["status"] == "ORDERED" and item["containerType"] == "40HC"
    assert item["client"]["displayName"] == "Acme Freight" and item["clientId"] == client_id
    assert item["createdBy"]["id"] == me.user_id and item["createdById"] == me.user_id
    assert item["assignedTo"]["email"] == me.email
    assert item["eta"].startswith("2026-02-20") and item["weight"] in ("1200.5", "1200.5000")

    r = await me.put("/api/shipments", json={"id": sid, "status": "DEPARTED", "atd": "2026-01-11T08:00:00Z"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert r.headers.get("x-om-operation")
    detail = (await me.get(f"/api/shipments/{sid}")).json()
    assert detail["status"] == "DEPARTED" and detail["bookingNumber"] == "BK123"
    assert detail["client"]["id"] == client_id and detail["shipper"] is None

    r = await me.delete("/api/shipments", params={"id": sid})
    assert r.status_code == 204 and r.content == b""
    assert await count(me) == 0
    assert (await me.get(f"/api/shipments/{sid}")).status_code == 404


async def test_default_status_and_path_routes(world: World) -> None:
    me = await world.user(ALL)
    sid = await shipment(me)
    r = await me.get(f"/api/shipments/{sid}")
    assert r.status_code == 200 and r.json()["status"] == "BOOKED"
    r = await me.put(f"/api/shipments/{sid}", json={"carrier": "MSC", "status": "IN_PORT"})
    assert r.status_code == 200, r.text
    assert r.json()["carrier"] == "MSC" and r.json()["status"] == "IN_PORT" and r.json()["internalReference"] == "REF-1"
    r = await me.delete(f"/api/shipments/{sid}")
    assert r.status_code == 204 and r.content == b""
    assert (await me.get(f"/api/shipments/{sid}")).status_code == 404
    assert (await me.get("/api/shipments/not-a-uuid")).status_code == 400


async def test_deleting_a_shipment_removes_its_tasks(world: World) -> None:
    me = await world.user(ALL)
    sid = await shipment(me)
    r = await me.post(f"/api/shipments/{sid}/tasks", json={"title": "Call the carrier"})
    assert r.status_code == 201
    assert (await me.delete(f"/api/shipments/{sid}")).status_code == 204
    assert (await me.get("/api/shipments/tasks")).json()["pagination"]["total"] == 0


async def test_filters_search_and_sort(world: World) -> None:
    me = await world.user(ALL)
    await shipment(me, internalReference="A-1", status="LOADING", carrier="Maersk", eta="2026-03-01")
    await shipment(me, internalReference="B-2", status="BOOKED", carrier="MSC", eta="2026-04-01")
    assert [i["internalReference"] for i in (await me.get("/api/shipments", params={"status": "LOADING"}))
            .json()["items"]] == ["A-1"]
    assert (await me.get("/api/shipments", params={"search": "msc"})).json()["total"] == 1
    assert (await me.get("/api/shipments", params={"etaFrom": "2026-03-15"})).json()["total"] == 1
    r = await me.get("/api/shipments", params={"sortField": "eta", "sortDir": "asc"})
    assert [i["internalReference"] for i in r.json()["items"]] == ["A-1", "B-2"]
    grid = '[{"id": "1", "field": "carrier", "operator": "is_any_of", "values": ["MSC"]}]'
    assert [i["internalReference"] for i in (await me.get("/api/shipments", params={"filters": grid}))
            .json()["items"]] == ["B-2"]
    assert (await me.get("/api/shipments", params={"status": "LOST"})).status_code == 400
    assert (await me.get("/api/shipments", params={"filters": "not json"})).status_code == 400
    bad = '[{"id": "1", "field": "nope", "operator": "equals", "values": ["x"]}]'
    assert (await me.get("/api/shipments", params={"filters": bad})).status_code == 400


@pytest.mark.parametrize("body, field", [
    ({"containerNumber": "ABC123"}, "containerNumber"),
    ({"status": "LOST"}, "status"),
    ({"weight": 40000}, "weight"),
    ({"volume": -1}, "volume"),
    ({"containerType": "53FT"}, "containerType"),
    ({"etd": "yesterday"}, "etd"),
    ({"clientId": "not-a-uuid"}, "clientId"),
    ({"clientId": "00000000-0000-4000-8000-000000000000"}, "clientId"),
    ({"assignedToId": "00000000-0000-4000-8000-000000000000"}, "assignedToId"),
])
async def test_bad_input_is_refused_and_stores_nothing(world: World, body: dict[str, object], field: str) -> None:
    me = await world.user(ALL)
    r = await me.post("/api/shipments", json={"internalReference": "X", **body})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "Invalid input"
    assert any(field in d.get("path", []) or d.get("path", [None])[-1] == field for d in r.json()["details"]), r.json()
    assert await count(me) == 0


async def test_bad_updates_change_nothing(world: World) -> None:
    me = await world.user(ALL)
    sid = await shipment(me, status="LOADING")
    assert (await me.put(f"/api/shipments/{sid}", json={"status": None})).status_code == 400
    assert (await me.put(f"/api/shipments/{sid}", json={"status": "DELIVERED", "weight": -3})).status_code == 400
    assert (await me.put("/api/shipments", json={"id": sid, "clientId": "00000000-0000-4000-8000-000000000000"})) \
        .status_code == 400
    assert (await me.get(f"/api/shipments/{sid}")).json()["status"] == "LOADING"


async def test_a_client_of_another_tenant_is_refused(world: World, client: object) -> None:
    me = await world.user(ALL)
    other = await World(world.client).user(ALL)
    foreign = await company(other, "Elsewhere")
    r = await me.post("/api/shipments", json={"clientId": foreign})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["clientId"]


async def test_features_are_required(world: World) -> None:
    me = await world.user(ALL)
    sid = await shipment(me)
    anonymous = world.client
    for method, url in [("GET", "/api/shipments"), ("POST", "/api/shipments"), ("PUT", "/api/shipments"),
                        ("DELETE", f"/api/shipments?id={sid}"), ("GET", f"/api/shipments/{sid}"),
                        ("PUT", f"/api/shipments/{sid}"), ("DELETE", f"/api/shipments/{sid}")]:
        assert (await anonymous.request(method, url, json={})).status_code == 401, url
    viewer = await world.user(VIEW_ONLY)
    assert (await viewer.get("/api/shipments")).status_code == 200
    assert (await viewer.get(f"/api/shipments/{sid}")).status_code == 200
    assert (await viewer.post("/api/shipments", json={})).status_code == 403
    assert (await viewer.put("/api/shipments", json={"id": sid})).status_code == 403
    assert (await viewer.put(f"/api/shipments/{sid}", json={})).status_code == 403
    assert (await viewer.delete("/api/shipments", params={"id": sid})).status_code == 403
    assert (await viewer.delete(f"/api/shipments/{sid}")).status_code == 403
    nobody = await world.user([])
    assert (await nobody.get("/api/shipments")).status_code == 403
    assert (await nobody.get(f"/api/shipments/{sid}")).status_code == 403


async def test_another_tenant_sees_nothing(world: World) -> None:
    me = await world.user(ALL)
    sid = await shipment(me)
    other = await World(world.client).user(ALL)
    assert (await other.get("/api/shipments")).json()["total"] == 0
    assert (await other.get(f"/api/shipments/{sid}")).status_code == 404
    assert (await other.put(f"/api/shipments/{sid}", json={"carrier": "X"})).status_code == 404
    assert (await other.put("/api/shipments", json={"id": sid, "carrier": "X"})).status_code == 404
    assert (await other.delete(f"/api/shipments/{sid}")).status_code == 404
    assert (await other.delete("/api/shipments", params={"id": sid})).status_code == 404
    assert (await me.get(f"/api/shipments/{sid}")).json()["carrier"] is None


async def test_grid_filters_compare_by_the_column_type(world: World) -> None:
    me = await world.user(ALL)
    await shipment(me, internalReference="LIGHT", weight=100, eta="2026-01-01")
    await shipment(me, internalReference="HEAVY", weight=2000, eta="2026-06-01")

    async def refs(*rows: str) -> list[str]:
        r = await me.get("/api/shipments", params={"filters": "[" + ",".join(rows) + "]", "sortField": "eta",
                                                   "sortDir": "asc"})
        assert r.status_code == 200, r.text
        return [i["internalReference"] for i in r.json()["items"]]

    assert await refs('{"id":"1","field":"weight","operator":"greater_than","values":["500"]}') == ["HEAVY"]
    assert await refs('{"id":"1","field":"eta","operator":"less_than","values":["2026-03-01"]}') == ["LIGHT"]
    assert await refs('{"id":"1","field":"internalReference","operator":"contains","values":["eav"]}') == ["HEAVY"]
    assert await refs('{"id":"1","field":"carrier","operator":"is_empty","values":[]}') == ["LIGHT", "HEAVY"]
    for bad in ('{"id":"1","field":"weight","operator":"greater_than","values":["lots"]}',
                '{"id":"1","field":"weight","operator":"contains","values":["1"]}',
                '{"id":"1","field":"eta","operator":"equals","values":[]}',
                '{"id":"1","field":"eta","operator":"sideways","values":["x"]}'):
        assert (await me.get("/api/shipments", params={"filters": f"[{bad}]"})).status_code == 400, bad
