"""The catalog's tables: products and their variants, categories (a tree per organization), offers
(a product on a sales channel), price layers, price kinds and option-schema templates.

Money and quantities of money are `Numeric` columns read back as `Decimal`, never floats. Rows of
other modules (sales channels, customers, users, tax rates, media) are referenced by id only: the
modules' migrations are unordered branches, so there is no foreign key across modules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, CustomValuesMixin, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin

# 12 integer digits and 4 decimals: the reference's bounds for a price amount.
Money = Numeric(16, 4)
Rate = Numeric(7, 4)


class Product(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "catalog_products"
    __table_args__ = (Index("ix_catalog_products_tenant_sku", "tenant_id", "sku"),)

    title: Mapped[str] = mapped_column(String(255))
    subtitle: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    sku: Mapped[str | None] = mapped_column(String(191))
    handle: Mapped[str | None] = mapped_column(String(150))
    product_type: Mapped[str] = mapped_column(String(32), default="simple")
    status_entry_id: Mapped[str | None] = mapped_column(String(36))
    primary_currency_code: Mapped[str | None] = mapped_column(String(3))
    default_unit: Mapped[str | None] = mapped_column(String(50))
    default_media_id: Mapped[str | None] = mapped_column(String(36))
    default_media_url: Mapped[str | None] = mapped_column(String(500))
    weight_value: Mapped[Decimal | None] = mapped_column(Money)
    weight_unit: Mapped[str | None] = mapped_column(String(25))
    dimensions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tax_rate_id: Mapped[str | None] = mapped_column(String(36))
    tax_rate: Mapped[Decimal | None] = mapped_column(Rate)
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    custom_fieldset_code: Mapped[str | None] = mapped_column(String(150))
    option_schema_id: Mapped[str | None] = mapped_column(String(36), index=True)
    is_configurable: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)


class Variant(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "catalog_product_variants"

    product_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(191))
    barcode: Mapped[str | None] = mapped_column(String(191))
    status_entry_id: Mapped[str | None] = mapped_column(String(36))
    is_default: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    default_media_id: Mapped[str | None] = mapped_column(String(36))
    default_media_url: Mapped[str | None] = mapped_column(String(500))
    weight_value: Mapped[Decimal | None] = mapped_column(Money)
    weight_unit: Mapped[str | None] = mapped_column(String(25))
    dimensions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tax_rate_id: Mapped[str | None] = mapped_column(String(36))
    tax_rate: Mapped[Decimal | None] = mapped_column(Rate)
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    option_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    custom_fieldset_code: Mapped[str | None] = mapped_column(String(150))


class Category(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """A node of the organization's category tree; the tree columns are recomputed on every write."""

    __tablename__ = "catalog_product_categories"

    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str | None] = mapped_column(String(150))
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(String(36), index=True)
    root_id: Mapped[str | None] = mapped_column(String(36))
    tree_path: Mapped[str | None] = mapped_column(Text)
    path_label: Mapped[str | None] = mapped_column(Text)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    ancestor_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    child_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    descendant_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)


class CategoryAssignment(IdMixin, ScopedMixin, Base):
    """A product in a category (a plain link, deleted for real)."""

    __tablename__ = "catalog_product_category_assignments"
    __table_args__ = (UniqueConstraint("product_id", "category_id"),)

    product_id: Mapped[str] = mapped_column(String(36), index=True)
    category_id: Mapped[str] = mapped_column(String(36), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Offer(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """A product as sold on one sales channel (its title, media and texts there)."""

    __tablename__ = "catalog_product_offers"

    product_id: Mapped[str] = mapped_column(String(36), index=True)
    channel_id: Mapped[str] = mapped_column(String(36), index=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    default_media_id: Mapped[str | None] = mapped_column(String(36))
    default_media_url: Mapped[str | None] = mapped_column(String(500))
    localized_content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    is_active: Mapped[bool] = mapped_column(default=True)


class Price(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """One price layer: an amount for a product (or one of its variants or offers) that applies to a
    channel, customer, user, group, quantity range and validity window when those are set."""

    __tablename__ = "catalog_product_prices"

    product_id: Mapped[str | None] = mapped_column(String(36), index=True)
    variant_id: Mapped[str | None] = mapped_column(String(36), index=True)
    offer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    price_kind_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(150), default="regular")
    currency_code: Mapped[str] = mapped_column(String(3))
    min_quantity: Mapped[int] = mapped_column(Integer, default=1)
    max_quantity: Mapped[int | None] = mapped_column(Integer)
    unit_price_net: Mapped[Decimal | None] = mapped_column(Money)
    unit_price_gross: Mapped[Decimal | None] = mapped_column(Money)
    tax_rate: Mapped[Decimal | None] = mapped_column(Rate)
    tax_amount: Mapped[Decimal | None] = mapped_column(Money)
    tax_rate_id: Mapped[str | None] = mapped_column(String(36))
    channel_id: Mapped[str | None] = mapped_column(String(36))
    user_id: Mapped[str | None] = mapped_column(String(36))
    user_group_id: Mapped[str | None] = mapped_column(String(36))
    customer_id: Mapped[str | None] = mapped_column(String(36))
    customer_group_id: Mapped[str | None] = mapped_column(String(36))
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    starts_at: Mapped[datetime | None] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()


class PriceKind(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """Tenant-wide (`organization_id` may be null): regular, sale, promotion, tier... `code` is unique
    among the tenant's live kinds."""

    __tablename__ = "catalog_price_kinds"

    code: Mapped[str] = mapped_column(String(150))
    title: Mapped[str] = mapped_column(String(255))
    display_mode: Mapped[str] = mapped_column(String(20), default="excluding-tax")
    currency_code: Mapped[str | None] = mapped_column(String(3))
    is_promotion: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)


class OptionSchema(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """A reusable option schema (`{options: [{code, label, inputType, choices[]}]}`) that configurable
    products point at; variants' option values are checked against it."""

    __tablename__ = "catalog_option_schemas"

    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(150))
    description: Mapped[str | None] = mapped_column(Text)
    # `schema` on the wire (a name pydantic models reserve).
    definition: Mapped[dict[str, Any]] = mapped_column("schema", JSON)
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    is_active: Mapped[bool] = mapped_column(default=True)
