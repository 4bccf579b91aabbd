"""Offers through HTTP: built from the selected quote lines (prices, amounts, total), numbered per
organization without gaps (also under concurrent creates), versioned (the old version superseded,
drafts and superseded offers refused), their lines keeping the total, and the refusals."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from tests.api.modules.fms_quotes.helpers import B, dec, get_offer, line, offer, quote, quote_with_lines, send
from tests.fixtures import World


def year() -> int:
    return datetime.now(UTC).year


async def test_an_offer_is_built_from_all_quote_lines(world: World) -> None:
    admin = await world.admin()
    quote_id, lines = await quote_with_lines(admin, ("2", "100.50"), ("3", "10"), ("0.5", "0.333"))
    body = await offer(admin, quote_id, paymentTerms="30 days", carrierName="Maersk")
    assert body["offerNumber"] == f"OFF-{year()}-0001" and body["version"] == 1 and body["status"] == "draft"
    assert body["quoteId"] == quote_id and body["currencyCode"] == "EUR" and body["contractType"] == "spot"
    assert body["paymentTerms"] == "30 days" and body["carrierName"] == "Maersk"
    assert body["validUntil"].startswith("2030-06-30") and body["supersededById"] is None
    # 2 × 100.50 + 3 × 10 + 0.5 × 0.333 (0.1665 at four places)
    assert dec(body["totalAmount"]) == dec("231.1665")
    assert [o["lineNumber"] for o in body["lines"]] == [1, 2, 3]
    first = body["lines"][0]
    assert first["productName"] == "P0" and first["chargeCode"] == "C0" and first["containerSize"] == "40HC"
    assert dec(first["unitPrice"]) == dec("100.50") and dec(first["amount"]) == dec("201.00")
    assert sum(dec(o["amount"]) for o in body["lines"]) == dec(body["totalAmount"])
    assert body["quote"]["quoteNumber"] == "Q-1"
    assert await get_offer(admin, body["id"]) == body

    page = (await admin.get(f"{B}/offers", params={"quoteId": quote_id})).json()
    assert set(page) == {"items", "total", "page", "limit", "totalPages"} and page["total"] == 1
    assert page["items"][0]["lines"] == body["lines"]
    lines_page = (await admin.get(f"{B}/offer-lines", params={"offerId": body["id"]})).json()
    assert set(lines_page) == {"items", "total", "page", "limit", "totalPages"} and lines_page["total"] == 3
    assert lines_page["items"][0]["offer"] == body["id"]


async def test_an_offer_takes_only_the_selected_lines_and_numbers_run_on(world: World) -> None:
    admin = await world.admin()
    quote_id, lines = await quote_with_lines(admin, ("1", "500"), ("4", "25"))
    first = await offer(admin, quote_id, lineIds=[lines[1]["id"]])
    assert [o["productName"] for o in first["lines"]] == ["P1"] and dec(first["totalAmount"]) == 100
    second = await offer(admin, quote_id)
    assert second["offerNumber"] == f"OFF-{year()}-0002" and second["version"] == 1
    assert dec(second["totalAmount"]) == 600
    # Numbers are per organization: another organization of the tenant starts at 1.
    branch = await world.org("Branch")
    other_quote = await quote(admin, organizationId=branch)
    await line(admin, other_quote, unitSales="1")
    assert (await offer(admin, other_quote))["offerNumber"] == f"OFF-{year()}-0001"
    newest = (await admin.get(f"{B}/offers")).json()["items"]
    assert len(newest) == 3 and newest[0]["organizationId"] == branch


async def test_bad_offer_input_is_refused_and_uses_no_number(world: World) -> None:
    admin = await world.admin()
    quote_id, lines = await quote_with_lines(admin, ("1", "10"))
    other_quote, other_lines = await quote_with_lines(admin, ("1", "20"))
    empty = await quote(admin)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"quoteId": quote_id}, 400, "Invalid input"),
        ({"quoteId": quote_id, "validUntil": "soon"}, 400, "Invalid input"),
        ({"quoteId": "nope", "validUntil": "2030-01-01"}, 400, "Invalid input"),
        ({"quoteId": quote_id, "validUntil": "2030-01-01", "lineIds": ["x"]}, 400, "Invalid input"),
        ({"quoteId": quote_id, "validUntil": "2030-01-01", "lineIds": [other_lines[0]["id"]]}, 400, "Invalid input"),
        ({"quoteId": quote_id, "validUntil": "2030-01-01", "paymentTerms": "x" * 256}, 400, "Invalid input"),
        ({"quoteId": empty, "validUntil": "2030-01-01"}, 400, "No lines to include in offer"),
        ({"quoteId": "0b9d6f0e-5d2b-4c51-9d1b-6f1c2f0e8a11", "validUntil": "2030-01-01"}, 404, "Quote not found"),
    ]
    for body, status, error in cases:
        r = await admin.post(f"{B}/offers", json=body)
        assert r.status_code == status and r.json()["error"] == error, (body, r.text)
    r = await admin.post(f"{B}/offers", json={"quoteId": quote_id, "validUntil": "2030-01-01",
                                              "lineIds": [lines[0]["id"], other_lines[0]["id"]]})
    assert r.json()["details"][0]["path"] == ["lineIds", 1]
    assert (await admin.get(f"{B}/offers")).json()["total"] == 0
    assert (await offer(admin, other_quote))["offerNumber"] == f"OFF-{year()}-0001"


async def test_concurrent_offers_get_distinct_numbers_without_gaps(world: World) -> None:
    admin = await world.admin()
    quote_id, _ = await quote_with_lines(admin, ("1", "10"))
    results = await asyncio.gather(*[admin.post(f"{B}/offers", json={"quoteId": quote_id, "validUntil": "2030-01-01"})
                                     for _ in range(6)])
    assert [r.status_code for r in results] == [201] * 6, [r.text for r in results]
    numbers = sorted(r.json()["offerNumber"] for r in results)
    assert numbers == [f"OFF-{year()}-{n:04d}" for n in range(1, 7)]


async def test_a_sent_offer_is_versioned_and_the_old_one_superseded(world: World) -> None:
    admin = await world.admin()
    quote_id, _ = await quote_with_lines(admin, ("2", "50"), ("1", "5"))
    first = await offer(admin, quote_id, specialTerms="Free time 14 days")
    r = await admin.post(f"{B}/offers/version", json={"offerId": first["id"]})
    assert r.status_code == 400 and r.json()["error"] == "Cannot create new version from a draft offer"

    await send(admin, first["id"])
    r = await admin.post(f"{B}/offers/version", json={"offerId": first["id"]})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["offerNumber"] == first["offerNumber"] and created["version"] == 2
    assert set(created) == {"id", "offerNumber", "version"}
    old, new = await get_offer(admin, first["id"]), await get_offer(admin, created["id"])
    assert old["status"] == "superseded" and old["supersededById"] == new["id"]
    assert new["status"] == "draft" and new["supersededById"] is None and new["quoteId"] == quote_id
    assert new["specialTerms"] == "Free time 14 days" and new["totalAmount"] == old["totalAmount"]
    assert [(o["productName"], o["amount"]) for o in new["lines"]] == [(o["productName"], o["amount"])
                                                                        for o in old["lines"]]
    assert {o["id"] for o in new["lines"]}.isdisjoint({o["id"] for o in old["lines"]})

    r = await admin.post(f"{B}/offers/version", json={"offerId": first["id"]})
    assert r.status_code == 400 and r.json()["error"] == "Cannot create new version from a superseded offer"
    assert (await admin.put(f"{B}/offers/{first['id']}", json={"notes": "late"})).status_code == 409
    r = await admin.post(f"{B}/offer-lines", json={"offerId": first["id"], "unitPrice": 1})
    assert r.status_code == 409
    assert (await admin.put(f"{B}/offer-lines/{old['lines'][0]['id']}", json={"quantity": 9})).status_code == 409
    assert (await admin.delete(f"{B}/offers/{first['id']}")).status_code == 400

    await send(admin, created["id"])
    third = (await admin.post(f"{B}/offers/version", json={"offerId": created["id"]})).json()
    assert third["version"] == 3 and third["offerNumber"] == first["offerNumber"]
    versions = (await admin.get(f"{B}/offers", params={"offerNumber": first["offerNumber"]})).json()["items"]
    assert sorted((v["version"], v["status"]) for v in versions) == [(1, "superseded"), (2, "superseded"),
                                                                    (3, "draft")]
    # A new offer of the quote still takes the next number.
    assert (await offer(admin, quote_id))["offerNumber"] == f"OFF-{year()}-0002"


async def test_offer_updates_follow_the_rules(world: World) -> None:
    admin = await world.admin()
    quote_id, _ = await quote_with_lines(admin, ("1", "10"))
    body = await offer(admin, quote_id)
    r = await admin.put(f"{B}/offers/{body['id']}", json={"status": "superseded"})
    assert r.status_code == 400
    for bad in ({"status": "lost"}, {"validUntil": None}, {"paymentTerms": "x" * 256}, {"contractType": "SPOT"}):
        assert (await admin.put(f"{B}/offers/{body['id']}", json=bad)).status_code == 400, bad
    r = await admin.put(f"{B}/offers/{body['id']}", json={"status": "accepted", "customerNotes": "Thanks",
                                                          "validUntil": "2031-01-01"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted" and r.json()["customerNotes"] == "Thanks" and r.json()["lines"]
    assert r.json()["validUntil"].startswith("2031-01-01")
    r = await admin.delete(f"{B}/offers/{body['id']}")
    assert r.status_code == 400 and r.json()["error"] == "Only draft offers can be deleted"


async def test_offer_lines_keep_the_offer_total(world: World) -> None:
    admin = await world.admin()
    quote_id, _ = await quote_with_lines(admin, ("1", "100"))
    body = await offer(admin, quote_id)
    r = await admin.post(f"{B}/offer-lines", json={"offerId": body["id"], "quantity": "3", "unitPrice": "12.5",
                                                   "chargeCategory": "terminal", "containerType": "40HC"})
    assert r.status_code == 201, r.text
    added = r.json()
    assert dec(added["amount"]) == dec("37.5") and added["lineNumber"] == 2 and added["currencyCode"] == "EUR"
    assert added["chargeName"] == "New Charge" and added["chargeUnit"] == "per_container"
    assert dec((await get_offer(admin, body["id"]))["totalAmount"]) == dec("137.5")

    r = await admin.put(f"{B}/offer-lines/{added['id']}", json={"quantity": 4})
    assert r.status_code == 200 and dec(r.json()["amount"]) == 50
    assert dec((await get_offer(admin, body["id"]))["totalAmount"]) == 150
    r = await admin.put(f"{B}/offer-lines/{added['id']}", json={"amount": "45"})
    assert dec(r.json()["amount"]) == 45
    assert dec((await get_offer(admin, body["id"]))["totalAmount"]) == 145
    assert (await admin.get(f"{B}/offer-lines/{added['id']}")).json()["chargeCategory"] == "terminal"

    for bad in ({"quantity": -1}, {"chargeUnit": "per_year"}, {"containerType": "53HC"}, {"amount": None}):
        assert (await admin.post(f"{B}/offer-lines", json={"offerId": body["id"], **bad})).status_code == 400, bad
        assert (await admin.put(f"{B}/offer-lines/{added['id']}", json=bad)).status_code == 400, bad
    assert (await admin.get(f"{B}/offer-lines", params={"offerId": body["id"]})).json()["total"] == 2

    assert (await admin.delete(f"{B}/offer-lines/{added['id']}")).status_code == 204
    assert dec((await get_offer(admin, body["id"]))["totalAmount"]) == 100
    assert (await admin.get(f"{B}/offer-lines", params={"offerId": body["id"]})).json()["total"] == 1

    assert (await admin.delete(f"{B}/offers/{body['id']}")).status_code == 204
    assert (await admin.get(f"{B}/offers/{body['id']}")).status_code == 404
    assert (await admin.get(f"{B}/offer-lines", params={"offerId": body["id"]})).status_code == 404
    assert (await admin.get(f"{B}/offers")).json()["total"] == 0


async def test_another_tenant_sees_none_of_the_offers(world: World, client: Any) -> None:
    admin = await world.admin()
    quote_id, _ = await quote_with_lines(admin, ("1", "10"))
    body = await offer(admin, quote_id)
    await send(admin, body["id"])
    line_id = body["lines"][0]["id"]
    stranger = await World(client).admin()
    assert (await stranger.get(f"{B}/offers")).json()["total"] == 0
    for method, path, payload in (
            ("get", f"{B}/offers/{body['id']}", None), ("put", f"{B}/offers/{body['id']}", {"notes": "x"}),
            ("delete", f"{B}/offers/{body['id']}", None), ("post", f"{B}/offers/version", {"offerId": body["id"]}),
            ("post", f"{B}/offers", {"quoteId": quote_id, "validUntil": "2030-01-01"}),
            ("get", f"{B}/offer-lines/{line_id}", None), ("put", f"{B}/offer-lines/{line_id}", {"quantity": 2}),
            ("delete", f"{B}/offer-lines/{line_id}", None),
            ("post", f"{B}/offer-lines", {"offerId": body["id"], "unitPrice": 1})):
        kw = {"json": payload} if payload is not None else {}
        r = await getattr(stranger, method)(path, **kw)
        assert r.status_code == 404, (method, path, r.text)
    assert (await stranger.get(f"{B}/offer-lines", params={"offerId": body["id"]})).status_code == 404
    after = await get_offer(admin, body["id"])
    assert after["status"] == "sent" and after["notes"] is None and len(after["lines"]) == 1
    assert (await stranger.get(f"{B}/offers")).json()["total"] == 0


async def test_undoing_an_offer_line_write_puts_the_total_back(world: World) -> None:
    admin = await world.user(["fms_quotes.*", "audit_logs.undo_self"])
    quote_id, _ = await quote_with_lines(admin, ("1", "100"), ("2", "5"))
    body = await offer(admin, quote_id)
    r = await admin.delete(f"{B}/offer-lines/{body['lines'][1]['id']}")
    assert r.status_code == 204 and dec((await get_offer(admin, body["id"]))["totalAmount"]) == 100
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    r = await admin.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})
    assert r.status_code == 200, r.text
    after = await get_offer(admin, body["id"])
    assert dec(after["totalAmount"]) == 110 and len(after["lines"]) == 2


async def test_undoing_an_offer_delete_brings_its_lines_back(world: World) -> None:
    admin = await world.user(["fms_quotes.*", "audit_logs.undo_self"])
    quote_id, _ = await quote_with_lines(admin, ("1", "100"), ("2", "5"))
    body = await offer(admin, quote_id)
    r = await admin.delete(f"{B}/offers/{body['id']}")
    assert r.status_code == 204
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    r = await admin.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})
    assert r.status_code == 200, r.text
    after = await get_offer(admin, body["id"])
    assert dec(after["totalAmount"]) == 110 and [x["id"] for x in after["lines"]] == [x["id"] for x in body["lines"]]
    assert (await admin.get(f"{B}/offer-lines", params={"offerId": body["id"]})).json()["total"] == 2
