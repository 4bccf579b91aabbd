from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin


class Dictionary(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """A named list of values an organization keeps (order statuses, adjustment kinds, ...)."""

    __tablename__ = "dictionaries"

    key: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    is_system: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    # "default" or "hidden": whether the dictionaries manager lists it (system ones are hidden).
    manager_visibility: Mapped[str] = mapped_column(String(16), default="default")


class DictionaryEntry(IdMixin, TimestampMixin, ScopedMixin, Base):
    """One value of a dictionary. `normalized_value` (trimmed, lower-cased) is unique per dictionary,
    so "Draft" and " draft" are the same entry."""

    __tablename__ = "dictionary_entries"
    __table_args__ = (UniqueConstraint("dictionary_id", "normalized_value",
                                       name="uq_dictionary_entries_dictionary_value"),)

    dictionary_id: Mapped[str] = mapped_column(ForeignKey("dictionaries.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(150))
    normalized_value: Mapped[str] = mapped_column(String(150))
    label: Mapped[str] = mapped_column(String(150))
    color: Mapped[str | None] = mapped_column(String(7))
    icon: Mapped[str | None] = mapped_column(String(64))
