"""Exchange rates over HTTP: exact decimals, one rate per pair, date and source, currencies of the
organization only, filters and order, features, tenancy and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures import Caller, World

URL = "/api/currencies/exchange-rates"
ALL = ["currencies.*"]


async def _currencies(caller: Caller, *codes: str) -> None:
    for i, code in enumerate(codes):
        r = await caller.post("/api/currencies/currencies", json={"code": code, "name": code, "isBase": i == 0})
        assert r.status_code == 201, r.text


async def _rate(caller: Caller, **body: Any) -> str:
    r = await caller.post(URL, json={"fromCurrencyCode": "EUR", "toCurrencyCode": "PLN", "rate": "4.2627",
                                     "date": "2026-01-15", "source": "Manual", **body})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _items(caller: Caller, query: str = "") -> list[dict[str, Any]]:
    r = await caller.get(f"{URL}{query}")
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def test_rates_are_exact_decimals(world: World) -> None:
    admin = await world.user(ALL)
    await _currencies(admin, "PLN", "EUR", "USD")
    rate_id = await _rate(admin, rate="0.12345678", fromCurrencyCode="pln", toCurrencyCode="eur", type="sell")
    [item] = await _items(admin)
    assert item == {"id": rate_id, "fromCurrencyCode": "PLN", "toCurrencyCode": "EUR", "rate": "0.12345678",
                    "date": "2026-01-15T00:00:00.000Z", "source": "Manual", "type": "sell", "isActive": True,
                    "createdAt": item["createdAt"], "updatedAt": item["updatedAt"],
                    "organizationId": world.org_id, "tenantId": world.tenant_id}
    # Every digit comes back as sent (numeric(18, 8); SQLite keeps 15 significant digits exactly, see
    # docs/currencies.md).
    await _rate(admin, rate="1234567.12345678", fromCurrencyCode="USD")
    assert (await _items(admin, "?fromCurrencyCode=USD"))[0]["rate"] == "1234567.12345678"

    r = await admin.put(URL, json={"id": rate_id, "rate": "0.2", "date": "2026-01-16T10:15:42Z"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    item = (await _items(admin, f"?id={rate_id}"))[0]
    # Dates are kept to the minute.
    assert item["rate"] == "0.20000000" and item["date"] == "2026-01-16T10:15:00.000Z"

    assert (await admin.delete(f"{URL}?id={rate_id}")).json() == {"ok": True}
    assert [i["fromCurrencyCode"] for i in await _items(admin)] == ["USD"]


async def test_one_rate_per_pair_date_and_source(world: World) -> None:
    admin = await world.user(ALL)
    await _currencies(admin, "PLN", "EUR")
    first = await _rate(admin)
    r = await admin.post(URL, json={"fromCurrencyCode": "EUR", "toCurrencyCode": "PLN", "rate": "4.3",
                                    "date": "2026-01-15T00:00:30Z", "source": "Manual"})
    assert r.status_code == 400
    assert r.json()["error"] == "Exchange rate for this currency pair, date, and source already exists"
    await _rate(admin, source="NBP")
    await _rate(admin, date="2026-01-16")
    other = await _rate(admin, date="2026-01-17")
    r = await admin.put(URL, json={"id": other, "date": "2026-01-15"})
    assert r.status_code == 400
    # A deleted rate no longer blocks its key.
    await admin.delete(f"{URL}?id={first}")
    await _rate(admin)
    assert len(await _items(admin)) == 4


async def test_filters_and_order(world: World) -> None:
    admin = await world.user(ALL)
    await _currencies(admin, "PLN", "EUR", "USD")
    await _rate(admin, date="2026-01-14", type="buy", source="NBP")
    await _rate(admin, date="2026-01-16")
    await _rate(admin, fromCurrencyCode="USD", date="2026-01-15", isActive=False)
    # Newest first by default.
    assert [i["date"][:10] for i in await _items(admin)] == ["2026-01-16", "2026-01-15", "2026-01-14"]
    assert [i["date"][:10] for i in await _items(admin, "?sortField=date&sortDir=asc")] == \
        ["2026-01-14", "2026-01-15", "2026-01-16"]
    assert [i["fromCurrencyCode"] for i in await _items(admin, "?fromCurrencyCode=USD")] == ["USD"]
    assert [i["source"] for i in await _items(admin, "?source=NBP")] == ["NBP"]
    assert [i["type"] for i in await _items(admin, "?type=buy")] == ["buy"]
    assert len(await _items(admin, "?isActive=true")) == 2
    assert [i["date"][:10] for i in await _items(admin, "?dateFrom=2026-01-15&dateTo=2026-01-15T23:59:59Z")] == \
        ["2026-01-15"]
    assert (await admin.get(f"{URL}?type=mid")).status_code == 400


@pytest.mark.parametrize("change, path", [
    ({"rate": "-1"}, "rate"),
    ({"rate": "0"}, "rate"),
    ({"rate": "1.123456789"}, "rate"),
    ({"rate": "abc"}, "rate"),
    ({"rate": None}, "rate"),
    ({"toCurrencyCode": "EUR"}, None),
    ({"fromCurrencyCode": "XYZ"}, "fromCurrencyCode"),
    ({"date": "yesterday"}, "date"),
    ({"source": "x"}, "source"),
    ({"source": "<script>"}, "source"),
    ({"type": "mid"}, "type"),
])
async def test_bad_input_is_a_400_and_stores_nothing(world: World, change: dict[str, Any], path: str | None) -> None:
    admin = await world.user(ALL)
    await _currencies(admin, "PLN", "EUR")
    body = {"fromCurrencyCode": "EUR", "toCurrencyCode": "PLN", "rate": "4.25", "date": "2026-01-15",
            "source": "Manual", **change}
    r = await admin.post(URL, json=body)
    assert r.status_code == 400, r.text
    if path:
        assert path in [p for d in r.json()["details"] for p in d["path"]]
    assert await _items(admin) == []


async def test_both_currencies_must_belong_to_the_organization(world: World) -> None:
    admin = await world.user(ALL)
    await _currencies(admin, "PLN")
    r = await admin.post(URL, json={"fromCurrencyCode": "EUR", "toCurrencyCode": "PLN", "rate": "4.25",
                                    "date": "2026-01-15", "source": "Manual"})
    assert r.status_code == 400 and r.json()["error"] == "From currency EUR does not exist or is inactive"
    assert await _items(admin) == []


async def test_features_and_tenancy(world: World, client: Any) -> None:
    admin = await world.user(ALL)
    await _currencies(admin, "PLN", "EUR")
    rate_id = await _rate(admin)
    assert (await client.get(URL)).status_code == 401
    viewer = await world.user(["currencies.rates.view"])
    assert len(await _items(viewer)) == 1
    r = await viewer.post(URL, json={})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["currencies.rates.manage"]
    r = await (await world.user(["currencies.view"])).get(URL)
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["currencies.rates.view"]

    stranger = await World(world.client).user(ALL)
    assert await _items(stranger) == []
    assert (await stranger.put(URL, json={"id": rate_id, "rate": "1"})).status_code == 404
    assert (await stranger.delete(f"{URL}?id={rate_id}")).status_code == 404
    assert (await _items(admin))[0]["rate"] == "4.26270000"
