"""Dictionaries and entries over HTTP: the reference's paths, bodies and answers, normalized values,
colors and icons, protection of the currency dictionary, tenancy, refusals, undo, the default
dictionaries and the public service."""

from __future__ import annotations

from sqlalchemy import func, select

from api.db import sessionmaker
from api.modules.dictionaries import events, service
from api.modules.dictionaries.models import Dictionary, DictionaryEntry
from api.outbox import DomainEvent
from api.outbox_models import OutboxEvent
from tests.fixtures import Caller, World

BASE = "/api/dictionaries"
MANAGE = ["dictionaries.view", "dictionaries.manage"]
MISSING = "00000000-0000-4000-8000-000000000000"


async def _dictionary(me: Caller, key: str = "lead_sources", **extra: object) -> dict[str, object]:
    r = await me.post(BASE, json={"key": key, "name": "Lead sources", **extra})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _count(model: type, **where: str) -> int:
    async with sessionmaker()() as s:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return int((await s.execute(stmt)).scalar_one())


async def test_dictionary_lifecycle(world: World) -> None:
    me = await world.user(MANAGE)
    created = await _dictionary(me, key=" lead_sources ", description="Where leads come from")
    assert created["key"] == "lead_sources" and created["name"] == "Lead sources"
    assert created["isSystem"] is False and created["isActive"] is True
    assert created["managerVisibility"] == "default" and created["organizationId"] == world.org_id
    assert set(created) >= {"id", "description", "createdAt", "updatedAt"}
    did = created["id"]

    listed = (await me.get(BASE)).json()
    assert list(listed) == ["items"] and [d["id"] for d in listed["items"]] == [did]
    assert listed["items"][0]["isInherited"] is False

    r = await me.get(f"{BASE}/{did}")
    assert r.status_code == 200 and r.json()["key"] == "lead_sources"

    r = await me.patch(f"{BASE}/{did}", json={"name": "Sources", "isActive": False})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Sources" and r.json()["isActive"] is False
    assert r.headers.get("x-om-operation")
    assert (await me.get(BASE)).json()["items"] == []
    assert [d["id"] for d in (await me.get(BASE, params={"includeInactive": "true"})).json()["items"]] == [did]

    r = await me.delete(f"{BASE}/{did}")
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await me.get(f"{BASE}/{did}")).status_code == 404
    # A deleted dictionary's key is free again.
    await _dictionary(me)


async def test_duplicate_keys_and_bad_bodies_store_nothing(world: World) -> None:
    me = await world.user(MANAGE)
    await _dictionary(me)
    r = await me.post(BASE, json={"key": "lead_sources", "name": "Again"})
    assert r.status_code == 409 and r.json() == {"error": "A dictionary with this key already exists"}
    for body in ({"name": "No key"}, {"key": "Bad Key!", "name": "x"}, {"key": "ok", "name": ""},
                 {"key": "ok", "name": "x", "isActive": "yes"}):
        r = await me.post(BASE, json=body)
        assert r.status_code == 400 and r.json()["error"] == "Invalid input", body
    r = await me.post(BASE, content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert await _count(Dictionary, tenant_id=world.tenant_id) == 1
    other = await _dictionary(me, key="other")
    r = await me.patch(f"{BASE}/{other['id']}", json={"key": "lead_sources"})
    assert r.status_code == 409
    r = await me.patch(f"{BASE}/{other['id']}", json={})
    assert r.status_code == 400
    assert (await me.patch(f"{BASE}/not-a-uuid", json={"name": "x"})).status_code == 400
    assert (await me.patch(f"{BASE}/{MISSING}", json={"name": "x"})).status_code == 404


async def test_currency_dictionary_is_protected(world: World) -> None:
    me = await world.user(MANAGE)
    cur = await _dictionary(me, key="currency")
    r = await me.delete(f"{BASE}/{cur['id']}")
    assert r.status_code == 400 and r.json() == {"error": "The currency dictionary cannot be modified or deleted."}
    assert (await me.patch(f"{BASE}/{cur['id']}", json={"key": "money"})).status_code == 400
    assert (await me.patch(f"{BASE}/{cur['id']}", json={"isActive": False})).status_code == 400
    assert (await me.patch(f"{BASE}/{cur['id']}", json={"name": "Currencies"})).status_code == 200


async def test_entries(world: World) -> None:
    me = await world.user(MANAGE)
    did = (await _dictionary(me))["id"]
    url = f"{BASE}/{did}/entries"
    r = await me.post(url, json={"value": " Web ", "color": "#3366FF", "icon": "lucide:globe"})
    assert r.status_code == 201, r.text
    web = r.json()
    assert set(web) == {"id", "value", "label", "color", "icon", "createdAt", "updatedAt"}
    assert (web["value"], web["label"], web["color"], web["icon"]) == ("Web", "Web", "#3366ff", "lucide:globe")
    r = await me.post(url, json={"value": "referral", "label": "Referral"})
    assert r.status_code == 201
    # Unique per dictionary by the normalized value.
    r = await me.post(url, json={"value": "WEB"})
    assert r.status_code == 409 and r.json() == {"error": "An entry with this value already exists."}
    for body in ({"value": ""}, {"value": "x", "color": "blue"}, {"value": "x", "color": "#12345"},
                 {"value": "x", "icon": "i" * 65}, {}):
        assert (await me.post(url, json=body)).status_code == 400, body
    assert await _count(DictionaryEntry, dictionary_id=did) == 2

    items = (await me.get(url)).json()["items"]
    assert [i["label"] for i in items] == ["Referral", "Web"]

    r = await me.patch(f"{url}/{web['id']}", json={"value": "Website", "color": None})
    assert r.status_code == 200, r.text
    assert (r.json()["value"], r.json()["label"], r.json()["color"]) == ("Website", "Website", None)
    referral = items[0]["id"]
    r = await me.patch(f"{url}/{referral}", json={"value": "website"})
    assert r.status_code == 409
    assert (await me.patch(f"{url}/{referral}", json={})).status_code == 400

    r = await me.delete(f"{url}/{web['id']}")
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await me.delete(f"{url}/{web['id']}")).status_code == 404
    assert await _count(DictionaryEntry, dictionary_id=did) == 1

    other = (await _dictionary(me, key="other"))["id"]
    # An entry is reached through its own dictionary only.
    assert (await me.patch(f"{BASE}/{other}/entries/{referral}", json={"label": "x"})).status_code == 404
    assert (await me.get(f"{BASE}/{MISSING}/entries")).status_code == 404


async def test_auth_features_and_tenancy(world: World, client: object) -> None:
    me = await world.user(MANAGE)
    did = (await _dictionary(me))["id"]
    entry = (await me.post(f"{BASE}/{did}/entries", json={"value": "web"})).json()["id"]
    viewer = await world.user(["dictionaries.view"])
    nobody = await world.user([])
    calls = [("get", BASE, "dictionaries.view"), ("post", BASE, "dictionaries.manage"),
             ("get", f"{BASE}/{did}", "dictionaries.view"), ("patch", f"{BASE}/{did}", "dictionaries.manage"),
             ("delete", f"{BASE}/{did}", "dictionaries.manage"),
             ("get", f"{BASE}/{did}/entries", "dictionaries.view"),
             ("post", f"{BASE}/{did}/entries", "dictionaries.manage"),
             ("patch", f"{BASE}/{did}/entries/{entry}", "dictionaries.manage"),
             ("delete", f"{BASE}/{did}/entries/{entry}", "dictionaries.manage")]
    for method, url, feature in calls:
        kw = {"json": {"name": "x", "key": "k", "value": "v"}} if method in ("post", "patch") else {}
        r = await getattr(world.client, method if method != "delete" else "request")(
            *(("DELETE", url) if method == "delete" else (url,)), **kw)
        assert r.status_code == 401, (method, url)
        r = await getattr(nobody, method)(url, **kw)
        assert r.status_code == 403 and r.json()["requiredFeatures"] == [feature], (method, url)
        if feature == "dictionaries.manage":
            assert (await getattr(viewer, method)(url, **kw)).status_code == 403
    assert (await viewer.get(f"{BASE}/{did}/entries")).status_code == 200

    stranger = await World(world.client).user(MANAGE)
    for method, url, _ in calls:
        kw = {"json": {"name": "x", "value": "v"}} if method in ("post", "patch") else {}
        if url == BASE:
            continue
        r = await getattr(stranger, method)(url, **kw)
        assert r.status_code == 404, (method, url, r.text)
    assert (await stranger.get(BASE)).json()["items"] == []
    assert await _count(DictionaryEntry, dictionary_id=did) == 1


async def test_new_organizations_get_the_defaults_once(world: World) -> None:
    admin = await world.user(["directory.organizations.manage", "directory.organizations.view", *MANAGE])
    r = await admin.post("/api/directory/organizations", json={"name": "Branch"})
    assert r.status_code == 201, r.text
    org_id = r.json()["id"]
    async with sessionmaker()() as s:
        row = (await s.execute(select(OutboxEvent).where(OutboxEvent.name == "directory.organization.created",
                                                         OutboxEvent.organization_id == org_id)
                               .order_by(OutboxEvent.seq.desc()))).scalars().first()
        if row is None:  # the event carries the new organization's id in its payload
            row = (await s.execute(select(OutboxEvent).where(OutboxEvent.name == "directory.organization.created")
                                   .order_by(OutboxEvent.seq.desc()))).scalars().first()
        assert row is not None and row.payload["id"] == org_id
        event = DomainEvent(row.id, row.seq, row.name, row.tenant_id, row.organization_id, dict(row.payload),
                            row.created_at)
    await events.seed_new_organization(event)
    await events.seed_new_organization(event)  # redelivered: nothing twice
    branch = await world.user(MANAGE, org_id=org_id)
    keys = sorted(d["key"] for d in (await branch.get(BASE)).json()["items"])
    assert keys == sorted(d.key for d in service.DEFAULTS)
    statuses = next(d for d in (await branch.get(BASE)).json()["items"] if d["key"] == "sales.order_status")
    assert statuses["isSystem"] is True and statuses["managerVisibility"] == "hidden"
    values = [e["value"] for e in (await branch.get(f"{BASE}/{statuses['id']}/entries")).json()["items"]]
    assert sorted(values) == sorted(s.value for s in service.DEFAULTS[0].entries)

    async with sessionmaker()() as s:
        draft = await service.resolve_entry(s, tenant_id=world.tenant_id, organization_id=org_id,
                                            key="sales.order_status", value=" DRAFT ")
        assert draft is not None and draft.label == "Draft" and draft.color == "#94a3b8"
        assert await service.resolve_entry(s, tenant_id=world.tenant_id, organization_id=org_id,
                                           key="sales.order_status", value="nope") is None
        # A child organization without its own dictionary sees its parent's.
        await service.ensure_defaults(s, tenant_id=world.tenant_id, organization_id=world.org_id)
        await s.commit()
    child = await world.org("Child", parent_id=world.org_id)
    async with sessionmaker()() as s:
        kinds = await service.entries(s, tenant_id=world.tenant_id, organization_id=child, key="sales.adjustment_kind")
        assert [k.value for k in kinds] == ["custom", "discount", "shipping", "surcharge", "tax"]
        assert await service.ensure_defaults(s, tenant_id=world.tenant_id, organization_id=world.org_id) == 0
