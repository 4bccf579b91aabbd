"""Fms Products: the charge codes freight quotes price (CRUD, grid configuration, spreadsheet import)."""

from __future__ import annotations

from api.commands import crud_commands
from api.manifest import Module, NavEntry
from api.modules.fms_products.resources import IMPORT, MANAGE, VIEW, charge_codes
from api.modules.fms_products.routes import router

module = Module(
    id="fms_products",
    title="Fms Products",
    features={
        VIEW: "View charge codes",
        MANAGE: "Manage charge codes",
        IMPORT: "Import charge codes",
    },
    resources=(charge_codes,),
    routers=(router,),
    navigation=(NavEntry("/backend/fms-products/charge-codes", "Charge codes", group_id="fms", group_name="Freight",
                         features=(VIEW,), order=50, group_order=600),),
    # Workflows may create and update charge codes through UPDATE_ENTITY.
    commands=crud_commands(charge_codes, ("create", "update")),
)
