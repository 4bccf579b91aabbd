"""Every filter kind of the kit, parsed by the filtered column's type, and the 400 a bad value gets."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from api.auth import AuthContext
from api.crud import Filter
from api.crud.tags import assign, tag_assignment_router
from api.db import sessionmaker
from api.errors import BadRequest
from tests.api.crud.gadgets import MANAGE, Gadget, gadgets, tags
from tests.api.crud.helpers import GADGETS, UNDO, Kit, make, names, on_platform, problem, seed
from tests.fixtures import Caller

TAGS = "/api/crudkit/tags"


async def _catalogue(kit: Kit) -> Caller:
    """Three gadgets that differ in every filtered column."""
    kit.serve(gadgets)
    me = await kit.user()
    await seed(me, {"name": "Anvil", "kind": "tool", "quantity": 150, "price": Decimal("19.99"), "is_active": True,
                    "seen_at": datetime(2024, 5, 1, 10, tzinfo=UTC), "made_on": date(2024, 1, 15),
                    "note": "heavy iron"},
               {"name": "Yo-yo", "kind": "toy", "quantity": 3, "price": Decimal("2.50"), "is_active": False,
                "seen_at": datetime(2024, 6, 1, 6, 30, tzinfo=UTC), "made_on": date(2024, 3, 1), "note": ""},
               {"name": "Abacus", "kind": "toy", "quantity": 40, "price": Decimal("12.00"), "is_active": True})
    return me


async def test_eq_is_typed_by_the_column(kit: Kit) -> None:
    me = await _catalogue(kit)
    cases: list[tuple[dict[str, str], list[str]]] = [
        ({"name": "Anvil"}, ["Anvil"]),
        ({"name": "anvil"}, []),
        ({"kind": "toy"}, ["Abacus", "Yo-yo"]),
        ({"quantity": "3"}, ["Yo-yo"]),
        ({"quantity": " +40.0 "}, ["Abacus"]),
        ({"price": "19.99"}, ["Anvil"]),
        ({"price": "12"}, ["Abacus"]),
        ({"isActive": "false"}, ["Yo-yo"]),
        ({"isActive": "YES"}, ["Abacus", "Anvil"]),
        ({"isActive": "0"}, ["Yo-yo"]),
        ({"madeOn": "2024-03-01"}, ["Yo-yo"]),
        ({"madeOn": "2024-01-15T23:59:00Z"}, ["Anvil"]),
        ({"seenAt": "2024-05-01T10:00:00Z"}, ["Anvil"]),
        ({"seenAt": "2024-05-01T12:00:00+02:00"}, ["Anvil"]),
        ({"seenAt": "2024-06-01T06:30:00"}, ["Yo-yo"]),
        ({"name": ""}, ["Abacus", "Anvil", "Yo-yo"]),
    ]
    for params, expected in cases:
        assert await names(me, **params) == expected, params


async def test_choices_limit_the_accepted_values(kit: Kit) -> None:
    me = await _catalogue(kit)
    body = problem(await me.get(GADGETS, params={"kind": "weapon"}))
    assert body == {"error": "Invalid input", "details": [{"path": ["kind"], "message": "Expected one of tool, toy"}]}


async def test_any_of_takes_comma_separated_typed_values(kit: Kit) -> None:
    me = await _catalogue(kit)
    assert await names(me, kinds="toy, tool") == ["Abacus", "Anvil", "Yo-yo"]
    assert await names(me, kinds="toy,,") == ["Abacus", "Yo-yo"]
    assert await names(me, quantities="3,150") == ["Anvil", "Yo-yo"]
    assert problem(await me.get(GADGETS, params={"quantities": "3,many"}))["details"][0]["path"] == ["quantities"]


async def test_any_of_with_choices_names_the_values_it_does_not_know(kit: Kit) -> None:
    kit.serve(gadgets.but(filters={"kinds": Filter.any_of(Gadget.kind, "Kinds", ("tool", "toy"))}))
    me = await kit.user()
    await seed(me, {"name": "Anvil", "kind": "tool"}, {"name": "Yo-yo", "kind": "toy"})
    assert await names(me, kinds="toy") == ["Yo-yo"]
    body = problem(await me.get(GADGETS, params={"kinds": "toy,weapon,bomb"}))
    assert body["details"] == [{"path": ["kinds"], "message": "Unknown weapon, bomb; expected tool, toy"}]


async def test_contains_and_prefix_are_case_insensitive_and_literal(kit: Kit) -> None:
    me = await _catalogue(kit)
    await seed(me, {"name": "100% cotton_rag"})
    assert await names(me, nameContains="AB") == ["Abacus"]
    assert await names(me, nameContains="n") == ["100% cotton_rag", "Anvil"]
    assert await names(me, namePrefix="a") == ["Abacus", "Anvil"]
    assert await names(me, namePrefix="nvil") == []
    assert await names(me, nameContains="%") == ["100% cotton_rag"]
    assert await names(me, nameContains="_") == ["100% cotton_rag"]
    assert await names(me, namePrefix="_") == []
    assert await names(me, nameContains="0%_c") == []


async def test_has_is_presence(kit: Kit) -> None:
    me = await _catalogue(kit)
    # Anvil has a note, Yo-yo an empty one, Abacus none.
    assert await names(me, hasNote="true") == ["Anvil"]
    assert await names(me, hasNote="false") == ["Abacus", "Yo-yo"]
    assert problem(await me.get(GADGETS, params={"hasNote": "perhaps"}))["details"] == [
        {"path": ["hasNote"], "message": "Expected a boolean"}]


async def test_has_on_a_nullable_timestamp(kit: Kit) -> None:
    me = await _catalogue(kit)
    assert await names(me, hasSeenAt="true") == ["Anvil", "Yo-yo"]
    assert await names(me, hasSeenAt="false") == ["Abacus"]


async def test_ranges_are_parsed_by_column_type(kit: Kit) -> None:
    me = await _catalogue(kit)
    cases: list[tuple[dict[str, str], list[str]]] = [
        ({"minQuantity": "40"}, ["Abacus", "Anvil"]),
        ({"maxQuantity": "40"}, ["Abacus", "Yo-yo"]),
        ({"minQuantity": "4", "maxQuantity": "149"}, ["Abacus"]),
        ({"minPrice": "12"}, ["Abacus", "Anvil"]),
        ({"maxPrice": "12.005"}, ["Abacus", "Yo-yo"]),
        ({"minPrice": "2.51", "maxPrice": "19.98"}, ["Abacus"]),
        ({"madeFrom": "2024-02-01"}, ["Yo-yo"]),
        ({"madeTo": "2024-03-01"}, ["Anvil", "Yo-yo"]),
        ({"seenFrom": "2024-05-01T10:00:00Z"}, ["Anvil", "Yo-yo"]),
        ({"seenFrom": "2024-05-01T10:00:00.001Z"}, ["Yo-yo"]),
        ({"seenTo": "2024-05-01T12:00:00+02:00"}, ["Anvil"]),
        ({"seenFrom": "2024-05-02"}, ["Yo-yo"]),
    ]
    for params, expected in cases:
        assert await names(me, **params) == expected, params


async def test_bad_values_are_400_with_details(kit: Kit) -> None:
    me = await _catalogue(kit)
    cases: list[tuple[dict[str, str], str]] = [
        ({"quantity": "many"}, "Expected a number"),
        ({"quantity": "1.5"}, "Expected a number"),
        ({"quantity": str(2**63)}, "Number out of range"),
        ({"minQuantity": "1e3"}, "Expected a number"),
        ({"price": "cheap"}, "Expected a number"),
        ({"price": "NaN"}, "Expected a number"),
        ({"maxPrice": "Infinity"}, "Expected a number"),
        ({"isActive": "maybe"}, "Expected a boolean"),
        ({"madeOn": "15/01/2024"}, "Expected an ISO date"),
        ({"madeFrom": "soon"}, "Expected an ISO date"),
        ({"seenAt": "yesterday"}, "Expected an ISO date"),
        ({"seenTo": "2024-13-01"}, "Expected an ISO date"),
        ({"ownerId": "not-a-uuid"}, "Expected a UUID"),
        ({"untagged": "maybe"}, "Expected a boolean"),
        ({"withDeleted": "maybe"}, "Expected a boolean"),
    ]
    for params, message in cases:
        r = await me.get(GADGETS, params=params)
        assert problem(r) == {"error": "Invalid input", "details": [{"path": list(params), "message": message}]}, \
            params


async def test_uuid_filter(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    owner = str(uuid.uuid4())
    await seed(me, {"name": "Mine", "owner_id": owner}, {"name": "Nobody's"})
    assert await names(me, ownerId=owner) == ["Mine"]
    assert await names(me, ownerId=owner.upper()) == []
    assert await names(me, ownerId=str(uuid.uuid4())) == []


async def test_custom_filter_gets_the_raw_value_and_counts(kit: Kit) -> None:
    me = await _catalogue(kit)
    r = await me.get(GADGETS, params={"heavy": "true"})
    assert [i["name"] for i in r.json()["items"]] == ["Anvil"] and r.json()["total"] == 1
    r = await me.get(GADGETS, params={"heavy": "false", "kind": "toy", "pageSize": "1"})
    assert [i["name"] for i in r.json()["items"]] == ["Abacus"] and r.json()["total"] == 2
    assert await names(me, heavy="") == ["Abacus", "Anvil", "Yo-yo"]


async def test_filters_combine(kit: Kit) -> None:
    me = await _catalogue(kit)
    assert await names(me, kind="toy", isActive="true", minPrice="1") == ["Abacus"]
    assert await names(me, kind="toy", nameContains="n") == []


async def _assign(me: Caller, tag_id: str, gadget_id: str) -> None:
    """Through the kit's `assign` service function (the routes are tested below)."""
    ctx = AuthContext(user_id=me.user_id, tenant_id=me.tenant_id, org_id=me.org_id)
    async with sessionmaker()() as s:
        await assign(s, ctx, tags=tags, target=gadgets, entity_type=gadgets.entity, tag_id=tag_id,
                     entity_id=gadget_id)
        await s.commit()


async def test_tags_and_untagged(kit: Kit) -> None:
    kit.serve(gadgets, tags)
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    anvil, yoyo, _abacus = await seed(me, {"name": "Anvil"}, {"name": "Yo-yo"}, {"name": "Abacus"})
    red = (await me.post(TAGS, json={"label": "Red"})).json()["id"]
    blue = (await me.post(TAGS, json={"label": "Blue"})).json()["id"]
    for tag_id, gadget_id in [(red, anvil), (blue, anvil), (blue, yoyo), (blue, yoyo)]:
        await _assign(me, tag_id, gadget_id)
    assert await names(me, tagIds=red) == ["Anvil"]
    assert await names(me, tagIds=f"{red},{blue}") == ["Anvil", "Yo-yo"]
    assert await names(me, tagIds=str(uuid.uuid4())) == []
    assert await names(me, untagged="true") == ["Abacus"]
    assert await names(me, untagged="false") == ["Anvil", "Yo-yo"]

    # Another tenant's tag cannot be put on this tenant's rows, nor does it match them.
    stranger = await kit.stranger()
    theirs = (await stranger.post(TAGS, json={"label": "Red"})).json()["id"]
    with pytest.raises(BadRequest, match="Gadget not found"):
        await _assign(stranger, theirs, anvil)
    assert await names(me, tagIds=theirs) == []

    # Deleting a tag takes it off every row; undoing the delete puts it back on them.
    r = await me.delete(TAGS, params={"id": blue})
    assert r.status_code == 200
    assert await names(me, tagIds=blue) == []
    assert await names(me, untagged="true") == ["Abacus", "Yo-yo"]
    await on_platform(kit, me, UNDO, {"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert await names(me, tagIds=blue) == ["Anvil", "Yo-yo"]


async def test_tag_assignment_routes(kit: Kit) -> None:
    kit.serve(gadgets, tags)
    kit.app.include_router(tag_assignment_router(path="/crudkit/gadgets/tags", tags=tags, target=gadgets,
                                                 entity_type=gadgets.entity, feature=MANAGE), prefix="/api")
    me = await kit.user()
    gadget = await make(me, name="Anvil")
    red = (await me.post(TAGS, json={"label": "Red"})).json()["id"]
    assert (await kit.client.post("/api/crudkit/gadgets/tags/assign",
                                  json={"tagId": red, "entityId": gadget})).status_code == 401
    r = await me.post("/api/crudkit/gadgets/tags/assign", json={"tagId": red, "entityId": gadget})
    assert r.status_code == 201, r.text
    assert await names(me, tagIds=red) == ["Anvil"]
    r = await me.post("/api/crudkit/gadgets/tags/unassign", json={"tagId": red, "entityId": gadget})
    assert r.json() == {"ok": True}
    assert await names(me, untagged="true") == ["Anvil"]
