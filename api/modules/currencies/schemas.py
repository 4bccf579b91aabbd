"""Request bodies of the currencies module (camelCase on the wire)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from iso4217 import Currency as Iso4217
from pydantic import AfterValidator, Field, StrictBool, StrictInt, StringConstraints, model_validator

from api.crud import Payload

_SOURCE = re.compile(r"^[A-Za-z0-9\s\-_]+$")
_SYNC_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def iso_code(value: str) -> str:
    """An active ISO 4217 code, upper-cased (`usd` → `USD`)."""
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError("Currency code must be a three-letter ISO code (e.g., USD, EUR)")
    try:
        Iso4217(code)
    except ValueError:
        raise ValueError(f"{code} is not an ISO 4217 currency code") from None
    return code


def minor_units(code: str) -> int:
    """ISO 4217's decimal places of `code` (2 when the standard has none, as for gold)."""
    try:
        exponent = Iso4217(code).exponent
    except ValueError:
        return 2
    return exponent if exponent is not None else 2


def _minute(value: datetime) -> datetime:
    # Rates are unique per pair, source and date to the minute: seconds would make near-duplicates.
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(second=0, microsecond=0)


def _source(value: str) -> str:
    if not 2 <= len(value) <= 50 or not _SOURCE.fullmatch(value):
        raise ValueError("Source must be 2-50 letters, digits, spaces, dashes or underscores")
    return value


def _sync_time(value: str | None) -> str | None:
    if value is not None and not _SYNC_TIME.fullmatch(value):
        raise ValueError("Invalid time format. Use HH:MM")
    return value


def _provider_config(value: dict[str, Any] | None) -> dict[str, Any] | None:
    zone = (value or {}).get("timeZone")
    if zone is not None:
        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"Unknown time zone: {zone}") from None
    return value


# A space is a common thousands separator (1 234,56): separators are kept as sent.
Separator = Annotated[str, StringConstraints(strip_whitespace=False, max_length=5)]
Code = Annotated[str, AfterValidator(iso_code)]
Instant = Annotated[datetime, AfterValidator(_minute)]
Source = Annotated[str, AfterValidator(_source)]
Rate = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=8)]
SyncTime = Annotated[str | None, AfterValidator(_sync_time)]
ProviderName = Literal["NBP", "Raiffeisen Bank Polska", "Custom"]  # providers.PROVIDERS
ProviderConfig = Annotated[dict[str, Any] | None, AfterValidator(_provider_config)]


class CurrencyFields(Payload):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    symbol: str | None = Field(default=None, max_length=10)
    decimal_places: StrictInt | None = Field(default=None, ge=0, le=8)
    thousands_separator: Separator | None = None
    decimal_separator: Separator | None = None
    is_base: StrictBool | None = None
    is_active: StrictBool | None = None
    organization_id: str | None = None


class CurrencyCreate(CurrencyFields):
    code: Code
    name: str = Field(min_length=1, max_length=200)


class CurrencyUpdate(CurrencyFields):
    id: str
    code: Code | None = None


class RateFields(Payload):
    source: Source | None = None
    type: Literal["buy", "sell"] | None = None
    is_active: StrictBool | None = None
    organization_id: str | None = None


class ExchangeRateCreate(RateFields):
    from_currency_code: Code
    to_currency_code: Code
    rate: Rate
    date: Instant
    source: Source

    @model_validator(mode="after")
    def _two_currencies(self) -> ExchangeRateCreate:
        if self.from_currency_code == self.to_currency_code:
            raise ValueError("From and To currencies must be different")
        return self


class ExchangeRateUpdate(RateFields):
    id: str
    from_currency_code: Code | None = None
    to_currency_code: Code | None = None
    rate: Rate | None = None
    date: Instant | None = None


class FetchConfigCreate(Payload):
    provider: ProviderName
    is_enabled: StrictBool = False
    sync_time: SyncTime = None
    config: ProviderConfig = None


class FetchConfigUpdate(Payload):
    id: str
    is_enabled: StrictBool | None = None
    sync_time: SyncTime = None
    config: ProviderConfig = None


class FetchRates(Payload):
    """`date`: the day to fetch (default today, UTC); `providers`: which (default every provider that fetches)."""

    date: datetime | None = None
    providers: list[ProviderName] | None = None
