"""Currencies, exchange rates and rate-fetch configurations, each owned by one organization."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin

# Live rows only: a soft-deleted currency or rate must not block creating it again.
_LIVE = text("deleted_at IS NULL")


class Currency(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "currencies"
    __table_args__ = (
        Index("uq_currencies_org_code", "tenant_id", "organization_id", "code", unique=True,
              sqlite_where=_LIVE, postgresql_where=_LIVE),
        # The database keeps "one base currency per organization" even against concurrent writes.
        Index("uq_currencies_org_base", "tenant_id", "organization_id", unique=True,
              sqlite_where=text("is_base AND deleted_at IS NULL"),
              postgresql_where=text("is_base AND deleted_at IS NULL")),
    )

    # ISO 4217, three uppercase letters.
    code: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(200))
    symbol: Mapped[str | None] = mapped_column(String(10), default=None)
    decimal_places: Mapped[int] = mapped_column(Integer, default=2)
    thousands_separator: Mapped[str | None] = mapped_column(String(5), default=None)
    decimal_separator: Mapped[str | None] = mapped_column(String(5), default=None)
    is_base: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)


class ExchangeRate(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """1 `from_currency_code` = `rate` `to_currency_code`, from `date` on, as `source` says."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        Index("uq_exchange_rates_pair_date_source", "tenant_id", "organization_id", "from_currency_code",
              "to_currency_code", "date", "source", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
        # Conversions look up the latest rate of a pair on or before a date.
        Index("ix_exchange_rates_pair_date", "tenant_id", "organization_id", "from_currency_code",
              "to_currency_code", "date"),
    )

    from_currency_code: Mapped[str] = mapped_column(String(3))
    to_currency_code: Mapped[str] = mapped_column(String(3))
    # Exact decimals (numeric(18, 8)), never binary floats.
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8, asdecimal=True))
    date: Mapped[datetime] = mapped_column()
    source: Mapped[str] = mapped_column(String(50))
    # The bank's side of the quote: `buy` (the bank buys the foreign currency) or `sell`; null for a mid rate.
    type: Mapped[str | None] = mapped_column(String(8), default=None)
    is_active: Mapped[bool] = mapped_column(default=True)


class CurrencyFetchConfig(IdMixin, TimestampMixin, ScopedMixin, Base):
    """Which rate provider an organization fetches from, and when (`sync_time`, daily, a Temporal Schedule)."""

    __tablename__ = "currency_fetch_configs"
    __table_args__ = (UniqueConstraint("tenant_id", "organization_id", "provider"),)

    provider: Mapped[str] = mapped_column(String(50))
    is_enabled: Mapped[bool] = mapped_column(default=False)
    # HH:MM, daily.
    sync_time: Mapped[str | None] = mapped_column(String(5), default=None)
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    last_sync_status: Mapped[str | None] = mapped_column(String(16), default=None)
    last_sync_message: Mapped[str | None] = mapped_column(Text, default=None)
    last_sync_count: Mapped[int | None] = mapped_column(Integer, default=None)
    # Provider options; `timeZone` (IANA name) is the zone of `sync_time` (default UTC).
    config: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
