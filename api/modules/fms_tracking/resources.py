from __future__ import annotations

from api.crud import Envelope, Features, Fields, Filter, Resource, Sort
from api.modules.fms_tracking.models import TrackingMilestone, TrackingReference

WEBHOOK = "fms_tracking.freighttech.webhook"
SETTINGS_VIEW, SETTINGS_MANAGE = "fms_tracking.settings.view", "fms_tracking.settings.manage"
TRACKING_VIEW = "fms_tracking.tracking.view"
TRACKING_MANAGE = "fms_tracking.tracking.manage"

# What the webhook stored, read-only: milestones are written by Freighttech's deliveries only.
milestones = Resource(
    path="/fms_tracking/milestones",
    model=TrackingMilestone,
    entity="fms_tracking.milestone",
    create_schema=None,
    update_schema=None,
    operations=frozenset({"list"}),
    features=Features(TRACKING_VIEW, WEBHOOK, WEBHOOK, WEBHOOK),
    tag="Freighttech",
    label="Tracking milestone",
    soft_delete=False,
    envelope=Envelope.LIMIT,
    search=(TrackingMilestone.container_id, TrackingMilestone.reference_id, TrackingMilestone.description),
    sort=Sort((TrackingMilestone.occurred_at, TrackingMilestone.received_at, TrackingMilestone.container_id,
               TrackingMilestone.event_type), default=TrackingMilestone.occurred_at, direction="desc"),
    filters={
        "containerId": Filter.eq(TrackingMilestone.container_id, "Only this container"),
        "referenceId": Filter.eq(TrackingMilestone.reference_id, "Only this Freighttech reference"),
        "billOfLading": Filter.eq(TrackingMilestone.bill_of_lading, "Only this bill of lading"),
        "planned": Filter.eq(TrackingMilestone.planned, "Planned (true) or actual (false) milestones"),
    },
    fields=Fields("id", "reference_id", "milestone_id", "container_id", "carrier_scac", "bill_of_lading", "status",
                  "occurred_at", "event_type", "event_classifier", "description", "location_name", "unlocode",
                  "vessel", "voyage", "planned", "received_at", "organization_id"),
)

# What the organization asked Freighttech to track, and how each registration went (tracking.py). Written by
# the module: a request is made with `POST /fms_tracking/references` or by saving a shipment with a booking.
references = Resource(
    path="/fms_tracking/references",
    model=TrackingReference,
    entity="fms_tracking.reference",
    create_schema=None,
    update_schema=None,
    operations=frozenset({"list"}),
    features=Features(TRACKING_VIEW, TRACKING_MANAGE, TRACKING_MANAGE, TRACKING_MANAGE),
    tag="Freighttech",
    label="Tracking reference",
    soft_delete=False,
    envelope=Envelope.LIMIT,
    search=(TrackingReference.booking_number, TrackingReference.container_id, TrackingReference.carrier_code),
    sort=Sort((TrackingReference.created_at, TrackingReference.updated_at, TrackingReference.status,
               TrackingReference.carrier_code), default=TrackingReference.created_at, direction="desc"),
    filters={
        "status": Filter.eq(TrackingReference.status, "Only this status", ("pending", "registered", "failed")),
        "shipmentId": Filter.eq(TrackingReference.shipment_id, "Only the request of this shipment"),
        "bookingNumber": Filter.eq(TrackingReference.booking_number, "Only this booking number"),
        "containerId": Filter.eq(TrackingReference.container_id, "Only this container"),
    },
    fields=Fields("id", "carrier_code", "booking_number", "container_id", "shipment_id", "status", "reference_id",
                  "message", "attempts", "created_at", "updated_at", "organization_id"),
)
