"""Freighttech: container tracking settings per organization, and the webhook Freighttech pushes
milestones to (stored, listed and announced to other modules)."""

from __future__ import annotations

from api.manifest import Module, NavEntry
from api.modules.fms_tracking.resources import (
    SETTINGS_MANAGE,
    SETTINGS_VIEW,
    TRACKING_MANAGE,
    TRACKING_VIEW,
    WEBHOOK,
    milestones,
    references,
)
from api.modules.fms_tracking.routes import router
from api.modules.fms_tracking.tracking import ACTIVITIES, track_shipment
from api.modules.fms_tracking.workflow import RegisterTrackingWorkflow

module = Module(
    id="fms_tracking",
    title="Freighttech",
    features={
        WEBHOOK: "Access FreightTech webhook",
        SETTINGS_VIEW: "View tracking settings",
        SETTINGS_MANAGE: "Manage tracking settings",
        TRACKING_VIEW: "View container tracking milestones and requests",
        TRACKING_MANAGE: "Ask Freighttech to track bookings and containers",
    },
    resources=(milestones, references),
    routers=(router,),
    # A shipment saved with a booking number and a carrier is registered for tracking (tracking.py).
    subscribers=(("shipments.shipment.created", track_shipment), ("shipments.shipment.updated", track_shipment)),
    temporal_workflows=(RegisterTrackingWorkflow,),
    activities=ACTIVITIES,
    navigation=(NavEntry("/backend/fms-tracking/settings", "Freighttech", group_id="fms", group_name="Freight",
                         features=(SETTINGS_VIEW,), order=90, group_order=600),),
)
