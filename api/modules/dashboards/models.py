"""Dashboards: each user's widget layout, and which widgets a role or a user may place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, TimestampMixin


class DashboardLayout(IdMixin, TimestampMixin, Base):
    """A user's dashboard in one tenant and organization: `[{id, widgetId, order, priority, size, settings}]`."""

    __tablename__ = "dashboard_layouts"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id", "organization_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    layout_json: Mapped[list[Any]] = mapped_column(default=list)


class DashboardRoleWidgets(IdMixin, TimestampMixin, Base):
    """The widgets a role's members may place, for a tenant or one of its organizations (a null
    organization applies to all of them; the most specific row wins)."""

    __tablename__ = "dashboard_role_widgets"
    __table_args__ = (UniqueConstraint("role_id", "tenant_id", "organization_id"),)

    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)
    organization_id: Mapped[str | None] = mapped_column(String(36))
    widget_ids_json: Mapped[list[Any]] = mapped_column(default=list)


class DashboardUserWidgets(IdMixin, TimestampMixin, Base):
    """A user's own widget list, replacing what the user's roles allow (`mode: override`)."""

    __tablename__ = "dashboard_user_widgets"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id", "organization_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)
    organization_id: Mapped[str | None] = mapped_column(String(36))
    mode: Mapped[str] = mapped_column(String(16), default="override")
    widget_ids_json: Mapped[list[Any]] = mapped_column(default=list)
