"""The CRM through HTTP: people and companies with their profiles, list filters, tags, deals with
participants, the timeline, addresses, dictionaries, todo links, settings and widgets; features,
tenancy and bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures import Caller, World

P = "/api/customers/people"
C = "/api/customers/companies"
D = "/api/customers/deals"
ALL = ["customers.*", "dashboards.*", "example.todos.*", "entities.*", "dictionaries.*", "audit_logs.*"]


async def person(me: Caller, first: str = "Ada", last: str = "Lovelace", **fields: Any) -> str:
    r = await me.post(P, json={"firstName": first, "lastName": last, **fields})
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "personId"} and body["personId"]
    return body["id"]  # type: ignore[no-any-return]


async def company(me: Caller, name: str = "Acme", **fields: Any) -> str:
    r = await me.post(C, json={"displayName": name, **fields})
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"id", "companyId"}
    return r.json()["id"]  # type: ignore[no-any-return]


async def tag(me: Caller, label: str) -> str:
    r = await me.post("/api/customers/tags", json={"label": label, "color": "#ff0000"})
    assert r.status_code == 201, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


async def ids(me: Caller, url: str, **params: Any) -> list[str]:
    r = await me.get(url, params=params)
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


async def test_people_and_companies_share_one_entity_with_profiles(world: World) -> None:
    me = await world.user(ALL)
    acme = await company(me, "Acme", legalName="Acme Sp. z o.o.", annualRevenue="1200000.50",
                         websiteUrl="https://acme.example")
    ada = await person(me, primaryEmail="Ada@Example.com", primaryPhone="+48 600-100-200", jobTitle="CTO",
                       companyEntityId=acme, nextInteraction={"at": "2030-01-02T10:00:00Z", "name": "Call"})
    r = await me.get(P)
    body = r.json()
    assert set(body) >= {"items", "total", "totalPages"} and body["total"] == 1
    item = body["items"][0]
    assert item["id"] == ada and item["display_name"] == "Ada Lovelace" and item["primary_email"] == "ada@example.com"
    assert item["next_interaction_name"] == "Call" and "phone_digits" not in item
    assert await ids(me, C) == [acme]  # a person is not a company

    r = await me.get(f"{P}/{ada}")
    assert r.status_code == 200, r.text
    agg = r.json()
    assert agg["person"]["displayName"] == "Ada Lovelace"
    assert agg["profile"]["jobTitle"] == "CTO" and agg["profile"]["companyEntityId"] == acme
    assert agg["addresses"] == [] and agg["viewer"]["userId"] == me.user_id and agg["viewer"]["email"] == me.email

    r = await me.put(P, json={"id": ada, "lastName": "King", "jobTitle": "CEO", "nextInteraction": None})
    assert r.status_code == 200 and r.json() == {"ok": True}
    agg = (await me.get(f"{P}/{ada}")).json()
    assert agg["profile"]["lastName"] == "King" and agg["profile"]["jobTitle"] == "CEO"
    assert agg["person"]["nextInteractionAt"] is None

    agg = (await me.get(f"{C}/{acme}", params={"include": "people"})).json()
    assert agg["profile"]["legalName"] == "Acme Sp. z o.o." and agg["profile"]["annualRevenue"] == "1200000.50"
    assert [p["id"] for p in agg["people"]] == [ada] and agg["people"][0]["jobTitle"] == "CEO"

    r = await me.delete(P, params={"id": ada})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert await ids(me, P) == []
    assert (await me.get(f"{P}/{ada}")).status_code == 404
    assert (await me.get(f"{P}/not-a-uuid")).status_code == 400
    assert (await me.get(f"{C}/{ada}")).status_code == 404  # a person is not a company


async def test_list_filters(world: World) -> None:
    me = await world.user(ALL)
    r = await me.post("/api/entities/definitions", json={
        "entityId": "customers:customer_person_profile", "key": "tier", "kind": "select",
        "configJson": {"options": ["gold", "silver"]}})
    assert r.status_code in (200, 201), r.text
    vip = await tag(me, "VIP")
    a = await person(me, "Ann", "A", primaryEmail="ann@alpha.io", status="active", cf_tier="gold", tags=[vip],
                     nextInteraction={"at": "2030-01-01T00:00:00Z", "name": "Meet"})
    b = await person(me, "Bob", "B", primaryEmail="bob@beta.io", primaryPhone="123456", lifecycleStage="lead",
                     source="web")
    c = await person(me, "Cid", "C")
    assert await ids(me, P, emailStartsWith="ANN") == [a]
    assert await ids(me, P, emailContains="beta") == [b]
    assert await ids(me, P, email="Bob@Beta.io") == [b]
    assert sorted(await ids(me, P, hasEmail="false")) == [c]
    assert await ids(me, P, hasPhone="true") == [b]
    assert await ids(me, P, hasNextInteraction="true") == [a]
    assert await ids(me, P, status="active") == [a]
    assert await ids(me, P, lifecycleStage="lead", source="web") == [b]
    assert await ids(me, P, tagIds=vip) == [a]
    assert sorted(await ids(me, P, tagIdsEmpty="true")) == sorted([b, c])
    assert await ids(me, P, cf_tier="gold") == [a]
    assert await ids(me, P, search="bob") == [b]
    assert await ids(me, P, sortField="name", sortDir="asc") == [a, b, c]
    assert await ids(me, P, createdTo="2000-01-01") == []
    assert len(await ids(me, P, createdFrom="2000-01-01")) == 3
    r = await me.get(P, params={"createdFrom": "yesterday"})
    assert r.status_code == 400
    r = await me.get(P, params={"format": "csv", "exportScope": "full"})
    assert r.status_code == 200 and "display_name" in r.text and "Ann A" in r.text and "cf_tier" in r.text
    r = await me.get(P, params={"ids": a})
    assert r.json()["items"][0]["cf_tier"] == "gold"


async def test_undoing_a_customer_update_puts_its_profile_and_tags_back(world: World) -> None:
    me = await world.user(ALL)
    vip, lead = await tag(me, "VIP"), await tag(me, "Lead")
    ada = await person(me, jobTitle="CTO", tags=[vip])
    acme = await company(me, industry="Rail", annualRevenue="5000000", tags=[lead])
    for path, target, change in ((P, ada, {"jobTitle": "CEO", "tags": [lead]}),
                                 (C, acme, {"industry": "Air", "annualRevenue": 6000000, "tags": []})):
        before = (await me.get(f"{path}/{target}")).json()
        r = await me.put(path, json={"id": target, **change})
        assert r.status_code == 200, r.text
        undo = await me.post("/api/audit_logs/audit-logs/actions/undo",
                             json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
        assert undo.status_code == 200, undo.text
        after = (await me.get(f"{path}/{target}")).json()
        assert after["profile"] == before["profile"] and after["tags"] == before["tags"], path


async def test_tags_assign_and_unassign(world: World, client: Any) -> None:
    me = await world.user(ALL)
    ada = await person(me)
    vip = await tag(me, "VIP")
    r = await me.post("/api/customers/tags/assign", json={"tagId": vip, "entityId": ada})
    assert r.status_code == 201, r.text
    assert (await me.get(f"{P}/{ada}")).json()["tags"] == [{"id": vip, "label": "VIP", "color": "#ff0000"}]
    r = await me.get("/api/customers/tags")
    assert r.json()["items"][0]["slug"] == "vip"
    r = await me.post("/api/customers/tags/unassign", json={"tagId": vip, "entityId": ada})
    assert r.status_code == 200, r.text
    assert (await me.get(f"{P}/{ada}")).json()["tags"] == []

    other = await World(client).user(ALL)
    theirs = await person(other, "Eve", "Other")
    r = await me.post("/api/customers/tags/assign", json={"tagId": vip, "entityId": theirs})
    assert r.status_code in (400, 404)
    r = await me.post(P, json={"firstName": "X", "lastName": "Y", "tags": [await tag(other, "Theirs")]})
    assert r.status_code == 400 and await ids(me, P) == [ada]


async def test_deals_with_participants(world: World) -> None:
    me = await world.user(ALL)
    ada, bob = await person(me), await person(me, "Bob", "Builder")
    acme = await company(me)
    r = await me.post(D, json={"title": "Big one", "valueAmount": "1000.10", "valueCurrency": "pln",
                               "probability": 40, "people": [{"id": ada, "participantRole": "champion"}],
                               "personIds": [bob], "companyIds": [acme]})
    assert r.status_code == 201, r.text
    deal = r.json()["id"]
    item = (await me.get(D)).json()["items"][0]
    assert item["status"] == "open" and item["value_amount"] == "1000.10" and item["value_currency"] == "PLN"
    assert item["organizationId"] == me.org_id
    detail = (await me.get(f"{D}/{deal}")).json()
    assert {p["id"]: p["participantRole"] for p in detail["people"]} == {ada: "champion", bob: None}
    assert [c["id"] for c in detail["companies"]] == [acme] and detail["companies"][0]["kind"] == "company"
    assert await ids(me, D, personEntityId=bob) == [deal]
    assert await ids(me, D, companyEntityId=acme) == [deal]
    agg = (await me.get(f"{P}/{ada}", params={"include": "deals"})).json()
    assert [d["id"] for d in agg["deals"]] == [deal]
    r = await me.put(D, json={"id": deal, "personIds": [bob], "status": "won"})
    assert r.status_code == 200
    assert await ids(me, D, personEntityId=ada) == []
    assert await ids(me, D, status="won") == [deal]
    # Undone, the update gives the deal its participants back, roles and all; redone, it takes them again.
    undo = await me.post("/api/audit_logs/audit-logs/actions/undo",
                         json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    detail = (await me.get(f"{D}/{deal}")).json()
    assert {p["id"]: p["participantRole"] for p in detail["people"]} == {ada: "champion", bob: None}
    assert await ids(me, D, status="open") == [deal]
    redo = await me.post("/api/audit_logs/audit-logs/actions/redo", json={"logId": undo.json()["logId"]})
    assert redo.status_code == 200, redo.text
    assert await ids(me, D, personEntityId=ada) == [] and await ids(me, D, status="won") == [deal]
    r = await me.post(D, json={"title": "Bad", "personIds": [acme]})  # a company is not a person
    assert r.status_code == 400 and len(await ids(me, D)) == 1
    r = await me.post(D, json={"title": "Bad", "probability": 140})
    assert r.status_code == 400 and len(await ids(me, D)) == 1


async def test_timeline_and_addresses(world: World) -> None:
    me = await world.user(ALL)
    ada = await person(me)
    r = await me.post("/api/customers/comments", json={"entityId": ada, "body": "Met at the fair"})
    assert r.status_code == 201 and r.json()["authorUserId"] == me.user_id
    r = await me.post("/api/customers/dictionaries/activity_type", json={"value": "call", "label": "Phone call"})
    assert r.status_code == 201, r.text
    r = await me.post("/api/customers/activities", json={"entityId": ada, "activityType": "call",
                                                         "subject": "Intro", "occurredAt": "2030-01-01T09:00:00Z"})
    assert r.status_code == 201, r.text
    items = (await me.get("/api/customers/activities", params={"entityId": ada})).json()["items"]
    assert items[0]["activityTypeLabel"] == "Phone call" and items[0]["authorEmail"] == me.email
    assert items[0]["entityId"] == ada
    comments = (await me.get("/api/customers/comments", params={"entityId": ada})).json()["items"]
    assert comments[0]["body"] == "Met at the fair" and comments[0]["entity_id"] == ada

    first = (await me.post("/api/customers/addresses", json={"entityId": ada, "addressLine1": "Main 1",
                                                             "isPrimary": True})).json()["id"]
    r = await me.post("/api/customers/addresses", json={"entityId": ada, "addressLine1": "Side 2", "isPrimary": True})
    second = r.json()["id"]

    async def primary() -> dict[str, bool]:
        return {a["id"]: a["is_primary"] for a in (await me.get("/api/customers/addresses",
                                                                params={"entityId": ada})).json()["items"]}

    assert await primary() == {first: False, second: True}
    # Marking the first primary again unmarks the second; undoing that puts the flag back on the second.
    r = await me.put("/api/customers/addresses", json={"id": first, "isPrimary": True})
    assert r.status_code == 200 and await primary() == {first: True, second: False}
    undo = await me.post("/api/audit_logs/audit-logs/actions/undo",
                         json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    assert await primary() == {first: False, second: True}
    # Undoing the creation of a new primary gives the flag back to the one that had it.
    r = await me.post("/api/customers/addresses", json={"entityId": ada, "addressLine1": "Back 3", "isPrimary": True})
    third = r.json()["id"]
    assert (await primary())[third] is True and (await primary())[second] is False
    undo = await me.post("/api/audit_logs/audit-logs/actions/undo",
                         json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    assert await primary() == {first: False, second: True}
    agg = (await me.get(f"{P}/{ada}", params={"include": "addresses,comments,activities"})).json()
    assert [a["id"] for a in agg["addresses"]] == [second, first]
    assert agg["comments"][0]["authorName"] and agg["activities"][0]["subject"] == "Intro"
    r = await me.post("/api/customers/addresses", json={"entityId": ada})
    assert r.status_code == 400
    r = await me.post("/api/customers/comments", json={"entityId": "00000000-0000-4000-8000-000000000000",
                                                       "body": "x"})
    assert r.status_code == 404


async def test_dictionaries(world: World) -> None:
    me = await world.user(ALL)
    url = "/api/customers/dictionaries/status"
    r = await me.post(url, json={"value": "Active", "color": "#00ff00"})
    assert r.status_code == 201 and r.json()["label"] == "Active"
    entry = r.json()["id"]
    r = await me.post(url, json={"value": " active ", "label": "Is active"})
    assert r.status_code == 200 and r.json()["id"] == entry and r.json()["label"] == "Is active"
    other = (await me.post(url, json={"value": "lost"})).json()["id"]
    r = await me.patch(f"{url}/{other}", json={"value": "ACTIVE"})
    assert r.status_code == 409
    r = await me.patch(f"{url}/{other}", json={})
    assert r.status_code == 400
    r = await me.patch(f"{url}/{other}", json={"label": "Lost for good"})
    assert r.status_code == 200 and r.json()["label"] == "Lost for good"
    assert [i["value"] for i in (await me.get(url)).json()["items"]] == ["active", "lost"]
    r = await me.delete(f"{url}/{other}")
    assert r.status_code == 200 and r.json() == {"success": True}
    assert (await me.delete(f"{url}/{other}")).status_code == 404
    assert (await me.get("/api/customers/dictionaries/planets")).status_code == 400
    assert (await me.patch(f"/api/customers/dictionaries/source/{entry}", json={"label": "x"})).status_code == 404
    child = await world.org("Child")
    kid = await world.user(ALL, org_id=child)
    r = await kid.post(url, json={"value": "active", "label": "Child active"})
    assert r.status_code == 201
    items = (await kid.get(url)).json()["items"]
    assert {(i["value"], i["isInherited"]) for i in items} == {("active", False)}
    assert (await me.get("/api/customers/dictionaries/currency")).status_code == 404
    r = await me.post("/api/dictionaries", json={"key": "currency", "name": "Currencies"})
    assert r.status_code == 201, r.text
    r = await me.post(f"/api/dictionaries/{r.json()['id']}/entries", json={"value": "EUR", "label": "Euro"})
    r = await me.get("/api/customers/dictionaries/currency")
    assert r.status_code == 200 and r.json()["entries"][0]["value"] == "EUR"


async def test_check_phone_and_address_format(world: World) -> None:
    me = await world.user(ALL)
    ada = await person(me, primaryPhone="+48 (600) 100-200")
    r = await me.get(f"{P}/check-phone", params={"digits": "48600100200"})
    assert r.json() == {"match": {"id": ada, "displayName": "Ada Lovelace"}}
    assert (await me.get(f"{P}/check-phone", params={"digits": "600100200"})).json() == {"match": None}
    assert (await me.get(f"{P}/check-phone", params={"digits": "12"})).json() == {"match": None}
    # Undoing a phone change, the lookup follows the phone back.
    r = await me.put(P, json={"id": ada, "primaryPhone": "+48 700 000 000"})
    undo = await me.post("/api/audit_logs/audit-logs/actions/undo",
                         json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    assert (await me.get(f"{P}/check-phone", params={"digits": "48600100200"})).json()["match"]["id"] == ada
    assert (await me.get(f"{P}/check-phone", params={"digits": "48700000000"})).json() == {"match": None}
    url = "/api/customers/settings/address-format"
    assert (await me.get(url)).json() == {"addressFormat": "line_first"}
    r = await me.put(url, json={"addressFormat": "street_first"})
    assert r.status_code == 200 and r.json() == {"addressFormat": "street_first"}
    assert (await me.get(url)).json() == {"addressFormat": "street_first"}
    assert (await me.put(url, json={"addressFormat": "sideways"})).status_code == 400
    assert (await me.get(url)).json() == {"addressFormat": "street_first"}


async def test_todo_links(world: World) -> None:
    me = await world.user(ALL)
    ada = await person(me)
    r = await me.post("/api/customers/todos", json={"entityId": ada, "title": "Send offer",
                                                    "todoCustom": {"priority": "high"}})
    assert r.status_code == 201, r.text
    todo, link = r.json()["todoId"], r.json()["linkId"]
    assert (await me.get("/api/example/todos", params={"id": todo})).json()["items"][0]["title"] == "Send offer"
    items = (await me.get("/api/customers/todos", params={"entityId": ada})).json()["items"]
    assert items[0]["todoTitle"] == "Send offer" and items[0]["todoPriority"] == "high"
    assert items[0]["customer"] == {"id": ada, "displayName": "Ada Lovelace", "kind": "person"}
    assert await ids(me, "/api/customers/todos", search="offer") == [link]
    assert await ids(me, "/api/customers/todos", isDone="true") == []

    other = (await me.post("/api/example/todos", json={"title": "Existing"})).json()["id"]
    r = await me.put("/api/customers/todos", json={"entityId": ada, "todoId": other})
    assert r.status_code == 200, r.text
    again = await me.put("/api/customers/todos", json={"entityId": ada, "todoId": other})
    assert again.json()["linkId"] == r.json()["linkId"]
    agg = (await me.get(f"{P}/{ada}", params={"include": "todos"})).json()
    assert {t["title"] for t in agg["todos"]} == {"Send offer", "Existing"}
    r = await me.delete("/api/customers/todos", json={"id": link})
    assert r.status_code == 200 and r.json() == {"linkId": link}
    assert len(await ids(me, "/api/customers/todos")) == 1
    assert (await me.get("/api/example/todos", params={"id": todo})).json()["total"] == 1  # the todo stays
    r = await me.post("/api/customers/todos", json={"entityId": ada})
    assert r.status_code == 400
    widget = (await me.get("/api/customers/dashboard/widgets/customer-todos")).json()["items"]
    assert widget[0]["todoTitle"] == "Existing" and widget[0]["entity"]["displayName"] == "Ada Lovelace"


async def test_widgets(world: World) -> None:
    me = await world.user(ALL)
    ada = await person(me, nextInteraction={"at": "2099-01-01T00:00:00Z", "name": "Later"})
    await person(me, "Old", "Timer", nextInteraction={"at": "2001-01-01T00:00:00Z", "name": "Past"})
    acme = await company(me)
    await me.post(D, json={"title": "Deal", "valueAmount": "5"})
    base = "/api/customers/dashboard/widgets"
    items = (await me.get(f"{base}/new-customers", params={"kind": "company"})).json()["items"]
    assert [i["id"] for i in items] == [acme]
    assert len((await me.get(f"{base}/new-customers", params={"limit": 2})).json()["items"]) == 2
    body = (await me.get(f"{base}/next-interactions")).json()
    assert [i["id"] for i in body["items"]] == [ada] and body["now"]
    assert len((await me.get(f"{base}/next-interactions", params={"includePast": "true"})).json()["items"]) == 2
    assert (await me.get(f"{base}/new-deals")).json()["items"][0]["valueAmount"] == "5.00"
    assert (await me.get(f"{base}/new-deals", params={"limit": "lots"})).status_code == 400
    r = await me.get("/api/dashboards/widgets/catalog")
    assert {"customers.dashboard.new-deals", "customers.dashboard.next-interactions"} <= \
        {w["id"] for w in r.json()["items"]}


ROUTES = [
    ("GET", P, "customers.people.view"), ("POST", P, "customers.people.manage"),
    ("PUT", P, "customers.people.manage"), ("DELETE", P, "customers.people.manage"),
    ("GET", f"{P}/check-phone?digits=1234", "customers.people.view"),
    ("GET", f"{P}/00000000-0000-4000-8000-000000000000", "customers.people.view"),
    ("GET", C, "customers.companies.view"), ("POST", C, "customers.companies.manage"),
    ("GET", f"{C}/00000000-0000-4000-8000-000000000000", "customers.companies.view"),
    ("GET", D, "customers.deals.view"), ("POST", D, "customers.deals.manage"),
    ("GET", f"{D}/00000000-0000-4000-8000-000000000000", "customers.deals.view"),
    ("GET", "/api/customers/activities", "customers.activities.view"),
    ("POST", "/api/customers/activities", "customers.activities.manage"),
    ("GET", "/api/customers/comments", "customers.activities.view"),
    ("POST", "/api/customers/addresses", "customers.activities.manage"),
    ("GET", "/api/customers/tags", "customers.activities.view"),
    ("POST", "/api/customers/tags/assign", "customers.activities.manage"),
    ("POST", "/api/customers/tags/unassign", "customers.activities.manage"),
    ("GET", "/api/customers/todos", "customers.activities.view"),
    ("POST", "/api/customers/todos", "customers.activities.manage"),
    ("PUT", "/api/customers/todos", "customers.activities.manage"),
    ("DELETE", "/api/customers/todos", "customers.activities.manage"),
    ("GET", "/api/customers/dictionaries/status", "customers.people.view"),
    ("GET", "/api/customers/dictionaries/currency", "customers.people.view"),
    ("POST", "/api/customers/dictionaries/status", "customers.settings.manage"),
    ("PATCH", "/api/customers/dictionaries/status/00000000-0000-4000-8000-000000000000", "customers.settings.manage"),
    ("DELETE", "/api/customers/dictionaries/status/00000000-0000-4000-8000-000000000000",
     "customers.settings.manage"),
    ("GET", "/api/customers/settings/address-format", "customers.settings.manage"),
    ("PUT", "/api/customers/settings/address-format", "customers.settings.manage"),
    ("GET", "/api/customers/dashboard/widgets/new-customers", "customers.widgets.new-customers"),
    ("GET", "/api/customers/dashboard/widgets/new-deals", "customers.widgets.new-deals"),
    ("GET", "/api/customers/dashboard/widgets/customer-todos", "customers.widgets.todos"),
    ("GET", "/api/customers/dashboard/widgets/next-interactions", "customers.widgets.next-interactions"),
]


@pytest.mark.parametrize(("method", "url", "feature"), ROUTES)
async def test_features_are_required(world: World, client: Any, method: str, url: str, feature: str) -> None:
    anonymous = await client.request(method, url, json={}, headers={"Cookie": ""})
    assert anonymous.status_code == 401, anonymous.text
    outsider = await world.user(["example.todos.view"])
    r = await outsider.client.request(method, url, json={}, headers=outsider._h(None))
    assert r.status_code == 403, r.text
    assert feature in r.json()["requiredFeatures"]


async def test_other_tenants_see_nothing(world: World, client: Any) -> None:
    me = await world.user(ALL)
    ada = await person(me)
    deal = (await me.post(D, json={"title": "Mine", "personIds": [ada]})).json()["id"]
    address = (await me.post("/api/customers/addresses", json={"entityId": ada, "addressLine1": "Main"})).json()["id"]
    other = await World(client).user(ALL)
    assert (await other.get(f"{P}/{ada}")).status_code == 404
    assert (await other.get(f"{D}/{deal}")).status_code == 404
    assert await ids(other, P) == [] and await ids(other, D) == []
    assert (await other.put(P, json={"id": ada, "firstName": "Hacked"})).status_code == 404
    assert (await other.delete("/api/customers/addresses", params={"id": address})).status_code == 404
    assert (await other.get("/api/customers/activities", params={"entityId": ada})).status_code == 404
    r = await other.post("/api/customers/comments", json={"entityId": ada, "body": "x"})
    assert r.status_code == 404
    r = await other.put("/api/customers/todos", json={"entityId": ada, "todoId": ada})
    assert r.status_code == 404
    assert (await me.get(f"{P}/{ada}")).json()["profile"]["firstName"] == "Ada"


async def test_bad_input_stores_nothing(world: World) -> None:
    me = await world.user(ALL)
    for body in ({"firstName": "A"}, {"firstName": "A", "lastName": "B", "primaryEmail": "nope"},
                 {"firstName": "A", "lastName": "B", "nextInteraction": {"at": "soon", "name": "x"}},
                 {"firstName": "A", "lastName": "B", "companyEntityId": "00000000-0000-4000-8000-000000000000"},
                 {"firstName": "A", "lastName": "B", "linkedInUrl": "not a url"}, [1, 2]):
        r = await me.post(P, json=body)
        assert r.status_code == 400, (body, r.text)
        assert "error" in r.json()
    r = await me.post(P, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = await me.post(C, json={"displayName": "X", "annualRevenue": "-1"})
    assert r.status_code == 400
    r = await me.post(P, json={"firstName": "A" * 3_000_000, "lastName": "B"})
    assert r.status_code == 413
    assert await ids(me, P) == [] and await ids(me, C) == []
