"""Request bodies of the contractors module (camelCase on the wire, snake_case accepted too)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, EmailStr, Field, StrictBool, field_validator

from api.crud import Payload

Id = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
Purpose = Literal["office", "warehouse", "billing", "shipping", "other"]
Category = Literal["trading", "carrier", "intermediary", "facility"]
PaymentMethod = Literal["bank_transfer", "card", "cash"]
Currency = Annotated[str, Field(min_length=3, max_length=3)]


def _blank_is_null(value: Any) -> Any:
    # The reference's forms send "" for a cleared field; it means "no value", not an empty text.
    return None if isinstance(value, str) and not value.strip() else value


# Optional texts of a bounded length where "" means "no value".
Text20 = Annotated[Annotated[str, Field(max_length=20)] | None, BeforeValidator(_blank_is_null)]
Text50 = Annotated[Annotated[str, Field(max_length=50)] | None, BeforeValidator(_blank_is_null)]
Text100 = Annotated[Annotated[str, Field(max_length=100)] | None, BeforeValidator(_blank_is_null)]
Text255 = Annotated[Annotated[str, Field(max_length=255)] | None, BeforeValidator(_blank_is_null)]


def _amount(value: Any) -> Any:
    """A money amount as a number or a decimal string with at most two decimals (never a float's noise)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        value = str(value)
    if isinstance(value, str):
        text = value.strip()
        whole, _, cents = text.partition(".")
        if not whole.isdigit() or (cents and (not cents.isdigit() or len(cents) > 2)):
            raise ValueError("Expected a non-negative amount with at most two decimals")
        return Decimal(text)
    return value


Email = Annotated[Annotated[EmailStr, Field(max_length=255)] | None, BeforeValidator(_blank_is_null)]
Amount = Annotated[Decimal, BeforeValidator(_amount), Field(ge=0, max_digits=18, decimal_places=2)]


# --- contractors -----------------------------------------------------------------------------------------

class ContractorFields(Payload):
    short_name: Text50 = None
    parent_id: Id | None = None
    tax_id: Text50 = None
    is_active: StrictBool | None = None
    role_type_ids: list[Id] | None = None


class ContractorPatch(ContractorFields):
    """`PUT /contractors/contractors/{id}`: the keys sent change, the others keep their values."""

    name: str | None = Field(default=None, min_length=1, max_length=255)


class ContractorUpdate(ContractorPatch):
    id: str


class AddressFields(Payload):
    address_line: Text255 = None
    city: Text100 = None
    state: Text100 = None
    postal_code: Text20 = None
    country: Text100 = None
    is_primary: StrictBool | None = None
    is_active: StrictBool | None = None


class NestedAddress(AddressFields):
    purpose: Purpose


class AddressCreate(NestedAddress):
    contractor_id: Id


class AddressUpdate(AddressFields):
    id: str
    purpose: Purpose | None = None


class ContactFields(Payload):
    first_name: Text100 = None
    last_name: Text100 = None
    email: Email = None
    phone: Text50 = None
    is_primary: StrictBool | None = None
    is_active: StrictBool | None = None

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value


class ContactCreate(ContactFields):
    contractor_id: Id


class ContactUpdate(ContactFields):
    id: str


class PaymentTermsFields(Payload):
    payment_days: int | None = Field(default=None, ge=0, le=365, strict=True)
    payment_method: PaymentMethod | None = None
    currency_code: Currency | None = None
    bank_name: str | None = Field(default=None, max_length=255)
    bank_account_number: str | None = Field(default=None, max_length=50)
    bank_routing_number: str | None = Field(default=None, max_length=50)
    iban: str | None = Field(default=None, max_length=50)
    swift_bic: str | None = Field(default=None, max_length=20)
    notes: str | None = Field(default=None, max_length=1000)

    @field_validator("currency_code")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


class PaymentTermsUpsert(PaymentTermsFields):
    contractor_id: Id


class CreditLimitFields(Payload):
    credit_limit: Amount | None = None
    currency_code: Currency | None = None
    is_unlimited: StrictBool | None = None
    # Not in the reference's body (its exposure column was dropped): kept so "credit exceeded" has a figure.
    current_exposure: Amount | None = None
    notes: str | None = Field(default=None, max_length=1000)

    @field_validator("currency_code")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


class CreditLimitUpsert(CreditLimitFields):
    contractor_id: Id


class ContractorCreate(ContractorFields):
    """A contractor, optionally with its contacts, addresses, payment terms and credit limit, all
    written in one transaction. `primaryContactEmail` / `primaryContactPhone` (the quick-create form)
    become a primary contact ahead of `contacts`."""

    name: str = Field(min_length=1, max_length=255)
    contacts: list[ContactFields] | None = Field(default=None, max_length=100)
    addresses: list[NestedAddress] | None = Field(default=None, max_length=100)
    payment_terms: PaymentTermsFields | None = None
    credit_limit: CreditLimitFields | None = None
    primary_contact_email: Email = None
    primary_contact_phone: Text50 = None


# --- role types --------------------------------------------------------------------------------------------

class RoleTypeFields(Payload):
    description: str | None = Field(default=None, max_length=500)
    color: str | None = Field(default=None, max_length=20)
    icon: str | None = Field(default=None, max_length=50)
    has_custom_fields: StrictBool | None = None
    sort_order: int | None = Field(default=None, strict=True, ge=-2_147_483_648, le=2_147_483_647)
    is_system: StrictBool | None = None
    is_active: StrictBool | None = None


class RoleTypeCreate(RoleTypeFields):
    code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=100)
    category: Category


class RoleTypeUpdate(RoleTypeFields):
    """The code names a role type for good: an update cannot change it."""

    id: str
    name: str | None = Field(default=None, min_length=1, max_length=100)
    category: Category | None = None
