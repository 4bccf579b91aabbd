from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, field_validator, model_validator

from api.crud import Payload
from api.crud.custom_fields import submitted as custom_values_of

Code = Annotated[str, Field(pattern=r"^[a-z0-9\-_]+$", max_length=150)]


class ChannelFields(Payload):
    description: str | None = Field(default=None, max_length=4000)
    status_entry_id: str | None = Field(default=None, max_length=36)
    is_active: StrictBool | None = None
    organization_id: str | None = None

    @field_validator("code", mode="before", check_fields=False)
    @classmethod
    def _code(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class ChannelCreate(ChannelFields):
    name: str = Field(min_length=1, max_length=255)
    code: Code | None = None


class ChannelUpdate(ChannelFields):
    id: str
    name: str | None = Field(default=None, min_length=1, max_length=255)
    code: Code | None = None


# --- shared field types ------------------------------------------------------------------------------------

Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4, allow_inf_nan=False)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4, allow_inf_nan=False)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=9, decimal_places=4, allow_inf_nan=False)]
Currency = Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]
Uuid = Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{36}$")]
Metadata = Annotated[dict[str, Any] | None, Field(default=None, alias="metadata")]
Short = Annotated[str, Field(max_length=255)]
Text = Annotated[str, Field(max_length=20000)]


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


# --- documents ------------------------------------------------------------------------------------------

class LineIn(Payload):
    """A line nested in a document body (`lines[]`); with an `id` on PUT it edits that line."""

    # The line's custom values (`cf_<key>` keys and `customFields`), taken from the raw line before the
    # keys the model does not declare are dropped; written by the document's hooks as the line
    # collection's own writes are.
    custom_values: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _keep_custom_values(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        kept = {k: v for k, v in raw.items() if k not in ("customValues", "custom_values")}
        return {**kept, "custom_values": custom_values_of(raw)}

    id: Uuid | None = None
    line_number: int | None = Field(default=None, ge=1)
    kind: Annotated[str, Field(max_length=32)] | None = None
    status_entry_id: Uuid | None = None
    status: Annotated[str, Field(max_length=100)] | None = None
    product_id: Uuid | None = None
    product_variant_id: Uuid | None = None
    name: Short | None = None
    description: Text | None = None
    comment: Text | None = None
    quantity: Quantity | None = None
    quantity_unit: Annotated[str, Field(max_length=32)] | None = None
    currency_code: Currency | None = None
    unit_price_net: Money | None = None
    unit_price_gross: Money | None = None
    discount_amount: Money | None = None
    discount_percent: Percent | None = None
    tax_rate: Percent | None = None
    tax_rate_id: Uuid | None = None
    price_id: Uuid | None = None
    configuration: dict[str, Any] | None = None
    promotion_code: Annotated[str, Field(max_length=100)] | None = None
    promotion_snapshot: dict[str, Any] | None = None
    metadata_json: Metadata
    custom_field_set_id: Uuid | None = None
    organization_id: str | None = None
    # Order lines only.
    reserved_quantity: Money | None = None
    fulfilled_quantity: Money | None = None
    invoiced_quantity: Money | None = None
    returned_quantity: Money | None = None

    _currency = field_validator("currency_code", mode="before")(lambda v: _upper(v))


class AdjustmentIn(Payload):
    id: Uuid | None = None
    scope: Literal["order", "line"] | None = None
    kind: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    code: Annotated[str, Field(max_length=100)] | None = None
    label: Short | None = None
    calculator_key: Annotated[str, Field(max_length=100)] | None = None
    promotion_id: Uuid | None = None
    rate: Percent | None = None
    amount_net: Money | None = None
    amount_gross: Money | None = None
    currency_code: Currency | None = None
    metadata_json: Metadata
    position: int | None = Field(default=None, ge=0)
    organization_id: str | None = None

    _currency = field_validator("currency_code", mode="before")(lambda v: _upper(v))


class DocumentFields(Payload):
    organization_id: str | None = None
    status_entry_id: Uuid | None = None
    customer_entity_id: Uuid | None = None
    customer_contact_id: Uuid | None = None
    billing_address_id: Uuid | None = None
    shipping_address_id: Uuid | None = None
    customer_snapshot: dict[str, Any] | None = None
    billing_address_snapshot: dict[str, Any] | None = None
    shipping_address_snapshot: dict[str, Any] | None = None
    customer_reference: Short | None = None
    external_reference: Short | None = None
    comment: Text | None = None
    internal_notes: Text | None = None
    placed_at: datetime | None = None
    expected_delivery_at: datetime | None = None
    exchange_rate: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=8)] | None = None
    channel_id: Uuid | None = None
    shipping_method_id: Uuid | None = None
    delivery_window_id: Uuid | None = None
    payment_method_id: Uuid | None = None
    tax_strategy_key: Annotated[str, Field(max_length=100)] | None = None
    discount_strategy_key: Annotated[str, Field(max_length=100)] | None = None
    tax_info: dict[str, Any] | None = None
    metadata_json: Metadata
    custom_field_set_id: Uuid | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    lines: list[LineIn] | None = Field(default=None, max_length=2000)
    adjustments: list[AdjustmentIn] | None = Field(default=None, max_length=500)
    tags: list[Uuid] | None = Field(default=None, max_length=100)

    _currency = field_validator("currency_code", mode="before", check_fields=False)(lambda v: _upper(v))


class OrderCreate(DocumentFields):
    currency_code: Currency
    order_number: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    due_at: datetime | None = None


class OrderUpdate(DocumentFields):
    id: str
    currency_code: Currency | None = None
    order_number: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    due_at: datetime | None = None
    # Workflows set statuses by value (UPDATE_ENTITY `statusValue`); resolved in the order-status dictionary.
    status_value: Annotated[str, Field(max_length=100)] | None = None
    fulfillment_status_entry_id: Uuid | None = None
    payment_status_entry_id: Uuid | None = None
    # Lines and adjustments of the order the PUT removes.
    removed_line_ids: list[Uuid] | None = None
    removed_adjustment_ids: list[Uuid] | None = None


class QuoteCreate(DocumentFields):
    currency_code: Currency
    quote_number: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class QuoteUpdate(DocumentFields):
    id: str
    currency_code: Currency | None = None
    quote_number: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    status_value: Annotated[str, Field(max_length=100)] | None = None
    removed_line_ids: list[Uuid] | None = None
    removed_adjustment_ids: list[Uuid] | None = None


class OrderLineCreate(LineIn):
    order_id: str
    quantity: Quantity
    currency_code: Currency


class OrderLineUpdate(LineIn):
    id: str  # type: ignore[assignment]
    order_id: str | None = None


class QuoteLineCreate(LineIn):
    quote_id: str
    quantity: Quantity
    currency_code: Currency


class QuoteLineUpdate(LineIn):
    id: str  # type: ignore[assignment]
    quote_id: str | None = None


class OrderAdjustmentCreate(AdjustmentIn):
    order_id: str
    order_line_id: Uuid | None = None


class OrderAdjustmentUpdate(AdjustmentIn):
    id: str  # type: ignore[assignment]
    order_id: str | None = None
    order_line_id: Uuid | None = None


class QuoteAdjustmentCreate(AdjustmentIn):
    quote_id: str
    quote_line_id: Uuid | None = None


class QuoteAdjustmentUpdate(AdjustmentIn):
    id: str  # type: ignore[assignment]
    quote_id: str | None = None
    quote_line_id: Uuid | None = None


# --- payments and shipments ------------------------------------------------------------------------------

class Allocation(Payload):
    order_id: Uuid | None = None
    invoice_id: Uuid | None = None
    amount: Money
    currency_code: Currency

    _currency = field_validator("currency_code", mode="before")(lambda v: _upper(v))


class PaymentFields(Payload):
    organization_id: str | None = None
    order_id: Uuid | None = None
    payment_method_id: Uuid | None = None
    payment_reference: Short | None = None
    status_entry_id: Uuid | None = None
    captured_amount: Money | None = None
    refunded_amount: Money | None = None
    received_at: datetime | None = None
    captured_at: datetime | None = None
    custom_field_set_id: Uuid | None = None
    allocations: list[Allocation] | None = Field(default=None, max_length=100)
    metadata_json: Metadata

    _currency = field_validator("currency_code", mode="before", check_fields=False)(lambda v: _upper(v))


class PaymentCreate(PaymentFields):
    amount: Money
    currency_code: Currency


class PaymentUpdate(PaymentFields):
    id: str
    amount: Money | None = None
    currency_code: Currency | None = None


class ShipmentItemIn(Payload):
    order_line_id: Uuid
    quantity: Quantity


class ShipmentFields(Payload):
    organization_id: str | None = None
    shipment_number: Annotated[str, Field(max_length=100)] | None = None
    shipping_method_id: Uuid | None = None
    status_entry_id: Uuid | None = None
    carrier_name: Short | None = None
    tracking_numbers: list[Annotated[str, Field(max_length=255)]] | None = Field(default=None, max_length=50)
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    weight_value: Money | None = None
    weight_unit: Annotated[str, Field(max_length=16)] | None = None
    declared_value_net: Money | None = None
    declared_value_gross: Money | None = None
    currency_code: Currency | None = None
    notes: Text | None = None
    shipment_address_snapshot: dict[str, Any] | None = None
    metadata_json: Metadata
    items: list[ShipmentItemIn] | None = Field(default=None, max_length=2000)

    _currency = field_validator("currency_code", mode="before")(lambda v: _upper(v))


class ShipmentCreate(ShipmentFields):
    order_id: str


class ShipmentUpdate(ShipmentFields):
    id: str


# --- notes and document addresses --------------------------------------------------------------------------

class NoteCreate(Payload):
    organization_id: str | None = None
    context_type: Literal["order", "quote", "invoice", "credit_memo"]
    context_id: Uuid
    body: Annotated[str, Field(min_length=1, max_length=20000)]
    appearance_icon: Annotated[str, Field(max_length=100)] | None = None
    appearance_color: Annotated[str, Field(max_length=32)] | None = None


class NoteUpdate(Payload):
    id: str
    body: Annotated[str, Field(min_length=1, max_length=20000)] | None = None
    appearance_icon: Annotated[str, Field(max_length=100)] | None = None
    appearance_color: Annotated[str, Field(max_length=32)] | None = None


class AddressFields(Payload):
    organization_id: str | None = None
    customer_address_id: Uuid | None = None
    name: Short | None = None
    purpose: Annotated[str, Field(max_length=64)] | None = None
    company_name: Short | None = None
    address_line2: Short | None = None
    building_number: Annotated[str, Field(max_length=64)] | None = None
    flat_number: Annotated[str, Field(max_length=64)] | None = None
    city: Short | None = None
    region: Short | None = None
    postal_code: Annotated[str, Field(max_length=64)] | None = None
    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None

    _country = field_validator("country", mode="before")(lambda v: _upper(v))


class DocumentAddressCreate(AddressFields):
    document_id: Uuid
    document_kind: Literal["order", "quote"]
    address_line1: Annotated[str, Field(min_length=1, max_length=255)]


class DocumentAddressUpdate(AddressFields):
    id: str
    document_id: Uuid | None = None
    document_kind: Literal["order", "quote"] | None = None
    address_line1: Annotated[str, Field(min_length=1, max_length=255)] | None = None


# --- methods, windows, tax rates ---------------------------------------------------------------------------

class NamedFields(Payload):
    organization_id: str | None = None
    description: Text | None = None
    is_active: StrictBool | None = None
    metadata_json: Metadata

    @field_validator("code", mode="before", check_fields=False)
    @classmethod
    def _code(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class ShippingMethodFields(NamedFields):
    carrier_code: Annotated[str, Field(max_length=150)] | None = None
    provider_key: Annotated[str, Field(max_length=150)] | None = None
    service_level: Annotated[str, Field(max_length=150)] | None = None
    estimated_transit_days: int | None = Field(default=None, ge=0, le=365)
    base_rate_net: Money | None = None
    base_rate_gross: Money | None = None
    currency_code: Currency | None = None
    provider_settings: dict[str, Any] | None = None

    _currency = field_validator("currency_code", mode="before")(lambda v: _upper(v))


class ShippingMethodCreate(ShippingMethodFields):
    name: Annotated[str, Field(min_length=1, max_length=255)]
    code: Code


class ShippingMethodUpdate(ShippingMethodFields):
    id: str
    name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    code: Code | None = None


class DeliveryWindowFields(NamedFields):
    lead_time_days: int | None = Field(default=None, ge=0, le=365)
    cutoff_time: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None


class DeliveryWindowCreate(DeliveryWindowFields):
    name: Annotated[str, Field(min_length=1, max_length=255)]
    code: Code


class DeliveryWindowUpdate(DeliveryWindowFields):
    id: str
    name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    code: Code | None = None


class PaymentMethodFields(NamedFields):
    provider_key: Annotated[str, Field(max_length=150)] | None = None
    terms: Text | None = None
    provider_settings: dict[str, Any] | None = None


class PaymentMethodCreate(PaymentMethodFields):
    name: Annotated[str, Field(min_length=1, max_length=255)]
    code: Code


class PaymentMethodUpdate(PaymentMethodFields):
    id: str
    name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    code: Code | None = None


class TaxRateFields(NamedFields):
    country_code: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] | None = None
    region_code: Annotated[str, Field(max_length=64)] | None = None
    postal_code: Annotated[str, Field(max_length=64)] | None = None
    city: Short | None = None
    customer_group_id: Uuid | None = None
    product_category_id: Uuid | None = None
    channel_id: Uuid | None = None
    priority: int | None = Field(default=None, ge=-1000, le=1000)
    is_compound: StrictBool | None = None
    is_default: StrictBool | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    _country = field_validator("country_code", mode="before")(lambda v: _upper(v))


class TaxRateCreate(TaxRateFields):
    name: Annotated[str, Field(min_length=1, max_length=255)]
    code: Code
    rate: Percent


class TaxRateUpdate(TaxRateFields):
    id: str
    name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    code: Code | None = None
    rate: Percent | None = None


# --- status dictionaries and settings ----------------------------------------------------------------------

Color = Annotated[str, Field(pattern=r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]


class StatusCreate(Payload):
    organization_id: str | None = None
    value: Annotated[str, Field(min_length=1, max_length=150)]
    label: Annotated[str, Field(max_length=150)] | None = None
    color: Color | None = None
    icon: Annotated[str, Field(max_length=64)] | None = None


class StatusUpdate(Payload):
    id: str
    organization_id: str | None = None
    value: Annotated[str, Field(min_length=1, max_length=150)] | None = None
    label: Annotated[str, Field(max_length=150)] | None = None
    color: Color | None = None
    icon: Annotated[str, Field(max_length=64)] | None = None


Format = Annotated[str, Field(min_length=1, max_length=255)]
Statuses = Annotated[list[Annotated[str, Field(max_length=150)]] | None, Field(default=None, max_length=100)]


class DocumentNumberSettings(Payload):
    organization_id: str | None = None
    order_number_format: Format | None = None
    quote_number_format: Format | None = None
    order_next_number: int | None = Field(default=None, ge=1, le=10**12)
    quote_next_number: int | None = Field(default=None, ge=1, le=10**12)
    order_customer_editable_statuses: Statuses
    order_address_editable_statuses: Statuses


class OrderEditingSettings(Payload):
    organization_id: str | None = None
    order_customer_editable_statuses: Statuses
    order_address_editable_statuses: Statuses


class NextNumber(Payload):
    organization_id: str | None = None
    kind: Literal["order", "quote"]


class ConvertQuote(Payload):
    quote_id: Uuid
