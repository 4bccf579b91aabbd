"""The catalog through HTTP: products with nested offers, categories, tags and option schema; variants
against the schema; the category tree; offers per channel; price layers and the resolved price."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.fixtures import Caller, World

B = "/api/catalog"


async def setup(world: World) -> tuple[Caller, dict[str, str]]:
    admin = await world.admin()
    ids = {}
    r = await admin.post("/api/sales/channels", json={"name": "Web shop", "code": "web"})
    assert r.status_code == 201, r.text
    ids["channel"] = r.json()["id"]
    r = await admin.post(f"{B}/price-kinds", json={"code": "regular", "title": "Regular"})
    assert r.status_code == 201, r.text
    ids["regular"] = r.json()["id"]
    r = await admin.post(f"{B}/price-kinds", json={"code": "promo", "title": "Promo", "isPromotion": True,
                                                  "displayMode": "including-tax"})
    ids["promo"] = r.json()["id"]
    r = await admin.post(f"{B}/categories", json={"name": "Apparel"})
    ids["apparel"] = r.json()["id"]
    return admin, ids


SIZES = {"options": [{"code": "size", "label": "Size", "inputType": "select", "isRequired": True,
                      "choices": [{"code": "s"}, {"code": "m"}]}]}


async def product(admin: Caller, ids: dict[str, str], **extra: Any) -> str:
    r = await admin.post(f"{B}/products", json={
        "title": "T-shirt", "sku": "TS-1", "productType": "configurable", "optionSchema": SIZES,
        "categoryIds": [ids["apparel"]], "tags": ["Summer", "cotton"],
        "offers": [{"channelId": ids["channel"], "title": "T-shirt online"}], **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_product_create_writes_its_children_in_one_go(world: World) -> None:
    admin, ids = await setup(world)
    pid = await product(admin, ids)
    page = (await admin.get(f"{B}/products", params={"id": pid})).json()
    assert set(page) >= {"items", "total", "totalPages"} and page["total"] == 1
    item = page["items"][0]
    assert item["title"] == "T-shirt" and item["product_type"] == "configurable" and item["option_schema_id"]
    assert item["categoryIds"] == [ids["apparel"]] and item["tags"] == ["cotton", "Summer"]
    assert item["channelIds"] == [ids["channel"]] and item["pricing"] is None
    offers = (await admin.get(f"{B}/offers", params={"productId": pid})).json()["items"]
    assert offers[0]["title"] == "T-shirt online" and offers[0]["product"]["id"] == pid
    tags = (await admin.get(f"{B}/tags")).json()["items"]
    assert sorted((t["label"] for t in tags), key=str.lower) == ["cotton", "Summer"]
    assert {"createdAt", "slug"} <= set(tags[0])
    schemas = (await admin.get(f"{B}/option-schemas")).json()["items"]
    assert schemas[0]["schema"]["options"][0]["code"] == "size"
    assert (await admin.get(f"{B}/products", params={"categoryIds": ids["apparel"]})).json()["total"] == 1
    assert (await admin.get(f"{B}/products", params={"channelId": ids["channel"]})).json()["total"] == 1
    assert (await admin.get(f"{B}/products", params={"productType": "simple"})).json()["total"] == 0


async def test_a_refused_nested_write_stores_nothing(world: World) -> None:
    admin, ids = await setup(world)
    missing = "00000000-0000-4000-8000-000000000000"
    for body, path in (({"categoryIds": [missing]}, ["categoryIds", 0]),
                       ({"offers": [{"channelId": missing, "title": "x"}]}, ["offers", 0, "channelId"])):
        r = await admin.post(f"{B}/products", json={"title": "Nope", "tags": ["ghost"], **body})
        assert r.status_code == 400 and r.json()["details"][0]["path"] == path, r.text
    r = await admin.post(f"{B}/products", json={"title": "Bad", "productType": "service"})
    assert r.status_code == 400 and r.json()["error"] == "Invalid input"
    assert (await admin.get(f"{B}/products")).json()["total"] == 0
    assert (await admin.get(f"{B}/tags")).json()["total"] == 0


async def test_variants_are_checked_against_the_option_schema(world: World) -> None:
    admin, ids = await setup(world)
    pid = await product(admin, ids)
    ok = await admin.post(f"{B}/variants", json={"productId": pid, "name": "S", "optionValues": {"size": "s"},
                                                "isDefault": True})
    assert ok.status_code == 201, ok.text
    for values, path in (({"size": "xl"}, ["optionValues", "size"]), ({"color": "red", "size": "m"},
                                                                         ["optionValues", "color"]),
                         ({}, ["optionValues", "size"])):
        r = await admin.post(f"{B}/variants", json={"productId": pid, "optionValues": values})
        assert r.status_code == 400 and r.json()["details"][0]["path"] == path, r.text
    r = await admin.put(f"{B}/variants", json={"id": ok.json()["id"], "optionValues": {"size": "xxl"}})
    assert r.status_code == 400
    m = await admin.post(f"{B}/variants", json={"productId": pid, "name": "M", "optionValues": {"size": "m"},
                                               "isDefault": True})
    items = (await admin.get(f"{B}/variants", params={"productId": pid, "sortField": "name"})).json()["items"]
    assert [(v["name"], v["is_default"], v["option_values"]) for v in items] == [
        ("M", True, {"size": "m"}), ("S", False, {"size": "s"})]
    assert m.status_code == 201


async def test_categories_form_a_tree_and_refuse_cycles(world: World) -> None:
    admin, ids = await setup(world)

    async def make(name: str, parent: str | None) -> str:
        r = await admin.post(f"{B}/categories", json={"name": name, "parentId": parent})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    men = await make("Men", ids["apparel"])
    shirts = await make("Shirts", men)
    women = await make("Women", ids["apparel"])
    r = await admin.put(f"{B}/categories", json={"id": men, "parentId": shirts})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["parentId"]
    assert (await admin.put(f"{B}/categories", json={"id": men, "parentId": men})).status_code == 400
    # moving a node takes its subtree along
    assert (await admin.put(f"{B}/categories", json={"id": men, "parentId": women})).status_code == 200
    items = {i["name"]: i for i in (await admin.get(f"{B}/categories")).json()["items"]}
    assert items["Shirts"]["pathLabel"] == "Apparel / Women / Men / Shirts" and items["Shirts"]["depth"] == 3
    assert items["Women"]["descendantCount"] == 2 and items["Men"]["parentName"] == "Women"
    tree = (await admin.get(f"{B}/categories", params={"view": "tree"})).json()["items"]
    assert tree[0]["children"][0]["name"] == "Women"
    # deleting a node lifts its children to its parent and unlinks its products; its undo links them again
    pid = await product(admin, ids, categoryIds=[men, women])
    r = await admin.delete(f"{B}/categories", params={"id": men})
    assert r.json() == {"ok": True}
    items = {i["name"]: i for i in (await admin.get(f"{B}/categories")).json()["items"]}
    assert items["Shirts"]["parentId"] == women and "Men" not in items

    async def linked() -> list[str]:
        return list((await admin.get(f"{B}/products", params={"id": pid})).json()["items"][0]["categoryIds"])

    assert await linked() == [women]
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    undo = await admin.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})
    assert undo.status_code == 200
    assert await linked() == [men, women]
    # ... and its children go back under it; redone, the delete lifts them again.
    items = {i["name"]: i for i in (await admin.get(f"{B}/categories")).json()["items"]}
    assert items["Shirts"]["parentId"] == men and items["Shirts"]["pathLabel"] == "Apparel / Women / Men / Shirts"
    redo = await admin.post("/api/audit_logs/audit-logs/actions/redo", json={"logId": undo.json()["logId"]})
    assert redo.status_code == 200, redo.text
    items = {i["name"]: i for i in (await admin.get(f"{B}/categories")).json()["items"]}
    assert items["Shirts"]["parentId"] == women and "Men" not in items


async def test_undoing_a_categorys_creation_lifts_the_children_added_under_it_since(world: World) -> None:
    admin, ids = await setup(world)
    other = await world.admin()
    r = await admin.post(f"{B}/categories", json={"name": "Men", "parentId": ids["apparel"]})
    men = r.json()["id"]
    shirts = (await other.post(f"{B}/categories", json={"name": "Shirts", "parentId": men})).json()["id"]
    undo = await admin.post("/api/audit_logs/audit-logs/actions/undo",
                            json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    items = {i["id"]: i for i in (await admin.get(f"{B}/categories")).json()["items"]}
    assert men not in items and items[shirts]["parentId"] == ids["apparel"]


async def test_price_layers_resolve_on_the_products_list(world: World) -> None:
    admin, ids = await setup(world)
    pid = await product(admin, ids, optionSchema=None, productType="simple")
    base = {"productId": pid, "currencyCode": "EUR", "priceKindId": ids["regular"], "taxRate": 23}
    r = await admin.post(f"{B}/prices", json={**base, "unitPriceNet": "10.00"})
    assert r.status_code == 201, r.text
    await admin.post(f"{B}/prices", json={**base, "unitPriceNet": "9", "minQuantity": 10, "maxQuantity": 99})
    customer = "11111111-1111-4111-8111-111111111111"
    await admin.post(f"{B}/prices", json={**base, "priceKindId": ids["promo"], "unitPriceGross": "6.15",
                                          "customerId": customer})
    listed = (await admin.get(f"{B}/prices", params={"productId": pid, "sortField": "unitPriceNet"})).json()
    assert listed["total"] == 3
    first = listed["items"][0]
    assert (first["unit_price_net"], first["unit_price_gross"], first["tax_amount"]) == ("5.0000", "6.1500", "1.1500")

    async def priced(**params: Any) -> Any:
        return (await admin.get(f"{B}/products", params={"id": pid, **params})).json()["items"][0]["pricing"]

    # the only offer's channel applies; no channel-specific price exists, so product prices do
    assert (await priced())["unit_price_net"] == "10.0000"
    assert (await priced(quantity=10))["unit_price_net"] == "9.0000"
    promo = await priced(customerId=customer)
    assert promo["kind"] == "promo" and promo["scope"]["customer_id"] == customer
    assert await priced(currencyCode="PLN") is None
    for params in ({"quantity": -1}, {"quantity": "x"}, {"priceDate": "yesterday"}, {"customerId": "nope"}):
        r = await admin.get(f"{B}/products", params=params)
        assert r.status_code == 400, params


async def test_bad_prices_are_refused_and_nothing_is_stored(world: World) -> None:
    admin, ids = await setup(world)
    pid = await product(admin, ids)
    base = {"productId": pid, "currencyCode": "EUR", "priceKindId": ids["regular"]}
    for body in ({"unitPriceNet": -1}, {"unitPriceNet": "1.123456"}, {"minQuantity": 0},
                 {"minQuantity": 10, "maxQuantity": 5}, {"unitPriceNet": 1, "startsAt": "2026-02-01T00:00:00Z",
                                                         "endsAt": "2026-01-01T00:00:00Z"},
                 {"currencyCode": "euro"}, {"productId": None}, {"channelId": "00000000-0000-4000-8000-000000000000"}):
        r = await admin.post(f"{B}/prices", json={**base, **body})
        assert r.status_code == 400 and r.json().get("error"), (body, r.text)
    assert (await admin.get(f"{B}/prices")).json()["total"] == 0
    created = await admin.post(f"{B}/prices", json={**base, "unitPriceNet": 1, "minQuantity": 5})
    r = await admin.put(f"{B}/prices", json={"id": created.json()["id"], "maxQuantity": 2})
    assert r.status_code == 400
    assert (await admin.get(f"{B}/prices")).json()["items"][0]["max_quantity"] is None


async def test_price_kinds_codes_are_unique_and_in_use_kinds_stay(world: World) -> None:
    admin, ids = await setup(world)
    r = await admin.post(f"{B}/price-kinds", json={"code": "regular", "title": "Again"})
    assert r.status_code == 409
    items = (await admin.get(f"{B}/price-kinds", params={"isPromotion": "true"})).json()["items"]
    assert [i["code"] for i in items] == ["promo"] and items[0]["display_mode"] == "including-tax"
    pid = await product(admin, ids)
    await admin.post(f"{B}/prices", json={"productId": pid, "currencyCode": "EUR", "priceKindId": ids["promo"],
                                          "unitPriceNet": 1})
    assert (await admin.delete(f"{B}/price-kinds", params={"id": ids["promo"]})).status_code == 409
    assert (await admin.delete(f"{B}/price-kinds", params={"id": ids["regular"]})).status_code == 200


async def test_media_and_dictionaries(world: World) -> None:
    admin, ids = await setup(world)
    pid = await product(admin, ids)
    files = {"file": ("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32, "image/png")}
    r = await admin.post("/api/attachments", data={"entityId": "catalog:catalog_product", "recordId": pid},
                         files=files)
    assert r.status_code == 200, r.text
    media = (await admin.get(f"{B}/product-media", params={"productId": pid})).json()["items"]
    assert media[0]["fileName"] == "photo.png" and "width=360" in media[0]["thumbnailUrl"]
    assert (await admin.get(f"{B}/product-media")).status_code == 400
    r = await admin.post("/api/dictionaries", json={"key": "units", "name": "Units"})
    await admin.post(f"/api/dictionaries/{r.json()['id']}/entries", json={"value": "pcs", "label": "Pieces"})
    found = (await admin.get(f"{B}/dictionaries/unit")).json()
    assert found["id"] == r.json()["id"] and found["entries"][0]["value"] == "pcs"
    assert (await admin.get(f"{B}/dictionaries/nothing")).status_code == 404


async def test_features_and_tenancy(world: World, client: httpx.AsyncClient) -> None:
    admin, ids = await setup(world)
    pid = await product(admin, ids)
    assert (await client.get(f"{B}/products")).status_code == 401
    viewer = await world.user(["catalog.products.view"])
    assert (await viewer.get(f"{B}/products")).status_code == 200
    for method, path, feature in (("post", "/products", "catalog.products.manage"),
                                  ("post", "/variants", "catalog.variants.manage"),
                                  ("post", "/prices", "catalog.pricing.manage"),
                                  ("get", "/price-kinds", "catalog.settings.manage"),
                                  ("get", "/offers", "sales.channels.manage"),
                                  ("get", "/categories", "catalog.categories.view"),
                                  ("get", "/dictionaries/unit", "catalog.products.manage")):
        r = await getattr(viewer, method)(B + path, **({"json": {}} if method == "post" else {}))
        assert r.status_code == 403 and r.json()["requiredFeatures"] == [feature], path
    other = await World(world.client).setup()
    stranger = await other.admin()
    assert (await stranger.get(f"{B}/products", params={"id": pid})).json()["total"] == 0
    assert (await stranger.get(f"{B}/product-media", params={"productId": pid})).status_code == 404
    assert (await stranger.put(f"{B}/products", json={"id": pid, "title": "Mine"})).status_code == 404
    assert (await stranger.delete(f"{B}/products", params={"id": pid})).status_code == 404
    r = await stranger.post(f"{B}/variants", json={"productId": pid})
    assert r.status_code == 404
    r = await stranger.post(f"{B}/products", json={"title": "X", "categoryIds": [ids["apparel"]]})
    assert r.status_code == 400


async def test_product_update_and_delete_cascade(world: World) -> None:
    admin, ids = await setup(world)
    pid = await product(admin, ids)
    r = await admin.put(f"{B}/products", json={"id": pid, "title": "Tee", "tags": ["basics"], "categoryIds": []})
    assert r.status_code == 200 and r.json() == {"ok": True}
    item = (await admin.get(f"{B}/products", params={"id": pid})).json()["items"][0]
    assert item["title"] == "Tee" and item["tags"] == ["basics"] and item["categoryIds"] == []
    offers = (await admin.get(f"{B}/offers")).json()["items"]
    assert offers
    r = await admin.delete(f"{B}/products", params={"id": pid})
    assert r.json() == {"ok": True}
    assert (await admin.get(f"{B}/offers")).json()["total"] == 0
    assert (await admin.get(f"{B}/products")).json()["total"] == 0
    # Undone, the product comes back with the offers it took.
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    assert (await admin.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})).status_code == 200
    assert (await admin.get(f"{B}/products")).json()["total"] == 1
    assert [o["id"] for o in (await admin.get(f"{B}/offers")).json()["items"]] == [o["id"] for o in offers]


async def test_undoing_a_product_update_puts_its_categories_and_tags_back(world: World) -> None:
    admin, ids = await setup(world)
    pid = await product(admin, ids)
    before = (await admin.get(f"{B}/products", params={"id": pid})).json()["items"][0]
    r = await admin.put(f"{B}/products", json={"id": pid, "title": "Tee", "tags": ["basics"], "categoryIds": []})
    assert r.status_code == 200
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    assert (await admin.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})).status_code == 200
    after = (await admin.get(f"{B}/products", params={"id": pid})).json()["items"][0]
    assert (after["title"], after["categoryIds"], sorted(after["tags"])) == \
        (before["title"], before["categoryIds"], sorted(before["tags"]))


async def test_an_order_resolved_at_once_is_priced_as_line_by_line_and_sees_price_writes(world: World) -> None:
    """`resolve_prices` (one query for the order, a book reused across orders) answers each line as
    `resolve_price` does on its own, and a price changed through the API is seen by the next order."""
    import random
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from api.db import sessionmaker
    from api.modules.catalog import service
    from api.modules.catalog.pricing import PricingContext

    admin, ids = await setup(world)
    r = await admin.post("/api/sales/channels", json={"name": "Shop 2", "code": "shop2"})
    channels = [ids["channel"], r.json()["id"]]
    products = [await product(admin, ids, optionSchema=None, productType="simple", sku=f"S-{n}", offers=[])
                for n in range(2)]
    customers = ["11111111-1111-4111-8111-11111111111" + str(n) for n in range(3)]
    now = datetime.now(UTC)
    rnd = random.Random(3)
    for _ in range(40):
        start = now - timedelta(days=rnd.randint(1, 5)) if rnd.random() < 0.3 else None
        body = {"productId": rnd.choice(products), "currencyCode": rnd.choice(("EUR", "EUR", "PLN")),
                "priceKindId": rnd.choice((ids["regular"], ids["promo"])), "taxRate": 23,
                "unitPriceNet": f"{rnd.randint(100, 9999) / 100:.2f}", "minQuantity": rnd.choice((1, 1, 5)),
                "channelId": rnd.choice((None, *channels)), "customerId": rnd.choice((None, None, *customers)),
                "startsAt": start.isoformat() if start else None,
                "endsAt": (start + timedelta(days=rnd.choice((2, 30)))).isoformat() if start else None}
        r = await admin.post(f"{B}/prices", json=body)
        assert r.status_code == 201, r.text
    lines = [(rnd.choice(products), PricingContext(
        at=now, quantity=Decimal(rnd.choice((1, 2, 5, 7))), currency_code=rnd.choice(("EUR", "PLN")),
        channel_id=rnd.choice((None, *channels)), customer_id=rnd.choice((None, *customers)))) for _ in range(60)]

    async def single() -> list[Any]:
        out = []
        async with sessionmaker()() as s:
            for pid, c in lines:
                out.append(await service.resolve_price(
                    s, tenant_id=world.tenant_id, product_id=pid, at=c.at, quantity=c.quantity,
                    currency_code=c.currency_code, channel_id=c.channel_id, customer_id=c.customer_id,
                    organization_ids=[world.org_id]))
        return out

    async def batch() -> list[Any]:
        async with sessionmaker()() as s:
            return await service.resolve_prices(s, tenant_id=world.tenant_id, lines=lines,
                                                organization_ids=[world.org_id])

    expected = await single()
    assert sum(p is not None for p in expected) > 30
    assert await batch() == expected
    assert await batch() == expected  # from the books built by the first order
    # A price write through the API is seen by the next order, whose books were built before it.
    chosen = next(p for p in expected if p is not None)
    r = await admin.put(f"{B}/prices", json={"id": chosen.layer.id, "unitPriceNet": "0.01"})
    assert r.status_code == 200, r.text
    changed = await batch()
    assert changed == await single() != expected
    assert any(p is not None and p.layer.id == chosen.layer.id and p.unit_net == Decimal("0.0100") for p in changed)
    r = await admin.delete(f"{B}/prices", params={"id": chosen.layer.id})
    assert r.status_code == 200, r.text
    after_delete = await batch()
    assert after_delete == await single() and all(p is None or p.layer.id != chosen.layer.id for p in after_delete)
