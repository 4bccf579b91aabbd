"""Auto-indexing of vectors: after the query index has taken a record's event, its embedding is computed when
the tenant configured a provider and left auto-indexing on. A provider's failure is logged, not retried, so it
never holds up the outbox."""

from __future__ import annotations

from sqlalchemy import select

from api.db import sessionmaker
from api.modules.query_index import store
from api.modules.query_index.models import IndexEntry
from api.modules.search import config, embeddings
from api.outbox import DomainEvent


async def vectorize_on_event(event: DomainEvent) -> None:
    entity, _, _action = event.name.rpartition(".")
    record_id = event.payload.get("id")
    if not event.tenant_id or not isinstance(record_id, str) or entity not in store.searchables():
        return
    async with sessionmaker()() as session:
        cfg = await config.embedding_config(session, event.tenant_id)
        if cfg is None or not await config.auto_indexing(session, event.tenant_id):
            return
        entry = (await session.execute(select(IndexEntry).where(
            IndexEntry.entity_type == entity, IndexEntry.record_id == record_id))).scalars().first()
        if entry is None:
            return
        try:
            await embeddings.embed_entries(session, event.tenant_id, [entry])
        except (embeddings.NotConfigured, embeddings.ProviderError) as exc:
            await session.rollback()
            await store.log_error(session, source="vector", handler="subscriber:search.vectorize", error=exc,
                                  tenant_id=event.tenant_id, organization_id=event.organization_id,
                                  entity_type=entity, record_id=record_id)
        await session.commit()
