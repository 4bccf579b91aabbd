"""Attachments and the storage partitions they live in. Bytes are kept by a storage driver under keys
made of ids (`storage.py`); these rows hold what the API shows and where the bytes are."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, ScopedMixin, TimestampMixin


class AttachmentPartition(IdMixin, TimestampMixin, Base):
    """A named storage area of one tenant: its driver, and whether its files are public (served to
    anonymous callers, cached by shared caches)."""

    __tablename__ = "attachment_partitions"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_attachment_partitions_tenant_code"),)

    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    storage_driver: Mapped[str] = mapped_column(String(32), default="local")
    config_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    is_public: Mapped[bool] = mapped_column(default=False)
    requires_ocr: Mapped[bool] = mapped_column(default=False)
    ocr_model: Mapped[str | None] = mapped_column(String(50))


class Attachment(IdMixin, TimestampMixin, ScopedMixin, Base):
    """One uploaded file attached to a record (`entity_id` names the record's kind, `module:entity`)."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_entity_record", "entity_id", "record_id"),)

    entity_id: Mapped[str] = mapped_column(String(200))
    record_id: Mapped[str] = mapped_column(String(200))
    partition_code: Mapped[str] = mapped_column(String(60), index=True)
    # The client's file name, reduced to [A-Za-z0-9._-]: shown and offered on download, never a path.
    file_name: Mapped[str] = mapped_column(String(255))
    # Sniffed from the bytes on upload, not taken from the client.
    mime_type: Mapped[str] = mapped_column(String(200))
    file_size: Mapped[int] = mapped_column(Integer)
    storage_driver: Mapped[str] = mapped_column(String(32), default="local")
    # The driver's key: `<partition>/<tenant>/<organization>/<attachment id>`, ids only.
    storage_path: Mapped[str] = mapped_column(String(500))
    storage_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    url: Mapped[str] = mapped_column(String(500))
    # Text extracted from text files of partitions that ask for it (OCR in the reference platform).
    content: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    # Records this file belongs to: `[{type, id, href?, label?}]`.
    assignments: Mapped[list[Any]] = mapped_column(default=list)
