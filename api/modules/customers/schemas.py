"""Request bodies of the CRM (camelCase on the wire). Custom fields (`cf_<key>`, `customFields`) are
extra keys the kit validates against the tenant's definitions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, EmailStr, Field, HttpUrl, StrictBool, TypeAdapter

from api.crud import Payload

Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
Id = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _url(value: str) -> str:
    # Checked as a URL but kept as written (pydantic's HttpUrl would add a trailing slash).
    _URL.validate_python(value)
    return value


Url = Annotated[str, AfterValidator(_url)]


def _text(max_length: int) -> Any:
    return Field(default=None, max_length=max_length)


class WithCustom(Payload):
    # `cf_<key>` / `customFields` stay on the model so workflow commands pass them through too.
    model_config = ConfigDict(extra="allow")

    organization_id: Id | None = None


class NextInteraction(Payload):
    model_config = ConfigDict(extra="forbid")

    at: datetime
    name: str = Field(min_length=1, max_length=200)
    ref_id: str | None = Field(default=None, max_length=191)
    icon: str | None = Field(default=None, max_length=100)
    color: Color | None = None


class EntityFields(WithCustom):
    description: str | None = _text(4000)
    owner_user_id: Id | None = None
    primary_email: EmailStr | None = Field(default=None, max_length=320)
    primary_phone: str | None = _text(50)
    status: str | None = _text(100)
    lifecycle_stage: str | None = _text(100)
    source: str | None = _text(150)
    is_active: StrictBool | None = None
    next_interaction: NextInteraction | None = None
    tags: list[Id] | None = None


class PersonFields(EntityFields):
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    preferred_name: str | None = _text(120)
    job_title: str | None = _text(150)
    department: str | None = _text(150)
    seniority: str | None = _text(100)
    timezone: str | None = _text(120)
    linked_in_url: Url | None = None
    twitter_url: Url | None = None
    company_entity_id: Id | None = None


class PersonCreate(PersonFields):
    first_name: str = Field(min_length=1, max_length=120)
    last_name: str = Field(min_length=1, max_length=120)


class PersonUpdate(PersonFields):
    id: str
    first_name: str | None = Field(default=None, min_length=1, max_length=120)
    last_name: str | None = Field(default=None, min_length=1, max_length=120)


class CompanyFields(EntityFields):
    legal_name: str | None = _text(200)
    brand_name: str | None = _text(200)
    domain: str | None = _text(200)
    website_url: Url | None = None
    industry: str | None = _text(150)
    size_bucket: str | None = _text(100)
    annual_revenue: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)


class CompanyCreate(CompanyFields):
    display_name: str = Field(min_length=1, max_length=200)


class CompanyUpdate(CompanyFields):
    id: str
    display_name: str | None = Field(default=None, min_length=1, max_length=200)


class DealPersonRef(Payload):
    id: Id
    participant_role: str | None = Field(default=None, max_length=100)


class DealFields(WithCustom):
    description: str | None = _text(4000)
    status: str | None = _text(50)
    pipeline_stage: str | None = _text(100)
    value_amount: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    value_currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    probability: int | None = Field(default=None, ge=0, le=100)
    expected_close_at: datetime | None = None
    owner_user_id: Id | None = None
    source: str | None = _text(150)
    person_ids: list[Id] | None = None
    company_ids: list[Id] | None = None
    # Participants with their role in the deal (`personIds` links without a role).
    people: list[DealPersonRef] | None = None


class DealCreate(DealFields):
    title: str = Field(min_length=1, max_length=200)


class DealUpdate(DealFields):
    id: str
    title: str | None = Field(default=None, min_length=1, max_length=200)


class TimelineFields(WithCustom):
    deal_id: Id | None = None
    author_user_id: Id | None = None
    appearance_icon: str | None = _text(100)
    appearance_color: Color | None = None


class ActivityFields(TimelineFields):
    subject: str | None = _text(200)
    body: str | None = _text(8000)
    occurred_at: datetime | None = None


class ActivityCreate(ActivityFields):
    entity_id: Id
    activity_type: str = Field(min_length=1, max_length=100)


class ActivityUpdate(ActivityFields):
    id: str
    activity_type: str | None = Field(default=None, min_length=1, max_length=100)


class CommentCreate(TimelineFields):
    entity_id: Id
    body: str = Field(min_length=1, max_length=8000)


class CommentUpdate(TimelineFields):
    id: str
    body: str | None = Field(default=None, min_length=1, max_length=8000)


class AddressFields(Payload):
    organization_id: Id | None = None
    name: str | None = _text(150)
    purpose: str | None = _text(150)
    company_name: str | None = _text(200)
    address_line2: str | None = _text(300)
    building_number: str | None = _text(50)
    flat_number: str | None = _text(50)
    city: str | None = _text(150)
    region: str | None = _text(150)
    postal_code: str | None = _text(30)
    country: str | None = _text(150)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    is_primary: StrictBool | None = None


class AddressCreate(AddressFields):
    entity_id: Id
    address_line1: str = Field(min_length=1, max_length=300)


class AddressUpdate(AddressFields):
    id: str
    address_line1: str | None = Field(default=None, min_length=1, max_length=300)


DictionaryKind = Literal["status", "source", "lifecycle_stage", "address_type", "activity_type", "deal_status",
                         "pipeline_stage", "job_title", "industry"]
DICTIONARY_KINDS: tuple[str, ...] = DictionaryKind.__args__  # type: ignore[attr-defined]


class DictionaryEntryCreate(Payload):
    value: str = Field(min_length=1, max_length=150)
    label: str | None = Field(default=None, max_length=150)
    color: Color | None = None
    icon: str | None = Field(default=None, max_length=48)


class DictionaryEntryUpdate(Payload):
    value: str | None = Field(default=None, min_length=1, max_length=150)
    label: str | None = Field(default=None, max_length=150)
    color: Color | None = None
    icon: str | None = Field(default=None, max_length=48)


class TodoLinkCreate(Payload):
    entity_id: Id
    todo_id: Id
    todo_source: str = Field(default="example:todo", min_length=1, max_length=120)


class TodoCreateAndLink(Payload):
    model_config = ConfigDict(extra="allow")

    entity_id: Id
    title: str = Field(min_length=1, max_length=200)
    is_done: StrictBool | None = None
    todo_source: str = Field(default="example:todo", min_length=1, max_length=120)
    # Custom field values of the new todo (`todoCustom` or `custom`, e.g. `{"priority": "high"}`).
    todo_custom: dict[str, object] | None = None
    custom: dict[str, object] | None = None


class TodoUnlink(Payload):
    id: Id


class AddressFormat(Payload):
    address_format: Literal["line_first", "street_first"]
