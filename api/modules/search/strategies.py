"""The three search strategies over the query index, and how their rankings merge (reciprocal rank fusion)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.modules.query_index import fulltext
from api.modules.query_index.models import IndexEntry, SearchToken
from api.modules.query_index.text import token_hash, words
from api.modules.search import config, embeddings

NAMES = {"fulltext": ("Full-text search (database)", 30), "vector": ("Vector search", 20),
         "tokens": ("Token search", 10)}
RRF_K = 60
# Vector search compares the query with at most this many stored vectors of the tenant.
VECTOR_SCAN_LIMIT = 20000


@dataclass
class Result:
    entity_id: str
    record_id: str
    score: float
    source: str
    sources: set[str] = field(default_factory=set)
    # The record's index entry when the strategy read it with the hit (saves the presenter lookup).
    entry: Any = None


@dataclass(frozen=True)
class Scope:
    tenant_id: str
    orgs: Sequence[str] | None
    entity_types: Sequence[str] | None
    limit: int


async def tokens(session: AsyncSession, query: str, scope: Scope) -> list[Result]:
    hashes = sorted({token_hash(w) for w in words(query)})
    if not hashes:
        return []
    # Half of the query's words must match, as in the reference platform's token search.
    needed = max(1, math.ceil(len(hashes) * 0.5))
    matches = func.count(func.distinct(SearchToken.token_hash))
    stmt = (select(SearchToken.entity_type, SearchToken.record_id, matches)
            .where(SearchToken.tenant_id == scope.tenant_id, SearchToken.token_hash.in_(hashes))
            .group_by(SearchToken.entity_type, SearchToken.record_id).having(matches >= needed)
            .order_by(matches.desc()).limit(scope.limit))
    if scope.entity_types:
        stmt = stmt.where(SearchToken.entity_type.in_(scope.entity_types))
    if scope.orgs is not None:
        stmt = stmt.where(SearchToken.organization_id.is_(None) | SearchToken.organization_id.in_(scope.orgs))
    rows = (await session.execute(stmt)).all()
    return [Result(r[0], r[1], round(int(r[2]) / len(hashes), 6), "tokens") for r in rows]


async def full_text(session: AsyncSession, query: str, scope: Scope) -> list[Result]:
    hits = await fulltext.search(session, query, tenant_id=scope.tenant_id, entity_types=scope.entity_types,
                                 orgs=scope.orgs, limit=scope.limit)
    return [Result(h.entity_type, h.record_id, h.score, "fulltext", entry=h.entry) for h in hits]


async def vector_available(session: AsyncSession, tenant_id: str) -> bool:
    try:
        embeddings.provider_for(await config.embedding_config(session, tenant_id))
    except embeddings.NotConfigured:
        return False
    return True


async def vector(session: AsyncSession, query: str, scope: Scope) -> list[Result]:
    cfg = await config.embedding_config(session, scope.tenant_id)
    try:
        provider = embeddings.provider_for(cfg)
    except embeddings.NotConfigured:
        return []
    assert cfg is not None
    [probe] = await provider.embed([query], query=True)
    stmt = (select(IndexEntry.entity_type, IndexEntry.record_id, IndexEntry.embedding)
            .where(IndexEntry.tenant_id == scope.tenant_id, IndexEntry.embedding_model == embeddings.model_key(cfg))
            .limit(VECTOR_SCAN_LIMIT))
    if scope.entity_types:
        stmt = stmt.where(IndexEntry.entity_type.in_(scope.entity_types))
    if scope.orgs is not None:
        stmt = stmt.where(IndexEntry.organization_id.is_(None) | IndexEntry.organization_id.in_(scope.orgs))
    scored = [Result(r[0], r[1], round(embeddings.cosine(probe, r[2]), 6), "vector")
              for r in (await session.execute(stmt)).all() if isinstance(r[2], list)]
    scored.sort(key=lambda r: r.score, reverse=True)
    return [r for r in scored[:scope.limit] if r.score > 0]


RUNNERS = {"fulltext": full_text, "vector": vector, "tokens": tokens}


def merge(lists: list[list[Result]]) -> list[Result]:
    """Reciprocal rank fusion: a record found by several strategies, or high in one, comes first."""
    merged: dict[tuple[str, str], Result] = {}
    best: dict[tuple[str, str], float] = {}
    for results in lists:
        for rank, r in enumerate(results):
            key = (r.entity_id, r.record_id)
            contribution = 1.0 / (RRF_K + rank + 1)
            if key not in merged:
                merged[key] = Result(r.entity_id, r.record_id, 0.0, r.source, set())
                best[key] = 0.0
            m = merged[key]
            m.entry = m.entry or r.entry
            m.score += contribution
            m.sources.add(r.source)
            if contribution > best[key]:
                best[key], m.source = contribution, r.source
    return sorted(merged.values(), key=lambda r: (-r.score, r.entity_id, r.record_id))


async def presenters(session: AsyncSession, tenant_id: str, results: list[Result]) -> dict[tuple[str, str], Any]:
    """The index entries of `results` (the caller's tenant's only): those a strategy read with its hits, the
    others looked up by (entity type, record id), which the unique index answers."""
    by_type: dict[str, list[str]] = {}
    found: dict[tuple[str, str], Any] = {}
    for r in results:
        if r.entry is not None and r.entry.tenant_id == tenant_id:
            found[(r.entity_id, r.record_id)] = r.entry
        else:
            by_type.setdefault(r.entity_id, []).append(r.record_id)
    for entity_type, ids in by_type.items():
        # The tenant is checked on the rows found: as a condition it would lead the planner to the
        # (tenant, entity type) index and a scan of the tenant's whole index.
        rows = (await session.execute(select(
            IndexEntry.entity_type, IndexEntry.record_id, IndexEntry.tenant_id, IndexEntry.organization_id,
            IndexEntry.title, IndexEntry.subtitle, IndexEntry.url).where(
            IndexEntry.entity_type == entity_type, IndexEntry.record_id.in_(ids)))).all()
        found.update({(e.entity_type, e.record_id): e for e in rows if e.tenant_id == tenant_id})
    return found
