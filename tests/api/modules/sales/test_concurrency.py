"""Two line writes on one order at the same time (separate requests, separate transactions): each waits
for the order's row lock, and the second recalculates from what the first committed, so neither a line
nor its effect on the totals is lost. Run on SQLite and on PostgreSQL (docs/sales.md "Totals")."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tests.api.modules.sales.test_documents import B, get_order, money, order, seeded
from tests.fixtures import Caller, World


async def lines_of(admin: Caller, order_id: str) -> list[dict[str, Any]]:
    r = await admin.get(f"{B}/order-lines", params={"orderId": order_id, "pageSize": 100})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def expected_net(line: dict[str, Any]) -> Decimal:
    base = Decimal(str(line["unit_price_net"])) * Decimal(str(line["quantity"]))
    discount = Decimal(str(line["discount_amount"] or 0)) + base * Decimal(str(line["discount_percent"] or 0)) / 100
    return (base - discount).quantize(Decimal("0.01"))


async def test_two_concurrent_line_creates_both_count(world: World) -> None:
    admin = await seeded(world)
    o = await order(admin, lines=[{"name": "First", "quantity": 1, "unitPriceNet": "10", "taxRate": 0}])
    for round_ in range(3):
        results = await asyncio.gather(*[admin.post(f"{B}/order-lines", json={
            "orderId": o["id"], "name": f"L{round_}-{i}", "quantity": 1, "unitPriceNet": price, "taxRate": 0,
            "currencyCode": "EUR"}) for i, price in enumerate(("1", "100"))])
        assert [r.status_code for r in results] == [201, 201], [r.text for r in results]
    after = await get_order(admin, o["id"])
    lines = await lines_of(admin, o["id"])
    assert after["lineItemCount"] == len(lines) == 7
    assert money(after, "subtotalNetAmount") == money(after, "grandTotalNetAmount") == Decimal("313.00")
    assert sorted(line["line_number"] for line in lines) == list(range(1, 8))


async def test_two_concurrent_updates_of_one_line_keep_both_changes_and_consistent_totals(world: World) -> None:
    admin = await seeded(world)
    o = await order(admin, lines=[{"name": "A", "quantity": 1, "unitPriceNet": "10", "taxRate": 0},
                                  {"name": "B", "quantity": 1, "unitPriceNet": "20", "taxRate": 0}])
    a, b = sorted(await lines_of(admin, o["id"]), key=lambda line: str(line["name"]))
    results = await asyncio.gather(
        admin.put(f"{B}/order-lines", json={"id": a["id"], "quantity": 5}),
        admin.put(f"{B}/order-lines", json={"id": a["id"], "discountPercent": 50}),
        admin.put(f"{B}/order-lines", json={"id": b["id"], "quantity": 3}))
    assert [r.status_code for r in results] == [200, 200, 200], [r.text for r in results]
    lines = {line["id"]: line for line in await lines_of(admin, o["id"])}
    assert Decimal(str(lines[a["id"]]["quantity"])) == 5 and Decimal(str(lines[a["id"]]["discount_percent"])) == 50
    # Every line's amounts follow its own committed values, and the order's totals follow its lines.
    for line in lines.values():
        assert money(line, "total_net_amount") == expected_net(line), line
    after = await get_order(admin, o["id"])
    assert money(after, "subtotalNetAmount") == Decimal("25.00") + Decimal("60.00")
    assert money(after, "grandTotalNetAmount") == sum(money(line, "total_net_amount") for line in lines.values())
