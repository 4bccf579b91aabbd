"""In-process caches the API keeps (resolved callers, compiled rule conditions, ...), named so an
operator can see how full they are and empty them (`/api/configs/cache`). Each module declares its
caches in its manifest (`Module.caches`); nothing registers itself at import."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

V = TypeVar("V")


@dataclass(frozen=True)
class CacheSegment:
    """One named cache: `size()` counts its entries, `clear()` empties it, `stats()` adds figures of
    its own (hits, misses, ttl)."""

    id: str
    title: str
    size: Callable[[], int]
    clear: Callable[[], object]
    stats: Callable[[], Mapping[str, Any]] = field(default=lambda: {})

    def describe(self) -> dict[str, Any]:
        return {"segment": self.id, "label": self.title, "keyCount": self.size(), **self.stats()}

    def purge(self) -> int:
        """Empties the cache; returns how many entries it held."""
        held = self.size()
        self.clear()
        return held


class Watched(Generic[V]):
    """Values read from some tables, kept `ttl()` seconds and forgotten the moment this process writes any of
    those tables: at the flush (a unit-of-work change or a bulk UPDATE/DELETE), and again at the commit, since
    a request that read the old rows between the two may have stored them. Another process's writes are
    seen within the TTL. A value read while a write happened is not stored (`load`)."""

    def __init__(self, tables: frozenset[str], ttl: Callable[[], float]) -> None:
        self.tables = tables
        self.ttl = ttl
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._generation = 0
        # Reads under way, by key: the generation they started in, and the future their waiters wait on.
        self._reading: dict[Hashable, tuple[int, asyncio.Future[V | None]]] = {}
        _WATCHED.append(self)

    async def load(self, key: Hashable, read: Callable[[], Awaitable[V | None]]) -> V | None:
        """The value kept for `key`, else what `read()` returns (kept unless None).

        Callers that miss the same key while a read of it is under way wait for that read instead of each
        running their own: when an entry's TTL runs out under load, every request in flight misses it at once,
        and fifty requests would otherwise run the same queries together. A caller that comes after a write of
        the watched tables does not wait for a read that began before it. When the read fails, or the request
        that runs it is cancelled, its waiters read for themselves."""
        kept = self.get(key)
        if kept is not None:
            return kept
        generation = self._generation
        pending = self._reading.get(key)
        # A read of another event loop (a test's, left behind when its loop closed) is never waited for.
        if pending is not None and pending[0] == generation and pending[1].get_loop() is asyncio.get_running_loop():
            future = pending[1]
            await asyncio.wait((future,))  # a cancellation of this caller ends the wait, not the read
            if not future.cancelled():
                return future.result()
        future = asyncio.get_running_loop().create_future()
        self._reading[key] = (generation, future)
        try:
            value = await read()
        except BaseException:
            future.cancel()
            raise
        finally:
            if self._reading.get(key, (0, None))[1] is future:
                del self._reading[key]
        if value is not None:
            self._put(key, value, generation)
        future.set_result(value)
        return value

    def get(self, key: Hashable) -> V | None:
        kept = self._entries.get(key)
        if kept is None or kept[0] <= time.monotonic():
            return None
        return kept[1]

    def _put(self, key: Hashable, value: V, generation: int) -> None:
        if generation == self._generation:
            self._entries[key] = (time.monotonic() + self.ttl(), value)

    def forget(self) -> None:
        self._generation = next(_generations)
        self._entries.clear()
        self._reading.clear()

    def __len__(self) -> int:
        return len(self._entries)


_WATCHED: list[Watched[Any]] = []
_generations = itertools.count(1)
_CHANGED = "watched_tables_changed"


def _touched(session: Session, tables: set[str]) -> None:
    for cache in _WATCHED:
        if cache.tables & tables:
            session.info.setdefault(_CHANGED, set()).add(id(cache))
            cache.forget()


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    tables = {getattr(obj, "__tablename__", "") for obj in itertools.chain(session.new, session.dirty, session.deleted)}
    _touched(session, tables)


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete:
        name = getattr(getattr(state.statement, "table", None), "name", None)
        if name:
            _touched(state.session, {name})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if changed:
        for cache in _WATCHED:
            if id(cache) in changed:
                cache.forget()
