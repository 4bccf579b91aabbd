"""The public conversion service (api/modules/currencies/service.py) on rates written through the API: direct,
inverse, through the base currency, the latest rate on or before a date, rounding to the target currency's
decimal places, and a clear 400 when no rate converts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from api.db import sessionmaker
from api.errors import BadRequest
from api.modules.currencies import service
from tests.fixtures import Caller, World

ALL = ["currencies.*"]


async def _world(world: World) -> Caller:
    admin = await world.user(ALL)
    for code, extra in (("PLN", {"isBase": True}), ("EUR", {}), ("USD", {}), ("JPY", {}), ("CHF", {})):
        r = await admin.post("/api/currencies/currencies", json={"code": code, "name": code, **extra})
        assert r.status_code == 201, r.text
    for pair, rate, day, source in ((("EUR", "PLN"), "4.2000", "2026-01-10", "Manual"),
                                    (("EUR", "PLN"), "4.3000", "2026-01-15", "Manual"),
                                    (("PLN", "USD"), "0.25", "2026-01-14", "Manual"),
                                    (("JPY", "PLN"), "0.025", "2026-01-14", "Manual")):
        r = await admin.post("/api/currencies/exchange-rates", json={
            "fromCurrencyCode": pair[0], "toCurrencyCode": pair[1], "rate": rate, "date": day, "source": source})
        assert r.status_code == 201, r.text
    return admin


async def test_direct_inverse_and_through_the_base_currency(world: World) -> None:
    await _world(world)
    scope = {"tenant_id": world.tenant_id, "organization_id": world.org_id}
    async with sessionmaker()() as s:
        direct = await service.rate_between(s, **scope, from_code="EUR", to_code="PLN", on=date(2026, 1, 20))
        assert (direct.rate, direct.via) == (Decimal("4.3"), "direct")
        # The latest rate on or before the day, not a later one.
        older = await service.rate_between(s, **scope, from_code="eur", to_code="pln", on=date(2026, 1, 12))
        assert older.rate == Decimal("4.2")
        assert older.date == datetime(2026, 1, 10, tzinfo=UTC)
        inverse = await service.rate_between(s, **scope, from_code="PLN", to_code="EUR", on=date(2026, 1, 20))
        assert inverse.via == "inverse" and inverse.rate == Decimal(1) / Decimal("4.3")
        # EUR -> PLN -> USD: 4.3 * 0.25.
        through = await service.rate_between(s, **scope, from_code="EUR", to_code="USD", on=date(2026, 1, 20))
        assert (through.rate, through.via) == (Decimal("1.075"), "base")
        assert through.date == datetime(2026, 1, 14, tzinfo=UTC)

        assert await service.convert(s, **scope, amount=Decimal("100"), from_code="EUR", to_code="USD",
                                     on=date(2026, 1, 20)) == Decimal("107.50")
        # Rounded to the target's decimal places: JPY has none. 10 USD = 40 PLN = 1600 JPY.
        assert await service.convert(s, **scope, amount=Decimal("10.01"), from_code="USD", to_code="JPY",
                                     on=date(2026, 1, 20)) == Decimal("1602")
        assert await service.convert(s, **scope, amount=Decimal("1"), from_code="USD", to_code="USD") == Decimal("1.00")
        assert await service.base_currency(s, **scope) == "PLN"
        assert [c["code"] for c in await service.currencies(s, **scope)] == ["PLN", "CHF", "EUR", "JPY", "USD"]
        with pytest.raises(TypeError):
            await service.convert(s, **scope, amount=1.5, from_code="EUR", to_code="PLN")  # type: ignore[arg-type]


async def test_a_missing_rate_is_a_clear_400(world: World) -> None:
    await _world(world)
    scope = {"tenant_id": world.tenant_id, "organization_id": world.org_id}
    async with sessionmaker()() as s:
        with pytest.raises(service.MissingRate) as missing:
            await service.rate_between(s, **scope, from_code="CHF", to_code="EUR", on=date(2026, 1, 20))
        assert isinstance(missing.value, BadRequest) and missing.value.status == 400
        assert missing.value.body() == {"error": "No exchange rate from CHF to EUR on or before 2026-01-20",
                                        "code": "exchange_rate_missing", "fromCurrencyCode": "CHF",
                                        "toCurrencyCode": "EUR", "date": "2026-01-20"}
        # Before the first rate there is none either.
        with pytest.raises(service.MissingRate):
            await service.convert(s, **scope, amount=Decimal(1), from_code="EUR", to_code="PLN",
                                  on=date(2026, 1, 9))
        # Another tenant's rates never count.
        other = await World(world.client).setup()
        with pytest.raises(service.MissingRate):
            await service.rate_between(s, tenant_id=other.tenant_id, organization_id=other.org_id,
                                       from_code="EUR", to_code="PLN")


async def test_inactive_and_deleted_rates_do_not_convert(world: World) -> None:
    admin = await _world(world)
    scope = {"tenant_id": world.tenant_id, "organization_id": world.org_id}
    rates = (await admin.get("/api/currencies/exchange-rates?fromCurrencyCode=EUR")).json()["items"]
    newest = next(r for r in rates if r["date"].startswith("2026-01-15"))
    assert (await admin.put("/api/currencies/exchange-rates", json={"id": newest["id"], "isActive": False})
            ).status_code == 200
    async with sessionmaker()() as s:
        quote = await service.rate_between(s, **scope, from_code="EUR", to_code="PLN", on=date(2026, 1, 20))
        assert quote.rate == Decimal("4.2")
