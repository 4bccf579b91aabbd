"""Request bodies of the booking collections and actions (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, EmailStr, Field, StrictBool, field_validator

from api.crud import Payload

Uuid = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
Icon = Annotated[str, Field(max_length=100)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=4000)]
HourMinute = Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")]
Subject = Literal["member", "resource", "ruleset"]
Kind = Literal["availability", "unavailability"]
Tag = Annotated[str, Field(min_length=1, max_length=100)]


class Scoped(Payload):
    # Custom fields (`cf_<key>`/`customFields`) travel as extra keys the kit validates.
    model_config = ConfigDict(extra="allow")

    organization_id: str | None = None


# --- teams -------------------------------------------------------------------------------------------

class TeamCreate(Scoped):
    name: Name
    description: Text | None = None
    is_active: StrictBool | None = None


class TeamUpdate(Scoped):
    id: str
    name: Name | None = None
    description: Text | None = None
    is_active: StrictBool | None = None


class TeamRoleCreate(Scoped):
    team_id: Uuid | None = None
    name: Name
    description: Text | None = None
    appearance_icon: Icon | None = None
    appearance_color: Color | None = None


class TeamRoleUpdate(Scoped):
    id: str
    team_id: Uuid | None = None
    name: Name | None = None
    description: Text | None = None
    appearance_icon: Icon | None = None
    appearance_color: Color | None = None


class TeamMemberCreate(Scoped):
    team_id: Uuid | None = None
    display_name: Name
    description: Text | None = None
    user_id: Uuid | None = None
    role_ids: list[Uuid] = Field(default_factory=list, max_length=100)
    tags: list[Tag] = Field(default_factory=list, max_length=100)
    availability_rule_set_id: Uuid | None = None
    is_active: StrictBool | None = None


class TeamMemberUpdate(Scoped):
    id: str
    team_id: Uuid | None = None
    display_name: Name | None = None
    description: Text | None = None
    user_id: Uuid | None = None
    role_ids: list[Uuid] | None = Field(default=None, max_length=100)
    tags: list[Tag] | None = Field(default=None, max_length=100)
    availability_rule_set_id: Uuid | None = None
    is_active: StrictBool | None = None


class MemberTag(Payload):
    member_id: Uuid
    tag: Tag


# --- resources ---------------------------------------------------------------------------------------

class ResourceTypeCreate(Scoped):
    name: Name
    description: Text | None = None
    appearance_icon: Icon | None = None
    appearance_color: Color | None = None


class ResourceTypeUpdate(Scoped):
    id: str
    name: Name | None = None
    description: Text | None = None
    appearance_icon: Icon | None = None
    appearance_color: Color | None = None


class ResourceCreate(Scoped):
    name: Name
    description: Text | None = None
    resource_type_id: Uuid | None = None
    capacity: int | None = Field(default=None, gt=0, le=1_000_000)
    capacity_unit_value: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    capacity_unit_name: Name | None = None
    capacity_unit_color: Color | None = None
    capacity_unit_icon: Icon | None = None
    appearance_icon: Icon | None = None
    appearance_color: Color | None = None
    is_active: StrictBool | None = None
    availability_rule_set_id: Uuid | None = None
    # Ids of booking tags to assign (as `POST /booking/resources/tags/assign` would).
    tags: list[Uuid] | None = Field(default=None, max_length=100)


class ResourceUpdate(ResourceCreate):
    id: str
    name: Name | None = None  # type: ignore[assignment]


class ResourceTagAssignment(Payload):
    tag_id: Uuid
    resource_id: Uuid


# --- services (read API; workflows write them) ----------------------------------------------------------

class RoleNeed(Payload):
    role_id: Uuid
    qty: int = Field(gt=0)


class MemberNeed(Payload):
    member_id: Uuid
    qty: int | None = Field(default=None, gt=0)


class ResourceNeed(Payload):
    resource_id: Uuid
    qty: int = Field(gt=0)


class ResourceTypeNeed(Payload):
    resource_type_id: Uuid
    qty: int = Field(gt=0)


class ServiceCreate(Scoped):
    name: Name
    description: Text | None = None
    duration_minutes: int = Field(gt=0, le=60 * 24 * 31)
    capacity_model: Literal["one_to_one", "one_to_many", "many_to_many"]
    max_attendees: int | None = Field(default=None, gt=0)
    required_roles: list[RoleNeed] = Field(default_factory=list)
    required_members: list[MemberNeed] = Field(default_factory=list)
    required_resources: list[ResourceNeed] = Field(default_factory=list)
    required_resource_types: list[ResourceTypeNeed] = Field(default_factory=list)
    tags: list[Tag] = Field(default_factory=list)
    is_active: StrictBool | None = None


class ServiceUpdate(Scoped):
    id: str
    name: Name | None = None
    description: Text | None = None
    duration_minutes: int | None = Field(default=None, gt=0, le=60 * 24 * 31)
    capacity_model: Literal["one_to_one", "one_to_many", "many_to_many"] | None = None
    max_attendees: int | None = Field(default=None, gt=0)
    required_roles: list[RoleNeed] | None = None
    required_members: list[MemberNeed] | None = None
    required_resources: list[ResourceNeed] | None = None
    required_resource_types: list[ResourceTypeNeed] | None = None
    tags: list[Tag] | None = None
    is_active: StrictBool | None = None


# --- availability --------------------------------------------------------------------------------------

class RuleSetCreate(Scoped):
    name: Name
    description: Text | None = None
    timezone: Annotated[str, Field(min_length=1, max_length=64)]


class RuleSetUpdate(Scoped):
    id: str
    name: Name | None = None
    description: Text | None = None
    timezone: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class RuleCreate(Scoped):
    subject_type: Subject
    subject_id: Uuid
    timezone: Annotated[str, Field(min_length=1, max_length=64)]
    rrule: Annotated[str, Field(min_length=1, max_length=4000)]
    exdates: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=1000)
    kind: Kind = "availability"
    note: Annotated[str, Field(max_length=200)] | None = None


class RuleUpdate(Scoped):
    id: str
    subject_type: Subject | None = None
    subject_id: Uuid | None = None
    timezone: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    rrule: Annotated[str, Field(min_length=1, max_length=4000)] | None = None
    exdates: list[Annotated[str, Field(max_length=40)]] | None = Field(default=None, max_length=1000)
    kind: Kind | None = None
    note: Annotated[str, Field(max_length=200)] | None = None


class WeeklyWindow(Payload):
    weekday: int = Field(ge=0, le=6)  # 0 = Sunday, as the reference
    start: HourMinute
    end: HourMinute


class DayWindow(Payload):
    start: HourMinute
    end: HourMinute


class WeeklyReplace(Payload):
    organization_id: str | None = None
    subject_type: Subject
    subject_id: Uuid
    timezone: Annotated[str, Field(min_length=1, max_length=64)]
    windows: list[WeeklyWindow] = Field(default_factory=list, max_length=200)


class DateSpecificReplace(Payload):
    organization_id: str | None = None
    subject_type: Subject
    subject_id: Uuid
    timezone: Annotated[str, Field(min_length=1, max_length=64)]
    dates: list[Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]] = Field(default_factory=list, max_length=366)
    windows: list[DayWindow] = Field(default_factory=list, max_length=50)
    kind: Kind = "availability"
    note: Annotated[str, Field(max_length=200)] | None = None


class IcsImport(Payload):
    subject_type: Subject
    subject_id: Uuid
    # The calendar's text (`BEGIN:VCALENDAR ...`); its events become unavailability rules.
    ics: Annotated[str, Field(min_length=1, max_length=1_000_000)]
    timezone: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    note: Annotated[str, Field(max_length=200)] | None = None


class FeedRotate(Payload):
    subject_type: Literal["member", "resource"]
    subject_id: Uuid


# --- events and attendees ------------------------------------------------------------------------------

class EventMemberLink(Payload):
    member_id: Uuid
    role_id: Uuid | None = None


class EventResourceLink(Payload):
    resource_id: Uuid
    qty: int = Field(default=1, gt=0)


class EventCreate(Scoped):
    service_id: Uuid | None = None
    title: Annotated[str, Field(min_length=1, max_length=300)]
    starts_at: datetime
    ends_at: datetime
    timezone: Annotated[str, Field(max_length=64)] | None = None
    rrule: Annotated[str, Field(max_length=4000)] | None = None
    exdates: list[str] = Field(default_factory=list)
    status: Literal["draft", "negotiation", "confirmed", "cancelled"] = "draft"
    requires_confirmations: StrictBool = False
    confirmation_mode: Literal["all_members", "any_member", "by_role"] = "all_members"
    confirmation_deadline_at: datetime | None = None
    confirmed_at: datetime | None = None
    members: list[EventMemberLink] = Field(default_factory=list, max_length=200)
    resources: list[EventResourceLink] = Field(default_factory=list, max_length=200)
    tags: list[Tag] = Field(default_factory=list)

    @field_validator("starts_at", "ends_at", "confirmation_deadline_at", "confirmed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        from datetime import UTC
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class EventUpdate(Scoped):
    id: str
    service_id: Uuid | None = None
    title: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    status: Literal["draft", "negotiation", "confirmed", "cancelled"] | None = None
    confirmed_at: datetime | None = None
    members: list[EventMemberLink] | None = None
    resources: list[EventResourceLink] | None = None
    tags: list[Tag] | None = None

    @field_validator("starts_at", "ends_at", "confirmed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        from datetime import UTC
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


Str = Annotated[str, Field(max_length=300)]


class AttendeeFields(Scoped):
    customer_id: Uuid | None = None
    email: EmailStr | None = None
    phone: Annotated[str, Field(max_length=64)] | None = None
    address_line1: Str | None = None
    address_line2: Str | None = None
    city: Str | None = None
    region: Str | None = None
    postal_code: Annotated[str, Field(max_length=32)] | None = None
    country: Annotated[str, Field(max_length=64)] | None = None
    attendee_type: Annotated[str, Field(max_length=64)] | None = None
    external_ref: Annotated[str, Field(max_length=200)] | None = None
    notes: Text | None = None


class AttendeeCreate(AttendeeFields):
    event_id: Uuid
    first_name: Name
    last_name: Name
    tags: list[Tag] = Field(default_factory=list)


class AttendeeUpdate(AttendeeFields):
    id: str
    event_id: Uuid | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    tags: list[Tag] | None = None


def dumped(model: Any) -> dict[str, Any]:
    """A nested body's list of links as plain dicts by API name (camelCase), for JSON columns."""
    return model.model_dump(by_alias=True, exclude_none=True)  # type: ignore[no-any-return]
