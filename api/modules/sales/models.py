"""Sales tables: channels, the documents (orders and quotes) with their lines and adjustments,
payments, shipments, notes, document addresses, the methods and tax rates documents refer to, the
module's settings and its document-number sequences.

Money columns are `Numeric` read back as `Decimal` (never floats); documents keep JSON snapshots of
the customer, addresses, methods and catalog data taken when they were set, so later edits of those
records do not rewrite history. Other modules' rows (customers, products, dictionary entries) are
referenced by id only."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, CustomValuesMixin, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin

Money = Numeric(18, 4)
Quantity = Numeric(18, 4)
Percent = Numeric(9, 4)


def _money() -> Mapped[Decimal]:
    return mapped_column(Money, default=Decimal("0"), server_default="0")


class SalesChannel(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_channels"

    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(150), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    status_entry_id: Mapped[str | None] = mapped_column(String(36))
    is_active: Mapped[bool] = mapped_column(default=True)


class DocumentColumns:
    """What orders and quotes share: customer and address snapshots, methods, currency, totals."""

    status_entry_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str | None] = mapped_column(String(100))
    customer_entity_id: Mapped[str | None] = mapped_column(String(36), index=True)
    customer_contact_id: Mapped[str | None] = mapped_column(String(36))
    customer_snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    billing_address_id: Mapped[str | None] = mapped_column(String(36))
    shipping_address_id: Mapped[str | None] = mapped_column(String(36))
    billing_address_snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    shipping_address_snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    customer_reference: Mapped[str | None] = mapped_column(String(255))
    external_reference: Mapped[str | None] = mapped_column(String(255))
    comment: Mapped[str | None] = mapped_column(Text)
    internal_notes: Mapped[str | None] = mapped_column(Text)
    placed_at: Mapped[datetime | None] = mapped_column()
    expected_delivery_at: Mapped[datetime | None] = mapped_column()
    currency_code: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))
    channel_id: Mapped[str | None] = mapped_column(String(36), index=True)
    shipping_method_id: Mapped[str | None] = mapped_column(String(36))
    shipping_method_code: Mapped[str | None] = mapped_column(String(150))
    shipping_method_snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    delivery_window_id: Mapped[str | None] = mapped_column(String(36))
    delivery_window_code: Mapped[str | None] = mapped_column(String(150))
    delivery_window_snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    payment_method_id: Mapped[str | None] = mapped_column(String(36))
    payment_method_code: Mapped[str | None] = mapped_column(String(150))
    payment_method_snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    tax_strategy_key: Mapped[str | None] = mapped_column(String(100))
    discount_strategy_key: Mapped[str | None] = mapped_column(String(100))
    tax_info: Mapped[dict[str, Any] | None] = mapped_column()
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    custom_field_set_id: Mapped[str | None] = mapped_column(String(36))
    valid_from: Mapped[datetime | None] = mapped_column()
    valid_until: Mapped[datetime | None] = mapped_column()
    line_item_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    subtotal_net_amount: Mapped[Decimal] = _money()
    subtotal_gross_amount: Mapped[Decimal] = _money()
    discount_total_amount: Mapped[Decimal] = _money()
    tax_total_amount: Mapped[Decimal] = _money()
    shipping_net_amount: Mapped[Decimal] = _money()
    shipping_gross_amount: Mapped[Decimal] = _money()
    surcharge_total_amount: Mapped[Decimal] = _money()
    grand_total_net_amount: Mapped[Decimal] = _money()
    grand_total_gross_amount: Mapped[Decimal] = _money()
    paid_total_amount: Mapped[Decimal] = _money()
    refunded_total_amount: Mapped[Decimal] = _money()
    outstanding_amount: Mapped[Decimal] = _money()
    totals_snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    # Bumped by every recalculation: concurrent writers of one document serialize on its row lock, and
    # clients can tell a stale read.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SalesOrder(CustomValuesMixin, DocumentColumns, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_orders"

    order_number: Mapped[str | None] = mapped_column(String(100), index=True)
    fulfillment_status_entry_id: Mapped[str | None] = mapped_column(String(36))
    fulfillment_status: Mapped[str | None] = mapped_column(String(100))
    payment_status_entry_id: Mapped[str | None] = mapped_column(String(36))
    payment_status: Mapped[str | None] = mapped_column(String(100))
    due_at: Mapped[datetime | None] = mapped_column()
    quote_id: Mapped[str | None] = mapped_column(String(36))


class SalesQuote(CustomValuesMixin, DocumentColumns, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_quotes"

    quote_number: Mapped[str | None] = mapped_column(String(100), index=True)
    converted_order_id: Mapped[str | None] = mapped_column(String(36))


class LineColumns:
    line_number: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(32), default="product")
    status_entry_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str | None] = mapped_column(String(100))
    product_id: Mapped[str | None] = mapped_column(String(36))
    product_variant_id: Mapped[str | None] = mapped_column(String(36))
    catalog_snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    quantity_unit: Mapped[str | None] = mapped_column(String(32))
    currency_code: Mapped[str] = mapped_column(String(3))
    unit_price_net: Mapped[Decimal | None] = mapped_column(Money)
    unit_price_gross: Mapped[Decimal | None] = mapped_column(Money)
    discount_amount: Mapped[Decimal] = _money()
    discount_percent: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"), server_default="0")
    tax_rate: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"), server_default="0")
    tax_amount: Mapped[Decimal] = _money()
    total_net_amount: Mapped[Decimal] = _money()
    total_gross_amount: Mapped[Decimal] = _money()
    configuration: Mapped[dict[str, Any] | None] = mapped_column()
    promotion_code: Mapped[str | None] = mapped_column(String(100))
    promotion_snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    custom_field_set_id: Mapped[str | None] = mapped_column(String(36))


class SalesOrderLine(CustomValuesMixin, LineColumns, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_order_lines"

    order_id: Mapped[str] = mapped_column(String(36), index=True)
    reserved_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"), server_default="0")
    fulfilled_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"), server_default="0")
    invoiced_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"), server_default="0")
    returned_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"), server_default="0")


class SalesQuoteLine(CustomValuesMixin, LineColumns, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_quote_lines"

    quote_id: Mapped[str] = mapped_column(String(36), index=True)


class AdjustmentColumns:
    scope: Mapped[str] = mapped_column(String(16), default="order")
    kind: Mapped[str] = mapped_column(String(100), default="custom")
    code: Mapped[str | None] = mapped_column(String(100))
    label: Mapped[str | None] = mapped_column(String(255))
    calculator_key: Mapped[str | None] = mapped_column(String(100))
    promotion_id: Mapped[str | None] = mapped_column(String(36))
    rate: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"), server_default="0")
    amount_net: Mapped[Decimal] = _money()
    amount_gross: Mapped[Decimal] = _money()
    currency_code: Mapped[str | None] = mapped_column(String(3))
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    position: Mapped[int] = mapped_column(Integer, default=0)


class SalesOrderAdjustment(AdjustmentColumns, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_order_adjustments"

    order_id: Mapped[str] = mapped_column(String(36), index=True)
    order_line_id: Mapped[str | None] = mapped_column(String(36))


class SalesQuoteAdjustment(AdjustmentColumns, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_quote_adjustments"

    quote_id: Mapped[str] = mapped_column(String(36), index=True)
    quote_line_id: Mapped[str | None] = mapped_column(String(36))


class SalesPayment(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_payments"

    order_id: Mapped[str | None] = mapped_column(String(36), index=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(36))
    payment_reference: Mapped[str | None] = mapped_column(String(255))
    status_entry_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[Decimal] = _money()
    currency_code: Mapped[str] = mapped_column(String(3))
    captured_amount: Mapped[Decimal] = _money()
    refunded_amount: Mapped[Decimal] = _money()
    received_at: Mapped[datetime | None] = mapped_column()
    captured_at: Mapped[datetime | None] = mapped_column()
    custom_field_set_id: Mapped[str | None] = mapped_column(String(36))
    # [{orderId, invoiceId?, amount, currencyCode}]: how the payment is spread over documents.
    allocations: Mapped[list[Any] | None] = mapped_column()
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata")


class SalesShipment(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_shipments"

    order_id: Mapped[str] = mapped_column(String(36), index=True)
    shipment_number: Mapped[str | None] = mapped_column(String(100))
    shipping_method_id: Mapped[str | None] = mapped_column(String(36))
    status_entry_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str | None] = mapped_column(String(100))
    carrier_name: Mapped[str | None] = mapped_column(String(255))
    tracking_numbers: Mapped[list[Any] | None] = mapped_column()
    shipped_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    weight_value: Mapped[Decimal | None] = mapped_column(Quantity)
    weight_unit: Mapped[str | None] = mapped_column(String(16))
    declared_value_net: Mapped[Decimal | None] = mapped_column(Money)
    declared_value_gross: Mapped[Decimal | None] = mapped_column(Money)
    currency_code: Mapped[str | None] = mapped_column(String(3))
    notes: Mapped[str | None] = mapped_column(Text)
    items_snapshot: Mapped[list[Any] | None] = mapped_column()
    shipment_address_snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata")


class SalesShipmentItem(IdMixin, ScopedMixin, Base):
    """How much of one order line a shipment carries (the guard sums these per line)."""

    __tablename__ = "sales_shipment_items"

    shipment_id: Mapped[str] = mapped_column(String(36), index=True)
    order_id: Mapped[str] = mapped_column(String(36), index=True)
    order_line_id: Mapped[str] = mapped_column(String(36), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)


class SalesNote(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_notes"

    context_type: Mapped[str] = mapped_column(String(32))
    context_id: Mapped[str] = mapped_column(String(36), index=True)
    order_id: Mapped[str | None] = mapped_column(String(36))
    quote_id: Mapped[str | None] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)
    author_user_id: Mapped[str | None] = mapped_column(String(36))
    appearance_icon: Mapped[str | None] = mapped_column(String(100))
    appearance_color: Mapped[str | None] = mapped_column(String(32))


class SalesDocumentAddress(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_document_addresses"

    document_id: Mapped[str] = mapped_column(String(36), index=True)
    document_kind: Mapped[str] = mapped_column(String(16))
    customer_address_id: Mapped[str | None] = mapped_column(String(36))
    name: Mapped[str | None] = mapped_column(String(255))
    purpose: Mapped[str | None] = mapped_column(String(64))
    company_name: Mapped[str | None] = mapped_column(String(255))
    address_line1: Mapped[str] = mapped_column(String(255))
    address_line2: Mapped[str | None] = mapped_column(String(255))
    building_number: Mapped[str | None] = mapped_column(String(64))
    flat_number: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(255))
    postal_code: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()


class SalesShippingMethod(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_shipping_methods"

    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(String(150))
    description: Mapped[str | None] = mapped_column(Text)
    carrier_code: Mapped[str | None] = mapped_column(String(150))
    provider_key: Mapped[str | None] = mapped_column(String(150))
    service_level: Mapped[str | None] = mapped_column(String(150))
    estimated_transit_days: Mapped[int | None] = mapped_column(Integer)
    base_rate_net: Mapped[Decimal] = _money()
    base_rate_gross: Mapped[Decimal] = _money()
    currency_code: Mapped[str | None] = mapped_column(String(3))
    is_active: Mapped[bool] = mapped_column(default=True)
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    provider_settings: Mapped[dict[str, Any] | None] = mapped_column()


class SalesDeliveryWindow(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_delivery_windows"

    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(String(150))
    description: Mapped[str | None] = mapped_column(Text)
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    cutoff_time: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(default=True)
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata")


class SalesPaymentMethod(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_payment_methods"

    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(String(150))
    description: Mapped[str | None] = mapped_column(Text)
    provider_key: Mapped[str | None] = mapped_column(String(150))
    terms: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    provider_settings: Mapped[dict[str, Any] | None] = mapped_column()


class SalesTaxRate(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_tax_rates"

    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(String(150))
    rate: Mapped[Decimal] = mapped_column(Percent)
    country_code: Mapped[str | None] = mapped_column(String(2))
    region_code: Mapped[str | None] = mapped_column(String(64))
    postal_code: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(255))
    customer_group_id: Mapped[str | None] = mapped_column(String(36))
    product_category_id: Mapped[str | None] = mapped_column(String(36))
    channel_id: Mapped[str | None] = mapped_column(String(36))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    is_compound: Mapped[bool] = mapped_column(default=False)
    is_default: Mapped[bool] = mapped_column(default=False)
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    starts_at: Mapped[datetime | None] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()


class SalesSettings(IdMixin, TimestampMixin, ScopedMixin, Base):
    """One row per organization: number formats and the order-editing guards."""

    __tablename__ = "sales_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "organization_id", name="uq_sales_settings_org"),)

    order_number_format: Mapped[str] = mapped_column(String(255))
    quote_number_format: Mapped[str] = mapped_column(String(255))
    order_customer_editable_statuses: Mapped[list[Any] | None] = mapped_column()
    order_address_editable_statuses: Mapped[list[Any] | None] = mapped_column()


class SalesDocumentSequence(IdMixin, ScopedMixin, Base):
    """The last number handed out per organization and document kind. Incremented by one UPDATE in
    the creating transaction: concurrent creates queue on the row, and a rolled-back create gives its
    number back, so numbers have no gaps."""

    __tablename__ = "sales_document_sequences"
    __table_args__ = (UniqueConstraint("tenant_id", "organization_id", "document_kind",
                                       name="uq_sales_document_sequences_kind"),)

    document_kind: Mapped[str] = mapped_column(String(16))
    current_value: Mapped[int] = mapped_column(Integer, default=0)
