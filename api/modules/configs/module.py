"""Configuration: cache overview and purge, system status (database, Temporal, workers, outbox), and
one-off upgrade actions."""

from __future__ import annotations

from api.manifest import Module, NavEntry
from api.modules.configs.routes import CACHE_MANAGE, CACHE_VIEW, MANAGE, STATUS_VIEW, router

module = Module(
    id="configs",
    title="Configuration",
    features={
        STATUS_VIEW: "View system status",
        CACHE_VIEW: "View cache overview",
        CACHE_MANAGE: "Manage cache",
        MANAGE: "Manage configuration",
    },
    routers=(router,),
    navigation=(NavEntry("/backend/config/system-status", "System status", group_id="settings",
                         group_name="Settings", features=(STATUS_VIEW,), order=10, group_order=900),),
)
