"""Rate providers behind one interface: each fetches one day's quotes over HTTP (httpx) and turns them into
rates against its base currency. A provider that cannot be reached or answers something unexpected raises
`ProviderError`; nothing it answered is kept then (the caller stores a provider's rates only when all of
them parsed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import httpx

from api.settings import get_settings

# Both Polish banks quote against the zloty, in Warsaw time.
WARSAW = ZoneInfo("Europe/Warsaw")
RATE_PLACES = Decimal("0.00000001")  # exchange_rates.rate is numeric(18, 8)
TIMEOUT = httpx.Timeout(15.0)
NBP = "NBP"
RAIFFEISEN = "Raiffeisen Bank Polska"
CUSTOM = "Custom"
PROVIDERS = (NBP, RAIFFEISEN, CUSTOM)


class ProviderError(Exception):
    """The provider is down or answered something this code does not understand."""


@dataclass(frozen=True)
class Quote:
    from_code: str
    to_code: str
    rate: Decimal
    date: datetime
    source: str
    type: str | None


class RateProvider(Protocol):
    source: str
    base_currency: str

    async def fetch(self, client: httpx.AsyncClient, day: date) -> list[Quote]: ...


def _decimal(value: Any, what: str) -> Decimal:
    # JSON numbers are parsed as Decimal (never float), strings are taken as written.
    try:
        number = Decimal(str(value).strip().replace(",", ".")) if isinstance(value, (str, int, Decimal)) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number <= 0:
        raise ProviderError(f"unexpected {what}: {value!r}")
    return number


def _pair(source: str, base: str, code: Any, buy: Decimal, sell: Decimal, at: datetime) -> list[Quote]:
    """The bank's two quotes of one currency as two rates: the bank sells XXX at `sell` base units (so 1 base
    buys 1/sell XXX) and buys XXX at `buy` base units."""
    if not isinstance(code, str) or len(code.strip()) != 3 or not code.strip().isalpha():
        raise ProviderError(f"unexpected currency code: {code!r}")
    code = code.strip().upper()
    inverse = (Decimal(1) / sell).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)
    return [Quote(base, code, inverse, at, source, "sell"),
            Quote(code, base, buy.quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN), at, source, "buy")]


async def _get_json(client: httpx.AsyncClient, source: str, url: str, params: dict[str, str] | None = None
                    ) -> Any | None:
    """The answer's JSON, None for 404 (no quotes that day: weekends, holidays)."""
    try:
        response = await client.get(url, params=params, timeout=TIMEOUT, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ProviderError(f"{source} cannot be reached: {exc.__class__.__name__}: {exc}") from exc
    if response.status_code == 404:
        return None
    if response.status_code >= 400:
        raise ProviderError(f"{source} answered HTTP {response.status_code}")
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProviderError(f"{source} answered something that is not JSON") from None


class NbpProvider:
    """National Bank of Poland, table C (the banks' buy and sell rates, `bid`/`ask`, per 1 unit)."""

    source = NBP
    base_currency = "PLN"

    async def fetch(self, client: httpx.AsyncClient, day: date) -> list[Quote]:
        base = get_settings().currencies_nbp_url.rstrip("/")
        data = await _get_json(client, self.source, f"{base}/exchangerates/tables/c/{day.isoformat()}/",
                               {"format": "json"})
        if data is None or data == []:
            return []
        try:
            table = data[0]
            effective = date.fromisoformat(table["effectiveDate"])
            at = datetime.combine(effective, time(0, 0), WARSAW)
            quotes: list[Quote] = []
            for entry in table["rates"]:
                quotes += _pair(self.source, self.base_currency, entry["code"], _decimal(entry["bid"], "bid"),
                                _decimal(entry["ask"], "ask"), at)
            return quotes
        except ProviderError as exc:
            raise ProviderError(f"{self.source} answered an unexpected table: {exc}") from None
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise ProviderError(f"{self.source} answered an unexpected table: {exc.__class__.__name__}: {exc}"
                                ) from None


class RaiffeisenProvider:
    """Raiffeisen Bank Polska's currency table: several time slots a day; the first (opening) one is taken.
    Quotes are per `units` of the currency (100 HUF, say) and are divided down to one unit."""

    source = RAIFFEISEN
    base_currency = "PLN"

    async def fetch(self, client: httpx.AsyncClient, day: date) -> list[Quote]:
        url = get_settings().currencies_raiffeisen_url
        data = await _get_json(client, self.source, url,
                               {"type": "kursywalut", "range": "all", "date": day.isoformat()})
        if data is None:
            return []
        try:
            slots = data["rates"]
            if not slots:
                return []
            first = slots[sorted(slots)[0]]
            if not first:
                return []
            at = datetime.combine(date.fromisoformat(str(data["date"])[:10]),
                                  time.fromisoformat(str(first[0]["time"])), WARSAW)
            quotes: list[Quote] = []
            for entry in first:
                units = _decimal(entry.get("units", 1), "units")
                quotes += _pair(self.source, self.base_currency, entry["code"],
                                _decimal(entry["buy"], "buy") / units, _decimal(entry["sell"], "sell") / units, at)
            return quotes
        except ProviderError as exc:
            raise ProviderError(f"{self.source} answered an unexpected table: {exc}") from None
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise ProviderError(f"{self.source} answered an unexpected table: {exc.__class__.__name__}: {exc}"
                                ) from None


def registry() -> dict[str, RateProvider]:
    """The providers that can fetch (`Custom` configurations have no fetcher yet)."""
    return {NBP: NbpProvider(), RAIFFEISEN: RaiffeisenProvider()}
