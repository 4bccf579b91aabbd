"""The currencies module's public surface, used by catalog, sales and customers: an organization's
currencies, its base currency, exchange rates between two currencies on a date (direct, inverse, or through
the base currency) and money conversion rounded to the target currency's decimal places.

A rate is "the latest on or before" the asked moment: a day (`date`) includes all of that day (UTC); an
instant (`datetime`) includes rates dated up to it. A conversion that has no rate raises `MissingRate`,
the API's 400, so a request that needs one answers clearly instead of guessing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import utcnow
from api.errors import BadRequest
from api.modules.currencies.models import Currency, ExchangeRate
from api.modules.currencies.schemas import minor_units

__all__ = ["MissingRate", "RateQuote", "base_currency", "convert", "currencies", "decimal_places", "rate_between",
           "round_amount"]

When = date | datetime | None


class MissingRate(BadRequest):
    """No exchange rate converts `from_code` into `to_code` on or before the asked moment."""

    def __init__(self, from_code: str, to_code: str, on: When) -> None:
        moment = _label(on)
        super().__init__(f"No exchange rate from {from_code} to {to_code} on or before {moment}",
                         extra={"code": "exchange_rate_missing", "fromCurrencyCode": from_code,
                                "toCurrencyCode": to_code, "date": moment})


@dataclass(frozen=True)
class RateQuote:
    """1 `from_code` = `rate` `to_code`. `via`: how it was found; `date`: the oldest rate it rests on."""

    from_code: str
    to_code: str
    rate: Decimal
    date: datetime | None
    via: Literal["same", "direct", "inverse", "base"]
    sources: tuple[str, ...] = ()


def _label(on: When) -> str:
    if on is None:
        return "now"
    return on.isoformat() if isinstance(on, datetime) else on.isoformat()


def _cutoff(on: When) -> tuple[datetime, bool]:
    """The moment rates must not be later than, and whether it is inclusive."""
    if on is None:
        return utcnow(), True
    if isinstance(on, datetime):
        return (on.replace(tzinfo=UTC) if on.tzinfo is None else on.astimezone(UTC)), True
    return datetime.combine(on + timedelta(days=1), time(0, 0), UTC), False


def _code(value: str) -> str:
    return value.strip().upper()


async def _latest(session: AsyncSession, tenant_id: str, organization_id: str, from_code: str, to_code: str,
                  on: When) -> ExchangeRate | None:
    cutoff, inclusive = _cutoff(on)
    stmt = select(ExchangeRate).where(
        ExchangeRate.tenant_id == tenant_id, ExchangeRate.organization_id == organization_id,
        ExchangeRate.from_currency_code == from_code, ExchangeRate.to_currency_code == to_code,
        ExchangeRate.is_active.is_(True), ExchangeRate.deleted_at.is_(None),
        ExchangeRate.date <= cutoff if inclusive else ExchangeRate.date < cutoff,
    ).order_by(ExchangeRate.date.desc(),
               # On the same date a mid rate (no buy/sell side) wins over a bank's one-sided quote.
               case((ExchangeRate.type.is_(None), 0), else_=1), ExchangeRate.created_at.desc(), ExchangeRate.id)
    return (await session.execute(stmt.limit(1))).scalars().first()


async def _pair(session: AsyncSession, tenant_id: str, organization_id: str, from_code: str, to_code: str,
                on: When) -> RateQuote | None:
    """The direct rate or the inverse of the opposite one, whichever is more recent (direct on a tie)."""
    direct = await _latest(session, tenant_id, organization_id, from_code, to_code, on)
    inverse = await _latest(session, tenant_id, organization_id, to_code, from_code, on)
    if direct is not None and (inverse is None or _utc(direct.date) >= _utc(inverse.date)):
        return RateQuote(from_code, to_code, Decimal(direct.rate), _utc(direct.date), "direct", (direct.source,))
    if inverse is not None:
        return RateQuote(from_code, to_code, Decimal(1) / Decimal(inverse.rate), _utc(inverse.date), "inverse",
                         (inverse.source,))
    return None


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for values stored as UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def base_currency(session: AsyncSession, *, tenant_id: str, organization_id: str) -> str | None:
    """The organization's base currency code, if it has one."""
    return (await session.execute(select(Currency.code).where(
        Currency.tenant_id == tenant_id, Currency.organization_id == organization_id, Currency.is_base.is_(True),
        Currency.deleted_at.is_(None)))).scalars().first()


async def currencies(session: AsyncSession, *, tenant_id: str, organization_id: str,
                     active_only: bool = True) -> list[dict[str, Any]]:
    """The organization's currencies (base first, then by code) as `{code, name, symbol, decimalPlaces,
    thousandsSeparator, decimalSeparator, isBase, isActive}`."""
    stmt = select(Currency).where(Currency.tenant_id == tenant_id, Currency.organization_id == organization_id,
                                  Currency.deleted_at.is_(None))
    if active_only:
        stmt = stmt.where(Currency.is_active.is_(True))
    rows = (await session.execute(stmt.order_by(Currency.is_base.desc(), Currency.code))).scalars().all()
    return [{"id": c.id, "code": c.code, "name": c.name, "symbol": c.symbol, "decimalPlaces": c.decimal_places,
             "thousandsSeparator": c.thousands_separator, "decimalSeparator": c.decimal_separator,
             "isBase": c.is_base, "isActive": c.is_active} for c in rows]


async def decimal_places(session: AsyncSession, *, tenant_id: str, organization_id: str, code: str) -> int:
    """The organization's decimal places for `code`, else ISO 4217's."""
    code = _code(code)
    found = (await session.execute(select(Currency.decimal_places).where(
        Currency.tenant_id == tenant_id, Currency.organization_id == organization_id, Currency.code == code,
        Currency.deleted_at.is_(None)))).scalars().first()
    return places_or_iso(found, code)


def decimal_places_column(*, tenant_id: Any, organization_id: Any, code: Any) -> Any:
    """What `decimal_places` reads, as a scalar subquery for a statement of the caller's (its arguments
    may be columns of the caller's row): NULL when the organization has no such currency, then
    `places_or_iso` gives ISO 4217's. Saves a round trip to a caller that reads its row anyway."""
    return select(Currency.decimal_places).where(
        Currency.tenant_id == tenant_id, Currency.organization_id == organization_id,
        Currency.code == func.upper(func.trim(code)), Currency.deleted_at.is_(None)).limit(1).scalar_subquery()


def places_or_iso(found: int | None, code: str) -> int:
    """The decimal places `decimal_places_column` found, else ISO 4217's for `code`."""
    return int(found) if found is not None else minor_units(_code(code))


async def rate_between(session: AsyncSession, *, tenant_id: str, organization_id: str, from_code: str,
                       to_code: str, on: When = None) -> RateQuote:
    """How many `to_code` one `from_code` is worth on or before `on`: the pair's direct rate, the inverse of
    the opposite rate, or both legs through the organization's base currency. `MissingRate` when none."""
    from_code, to_code = _code(from_code), _code(to_code)
    if from_code == to_code:
        return RateQuote(from_code, to_code, Decimal(1), None, "same")
    found = await _pair(session, tenant_id, organization_id, from_code, to_code, on)
    if found is not None:
        return found
    base = await base_currency(session, tenant_id=tenant_id, organization_id=organization_id)
    if base is not None and base not in (from_code, to_code):
        first = await _pair(session, tenant_id, organization_id, from_code, base, on)
        second = await _pair(session, tenant_id, organization_id, base, to_code, on) if first else None
        if first is not None and second is not None:
            dates = [d for d in (first.date, second.date) if d is not None]
            return RateQuote(from_code, to_code, first.rate * second.rate, min(dates) if dates else None, "base",
                             first.sources + second.sources)
    raise MissingRate(from_code, to_code, on)


def round_amount(amount: Decimal, places: int) -> Decimal:
    """Money rounded half-up to `places` decimals, as prices are shown."""
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


async def convert(session: AsyncSession, *, amount: Decimal, from_code: str, to_code: str, tenant_id: str,
                  organization_id: str, on: When = None, rounded: bool = True) -> Decimal:
    """`amount` of `from_code` in `to_code` (rounded to the target's decimal places unless `rounded=False`).
    Raises `MissingRate` when no rate converts them."""
    if not isinstance(amount, Decimal):
        raise TypeError("amounts are Decimal, never float")
    quote = await rate_between(session, tenant_id=tenant_id, organization_id=organization_id,
                               from_code=from_code, to_code=to_code, on=on)
    value = amount * quote.rate
    if not rounded:
        return value
    places = await decimal_places(session, tenant_id=tenant_id, organization_id=organization_id,
                                  code=quote.to_code)
    return round_amount(value, places)
