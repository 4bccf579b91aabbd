"""Registering bookings and containers with Freighttech: the request answered at once, the call made by the
worker (a real Temporal dev server and a local HTTP server playing Freighttech), retried while Freighttech is
down, final when it refuses, once per booking; and a shipment saved with a booking registered by its event."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.db import sessionmaker
from api.modules.fms_tracking.tracking import track_shipment
from api.outbox import DomainEvent
from api.outbox_models import OutboxEvent
from tests.api.modules.fms_tracking.conftest import Freighttech
from tests.fixtures import Caller, World

S = "/api/fms_tracking/settings/freighttech"
R = "/api/fms_tracking/references"
KEY = "ft_live_0123456789abcdef"
ADMIN = ["fms_tracking.*"]


async def configure(me: Caller, base_url: str) -> dict[str, Any]:
    r = await me.put(S, json={"apiKey": KEY, "apiBaseUrl": base_url})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def settled(me: Caller, request_id: str) -> dict[str, Any]:
    """The request once the worker is done with it."""
    for _ in range(300):
        items = (await me.get(R, params={"id": request_id})).json()["items"]
        if items and items[0]["status"] != "pending":
            return items[0]  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError("the registration did not finish")


async def test_a_booking_is_registered_once_with_the_webhook_to_call_back(
        world: World, freighttech: Freighttech, registrar: WorkflowEnvironment) -> None:
    me = await world.user(ADMIN)
    settings = await configure(me, freighttech.url)
    r = await me.post(R, json={"carrierCode": "MAEU", "bookingNumber": "BK-1001"})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending" and r.json()["bookingNumber"] == "BK-1001"
    done = await settled(me, r.json()["id"])
    assert (done["status"], done["referenceId"], done["attempts"], done["message"]) == ("registered", "ref-1", 1, None)
    [call] = freighttech.calls
    assert call["path"] == "/v1/references" and call["apiKey"] == KEY
    assert call["body"]["carrier_code"] == "MAEU" and call["body"]["booking_number"] == "BK-1001"
    callback = urlsplit(call["body"]["callback_url"])
    assert callback.path == "/api/fms_tracking/webhook/freighttech"
    assert parse_qs(callback.query)["token"] == [settings["webhookToken"]]
    # Asked again (any case), the same request answers and Freighttech is not called twice.
    again = await me.post(R, json={"carrierCode": "maeu", "bookingNumber": "bk-1001"})
    assert again.status_code == 202 and again.json()["id"] == done["id"]
    assert again.json()["status"] == "registered" and len(freighttech.calls) == 1


async def test_freighttech_down_is_retried_and_a_refusal_is_final(
        world: World, freighttech: Freighttech, registrar: WorkflowEnvironment) -> None:
    me = await world.user(ADMIN)
    await configure(me, freighttech.url)
    freighttech.modes = ["down", "ok"]
    r = await me.post(R, json={"carrierCode": "MAEU", "containerId": "MSKU1234565"})
    done = await settled(me, r.json()["id"])
    assert (done["status"], done["attempts"], done["referenceId"]) == ("registered", 2, "ref-2")

    freighttech.calls.clear()
    freighttech.modes = ["refuse", "ok"]
    r = await me.post(R, json={"carrierCode": "NOPE", "bookingNumber": "BK-2"})
    done = await settled(me, r.json()["id"])
    assert (done["status"], done["attempts"]) == ("failed", 1)
    assert done["message"] == "Freighttech answered 400: unknown carrier code"
    await asyncio.sleep(1.5)  # past the first retry's backoff: a refusal is not retried
    assert len(freighttech.calls) == 1
    # Asked again, a failed request is tried again.
    r = await me.post(R, json={"carrierCode": "NOPE", "bookingNumber": "BK-2"})
    assert r.json()["id"] == done["id"] and r.json()["status"] == "pending"
    assert (await settled(me, done["id"]))["status"] == "registered"
    assert (await me.get(R, params={"status": "registered"})).json()["total"] == 2


async def test_bad_requests_features_and_tenancy(world: World, freighttech: Freighttech,
                                                 registrar: WorkflowEnvironment) -> None:
    me = await world.user(ADMIN)
    r = await me.post(R, json={"carrierCode": "MAEU", "bookingNumber": "BK-1"})
    assert r.status_code == 400 and r.json()["error"].startswith("Freighttech is not set up")
    await configure(me, freighttech.url)
    bad: list[Any] = [{"bookingNumber": "BK-1"}, {"carrierCode": "MAEU"}, {"carrierCode": " ", "bookingNumber": "BK-1"},
                      {"carrierCode": "MAEU", "bookingNumber": "x" * 300}, []]
    for body in bad:
        assert (await me.post(R, json=body)).status_code == 400, body
    assert (await me.get(R)).json()["total"] == 0 and freighttech.calls == []
    assert (await world.client.post(R, json={"carrierCode": "MAEU", "bookingNumber": "BK-1"})).status_code == 401
    viewer = await world.user(["fms_tracking.tracking.view"])
    assert (await viewer.post(R, json={"carrierCode": "MAEU", "bookingNumber": "BK-1"})).status_code == 403
    r = await me.post(R, json={"carrierCode": "MAEU", "bookingNumber": "BK-1"})
    await settled(me, r.json()["id"])
    assert (await viewer.get(R)).json()["total"] == 1
    stranger = await World(world.client).user(ADMIN)
    assert (await stranger.get(R)).json()["total"] == 0


async def _deliver_shipment_events(tenant_id: str) -> None:
    """Hand the tenant's shipment events to the tracking subscriber, as the worker's dispatcher does."""
    async with sessionmaker()() as s:
        rows = (await s.execute(select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id,
                                                          OutboxEvent.name.like("shipments.shipment.%"))
                                .order_by(OutboxEvent.seq))).scalars().all()
    for r in rows:
        await track_shipment(DomainEvent(r.id, r.seq, r.name, r.tenant_id, r.organization_id, dict(r.payload),
                                         r.created_at))


async def test_a_shipment_saved_with_a_booking_and_a_carrier_is_tracked(
        world: World, freighttech: Freighttech, registrar: WorkflowEnvironment) -> None:
    me = await world.user(ADMIN + ["shipments.*"])
    r = await me.post("/api/shipments", json={"internalReference": "S-1", "bookingNumber": "BK-77", "carrier": "MAEU"})
    early = r.json()["id"]
    await _deliver_shipment_events(world.tenant_id)
    assert (await me.get(R)).json()["total"] == 0, "not before Freighttech is set up"
    await configure(me, freighttech.url)
    r = await me.post("/api/shipments", json={"internalReference": "S-2", "carrier": "MAEU"})
    shipment = r.json()["id"]
    assert (await me.put(f"/api/shipments/{shipment}", json={"bookingNumber": "BK-78"})).status_code == 200
    await _deliver_shipment_events(world.tenant_id)  # redelivered events change nothing
    await _deliver_shipment_events(world.tenant_id)
    items = (await me.get(R)).json()["items"]
    assert {(i["bookingNumber"], i["shipmentId"]) for i in items} == {("BK-77", early), ("BK-78", shipment)}
    for item in items:
        assert (await settled(me, item["id"]))["status"] == "registered"
    assert sorted(c["body"]["booking_number"] for c in freighttech.calls) == ["BK-77", "BK-78"]
