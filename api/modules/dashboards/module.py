"""Dashboards: per-user widget layouts, role and user widget allow-lists, the widget catalogue collected
from every module's manifest."""

from __future__ import annotations

from api import audit
from api.manifest import Module
from api.modules.dashboards.models import DashboardLayout, DashboardRoleWidgets, DashboardUserWidgets
from api.modules.dashboards.routes import router
from api.modules.dashboards.service import ASSIGN, CONFIGURE, LAYOUT, ROLE_WIDGETS, USER_WIDGETS, VIEW


def _needs(feature: str) -> dict[str, str]:
    return {"create": feature, "update": feature, "delete": feature}


module = Module(
    id="dashboards",
    title="Admin Dashboards",
    features={
        VIEW: "View dashboard",
        CONFIGURE: "Customize dashboard layout",
        ASSIGN: "Manage dashboard widget availability",
    },
    routers=(router,),
    undoable={
        LAYOUT: audit.Undoable(DashboardLayout, features=_needs(CONFIGURE)),
        ROLE_WIDGETS: audit.Undoable(DashboardRoleWidgets, features=_needs(ASSIGN)),
        USER_WIDGETS: audit.Undoable(DashboardUserWidgets, features=_needs(ASSIGN)),
    },
)
