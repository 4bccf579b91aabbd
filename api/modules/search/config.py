"""The tenant's search settings: global-search strategies, the embedding provider and auto-indexing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.modules.search.models import SearchSetting

STRATEGIES = ("fulltext", "vector", "tokens")
# A fresh install searches with the database's own full-text index; tokens (encrypted fields) and vectors
# (once an embedding provider is configured) are switched on in the global-search settings.
DEFAULT_STRATEGIES = ["fulltext"]
GLOBAL_STRATEGIES = "global_search_strategies"
EMBEDDING = "embedding_config"
AUTO_INDEXING = "vector_auto_indexing"


async def get(session: AsyncSession, tenant_id: str, key: str, default: Any = None) -> Any:
    # The value column only: global search reads this on every request, and loading the ORM row (identity
    # map, change tracking) cost more than the query itself (bench/search.py, docs/benchmarks.md).
    value = (await session.execute(select(SearchSetting.value).where(
        SearchSetting.tenant_id == tenant_id, SearchSetting.key == key))).scalars().first()
    return default if value is None else value


async def put(session: AsyncSession, tenant_id: str, key: str, value: Any) -> None:
    row = (await session.execute(select(SearchSetting).where(
        SearchSetting.tenant_id == tenant_id, SearchSetting.key == key))).scalars().first()
    if row is None:
        session.add(SearchSetting(tenant_id=tenant_id, key=key, value=value))
    else:
        row.value = value
    await session.flush()


async def strategies(session: AsyncSession, tenant_id: str) -> list[str]:
    value = await get(session, tenant_id, GLOBAL_STRATEGIES)
    if not isinstance(value, list):
        return list(DEFAULT_STRATEGIES)
    valid = [s for s in value if s in STRATEGIES]
    return valid or list(DEFAULT_STRATEGIES)


async def embedding_config(session: AsyncSession, tenant_id: str) -> dict[str, Any] | None:
    value = await get(session, tenant_id, EMBEDDING)
    return value if isinstance(value, dict) else None


async def auto_indexing(session: AsyncSession, tenant_id: str) -> bool:
    return bool(await get(session, tenant_id, AUTO_INDEXING, True))
