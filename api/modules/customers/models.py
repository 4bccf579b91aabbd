"""The CRM's tables. People and companies are one table, `customer_entities`, told apart by `kind`
(single-table inheritance: `Person` and `Company` select only their own rows), each with a profile
table of its kind. Other modules' rows (users, todos) are referenced by id only."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Float, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, CustomValuesMixin, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin, utcnow


class CustomerEntity(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "customer_entities"
    __table_args__ = (
        Index("ix_customer_entities_scope", "tenant_id", "organization_id", "kind", "created_at"),
        Index("ix_customer_entities_phone", "tenant_id", "phone_digits"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    owner_user_id: Mapped[str | None] = mapped_column(String(36))
    primary_email: Mapped[str | None] = mapped_column(String(320))
    primary_phone: Mapped[str | None] = mapped_column(String(50))
    # The phone's digits alone, kept on write: `people/check-phone` compares digits with an indexed
    # equality instead of a per-dialect regexp over every row.
    phone_digits: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(100))
    lifecycle_stage: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(150))
    next_interaction_at: Mapped[datetime | None] = mapped_column(default=None)
    next_interaction_name: Mapped[str | None] = mapped_column(String(200))
    next_interaction_ref_id: Mapped[str | None] = mapped_column(String(191))
    next_interaction_icon: Mapped[str | None] = mapped_column(String(100))
    next_interaction_color: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)

    __mapper_args__ = {"polymorphic_on": "kind"}


class Person(CustomerEntity):
    __mapper_args__ = {"polymorphic_identity": "person"}


class Company(CustomerEntity):
    __mapper_args__ = {"polymorphic_identity": "company"}


class PersonProfile(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "customer_people"

    entity_id: Mapped[str] = mapped_column(String(36), unique=True)
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    preferred_name: Mapped[str | None] = mapped_column(String(120))
    job_title: Mapped[str | None] = mapped_column(String(150))
    department: Mapped[str | None] = mapped_column(String(150))
    seniority: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str | None] = mapped_column(String(120))
    linked_in_url: Mapped[str | None] = mapped_column(String(300))
    twitter_url: Mapped[str | None] = mapped_column(String(300))
    company_entity_id: Mapped[str | None] = mapped_column(String(36), index=True)


class CompanyProfile(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "customer_companies"

    entity_id: Mapped[str] = mapped_column(String(36), unique=True)
    legal_name: Mapped[str | None] = mapped_column(String(200))
    brand_name: Mapped[str | None] = mapped_column(String(200))
    domain: Mapped[str | None] = mapped_column(String(200))
    website_url: Mapped[str | None] = mapped_column(String(300))
    industry: Mapped[str | None] = mapped_column(String(150))
    size_bucket: Mapped[str | None] = mapped_column(String(100))
    annual_revenue: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))


class Deal(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "customer_deals"

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(50), default="open")
    pipeline_stage: Mapped[str | None] = mapped_column(String(100))
    value_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    value_currency: Mapped[str | None] = mapped_column(String(3))
    probability: Mapped[int | None] = mapped_column()
    expected_close_at: Mapped[datetime | None] = mapped_column(default=None)
    owner_user_id: Mapped[str | None] = mapped_column(String(36))
    source: Mapped[str | None] = mapped_column(String(150))


class DealPerson(IdMixin, ScopedMixin, Base):
    """A person taking part in a deal (a plain link, replaced when the deal's `personIds` change)."""

    __tablename__ = "customer_deal_people"
    __table_args__ = (UniqueConstraint("deal_id", "person_entity_id"),)

    deal_id: Mapped[str] = mapped_column(String(36), index=True)
    person_entity_id: Mapped[str] = mapped_column(String(36), index=True)
    participant_role: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DealCompany(IdMixin, ScopedMixin, Base):
    __tablename__ = "customer_deal_companies"
    __table_args__ = (UniqueConstraint("deal_id", "company_entity_id"),)

    deal_id: Mapped[str] = mapped_column(String(36), index=True)
    company_entity_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Activity(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "customer_activities"

    entity_id: Mapped[str] = mapped_column(String(36), index=True)
    deal_id: Mapped[str | None] = mapped_column(String(36), index=True)
    activity_type: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime | None] = mapped_column(default=None)
    author_user_id: Mapped[str | None] = mapped_column(String(36))
    appearance_icon: Mapped[str | None] = mapped_column(String(100))
    appearance_color: Mapped[str | None] = mapped_column(String(16))


class Comment(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "customer_comments"

    entity_id: Mapped[str] = mapped_column(String(36), index=True)
    deal_id: Mapped[str | None] = mapped_column(String(36), index=True)
    body: Mapped[str] = mapped_column(Text)
    author_user_id: Mapped[str | None] = mapped_column(String(36))
    appearance_icon: Mapped[str | None] = mapped_column(String(100))
    appearance_color: Mapped[str | None] = mapped_column(String(16))


class Address(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "customer_addresses"

    entity_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str | None] = mapped_column(String(150))
    purpose: Mapped[str | None] = mapped_column(String(150))
    company_name: Mapped[str | None] = mapped_column(String(200))
    address_line1: Mapped[str] = mapped_column(String(300))
    address_line2: Mapped[str | None] = mapped_column(String(300))
    building_number: Mapped[str | None] = mapped_column(String(50))
    flat_number: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(150))
    region: Mapped[str | None] = mapped_column(String(150))
    postal_code: Mapped[str | None] = mapped_column(String(30))
    country: Mapped[str | None] = mapped_column(String(150))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    is_primary: Mapped[bool] = mapped_column(default=False)


class DictionaryEntry(IdMixin, TimestampMixin, ScopedMixin, Base):
    """The CRM's own value lists (statuses, sources, activity types...), one per `kind`, per
    organization; `normalized_value` (trimmed, lower-cased) is unique within an organization's kind."""

    __tablename__ = "customer_dictionary_entries"
    __table_args__ = (UniqueConstraint("organization_id", "kind", "normalized_value"),)

    kind: Mapped[str] = mapped_column(String(50))
    value: Mapped[str] = mapped_column(String(150))
    normalized_value: Mapped[str] = mapped_column(String(150))
    label: Mapped[str] = mapped_column(String(150))
    color: Mapped[str | None] = mapped_column(String(16))
    icon: Mapped[str | None] = mapped_column(String(48))


class TodoLink(IdMixin, ScopedMixin, Base):
    """A todo of another module (`todo_source`, `example:todo` today) linked to a customer; deleted
    for real on unlink (the todo itself stays)."""

    __tablename__ = "customer_todo_links"
    __table_args__ = (UniqueConstraint("entity_id", "todo_source", "todo_id"),)

    entity_id: Mapped[str] = mapped_column(String(36), index=True)
    todo_id: Mapped[str] = mapped_column(String(36), index=True)
    todo_source: Mapped[str] = mapped_column(String(120), default="example:todo")
    created_by_user_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Settings(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "customer_settings"
    __table_args__ = (UniqueConstraint("organization_id"),)

    address_format: Mapped[str] = mapped_column(String(20), default="line_first")
