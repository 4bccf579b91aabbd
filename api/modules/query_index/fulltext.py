"""Full-text search on the database itself.

PostgreSQL: `query_index_entries.search_tsv` (a `tsvector` of the normalized text, GIN-indexed), matched with
prefix `tsquery`s and ranked by `ts_rank`.

SQLite: an FTS5 index (`unicode61` tokenizer, ranked by `bm25`). FTS5 tables are virtual tables with shadow
tables of their own, which the migrations' model comparison would report as foreign; so the index lives in a
side file next to the database (`<database>.search.db`), holding only what it can rebuild from
`query_index_entries` (a reindex does). The tenant and organization filters apply to the matched postings
(a tenant token in the MATCH would make every query read the whole tenant's posting list).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.modules.query_index.models import IndexEntry
from api.modules.query_index.text import Document, words
from api.settings import get_settings


@dataclass(frozen=True)
class Entry:
    """What global search shows of a hit, from its `query_index_entries` row."""

    entity_type: str
    record_id: str
    tenant_id: str | None
    organization_id: str | None
    title: str | None
    subtitle: str | None
    url: str | None


@dataclass(frozen=True)
class Hit:
    entity_type: str
    record_id: str
    score: float
    # The hit's index entry when the search read it in the same query (None: look it up).
    entry: Entry | None = None


def dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


# --- SQLite: the FTS5 side file ---------------------------------------------------------------------------

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, entity_type TEXT NOT NULL, record_id TEXT NOT NULL,"
    " tenant_id TEXT, organization_id TEXT, UNIQUE (entity_type, record_id))",
    "CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(scope, title, body,"
    " tokenize = 'unicode61 remove_diacritics 2')",
)


def side_file() -> Path | None:
    """The FTS5 file beside the SQLite database; None on PostgreSQL."""
    url = get_settings().db_url
    if not url.startswith("sqlite"):
        return None
    path = Path(url.split(":///", 1)[1])
    return path.with_name(path.stem + ".search.db")


@cache
def _prepared(path: str) -> bool:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        for ddl in _SCHEMA:
            conn.execute(ddl)
    return True


def _connect(path: Path) -> sqlite3.Connection:
    _prepared(str(path))
    conn = sqlite3.connect(str(path), timeout=30)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


# Searches reuse one connection per worker thread and file: opening one per query (connect, pragmas, schema
# read) was a tenth of a global search's time. Writes keep their own short-lived connections.
_readers = threading.local()


def _main_file() -> str:
    return get_settings().db_url.split(":///", 1)[1]


def _reader(path: Path) -> sqlite3.Connection:
    """A search connection to the side file with the main database attached as `main_db`, so a search reads
    its hits' index entries in the same statement."""
    conns: dict[str, sqlite3.Connection] | None = getattr(_readers, "conns", None)
    if conns is None:
        conns = _readers.conns = {}
    conn = conns.get(str(path))
    if conn is None:
        conn = _connect(path)
        conn.execute("ATTACH DATABASE ? AS main_db", (_main_file(),))
        conns[str(path)] = conn
    return conn


def _scope(tenant_id: str | None) -> str:
    return "t" + (tenant_id or "none").replace("-", "")


def _write(path: Path, docs: Sequence[Document], deletes: Sequence[tuple[str, str]]) -> None:
    with _connect(path) as conn:
        for entity_type, record_id in [*deletes, *((d.entity_type, d.record_id) for d in docs)]:
            row = conn.execute("SELECT id FROM docs WHERE entity_type = ? AND record_id = ?",
                               (entity_type, record_id)).fetchone()
            if row is not None:
                conn.execute("DELETE FROM fts WHERE rowid = ?", (row[0],))
                conn.execute("DELETE FROM docs WHERE id = ?", (row[0],))
        for d in docs:
            cur = conn.execute("INSERT INTO docs (entity_type, record_id, tenant_id, organization_id) "
                               "VALUES (?, ?, ?, ?)", (d.entity_type, d.record_id, d.tenant_id, d.organization_id))
            conn.execute("INSERT INTO fts (rowid, scope, title, body) VALUES (?, ?, ?, ?)",
                         (cur.lastrowid, _scope(d.tenant_id), d.title, d.text))


def _purge(path: Path, tenant_id: str, entity_types: Iterable[str] | None, orgs: Sequence[str] | None) -> None:
    where, args = ["tenant_id = ?"], [tenant_id]
    if entity_types is not None:
        types = list(entity_types)
        where.append(f"entity_type IN ({','.join('?' * len(types))})")
        args.extend(types)
    if orgs is not None:
        where.append(f"organization_id IN ({','.join('?' * len(orgs))})")
        args.extend(orgs)
    clause = " AND ".join(where)
    with _connect(path) as conn:
        conn.execute(f"DELETE FROM fts WHERE rowid IN (SELECT id FROM docs WHERE {clause})", args)
        conn.execute(f"DELETE FROM docs WHERE {clause}", args)


def _match(query_words: list[str]) -> str:
    # Words are [a-z0-9]+ (text.words), so quoting them is enough to keep FTS5 syntax out.
    return " AND ".join(f'{{title body}} : "{w}" *' for w in query_words)


def _search(path: Path, query_words: list[str], tenant_id: str, entity_types: Sequence[str] | None,
            orgs: Sequence[str] | None, limit: int) -> list[Hit]:
    sql = ("SELECT d.entity_type, d.record_id, bm25(fts) AS rank FROM fts JOIN docs d ON d.id = fts.rowid "
           "WHERE fts MATCH ? AND d.tenant_id = ?")
    args: list[object] = [_match(query_words), tenant_id]
    if entity_types:
        sql += f" AND d.entity_type IN ({','.join('?' * len(entity_types))})"
        args.extend(entity_types)
    if orgs is not None:
        sql += f" AND (d.organization_id IS NULL OR d.organization_id IN ({','.join('?' * len(orgs))}))"
        args.extend(orgs)
    sql += " ORDER BY rank LIMIT ?"
    args.append(limit)
    # The page's index entries joined after the limit, so a common word joins 50 rows, not all its matches.
    sql = ("SELECT h.entity_type, h.record_id, h.rank, e.tenant_id, e.organization_id, e.title, e.subtitle, e.url, "
           f"e.id FROM ({sql}) h LEFT JOIN main_db.query_index_entries e ON e.entity_type = h.entity_type "
           "AND e.record_id = h.record_id ORDER BY h.rank")
    rows = _reader(path).execute(sql, args).fetchall()
    # bm25 is lower-is-better and negative; turn it into a positive, higher-is-better score.
    return [Hit(r[0], r[1], round(-float(r[2]), 6), Entry(r[0], r[1], *r[3:8]) if r[8] is not None else None)
            for r in rows]


def _count(path: Path, tenant_id: str) -> dict[str, int]:
    with _connect(path) as conn:
        rows = conn.execute("SELECT entity_type, COUNT(*) FROM docs WHERE tenant_id = ? GROUP BY entity_type",
                            (tenant_id,)).fetchall()
    return {r[0]: int(r[1]) for r in rows}


# --- The interface the store and the strategies use -------------------------------------------------------

async def write(session: AsyncSession, docs: Sequence[Document], deletes: Sequence[tuple[str, str]] = ()) -> None:
    """Index `docs` (replacing earlier versions) and drop `deletes` ((entity_type, record_id) pairs)."""
    path = side_file()
    if dialect(session) == "sqlite" and path is not None and (docs or deletes):
        await asyncio.to_thread(_write, path, docs, deletes)
    # On PostgreSQL the vector is written with the entry itself (store.upsert).


async def purge(session: AsyncSession, tenant_id: str, entity_types: Iterable[str] | None,
                orgs: Sequence[str] | None = None) -> None:
    path = side_file()
    if dialect(session) == "sqlite" and path is not None:
        await asyncio.to_thread(_purge, path, tenant_id, entity_types, orgs)


def tsquery(query_words: list[str]) -> str:
    return " & ".join(f"{w}:*" for w in query_words)


async def search(session: AsyncSession, query: str, *, tenant_id: str, entity_types: Sequence[str] | None,
                 orgs: Sequence[str] | None, limit: int) -> list[Hit]:
    query_words = sorted(set(words(query)))
    if not query_words:
        return []
    path = side_file()
    if dialect(session) == "sqlite" and path is not None:
        return await asyncio.to_thread(_search, path, query_words, tenant_id, entity_types, orgs, limit)
    q = func.to_tsquery(literal_column("'simple'"), tsquery(query_words))
    rank = func.ts_rank(IndexEntry.search_tsv, q)
    stmt: Select[Any] = (
        select(IndexEntry.entity_type, IndexEntry.record_id, rank, IndexEntry.tenant_id, IndexEntry.organization_id,
               IndexEntry.title, IndexEntry.subtitle, IndexEntry.url)
        .where(and_(IndexEntry.tenant_id == tenant_id, IndexEntry.search_tsv.op("@@")(q)))
        .order_by(rank.desc()).limit(limit))
    if entity_types:
        stmt = stmt.where(IndexEntry.entity_type.in_(entity_types))
    if orgs is not None:
        stmt = stmt.where(IndexEntry.organization_id.is_(None) | IndexEntry.organization_id.in_(orgs))
    return [Hit(str(r[0]), str(r[1]), round(float(r[2]), 6), Entry(str(r[0]), str(r[1]), *r[3:]))
            for r in (await session.execute(stmt)).all()]


async def counts(session: AsyncSession, tenant_id: str) -> dict[str, int]:
    """Documents in the full-text index per entity type."""
    path = side_file()
    if dialect(session) == "sqlite" and path is not None:
        return await asyncio.to_thread(_count, path, tenant_id)
    rows = (await session.execute(
        select(IndexEntry.entity_type, func.count()).where(IndexEntry.tenant_id == tenant_id,
                                                            IndexEntry.search_tsv.is_not(None))
        .group_by(IndexEntry.entity_type))).all()
    return {r[0]: int(r[1]) for r in rows}
