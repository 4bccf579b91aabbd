"""Charge codes through HTTP: the reference's paths, envelopes and statuses, path-id routes, features,
tenancy, bad input, the grid configuration and the CSV/XLSX import."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

from tests.fixtures import Caller, World

C = "/api/fms_products/charge-codes"
IMPORT = "/api/fms_products/charge-codes/import"
ALL = ["fms_products.*"]
FIELDS = {"containerSize": {"type": "string", "required": True, "label": "Container size",
                            "options": [{"value": "20", "label": "20'"}, {"value": "40", "label": "40'"}]}}


async def charge(me: Caller, code: str = "GFRT", unit: str = "per_container", **fields: Any) -> str:
    r = await me.post(C, json={"code": code, "chargeUnit": unit, **fields})
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"id"}
    return r.json()["id"]  # type: ignore[no-any-return]


def upload(name: str, content: bytes, ctype: str) -> dict[str, Any]:
    return {"file": (name, content, ctype)}


async def test_charge_codes_crud_in_the_reference_shapes(world: World) -> None:
    me = await world.user(ALL)
    gfrt = await charge(me, "GFRT", description="Ocean freight", fieldSchema=FIELDS)
    await charge(me, "GBOL", "one_time", description="Bill of lading", isActive=False)
    r = await me.get(C, params={"limit": 5})
    assert r.status_code == 200, r.text
    page = r.json()
    assert set(page) == {"items", "total", "page", "limit", "totalPages"} and page["total"] == 2
    item = page["items"][0]
    assert set(item) == {"id", "code", "description", "chargeUnit", "fieldSchema", "isActive", "organization_id",
                         "tenant_id", "created_at", "updated_at"}
    assert [i["code"] for i in page["items"]] == ["GBOL", "GFRT"]
    assert page["items"][1]["fieldSchema"]["containerSize"]["options"][1] == {"value": "40", "label": "40'"}
    assert [i["code"] for i in (await me.get(C, params={"isActive": "false"})).json()["items"]] == ["GBOL"]
    assert [i["code"] for i in (await me.get(C, params={"chargeUnit": "per_container"})).json()["items"]] == ["GFRT"]
    assert [i["code"] for i in (await me.get(C, params={"q": "lading"})).json()["items"]] == ["GBOL"]

    r = await me.get(f"{C}/{gfrt}")
    assert r.status_code == 200, r.text
    assert (r.json()["code"], r.json()["chargeUnit"], r.json()["isActive"]) == ("GFRT", "per_container", True)
    assert r.json()["createdBy"] == me.user_id
    r = await me.put(C, json={"id": gfrt, "description": "Freight"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    r = await me.put(f"{C}/{gfrt}", json={"code": "GFRT", "chargeUnit": "per_piece", "isActive": False})
    assert r.status_code == 200, r.text
    assert (r.json()["description"], r.json()["chargeUnit"], r.json()["isActive"]) == ("Freight", "per_piece", False)
    r = await me.delete(f"{C}/{gfrt}")
    assert r.status_code == 204 and r.content == b""
    assert (await me.get(f"{C}/{gfrt}")).status_code == 404
    # A deleted code may be created again.
    again = await charge(me, "GFRT")
    r = await me.delete(C, params={"id": again})
    assert r.status_code == 204 and r.content == b""


async def test_bad_input_is_a_400_and_stores_nothing(world: World) -> None:
    me = await world.user(ALL)
    for body in ({"code": "gfrt", "chargeUnit": "per_container"},
                 {"code": "G1", "chargeUnit": "per_container"},
                 {"code": "GFRT"},
                 {"code": "GFRT", "chargeUnit": "per_ton"},
                 {"code": "GFRT", "chargeUnit": "one_time", "isActive": "yes"},
                 {"code": "GFRT", "chargeUnit": "one_time", "fieldSchema": {"x": {"type": "blob", "required": True,
                                                                                    "label": "X"}}}):
        r = await me.post(C, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Invalid input" and r.json()["details"]
    gfrt = await charge(me, "GFRT")
    assert (await me.post(C, json={"code": "GFRT", "chargeUnit": "one_time"})).status_code == 409
    r = await me.put(f"{C}/{gfrt}", json={"code": "GBAF"})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["code"]
    assert (await me.put(f"{C}/{gfrt}", json={"chargeUnit": None})).status_code == 400
    assert (await me.get(f"{C}/nope")).status_code == 400
    assert (await me.get(C, params={"chargeUnit": "per_ton"})).status_code == 400
    items = (await me.get(C)).json()["items"]
    assert [(i["code"], i["chargeUnit"]) for i in items] == [("GFRT", "per_container")]


async def test_features_and_tenancy(world: World) -> None:
    me = await world.user(ALL)
    gfrt = await charge(me)
    assert (await world.client.get(C)).status_code == 401
    assert (await world.client.get(f"{C}/{gfrt}")).status_code == 401
    viewer = await world.user(["fms_products.charge_codes.view"])
    assert (await viewer.get(C)).status_code == 200
    assert (await viewer.get(f"{C}/{gfrt}")).status_code == 200
    assert (await viewer.get("/api/fms_products/table-config")).status_code == 200
    for method, url, kw in (("post", C, {"json": {"code": "GBAF", "chargeUnit": "one_time"}}),
                            ("put", f"{C}/{gfrt}", {"json": {"description": "x"}}),
                            ("delete", f"{C}/{gfrt}", {}),
                            ("post", IMPORT, {"files": upload("c.csv", b"code,charge_unit\nGBAF,one_time\n",
                                                              "text/csv")})):
        r = await getattr(viewer, method)(url, **kw)
        assert r.status_code == 403, (method, url, r.text)
    manager = await world.user(["fms_products.charge_codes.manage"])
    assert (await manager.post(IMPORT, files=upload("c.csv", b"code,charge_unit\nGBAF,one_time\n",
                                                    "text/csv"))).status_code == 403

    stranger = await World(world.client).user(ALL)
    assert (await stranger.get(f"{C}/{gfrt}")).status_code == 404
    assert (await stranger.put(f"{C}/{gfrt}", json={"description": "mine"})).status_code == 404
    assert (await stranger.delete(f"{C}/{gfrt}")).status_code == 404
    assert (await stranger.get(C)).json()["total"] == 0
    await charge(stranger, "GFRT")


async def test_table_config_describes_the_grid(world: World) -> None:
    me = await world.user(ALL)
    r = await me.get("/api/fms_products/table-config")
    assert r.status_code == 200, r.text
    columns = {c["data"]: c for c in r.json()["columns"]}
    assert set(columns) == {"code", "description", "chargeUnit", "isActive", "createdAt", "updatedAt"}
    assert columns["chargeUnit"]["source"] == ["per_container", "per_piece", "one_time"]
    assert columns["isActive"]["type"] == "checkbox" and columns["code"]["renderer"] == "CodeRenderer"
    assert r.json()["meta"]["entity"] == "fms_charge_code"


async def test_import_upserts_by_code_from_csv_and_xlsx(world: World) -> None:
    me = await world.user(ALL)
    await charge(me, "GBAF", "per_container", description="Bunker")
    csv = b"Code;Charge Unit;Description\ngfrt;per_container;Ocean freight\nGBAF;PER_PIECE;\n"
    r = await me.post(IMPORT, files=upload("codes.csv", csv, "text/csv"))
    assert r.status_code == 200, r.text
    assert r.json() == {"chargeCodesCreated": 1, "chargeCodesUpdated": 1, "chargeCodesUnchanged": 0, "errors": [],
                        "totalRows": 2}
    items = {i["code"]: i for i in (await me.get(C)).json()["items"]}
    assert items["GFRT"]["description"] == "Ocean freight"
    # An empty description keeps the stored one; the unit is updated.
    assert (items["GBAF"]["chargeUnit"], items["GBAF"]["description"]) == ("per_piece", "Bunker")

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["code", "unit", "desc"], ["GBOL", "one_time", "Bill of lading"], ["GFRT", "per_container", None]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    r = await me.post(IMPORT, files=upload("codes.xlsx", out.getvalue(), "application/octet-stream"))
    assert r.status_code == 200, r.text
    # GFRT's row changes nothing (an empty description keeps the stored one): not written.
    assert r.json() == {"chargeCodesCreated": 1, "chargeCodesUpdated": 0, "chargeCodesUnchanged": 1, "errors": [],
                        "totalRows": 2}
    assert (await me.get(C)).json()["total"] == 3


async def test_an_import_may_be_larger_than_other_request_bodies(world: World) -> None:
    # Past the 2 MB body limit of other routes: the reader answers (too many rows), not the body guard's 413.
    me = await world.user(ALL)
    rows = b"".join(b"C%05d,one_time,%s\n" % (i, b"x" * 200) for i in range(12_000))
    r = await me.post(IMPORT, files=upload("codes.csv", b"code,charge_unit,description\n" + rows, "text/csv"))
    assert r.status_code == 400 and r.json()["error"] == "The file has more than 10000 rows.", r.text


async def test_an_import_with_a_bad_row_writes_nothing(world: World) -> None:
    me = await world.user(ALL)
    csv = b"code,charge_unit\nGFRT,per_container\nG1,one_time\nGBAF,per_ton\nGFRT,one_time\n"
    r = await me.post(IMPORT, files=upload("codes.csv", csv, "text/csv"))
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["totalRows"] == 4
    assert [d["row"] for d in body["details"]] == [3, 4, 5]
    assert "code" in body["details"][0]["message"] and "chargeUnit" in body["details"][1]["message"]
    assert (await me.get(C)).json()["total"] == 0
    r = await me.post(IMPORT, files=upload("codes.csv", b"code,description\nGFRT,x\n", "text/csv"))
    assert r.status_code == 400 and r.json()["error"] == "Missing required column: charge_unit"
    r = await me.post(IMPORT, files=upload("codes.csv", b"code,charge_unit,description\nGFRT,one_time,a\x00b\n",
                                           "text/csv"))
    assert r.status_code == 400 and "NUL" in r.json()["details"][0]["message"]
    r = await me.post(IMPORT, files=upload("codes.csv", b"", "text/csv"))
    assert r.status_code == 400
    assert (await me.get(C)).json()["total"] == 0
