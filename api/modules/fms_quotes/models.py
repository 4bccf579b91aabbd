"""Freight quotes, their priced lines, the offers built from them (versioned, numbered) with their
lines, and the per-organization offer-number counter.

Money, quantities and margins are `Numeric` read back as `Decimal`, never floats. Other modules' rows
(the client contractor, the ports, the catalog product a line was priced from) are referenced by id
only: modules built side by side never hold foreign keys into each other's tables."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import JSON, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin

Money = Numeric(18, 4)
Quantity = Numeric(18, 4)
Percent = Numeric(8, 4)

QuoteStatus = Literal["draft", "ready", "offered", "won", "lost", "expired", "archived"]
OfferStatus = Literal["draft", "sent", "accepted", "declined", "expired", "superseded"]
Direction = Literal["import", "export", "both"]
Incoterm = Literal["exw", "fca", "fob", "cfr", "cif", "cpt", "cip", "dap", "dpu", "ddp"]
CargoType = Literal["fcl", "lcl"]
ContractType = Literal["spot", "nac", "basket"]
# Quote lines keep the catalog price's own spelling of the contract type.
LineContractType = Literal["SPOT", "NAC", "BASKET"]
ChargeCategory = Literal["transport", "terminal", "surcharge", "inland", "customs", "charges", "other"]
ChargeUnit = Literal["per_container", "per_shipment", "per_kg", "per_cbm", "per_bl", "per_day"]
ContainerType = Literal["20GP", "40GP", "40HC", "45HC", "20RF", "40RF", "40RH", "LCL"]

QUOTE_STATUSES: tuple[str, ...] = get_args(QuoteStatus)
OFFER_STATUSES: tuple[str, ...] = get_args(OfferStatus)
DIRECTIONS: tuple[str, ...] = get_args(Direction)
INCOTERMS: tuple[str, ...] = get_args(Incoterm)
CARGO_TYPES: tuple[str, ...] = get_args(CargoType)
CONTRACT_TYPES: tuple[str, ...] = get_args(ContractType)
CHARGE_CATEGORIES: tuple[str, ...] = get_args(ChargeCategory)
CHARGE_UNITS: tuple[str, ...] = get_args(ChargeUnit)
CONTAINER_TYPES: tuple[str, ...] = get_args(ContainerType)


def _amount(default: str = "0") -> Mapped[Decimal]:
    return mapped_column(Money, default=Decimal(default), server_default=default)


class FmsQuote(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "fms_quotes"
    __table_args__ = (Index("ix_fms_quotes_scope_status", "tenant_id", "organization_id", "status"),)

    quote_number: Mapped[str | None] = mapped_column(String(50))
    client_id: Mapped[str | None] = mapped_column(String(36), index=True)
    container_count: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    direction: Mapped[str | None] = mapped_column(String(20))
    incoterm: Mapped[str | None] = mapped_column(String(10))
    cargo_type: Mapped[str | None] = mapped_column(String(10))
    # Ids of fms_locations ports, in the order the user picked them (a quote has a handful at most, and
    # they are never queried across quotes, so a JSON list rather than link tables).
    origin_port_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    destination_port_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    valid_until: Mapped[datetime | None] = mapped_column()
    currency_code: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    notes: Mapped[str | None] = mapped_column(Text)


class FmsQuoteLine(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """One priced product of a quote: a snapshot of the catalog product taken when it was added, its
    cost, margin and the sales price offers are built from."""

    __tablename__ = "fms_quote_lines"

    quote_id: Mapped[str] = mapped_column(String(36), index=True)
    line_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    product_id: Mapped[str | None] = mapped_column(String(36))
    variant_id: Mapped[str | None] = mapped_column(String(36))
    price_id: Mapped[str | None] = mapped_column(String(36))
    product_name: Mapped[str] = mapped_column(String(255))
    charge_code: Mapped[str | None] = mapped_column(String(20))
    product_type: Mapped[str | None] = mapped_column(String(20))
    provider_name: Mapped[str | None] = mapped_column(String(255))
    container_size: Mapped[str | None] = mapped_column(String(20))
    contract_type: Mapped[str | None] = mapped_column(String(10))
    quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("1"), server_default="1")
    currency_code: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    unit_cost: Mapped[Decimal] = _amount()
    margin_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"), server_default="0")
    unit_sales: Mapped[Decimal] = _amount()


class FmsOffer(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """What was offered to the client from a quote. Versions of one offer share its number; the newest
    is the live one and every older one is `superseded`, pointing at its successor."""

    __tablename__ = "fms_offers"
    __table_args__ = (
        # One row per number and version: two concurrent re-versionings of one offer cannot both win.
        UniqueConstraint("tenant_id", "organization_id", "offer_number", "version",
                         name="uq_fms_offers_number_version"),
        Index("ix_fms_offers_scope_status", "tenant_id", "organization_id", "status"),
    )

    quote_id: Mapped[str] = mapped_column(String(36), index=True)
    offer_number: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    status: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    contract_type: Mapped[str] = mapped_column(String(10), default="spot", server_default="spot")
    carrier_name: Mapped[str | None] = mapped_column(String(255))
    valid_until: Mapped[datetime | None] = mapped_column()
    currency_code: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    total_amount: Mapped[Decimal] = _amount()
    payment_terms: Mapped[str | None] = mapped_column(String(255))
    special_terms: Mapped[str | None] = mapped_column(Text)
    customer_notes: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[str | None] = mapped_column(String(36))


class FmsOfferLine(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """A charge of an offer: a snapshot of the quote line it came from (name, code, container, price),
    or a charge added to the offer by hand."""

    __tablename__ = "fms_offer_lines"

    offer_id: Mapped[str] = mapped_column(String(36), index=True)
    line_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    product_name: Mapped[str | None] = mapped_column(String(255))
    charge_code: Mapped[str | None] = mapped_column(String(20))
    container_size: Mapped[str | None] = mapped_column(String(20))
    charge_name: Mapped[str | None] = mapped_column(String(255))
    charge_category: Mapped[str | None] = mapped_column(String(20))
    charge_unit: Mapped[str | None] = mapped_column(String(20))
    container_type: Mapped[str | None] = mapped_column(String(10))
    quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("1"), server_default="1")
    currency_code: Mapped[str] = mapped_column(String(3))
    unit_price: Mapped[Decimal] = _amount()
    amount: Mapped[Decimal] = _amount()


class FmsOfferSequence(IdMixin, ScopedMixin, Base):
    """The last offer number handed out per organization. Incremented by one UPDATE in the creating
    transaction: concurrent creates queue on the row, and a rolled-back create gives its number back,
    so numbers have no gaps."""

    __tablename__ = "fms_offer_sequences"
    __table_args__ = (UniqueConstraint("tenant_id", "organization_id", name="uq_fms_offer_sequences_scope"),)

    current_value: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
