from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, ScopedMixin, TimestampMixin


class ActionLog(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "action_logs"

    actor_user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    command_id: Mapped[str] = mapped_column(String(200))
    action_label: Mapped[str | None] = mapped_column(String(200))
    resource_kind: Mapped[str | None] = mapped_column(String(200), index=True)
    resource_id: Mapped[str | None] = mapped_column(String(36), index=True)
    execution_state: Mapped[str] = mapped_column(String(16), default="done")
    undo_token: Mapped[str | None] = mapped_column(String(64), index=True)
    command_payload: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    snapshot_before: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    snapshot_after: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    changes_json: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    context_json: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class AccessLog(IdMixin, TimestampMixin, ScopedMixin, Base):
    __tablename__ = "access_logs"

    actor_user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    resource_kind: Mapped[str] = mapped_column(String(200), index=True)
    resource_id: Mapped[str] = mapped_column(String(36))
    access_type: Mapped[str] = mapped_column(String(32))
    fields_json: Mapped[list[Any] | None] = mapped_column(default=None)
    context_json: Mapped[dict[str, Any] | None] = mapped_column(default=None)
