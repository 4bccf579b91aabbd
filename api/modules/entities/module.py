"""Entities: custom field definitions (for the modules' collections and for custom entities), custom
entities and their records, and per-entity encryption maps. The values themselves are the CRUD
kit's (`api.crud.custom_fields`); this module manages what they mean."""

from __future__ import annotations

from api.manifest import Module, NavEntry
from api.modules.entities.resources import records
from api.modules.entities.routes import router

module = Module(
    id="entities",
    title="Entities",
    features={
        "entities.definitions.view": "View custom field definitions",
        "entities.definitions.manage": "Manage custom fields, custom entities and encryption",
        "entities.records.view": "View custom entity records",
        "entities.records.manage": "Manage custom entity records",
    },
    resources=(records,),
    routers=(router,),
    navigation=(
        NavEntry("/backend/entities/system", "System entities", group_id="entities", group_name="Data designer",
                 features=("entities.definitions.manage",), order=10, group_order=800),
        NavEntry("/backend/entities/user", "User entities", group_id="entities", group_name="Data designer",
                 features=("entities.definitions.manage",), order=20, group_order=800),
        NavEntry("/backend/config/encryption", "Encryption", group_id="entities", group_name="Data designer",
                 features=("entities.definitions.manage",), order=30, group_order=800),
    ),
)
