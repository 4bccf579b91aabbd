"""Quotes and quote lines through HTTP: the reference's paths, envelopes and status codes, search,
line numbering, the grid configurations, and the refusals (bad input stores nothing, other tenants
see 404)."""

from __future__ import annotations

from typing import Any

from tests.api.modules.fms_quotes.helpers import B, dec, line, quote
from tests.fixtures import World


async def test_a_quote_is_created_listed_read_updated_and_deleted(world: World) -> None:
    admin = await world.admin()
    port = "7b0c2a52-6f25-4a3c-9d4f-0d7f2b7f2c11"
    quote_id = await quote(admin, quoteNumber="Q-100", direction="export", incoterm="fob", cargoType="fcl",
                           containerCount=2, originPortIds=[port], validUntil="2030-01-31", notes="Reefer")
    page = (await admin.get(B)).json()
    assert set(page) == {"items", "total", "page", "pageSize", "totalPages"} and page["total"] == 1
    item = page["items"][0]
    assert item["quote_number"] == "Q-100" and item["status"] == "draft" and item["currency_code"] == "EUR"
    assert item["origin_port_ids"] == [port] and item["destination_port_ids"] == []
    detail = (await admin.get(f"{B}/{quote_id}")).json()
    assert detail["quoteNumber"] == "Q-100" and detail["cargoType"] == "fcl" and detail["validUntil"].startswith("2030")

    r = await admin.put(B, json={"id": quote_id, "status": "ready"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    r = await admin.put(f"{B}/{quote_id}", json={"notes": "Dry", "destinationPortIds": [port]})
    assert r.status_code == 200, r.text
    assert r.json()["notes"] == "Dry" and r.json()["status"] == "ready" and r.json()["destinationPortIds"] == [port]

    r = await admin.delete(f"{B}/{quote_id}")
    assert r.status_code == 204 and r.content == b""
    assert (await admin.get(f"{B}/{quote_id}")).status_code == 404
    other = await quote(admin)
    r = await admin.delete(B, params={"id": other})
    assert r.status_code == 204
    assert (await admin.get(B)).json()["total"] == 0


async def test_quotes_are_searched_and_filtered(world: World) -> None:
    admin = await world.admin()
    await quote(admin, quoteNumber="HAM-2030-7", direction="import", cargoType="lcl")
    await quote(admin, quoteNumber="GDN-1", direction="export", status="won")
    for params in ({"search": "ham-2030"}, {"q": "HAM"}, {"direction": "import"}, {"cargo_type": "lcl"},
                   {"cargoType": "lcl"}):
        items = (await admin.get(B, params=params)).json()["items"]
        assert [i["quote_number"] for i in items] == ["HAM-2030-7"], params
    assert (await admin.get(B, params={"status": "won"})).json()["total"] == 1
    r = await admin.get(B, params={"status": "nope"})
    assert r.status_code == 400 and r.json()["error"] == "Invalid input"
    ordered = (await admin.get(B, params={"sortField": "quoteNumber", "sortDir": "asc"})).json()["items"]
    assert [i["quote_number"] for i in ordered] == ["GDN-1", "HAM-2030-7"]


async def test_bad_quote_input_is_a_400_and_stores_nothing(world: World) -> None:
    admin = await world.admin()
    quote_id = await quote(admin, quoteNumber="Q-1")
    for body in ({"currencyCode": "eur"}, {"status": "sent"}, {"containerCount": 0}, {"status": None},
                 {"clientId": "not-a-uuid"}, {"originPortIds": ["x"]}, {"quoteNumber": "x" * 51},
                 {"incoterm": "FOB"}, {"validUntil": "tomorrow"}):
        r = await admin.post(B, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Invalid input" and r.json()["details"], body
        r = await admin.put(f"{B}/{quote_id}", json=body)
        assert r.status_code == 400, (body, r.text)
    assert (await admin.get(B)).json()["total"] == 1
    detail = (await admin.get(f"{B}/{quote_id}")).json()
    assert detail["status"] == "draft" and detail["currencyCode"] == "EUR" and detail["containerCount"] is None
    assert (await admin.get(f"{B}/not-a-uuid")).status_code == 400
    assert (await admin.put(f"{B}/not-a-uuid", json={})).json() == {"error": "Invalid quote id"}
    assert (await admin.delete(B)).status_code == 400


async def test_quote_lines_are_numbered_priced_and_paged_by_limit(world: World) -> None:
    admin = await world.admin()
    quote_id = await quote(admin, currencyCode="PLN")
    stamp = (await admin.get(f"{B}/{quote_id}")).json()["updatedAt"]
    first = await line(admin, quote_id, quantity="2", unitCost="100", marginPercent="12.5", unitSales="112.5")
    assert first["lineNumber"] == 0 and first["currencyCode"] == "PLN" and first["quote"] == quote_id
    assert dec(first["unitSales"]) == dec("112.5") and dec(first["quantity"]) == 2
    second = await line(admin, quote_id, productName="THC", currencyCode="EUR", quantity=1.23456)
    assert second["lineNumber"] == 1 and second["currencyCode"] == "EUR" and dec(second["quantity"]) == dec("1.2346")
    # Lines queue on their quote's lock without changing the quote.
    assert (await admin.get(f"{B}/{quote_id}")).json()["updatedAt"] == stamp
    blank = (await admin.post(f"{B}/quote-lines", json={"quoteId": quote_id})).json()
    assert blank["productName"] == "New Product" and blank["lineNumber"] == 2

    page = (await admin.get(f"{B}/quote-lines", params={"quoteId": quote_id, "limit": 2})).json()
    assert set(page) == {"items", "total", "page", "limit", "totalPages"}
    assert page["total"] == 3 and page["limit"] == 2 and page["totalPages"] == 2
    assert [i["lineNumber"] for i in page["items"]] == [0, 1]
    r = await admin.get(f"{B}/quote-lines")
    assert r.status_code == 400 and r.json()["error"] == "Invalid query parameters"
    assert (await admin.get(f"{B}/quote-lines", params={"quoteId": quote_id, "limit": 101})).status_code == 400

    r = await admin.put(f"{B}/quote-lines/{first['id']}", json={"unitSales": "120", "marginPercent": "20"})
    assert r.status_code == 200 and dec(r.json()["unitSales"]) == 120 and r.json()["quoteId"] == quote_id
    detail = (await admin.get(f"{B}/quote-lines/{first['id']}")).json()
    assert dec(detail["marginPercent"]) == 20
    assert (await admin.delete(f"{B}/quote-lines/{second['id']}")).status_code == 204
    assert (await admin.get(f"{B}/quote-lines/{second['id']}")).status_code == 404
    assert (await admin.get(f"{B}/quote-lines", params={"quoteId": quote_id})).json()["total"] == 2


async def test_bad_quote_line_input_is_a_400_and_stores_nothing(world: World) -> None:
    admin = await world.admin()
    quote_id = await quote(admin)
    kept = await line(admin, quote_id)
    for body in ({"quantity": -1}, {"unitSales": "abc"}, {"contractType": "spot"}, {"productName": ""},
                 {"currencyCode": "EURO"}, {"quantity": None}, {"lineNumber": -1}, {"unitCost": "1e20"}):
        r = await admin.post(f"{B}/quote-lines", json={"quoteId": quote_id, **body})
        assert r.status_code == 400, (body, r.text)
        r = await admin.put(f"{B}/quote-lines/{kept['id']}", json=body)
        assert r.status_code == 400, (body, r.text)
    r = await admin.post(f"{B}/quote-lines", json={"productName": "X"})
    assert r.status_code == 400
    r = await admin.post(f"{B}/quote-lines", json={"quoteId": "0b9d6f0e-5d2b-4c51-9d1b-6f1c2f0e8a11"})
    assert r.status_code == 404 and r.json()["error"] == "Quote not found"
    page = (await admin.get(f"{B}/quote-lines", params={"quoteId": quote_id})).json()
    assert page["total"] == 1 and dec(page["items"][0]["quantity"]) == 1


async def test_grids_are_configured_from_the_columns(world: World) -> None:
    viewer = await world.user(["fms_quotes.quotes.view"])
    for path, entity in (("table-config", "fms_quote"), ("quote-lines/table-config", "fms_quote_line"),
                         ("offer-lines/table-config", "fms_offer_line")):
        r = await viewer.get(f"{B}/{path}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["meta"]["entity"] == entity and body["meta"]["totalColumns"] == len(body["columns"])
        keys = {c["data"] for c in body["columns"]}
        assert not keys & {"id", "tenantId", "organizationId", "deletedAt"}
    quotes = {c["data"]: c for c in (await viewer.get(f"{B}/table-config")).json()["columns"]}
    assert quotes["status"]["type"] == "dropdown" and "archived" in quotes["status"]["source"]
    assert quotes["quoteNumber"]["renderer"] == "QuoteNumberRenderer" and quotes["validUntil"]["type"] == "date"
    lines = {c["data"]: c for c in (await viewer.get(f"{B}/quote-lines/table-config")).json()["columns"]}
    assert lines["unitSales"]["type"] == "numeric" and lines["productName"]["readOnly"] is True
    assert "readOnly" not in lines["unitSales"] and "quoteId" not in lines
    charges = {c["data"]: c for c in (await viewer.get(f"{B}/offer-lines/table-config")).json()["columns"]}
    assert charges["chargeUnit"]["source"][0] == "per_container" and "offerId" not in charges


async def test_another_tenant_sees_none_of_the_quotes(world: World, client: Any) -> None:
    admin = await world.admin()
    quote_id = await quote(admin, quoteNumber="MINE")
    line_id = (await line(admin, quote_id))["id"]
    stranger = await World(client).admin()
    assert (await stranger.get(B)).json()["total"] == 0
    assert (await stranger.get(B, params={"id": quote_id})).json()["total"] == 0
    for method, path, body in (("get", f"{B}/{quote_id}", None), ("put", f"{B}/{quote_id}", {"notes": "x"}),
                               ("put", B, {"id": quote_id, "notes": "x"}), ("delete", f"{B}/{quote_id}", None),
                               ("get", f"{B}/quote-lines/{line_id}", None),
                               ("put", f"{B}/quote-lines/{line_id}", {"quantity": 9}),
                               ("delete", f"{B}/quote-lines/{line_id}", None)):
        kw = {"json": body} if body is not None else {}
        r = await getattr(stranger, method)(path, **kw)
        assert r.status_code == 404, (method, path, r.text)
    assert (await stranger.delete(B, params={"id": quote_id})).status_code == 404
    assert (await stranger.get(f"{B}/quote-lines", params={"quoteId": quote_id})).status_code == 404
    r = await stranger.post(f"{B}/quote-lines", json={"quoteId": quote_id, "productName": "x"})
    assert r.status_code == 404
    assert (await admin.get(f"{B}/{quote_id}")).json()["notes"] is None
    assert (await admin.get(f"{B}/quote-lines", params={"quoteId": quote_id})).json()["total"] == 1


async def test_a_quote_by_id_names_its_client_and_ports(world: World) -> None:
    me = await world.user(["fms_quotes.*", "contractors.*", "fms_locations.*"])
    client = (await me.post("/api/contractors/contractors", json={"name": "Baltic Lines", "shortName": "BL"})).json()
    gdn = (await me.post("/api/fms_locations/ports", json={"code": "GDN", "name": "Gdansk", "locode": "PLGDN",
                                                          "city": "Gdansk", "country": "PL"})).json()
    rtm = (await me.post("/api/fms_locations/ports", json={"code": "RTM", "name": "Rotterdam",
                                                          "locode": "NLRTM"})).json()
    quote_id = await quote(me, clientId=client["id"], originPortIds=[gdn["id"]], destinationPortIds=[rtm["id"]])
    body = (await me.get(f"{B}/{quote_id}")).json()
    assert body["client"] == {"id": client["id"], "name": "Baltic Lines", "shortName": "BL"}
    assert body["originPorts"] == [{"id": gdn["id"], "locode": "PLGDN", "name": "Gdansk", "city": "Gdansk",
                                    "country": "PL"}]
    assert [p["name"] for p in body["destinationPorts"]] == ["Rotterdam"]
    r = await me.put(f"{B}/{quote_id}", json={"originPortIds": [rtm["id"]], "clientId": None})
    assert r.status_code == 200, r.text
    assert r.json()["client"] is None and [p["name"] for p in r.json()["originPorts"]] == ["Rotterdam"]
    # What the caller cannot see is left out, not named.
    stranger = await World(world.client).user(["fms_quotes.*"])
    theirs = await quote(stranger, clientId=client["id"], originPortIds=[gdn["id"]])
    body = (await stranger.get(f"{B}/{theirs}")).json()
    assert body["client"] is None and body["originPorts"] == []
