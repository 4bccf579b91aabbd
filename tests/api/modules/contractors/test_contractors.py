"""Contractors through HTTP: contractors with nested children, the by-id routes, addresses and contacts,
role types, the 1:1 upserts of payment terms and credit limits, list filters (roles, branches, credit
exceeded), the grids; features, tenancy and bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures import Caller, World

C = "/api/contractors/contractors"
A = "/api/contractors/addresses"
K = "/api/contractors/contacts"
R = "/api/contractors/role-types"
PT = "/api/contractors/payment-terms"
CL = "/api/contractors/credit-limits"
ALL = ["contractors.*"]
MISSING = "00000000-0000-4000-8000-000000000000"


async def contractor(me: Caller, name: str = "MSC", **fields: Any) -> str:
    r = await me.post(C, json={"name": name, **fields})
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"id"}
    return r.json()["id"]  # type: ignore[no-any-return]


async def role_type(me: Caller, code: str, category: str, **fields: Any) -> str:
    r = await me.post(R, json={"code": code, "name": code.title(), "category": category, **fields})
    assert r.status_code == 201, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


async def page(me: Caller, url: str, **params: Any) -> dict[str, Any]:
    r = await me.get(url, params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def ids(me: Caller, url: str, **params: Any) -> list[str]:
    return [i["id"] for i in (await page(me, url, **params))["items"]]


async def test_nested_create_and_the_contractor_by_id(world: World) -> None:
    me = await world.user(ALL)
    carrier = await role_type(me, "carrier", "carrier", color="#00f")
    msc = await contractor(
        me, "MSC", shortName="MSC", taxId="PL123", roleTypeIds=[carrier],
        primaryContactEmail="Ops@MSC.example",
        contacts=[{"firstName": "Jan", "lastName": "Kowalski", "email": "jan@msc.example", "phone": ""}],
        addresses=[{"purpose": "office", "addressLine": "1 Quay", "city": "Gdynia", "country": "PL",
                    "isPrimary": True}, {"purpose": "billing", "city": ""}],
        paymentTerms={"paymentDays": 45, "paymentMethod": "bank_transfer", "iban": "PL61109010140000071219812874",
                      "bankAccountNumber": "123456"},
        creditLimit={"creditLimit": 10000, "currencyCode": "eur"})
    r = await me.get(f"{C}/{msc}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "MSC" and body["shortName"] == "MSC" and body["taxId"] == "PL123"
    assert body["roleTypeIds"] == [carrier] and body["parentId"] is None and body["isActive"] is True
    assert [c["email"] for c in body["contacts"]] == ["ops@msc.example", "jan@msc.example"]
    assert body["contacts"][0]["isPrimary"] is True and body["contacts"][1]["phone"] is None
    assert [a["purpose"] for a in body["addresses"]] == ["office", "billing"]
    assert body["addresses"][1]["city"] is None
    assert body["paymentTerms"]["paymentDays"] == 45 and body["paymentTerms"]["currencyCode"] == "USD"
    assert body["paymentTerms"]["iban"] == "PL61109010140000071219812874"
    assert body["creditLimit"]["creditLimit"] == "10000.00" and body["creditLimit"]["currencyCode"] == "EUR"
    assert body["creditLimit"]["isUnlimited"] is False

    listing = await page(me, C)
    assert set(listing) == {"items", "total", "page", "limit", "totalPages"} and listing["total"] == 1
    item = listing["items"][0]
    assert item["roles"] == [{"id": carrier, "roleTypeId": carrier, "roleTypeName": "Carrier",
                              "roleTypeCode": "carrier", "roleTypeColor": "#00f", "roleTypeCategory": "carrier",
                              "isActive": True}]
    assert item["primaryContactEmail"] == "ops@msc.example"
    assert item["primaryAddress"] == {"addressLine": "1 Quay", "city": "Gdynia", "country": "PL"}
    assert item["paymentTerms"] == {"paymentDays": 45, "paymentMethod": "bank_transfer", "currencyCode": "USD"}
    assert item["creditLimit"]["creditLimit"] == "10000.00" and item["creditLimit"]["isOverLimit"] is False
    assert item["organizationId"] == world.org_id and item["tenantId"] == world.tenant_id

    terms = (await page(me, PT, contractorId=msc))["items"][0]
    assert terms["iban"] == "PL61****2874" and terms["bankAccountNumber"] == "****"
    assert terms["bankRoutingNumber"] is None

    r = await me.put(f"{C}/{msc}", json={"name": "MSC Mediterranean", "isActive": False})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "MSC Mediterranean" and r.json()["isActive"] is False
    assert r.json()["roleTypeIds"] == [carrier] and "x-om-operation" in r.headers
    r = await me.put(C, json={"id": msc, "taxId": None})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await me.get(f"{C}/{msc}")).json()["taxId"] is None

    r = await me.delete(f"{C}/{msc}")
    assert r.status_code == 204 and r.content == b""
    assert (await me.get(f"{C}/{msc}")).status_code == 404
    assert await ids(me, C) == []
    assert await ids(me, C, withDeleted="true") == [msc]


async def test_contractor_crud_with_id_in_the_body(world: World) -> None:
    me = await world.user(ALL)
    one = await contractor(me, "One")
    r = await me.put(C, json={"id": one, "shortName": "1"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    r = await me.delete(C, params={"id": one})
    assert r.status_code == 204 and r.content == b""
    two = await contractor(me, "Two")
    r = await me.delete(C, json={"id": two})
    assert r.status_code == 204 and r.content == b""
    assert await ids(me, C) == []
    r = await me.delete(C)
    assert r.status_code == 400 and r.json()["error"] == "Contractor id is required"


async def test_payment_terms_and_credit_limits_are_upserts(world: World) -> None:
    me = await world.user(ALL)
    msc = await contractor(me)
    r = await me.put(PT, json={"contractorId": msc, "paymentDays": 14})
    assert r.status_code == 200 and r.json() == {"ok": True}
    r = await me.post(PT, json={"contractorId": msc, "paymentMethod": "card"})
    assert r.status_code == 201, r.text
    terms = r.json()["id"]
    items = (await page(me, PT))["items"]
    assert [i["id"] for i in items] == [terms]
    assert items[0]["paymentDays"] == 14 and items[0]["paymentMethod"] == "card" and items[0]["currencyCode"] == "USD"
    assert items[0]["contractorId"] == msc

    r = await me.post(CL, json={"contractorId": msc, "creditLimit": "5000.50"})
    assert r.status_code == 201, r.text
    limit = r.json()["id"]
    r = await me.put(CL, json={"contractorId": msc, "currentExposure": 6000})
    assert r.status_code == 200 and r.json() == {"ok": True}
    item = (await page(me, CL, contractorId=msc))["items"][0]
    assert item["id"] == limit and item["creditLimit"] == "5000.50" and item["currentExposure"] == "6000.00"
    assert item["isOverLimit"] is True and item["availableCredit"] == "0.00" and item["exposurePercentage"] == "120.0"
    assert (await page(me, CL))["total"] == 1

    r = await me.delete(CL, params={"id": limit})
    assert r.status_code == 204 and r.content == b""
    assert (await me.get(f"{C}/{msc}")).json()["creditLimit"] is None
    r = await me.delete(PT, json={"id": terms})
    assert r.status_code == 204 and r.content == b""
    assert (await page(me, PT))["items"] == []


async def test_credit_exceeded_role_category_and_branch_filters(world: World) -> None:
    me = await world.user(ALL)
    carrier = await role_type(me, "carrier", "carrier")
    agent = await role_type(me, "agent", "intermediary")
    over = await contractor(me, "Over", roleTypeIds=[carrier, agent],
                            creditLimit={"creditLimit": "100", "currentExposure": "150"})
    within = await contractor(me, "Within", roleTypeIds=[agent], creditLimit={"creditLimit": "100",
                                                                            "currentExposure": "50"})
    unlimited = await contractor(me, "Unlimited", creditLimit={"isUnlimited": True, "currentExposure": "99"})
    branch = await contractor(me, "Branch", parentId=over, addresses=[{"purpose": "office", "country": "NL"}])

    assert await ids(me, C, creditExceeded="true") == [over]
    assert set(await ids(me, C, creditExceeded="false")) == {within, unlimited, branch}
    assert await ids(me, CL, creditExceeded="true") == [(await page(me, CL, contractorId=over))["items"][0]["id"]]
    assert await ids(me, C, roleCategory="carrier") == [over]
    assert set(await ids(me, C, roleCategory="intermediary")) == {over, within}
    assert await ids(me, C, roleCategory="facility") == []
    assert await ids(me, C, roleTypeId=agent, sortBy="name", sortOrder="asc") == [over, within]
    assert await ids(me, C, hasParent="true") == [branch]
    assert set(await ids(me, C, hasParent="false")) == {over, within, unlimited}
    assert await ids(me, C, parentId=over) == [branch]
    assert await ids(me, C, country="nl") == [branch]
    assert await ids(me, C, search="unlim") == [unlimited]

    # Roles follow the contractor's updates.
    assert (await me.put(C, json={"id": within, "roleTypeIds": [carrier]})).status_code == 200
    assert set(await ids(me, C, roleCategory="carrier")) == {over, within}
    assert await ids(me, C, roleCategory="intermediary") == [over]

    # Paging and sorting by the reference's names (the platform's are accepted too).
    body = await page(me, C, limit=2, page=2, sortBy="name", sortOrder="desc")
    assert body["limit"] == 2 and body["page"] == 2 and body["total"] == 4 and body["totalPages"] == 2
    assert [i["name"] for i in body["items"]] == ["Over", "Branch"]
    # Without a direction the reference sorts descending, whatever the field.
    body = await page(me, C, pageSize=3, sortField="name")
    assert body["limit"] == 3 and [i["name"] for i in body["items"]] == ["Within", "Unlimited", "Over"]
    for params in ({"roleCategory": "pilot"}, {"creditExceeded": "maybe"}, {"hasParent": "x"}, {"sortBy": "nope"},
                   {"sortOrder": "up"}, {"limit": "101"}, {"parentId": "x"}):
        r = await me.get(C, params=params)
        assert r.status_code == 400, (params, r.text)
        assert r.json()["error"] == "Invalid input"


async def test_branch_tree_never_cycles(world: World) -> None:
    me = await world.user(ALL)
    top = await contractor(me, "Top")
    mid = await contractor(me, "Mid", parentId=top)
    leaf = await contractor(me, "Leaf", parentId=mid)
    for parent in (top, leaf):
        r = await me.put(C, json={"id": top, "parentId": leaf if parent == leaf else top})
        assert r.status_code == 400, r.text
        assert r.json()["details"][0]["path"] == ["parentId"]
    r = await me.put(C, json={"id": top, "parentId": MISSING})
    assert r.status_code == 400
    assert (await me.get(f"{C}/{top}")).json()["parentId"] is None
    r = await me.put(f"{C}/{leaf}", json={"parentId": None})
    assert r.status_code == 200 and r.json()["parentId"] is None


async def test_addresses_and_contacts(world: World) -> None:
    me = await world.user(ALL)
    msc = await contractor(me, "MSC")
    other = await contractor(me, "Maersk")
    r = await me.post(A, json={"contractorId": msc, "purpose": "warehouse", "city": "Gdansk", "isPrimary": True})
    assert r.status_code == 201, r.text
    first = r.json()["id"]
    r = await me.post(A, json={"contractorId": msc, "purpose": "office", "city": "Gdynia", "isPrimary": True})
    second = r.json()["id"]
    await me.post(A, json={"contractorId": other, "purpose": "other"})
    body = await page(me, A, contractorId=msc)
    assert set(body) == {"items", "total", "page", "limit", "totalPages"}
    assert [(i["id"], i["isPrimary"]) for i in body["items"]] == [(first, False), (second, True)]
    assert body["items"][0]["contractorId"] == msc and body["items"][0]["postalCode"] is None
    assert (await page(me, A))["total"] == 3
    assert await ids(me, A, contractorId=msc, purpose="office") == [second]
    r = await me.put(A, json={"id": first, "city": "Sopot", "purpose": "billing"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await page(me, A, id=first))["items"][0]["city"] == "Sopot"
    r = await me.delete(A, params={"id": first})
    assert r.status_code == 204 and r.content == b""
    assert await ids(me, A, contractorId=msc) == [second]

    r = await me.post(K, json={"contractorId": msc, "firstName": "Ada", "email": "ADA@x.example", "isPrimary": True})
    assert r.status_code == 201, r.text
    ada = r.json()["id"]
    r = await me.put(K, json={"id": ada, "phone": "+48 1", "lastName": "Lovelace"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    item = (await page(me, K, contractorId=msc))["items"][0]
    assert item["email"] == "ada@x.example" and item["phone"] == "+48 1" and item["lastName"] == "Lovelace"
    listed = (await page(me, C, id=msc))["items"][0]
    assert listed["primaryContactId"] == ada and listed["primaryAddress"]["city"] == "Gdynia"
    r = await me.delete(K, json={"id": ada})
    assert r.status_code == 204 and r.content == b""
    assert await ids(me, K) == []


async def test_role_types(world: World) -> None:
    me = await world.user(ALL)
    carrier = await role_type(me, "carrier", "carrier", sortOrder=2)
    shipper = await role_type(me, "shipper", "trading", sortOrder=1, description="Sends goods")
    body = await page(me, R)
    assert set(body) == {"items", "total", "page", "limit", "totalPages"}
    assert [i["id"] for i in body["items"]] == [shipper, carrier]
    item = body["items"][0]
    assert item["code"] == "shipper" and item["category"] == "trading" and item["isSystem"] is False
    assert item["hasCustomFields"] is False and item["isActive"] is True and item["sortOrder"] == 1
    assert await ids(me, R, category="carrier") == [carrier]
    assert await ids(me, R, search="goods") == [shipper]
    assert await ids(me, R, sortBy="name", sortOrder="desc") == [shipper, carrier]

    r = await me.post(R, json={"code": "carrier", "name": "Again", "category": "carrier"})
    assert r.status_code == 409, r.text
    r = await me.put(R, json={"id": carrier, "code": "renamed", "name": "Ocean carrier", "isActive": False})
    assert r.status_code == 200 and r.json() == {"ok": True}
    item = (await page(me, R, id=carrier))["items"][0]
    assert item["code"] == "carrier" and item["name"] == "Ocean carrier" and item["isActive"] is False
    # An inactive role type no longer counts for the role-category filter.
    msc = await contractor(me, "MSC", roleTypeIds=[carrier])
    assert await ids(me, C, roleCategory="carrier") == []

    r = await me.delete(R, params={"id": carrier})
    assert r.status_code == 409, r.text
    assert (await me.put(C, json={"id": msc, "roleTypeIds": []})).status_code == 200
    r = await me.delete(R, params={"id": carrier})
    assert r.status_code == 204 and r.content == b""
    assert await ids(me, R) == [shipper]


async def test_table_configs(world: World) -> None:
    me = await world.user(["contractors.view"])
    for url, entity, present, absent in (
            ("/api/contractors/table-config", "contractor", {"name", "shortName", "taxId", "isActive"},
             {"parentId", "roleTypeIds", "id", "tenantId"}),
            ("/api/contractors/addresses/table-config", "contractor_address", {"purpose", "city", "isPrimary"},
             {"contractorId", "id"}),
            ("/api/contractors/contacts/table-config", "contractor_contact", {"firstName", "email"},
             {"contractorId", "organizationId"})):
        r = await me.get(url)
        assert r.status_code == 200, r.text
        body = r.json()
        keys = {c["data"] for c in body["columns"]}
        assert present <= keys and not (absent & keys), (url, keys)
        assert body["meta"]["entity"] == entity and body["meta"]["totalColumns"] == len(body["columns"])
        assert {c["data"] for c in body["columns"] if c.get("readOnly")} == {"createdAt", "updatedAt"}
    columns = {c["data"]: c for c in (await me.get("/api/contractors/addresses/table-config")).json()["columns"]}
    assert columns["purpose"]["type"] == "dropdown" and "warehouse" in columns["purpose"]["source"]
    assert columns["isActive"]["renderer"] == "StatusBadgeRenderer" and columns["isPrimary"]["type"] == "checkbox"


ROUTES = [
    ("GET", C, "contractors.view"), ("POST", C, "contractors.create"), ("PUT", C, "contractors.edit"),
    ("DELETE", C, "contractors.delete"),
    ("GET", f"{C}/{MISSING}", "contractors.view"), ("PUT", f"{C}/{MISSING}", "contractors.edit"),
    ("DELETE", f"{C}/{MISSING}", "contractors.delete"),
    ("GET", A, "contractors.view"), ("POST", A, "contractors.edit"), ("PUT", A, "contractors.edit"),
    ("DELETE", A, "contractors.edit"),
    ("GET", K, "contractors.view"), ("POST", K, "contractors.edit"), ("PUT", K, "contractors.edit"),
    ("DELETE", K, "contractors.edit"),
    ("GET", R, "contractors.view"), ("POST", R, "contractors.admin"), ("PUT", R, "contractors.admin"),
    ("DELETE", R, "contractors.admin"),
    ("GET", PT, "contractors.view"), ("POST", PT, "contractors.manage_financial"),
    ("PUT", PT, "contractors.manage_financial"), ("DELETE", PT, "contractors.manage_financial"),
    ("GET", CL, "contractors.view"), ("POST", CL, "contractors.manage_financial"),
    ("PUT", CL, "contractors.manage_financial"), ("DELETE", CL, "contractors.manage_financial"),
    ("GET", "/api/contractors/table-config", "contractors.view"),
    ("GET", "/api/contractors/addresses/table-config", "contractors.view"),
    ("GET", "/api/contractors/contacts/table-config", "contractors.view"),
]


@pytest.mark.parametrize(("method", "url", "feature"), ROUTES)
async def test_features_are_required(world: World, client: Any, method: str, url: str, feature: str) -> None:
    anonymous = await client.request(method, url, json={}, headers={"Cookie": ""})
    assert anonymous.status_code == 401, anonymous.text
    others = [f for f in ("contractors.view", "contractors.create", "contractors.edit", "contractors.delete",
                          "contractors.manage_financial", "contractors.admin") if f != feature]
    outsider = await world.user(others)
    r = await outsider.client.request(method, url, json={}, headers=outsider._h(None))
    assert r.status_code == 403, r.text
    assert feature in r.json()["requiredFeatures"]


async def test_other_tenants_see_nothing(world: World, client: Any) -> None:
    me = await world.user(ALL)
    msc = await contractor(me, "MSC", addresses=[{"purpose": "office"}], contacts=[{"firstName": "Jan"}],
                           paymentTerms={}, creditLimit={"creditLimit": 1})
    address = (await page(me, A))["items"][0]["id"]
    contact = (await page(me, K))["items"][0]["id"]
    terms = (await page(me, PT))["items"][0]["id"]
    carrier = await role_type(me, "carrier", "carrier")
    other = await World(client).user(ALL)
    assert (await other.get(f"{C}/{msc}")).status_code == 404
    assert (await other.put(f"{C}/{msc}", json={"name": "Hacked"})).status_code == 404
    assert (await other.delete(f"{C}/{msc}")).status_code == 404
    assert (await other.put(C, json={"id": msc, "name": "Hacked"})).status_code == 404
    assert (await other.delete(C, params={"id": msc})).status_code == 404
    for url in (C, A, K, R, PT, CL):
        assert await ids(other, url) == []
    assert (await other.get(A, params={"contractorId": msc})).status_code == 404
    assert (await other.post(A, json={"contractorId": msc, "purpose": "office"})).status_code == 404
    assert (await other.post(K, json={"contractorId": msc})).status_code == 404
    assert (await other.put(A, json={"id": address, "city": "X"})).status_code == 404
    assert (await other.delete(K, params={"id": contact})).status_code == 404
    assert (await other.post(PT, json={"contractorId": msc, "paymentDays": 1})).status_code == 404
    assert (await other.put(CL, json={"contractorId": msc, "creditLimit": 1})).status_code == 404
    assert (await other.delete(PT, params={"id": terms})).status_code == 404
    assert (await other.put(R, json={"id": carrier, "name": "X"})).status_code == 404
    # Another tenant's role type or parent cannot be named either.
    r = await other.post(C, json={"name": "Mine", "roleTypeIds": [carrier]})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["roleTypeIds"]
    r = await other.post(C, json={"name": "Mine", "parentId": msc})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["parentId"]
    assert await ids(other, C) == []
    body = (await me.get(f"{C}/{msc}")).json()
    assert body["name"] == "MSC" and body["paymentTerms"]["paymentDays"] == 30
    assert body["addresses"][0]["city"] is None and len(body["contacts"]) == 1


async def test_bad_input_stores_nothing(world: World) -> None:
    me = await world.user(ALL)
    for body in ({}, {"name": ""}, {"name": "X", "isActive": None}, {"name": "X", "roleTypeIds": ["nope"]},
                 {"name": "X", "roleTypeIds": [MISSING]}, {"name": "X", "parentId": MISSING},
                 {"name": "X", "addresses": [{"purpose": "moon"}]},
                 {"name": "X", "contacts": [{"email": "not-an-email"}]},
                 {"name": "X", "primaryContactEmail": "nope"},
                 {"name": "X", "paymentTerms": {"paymentDays": 400}},
                 {"name": "X", "paymentTerms": {"paymentMethod": "barter"}},
                 {"name": "X", "creditLimit": {"creditLimit": "-5"}},
                 {"name": "X", "creditLimit": {"creditLimit": "1.234"}},
                 {"name": "X", "creditLimit": {"currencyCode": "EURO"}},
                 {"name": "X", "addresses": [{"purpose": "office", "isActive": None}]}, [1]):
        r = await me.post(C, json=body)
        assert r.status_code == 400, (body, r.text)
        assert "error" in r.json()
    r = await me.post(C, content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    for url in (C, A, K, PT, CL):
        assert await ids(me, url) == []

    msc = await contractor(me, "MSC")
    for url, bad in ((A, {"contractorId": msc}), (A, {"contractorId": "x", "purpose": "office"}),
                      (K, {"contractorId": msc, "email": "x"}), (PT, {"paymentDays": 3}),
                      (PT, {"contractorId": msc, "paymentDays": "many"}),
                      (CL, {"contractorId": msc, "creditLimit": "abc"}),
                      (R, {"code": "x", "name": "X", "category": "pilot"}), (R, {"code": "", "name": "X",
                                                                               "category": "carrier"})):
        r = await me.post(url, json=bad)
        assert r.status_code == 400, (url, bad, r.text)
    assert (await me.put(C, json={"id": msc, "name": None})).status_code == 400
    assert (await me.put(f"{C}/{msc}", json={"isActive": "yes"})).status_code == 400
    assert (await me.get(f"{C}/not-a-uuid")).status_code == 400
    assert (await me.get(f"{C}/{MISSING}")).status_code == 404
    assert (await me.post(A, json={"contractorId": MISSING, "purpose": "office"})).status_code == 404
    for url in (A, K, PT, CL, R):
        assert await ids(me, url) == []
    assert (await me.get(f"{C}/{msc}")).json()["name"] == "MSC"


async def test_undo_puts_roles_back_and_lists_export(world: World) -> None:
    me = await world.user([*ALL, "audit_logs.undo_self"])
    carrier = await role_type(me, "carrier", "carrier")
    msc = await contractor(me, "MSC", roleTypeIds=[carrier])
    r = await me.put(C, json={"id": msc, "roleTypeIds": []})
    assert await ids(me, C, roleCategory="carrier") == []
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    r = await me.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})
    assert r.status_code == 200, r.text
    assert await ids(me, C, roleCategory="carrier") == [msc]
    assert (await me.get(f"{C}/{msc}")).json()["roleTypeIds"] == [carrier]

    r = await me.get(C, params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "MSC" in r.text and r.text.splitlines()[0].startswith("id,name")
