"""Keeps the index current: every domain event of a searchable entity re-reads that record and indexes it
(or drops it when deleted). Idempotent, so redelivered events change nothing."""

from __future__ import annotations

from api.db import sessionmaker
from api.modules.query_index import store
from api.outbox import DomainEvent


def _target(event: DomainEvent) -> tuple[str, str] | None:
    entity, _, _action = event.name.rpartition(".")
    record_id = event.payload.get("id")
    if not entity or not isinstance(record_id, str) or entity not in store.searchables():
        return None
    return entity, record_id


async def index_on_event(event: DomainEvent) -> None:
    target = _target(event)
    if target is None:
        return
    entity, record_id = target
    async with sessionmaker()() as session:
        await store.index_record(session, store.searchable(entity), record_id)
        await session.commit()
