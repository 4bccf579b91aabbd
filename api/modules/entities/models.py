"""Custom entities (record types a tenant defines) and their records. A record's values are custom
fields of its entity id, stored by the kit (`api.crud.custom_fields`), so records filter, sort,
export and encrypt like any collection's custom fields; the record row holds only identity, scope
and timestamps."""

from __future__ import annotations

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, CustomValuesMixin, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin


class CustomEntity(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    """A user-defined record type (`user:vendor`); a null tenant is global."""

    __tablename__ = "custom_entities"
    __table_args__ = (Index("ix_custom_entities_scope", "tenant_id", "entity_id"),)

    entity_id: Mapped[str] = mapped_column(String(150))
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    label_field: Mapped[str | None] = mapped_column(String(100), default=None)
    default_editor: Mapped[str | None] = mapped_column(String(32), default=None)
    show_in_sidebar: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))


class CustomEntityRecord(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "custom_entity_records"
    __table_args__ = (Index("ix_custom_entity_records_entity", "tenant_id", "entity_id"),)

    entity_id: Mapped[str] = mapped_column(String(150))
