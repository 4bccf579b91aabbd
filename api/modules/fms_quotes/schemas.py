"""Request bodies of quotes, quote lines, offers and offer lines (camelCase on the wire).

Amounts accept numbers or numeric strings and are rounded to the 4 places the columns keep; keys left
out keep their values on updates, and `null` is refused for the fields that always have a value."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, StrictStr, StringConstraints, field_validator, model_validator

from api.casing import camel
from api.crud import Payload
from api.modules.fms_quotes.models import (
    CargoType,
    ChargeCategory,
    ChargeUnit,
    ContainerType,
    ContractType,
    Direction,
    Incoterm,
    LineContractType,
    OfferStatus,
    QuoteStatus,
)

PLACES = Decimal("0.0001")


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("Expected a UUID") from None


def _places(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


Id = Annotated[StrictStr, AfterValidator(_uuid)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
# Below 10^14 so that 4 decimal places fit the columns' 18 digits.
Amount = Annotated[Decimal, Field(ge=0, lt=10**14, allow_inf_nan=False), AfterValidator(_places)]
Margin = Annotated[Decimal, Field(gt=-(10**4), lt=10**4, allow_inf_nan=False), AfterValidator(_places)]
LineNumber = Annotated[int, Field(ge=0, le=1_000_000)]
Text20 = Annotated[str, StringConstraints(max_length=20)]
Text50 = Annotated[str, StringConstraints(max_length=50)]
Text255 = Annotated[str, StringConstraints(max_length=255)]
Name255 = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Text2000 = Annotated[str, StringConstraints(max_length=2000)]


class FmsPayload(Payload):
    # Columns that always hold a value: a body may leave them out, never set them to null.
    NOT_NULL: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _refuse_nulls(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            for name in cls.NOT_NULL:
                for key in (name, camel(name)):
                    if key in raw and raw[key] is None:
                        raise ValueError(f"{camel(name)} cannot be null")
        return raw


# --- quotes ---------------------------------------------------------------------------------------------

class QuoteFields(FmsPayload):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset({"status", "currency_code"})

    quote_number: Text50 | None = None
    client_id: Id | None = None
    container_count: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    status: QuoteStatus | None = None
    direction: Direction | None = None
    incoterm: Incoterm | None = None
    cargo_type: CargoType | None = None
    origin_port_ids: list[Id] | None = None
    destination_port_ids: list[Id] | None = None
    valid_until: datetime | None = None
    currency_code: Currency | None = None
    notes: Text2000 | None = None

    @field_validator("origin_port_ids", "destination_port_ids")
    @classmethod
    def _no_ports(cls, value: list[str] | None) -> list[str]:
        # `null` clears the ports, as an empty list does.
        return list(dict.fromkeys(value or []))


class QuoteCreate(QuoteFields):
    # The organization the quote belongs to (one the caller sees); the caller's current one otherwise.
    organization_id: str | None = None


class QuoteUpdate(QuoteFields):
    id: Id


# --- quote lines ----------------------------------------------------------------------------------------

class QuoteLineFields(FmsPayload):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset({"line_number", "product_name", "quantity", "currency_code",
                                                    "unit_cost", "margin_percent", "unit_sales"})

    line_number: LineNumber | None = None
    product_id: Id | None = None
    variant_id: Id | None = None
    price_id: Id | None = None
    product_name: Name255 | None = None
    charge_code: Text20 | None = None
    product_type: Text20 | None = None
    provider_name: Text255 | None = None
    container_size: Text20 | None = None
    contract_type: LineContractType | None = None
    quantity: Amount | None = None
    currency_code: Currency | None = None
    unit_cost: Amount | None = None
    margin_percent: Margin | None = None
    unit_sales: Amount | None = None


class QuoteLineCreate(QuoteLineFields):
    quote_id: Id


class QuoteLineUpdate(QuoteLineFields):
    """The body of `PUT /quote-lines/{id}`: the line stays on its quote."""


# --- offers ---------------------------------------------------------------------------------------------

class OfferCreate(Payload):
    """An offer built from a quote's lines: all live lines, or the chosen `lineIds`."""

    quote_id: Id
    line_ids: list[Id] | None = None
    valid_until: datetime
    contract_type: ContractType | None = None
    carrier_name: Text255 | None = None
    payment_terms: Text255 | None = None
    special_terms: Text2000 | None = None
    customer_notes: Text2000 | None = None
    notes: Text2000 | None = None


class OfferUpdate(FmsPayload):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset({"status", "contract_type", "valid_until"})

    status: OfferStatus | None = None
    valid_until: datetime | None = None
    contract_type: ContractType | None = None
    carrier_name: Text255 | None = None
    payment_terms: Text255 | None = None
    special_terms: Text2000 | None = None
    customer_notes: Text2000 | None = None
    notes: Text2000 | None = None


class OfferVersion(Payload):
    offer_id: Id


# --- offer lines ----------------------------------------------------------------------------------------

class OfferLineFields(FmsPayload):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset({"line_number", "quantity", "currency_code", "unit_price",
                                                    "amount"})

    line_number: LineNumber | None = None
    product_name: Text255 | None = None
    charge_code: Text20 | None = None
    container_size: Text20 | None = None
    charge_name: Text255 | None = None
    charge_category: ChargeCategory | None = None
    charge_unit: ChargeUnit | None = None
    container_type: ContainerType | None = None
    quantity: Amount | None = None
    currency_code: Currency | None = None
    unit_price: Amount | None = None
    amount: Amount | None = None


class OfferLineCreate(OfferLineFields):
    offer_id: Id


class OfferLineUpdate(OfferLineFields):
    """The body of `PUT /offer-lines/{id}`: the line stays on its offer."""

