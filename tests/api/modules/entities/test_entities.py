"""The entities module over HTTP: definitions (upsert, batch ordering, tombstones, restore, the
management snapshot), custom entities and their records (upsert on a non-UUID recordId, filters,
export), encryption maps (ciphertext at rest, nothing in events or the action log), relation
options, sidebar entries; features, tenancy and refusals."""

from __future__ import annotations

import json

from sqlalchemy import select

from api.crud.custom_fields import CustomFieldDef
from api.db import sessionmaker
from api.modules.audit_logs.models import ActionLog
from api.modules.entities.models import CustomEntityRecord
from api.outbox_models import OutboxEvent
from tests.fixtures import Caller, World

DEFS = "/api/entities/definitions"
ENTITIES = "/api/entities/entities"
RECORDS = "/api/entities/records"
ENC = "/api/entities/encryption"
ALL = ["entities.*", "example.*"]
VENDOR = "user:vendor"


async def vendor_entity(me: Caller) -> None:
    r = await me.post(ENTITIES, json={"entityId": VENDOR, "label": "Vendors", "showInSidebar": True,
                                      "labelField": "name"})
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True and r.json()["item"]["entityId"] == VENDOR
    r = await me.post(f"{DEFS}.batch", json={"entityId": VENDOR, "definitions": [
        {"key": "name", "kind": "text", "required": True},
        {"key": "tier", "kind": "select", "configJson": {"options": ["gold", "silver"]}},
        {"key": "score", "kind": "integer"},
        {"key": "vat", "kind": "text"},
    ]})
    assert r.status_code == 200 and r.json() == {"ok": True}, r.text


async def test_definitions_lifecycle(world: World) -> None:
    me = await world.user(ALL)
    r = await me.post(DEFS, json={"entityId": "example:todo", "key": "estimate", "kind": "float",
                                  "configJson": {"label": "Estimate"}})
    assert r.status_code == 200, r.text
    item = r.json()["item"]
    assert item["key"] == "estimate" and item["kind"] == "float" and item["configJson"] == {"label": "Estimate"}
    keys = [d["key"] for d in (await me.get(DEFS, params={"entityId": "example:todo"})).json()["items"]]
    # The example module's shipped fields, then the tenant's.
    assert keys == ["priority", "severity", "description", "assignee", "due_at", "tags", "estimate"]

    # Deleting a shipped field tombstones it for this tenant only; restore brings it back.
    assert (await me.delete(DEFS, json={"entityId": "example:todo", "key": "severity"})).json() == {"ok": True}
    snap = (await me.get(f"{DEFS}.manage", params={"entityId": "example:todo"})).json()
    assert snap["deletedKeys"] == ["severity"]
    assert "severity" not in [d["key"] for d in snap["items"]]
    other = await World(world.client).user(ALL)
    theirs = (await other.get(DEFS, params={"entityId": "example:todo"})).json()["items"]
    assert "severity" in [d["key"] for d in theirs]
    r = await me.post("/api/example/todos", json={"title": "t", "cf_severity": "high"})
    assert r.status_code == 400
    assert r.json()["details"] == [{"path": ["cf_severity"], "message": "Unknown custom field"}]
    severity = {"entityId": "example:todo", "key": "severity"}
    assert (await me.post(f"{DEFS}.restore", json=severity)).json() == {"ok": True}
    assert (await me.post(f"{DEFS}.restore", json=severity)).status_code == 404
    assert (await me.delete(DEFS, json={"entityId": "example:todo", "key": "nope"})).status_code == 404
    assert (await me.get(f"{DEFS}.manage", params={"entityId": "example:todo"})).json()["deletedKeys"] == []

    # The batch's order is the display order.
    await me.post(f"{DEFS}.batch", json={"entityId": "user:x", "definitions": [
        {"key": "b", "kind": "text"}, {"key": "a", "kind": "boolean"}]})
    assert [d["key"] for d in (await me.get(DEFS, params={"entityIds": "user:x"})).json()["items"]] == ["b", "a"]
    await me.post(f"{DEFS}.batch", json={"entityId": "user:x", "definitions": [
        {"key": "a", "kind": "boolean"}, {"key": "b", "kind": "text"}]})
    assert [d["key"] for d in (await me.get(DEFS, params={"entityIds": "user:x"})).json()["items"]] == ["a", "b"]


async def test_bad_definitions_are_400_and_store_nothing(world: World) -> None:
    me = await world.user(ALL)
    bad: list[object] = [{"entityId": "e:x", "key": "Bad Key", "kind": "text"},
                         {"entityId": "e:x", "key": "k", "kind": "colour"},
                         {"key": "k", "kind": "text"}, ["x"], {"entityId": "e:x", "key": "k", "kind": "text",
                                                              "configJson": "x"}]
    for body in bad:
        r = await me.post(DEFS, json=body)
        assert r.status_code == 400, (body, r.text)
    r = await me.post(f"{DEFS}.batch", json={"entityId": "e:x", "definitions": [
        {"key": "ok", "kind": "text"}, {"key": "k", "kind": "nope"}]})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["definitions.1.kind"]
    assert (await me.get(DEFS)).status_code == 400
    assert (await me.get(DEFS, params={"entityId": "e:x"})).json()["items"] == []
    async with sessionmaker()() as s:
        assert (await s.execute(select(CustomFieldDef).where(CustomFieldDef.tenant_id == me.tenant_id))).first() is None


async def test_records_crud_upsert_filters_and_export(world: World) -> None:
    me = await world.user(ALL)
    await vendor_entity(me)
    r = await me.post(RECORDS, json={"entityId": VENDOR, "values": {"name": "Acme", "tier": "gold", "cf_score": 7}})
    assert r.status_code == 200, r.text
    acme = r.json()["item"]["recordId"]
    assert r.json() == {"ok": True, "item": {"entityId": VENDOR, "recordId": acme}} and r.headers["x-om-operation"]
    # A non-UUID recordId on PUT creates the record (upsert).
    r = await me.put(RECORDS, json={"entityId": VENDOR, "recordId": "new", "values": {"name": "Beta", "score": 3}})
    assert r.status_code == 200 and r.json()["item"]["recordId"] != "new"
    beta = r.json()["item"]["recordId"]
    r = await me.put(RECORDS, json={"entityId": VENDOR, "recordId": acme, "values": {"tier": "silver"}})
    assert r.status_code == 200 and r.json()["item"]["recordId"] == acme

    body = (await me.get(RECORDS, params={"entityId": VENDOR, "sortField": "score", "sortDir": "desc"})).json()
    assert set(body) == {"items", "total", "page", "pageSize", "totalPages"} and body["total"] == 2
    assert [(i["id"], i["name"], i["tier"], i["score"]) for i in body["items"]] == [
        (acme, "Acme", "silver", 7), (beta, "Beta", None, 3)]
    assert body["items"][0]["updated_at"] and body["items"][0]["updatedAt"]
    async def ids(**params: str) -> list[str]:
        return [i["id"] for i in (await me.get(RECORDS, params={"entityId": VENDOR, **params})).json()["items"]]

    assert await ids(cf_tier="silver") == [acme]
    assert await ids(score="3") == [beta]
    assert (await me.get(RECORDS, params={"entityId": VENDOR, "cf_scoreIn": "3,7"})).json()["total"] == 2
    assert (await me.get(RECORDS, params={"entityId": VENDOR, "score": "x"})).status_code == 400
    assert (await me.get(RECORDS)).status_code == 400
    csv = await me.get(RECORDS, params={"entityId": VENDOR, "format": "csv", "sortField": "name"})
    lines = csv.text.splitlines()
    assert csv.status_code == 200 and lines[0] == "id,created_at,updated_at,deleted_at,updatedAt,name,tier,score,vat"
    assert lines[1].endswith(",Acme,silver,7,") and lines[2].endswith(",Beta,,3,")

    options = (await me.get("/api/entities/relations/options", params={"entityId": VENDOR, "q": "ac"})).json()
    assert options == {"items": [{"value": acme, "label": "Acme"}]}
    sidebar = (await me.get("/api/entities/sidebar-entities")).json()["items"]
    assert sidebar == [{"entityId": VENDOR, "label": "Vendors", "href": f"/backend/entities/user/{VENDOR}/records"}]
    listed = {i["entityId"]: i for i in (await me.get(ENTITIES)).json()["items"]}
    assert listed[VENDOR]["source"] == "custom" and listed[VENDOR]["count"] == 4
    assert listed["example:todo"]["source"] == "code" and listed["example:todo"]["count"] == 6

    assert (await me.delete(RECORDS, json={"entityId": VENDOR, "recordId": beta})).json() == {"ok": True}
    assert (await me.delete(RECORDS, params={"entityId": VENDOR, "recordId": beta})).status_code == 404
    assert (await me.get(RECORDS, params={"entityId": VENDOR})).json()["total"] == 1
    assert (await me.delete(ENTITIES, json={"entityId": VENDOR})).json() == {"ok": True}
    assert (await me.delete(ENTITIES, json={"entityId": VENDOR})).status_code == 404
    assert (await me.get("/api/entities/sidebar-entities")).json()["items"] == []


async def test_bad_records_are_400_and_store_nothing(world: World) -> None:
    me = await world.user(ALL)
    await vendor_entity(me)
    cases: list[tuple[object, int, object]] = [
        ({"entityId": VENDOR, "values": {"tier": "gold"}}, 400, [{"path": ["name"], "message": "Required"}]),
        ({"entityId": VENDOR, "values": {"name": "x", "tier": "bronze"}}, 400,
         [{"path": ["tier"], "message": "Expected one of: gold, silver"}]),
        ({"entityId": VENDOR, "values": {"name": "x", "score": "many"}}, 400,
         [{"path": ["score"], "message": "Expected an integer"}]),
        ({"entityId": VENDOR, "values": {"name": "x", "colour": "red"}}, 400,
         [{"path": ["colour"], "message": "Unknown custom field"}]),
        ({"entityId": VENDOR, "values": "x"}, 400, None),
        ({"values": {}}, 400, None),
        ({"entityId": "example:todo", "values": {}}, 400, None),
        ({"entityId": "user:unknown", "values": {}}, 404, None),
    ]
    for body, status, details in cases:
        r = await me.post(RECORDS, json=body)
        assert r.status_code == status, (body, r.text)
        if details is not None:
            assert r.json()["details"] == details
    assert (await me.put(RECORDS, json={"entityId": VENDOR, "values": {}})).status_code == 400
    r = await me.post(RECORDS, content=b"{oops", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = await me.post(RECORDS, content=b"x" * (3 * 1024 * 1024), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert (await me.get(RECORDS, params={"entityId": VENDOR})).json()["total"] == 0
    async with sessionmaker()() as s:
        stored = select(CustomEntityRecord).where(CustomEntityRecord.tenant_id == me.tenant_id)
        assert (await s.execute(stored)).first() is None


async def test_encrypted_fields_are_ciphertext_at_rest_and_absent_from_events_and_logs(world: World) -> None:
    me = await world.user(ALL)
    await vendor_entity(me)
    r = await me.post(ENC, json={"entityId": VENDOR, "fields": [{"field": "vat", "hashField": "vat_hash"},
                                                                {"field": "name", "hashField": None}]})
    assert r.status_code == 200, r.text
    assert (await me.get(ENC, params={"entityId": VENDOR})).json() == {"entityId": VENDOR, "fields": [
        {"field": "vat", "hashField": "vat_hash"}, {"field": "name", "hashField": None}]}
    secret = "PL-SECRET-1234567"
    r = await me.post(RECORDS, json={"entityId": VENDOR, "values": {"name": "Hidden Co", "vat": secret}})
    record = r.json()["item"]["recordId"]
    item = (await me.get(RECORDS, params={"entityId": VENDOR})).json()["items"][0]
    assert item["vat"] == secret and item["name"] == "Hidden Co"
    # Equality lookups work through the hash; a field without one cannot be filtered.
    assert (await me.get(RECORDS, params={"entityId": VENDOR, "vat": secret})).json()["total"] == 1
    assert (await me.get(RECORDS, params={"entityId": VENDOR, "vat": "other"})).json()["total"] == 0
    assert (await me.get(RECORDS, params={"entityId": VENDOR, "name": "Hidden Co"})).status_code == 400
    async with sessionmaker()() as s:
        doc = (await s.get(CustomEntityRecord, record)).custom_values
        assert set(doc) == {"name", "vat", "#vat"}  # the lookup hash of vat, none for name
        assert all(doc[k].startswith("enc:v1:") and secret not in doc[k] for k in ("name", "vat"))
        assert secret not in doc["#vat"]
        events = (await s.execute(select(OutboxEvent).where(OutboxEvent.tenant_id == me.tenant_id))).scalars().all()
        logs = (await s.execute(select(ActionLog).where(ActionLog.tenant_id == me.tenant_id))).scalars().all()
        dumped = json.dumps([e.payload for e in events], default=str) + json.dumps(
            [(entry.snapshot_before, entry.snapshot_after, entry.command_payload) for entry in logs], default=str)
        assert secret not in dumped and "Hidden Co" not in dumped
    # Taking a field out of the map decrypts its stored values.
    await me.post(ENC, json={"entityId": VENDOR, "fields": []})
    async with sessionmaker()() as s:
        doc = (await s.get(CustomEntityRecord, record)).custom_values
        assert doc == {"name": "Hidden Co", "vat": secret}
    assert (await me.get(RECORDS, params={"entityId": VENDOR, "name": "Hidden Co"})).json()["total"] == 1


async def test_features_are_required(world: World) -> None:
    viewer = await world.user(["entities.records.view", "entities.definitions.view"])
    nobody = await world.user([])
    manage_only = [("POST", DEFS), ("DELETE", DEFS), ("POST", f"{DEFS}.batch"), ("GET", f"{DEFS}.manage"),
                   ("POST", f"{DEFS}.restore"), ("GET", ENC), ("POST", ENC), ("POST", ENTITIES), ("DELETE", ENTITIES)]
    for method, path in manage_only:
        r = await viewer.client.request(method, path, headers={"Authorization": f"Bearer {viewer.token}"}, json={})
        assert r.status_code == 403 and r.json()["requiredFeatures"] == ["entities.definitions.manage"], (method, path)
    for method in ("POST", "PUT", "DELETE"):
        r = await viewer.client.request(method, RECORDS, headers={"Authorization": f"Bearer {viewer.token}"}, json={})
        assert r.status_code == 403 and r.json()["requiredFeatures"] == ["entities.records.manage"]
    r = await nobody.get(RECORDS, params={"entityId": VENDOR})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["entities.records.view"]
    r = await nobody.get("/api/entities/relations/options", params={"entityId": VENDOR})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["entities.definitions.view"]
    for path in (DEFS + "?entityId=a:b", ENTITIES, "/api/entities/sidebar-entities"):
        assert (await nobody.get(path)).status_code == 200
        assert (await world.client.get(path)).status_code == 401
    for method, path in [*manage_only, ("GET", RECORDS), ("POST", RECORDS), ("GET", "/api/entities/relations/options")]:
        assert (await world.client.request(method, path, json={})).status_code == 401


async def test_tenants_are_isolated(world: World) -> None:
    me = await world.user(ALL)
    await vendor_entity(me)
    record = (await me.post(RECORDS, json={"entityId": VENDOR, "values": {"name": "Mine"}})).json()["item"]["recordId"]
    other = await World(world.client).user(ALL)
    # Their tenant has no such entity, definitions or records.
    assert (await other.get(DEFS, params={"entityId": VENDOR})).json()["items"] == []
    assert (await other.get(RECORDS, params={"entityId": VENDOR})).json()["total"] == 0
    assert (await other.put(RECORDS, json={"entityId": VENDOR, "recordId": record, "values": {}})).status_code == 404
    await vendor_entity(other)
    assert (await other.put(RECORDS, json={"entityId": VENDOR, "recordId": record,
                                           "values": {"name": "x"}})).status_code == 404
    assert (await other.delete(RECORDS, json={"entityId": VENDOR, "recordId": record})).status_code == 404
    assert (await other.get("/api/entities/relations/options", params={"entityId": VENDOR})).json()["items"] == []
    assert (await me.get(RECORDS, params={"entityId": VENDOR})).json()["items"][0]["name"] == "Mine"
