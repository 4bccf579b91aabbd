"""Currencies over HTTP: ISO 4217 codes, one base currency per organization, formatting, the rules of delete,
features, tenancy and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures import Caller, World

URL = "/api/currencies/currencies"
ALL = ["currencies.*"]


async def _create(caller: Caller, **body: Any) -> str:
    r = await caller.post(URL, json={"code": "EUR", "name": "Euro", **body})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _items(caller: Caller, query: str = "") -> list[dict[str, Any]]:
    r = await caller.get(f"{URL}{query}")
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def test_create_list_update_delete(world: World) -> None:
    admin = await world.user(ALL)
    eur = await _create(admin, code="eur", symbol="€", thousandsSeparator=" ", decimalSeparator=",", isBase=True)
    await _create(admin, code="JPY", name="Yen")
    r = await admin.get(URL)
    body = r.json()
    assert set(body) == {"items", "total", "page", "pageSize", "totalPages"}
    assert body["total"] == 2 and body["totalPages"] == 1
    first = body["items"][0]
    assert first == {"id": eur, "code": "EUR", "name": "Euro", "symbol": "€", "decimalPlaces": 2,
                     "thousandsSeparator": " ", "decimalSeparator": ",", "isBase": True, "isActive": True,
                     "createdAt": first["createdAt"], "updatedAt": first["updatedAt"],
                     "organizationId": world.org_id, "tenantId": world.tenant_id}
    assert first["createdAt"].endswith("Z")
    # Decimal places default to ISO 4217's minor units.
    assert body["items"][1]["code"] == "JPY" and body["items"][1]["decimalPlaces"] == 0

    r = await admin.put(URL, json={"id": eur, "name": "Euro (EU)", "decimalPlaces": 3})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert r.headers.get("x-om-operation")
    assert (await _items(admin, f"?id={eur}"))[0]["name"] == "Euro (EU)"

    jpy = (await _items(admin, "?code=JPY"))[0]["id"]
    r = await admin.delete(f"{URL}?id={jpy}")
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert [c["code"] for c in await _items(admin)] == ["EUR"]
    # A deleted code can be created again.
    await _create(admin, code="JPY", name="Yen")


async def test_filters_search_and_sort(world: World) -> None:
    admin = await world.user(ALL)
    await _create(admin, code="PLN", name="Zloty", isBase=True)
    await _create(admin, code="USD", name="US Dollar", symbol="$")
    await _create(admin, code="CHF", name="Swiss Franc", isActive=False)
    assert [c["code"] for c in await _items(admin)] == ["CHF", "PLN", "USD"]
    assert [c["code"] for c in await _items(admin, "?sortField=name&sortDir=desc")] == ["PLN", "USD", "CHF"]
    assert [c["code"] for c in await _items(admin, "?isBase=true")] == ["PLN"]
    assert [c["code"] for c in await _items(admin, "?isActive=false")] == ["CHF"]
    assert [c["code"] for c in await _items(admin, "?search=dollar")] == ["USD"]
    assert [c["code"] for c in await _items(admin, "?search=$")] == ["USD"]
    r = await admin.get(f"{URL}?sortField=nope")
    assert r.status_code == 400 and r.json()["error"] == "Invalid input"


async def test_one_base_currency_per_organization(world: World) -> None:
    admin = await world.user(ALL)
    pln = await _create(admin, code="PLN", name="Zloty", isBase=True)
    r = await admin.post(URL, json={"code": "EUR", "name": "Euro", "isBase": True})
    assert r.status_code == 400
    assert "already has a base currency (PLN)" in r.json()["error"]
    assert [c["code"] for c in await _items(admin)] == ["PLN"]

    eur = await _create(admin)
    r = await admin.put(URL, json={"id": eur, "isBase": True})
    assert r.status_code == 400
    # Moving the base: unset it, then set the new one.
    assert (await admin.put(URL, json={"id": pln, "isBase": False})).status_code == 200
    assert (await admin.put(URL, json={"id": eur, "isBase": True})).status_code == 200
    assert [c["code"] for c in await _items(admin, "?isBase=true")] == ["EUR"]

    r = await admin.put(URL, json={"id": eur, "isActive": False})
    assert r.status_code == 400 and r.json()["error"] == "The base currency must stay active"
    r = await admin.delete(f"{URL}?id={eur}")
    assert r.status_code == 400 and r.json()["error"] == "Cannot delete the base currency"
    assert len(await _items(admin)) == 2

    # Another organization has a base currency of its own.
    child = await world.org("Child")
    other = await world.user(ALL, org_id=child)
    await _create(other, code="USD", name="US Dollar", isBase=True)
    assert [c["code"] for c in await _items(other)] == ["USD"]


async def test_a_currency_with_rates_cannot_be_deleted_or_recoded(world: World) -> None:
    admin = await world.user(ALL)
    await _create(admin, code="PLN", name="Zloty", isBase=True)
    eur = await _create(admin)
    r = await admin.post("/api/currencies/exchange-rates", json={
        "fromCurrencyCode": "EUR", "toCurrencyCode": "PLN", "rate": "4.25", "date": "2026-01-15", "source": "Manual"})
    assert r.status_code == 201, r.text
    r = await admin.delete(f"{URL}?id={eur}")
    assert r.status_code == 400 and "1 active exchange rate" in r.json()["error"]
    r = await admin.put(URL, json={"id": eur, "code": "GBP"})
    assert r.status_code == 400
    assert [c["code"] for c in await _items(admin)] == ["EUR", "PLN"]


@pytest.mark.parametrize("body, path", [
    ({"code": "EURO", "name": "Euro"}, "code"),
    ({"code": "ABC", "name": "Not a currency"}, "code"),
    ({"code": "12$", "name": "Digits"}, "code"),
    ({"name": "No code"}, "code"),
    ({"code": "EUR"}, "name"),
    ({"code": "EUR", "name": ""}, "name"),
    ({"code": "EUR", "name": "Euro", "decimalPlaces": 9}, "decimalPlaces"),
    ({"code": "EUR", "name": "Euro", "decimalPlaces": "2"}, "decimalPlaces"),
    ({"code": "EUR", "name": "Euro", "isBase": "yes"}, "isBase"),
    ({"code": "EUR", "name": "Euro", "symbol": "x" * 11}, "symbol"),
    ({"code": "EUR", "name": "Euro", "decimalSeparator": "......"}, "decimalSeparator"),
])
async def test_bad_input_is_a_400_and_stores_nothing(world: World, body: dict[str, Any], path: str) -> None:
    admin = await world.user(ALL)
    r = await admin.post(URL, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "Invalid input"
    assert path in [p for d in r.json()["details"] for p in d["path"]]
    assert await _items(admin) == []


async def test_duplicates_and_nulls_are_refused(world: World) -> None:
    admin = await world.user(ALL)
    eur = await _create(admin)
    r = await admin.post(URL, json={"code": "eur", "name": "Again"})
    assert r.status_code == 400 and r.json()["error"] == "Currency code already exists for this organization."
    r = await admin.put(URL, json={"id": eur, "name": None})
    assert r.status_code == 400
    r = await admin.post(URL, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert len(await _items(admin)) == 1


async def test_features_and_tenancy(world: World, client: Any) -> None:
    admin = await world.user(ALL)
    eur = await _create(admin)
    assert (await client.get(URL)).status_code == 401
    viewer = await world.user(["currencies.view"])
    assert (await viewer.get(URL)).status_code == 200
    for r in (await viewer.post(URL, json={"code": "USD", "name": "Dollar"}),
              await viewer.put(URL, json={"id": eur, "name": "x"}),
              await viewer.delete(f"{URL}?id={eur}")):
        assert r.status_code == 403
        assert r.json()["requiredFeatures"] == ["currencies.manage"]
    nobody = await world.user([])
    r = await nobody.get(URL)
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["currencies.view"]

    stranger = await World(world.client).user(ALL)
    assert await _items(stranger) == []
    assert (await stranger.put(URL, json={"id": eur, "name": "Mine"})).status_code == 404
    assert (await stranger.delete(f"{URL}?id={eur}")).status_code == 404
    assert (await _items(admin))[0]["name"] == "Euro"
