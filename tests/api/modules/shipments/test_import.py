"""`POST /api/shipments/shipments/import`: CSV and XLSX tables mapped by their headers, all or nothing."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

from tests.api.modules.shipments.helpers import ALL, company, count
from tests.fixtures import Caller, World

URL = "/api/shipments/shipments/import"
CSV = (
    "Job No.,Client,Booking No,Container No,Size,Shipping Line,POL,POD,ETD,ETA,Status,Weight (kg),Notes\n"
    "J-1,Acme Freight,BK1,\"MSKU1234567, MSKU7654321\",40' HC,MSK,Gdansk,Shanghai,01/02/2026,2026-03-05,"
    "In transit,\"1 200,5\",fragile\n"
    "J-2,,BK2,TGHU 123456-7,20ft,Hapag Lloyd,Hamburg,Ningbo,2026-02-10,15.03.2026,booked,800,\n"
)


async def upload(me: Caller, content: bytes, name: str = "shipments.csv", ctype: str = "text/csv") -> Any:
    return await me.post(URL, files={"file": (name, content, ctype)})


async def test_a_csv_is_imported_with_its_containers(world: World) -> None:
    me = await world.user(ALL)
    client_id = await company(me, "Acme Freight")
    r = await upload(me, CSV.encode())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["shipmentsCreated"] == 2 and body["containersCreated"] == 3 and body["clientsCreated"] == 0
    mapped = {m["original"]: m["mapped"] for m in body["columnMappings"]}
    assert mapped["Job No."] == "internalReference" and mapped["Size"] == "containerType"
    assert mapped["Weight (kg)"] == "weight" and mapped["Notes"] is None
    assert body["metadata"] == {"totalRows": 2, "fileName": "shipments.csv"}

    items = {i["internalReference"]: i for i in (await me.get("/api/shipments")).json()["items"]}
    one, two = items["J-1"], items["J-2"]
    assert one["clientId"] == client_id and one["carrier"] == "Maersk" and one["status"] == "DEPARTED"
    assert one["containerType"] == "40HC" and one["containerNumber"] == "MSKU1234567"
    assert one["etd"].startswith("2026-02-01") and one["eta"].startswith("2026-03-05")
    assert one["weight"] in ("1200.5", "1200.5000") and one["originPort"] == "Gdansk"
    assert two["carrier"] == "Hapag-Lloyd" and two["status"] == "BOOKED" and two["containerType"] == "20GP"
    assert two["eta"].startswith("2026-03-15") and two["clientId"] is None
    containers = (await me.get(f"/api/shipments/{one['id']}/containers")).json()["items"]
    assert [c["containerNumber"] for c in containers] == ["MSKU1234567", "MSKU7654321"]
    assert {c["containerType"] for c in containers} == {"40HC"}
    assert (await me.get(f"/api/shipments/{two['id']}/containers")).json()["items"][0]["containerNumber"] \
        == "TGHU1234567"


async def test_an_xlsx_is_imported(world: World) -> None:
    me = await world.user(ALL)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Reference", "Booking", "ETA", "Mode", "Incoterms", "Pieces", "Status"])
    import datetime as dt
    sheet.append(["X-1", "BK-9", dt.datetime(2026, 5, 4), "Ocean", "FOB Shanghai", 7, "PRE_ARRIVAL"])
    buffer = io.BytesIO()
    book.save(buffer)
    r = await upload(me, buffer.getvalue(), "s.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert r.status_code == 201, r.text
    item = (await me.get("/api/shipments")).json()["items"][0]
    assert item["internalReference"] == "X-1" and item["eta"].startswith("2026-05-04")
    assert item["mode"] == "SEA" and item["incoterms"] == "FOB" and item["totalPieces"] == 7
    assert item["status"] == "PRE_ARRIVAL"


async def test_one_bad_row_refuses_the_whole_file(world: World) -> None:
    me = await world.user(ALL)
    csv = ("Reference,Status,ETA,Container,Weight,Client\n"
           "OK-1,booked,2026-01-01,MSKU1234567,10,\n"
           "BAD-1,lost at sea,31/31/2026,ABC,heavy,\n"
           "BAD-2,booked,2026-01-01,,99999,Nobody Ltd\n")
    r = await upload(me, csv.encode())
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"].startswith("Nothing was imported: 2 of 3 rows have errors")
    problems = {(d["line"], d["column"]) for d in body["details"]}
    assert {(3, "Status"), (3, "ETA"), (3, "Container"), (3, "Weight"), (4, "Weight"), (4, "Client")} <= problems
    assert all(d["message"] for d in body["details"])
    assert await count(me) == 0


async def test_files_that_cannot_be_imported(world: World) -> None:
    me = await world.user(ALL)
    r = await upload(me, b"Colour,Flavour\nred,sweet\n")
    assert r.status_code == 400 and r.json()["error"] == "No column of the file matches a shipment field"
    r = await upload(me, b"Reference,Ref\nA,B\n")
    assert r.status_code == 400 and "same shipment field" in r.json()["error"]
    r = await upload(me, b"Reference,Status\n")
    assert r.status_code == 400
    r = await upload(me, b"\x00\x01 not a workbook", "s.xlsx", "application/octet-stream")
    assert r.status_code == 400 and "XLSX" in r.json()["error"]
    r = await upload(me, b"%PDF-1.4", "s.pdf", "application/pdf")
    assert r.status_code == 400 and "Unsupported file type" in r.json()["error"]
    r = await me.post(URL, data={"nothing": "here"}, files={"other": ("a.csv", b"x", "text/csv")})
    assert r.status_code == 400 and r.json()["error"] == "No file uploaded"
    r = await me.post(URL, json={"file": "x"})
    assert r.status_code == 400
    assert await count(me) == 0


async def test_import_needs_its_feature(world: World) -> None:
    assert (await world.client.post(URL, files={"file": ("a.csv", CSV.encode(), "text/csv")})).status_code == 401
    viewer = await world.user(["shipments.shipments.view", "shipments.shipments.create"])
    assert (await upload(viewer, CSV.encode())).status_code == 403
    importer = await world.user(["shipments.import", "shipments.shipments.view"])
    r = await upload(importer, b"Reference\nONLY-1\n")
    assert r.status_code == 201 and r.json()["shipmentsCreated"] == 1


async def test_clients_are_matched_within_the_tenant(world: World) -> None:
    me = await world.user(ALL)
    other = await World(world.client).user(ALL)
    await company(other, "Acme Freight")
    r = await upload(me, b"Reference,Client\nR-1,Acme Freight\n")
    assert r.status_code == 400 and r.json()["details"][0]["field"] == "clientName"
