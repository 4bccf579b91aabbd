"""The customer aggregates are assembled with a fixed number of queries whatever the counts: a person
with one of everything and one with many of everything cost the same statements."""

from __future__ import annotations

from typing import Any

from tests.fixtures import Caller, World, statements

ALL = ["customers.*", "example.todos.*"]
INCLUDE = "addresses,comments,activities,deals,todos"


async def customer_with(me: Caller, n: int, url: str = "/api/customers/people") -> str:
    body = {"firstName": "Ada", "lastName": f"N{n}"} if "people" in url else {"displayName": f"Co {n}"}
    entity = (await me.post(url, json=body)).json()["id"]
    for i in range(n):
        tag = (await me.post("/api/customers/tags", json={"label": f"T{n}-{i}"})).json()["id"]
        assert (await me.post("/api/customers/tags/assign", json={"tagId": tag, "entityId": entity})).status_code == 201
        for path, data in (("addresses", {"addressLine1": f"Street {i}"}), ("comments", {"body": f"c{i}"}),
                           ("activities", {"activityType": "call", "subject": f"s{i}"})):
            r = await me.post(f"/api/customers/{path}", json={"entityId": entity, **data})
            assert r.status_code == 201, r.text
        link = {"personIds": [entity]} if "people" in url else {"companyIds": [entity]}
        assert (await me.post("/api/customers/deals", json={"title": f"D{i}", **link})).status_code == 201
        r = await me.post("/api/customers/todos", json={"entityId": entity, "title": f"todo {i}",
                                                        "todoCustom": {"priority": "high"}})
        assert r.status_code == 201, r.text
    return entity  # type: ignore[no-any-return]


async def counted(me: Caller, url: str) -> tuple[int, dict[str, Any]]:
    with statements() as seen:
        r = await me.get(url, params={"include": INCLUDE + ",people"})
    assert r.status_code == 200, r.text
    return len(seen), r.json()


async def test_the_person_aggregate_costs_the_same_queries_for_1_and_12_of_everything(world: World) -> None:
    me = await world.user(ALL)
    small, big = await customer_with(me, 1), await customer_with(me, 12)
    few, one = await counted(me, f"/api/customers/people/{small}")
    many, twelve = await counted(me, f"/api/customers/people/{big}")
    assert len(one["todos"]) == 1 and len(twelve["todos"]) == 12 and len(twelve["tags"]) == 12
    assert len(twelve["addresses"]) == len(twelve["comments"]) == len(twelve["activities"]) == 12
    assert len(twelve["deals"]) == 12 and twelve["todos"][0]["priority"] == "high"
    assert many == few, (few, many)
    assert many <= 20


async def test_the_company_aggregate_too(world: World) -> None:
    me = await world.user(ALL)
    small = await customer_with(me, 1, "/api/customers/companies")
    big = await customer_with(me, 8, "/api/customers/companies")
    for _ in range(3):
        r = await me.post("/api/customers/people", json={"firstName": "P", "lastName": "Q", "companyEntityId": big})
        assert r.status_code == 201
    few, _ = await counted(me, f"/api/customers/companies/{small}")
    many, body = await counted(me, f"/api/customers/companies/{big}")
    assert len(body["people"]) == 3 and len(body["deals"]) == 8
    assert many == few, (few, many)
