"""Ports, terminals and the combined list through HTTP: the reference's paths, envelopes and statuses,
path-id routes, features, tenancy, bad input, the grid configuration and the CSV/XLSX import."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl

from tests.fixtures import Caller, World

P = "/api/fms_locations/ports"
T = "/api/fms_locations/terminals"
L = "/api/fms_locations/locations"
IMPORT = "/api/fms_locations/import"
ALL = ["fms_locations.*"]
MISSING = "00000000-0000-4000-8000-000000000000"
UNDO = "/api/audit_logs/audit-logs/actions/undo"


async def port(me: Caller, code: str = "PLGDN", **fields: Any) -> str:
    r = await me.post(P, json={"code": code, "name": f"Port {code}", "locode": code, **fields})
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"id"}
    return r.json()["id"]  # type: ignore[no-any-return]


async def terminal(me: Caller, code: str, port_id: str | None = None, **fields: Any) -> str:
    r = await me.post(T, json={"code": code, "name": f"Terminal {code}", "portId": port_id, **fields})
    assert r.status_code == 201, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


def csv_file(text: str, name: str = "locations.csv") -> dict[str, Any]:
    return {"file": (name, text.encode(), "text/csv")}


def xlsx_file(rows: list[list[Any]]) -> dict[str, Any]:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return {"file": ("locations.xlsx", out.getvalue(),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


async def test_ports_crud_in_the_reference_shapes(world: World) -> None:
    me = await world.user(ALL)
    gdn = await port(me, "plgdn", lat=54.35, lng=18.65, city="Gdansk", country="Poland")
    await port(me, "DEHAM", city="Hamburg")
    r = await me.get(P, params={"limit": 1, "sortField": "code"})
    assert r.status_code == 200, r.text
    page = r.json()
    assert set(page) == {"items", "total", "page", "limit", "totalPages"}
    assert (page["total"], page["limit"], page["totalPages"]) == (2, 1, 2)
    item = page["items"][0]
    assert set(item) == {"id", "code", "name", "locode", "lat", "lng", "city", "country", "organization_id",
                         "tenant_id", "created_at", "updated_at"}
    assert item["code"] == "DEHAM"
    # Codes are identifiers: stored upper-cased.
    r = await me.get(f"{P}/{gdn}")
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["code"] == "PLGDN" and record["type"] == "port" and record["lat"] == 54.35
    assert record["organizationId"] == world.org_id and record["createdBy"] == me.user_id
    assert [i["code"] for i in (await me.get(P, params={"q": "ham"})).json()["items"]] == ["DEHAM"]

    r = await me.put(P, json={"id": gdn, "name": "Port of Gdansk"})
    assert r.status_code == 200 and r.json() == {"ok": True}, r.text
    r = await me.put(f"{P}/{gdn}", json={"city": "Gdańsk", "lat": 54.4})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["city"], r.json()["lat"]) == ("Port of Gdansk", "Gdańsk", 54.4)

    r = await me.delete(f"{P}/{gdn}")
    assert r.status_code == 204 and r.content == b""
    assert (await me.get(f"{P}/{gdn}")).status_code == 404
    deham = (await me.get(P)).json()["items"][0]["id"]
    r = await me.delete(P, params={"id": deham})
    assert r.status_code == 204 and r.content == b""
    assert (await me.get(P)).json()["total"] == 0


async def test_terminals_belong_to_ports_and_lists_keep_to_their_type(world: World) -> None:
    me = await world.user(ALL)
    gdn = await port(me, "PLGDN")
    ham = await port(me, "DEHAM")
    dct = await terminal(me, "DCT", gdn)
    await terminal(me, "CTA", ham)
    r = await me.get(T, params={"portId": gdn})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["code"], i["portId"]) for i in items] == [("DCT", gdn)]
    assert "port_id" not in items[0]
    assert (await me.get(P)).json()["total"] == 2
    # A terminal is not a port, even by its id.
    assert (await me.get(f"{P}/{dct}")).status_code == 404
    assert (await me.put(f"{P}/{dct}", json={"name": "x"})).status_code == 404

    r = await me.get(L, params={"type": "terminal"})
    assert [i["code"] for i in r.json()["items"]] == ["CTA", "DCT"]
    r = await me.get(L, params={"sortField": "nonsense", "limit": 10})
    assert r.status_code == 200
    everything = r.json()
    assert everything["total"] == 4 and everything["limit"] == 10
    assert set(everything["items"][0]) == {"id", "code", "name", "locode", "type", "portId", "lat", "lng", "city",
                                           "country", "createdAt", "updatedAt"}
    assert (await me.get(L, params={"type": "airport"})).status_code == 400

    # A port its terminals point at stays.
    r = await me.delete(f"{P}/{gdn}")
    assert r.status_code == 409, r.text
    assert (await me.put(f"{T}/{dct}", json={"portId": ham})).status_code == 200
    assert (await me.delete(f"{P}/{gdn}")).status_code == 204


async def test_bad_input_is_a_400_and_stores_nothing(world: World) -> None:
    me = await world.user(ALL)
    for body in ({"code": "X", "name": "No locode"},
                 {"code": "bad code!", "name": "n", "locode": "X"},
                 {"code": "OK", "name": "", "locode": "X"},
                 {"code": "LAT", "name": "n", "locode": "X", "lat": 91},
                 {"code": "LNG", "name": "n", "locode": "X", "lng": "east"},
                 {"code": "TYP", "name": "n", "locode": "X", "type": "terminal"}):
        r = await me.post(P, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] and "details" in r.json()
    r = await me.post(T, json={"code": "T1", "name": "n", "portId": MISSING})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["portId"]
    gdn = await port(me, "PLGDN")
    r = await me.post(T, json={"code": "T2", "name": "n", "portId": "not-a-uuid"})
    assert r.status_code == 400
    # One code per organization, whatever the type.
    r = await me.post(T, json={"code": "plgdn", "name": "clash"})
    assert r.status_code == 409, r.text
    assert (await me.put(f"{P}/{gdn}", json={"name": None})).status_code == 400
    assert (await me.put(f"{P}/{gdn}", json=["x"])).status_code == 400
    assert (await me.get(f"{P}/not-a-uuid")).status_code == 400
    assert (await me.get(L)).json()["total"] == 1
    assert (await me.get(f"{P}/{gdn}")).json()["name"] == "Port PLGDN"


async def test_features_and_tenancy(world: World) -> None:
    me = await world.user(ALL)
    gdn = await port(me, "PLGDN")
    dct = await terminal(me, "DCT", gdn)
    anonymous = await world.client.get(P)
    assert anonymous.status_code == 401 and "error" in anonymous.json()
    viewer = await world.user(["fms_locations.ports.view"])
    assert (await viewer.get(P)).status_code == 200
    assert (await viewer.get(L)).status_code == 200
    assert (await viewer.get("/api/fms_locations/table-config")).status_code == 200
    for method, url, body in (("post", P, {"code": "A", "name": "a", "locode": "A"}),
                              ("put", f"{P}/{gdn}", {"name": "x"}), ("delete", f"{P}/{gdn}", None),
                              ("get", T, None), ("get", f"{T}/{dct}", None),
                              ("post", IMPORT, None)):
        kw: dict[str, Any] = {"json": body} if body is not None else {}
        r = await getattr(viewer, method)(url, **kw)
        assert r.status_code == 403, (method, url, r.text)
        assert r.json()["error"]

    other = World(world.client)
    stranger = await other.user(ALL)
    for url in (f"{P}/{gdn}", f"{T}/{dct}"):
        assert (await stranger.get(url)).status_code == 404
        assert (await stranger.put(url, json={"name": "mine"})).status_code == 404
        assert (await stranger.delete(url)).status_code == 404
    assert (await stranger.get(L)).json()["total"] == 0
    # The same code in another tenant is another location.
    await port(stranger, "PLGDN")


async def test_table_config_describes_the_grid(world: World) -> None:
    me = await world.user(ALL)
    r = await me.get("/api/fms_locations/table-config")
    assert r.status_code == 200, r.text
    body = r.json()
    columns = {c["data"]: c for c in body["columns"]}
    assert {"type", "code", "name", "locode", "lat", "lng", "city", "country", "createdAt", "updatedAt"} <= set(columns)
    assert not {"portId", "createdBy", "tenantId", "deletedAt"} & set(columns)
    assert columns["type"]["type"] == "dropdown" and columns["type"]["source"] == ["port", "terminal"]
    assert columns["lat"]["type"] == "numeric" and columns["createdAt"]["readOnly"] is True
    assert body["meta"]["entity"] == "fms_location" and body["meta"]["totalColumns"] == len(body["columns"])


CSV = """code,name,type,lat,lng,locode,port_code,city,country
PLGDN,Port of Gdansk,port,54.35,18.65,PLGDN,,Gdansk,Poland
DCT1,DCT Gdansk,terminal,54.39,18.70,PLGDN,PLGDN,Gdansk,Poland
deham,Port of Hamburg,port,53.54,9.98,deham,,Hamburg,Germany
"""


async def test_import_upserts_ports_then_terminals_by_code(world: World) -> None:
    me = await world.user(ALL)
    r = await me.post(IMPORT, files=csv_file(CSV))
    assert r.status_code == 200, r.text
    assert r.json() == {"locationsCreated": 3, "locationsUpdated": 0, "locationsUnchanged": 0, "errors": [],
                        "totalRows": 3}
    ports_ = {i["code"]: i for i in (await me.get(P)).json()["items"]}
    assert set(ports_) == {"PLGDN", "DEHAM"} and ports_["DEHAM"]["locode"] == "DEHAM"
    dct = (await me.get(T)).json()["items"][0]
    assert dct["code"] == "DCT1" and dct["portId"] == ports_["PLGDN"]["id"]

    # Again, as a spreadsheet: existing codes are updated, new ones created; a terminal resolves a stored port.
    r = await me.post(IMPORT, files=xlsx_file([
        ["Code", "Name", "Type", "Latitude", "Longitude", "UN LOCODE", "Port Code", "City", "Country"],
        ["PLGDN", "Gdansk (renamed)", "port", 54.36, 18.66, "PLGDN", None, "Gdańsk", "Poland"],
        ["CTA", "Altenwerder", "terminal", 53.50, 9.93, None, "DEHAM", "Hamburg", "Germany"],
    ]))
    assert r.status_code == 200, r.text
    assert r.json() == {"locationsCreated": 1, "locationsUpdated": 1, "locationsUnchanged": 0, "errors": [],
                        "totalRows": 2}
    gdn = (await me.get(f"{P}/{ports_['PLGDN']['id']}")).json()
    assert (gdn["name"], gdn["lat"], gdn["city"]) == ("Gdansk (renamed)", 54.36, "Gdańsk")
    cta = (await me.get(T, params={"q": "CTA"})).json()["items"][0]
    assert cta["portId"] == ports_["DEHAM"]["id"]
    # The same file again changes nothing and writes nothing.
    r = await me.post(IMPORT, files=csv_file(CSV))
    assert r.json()["locationsUnchanged"] == 2 and r.json()["locationsUpdated"] == 1  # PLGDN's name goes back
    r = await me.post(IMPORT, files=csv_file(CSV))
    assert (r.json()["locationsUnchanged"], r.json()["locationsUpdated"]) == (3, 0)


async def test_an_import_with_a_bad_row_writes_nothing(world: World) -> None:
    me = await world.user(ALL)
    bad = CSV + ("XX1,Nowhere,terminal,,,,NOPORT,,\n"
                 "LAT,Too far north,port,95,0,LAT,,,\n"
                 "SEA,Sea,airport,,,,,,\n"
                 "PLGDN,Twice,port,,,PLGDN,,,\n")
    r = await me.post(IMPORT, files=csv_file(bad))
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["totalRows"] == 7 and "nothing was imported" in body["error"]
    problems = {d["row"]: d["message"] for d in body["details"]}
    assert set(problems) == {5, 6, 7, 8}
    assert "NOPORT" in problems[5] and "lat" in problems[6] and "type" in problems[7] and "twice" in problems[8]
    assert (await me.get(L)).json()["total"] == 0

    # A code already used by the other type is refused too.
    await port(me, "DCT1")
    r = await me.post(IMPORT, files=csv_file(CSV))
    assert r.status_code == 400 and "already a port" in r.json()["details"][0]["message"]
    assert (await me.get(L)).json()["total"] == 1


async def test_import_refuses_files_it_cannot_use(world: World) -> None:
    me = await world.user(ALL)
    r = await me.post(IMPORT, files=csv_file("code,name\nA,B\n"))
    assert r.status_code == 400 and r.json()["error"] == "Missing required column: type"
    r = await me.post(IMPORT, files={"file": ("notes.txt.pdf", b"%PDF-1.4", "application/pdf")})
    assert r.status_code == 400
    r = await me.post(IMPORT, files={"other": ("x.csv", b"code\n", "text/csv")})
    assert r.status_code == 400 and r.json()["error"] == "No file uploaded"
    r = await me.post(IMPORT, files=csv_file("code,name,type,locode\nNUL,Bad\x00name,port,NUL\n"))
    assert r.status_code == 400 and "NUL" in r.json()["details"][0]["message"]
    r = await me.post(IMPORT, json={"file": "x"})
    assert r.status_code == 400
    r = await me.post(IMPORT, files={"file": ("broken.xlsx", b"not a zip", "application/octet-stream")})
    assert r.status_code == 400
    assert (await me.get(L)).json()["total"] == 0


async def test_undoing_a_port_creation_is_refused_while_terminals_point_at_it(world: World) -> None:
    me = await world.user([*ALL, "audit_logs.undo_self"])
    colleague = await world.user(ALL)
    r = await me.post(P, json={"code": "PLGDN", "name": "Gdansk", "locode": "PLGDN"})
    assert r.status_code == 201, r.text
    gdn, token = r.json()["id"], json.loads(r.headers["x-om-operation"])["undoToken"]
    dct = await terminal(colleague, "DCT", gdn)

    r = await me.post(UNDO, json={"undoToken": token})
    assert r.status_code == 409, r.text
    assert r.json() == {"error": "The port still has terminals; delete or move them first"}
    assert (await me.get(f"{P}/{gdn}")).status_code == 200
    # Once the terminal has moved, the same undo goes through.
    assert (await colleague.put(f"{T}/{dct}", json={"portId": None})).status_code == 200
    assert (await me.post(UNDO, json={"undoToken": token})).status_code == 200
    assert (await me.get(f"{P}/{gdn}")).status_code == 404
