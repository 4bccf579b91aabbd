"""Shipments tables: the shipment itself, its containers, its documents (uploaded files kept as
attachments) and its tasks.

Shipments are deleted for good (the reference keeps no soft delete on them); their containers,
documents and tasks go with them. Other modules' rows (customer entities, users, attachments) are
referenced by id only, never by a foreign key: modules are built and migrated independently."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, ScopedMixin, TimestampMixin

Measure = Numeric(18, 4)

SHIPMENT_STATUSES = ("ORDERED", "BOOKED", "LOADING", "DEPARTED", "TRANSSHIPMENT", "PRE_ARRIVAL", "IN_PORT",
                     "DELIVERED")
CONTAINER_TYPES = ("20GP", "40GP", "40HC", "45HC", "20RF", "40RF", "20OT", "40OT")
CONTAINER_STATUSES = ("EMPTY", "STUFFED", "GATE_IN", "LOADED", "IN_TRANSIT", "DISCHARGED", "GATE_OUT", "DELIVERED",
                      "RETURNED")
MODES = ("AIR", "RAIL", "SEA", "MIXED")
INCOTERMS = ("EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF")
TASK_STATUSES = ("TODO", "IN_PROGRESS", "DONE")


class Shipment(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipments_scope_created", "tenant_id", "organization_id", "created_at"),)

    # Parties: customer entities (the CRM) and users, by id.
    client_id: Mapped[str | None] = mapped_column(String(36), index=True)
    shipper_id: Mapped[str | None] = mapped_column(String(36))
    consignee_id: Mapped[str | None] = mapped_column(String(36))
    contact_person_id: Mapped[str | None] = mapped_column(String(36))
    created_by_id: Mapped[str | None] = mapped_column(String(36))
    assigned_to_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # References.
    container_number: Mapped[str | None] = mapped_column(String(20))
    internal_reference: Mapped[str | None] = mapped_column(String(255))
    client_reference: Mapped[str | None] = mapped_column(String(255))
    booking_number: Mapped[str | None] = mapped_column(String(255))
    bol_number: Mapped[str | None] = mapped_column(String(255))
    carrier: Mapped[str | None] = mapped_column(String(255))
    # Route.
    origin_port: Mapped[str | None] = mapped_column(String(255))
    origin_location: Mapped[str | None] = mapped_column(String(255))
    destination_port: Mapped[str | None] = mapped_column(String(255))
    destination_location: Mapped[str | None] = mapped_column(String(255))
    # Dates: estimated and actual departure and arrival, and when the client asked.
    etd: Mapped[datetime | None] = mapped_column(default=None)
    atd: Mapped[datetime | None] = mapped_column(default=None)
    eta: Mapped[datetime | None] = mapped_column(default=None)
    ata: Mapped[datetime | None] = mapped_column(default=None)
    request_date: Mapped[datetime | None] = mapped_column(default=None)
    # Cargo.
    weight: Mapped[Decimal | None] = mapped_column(Measure)
    volume: Mapped[Decimal | None] = mapped_column(Measure)
    container_type: Mapped[str | None] = mapped_column(String(8))
    total_pieces: Mapped[int | None] = mapped_column(Integer)
    total_actual_weight: Mapped[Decimal | None] = mapped_column(Measure)
    total_chargeable_weight: Mapped[Decimal | None] = mapped_column(Measure)
    total_volume: Mapped[Decimal | None] = mapped_column(Measure)
    actual_weight_per_kilo: Mapped[Decimal | None] = mapped_column(Measure)
    amount: Mapped[Decimal | None] = mapped_column(Measure)
    # Vessel and terms.
    mode: Mapped[str | None] = mapped_column(String(8))
    vessel_name: Mapped[str | None] = mapped_column(String(255))
    vessel_imo: Mapped[str | None] = mapped_column(String(20))
    voyage_number: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="BOOKED", server_default="BOOKED")
    incoterms: Mapped[str | None] = mapped_column(String(3))


class ShipmentContainer(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "shipment_containers"

    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    container_number: Mapped[str | None] = mapped_column(String(20))
    container_type: Mapped[str | None] = mapped_column(String(8))
    cargo_description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(16))
    current_location: Mapped[str | None] = mapped_column(String(255))
    gate_in_date: Mapped[datetime | None] = mapped_column(default=None)
    loaded_on_vessel_date: Mapped[datetime | None] = mapped_column(default=None)
    discharged_date: Mapped[datetime | None] = mapped_column(default=None)
    gate_out_date: Mapped[datetime | None] = mapped_column(default=None)
    empty_return_date: Mapped[datetime | None] = mapped_column(default=None)


class ShipmentDocument(IdMixin, TimestampMixin, ScopedMixin, Base):
    """An uploaded file of a shipment: the bytes and their metadata live in the attachments module;
    `extracted_data` holds what processing read from the file (none runs here yet, so it stays null)."""

    __tablename__ = "shipment_documents"

    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    attachment_id: Mapped[str] = mapped_column(String(36))
    extracted_data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


class ShipmentTask(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "shipment_tasks"

    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="TODO", server_default="TODO")
    assigned_to_id: Mapped[str | None] = mapped_column(String(36))
