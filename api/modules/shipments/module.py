"""The Shipments module: shipments with their containers, documents and tasks, the pickers and grid
configuration of their screens, and the spreadsheet import (docs/shipments.md)."""

from __future__ import annotations

from api.commands import crud_commands
from api.manifest import Module, NavEntry, Searchable
from api.modules.shipments.models import Shipment
from api.modules.shipments.resources import CREATE, DELETE, EDIT, IMPORT, VIEW, containers, documents, shipments, tasks
from api.modules.shipments.routes import router

module = Module(
    id="shipments",
    title="Shipments",
    features={
        VIEW: "View shipments",
        CREATE: "Create shipments",
        EDIT: "Edit shipments",
        DELETE: "Delete shipments",
        IMPORT: "Import shipments from spreadsheets",
    },
    # The kit serves /shipments and the lists of containers and tasks across shipments; the module's routes
    # write containers, documents and tasks through the kit's functions, so every write is audited and
    # undoable like any collection's.
    # Mount order matters: the kit's `GET /shipments/{id}` must come after the lists of containers and tasks.
    resources=(containers, documents, tasks, shipments),
    routers=(router,),
    navigation=(NavEntry("/backend/shipments", "Shipments", group_id="fms", group_name="Freight",
                         features=(VIEW,), order=10, group_order=600),),
    search=(Searchable("shipments.shipment", Shipment, fields=("internal_reference", "booking_number", "bol_number",
                                                               "container_number", "carrier"),
                       title="internal_reference", subtitle="carrier", url="/backend/shipments/{id}",
                       label="Shipment"),),
    # Workflows may create and update shipments through UPDATE_ENTITY.
    commands=crud_commands(shipments, ("create", "update")),
)
