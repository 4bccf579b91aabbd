"""Perspectives: saved table views per user, and role defaults."""

from __future__ import annotations

from api import audit
from api.manifest import Module
from api.modules.perspectives.models import Perspective, RolePerspective
from api.modules.perspectives.routes import router
from api.modules.perspectives.service import PERSPECTIVE, ROLE_DEFAULTS, ROLE_PERSPECTIVE, USE

module = Module(
    id="perspectives",
    title="Perspectives",
    features={
        USE: "Use table perspectives",
        ROLE_DEFAULTS: "Manage role default perspectives",
    },
    routers=(router,),
    undoable={
        PERSPECTIVE: audit.Undoable(Perspective, features={"create": USE, "update": USE, "delete": USE}),
        ROLE_PERSPECTIVE: audit.Undoable(RolePerspective, features={
            "create": ROLE_DEFAULTS, "update": ROLE_DEFAULTS, "delete": ROLE_DEFAULTS}),
    },
)
