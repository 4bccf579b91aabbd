"""Charge codes: the dictionary of freight charge types (freight, bunker adjustment, bill of lading...)
that quotes and products price."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin

# Live rows only: a deleted code may be created again.
_LIVE = text("deleted_at IS NULL")

CHARGE_UNITS = ("per_container", "per_piece", "one_time")


class FmsChargeCode(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "fms_charge_codes"
    __table_args__ = (
        # Imports upsert by code, and quotes name a charge by it: one live row per code and organization.
        Index("uq_fms_charge_codes_org_code", "tenant_id", "organization_id", "code", unique=True,
              sqlite_where=_LIVE, postgresql_where=_LIVE),
    )

    code: Mapped[str] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    charge_unit: Mapped[str] = mapped_column(String(20))
    # The type-specific fields a product of this charge carries: `{key: {type, required, label, ...}}`.
    field_schema: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"), default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    updated_by: Mapped[str | None] = mapped_column(String(36), default=None)
