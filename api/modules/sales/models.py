"""Sales' first table: the channels products are offered on (a web shop, a marketplace, a store).
The rest of sales (orders, quotes, lines) comes later in this package."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin


class SalesChannel(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "sales_channels"

    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(150), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    status_entry_id: Mapped[str | None] = mapped_column(String(36))
    is_active: Mapped[bool] = mapped_column(default=True)
