"""The query index: one document per indexed record (its searchable text, presenter and embedding), the
hashed search tokens, index jobs and the indexer's error and status logs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, utcnow

# PostgreSQL keeps the full-text vector beside the document (GIN-indexed); SQLite keeps its FTS5 index in a
# side file (api/modules/query_index/fulltext.py), so the column stays empty there.
TSV = TSVECTOR().with_variant(Text(), "sqlite")
_JSON = JSON(none_as_null=True)


class IndexEntry(IdMixin, Base):
    __tablename__ = "query_index_entries"
    __table_args__ = (
        UniqueConstraint("entity_type", "record_id", name="query_index_entries_entity_record_unique"),
        Index("query_index_entries_tenant_entity_idx", "tenant_id", "entity_type"),
        Index("query_index_entries_tsv_idx", "search_tsv", postgresql_using="gin"),
    )

    entity_type: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[str] = mapped_column(String(36))
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(500), default="")
    subtitle: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(500))
    # The plain text of the record's non-sensitive fields (what full-text search matches).
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_tsv: Mapped[Any] = mapped_column(TSV, nullable=True, default=None)
    # The record's indexed fields (sensitive ones left out) and a checksum of everything indexed.
    doc: Mapped[dict[str, Any]] = mapped_column(default=dict)
    checksum: Mapped[str] = mapped_column(String(64), default="")
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow)
    embedding: Mapped[Any] = mapped_column(_JSON, nullable=True, default=None)
    embedding_model: Mapped[str | None] = mapped_column(String(200))
    vectorized_at: Mapped[datetime | None] = mapped_column(default=None)


class SearchToken(Base):
    """A keyed hash of one token (or token prefix) of one field: search works without plain text, so
    encrypted fields are searchable too."""

    __tablename__ = "query_index_tokens"
    __table_args__ = (
        Index("query_index_tokens_lookup_idx", "tenant_id", "token_hash"),
        Index("query_index_tokens_record_idx", "entity_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity_type: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[str] = mapped_column(String(36))
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64))


class IndexJob(IdMixin, Base):
    """One reindex, purge or vectorize run (a Temporal workflow): progress, heartbeat and outcome."""

    __tablename__ = "query_index_jobs"
    __table_args__ = (Index("query_index_jobs_scope_idx", "tenant_id", "source", "started_at"),)

    kind: Mapped[str] = mapped_column(String(20))  # reindex | purge | vectorize
    source: Mapped[str] = mapped_column(String(20))  # query_index | fulltext | vector
    entity_type: Mapped[str | None] = mapped_column(String(100))  # None: every searchable entity
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    processed_count: Mapped[int] = mapped_column(Integer, default=0)
    total_count: Mapped[int | None] = mapped_column(Integer, default=None)
    workflow_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class IndexerErrorLog(IdMixin, Base):
    __tablename__ = "query_index_error_logs"
    __table_args__ = (Index("query_index_error_logs_tenant_idx", "tenant_id", "occurred_at"),)

    source: Mapped[str] = mapped_column(String(50))
    handler: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[str | None] = mapped_column(String(100))
    record_id: Mapped[str | None] = mapped_column(String(36))
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    message: Mapped[str] = mapped_column(Text)
    stack: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[Any] = mapped_column(_JSON, nullable=True, default=None)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class IndexerStatusLog(IdMixin, Base):
    __tablename__ = "query_index_status_logs"
    __table_args__ = (Index("query_index_status_logs_tenant_idx", "tenant_id", "occurred_at"),)

    source: Mapped[str] = mapped_column(String(50))
    handler: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10), default="info")
    entity_type: Mapped[str | None] = mapped_column(String(100))
    record_id: Mapped[str | None] = mapped_column(String(36))
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[Any] = mapped_column(_JSON, nullable=True, default=None)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
