"""`POST /api/currencies/fetch-rates` against a local server answering like the NBP and Raiffeisen Bank Polska
APIs: rates stored as exact decimals for the organization's currencies, each provider's outcome recorded on
its fetch config, and a provider that is down or answers garbage changes no rate."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.api.modules.currencies.conftest import Providers
from tests.fixtures import Caller, World

FETCH = "/api/currencies/fetch-rates"
RATES = "/api/currencies/exchange-rates"
ALL = ["currencies.*"]


async def _setup(world: World, *codes: str) -> Caller:
    admin = await world.user(ALL)
    for i, code in enumerate(codes):
        r = await admin.post("/api/currencies/currencies", json={"code": code, "name": code, "isBase": i == 0})
        assert r.status_code == 201, r.text
    for provider in ("NBP", "Raiffeisen Bank Polska"):
        r = await admin.post("/api/currencies/fetch-configs", json={"provider": provider})
        assert r.status_code == 201, r.text
    return admin


async def _rates(caller: Caller, query: str = "") -> dict[tuple[str, str, str], dict[str, Any]]:
    r = await caller.get(f"{RATES}?pageSize=100{query}")
    return {(i["source"], i["fromCurrencyCode"], i["toCurrencyCode"]): i for i in r.json()["items"]}


async def _configs(caller: Caller) -> dict[str, dict[str, Any]]:
    r = await caller.get("/api/currencies/fetch-configs")
    return {c["provider"]: c for c in r.json()["configs"]}


async def test_fetch_stores_both_providers_rates(world: World, providers: Providers) -> None:
    admin = await _setup(world, "PLN", "EUR", "HUF")
    r = await admin.post(FETCH, json={"date": "2026-01-15"})
    assert r.status_code == 200, r.text
    # NBP: EUR and HUF both ways (USD and CHF are not currencies of this organization); Raiffeisen: the
    # opening slot only (08:00), EUR and HUF both ways.
    assert r.json() == {"totalFetched": 8, "byProvider": {"NBP": {"count": 4}, "Raiffeisen Bank Polska": {"count": 4}},
                        "errors": []}
    assert any(p.startswith("/nbp/exchangerates/tables/c/2026-01-15/?format=json") for p in providers.requests)
    assert any("date=2026-01-15" in p and "type=kursywalut" in p for p in providers.requests)

    rates = await _rates(admin)
    assert len(rates) == 8
    nbp_buy = rates[("NBP", "EUR", "PLN")]
    assert nbp_buy["rate"] == "4.17830000" and nbp_buy["type"] == "buy"
    # Midnight in Warsaw on the table's effective date.
    assert nbp_buy["date"] == "2026-01-14T23:00:00.000Z"
    nbp_sell = rates[("NBP", "PLN", "EUR")]
    assert nbp_sell["rate"] == str((Decimal(1) / Decimal("4.2627")).quantize(Decimal("0.00000001")))
    assert nbp_sell["type"] == "sell"
    assert rates[("NBP", "HUF", "PLN")]["rate"] == "0.01081100"
    # Raiffeisen quotes HUF per 100 units.
    assert rates[("Raiffeisen Bank Polska", "HUF", "PLN")]["rate"] == "0.01070000"
    assert rates[("Raiffeisen Bank Polska", "EUR", "PLN")]["date"] == "2026-01-15T07:00:00.000Z"

    configs = await _configs(admin)
    assert configs["NBP"]["lastSyncStatus"] == "success"
    assert configs["NBP"]["lastSyncCount"] == 4
    assert configs["NBP"]["lastSyncMessage"] == "Successfully fetched 4 rates"
    assert configs["NBP"]["lastSyncAt"].endswith("Z")

    # Fetching again updates in place: still one rate per pair, date and source.
    r = await admin.post(FETCH, json={"date": "2026-01-15", "providers": ["NBP"]})
    assert r.json()["byProvider"] == {"NBP": {"count": 4}}
    assert len(await _rates(admin)) == 8


@pytest.mark.parametrize("mode, message", [
    ("down", "NBP answered HTTP 503"),
    ("garbage", "NBP answered something that is not JSON"),
    ("weird", "NBP answered an unexpected table"),
])
async def test_a_failing_provider_records_a_failed_sync_and_changes_no_rate(
        world: World, providers: Providers, mode: str, message: str) -> None:
    admin = await _setup(world, "PLN", "EUR")
    providers.nbp = "ok"
    await admin.post(FETCH, json={"date": "2026-01-15", "providers": ["NBP"]})
    before = await _rates(admin)
    assert len(before) == 2

    providers.nbp = mode
    r = await admin.post(FETCH, json={"date": "2026-01-15"})
    assert r.status_code == 200
    body = r.json()
    assert body["byProvider"]["NBP"]["count"] == 0
    assert body["byProvider"]["NBP"]["errors"][0].startswith(message)
    assert body["errors"][0].startswith(f"NBP: {message}")
    # The other provider is not held back by the failing one.
    assert body["byProvider"]["Raiffeisen Bank Polska"] == {"count": 2}
    after = await _rates(admin, "&source=NBP")
    assert after == before
    configs = await _configs(admin)
    assert configs["NBP"]["lastSyncStatus"] == "error"
    assert configs["NBP"]["lastSyncMessage"].startswith(message)
    assert configs["NBP"]["lastSyncCount"] == 0
    assert configs["Raiffeisen Bank Polska"]["lastSyncStatus"] == "success"


async def test_an_unreachable_provider_is_a_failed_sync(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.settings import get_settings
    admin = await _setup(world, "PLN", "EUR")
    # Nothing listens on port 9 of this machine.
    monkeypatch.setattr(get_settings(), "currencies_nbp_url", "http://127.0.0.1:9/api")
    r = await admin.post(FETCH, json={"providers": ["NBP"]})
    assert r.status_code == 200
    assert "NBP cannot be reached" in r.json()["errors"][0]
    assert (await _configs(admin))["NBP"]["lastSyncStatus"] == "error"
    assert await _rates(admin) == {}


async def test_no_table_that_day_and_no_base_currency(world: World, providers: Providers) -> None:
    admin = await _setup(world, "PLN", "EUR")
    providers.nbp = providers.raiffeisen = "empty"
    r = await admin.post(FETCH, json={"date": "2026-01-17"})
    assert r.json() == {"totalFetched": 0, "byProvider": {"NBP": {"count": 0}, "Raiffeisen Bank Polska": {"count": 0}},
                        "errors": []}
    # Without PLN among the organization's currencies the Polish providers have nothing to offer.
    other = await _setup(await World(world.client).setup(), "EUR", "USD")
    providers.nbp = "ok"
    r = await other.post(FETCH, json={"providers": ["NBP"]})
    assert r.json()["byProvider"] == {"NBP": {"count": 0}}
    assert "PLN is not an active currency" in (await _configs(other))["NBP"]["lastSyncMessage"]


async def test_custom_provider_has_no_fetcher(world: World, providers: Providers) -> None:
    admin = await _setup(world, "PLN", "EUR")
    r = await admin.post(FETCH, json={"providers": ["Custom"]})
    assert r.status_code == 200
    assert r.json()["errors"] == ["Custom: Custom has no rate fetcher"]


@pytest.mark.parametrize("body", [
    {"date": "not a date"}, {"providers": "NBP"}, {"providers": ["ECB"]}, [1, 2],
])
async def test_bad_input_is_a_400_and_fetches_nothing(world: World, providers: Providers, body: Any) -> None:
    admin = await _setup(world, "PLN", "EUR")
    r = await admin.post(FETCH, json=body)
    assert r.status_code == 400, r.text
    assert providers.requests == []
    assert (await _configs(admin))["NBP"]["lastSyncAt"] is None


async def test_features(world: World, client: Any, providers: Providers) -> None:
    assert (await client.post(FETCH, json={})).status_code == 401
    viewer = await world.user(["currencies.view", "currencies.rates.manage", "currencies.fetch.view"])
    r = await viewer.post(FETCH, json={})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["currencies.fetch.manage"]
    assert providers.requests == []
