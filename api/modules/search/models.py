"""Search settings per tenant (global-search strategies, the embedding provider, auto-indexing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, utcnow


class SearchSetting(IdMixin, Base):
    __tablename__ = "search_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "key", name="search_settings_tenant_key_unique"),)

    tenant_id: Mapped[str] = mapped_column(String(36))
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
