from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, SoftDeleteMixin, TimestampMixin


class Tenant(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "tenants"

    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)


class Organization(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    """A node of the tenant's organization tree; the tree columns are recomputed on every write."""

    __tablename__ = "organizations"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    parent_id: Mapped[str | None] = mapped_column(String(36), index=True)
    root_id: Mapped[str | None] = mapped_column(String(36))
    tree_path: Mapped[str | None] = mapped_column(Text)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    ancestor_ids: Mapped[list[Any]] = mapped_column(default=list)
    child_ids: Mapped[list[Any]] = mapped_column(default=list)
    descendant_ids: Mapped[list[Any]] = mapped_column(default=list)
