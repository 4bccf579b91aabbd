"""The tenant's search settings: global-search strategies, the embedding provider and auto-indexing."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, select
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
    _strategies.pop(tenant_id, None)
    # Forgotten again once committed: a search between this write and its commit may have read the old value.
    event.listen(session.sync_session, "after_commit", lambda _s: _strategies.pop(tenant_id, None), once=True)
    row = (await session.execute(select(SearchSetting).where(
        SearchSetting.tenant_id == tenant_id, SearchSetting.key == key))).scalars().first()
    if row is None:
        session.add(SearchSetting(tenant_id=tenant_id, key=key, value=value))
    else:
        row.value = value
    await session.flush()


# The global-search strategies of each tenant, kept a few seconds: every global search needs them, and their
# query was one of the three database round trips of a search (bench/search.py). This process forgets a
# tenant's entry when it writes the setting; other processes see a change within the TTL.
STRATEGIES_TTL_SECONDS = 10.0
_strategies: dict[str, tuple[float, list[str]]] = {}


async def strategies(session: AsyncSession, tenant_id: str) -> list[str]:
    now = time.monotonic()
    kept = _strategies.get(tenant_id)
    if kept is not None and kept[0] > now:
        return list(kept[1])
    value = await get(session, tenant_id, GLOBAL_STRATEGIES)
    valid = [s for s in value if s in STRATEGIES] if isinstance(value, list) else []
    out = valid or list(DEFAULT_STRATEGIES)
    _strategies[tenant_id] = (now + STRATEGIES_TTL_SECONDS, out)
    return list(out)


def forget_strategies() -> None:
    _strategies.clear()


async def embedding_config(session: AsyncSession, tenant_id: str) -> dict[str, Any] | None:
    value = await get(session, tenant_id, EMBEDDING)
    return value if isinstance(value, dict) else None


async def auto_indexing(session: AsyncSession, tenant_id: str) -> bool:
    return bool(await get(session, tenant_id, AUTO_INDEXING, True))
