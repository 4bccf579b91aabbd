"""Dictionaries: named value lists per organization (statuses, kinds) with entries, and the defaults
every organization starts with."""

from __future__ import annotations

from api.manifest import Module, NavEntry
from api.modules.dictionaries import events
from api.modules.dictionaries.resources import MANAGE, VIEW, dictionaries, entries
from api.modules.dictionaries.routes import router

module = Module(
    id="dictionaries",
    title="Dictionaries",
    features={
        VIEW: "View shared dictionaries",
        MANAGE: "Manage shared dictionaries",
    },
    routers=(router,),
    resources=(dictionaries, entries),
    navigation=(NavEntry("/backend/config/dictionaries", "Dictionaries", group_id="settings",
                         group_name="Settings", features=(VIEW,), order=40, group_order=900),),
    subscribers=(("directory.organization.created", events.seed_new_organization),),
)
