"""Contractors: the companies (and their branches) a freight business works with, their addresses,
contact people and roles, and the payment terms and credit limit agreed with each. See docs/contractors.md."""

from __future__ import annotations

from api.commands import crud_commands
from api.manifest import Module, NavEntry, Searchable
from api.modules.contractors.models import Contractor
from api.modules.contractors.resources import RESOURCES, contractors
from api.modules.contractors.routes import router

module = Module(
    id="contractors",
    title="Contractors",
    features={
        "contractors.view": "View contractors",
        "contractors.create": "Create contractors",
        "contractors.edit": "Edit contractors",
        "contractors.delete": "Delete contractors",
        "contractors.manage_financial": "Manage payment terms and credit limits",
        "contractors.admin": "Administer role types",
    },
    resources=RESOURCES,
    routers=(router,),
    navigation=(NavEntry("/backend/contractors", "Contractors", group_id="fms", group_name="Freight",
                         features=("contractors.view",), order=30, group_order=600),),
    search=(Searchable("contractors.contractor", Contractor, fields=("name", "short_name", "tax_id"), title="name",
                       subtitle="short_name", url="/backend/contractors/{id}", label="Contractor"),),
    # Workflows may create and update contractors through UPDATE_ENTITY.
    commands=crud_commands(contractors, ("create", "update")),
)
