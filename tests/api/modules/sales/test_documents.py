"""Orders and quotes through HTTP: nested lines and adjustments, totals recalculated on every write
that affects them, document numbers, quote conversion, payments and shipments with their guards,
settings, and the refusals (401/403, other tenants, bad input with nothing stored)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

from api.db import sessionmaker
from api.modules.dictionaries import service as dictionaries
from tests.fixtures import Caller, World

B = "/api/sales"


async def seeded(world: World) -> Caller:
    admin = await world.admin()
    async with sessionmaker()() as s:
        await dictionaries.ensure_defaults(s, tenant_id=world.tenant_id, organization_id=world.org_id)
        await s.commit()
    return admin


async def order(admin: Caller, **body: Any) -> dict[str, Any]:
    r = await admin.post(f"{B}/orders", json={"currencyCode": "EUR", **body})
    assert r.status_code == 201, r.text
    return await get_order(admin, r.json()["id"])


async def get_order(admin: Caller, order_id: str, path: str = "orders") -> dict[str, Any]:
    r = await admin.get(f"{B}/{path}", params={"id": order_id})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 1
    return dict(items[0])


def money(item: dict[str, Any], key: str) -> Decimal:
    return Decimal(str(item[key]))


async def test_an_order_with_lines_and_adjustments_has_its_totals(world: World) -> None:
    admin = await seeded(world)
    o = await order(admin, lines=[
        {"name": "Widget", "quantity": 3, "unitPriceNet": "19.99", "taxRate": 23},
        {"name": "Gadget", "quantity": 1, "unitPriceNet": "100", "taxRate": 8, "discountPercent": 10}],
        adjustments=[{"kind": "shipping", "amountNet": "10", "amountGross": "12.30"}])
    # 59.97 + 13.79 tax; 90.00 + 7.20 tax; shipping 10 / 12.30.
    assert money(o, "subtotalNetAmount") == Decimal("149.97")
    assert money(o, "subtotalGrossAmount") == Decimal("170.96")
    assert money(o, "shippingGrossAmount") == Decimal("12.30")
    assert money(o, "grandTotalGrossAmount") == Decimal("183.26")
    assert money(o, "taxTotalAmount") == Decimal("23.29")
    assert money(o, "discountTotalAmount") == Decimal("10.00")
    assert o["lineItemCount"] == 2 and o["orderNumber"].startswith("ORDER-")
    lines = (await admin.get(f"{B}/order-lines", params={"orderId": o["id"]})).json()
    assert lines["total"] == 2 and {"order_id", "total_gross_amount", "unit_price_gross"} <= set(lines["items"][0])
    assert money(lines["items"][0], "total_gross_amount") == Decimal("73.76")

    # A line added, changed and removed through /order-lines recalculates the order each time.
    r = await admin.post(f"{B}/order-lines", json={"orderId": o["id"], "currencyCode": "EUR", "quantity": 2,
                                                   "unitPriceNet": "5", "taxRate": 0})
    assert r.status_code == 201 and r.json()["orderId"] == o["id"]
    line_id = r.json()["id"]
    assert money(await get_order(admin, o["id"]), "subtotalNetAmount") == Decimal("159.97")
    r = await admin.put(f"{B}/order-lines", json={"id": line_id, "quantity": 4})
    assert r.status_code == 200 and r.json() == {"id": line_id, "orderId": o["id"]}, r.text
    assert money(await get_order(admin, o["id"]), "subtotalNetAmount") == Decimal("169.97")
    r = await admin.post(f"{B}/order-adjustments", json={"orderId": o["id"], "kind": "discount", "rate": 10})
    assert r.status_code == 201, r.text
    after = await get_order(admin, o["id"])
    assert money(after, "grandTotalNetAmount") == Decimal("169.97") - Decimal("17.00") + Decimal("10")
    r = await admin.delete(f"{B}/order-lines", params={"id": line_id})
    assert r.status_code == 200
    final = await get_order(admin, o["id"])
    assert final["lineItemCount"] == 2 and money(final, "subtotalNetAmount") == Decimal("149.97")


async def test_bad_lines_are_refused_and_change_nothing(world: World) -> None:
    admin = await seeded(world)
    o = await order(admin, lines=[{"quantity": 1, "unitPriceNet": "10"}])
    for body, status in (({"quantity": -1}, 400), ({"quantity": 1, "currencyCode": "USD"}, 400),
                         ({"quantity": 1, "productId": "00000000-0000-4000-8000-000000000000"}, 404),
                         ({"quantity": 1, "taxRateId": "00000000-0000-4000-8000-000000000000"}, 404),
                         ({"quantity": "lots"}, 400)):
        r = await admin.post(f"{B}/order-lines", json={"orderId": o["id"], "currencyCode": "EUR", **body})
        assert r.status_code == status, (body, r.text)
        assert "error" in r.json()
    again = await get_order(admin, o["id"])
    assert again["lineItemCount"] == 1 and again["grandTotalNetAmount"] == o["grandTotalNetAmount"]
    r = await admin.post(f"{B}/order-adjustments", json={"orderId": o["id"], "kind": "nonsense", "amountNet": 1})
    assert r.status_code == 400


async def test_numbers_follow_the_template_and_concurrent_creates_get_distinct_gapless_numbers(world: World) -> None:
    admin = await seeded(world)
    r = await admin.put(f"{B}/settings/document-numbers", json={"orderNumberFormat": "SO-{yy}-{seq:4}",
                                                                 "orderNextNumber": 7})
    assert r.status_code == 200, r.text
    assert r.json()["orderNumberFormat"] == "SO-{yy}-{seq:4}" and r.json()["nextOrderNumber"] == 7
    r = await admin.post(f"{B}/document-numbers", json={"kind": "order"})
    assert r.status_code == 200 and r.json()["sequence"] == 7 and r.json()["number"].endswith("-0007")
    assert (await admin.put(f"{B}/settings/document-numbers", json={"orderNumberFormat": "SO"})).status_code == 400

    results = await asyncio.gather(*[admin.post(f"{B}/orders", json={"currencyCode": "EUR", "lines": [
        {"quantity": 1, "unitPriceNet": "1"}]}) for _ in range(50)])
    assert all(r.status_code == 201 for r in results), [r.text for r in results if r.status_code != 201][:1]
    page = (await admin.get(f"{B}/orders", params={"pageSize": 100})).json()
    numbers = sorted(int(i["orderNumber"].rsplit("-", 1)[1]) for i in page["items"])
    assert numbers == list(range(8, 58))


async def test_a_quote_converts_once_into_an_equal_order(world: World) -> None:
    admin = await seeded(world)
    tag = (await admin.post(f"{B}/tags", json={"label": "VIP"})).json()["id"]
    r = await admin.post(f"{B}/quotes", json={"currencyCode": "EUR", "tags": [tag], "lines": [
        {"name": "A", "quantity": 2, "unitPriceGross": "12.30", "taxRate": 23}],
        "adjustments": [{"kind": "discount", "amountNet": "2", "amountGross": "2.46"}]})
    assert r.status_code == 201, r.text
    quote = await get_order(admin, r.json()["id"], "quotes")
    assert quote["quoteNumber"].startswith("QUOTE-")
    r = await admin.post(f"{B}/document-addresses", json={"documentId": quote["id"], "documentKind": "quote",
                                                          "addressLine1": "Main 1", "country": "pl"})
    assert r.status_code == 201, r.text
    r = await admin.post(f"{B}/quotes/convert", json={"quoteId": quote["id"]})
    assert r.status_code == 200, r.text
    made = await get_order(admin, r.json()["orderId"])
    for key in ("subtotalNetAmount", "grandTotalNetAmount", "grandTotalGrossAmount", "taxTotalAmount"):
        assert made[key] == quote[key], key
    assert (await admin.get(f"{B}/quotes", params={"id": quote["id"]})).json()["total"] == 0
    addresses = (await admin.get(f"{B}/document-addresses", params={"documentId": made["id"]})).json()["items"]
    assert addresses[0]["country"] == "PL"
    tagged = (await admin.get(f"{B}/orders", params={"tagIds": tag})).json()["items"]
    assert [t["id"] for t in tagged] == [made["id"]]
    r = await admin.post(f"{B}/quotes/convert", json={"quoteId": quote["id"]})
    assert r.status_code == 409


async def test_payments_and_shipments_keep_to_what_the_order_owes_and_holds(world: World) -> None:
    admin = await seeded(world)
    o = await order(admin, lines=[{"quantity": 2, "unitPriceNet": "50", "taxRate": 0}])
    line = (await admin.get(f"{B}/order-lines", params={"orderId": o["id"]})).json()["items"][0]
    r = await admin.post(f"{B}/payments", json={"orderId": o["id"], "amount": "60", "currencyCode": "EUR"})
    assert r.status_code == 201, r.text
    assert r.json()["orderTotals"]["outstandingAmount"] == "40.0000" or \
        Decimal(r.json()["orderTotals"]["outstandingAmount"]) == Decimal(40)
    pay_id = r.json()["id"]
    r = await admin.post(f"{B}/payments", json={"orderId": o["id"], "amount": "41", "currencyCode": "EUR"})
    assert r.status_code == 400
    r = await admin.post(f"{B}/payments", json={"orderId": o["id"], "amount": "1", "currencyCode": "USD"})
    assert r.status_code == 400
    r = await admin.put(f"{B}/payments", json={"id": pay_id, "refundedAmount": "10"})
    assert r.status_code == 200 and Decimal(str(r.json()["orderTotals"]["outstandingAmount"])) == Decimal(50)
    r = await admin.delete(f"{B}/payments", params={"id": pay_id})
    assert r.status_code == 200 and Decimal(str(r.json()["orderTotals"]["paidTotalAmount"])) == Decimal(0)

    r = await admin.post(f"{B}/shipments", json={"orderId": o["id"], "items": [
        {"orderLineId": line["id"], "quantity": 1}]})
    assert r.status_code == 201, r.text
    r = await admin.post(f"{B}/shipments", json={"orderId": o["id"], "items": [
        {"orderLineId": line["id"], "quantity": 2}]})
    assert r.status_code == 400 and "more than was ordered" in r.json()["error"]
    shipments = (await admin.get(f"{B}/shipments", params={"orderId": o["id"]})).json()
    assert shipments["total"] == 1 and shipments["items"][0]["items_snapshot"][0]["quantity"] == "1"


async def test_undoing_an_order_update_puts_its_lines_adjustments_and_tags_back(world: World) -> None:
    admin = await seeded(world)
    tag = (await admin.post(f"{B}/tags", json={"label": "Rush"})).json()["id"]
    o = await order(admin, lines=[{"name": "A", "quantity": 2, "unitPriceNet": "50", "taxRate": 0},
                                  {"name": "B", "quantity": 1, "unitPriceNet": "10", "taxRate": 0}],
                    adjustments=[{"kind": "discount", "amountNet": "5", "amountGross": "5"}], tags=[tag])
    lines = (await admin.get(f"{B}/order-lines", params={"orderId": o["id"]})).json()["items"]
    a, b = sorted(lines, key=lambda line: line["name"])

    async def state() -> tuple[Any, ...]:
        got = await get_order(admin, o["id"])
        rows = (await admin.get(f"{B}/order-lines", params={"orderId": o["id"]})).json()["items"]
        adjustments = (await admin.get(f"{B}/order-adjustments", params={"orderId": o["id"]})).json()["items"]
        tagged = (await admin.get(f"{B}/orders", params={"tagIds": tag})).json()["total"]
        return (money(got, "grandTotalNetAmount"), sorted((r["id"], r["name"], str(r["quantity"])) for r in rows),
                sorted(x["id"] for x in adjustments), tagged)

    before = await state()
    r = await admin.put(f"{B}/orders", json={
        "id": o["id"], "comment": "changed", "tags": [], "removedLineIds": [b["id"]],
        "lines": [{"id": a["id"], "quantity": 5}, {"name": "C", "quantity": 1, "unitPriceNet": "1", "taxRate": 0}],
        "removedAdjustmentIds": [(await admin.get(f"{B}/order-adjustments", params={"orderId": o["id"]}))
                                 .json()["items"][0]["id"]]})
    assert r.status_code == 200, r.text
    assert await state() != before
    undo = await admin.post("/api/audit_logs/audit-logs/actions/undo",
                            json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    assert await state() == before
    redo = await admin.post("/api/audit_logs/audit-logs/actions/redo", json={"logId": undo.json()["logId"]})
    assert redo.status_code == 200, redo.text
    total, rows, adjustments, tagged = await state()
    assert total == Decimal("251") and sorted(r[1] for r in rows) == ["A", "C"] and adjustments == [] \
        and tagged == 0


async def test_undoing_a_line_adjustment_or_payment_write_puts_the_totals_back(world: World) -> None:
    admin = await seeded(world)
    o = await order(admin, lines=[{"name": "A", "quantity": 1, "unitPriceNet": "100", "taxRate": 0}])

    async def undo(r: Any) -> None:
        answer = await admin.post("/api/audit_logs/audit-logs/actions/undo",
                                  json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
        assert answer.status_code == 200, answer.text

    async def totals() -> tuple[Decimal, Decimal, int]:
        got = await get_order(admin, o["id"])
        return money(got, "grandTotalNetAmount"), money(got, "outstandingAmount"), got["lineItemCount"]

    assert await totals() == (100, 100, 1)
    r = await admin.post(f"{B}/order-lines", json={"orderId": o["id"], "currencyCode": "EUR", "name": "B",
                                                   "quantity": 1, "unitPriceNet": "50", "taxRate": 0})
    assert r.status_code == 201 and await totals() == (150, 150, 2)
    await undo(r)
    assert await totals() == (100, 100, 1)
    r = await admin.post(f"{B}/order-adjustments", json={"orderId": o["id"], "kind": "discount",
                                                         "amountNet": "10", "amountGross": "10"})
    assert r.status_code == 201 and await totals() == (90, 90, 1)
    await undo(r)
    assert await totals() == (100, 100, 1)
    r = await admin.post(f"{B}/payments", json={"orderId": o["id"], "amount": "30", "currencyCode": "EUR"})
    assert r.status_code == 201 and await totals() == (100, 70, 1)
    await undo(r)
    assert await totals() == (100, 100, 1)
    r = await admin.post(f"{B}/payments", json={"orderId": o["id"], "amount": "30", "currencyCode": "EUR"})
    pay_id = r.json()["id"]
    # Moved to another order and the move undone: both orders' amounts follow.
    other = await order(admin, lines=[{"name": "Z", "quantity": 1, "unitPriceNet": "80", "taxRate": 0}])
    r = await admin.put(f"{B}/payments", json={"id": pay_id, "orderId": other["id"]})
    assert r.status_code == 200, r.text
    assert await totals() == (100, 100, 1) and money(await get_order(admin, other["id"]), "outstandingAmount") == 50
    await undo(r)
    assert await totals() == (100, 70, 1) and money(await get_order(admin, other["id"]), "outstandingAmount") == 80


async def test_undoing_shipment_writes_puts_items_and_fulfilled_quantities_back(world: World) -> None:
    admin = await seeded(world)
    o = await order(admin, lines=[{"quantity": 5, "unitPriceNet": "10", "taxRate": 0}])
    line = (await admin.get(f"{B}/order-lines", params={"orderId": o["id"]})).json()["items"][0]

    async def fulfilled() -> Decimal:
        row = (await admin.get(f"{B}/order-lines", params={"orderId": o["id"]})).json()["items"][0]
        return Decimal(str(row["fulfilled_quantity"]))

    async def undo(r: Any) -> Any:
        answer = await admin.post("/api/audit_logs/audit-logs/actions/undo",
                                  json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
        assert answer.status_code == 200, answer.text
        return answer

    r = await admin.post(f"{B}/shipments", json={"orderId": o["id"], "items": [
        {"orderLineId": line["id"], "quantity": 2}]})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    r = await admin.put(f"{B}/shipments", json={"id": sid, "items": [{"orderLineId": line["id"], "quantity": 4}]})
    assert r.status_code == 200, r.text
    assert await fulfilled() == 4
    await undo(r)
    assert await fulfilled() == 2
    shipment = (await admin.get(f"{B}/shipments", params={"id": sid})).json()["items"][0]
    assert shipment["items_snapshot"][0]["quantity"] == "2"

    r = await admin.delete(f"{B}/shipments", params={"id": sid})
    assert r.status_code == 200 and await fulfilled() == 0
    undone = await undo(r)
    assert await fulfilled() == 2
    # The restored items hold the line again: only 3 are left to ship.
    r = await admin.post(f"{B}/shipments", json={"orderId": o["id"], "items": [
        {"orderLineId": line["id"], "quantity": 4}]})
    assert r.status_code == 400 and "more than was ordered" in r.json()["error"]
    redo = await admin.post("/api/audit_logs/audit-logs/actions/redo", json={"logId": undone.json()["logId"]})
    assert redo.status_code == 200, redo.text
    assert await fulfilled() == 0


async def test_order_editing_guards_follow_the_settings(world: World) -> None:
    admin = await seeded(world)
    r = await admin.put(f"{B}/settings/order-editing", json={"orderAddressEditableStatuses": ["draft"]})
    assert r.status_code == 200, r.text
    assert any(s["value"] == "confirmed" for s in r.json()["orderStatuses"])
    statuses = {s["value"]: s["id"] for s in r.json()["orderStatuses"]}
    o = await order(admin, statusEntryId=statuses["confirmed"])
    assert o["status"] == "confirmed"
    r = await admin.put(f"{B}/orders", json={"id": o["id"], "shippingAddressSnapshot": {"city": "X"}})
    assert r.status_code == 400 and "address" in r.json()["error"]
    r = await admin.put(f"{B}/orders", json={"id": o["id"], "comment": "fine"})
    assert r.status_code == 200


async def test_settings_collections_and_status_dictionaries(world: World) -> None:
    admin = await seeded(world)
    r = await admin.post(f"{B}/shipping-methods", json={"name": "Courier", "code": "courier", "baseRateNet": "10",
                                                        "baseRateGross": "12.3", "currencyCode": "EUR"})
    assert r.status_code == 201, r.text
    method = r.json()["id"]
    assert (await admin.post(f"{B}/shipping-methods", json={"name": "Again", "code": "courier"})).status_code == 409
    o = await order(admin, shippingMethodId=method, lines=[{"quantity": 1, "unitPriceNet": "10", "taxRate": 23}])
    assert o["shippingMethodCode"] == "courier" and money(o, "shippingGrossAmount") == Decimal("12.30")
    await admin.put(f"{B}/shipping-methods", json={"id": method, "baseRateNet": "99"})
    assert money(await get_order(admin, o["id"]), "shippingNetAmount") == Decimal("10.00")  # the snapshot holds

    for path in ("order-statuses", "order-line-statuses", "shipment-statuses", "payment-statuses",
                 "adjustment-kinds"):
        page = (await admin.get(f"{B}/{path}")).json()
        assert page["total"] >= 5 and {"value", "label", "color", "icon"} <= set(page["items"][0]), path
    r = await admin.post(f"{B}/order-statuses", json={"value": "awaiting_stock", "label": "Awaiting stock"})
    assert r.status_code == 201, r.text
    assert (await admin.post(f"{B}/order-statuses", json={"value": "Awaiting_Stock"})).status_code == 409
    # the shipped approval workflow's statuses are defaults
    assert (await admin.post(f"{B}/order-statuses", json={"value": "pending_approval"})).status_code == 409
    r = await admin.post(f"{B}/tax-rates", json={"name": "VAT", "code": "vat", "rate": 23, "countryCode": "pl"})
    assert r.status_code == 201
    page = (await admin.get(f"{B}/tax-rates", params={"country": "PL"})).json()
    assert page["items"][0]["countryCode"] == "PL"
    for path in ("payment-methods", "delivery-windows"):
        r = await admin.post(f"{B}/{path}", json={"name": "X", "code": "x"})
        assert r.status_code == 201, (path, r.text)
    assert (await admin.get(f"{B}/price-kinds")).status_code == 200


async def test_tax_rates_are_chosen_for_lines_without_a_rate(world: World) -> None:
    admin = await seeded(world)
    for body in ({"name": "Default", "code": "std", "rate": 20, "isDefault": True},
                 {"name": "PL", "code": "pl", "rate": 23, "countryCode": "PL", "priority": 10},
                 {"name": "Local", "code": "local", "rate": 1, "countryCode": "PL", "isCompound": True}):
        assert (await admin.post(f"{B}/tax-rates", json=body)).status_code == 201
    o = await order(admin, shippingAddressSnapshot={"country": "PL"}, lines=[{"quantity": 1, "unitPriceNet": "100"}])
    line = (await admin.get(f"{B}/order-lines", params={"orderId": o["id"]})).json()["items"][0]
    assert Decimal(str(line["tax_rate"])) == Decimal("24.23") and money(o, "grandTotalGrossAmount") == Decimal("124.23")
    other = await order(admin, lines=[{"quantity": 1, "unitPriceNet": "100"}])
    assert money(other, "grandTotalGrossAmount") == Decimal("120.00")


async def test_refusals_anonymous_featureless_and_other_tenants(world: World, client: Any) -> None:
    admin = await seeded(world)
    o = await order(admin, lines=[{"quantity": 1, "unitPriceNet": "10"}])
    r = await client.get(f"{B}/orders")
    assert r.status_code == 401
    viewer = await world.user(["sales.orders.view"])
    r = await viewer.post(f"{B}/orders", json={"currencyCode": "EUR"})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["sales.orders.manage"]
    r = await viewer.post(f"{B}/quotes/convert", json={"quoteId": o["id"]})
    assert r.status_code == 403
    r = await viewer.get(f"{B}/tax-rates")
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["sales.settings.manage"]
    stranger = await (await World(client).setup()).admin()
    assert (await stranger.get(f"{B}/order-lines", params={"orderId": o["id"]})).status_code == 404
    r = await stranger.post(f"{B}/order-adjustments", json={"orderId": o["id"], "kind": "discount", "amountNet": 1})
    assert r.status_code == 404
    assert (await stranger.put(f"{B}/orders", json={"id": o["id"], "comment": "x"})).status_code == 404
    r = await admin.post(f"{B}/orders", json={"currencyCode": "EURO"})
    assert r.status_code == 400
    assert (await admin.get(f"{B}/orders")).json()["total"] == 1


async def test_first_settings_writes_at_once_never_fail(world: World) -> None:
    """Found by the fuzzer: two first writes of a new organization's settings (each seeding its
    dictionaries and creating its settings row) raced into a unique constraint and answered 500."""
    import asyncio

    admin = await world.admin()
    answers = await asyncio.gather(
        *(admin.put(f"{B}/settings/order-editing", json={"orderAddressEditableStatuses": []}) for _ in range(4)),
        *(admin.get(f"{B}/settings/order-editing") for _ in range(2)))
    assert {r.status_code for r in answers} <= {200, 409}, [r.text for r in answers]
    assert (await admin.get(f"{B}/settings/order-editing")).status_code == 200
