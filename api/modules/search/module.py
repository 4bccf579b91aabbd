"""Search: global search over the query index with three strategies (database full-text, hashed tokens,
vectors from an embedding provider), their settings, and reindex jobs."""

from __future__ import annotations

from api.caches import CacheSegment
from api.manifest import Module, NavEntry
from api.modules.search import config
from api.modules.search.events import vectorize_on_event
from api.modules.search.routes import EMBED_MANAGE, EMBED_VIEW, MANAGE, REINDEX, VIEW, router

module = Module(
    id="search",
    title="Search",
    features={
        VIEW: "Use search and view search settings",
        MANAGE: "Manage search settings",
        REINDEX: "Rebuild the search index",
        EMBED_VIEW: "View embedding settings",
        EMBED_MANAGE: "Manage embeddings and the vector index",
    },
    routers=(router,),
    navigation=(NavEntry("/backend/config/search", "Search", group_id="settings", group_name="Settings",
                         features=(VIEW,), order=50, group_order=900),),
    # After query_index's subscriber (MODULES order), which writes the entry this one embeds.
    subscribers=(("*", vectorize_on_event),),
    caches=(CacheSegment("search.strategies", "Global-search strategies per tenant (kept a few seconds)",
                         size=lambda: len(config._strategies), clear=config.forget_strategies,
                         stats=lambda: {"ttlSeconds": config.STRATEGIES_TTL_SECONDS}),),
)
