"""Authentication & Accounts: sign-in, users, roles, grants, features, sidebar and locale."""

from __future__ import annotations

from api import auth as callers
from api.caches import CacheSegment
from api.manifest import Module, NavEntry
from api.modules.auth.resources import roles, users
from api.modules.auth.routes import router

module = Module(
    id="auth",
    title="Authentication & Accounts",
    features={
        "auth.acl.manage": "Manage access control (role and user ACLs)",
        "auth.roles.list": "List roles",
        "auth.roles.manage": "Create, edit and delete roles",
        "auth.users.list": "List users",
        "auth.users.create": "Create users",
        "auth.users.edit": "Edit users",
        "auth.users.delete": "Delete users",
        "auth.sidebar.manage": "Apply sidebar preferences to roles",
    },
    # The routes first: they serve the users list (repeated `roleIds`) the kit then leaves out.
    routers=(router,),
    resources=(users, roles),
    caches=(CacheSegment("auth.callers", "Signed-in callers (kept a few seconds)",
                         size=lambda: len(callers._callers), clear=callers.forget_callers,
                         stats=lambda: {"ttlSeconds": callers.CALLER_TTL_SECONDS}),),
    navigation=(
        NavEntry("/backend/users", "Users", group_id="auth", group_name="Auth", features=("auth.users.list",),
                 order=10, group_order=800),
        NavEntry("/backend/roles", "Roles", group_id="auth", group_name="Auth", features=("auth.roles.list",),
                 order=20, group_order=800),
    ),
)
