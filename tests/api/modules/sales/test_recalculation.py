"""Recalculation through HTTP: what a write stores of the lines it did not touch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.api.modules.sales.test_documents import B, get_order, order, seeded


async def test_a_line_write_rewrites_the_other_lines_whose_amounts_changed(world: Any) -> None:
    """Recalculation reads the other lines as plain rows and writes back only those whose amounts come
    out differently: after the currency's decimal places change, adding a line re-rounds every line,
    and what is stored adds up to the document's totals."""
    admin = await seeded(world)
    r = await admin.post("/api/currencies/currencies", json={"code": "EUR", "name": "Euro", "decimalPlaces": 2})
    assert r.status_code == 201, r.text
    currency_id = r.json()["id"]
    o = await order(admin, lines=[{"name": f"L{i}", "quantity": 3, "unitPriceNet": "10.55", "taxRate": 23}
                                  for i in range(3)])
    lines = (await admin.get(f"{B}/order-lines", params={"orderId": o["id"]})).json()["items"]
    assert {Decimal(str(x["total_gross_amount"])) for x in lines} == {Decimal("38.93")}
    r = await admin.put("/api/currencies/currencies", json={"id": currency_id, "decimalPlaces": 0})
    assert r.status_code == 200, r.text
    r = await admin.post(f"{B}/order-lines", json={"orderId": o["id"], "currencyCode": "EUR", "name": "New",
                                                   "quantity": 1, "unitPriceNet": "1", "taxRate": 23})
    assert r.status_code == 201, r.text
    lines = (await admin.get(f"{B}/order-lines", params={"orderId": o["id"]})).json()["items"]
    gross = sorted(Decimal(str(x["total_gross_amount"])) for x in lines)
    assert gross == [Decimal(1), Decimal(39), Decimal(39), Decimal(39)]
    after = await get_order(admin, o["id"])
    assert Decimal(str(after["subtotalGrossAmount"])) == sum(gross)


async def test_line_writes_find_only_the_callers_live_documents(world: Any, client: Any) -> None:
    """The line and adjustment collections leave the document's lookup to their lock (scoped and live,
    as the kit's own check): another tenant's, a deleted or an unknown document is a 404, nothing written."""
    from tests.fixtures import World

    admin = await seeded(world)
    o = await order(admin, lines=[{"name": "A", "quantity": 1, "unitPriceNet": "10", "taxRate": 23}])
    gone = await order(admin)
    assert (await admin.delete(f"{B}/orders", params={"id": gone["id"]})).status_code == 200
    stranger = await (await World(client).setup()).admin()
    line = {"currencyCode": "EUR", "name": "X", "quantity": 1, "unitPriceNet": "5", "taxRate": 23}
    for caller, order_id in ((stranger, o["id"]), (admin, gone["id"]),
                             (admin, "00000000-0000-4000-8000-000000000000")):
        r = await caller.post(f"{B}/order-lines", json={"orderId": order_id, **line})
        assert r.status_code == 404 and r.json()["error"] == "Order not found", r.text
        r = await caller.post(f"{B}/order-adjustments", json={"orderId": order_id, "kind": "discount", "amountNet": 1})
        assert r.status_code == 404, r.text
    assert (await get_order(admin, o["id"]))["grandTotalGrossAmount"] == o["grandTotalGrossAmount"]
    assert (await admin.get(f"{B}/order-lines", params={"orderId": o["id"]})).json()["total"] == 1


async def test_a_line_write_stores_the_new_amounts_of_rate_adjustments(world: Any) -> None:
    """Adjustments are read as plain rows too: a percentage adjustment whose base changed is stored with
    its new amounts (order scope and line scope), one with fixed amounts is left as it was, and the new
    line takes the next line number."""
    admin = await seeded(world)
    o = await order(admin, lines=[{"name": "A", "quantity": 1, "unitPriceNet": "100", "taxRate": 23},
                                  {"name": "B", "quantity": 2, "unitPriceNet": "10", "taxRate": 0}])
    lines = (await admin.get(f"{B}/order-lines", params={"orderId": o["id"], "sortField": "lineNumber"})).json()
    first = lines["items"][0]["id"]
    for body in ({"kind": "discount", "rate": 10},
                 {"kind": "surcharge", "scope": "line", "orderLineId": first, "rate": 5},
                 {"kind": "shipping", "amountNet": "7", "amountGross": "8.61"}):
        r = await admin.post(f"{B}/order-adjustments", json={"orderId": o["id"], **body})
        assert r.status_code == 201, r.text
    r = await admin.post(f"{B}/order-lines", json={"orderId": o["id"], "currencyCode": "EUR", "name": "C",
                                                   "quantity": 1, "unitPriceNet": "30", "taxRate": 0})
    assert r.status_code == 201, r.text
    r = await admin.put(f"{B}/order-lines", json={"id": first, "quantity": 2})
    assert r.status_code == 200, r.text
    adjustments = (await admin.get(f"{B}/order-adjustments", params={"orderId": o["id"]})).json()["items"]
    amounts = {a["kind"]: (Decimal(str(a["amount_net"])), Decimal(str(a["amount_gross"]))) for a in adjustments}
    # Subtotal 200 + 20 + 30 net, 246 + 20 + 30 gross; the first line 200 net, 246 gross.
    assert amounts == {"discount": (Decimal("25.00"), Decimal("29.60")),
                       "surcharge": (Decimal("10.00"), Decimal("12.30")), "shipping": (Decimal("7"), Decimal("8.61"))}
    after = await get_order(admin, o["id"])
    assert Decimal(str(after["grandTotalNetAmount"])) == Decimal("250") - Decimal("25") + Decimal("10") + Decimal("7")
    numbers = sorted(x["line_number"] for x in
                     (await admin.get(f"{B}/order-lines", params={"orderId": o["id"]})).json()["items"])
    assert numbers == [1, 2, 3]


async def test_a_fixed_adjustment_given_one_amount_counts_it_net_and_gross(world: Any) -> None:
    """docs/sales.md: without a rate, a missing amount equals the other. The columns default to 0, so
    shipping given only net (or only gross) used to be stored, and added to the gross total, as 0."""
    admin = await seeded(world)
    o = await order(admin, lines=[{"name": "A", "quantity": 1, "unitPriceNet": "100", "taxRate": 0}])
    for body in ({"kind": "shipping", "amountNet": "7"}, {"kind": "surcharge", "amountGross": "3"}):
        r = await admin.post(f"{B}/order-adjustments", json={"orderId": o["id"], **body})
        assert r.status_code == 201, r.text
    adjustments = (await admin.get(f"{B}/order-adjustments", params={"orderId": o["id"]})).json()["items"]
    amounts = {a["kind"]: (Decimal(str(a["amount_net"])), Decimal(str(a["amount_gross"]))) for a in adjustments}
    assert amounts == {"shipping": (Decimal(7), Decimal(7)), "surcharge": (Decimal(3), Decimal(3))}
    after = await get_order(admin, o["id"])
    assert Decimal(str(after["grandTotalNetAmount"])) == Decimal(110)
    assert Decimal(str(after["grandTotalGrossAmount"])) == Decimal(110)
