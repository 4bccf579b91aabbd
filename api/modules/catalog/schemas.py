"""Request bodies of the catalog (camelCase on the wire). Money is `Decimal` from the JSON text on:
never negative, at most 12 integer digits and 4 decimals, as the reference bounds a price."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool, field_validator, model_validator

from api.crud import Payload

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Uuid = Annotated[str, Field(pattern=UUID_PATTERN)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9\-_]+$", max_length=150)]
Sku = Annotated[str, Field(pattern=r"^[A-Za-z0-9\-_\.]+$", max_length=191)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4, allow_inf_nan=False)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4, allow_inf_nan=False)]
Quantity = Annotated[int, Field(ge=1, le=1_000_000_000)]
Metadata = Annotated[dict[str, Any] | None, Field(default=None, alias="metadata")]

PRODUCT_TYPES = ("simple", "configurable", "virtual", "downloadable", "bundle", "grouped")
ProductType = Literal["simple", "configurable", "virtual", "downloadable", "bundle", "grouped"]


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class Dimensions(Payload):
    width: float | None = Field(default=None, ge=0)
    height: float | None = Field(default=None, ge=0)
    depth: float | None = Field(default=None, ge=0)
    unit: str | None = Field(default=None, max_length=25)


# --- option schemas ----------------------------------------------------------------------------------

class OptionChoice(Payload):
    code: Slug
    label: str | None = Field(default=None, max_length=255)

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> Any:
        return _lower(value)


class OptionDefinition(Payload):
    code: Slug
    label: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=2000)
    input_type: Literal["select", "text", "textarea", "number"] = "select"
    is_required: StrictBool | None = None
    is_multiple: StrictBool | None = None
    choices: list[OptionChoice] | None = Field(default=None, max_length=200)

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> Any:
        return _lower(value)

    @model_validator(mode="before")
    @classmethod
    def _values_are_choices(cls, data: Any) -> Any:
        # Some clients send the allowed values as `values: ["s", "m"]`; they are choices.
        if isinstance(data, dict) and "choices" not in data and isinstance(data.get("values"), list):
            data = {**data, "choices": [v if isinstance(v, dict) else {"code": v, "label": v}
                                        for v in data["values"]]}
        return data


class OptionSchemaBody(Payload):
    version: int | None = Field(default=None, ge=1)
    name: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=4000)
    options: list[OptionDefinition] = Field(max_length=64)

    @field_validator("options")
    @classmethod
    def _unique_codes(cls, options: list[OptionDefinition]) -> list[OptionDefinition]:
        codes = [o.code for o in options]
        if len(codes) != len(set(codes)):
            raise ValueError("Option codes must be unique")
        return options


class OptionSchemaFields(Payload):
    code: Slug | None = None
    description: str | None = Field(default=None, max_length=4000)
    metadata_json: Metadata
    is_active: StrictBool | None = None
    organization_id: str | None = None

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> Any:
        return _lower(value)


class OptionSchemaCreate(OptionSchemaFields):
    name: str = Field(min_length=1, max_length=255)
    definition: OptionSchemaBody = Field(alias="schema")


class OptionSchemaUpdate(OptionSchemaFields):
    id: Uuid
    name: str | None = Field(default=None, min_length=1, max_length=255)
    definition: OptionSchemaBody | None = Field(default=None, alias="schema")


# --- products ----------------------------------------------------------------------------------------

class OfferFields(Payload):
    description: str | None = Field(default=None, max_length=4000)
    default_media_id: Uuid | None = None
    default_media_url: str | None = Field(default=None, max_length=500)
    localized_content: dict[str, Any] | None = None
    metadata_json: Metadata
    is_active: StrictBool | None = None


class OfferInput(OfferFields):
    """An offer nested in a product's create."""

    channel_id: Uuid
    title: str = Field(min_length=1, max_length=255)


class ProductFields(Payload):
    # Custom fields (`cf_<key>`, `customFields`) are extra keys the kit validates against definitions.
    model_config = ConfigDict(extra="allow")

    subtitle: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=4000)
    sku: Sku | None = None
    handle: Slug | None = None
    tax_rate_id: Uuid | None = None
    tax_rate: Percent | None = None
    status_entry_id: Uuid | None = None
    primary_currency_code: Currency | None = None
    default_unit: str | None = Field(default=None, max_length=50)
    default_media_id: Uuid | None = None
    default_media_url: str | None = Field(default=None, max_length=500)
    weight_value: Money | None = None
    weight_unit: str | None = Field(default=None, max_length=25)
    dimensions: Dimensions | None = None
    option_schema_id: Uuid | None = None
    option_schema: OptionSchemaBody | None = None
    custom_fieldset_code: Slug | None = None
    is_configurable: StrictBool | None = None
    is_active: StrictBool | None = None
    metadata_json: Metadata
    organization_id: str | None = None
    # Written with the product, in the same transaction (not columns).
    offers: list[OfferInput] | None = Field(default=None, max_length=100)
    category_ids: list[Uuid] | None = Field(default=None, max_length=100)
    tags: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(default=None, max_length=100)

    @field_validator("handle", "custom_fieldset_code", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return _lower(value)


class ProductCreate(ProductFields):
    title: str = Field(min_length=1, max_length=255)
    product_type: ProductType = "simple"


class ProductUpdate(ProductFields):
    id: Uuid
    title: str | None = Field(default=None, min_length=1, max_length=255)
    product_type: ProductType | None = None


# --- variants ----------------------------------------------------------------------------------------

class VariantFields(Payload):
    model_config = ConfigDict(extra="allow")

    name: str | None = Field(default=None, max_length=255)
    sku: Sku | None = None
    barcode: str | None = Field(default=None, max_length=191)
    status_entry_id: Uuid | None = None
    is_default: StrictBool | None = None
    is_active: StrictBool | None = None
    default_media_id: Uuid | None = None
    default_media_url: str | None = Field(default=None, max_length=500)
    weight_value: Money | None = None
    weight_unit: str | None = Field(default=None, max_length=25)
    tax_rate_id: Uuid | None = None
    tax_rate: Percent | None = None
    dimensions: Dimensions | None = None
    metadata_json: Metadata
    option_values: dict[Annotated[str, Field(min_length=1, max_length=191)],
                        Annotated[str, Field(max_length=255)]] | None = None
    custom_fieldset_code: Slug | None = None
    organization_id: str | None = None


class VariantCreate(VariantFields):
    product_id: Uuid


class VariantUpdate(VariantFields):
    id: Uuid
    product_id: Uuid | None = None


# --- categories --------------------------------------------------------------------------------------

class CategoryFields(Payload):
    slug: Slug | None = None
    description: str | None = Field(default=None, max_length=2000)
    parent_id: Uuid | None = None
    is_active: StrictBool | None = None
    organization_id: str | None = None

    @field_validator("slug", mode="before")
    @classmethod
    def _slug(cls, value: Any) -> Any:
        return _lower(value)


class CategoryCreate(CategoryFields):
    name: str = Field(min_length=1, max_length=255)


class CategoryUpdate(CategoryFields):
    id: Uuid
    name: str | None = Field(default=None, min_length=1, max_length=255)


# --- offers ------------------------------------------------------------------------------------------

class OfferCreate(OfferInput):
    product_id: Uuid
    organization_id: str | None = None


class OfferUpdate(OfferFields):
    id: Uuid
    product_id: Uuid | None = None
    channel_id: Uuid | None = None
    title: str | None = Field(default=None, min_length=1, max_length=255)


# --- prices and price kinds --------------------------------------------------------------------------

class PriceFields(Payload):
    model_config = ConfigDict(extra="allow")

    variant_id: Uuid | None = None
    product_id: Uuid | None = None
    offer_id: Uuid | None = None
    min_quantity: Quantity | None = None
    max_quantity: Quantity | None = None
    unit_price_net: Money | None = None
    unit_price_gross: Money | None = None
    tax_rate: Percent | None = None
    tax_rate_id: Uuid | None = None
    channel_id: Uuid | None = None
    user_id: Uuid | None = None
    user_group_id: Uuid | None = None
    customer_id: Uuid | None = None
    customer_group_id: Uuid | None = None
    metadata_json: Metadata
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    organization_id: str | None = None


class PriceCreate(PriceFields):
    currency_code: Currency
    price_kind_id: Uuid


class PriceUpdate(PriceFields):
    id: Uuid
    currency_code: Currency | None = None
    price_kind_id: Uuid | None = None


DisplayMode = Literal["including-tax", "excluding-tax"]


class PriceKindFields(Payload):
    currency_code: Currency | None = None
    is_promotion: StrictBool | None = None
    is_active: StrictBool | None = None


class PriceKindCreate(PriceKindFields):
    code: Slug
    title: str = Field(min_length=1, max_length=255)
    display_mode: DisplayMode = "excluding-tax"

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> Any:
        return _lower(value)


class PriceKindUpdate(PriceKindFields):
    id: Uuid
    code: Slug | None = None
    title: str | None = Field(default=None, min_length=1, max_length=255)
    display_mode: DisplayMode | None = None

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> Any:
        return _lower(value)
