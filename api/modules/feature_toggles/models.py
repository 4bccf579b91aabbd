from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, SoftDeleteMixin, TimestampMixin


class FeatureToggle(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    """A platform-wide toggle (no tenant): its type and the value every tenant gets by default."""

    __tablename__ = "feature_toggles"

    identifier: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(200), index=True)
    # boolean | string | number | json
    type: Mapped[str] = mapped_column(String(16))
    default_value: Mapped[Any] = mapped_column(JSON, nullable=True)


class FeatureToggleOverride(IdMixin, TimestampMixin, Base):
    """A tenant's own value of a toggle, in place of the default."""

    __tablename__ = "feature_toggle_overrides"
    __table_args__ = (UniqueConstraint("toggle_id", "tenant_id", name="uq_feature_toggle_overrides_toggle_tenant"),)

    toggle_id: Mapped[str] = mapped_column(ForeignKey("feature_toggles.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
