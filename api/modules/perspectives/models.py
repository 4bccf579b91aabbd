"""Saved table views: a user's own perspectives and the ones a role gives its members by default."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, SoftDeleteMixin, TimestampMixin


class Perspective(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    """One user's saved view of one table, in the tenant and organization the user signed in to.
    Names are unique per user and table among live rows; the service keeps them so (a unique constraint
    would also count soft-deleted rows)."""

    __tablename__ = "perspectives"
    __table_args__ = (Index("ix_perspectives_user_table", "user_id", "table_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    table_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(120))
    settings_json: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_default: Mapped[bool] = mapped_column(default=False)


class RolePerspective(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    """A view a role offers its members for one table; `is_default` marks the one they start with."""

    __tablename__ = "role_perspectives"
    __table_args__ = (Index("ix_role_perspectives_role_table", "role_id", "table_id"),)

    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)
    organization_id: Mapped[str | None] = mapped_column(String(36))
    table_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(120))
    settings_json: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_default: Mapped[bool] = mapped_column(default=False)
