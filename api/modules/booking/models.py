"""Booking: teams, people and resources that can be booked, services, availability as RFC 5545 rules,
events and their attendees. Other modules' rows (users, customers) are referenced by id only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, CustomValuesMixin, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin


class Team(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "booking_teams"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)


class TeamRole(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "booking_team_roles"

    team_id: Mapped[str | None] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    appearance_icon: Mapped[str | None] = mapped_column(String(100))
    appearance_color: Mapped[str | None] = mapped_column(String(16))


class TeamMember(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "booking_team_members"

    team_id: Mapped[str | None] = mapped_column(String(36), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    role_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Free-text labels (the reference keeps member tags as strings, unlike resource tags).
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    availability_rule_set_id: Mapped[str | None] = mapped_column(String(36))
    is_active: Mapped[bool] = mapped_column(default=True)


class ResourceType(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "booking_resource_types"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    appearance_icon: Mapped[str | None] = mapped_column(String(100))
    appearance_color: Mapped[str | None] = mapped_column(String(16))


class BookableResource(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """A room, a machine, a vehicle: something booked by capacity."""

    __tablename__ = "booking_resources"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    resource_type_id: Mapped[str | None] = mapped_column(String(36), index=True)
    capacity: Mapped[int | None] = mapped_column(Integer)
    capacity_unit_value: Mapped[str | None] = mapped_column(String(100))
    capacity_unit_name: Mapped[str | None] = mapped_column(String(200))
    capacity_unit_color: Mapped[str | None] = mapped_column(String(16))
    capacity_unit_icon: Mapped[str | None] = mapped_column(String(100))
    appearance_icon: Mapped[str | None] = mapped_column(String(100))
    appearance_color: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    availability_rule_set_id: Mapped[str | None] = mapped_column(String(36))


class Service(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """What can be booked: its length, how many attend, and who and what it needs."""

    __tablename__ = "booking_services"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    capacity_model: Mapped[str] = mapped_column(String(20), default="one_to_one")
    max_attendees: Mapped[int | None] = mapped_column(Integer)
    required_roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    required_members: Mapped[list[Any]] = mapped_column(JSON, default=list)
    required_resources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    required_resource_types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)


class AvailabilityRuleSet(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """Shared hours (e.g. "Office hours, Europe/Warsaw") that members and resources point to."""

    __tablename__ = "booking_availability_rule_sets"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64))


class AvailabilityRule(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """One RFC 5545 rule (DTSTART, DURATION, RRULE lines) of a member, a resource or a rule set."""

    __tablename__ = "booking_availability_rules"
    __table_args__ = (Index("ix_booking_availability_rules_subject", "tenant_id", "subject_type", "subject_id"),)

    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(36))
    timezone: Mapped[str] = mapped_column(String(64))
    rrule: Mapped[str] = mapped_column(Text)
    exdates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(20), default="availability")
    note: Mapped[str | None] = mapped_column(String(200))


class Event(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """A booking. The reference serves no CRUD route for events in this version; workflows create and
    update them (UPDATE_ENTITY `booking.event.*`), and the pickers and calendars read them."""

    __tablename__ = "booking_events"

    service_id: Mapped[str | None] = mapped_column(String(36), index=True)
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column()
    timezone: Mapped[str | None] = mapped_column(String(64))
    rrule: Mapped[str | None] = mapped_column(Text)
    exdates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    requires_confirmations: Mapped[bool] = mapped_column(default=False)
    confirmation_mode: Mapped[str] = mapped_column(String(20), default="all_members")
    confirmation_deadline_at: Mapped[datetime | None] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column()
    # Who and what the event books: [{"memberId", "roleId"?}], [{"resourceId", "qty"}].
    members: Mapped[list[Any]] = mapped_column(JSON, default=list)
    resources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)


class EventResource(IdMixin, ScopedMixin, Base):
    """Which resources an event books: the calendar of a resource reads this index."""

    __tablename__ = "booking_event_resources"
    __table_args__ = (UniqueConstraint("event_id", "resource_id"),)

    event_id: Mapped[str] = mapped_column(String(36), index=True)
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    qty: Mapped[int] = mapped_column(Integer, default=1)


class EventMember(IdMixin, ScopedMixin, Base):
    """Which team members an event books (for their calendars and feeds)."""

    __tablename__ = "booking_event_members"
    __table_args__ = (UniqueConstraint("event_id", "member_id"),)

    event_id: Mapped[str] = mapped_column(String(36), index=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    role_id: Mapped[str | None] = mapped_column(String(36))


class EventAttendee(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "booking_event_attendees"

    event_id: Mapped[str] = mapped_column(String(36), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(64))
    address_line1: Mapped[str | None] = mapped_column(String(300))
    address_line2: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(64))
    attendee_type: Mapped[str | None] = mapped_column(String(64))
    external_ref: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)


class FeedToken(IdMixin, ScopedMixin, Base):
    """The iCalendar feed of a member or a resource: only the token's SHA-256 is kept; rotating it
    replaces the row, so the old link stops working at once."""

    __tablename__ = "booking_feed_tokens"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id"),)

    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(36))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column()
