"""Custom fields on sales documents through HTTP: orders and quotes (and their lines) take values as
`cf_<key>` or in `customFields` on create and update (nested `lines[]` of a document create too), list
them as `cf_<key>`, filter, sort and export by them, refuse bad values with nothing stored, and keep the
totals out of it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.api.modules.sales.test_documents import B, get_order, money, seeded
from tests.fixtures import Caller

FIELDS = [{"key": "priority", "kind": "select", "options": ["low", "high"]},
          {"key": "region", "kind": "text"},
          {"key": "weight", "kind": "float"},
          {"key": "labels", "kind": "text", "multi": True}]


async def define(admin: Caller, entity: str, fields: list[dict[str, Any]] = FIELDS) -> None:
    r = await admin.post("/api/entities/definitions.batch", json={"entityId": entity, "definitions": fields})
    assert r.status_code in (200, 201), r.text


async def listed(admin: Caller, path: str, **params: Any) -> list[dict[str, Any]]:
    r = await admin.get(f"{B}/{path}", params={"pageSize": 100, **params})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def create(admin: Caller, path: str, **body: Any) -> str:
    r = await admin.post(f"{B}/{path}", json={"currencyCode": "EUR", **body})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_orders_and_quotes_take_list_filter_and_sort_custom_fields(world: Any) -> None:
    admin = await seeded(world)
    for path, entity in (("orders", "sales:sales_order"), ("quotes", "sales:sales_quote")):
        await define(admin, entity)
        a = await create(admin, path, cf_priority="high", cf_region="North", cf_weight=2.5, cf_labels=["vip", "eu"],
                         lines=[{"name": "Widget", "quantity": 2, "unitPriceNet": "10", "taxRate": 23}])
        b = await create(admin, path, customFields={"priority": "low", "region": "South", "weight": 7,
                                                    "labels": "eu"})
        c = await create(admin, path)
        items = {i["id"]: i for i in await listed(admin, path)}
        assert (items[a]["cf_priority"], items[a]["cf_region"], items[a]["cf_weight"]) == ("high", "North", 2.5)
        assert sorted(items[a]["cf_labels"]) == ["eu", "vip"] and items[b]["cf_labels"] == ["eu"]
        assert (items[b]["cf_priority"], items[b]["cf_weight"]) == ("low", 7)
        assert items[c]["cf_priority"] is None and items[c]["cf_labels"] == []
        # the values do not touch the totals
        assert money(items[a], "grandTotalGrossAmount") == Decimal("24.60")

        def ids(found: list[dict[str, Any]]) -> list[str]:
            return [i["id"] for i in found]

        assert ids(await listed(admin, path, cf_priority="high")) == [a]
        assert sorted(ids(await listed(admin, path, cf_priority="high,low"))) == sorted([a, b])
        assert sorted(ids(await listed(admin, path, cf_labels="eu"))) == sorted([a, b])
        assert ids(await listed(admin, path, cf_labels="vip")) == [a]
        assert ids(await listed(admin, path, cf_region="Nowhere")) == []
        weights = [i["cf_weight"] for i in await listed(admin, path, sortField="cf_weight", sortDir="desc")]
        assert weights[:2] == [7, 2.5]

        # update by either form; keys left out keep their values, null clears
        r = await admin.put(f"{B}/{path}", json={"id": a, "cf_region": "East", "customFields": {"weight": None}})
        assert r.status_code == 200, r.text
        item = next(i for i in await listed(admin, path, id=a))
        assert (item["cf_region"], item["cf_weight"], item["cf_priority"]) == ("East", None, "high")
        assert ids(await listed(admin, path, cf_region="East")) == [a]
        assert ids(await listed(admin, path, cf_region="North")) == []

        # bad values: 400 naming the field, nothing stored
        for body in ({"cf_priority": "urgent"}, {"customFields": {"weight": "heavy"}}, {"cf_unknown": 1}):
            r = await admin.post(f"{B}/{path}", json={"currencyCode": "EUR", **body})
            assert r.status_code == 400 and r.json()["error"], (path, body, r.text)
            r = await admin.put(f"{B}/{path}", json={"id": b, **body})
            assert r.status_code == 400 and r.json()["error"], (path, body, r.text)
        assert len(await listed(admin, path)) == 3
        item = next(i for i in await listed(admin, path, id=b))
        assert (item["cf_priority"], item["cf_weight"]) == ("low", 7)

        # exports carry the fields
        r = await admin.get(f"{B}/{path}", params={"format": "csv", "cf_priority": "low"})
        assert r.status_code == 200 and "South" in r.text, r.text


async def test_order_lines_take_custom_fields_nested_and_on_their_own(world: Any) -> None:
    admin = await seeded(world)
    await define(admin, "sales:sales_order_line", [{"key": "engraving", "kind": "text"}])
    order_id = await create(admin, "orders", lines=[
        {"name": "Ring", "quantity": 1, "unitPriceNet": "100", "taxRate": 23, "cf_engraving": "A&B"}])
    r = await admin.post(f"{B}/order-lines", json={
        "orderId": order_id, "currencyCode": "EUR", "name": "Band", "quantity": 1, "unitPriceNet": "50", "taxRate": 23,
        "customFields": {"engraving": "C"}})
    assert r.status_code == 201, r.text
    line_id = r.json()["id"]
    lines = {i["name"]: i for i in await listed(admin, "order-lines", orderId=order_id)}
    assert lines["Ring"]["cf_engraving"] == "A&B" and lines["Band"]["cf_engraving"] == "C"
    r = await admin.put(f"{B}/order-lines", json={"id": line_id, "orderId": order_id, "cf_engraving": "D"})
    assert r.status_code == 200, r.text
    found = await listed(admin, "order-lines", orderId=order_id, cf_engraving="D")
    assert [i["id"] for i in found] == [line_id]
    assert money(await get_order(admin, order_id), "grandTotalGrossAmount") == Decimal("184.50")
    # a nested line edited through the order's PUT
    ring = lines["Ring"]["id"]
    r = await admin.put(f"{B}/orders", json={"id": order_id,
                                             "lines": [{"id": ring, "customFields": {"engraving": "E"}}]})
    assert r.status_code == 200, r.text
    assert [i["id"] for i in await listed(admin, "order-lines", orderId=order_id, cf_engraving="E")] == [ring]
    # a bad nested value: 400, no order stored
    before = len(await listed(admin, "orders"))
    for line in ({"cf_unknown": "x"}, {"customFields": "x"}, {"cf_engraving": {"nested": True}}):
        r = await admin.post(f"{B}/orders", json={"currencyCode": "EUR", "lines": [
            {"name": "Ring", "quantity": 1, "unitPriceNet": "100", "taxRate": 23, **line}]})
        assert r.status_code == 400 and r.json()["error"], (line, r.text)
    assert len(await listed(admin, "orders")) == before

