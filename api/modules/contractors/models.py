"""The contractors' tables: the contractor (a company or one of its branches), its addresses and contact
people, the role types a tenant defines, and the 1:1 payment terms and credit limit of a contractor.
Other modules reference contractors by id only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin

ADDRESS_PURPOSES = ("office", "warehouse", "billing", "shipping", "other")
ROLE_CATEGORIES = ("trading", "carrier", "intermediary", "facility")
PAYMENT_METHODS = ("bank_transfer", "card", "cash")
Money = Numeric(18, 2)


class Contractor(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "contractors"
    __table_args__ = (Index("ix_contractors_scope", "tenant_id", "organization_id", "created_at"),)

    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str | None] = mapped_column(String(50))
    # A branch names the company it belongs to (MSC Poland under MSC); never a cycle.
    parent_id: Mapped[str | None] = mapped_column(String(36), index=True)
    tax_id: Mapped[str | None] = mapped_column(String(50))
    is_active: Mapped[bool] = mapped_column(default=True)
    # The roles a contractor plays, as the reference stores them (ids of role types). The list's
    # `roleCategory` / `roleTypeId` filters read `ContractorRoleLink`, kept equal to this list on write.
    role_type_ids: Mapped[list[Any] | None] = mapped_column(default=None)


class ContractorRoleLink(Base):
    """One role a contractor plays, derived from `Contractor.role_type_ids` so lists can filter by role
    with an indexed join on SQLite and PostgreSQL alike (a JSON array has no portable "contains")."""

    __tablename__ = "contractor_role_links"

    contractor_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    role_type_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)


class ContractorAddress(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "contractor_addresses"

    contractor_id: Mapped[str] = mapped_column(String(36), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    address_line: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(100))
    is_primary: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)


class ContractorContact(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "contractor_contacts"

    contractor_id: Mapped[str] = mapped_column(String(36), index=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(50))
    is_primary: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)


class ContractorRoleType(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "contractor_role_types"
    __table_args__ = (
        UniqueConstraint("tenant_id", "organization_id", "code", name="uq_contractor_role_types_code"),
        Index("ix_contractor_role_types_category", "tenant_id", "organization_id", "category"),
    )

    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(500))
    color: Mapped[str | None] = mapped_column(String(20))
    icon: Mapped[str | None] = mapped_column(String(50))
    has_custom_fields: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_system: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)


class ContractorPaymentTerms(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "contractor_payment_terms"

    # At most one per contractor: writes are upserts keyed by the contractor.
    contractor_id: Mapped[str] = mapped_column(String(36), unique=True)
    payment_days: Mapped[int] = mapped_column(Integer, default=30)
    payment_method: Mapped[str | None] = mapped_column(String(20))
    currency_code: Mapped[str] = mapped_column(String(3), default="USD")
    bank_name: Mapped[str | None] = mapped_column(String(255))
    bank_account_number: Mapped[str | None] = mapped_column(String(50))
    bank_routing_number: Mapped[str | None] = mapped_column(String(50))
    iban: Mapped[str | None] = mapped_column(String(50))
    swift_bic: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)


class ContractorCreditLimit(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "contractor_credit_limits"

    # At most one per contractor: writes are upserts keyed by the contractor.
    contractor_id: Mapped[str] = mapped_column(String(36), unique=True)
    credit_limit: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency_code: Mapped[str] = mapped_column(String(3), default="USD")
    is_unlimited: Mapped[bool] = mapped_column(default=False)
    # What the contractor owes now (open files, unpaid invoices), written by whoever computes it; a
    # limited contractor whose exposure is above its limit has exceeded its credit.
    current_exposure: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    notes: Mapped[str | None] = mapped_column(Text)
