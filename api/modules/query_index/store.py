"""Writes to the index: documents, their token hashes and their full-text entries, kept together; the
indexer's logs; the searchable record types the manifests declare."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import manifest
from api.db import new_id, utcnow
from api.errors import BadRequest
from api.manifest import Searchable
from api.modules.query_index import fulltext
from api.modules.query_index.models import IndexEntry, IndexerErrorLog, IndexerStatusLog, SearchToken
from api.modules.query_index.text import Document, build, token_hash


def searchables() -> dict[str, Searchable]:
    return {s.entity: s for s in manifest.searchables()}


def searchable(entity_type: str) -> Searchable:
    found = searchables().get(entity_type)
    if found is None:
        raise BadRequest(f"Unknown entity type: {entity_type}")
    return found


def base_query(s: Searchable, tenant_id: str) -> Any:
    """The live rows of `s` in one tenant, the ones the index should hold."""
    model: Any = s.model
    stmt = select(model).where(model.tenant_id == tenant_id)
    if hasattr(model, "deleted_at"):
        stmt = stmt.where(model.deleted_at.is_(None))
    return stmt


async def base_count(session: AsyncSession, s: Searchable, tenant_id: str, orgs: Sequence[str] | None) -> int:
    model: Any = s.model
    stmt = select(func.count()).select_from(base_query(s, tenant_id).subquery())
    if orgs is not None:
        stmt = select(func.count()).select_from(
            base_query(s, tenant_id).where(model.organization_id.in_(orgs)).subquery())
    return int((await session.execute(stmt)).scalar_one())


async def upsert(session: AsyncSession, docs: Sequence[Document], *, replace_tokens: bool = True) -> None:
    """Index `docs`, replacing what the index held for the same records."""
    if not docs:
        return
    keys = [(d.entity_type, d.record_id) for d in docs]
    await _drop_rows(session, keys)
    postgres = fulltext.dialect(session) == "postgresql"
    now = utcnow()
    rows = []
    for d in docs:
        row: dict[str, Any] = {
            "id": new_id(), "entity_type": d.entity_type, "record_id": d.record_id, "tenant_id": d.tenant_id,
            "organization_id": d.organization_id, "title": d.title, "subtitle": d.subtitle, "url": d.url,
            "search_text": d.text, "doc": d.doc, "checksum": d.checksum, "indexed_at": now,
        }
        rows.append(row)
    await session.execute(insert(IndexEntry), rows)
    if postgres:
        # One statement for the batch: the vector is computed by the database from the normalized text.
        await session.execute(
            IndexEntry.__table__.update()  # type: ignore[attr-defined]
            .where(IndexEntry.id.in_([r["id"] for r in rows]))
            .values(search_tsv=func.to_tsvector(literal_column("'simple'"),
                                                IndexEntry.title + literal_column("' '") + IndexEntry.search_text)))
    tokens = [{"entity_type": d.entity_type, "record_id": d.record_id, "tenant_id": d.tenant_id,
               "organization_id": d.organization_id, "field": field, "token_hash": token_hash(t)}
              for d in docs for field, values in d.tokens.items() for t in sorted(values)]
    if tokens:
        await session.execute(insert(SearchToken), tokens)
    await fulltext.write(session, docs)


async def _drop_rows(session: AsyncSession, keys: Sequence[tuple[str, str]]) -> None:
    by_type: dict[str, list[str]] = {}
    for entity_type, record_id in keys:
        by_type.setdefault(entity_type, []).append(record_id)
    for entity_type, ids in by_type.items():
        await session.execute(delete(IndexEntry).where(IndexEntry.entity_type == entity_type,
                                                       IndexEntry.record_id.in_(ids)))
        await session.execute(delete(SearchToken).where(SearchToken.entity_type == entity_type,
                                                        SearchToken.record_id.in_(ids)))


async def remove(session: AsyncSession, entity_type: str, record_id: str) -> None:
    await _drop_rows(session, [(entity_type, record_id)])
    await fulltext.write(session, [], [(entity_type, record_id)])


async def index_record(session: AsyncSession, s: Searchable, record_id: str) -> Document | None:
    """Bring one record's index entry up to date: indexed when live, removed when gone or deleted."""
    model: Any = s.model
    row = (await session.execute(select(model).where(model.id == record_id))).scalars().first()
    if row is None or getattr(row, "deleted_at", None) is not None:
        await remove(session, s.entity, record_id)
        return None
    doc = build(s, row)
    await upsert(session, [doc])
    return doc


async def purge(session: AsyncSession, *, tenant_id: str, entity_types: Sequence[str] | None,
                orgs: Sequence[str] | None = None) -> int:
    """Remove the tenant's entries (of `entity_types`, within `orgs`); returns how many."""
    conds: list[Any] = [IndexEntry.tenant_id == tenant_id]
    token_conds: list[Any] = [SearchToken.tenant_id == tenant_id]
    if entity_types is not None:
        conds.append(IndexEntry.entity_type.in_(entity_types))
        token_conds.append(SearchToken.entity_type.in_(entity_types))
    if orgs is not None:
        conds.append(IndexEntry.organization_id.in_(orgs))
        token_conds.append(SearchToken.organization_id.in_(orgs))
    count = int((await session.execute(select(func.count()).select_from(IndexEntry).where(*conds))).scalar_one())
    await session.execute(delete(IndexEntry).where(*conds))
    await session.execute(delete(SearchToken).where(*token_conds))
    await fulltext.purge(session, tenant_id, entity_types, orgs)
    return count


async def log_status(session: AsyncSession, *, source: str, handler: str, message: str, tenant_id: str | None,
                     organization_id: str | None = None, entity_type: str | None = None, level: str = "info",
                     details: Any = None) -> None:
    session.add(IndexerStatusLog(source=source, handler=handler, message=message, tenant_id=tenant_id,
                                 organization_id=organization_id, entity_type=entity_type, level=level,
                                 details=details))


async def log_error(session: AsyncSession, *, source: str, handler: str, error: BaseException | str,
                    tenant_id: str | None, organization_id: str | None = None, entity_type: str | None = None,
                    record_id: str | None = None, payload: Any = None) -> None:
    session.add(IndexerErrorLog(source=source, handler=handler, message=str(error)[:4000], tenant_id=tenant_id,
                                organization_id=organization_id, entity_type=entity_type, record_id=record_id,
                                stack=type(error).__name__ if isinstance(error, BaseException) else None,
                                payload=payload))
