"""Directory: tenants, the organization tree, the organization switcher."""

from __future__ import annotations

from api.manifest import Module, NavEntry
from api.modules.directory.resources import (
    ORGS_MANAGE,
    ORGS_VIEW,
    TENANTS_MANAGE,
    TENANTS_VIEW,
    organizations,
    tenants,
)
from api.modules.directory.routes import router

module = Module(
    id="directory",
    title="Directory",
    features={
        TENANTS_VIEW: "View tenants",
        TENANTS_MANAGE: "Manage tenants",
        ORGS_VIEW: "View organizations",
        ORGS_MANAGE: "Manage organizations",
    },
    # The routes first: they serve the organizations list (options, tree and manage views).
    routers=(router,),
    resources=(organizations, tenants),
    navigation=(
        NavEntry("/backend/directory/organizations", "Organizations", group_id="directory", group_name="Directory",
                 features=(ORGS_VIEW,), order=10, group_order=700),
        NavEntry("/backend/directory/tenants", "Tenants", group_id="directory", group_name="Directory",
                 features=(TENANTS_VIEW,), order=20, group_order=700),
    ),
)
