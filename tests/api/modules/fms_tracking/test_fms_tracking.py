"""Freighttech through HTTP: settings (the key encrypted at rest and masked in answers), the signed webhook
token (forgeries, alterations and rotated tokens refused), stored milestones, features and tenancy."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from api.db import sessionmaker
from api.modules.fms_tracking.models import FreighttechSettings
from tests.fixtures import Caller, World

S = "/api/fms_tracking/settings/freighttech"
W = "/api/fms_tracking/webhook/freighttech"
M = "/api/fms_tracking/milestones"
ADMIN = ["fms_tracking.settings.view", "fms_tracking.settings.manage", "fms_tracking.tracking.view"]
KEY = "ft_live_0123456789abcdef"


def location(name: str, code: str) -> dict[str, Any]:
    return {"name": name, "city": name, "state": "", "country": "PL", "unlocode": code, "firms_cd": None,
            "bic_cd": None, "smdg_cd": None, "facility": None, "geolocation": {"latitude": 54.4, "longitude": 18.7}}


def milestone(id_: str, when: str, event: str, *, planned: bool = False) -> dict[str, Any]:
    return {"id": id_, "timestamp": when, "location": location("Gdansk", "PLGDN"), "description": event.title(),
            "raw_description": event, "journey_event": {"journey_type": "EQUIPMENT", "event_classifier": "ACT",
                                                        "event_type": event, "facility_type": None,
                                                        "document_type": None},
            "shipment_location": {"type_code": None}, "vessel": "MAERSK GDANSK", "vessel_imo": None,
            "vessel_mmsi": None, "voyage": "123W", "planned": planned, "mode": None, "source": "carrier"}


def delivery(*milestones: dict[str, Any], ref: str = "ref-1", status: str = "in_transit") -> dict[str, Any]:
    return {"id": "upd-1", "reference_id": ref, "parent_reference_id": None, "status": status,
            "organization_id": "ft-org", "payload": {
                "reference_id": ref, "bill_of_lading": None, "carrier_scac": "MAEU", "container_id": "MSKU1234565",
                "container_iso": "45G1", "milestones": list(milestones),
                "inland_origin": location("Gdansk", "PLGDN"), "origin_port": location("Gdansk", "PLGDN"),
                "destination_port": location("Hamburg", "DEHAM"), "inland_destination": location("Hamburg", "DEHAM")},
            "created_at": "2026-01-10T08:00:00Z", "updated_at": "2026-01-10T08:05:00Z"}


async def configure(me: Caller, **extra: Any) -> dict[str, Any]:
    r = await me.put(S, json={"apiKey": KEY, "apiBaseUrl": "https://api.freighttech.example/", **extra})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_settings_keep_the_key_encrypted_and_answer_it_masked(world: World) -> None:
    me = await world.user(ADMIN)
    r = await me.get(S)
    assert r.status_code == 200
    assert r.json() == {"apiKey": "", "apiBaseUrl": "", "webhookUrl": None, "webhookToken": None}
    body = await configure(me)
    assert body["apiKey"] == "****cdef" and body["apiBaseUrl"] == "https://api.freighttech.example"
    assert KEY not in json.dumps(body)
    assert parse_qs(urlsplit(body["webhookUrl"]).query)["token"] == [body["webhookToken"]]
    assert urlsplit(body["webhookUrl"]).path == W
    async with sessionmaker()() as s:
        row = (await s.execute(select(FreighttechSettings).where(
            FreighttechSettings.organization_id == world.org_id))).scalar_one()
        assert row.api_key.startswith("enc:v1:") and KEY not in row.api_key
        stored = row.api_key
    # Sent back masked, the stored key stays; the URL changes.
    r = await me.put(S, json={"apiKey": body["apiKey"], "apiBaseUrl": "https://other.example"})
    assert r.status_code == 200 and r.json()["apiKey"] == "****cdef"
    assert r.json()["webhookToken"] == body["webhookToken"]
    async with sessionmaker()() as s:
        row = (await s.execute(select(FreighttechSettings).where(
            FreighttechSettings.organization_id == world.org_id))).scalar_one()
        assert row.api_key == stored, "the masked value kept the stored key (a new one would be re-encrypted)"
    # Viewers see the masked key but not the webhook credential.
    viewer = await world.user(["fms_tracking.settings.view"])
    r = await viewer.get(S)
    assert r.status_code == 200 and r.json()["apiKey"] == "****cdef" and r.json()["webhookToken"] is None


async def test_bad_settings_are_refused_and_store_nothing(world: World) -> None:
    me = await world.user(ADMIN)
    for body in ({"apiBaseUrl": "https://x.example"}, {"apiKey": "", "apiBaseUrl": "https://x.example"},
                 {"apiKey": "k" * 101, "apiBaseUrl": "https://x.example"}, {"apiKey": "k", "apiBaseUrl": "ftp://x"},
                 {"apiKey": "k", "apiBaseUrl": "not a url"}, {"apiKey": "****", "apiBaseUrl": "https://x.example"}):
        r = await me.put(S, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"]
    assert (await me.get(S)).json()["apiBaseUrl"] == ""


async def test_settings_features(world: World) -> None:
    assert (await world.client.get(S)).status_code == 401
    assert (await world.client.put(S, json={})).status_code == 401
    nobody = await world.user(["fms_tracking.freighttech.webhook"])
    assert (await nobody.get(S)).status_code == 403
    viewer = await world.user(["fms_tracking.settings.view"])
    r = await viewer.put(S, json={"apiKey": "k", "apiBaseUrl": "https://x.example"})
    assert r.status_code == 403 and "fms_tracking.settings.manage" in r.json()["requiredFeatures"]


async def test_the_webhook_stores_milestones_of_the_tokens_organization(world: World) -> None:
    me = await world.user(ADMIN)
    token = (await configure(me))["webhookToken"]
    first = delivery(milestone("m1", "2026-01-10T08:00:00Z", "GATE_IN"),
                     milestone("m2", "2026-01-20T08:00:00Z", "DISCHARGE", planned=True))
    # Freighttech holds nothing but the URL: no bearer, no API key.
    r = await world.client.post(W, params={"token": token}, json=first)
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "milestones": 2}
    # The next update repeats the list: the planned discharge became actual, a milestone was added.
    second = delivery(milestone("m1", "2026-01-10T08:00:00Z", "GATE_IN"),
                      milestone("m2", "2026-01-21T09:30:00Z", "DISCHARGE"),
                      milestone("m3", "2026-01-22T10:00:00Z", "GATE_OUT"), status="delivered")
    assert (await world.client.post(W, params={"token": token}, json=second)).status_code == 200
    r = await me.get(M, params={"containerId": "MSKU1234565", "sortField": "occurredAt", "sortDir": "asc"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["milestoneId"], i["eventType"], i["planned"]) for i in items] == [
        ("m1", "GATE_IN", False), ("m2", "DISCHARGE", False), ("m3", "GATE_OUT", False)]
    assert items[1]["occurredAt"] == "2026-01-21T09:30:00Z" and {i["status"] for i in items} == {"delivered"}
    assert items[0]["unlocode"] == "PLGDN" and items[0]["vessel"] == "MAERSK GDANSK"
    # Another tenant sees none of it.
    stranger = await World(world.client).user(ADMIN)
    assert (await stranger.get(M)).json()["total"] == 0


async def test_forged_altered_and_rotated_tokens_are_refused(world: World) -> None:
    me = await world.user(ADMIN)
    token = (await configure(me))["webhookToken"]
    body = delivery(milestone("m1", "2026-01-10T08:00:00Z", "GATE_IN"))
    payload, signature = token.split(".")
    other_org = await world.org("Branch")
    doc = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    moved = base64.urlsafe_b64encode(json.dumps({**doc, "organizationId": other_org}).encode()).rstrip(b"=").decode()
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for forged in ("", "garbage", f"{payload}.", f".{signature}", f"{payload}.{flipped}", f"{moved}.{signature}",
                   f"{payload}.{signature}.x", token + "x"):
        r = await world.client.post(W, params={"token": forged}, json=body)
        assert r.status_code == 401, (forged, r.text)
        assert r.json()["error"] in ("Invalid token", "Missing token")
    # Rotating issues a new token and revokes the old one.
    fresh = (await configure(me, rotateWebhookToken=True))["webhookToken"]
    assert fresh != token
    assert (await world.client.post(W, params={"token": token}, json=body)).status_code == 401
    assert (await world.client.post(W, params={"token": fresh}, json=body)).status_code == 200
    assert (await me.get(M)).json()["total"] == 1


async def test_the_webhook_without_a_token_needs_a_caller_with_the_feature(world: World) -> None:
    body = delivery(milestone("m1", "2026-01-10T08:00:00Z", "GATE_IN"))
    r = await world.client.post(W, json=body)
    assert r.status_code == 401 and r.json()["error"] == "Missing token"
    outsider = await world.user(ADMIN)
    r = await outsider.post(W, json=body)
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["fms_tracking.freighttech.webhook"]
    pusher = await world.user(["fms_tracking.freighttech.webhook"])
    assert (await pusher.post(W, json=body)).status_code == 200
    assert (await outsider.get(M)).json()["total"] == 1


async def test_a_bad_delivery_is_a_400_and_stores_nothing(world: World) -> None:
    me = await world.user(ADMIN)
    token = (await configure(me))["webhookToken"]
    good = delivery(milestone("m1", "2026-01-10T08:00:00Z", "GATE_IN"))
    for bad in ({}, {**good, "payload": None}, {**good, "reference_id": ""},
                {**good, "payload": {**good["payload"], "milestones": [{"timestamp": "x"}]}},
                {**good, "payload": {**good["payload"], "milestones": "none"}}, ["x"]):
        r = await world.client.post(W, params={"token": token}, json=bad)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["error"]
    r = await world.client.post(W, params={"token": token}, content=b"{not json", headers={
        "content-type": "application/json"})
    assert r.status_code == 400
    assert (await me.get(M)).json()["total"] == 0
