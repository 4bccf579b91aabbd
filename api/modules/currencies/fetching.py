"""Fetching rates from the providers into `exchange_rates`, and the fetch configs' last-sync record. Used by
`POST /api/currencies/fetch-rates` and by the scheduled fetch (activities.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import outbox
from api.crud import service as crud
from api.db import new_id, utcnow
from api.modules.currencies.models import Currency, CurrencyFetchConfig, ExchangeRate
from api.modules.currencies.providers import ProviderError, Quote, registry
from api.modules.currencies.resources import exchange_rates


async def _active_codes(session: AsyncSession, tenant_id: str, organization_id: str) -> set[str]:
    return set((await session.execute(select(Currency.code).where(
        Currency.tenant_id == tenant_id, Currency.organization_id == organization_id,
        Currency.is_active.is_(True), Currency.deleted_at.is_(None)))).scalars().all())


def _utc(value: datetime) -> datetime:
    """Instants compared as UTC whatever the driver hands back (SQLite: naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def _store(session: AsyncSession, tenant_id: str, organization_id: str, quotes: list[Quote]) -> int:
    """Insert or update one rate per (pair, date, source), in one read of what exists; each write is
    announced as `currencies.exchange_rate.created|updated` like the collection's own writes."""
    if not quotes:
        return 0
    existing = (await session.execute(select(ExchangeRate).where(
        ExchangeRate.tenant_id == tenant_id, ExchangeRate.organization_id == organization_id,
        ExchangeRate.deleted_at.is_(None), ExchangeRate.source.in_({q.source for q in quotes}),
        ExchangeRate.date.in_({q.date for q in quotes})))).scalars().all()
    by_key = {(r.from_currency_code, r.to_currency_code, _utc(r.date), r.source): r for r in existing}
    written: list[tuple[str, ExchangeRate]] = []
    for q in quotes:
        row = by_key.get((q.from_code, q.to_code, _utc(q.date), q.source))
        if row is None:
            row = ExchangeRate(id=new_id(), tenant_id=tenant_id, organization_id=organization_id,
                               from_currency_code=q.from_code, to_currency_code=q.to_code, rate=q.rate,
                               date=q.date, source=q.source, type=q.type, is_active=True)
            session.add(row)
            written.append(("created", row))
        elif row.rate != q.rate or row.type != q.type:
            row.rate, row.type, row.updated_at = q.rate, q.type, utcnow()
            written.append(("updated", row))
    await session.flush()
    for action, row in written:
        outbox.emit(session, f"currencies.exchange_rate.{action}", crud.describe(exchange_rates, row),
                    tenant_id=tenant_id, organization_id=organization_id)
    return len(quotes)


async def fetch_rates(session: AsyncSession, *, tenant_id: str, organization_id: str, day: date,
                      providers: list[str] | None = None,
                      transport: httpx.AsyncBaseTransport | None = None) -> dict[str, Any]:
    """Fetch `day`'s rates from `providers` (default: every provider that fetches) for the organization's
    active currencies, store them, and record each provider's outcome on its fetch config.

    A provider's rates are stored only when its whole answer parsed; a provider that is down or answers
    garbage is recorded as a failed sync with its message and changes no rate. Answers
    `{totalFetched, byProvider: {<provider>: {count, errors?}}, errors}`."""
    result: dict[str, Any] = {"totalFetched": 0, "byProvider": {}, "errors": []}
    known = registry()
    wanted = list(dict.fromkeys(providers or list(known)))
    codes = await _active_codes(session, tenant_id, organization_id)
    outcomes: dict[str, tuple[str, str, int]] = {}
    async with httpx.AsyncClient(transport=transport, follow_redirects=True) as client:
        for name in wanted:
            provider = known.get(name)
            if provider is None:
                message = f"{name} has no rate fetcher"
            elif provider.base_currency not in codes:
                result["byProvider"][name] = {"count": 0}
                outcomes[name] = ("success", f"Nothing to fetch: {provider.base_currency} is not an active "
                                             "currency of this organization", 0)
                continue
            else:
                try:
                    quotes = await provider.fetch(client, day)
                except ProviderError as exc:
                    message = str(exc)
                else:
                    # Only pairs of the organization's own active currencies are kept.
                    stored = await _store(session, tenant_id, organization_id,
                                          [q for q in quotes if q.from_code in codes and q.to_code in codes])
                    result["byProvider"][name] = {"count": stored}
                    result["totalFetched"] += stored
                    outcomes[name] = ("success", f"Successfully fetched {stored} rates", stored)
                    continue
            result["byProvider"][name] = {"count": 0, "errors": [message]}
            result["errors"].append(f"{name}: {message}")
            outcomes[name] = ("error", message, 0)
    await _record_sync(session, tenant_id, organization_id, outcomes)
    return result


async def _record_sync(session: AsyncSession, tenant_id: str, organization_id: str,
                       outcomes: dict[str, tuple[str, str, int]]) -> None:
    configs = (await session.execute(select(CurrencyFetchConfig).where(
        CurrencyFetchConfig.tenant_id == tenant_id, CurrencyFetchConfig.organization_id == organization_id,
        CurrencyFetchConfig.provider.in_(list(outcomes))))).scalars().all()
    now = utcnow()
    for config in configs:
        status, message, count = outcomes[config.provider]
        config.last_sync_at, config.last_sync_status = now, status
        config.last_sync_message, config.last_sync_count = message, count
    await session.flush()
