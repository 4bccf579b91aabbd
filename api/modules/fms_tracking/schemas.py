"""The settings body, and the delivery Freighttech posts to the webhook. The delivery is read for what
tracking needs (reference, container, milestones with their id and time); the rest of each milestone is
kept as sent, so a field Freighttech adds or leaves null does not refuse the delivery."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.crud import Payload


class SettingsBody(Payload):
    api_key: str = Field(min_length=1, max_length=100)
    api_base_url: str = Field(min_length=1, max_length=100)
    # A new webhook token: the one Freighttech holds stops working.
    rotate_webhook_token: StrictBool = False


class TrackRequest(Payload):
    """What to track: a carrier's booking or container (one of the two at least)."""

    carrier_code: str = Field(min_length=1, max_length=100)
    booking_number: str | None = Field(default=None, max_length=255)
    container_id: str | None = Field(default=None, max_length=50)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)


class Location(_Open):
    name: str | None = None
    city: str | None = None
    country: str | None = None
    unlocode: str | None = None


class JourneyEvent(_Open):
    journey_type: str | None = None
    event_classifier: str | None = None
    event_type: str | None = None


class Milestone(_Open):
    id: str = Field(min_length=1, max_length=100)
    timestamp: str = Field(min_length=1, max_length=40)
    location: Location | None = None
    description: str | None = None
    journey_event: JourneyEvent | None = None
    vessel: str | None = None
    voyage: str | None = None
    planned: StrictBool = False


class Container(_Open):
    reference_id: str | None = None
    bill_of_lading: str | None = None
    carrier_scac: str | None = None
    container_id: str = Field(min_length=1, max_length=50)
    # A delivery is stored in one statement; the cap keeps it under every database's parameter limit.
    milestones: list[Milestone] = Field(max_length=500)


class Delivery(_Open):
    id: str = Field(min_length=1, max_length=100)
    reference_id: str = Field(min_length=1, max_length=100)
    parent_reference_id: str | None = None
    status: str = Field(max_length=50)
    # Freighttech's own organization id (not ours: ours comes from the token).
    organization_id: str | None = None
    payload: Container
    created_at: str | None = None
    updated_at: str | None = None


def milestone_data(m: Milestone) -> dict[str, Any]:
    return m.model_dump(mode="json")
