"""Freighttech: container tracking settings per organization, and the webhook Freighttech pushes
milestones to (stored, listed and announced to other modules)."""

from __future__ import annotations

from api.manifest import Module, NavEntry
from api.modules.fms_tracking.resources import SETTINGS_MANAGE, SETTINGS_VIEW, TRACKING_VIEW, WEBHOOK, milestones
from api.modules.fms_tracking.routes import router

module = Module(
    id="fms_tracking",
    title="Freighttech",
    features={
        WEBHOOK: "Access FreightTech webhook",
        SETTINGS_VIEW: "View tracking settings",
        SETTINGS_MANAGE: "Manage tracking settings",
        TRACKING_VIEW: "View container tracking milestones",
    },
    resources=(milestones,),
    routers=(router,),
    navigation=(NavEntry("/backend/fms-tracking/settings", "Freighttech", group_id="fms", group_name="Freight",
                         features=(SETTINGS_VIEW,), order=90, group_order=600),),
)
