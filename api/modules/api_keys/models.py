from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin


class ApiKey(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """Only the sha256 of the secret is stored; the secret itself is shown once, on create."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16), index=True)
    roles_json: Mapped[list[Any] | None] = mapped_column(default=None)
    created_by: Mapped[str | None] = mapped_column(String(36))
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
