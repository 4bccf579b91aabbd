"""Freighttech container tracking: each organization's API settings, and the container milestones
Freighttech pushes to the webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, ScopedMixin, TimestampMixin, utcnow

_JSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class FreighttechSettings(IdMixin, TimestampMixin, ScopedMixin, Base):
    """One row per organization. The API key is stored encrypted under the tenant's data key
    (`api.crud.encryption`), never in clear."""

    __tablename__ = "fms_tracking_freighttech_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "organization_id", name="uq_fms_tracking_settings_org"),)

    api_key: Mapped[str] = mapped_column(Text, default="")
    api_base_url: Mapped[str] = mapped_column(String(255), default="")
    # Signed into the organization's webhook token and checked on every delivery: a new nonce revokes
    # the token Freighttech holds without touching any other secret.
    webhook_nonce: Mapped[str] = mapped_column(String(64), default="")


class TrackingMilestone(IdMixin, ScopedMixin, Base):
    """One milestone of a tracked container, as the latest delivery described it. Freighttech sends a
    reference's whole milestone list on every update, so a milestone is keyed by its reference and its
    own id and later deliveries update it in place (a planned arrival becoming an actual one)."""

    __tablename__ = "fms_tracking_milestones"
    __table_args__ = (
        UniqueConstraint("tenant_id", "organization_id", "reference_id", "milestone_id",
                         name="uq_fms_tracking_milestones_ref"),
        Index("ix_fms_tracking_milestones_container", "tenant_id", "organization_id", "container_id"),
    )

    reference_id: Mapped[str] = mapped_column(String(100))
    milestone_id: Mapped[str] = mapped_column(String(100))
    container_id: Mapped[str | None] = mapped_column(String(50), default=None)
    carrier_scac: Mapped[str | None] = mapped_column(String(20), default=None)
    bill_of_lading: Mapped[str | None] = mapped_column(String(100), default=None)
    # The reference's status when this milestone was last delivered.
    status: Mapped[str | None] = mapped_column(String(50), default=None)
    # When it happened (or is planned), as Freighttech sent it (ISO-8601 text: its zone is kept).
    occurred_at: Mapped[str | None] = mapped_column(String(40), default=None)
    event_type: Mapped[str | None] = mapped_column(String(100), default=None)
    event_classifier: Mapped[str | None] = mapped_column(String(50), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    location_name: Mapped[str | None] = mapped_column(String(255), default=None)
    unlocode: Mapped[str | None] = mapped_column(String(10), default=None)
    vessel: Mapped[str | None] = mapped_column(String(255), default=None)
    voyage: Mapped[str | None] = mapped_column(String(100), default=None)
    planned: Mapped[bool] = mapped_column(default=False)
    # The milestone as delivered, for what the columns above leave out.
    data: Mapped[dict[str, Any] | None] = mapped_column(_JSON, default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrackingReference(IdMixin, TimestampMixin, ScopedMixin, Base):
    """A container or booking the organization asked Freighttech to track, and how that went: `pending`
    until Freighttech answers, then `registered` (with Freighttech's reference id, which its deliveries
    name) or `failed` (with why). One per organization, carrier and booking or container number (`key`), so
    saving the same shipment again does not register it twice."""

    __tablename__ = "fms_tracking_references"
    __table_args__ = (UniqueConstraint("tenant_id", "organization_id", "key", name="uq_fms_tracking_references_key"),)

    key: Mapped[str] = mapped_column(String(400))
    carrier_code: Mapped[str] = mapped_column(String(100))
    booking_number: Mapped[str | None] = mapped_column(String(255), default=None)
    container_id: Mapped[str | None] = mapped_column(String(50), default=None)
    # The shipment that asked for it, when a shipment did.
    shipment_id: Mapped[str | None] = mapped_column(String(36), default=None)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reference_id: Mapped[str | None] = mapped_column(String(100), default=None)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(default=0)
