"""FMS Locations: ports and terminals (one table), their combined list, grid configuration and import."""

from __future__ import annotations

from api.commands import crud_commands
from api.manifest import Module, NavEntry
from api.modules.fms_locations.resources import (
    IMPORT,
    MANAGE_PORTS,
    MANAGE_TERMINALS,
    VIEW_PORTS,
    VIEW_TERMINALS,
    locations,
    ports,
    terminals,
)
from api.modules.fms_locations.routes import router

module = Module(
    id="fms_locations",
    title="FMS Locations",
    features={
        VIEW_PORTS: "View ports",
        MANAGE_PORTS: "Manage ports",
        VIEW_TERMINALS: "View terminals",
        MANAGE_TERMINALS: "Manage terminals",
        IMPORT: "Import locations",
    },
    resources=(ports, terminals, locations),
    routers=(router,),
    navigation=(NavEntry("/backend/fms-locations", "Locations", group_id="fms", group_name="Freight",
                         features=(VIEW_PORTS,), order=40, group_order=600),),
    # Workflows may create and update ports and terminals through UPDATE_ENTITY.
    commands=crud_commands(ports, ("create", "update")) + crud_commands(terminals, ("create", "update")),
)
