"""Ports and terminals: one table, told apart by `type`, so a terminal's port is a row of the same table
and the combined list (`/fms_locations/locations`) is one query."""

from __future__ import annotations

from sqlalchemy import Float, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin

# Live rows only: a deleted location's code may be used again.
_LIVE = text("deleted_at IS NULL")

PORT = "port"
TERMINAL = "terminal"
TYPES = (PORT, TERMINAL)


class FmsLocation(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "fms_locations"
    __table_args__ = (
        # A code names one location of an organization whatever its type: imports upsert by it, and
        # a terminal's `port_code` must resolve to exactly one row. The index holds it under concurrent writes.
        Index("uq_fms_locations_org_code", "tenant_id", "organization_id", "code", unique=True,
              sqlite_where=_LIVE, postgresql_where=_LIVE),
        Index("ix_fms_locations_scope_type", "tenant_id", "organization_id", "type"),
    )

    type: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(255))
    locode: Mapped[str | None] = mapped_column(String(10), default=None)
    # The port a terminal belongs to (a row of this table). No foreign key: rows are only ever
    # soft-deleted, and the hooks check the port is a live port of the same organization.
    port_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lng: Mapped[float | None] = mapped_column(Float, default=None)
    city: Mapped[str | None] = mapped_column(String(255), default=None)
    country: Mapped[str | None] = mapped_column(String(100), default=None)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    updated_by: Mapped[str | None] = mapped_column(String(36), default=None)
