"""List conventions: envelopes, paging, sorting and its tiebreak, search, ids, and the two dialects that
answer a bad query string."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from api.crud import Dialect, Envelope, Sort
from tests.api.crud.gadgets import Gadget, gadgets
from tests.api.crud.helpers import GADGETS, Kit, names, problem, seed, seed_names

LENIENT = Dialect(error="Invalid query parameters", details=False, unknown_sort="default")


async def test_paged_envelope_and_paging_math(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    assert (await me.get(GADGETS)).json() == {"items": [], "total": 0, "page": 1, "pageSize": 50, "totalPages": 0}
    await seed_names(me, "a", "b", "c", "d", "e")
    pages = [(await me.get(GADGETS, params={"pageSize": 2, "page": p})).json() for p in (1, 2, 3, 4)]
    assert [[i["name"] for i in p["items"]] for p in pages] == [["a", "b"], ["c", "d"], ["e"], []]
    assert {(p["total"], p["pageSize"], p["totalPages"]) for p in pages} == {(5, 2, 3)}
    assert [p["page"] for p in pages] == [1, 2, 3, 4]
    assert set(pages[0]) == {"items", "total", "page", "pageSize", "totalPages"}
    whole = (await me.get(GADGETS, params={"pageSize": 5})).json()
    assert whole["totalPages"] == 1 and len(whole["items"]) == 5


async def test_total_envelope(kit: Kit) -> None:
    kit.serve(gadgets.but(envelope=Envelope.TOTAL))
    me = await kit.user()
    await seed_names(me, "a", "b", "c")
    body = (await me.get(GADGETS, params={"pageSize": 2})).json()
    assert {k: v for k, v in body.items() if k != "items"} == {"total": 3, "page": 1, "pageSize": 2, "totalPages": 2}


async def test_limit_envelope_pages_by_limit(kit: Kit) -> None:
    kit.serve(gadgets.but(envelope=Envelope.LIMIT))
    me = await kit.user()
    await seed_names(me, "a", "b", "c")
    body = (await me.get(GADGETS, params={"limit": 2, "page": 2, "pageSize": 1})).json()
    assert body == {"items": body["items"], "total": 3, "page": 2, "limit": 2, "totalPages": 2}
    assert [i["name"] for i in body["items"]] == ["c"]
    assert problem(await me.get(GADGETS, params={"limit": 0}))["details"][0]["path"] == ["limit"]
    assert (await me.get(GADGETS)).json()["limit"] == 50


async def test_a_list_takes_other_names_for_its_parameters(kit: Kit) -> None:
    aliases = (("sortBy", "sortField"), ("sortOrder", "sortDir"), ("pageSize", "limit"))
    kit.serve(gadgets.but(envelope=Envelope.LIMIT, dialect=Dialect(aliases=aliases)))
    me = await kit.user()
    await seed_names(me, "a", "b", "c")
    assert await names(me, sortBy="name", sortOrder="desc") == ["c", "b", "a"]
    assert await names(me, sortBy="name", sortField="name", sortDir="asc", sortOrder="desc") == ["a", "b", "c"]
    body = (await me.get(GADGETS, params={"pageSize": 2, "sortBy": "name"})).json()
    assert body["limit"] == 2 and [i["name"] for i in body["items"]] == ["a", "b"]
    # A problem names the parameter as the caller sent it.
    assert problem(await me.get(GADGETS, params={"sortBy": "nope"}))["details"][0]["path"] == ["sortBy"]
    assert problem(await me.get(GADGETS, params={"sortField": "nope"}))["details"][0]["path"] == ["sortField"]
    assert problem(await me.get(GADGETS, params={"pageSize": "500"}))["details"][0]["path"] == ["pageSize"]
    documented = {p["name"] for p in kit.app.openapi()["paths"]["/api/crudkit/gadgets"]["get"]["parameters"]}
    assert {"sortBy", "sortOrder", "pageSize", "sortField", "limit"} <= documented


async def test_nested_envelope_and_default_page_size(kit: Kit) -> None:
    kit.serve(gadgets.but(envelope=Envelope.NESTED, page_size=2))
    me = await kit.user()
    await seed_names(me, "a", "b", "c")
    body = (await me.get(GADGETS)).json()
    assert body == {"ok": True, "items": body["items"], "pagination": {"page": 1, "pageSize": 2, "total": 3,
                                                                      "totalPages": 2}}
    assert [i["name"] for i in body["items"]] == ["a", "b"]
    assert (await me.get(GADGETS, params={"page": 2, "pageSize": 1})).json()["pagination"] == {
        "page": 2, "pageSize": 1, "total": 3, "totalPages": 3}
    schema = kit.app.openapi()["paths"]["/api/crudkit/gadgets"]["get"]["responses"]["200"]["content"]
    page = schema["application/json"]["schema"]["anyOf"][0]
    assert page["required"] == ["ok", "items", "pagination"]
    assert page["properties"]["pagination"]["required"] == ["page", "pageSize", "total", "totalPages"]


async def test_rows_without_a_value_sort_first_going_up_and_last_going_down(kit: Kit) -> None:
    """As SQLite sorts NULL, on PostgreSQL too (whose own default is the other way round)."""
    kit.serve(gadgets.but(sort=Sort((Gadget.seen_at, Gadget.name), default=Gadget.name)))
    me = await kit.user()
    await seed(me, {"name": "never"}, {"name": "early", "seen_at": datetime(2024, 1, 1, tzinfo=UTC)},
               {"name": "late", "seen_at": datetime(2025, 1, 1, tzinfo=UTC)})
    assert await names(me, sortField="seenAt", sortDir="asc") == ["never", "early", "late"]
    assert await names(me, sortField="seenAt", sortDir="desc") == ["late", "early", "never"]


async def test_custom_envelope_has_one_empty_page(kit: Kit) -> None:
    kit.serve(gadgets.but(envelope=Envelope(("items", "total", "totalPages"), empty_total_pages=1)))
    me = await kit.user()
    assert (await me.get(GADGETS)).json() == {"items": [], "total": 0, "totalPages": 1}
    await seed_names(me, "a", "b", "c")
    assert (await me.get(GADGETS, params={"pageSize": 1})).json()["totalPages"] == 3


async def test_page_size_is_bounded(kit: Kit) -> None:
    kit.serve(gadgets.but(max_page_size=3))
    me = await kit.user()
    await seed_names(me, "a", "b", "c", "d")
    assert len((await me.get(GADGETS, params={"pageSize": 3})).json()["items"]) == 3
    for params, message in [({"pageSize": "4"}, "Must be between 1 and 3"),
                            ({"pageSize": "0"}, "Must be between 1 and 3"),
                            ({"page": "0"}, "Must be between 1 and 1000000"),
                            ({"page": "two"}, "Expected a number")]:
        body = problem(await me.get(GADGETS, params=params))
        assert body == {"error": "Invalid input", "details": [{"path": list(params), "message": message}]}


async def test_default_page_size_never_exceeds_the_max(kit: Kit) -> None:
    kit.serve(gadgets.but(max_page_size=3))
    me = await kit.user()
    await seed_names(me, "a", "b", "c", "d")
    body = (await me.get(GADGETS)).json()
    assert body["pageSize"] == 3 and len(body["items"]) == 3


async def test_declared_default_sort_and_direction(kit: Kit) -> None:
    kit.serve(gadgets.but(sort=Sort((Gadget.name, Gadget.quantity), default=Gadget.quantity, direction="desc")))
    me = await kit.user()
    await seed(me, {"name": "a", "quantity": 2}, {"name": "b", "quantity": 3}, {"name": "c", "quantity": 1})
    assert await names(me) == ["b", "a", "c"]
    assert await names(me, sortDir="asc") == ["c", "a", "b"]
    assert await names(me, sortField="name") == ["c", "b", "a"]
    assert await names(me, sortField="name", sortDir="ASC") == ["a", "b", "c"]


async def test_sort_fields_by_either_casing_and_id(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    made = await seed(me, {"name": "a", "quantity": 2, "price": Decimal("1.5")},
                      {"name": "b", "quantity": 10, "price": Decimal("0.5")},
                      {"name": "c", "quantity": 1, "price": Decimal("10")})
    ids = dict(zip("abc", made, strict=True))
    assert await names(me, sortField="quantity") == ["c", "a", "b"]
    assert await names(me, sortField="price", sortDir="desc") == ["c", "a", "b"]
    assert await names(me, sortField="createdAt") == ["a", "b", "c"]
    assert await names(me, sortField="created_at", sortDir="desc") == ["c", "b", "a"]
    by_id = sorted(ids, key=lambda n: ids[n])
    assert await names(me, sortField="id") == by_id


async def test_ties_are_broken_by_id_then_by_the_declared_tiebreak(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    made = await seed(me, *({"name": "same", "quantity": q} for q in (5, 1, 3)))
    r = await me.get(GADGETS, params={"sortDir": "desc"})
    assert [i["id"] for i in r.json()["items"]] == sorted(made)
    tiebroken = gadgets.but(path="/crudkit/by-quantity",
                            sort=Sort((Gadget.name,), default=Gadget.name, tiebreak=Gadget.quantity,
                                      tiebreak_direction="same"))
    kit.serve(tiebroken)
    assert [i["quantity"] for i in (await me.get("/api/crudkit/by-quantity")).json()["items"]] == [1, 3, 5]
    r = await me.get("/api/crudkit/by-quantity", params={"sortDir": "desc"})
    assert [i["quantity"] for i in r.json()["items"]] == [5, 3, 1]


async def test_unknown_sort_field_is_400_in_the_strict_dialect(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    assert problem(await me.get(GADGETS, params={"sortField": "pinHash"})) == {
        "error": "Invalid input", "details": [{"path": ["sortField"], "message": "Cannot sort by pinHash"}]}
    assert problem(await me.get(GADGETS, params={"sortDir": "up"})) == {
        "error": "Invalid input", "details": [{"path": ["sortDir"], "message": "Expected asc or desc"}]}


async def test_lenient_dialect(kit: Kit) -> None:
    kit.serve(gadgets.but(dialect=LENIENT))
    me = await kit.user()
    await seed_names(me, "b", "a")
    assert await names(me, sortField="nope") == ["a", "b"]
    assert await names(me, sortField="nope", sortDir="desc") == ["b", "a"]
    for bad in [{"sortDir": "up"}, {"pageSize": "1000"}, {"quantity": "x"}, {"kind": "weapon"},
                {"withDeleted": "perhaps"}, {"ownerId": "x"}, {"format": "pdf"}]:
        assert problem(await me.get(GADGETS, params=bad)) == {"error": "Invalid query parameters"}, bad


async def test_uuid_ids_dialect(kit: Kit) -> None:
    kit.serve(gadgets.but(dialect=Dialect(uuid_ids=True)))
    me = await kit.user()
    (gadget,) = await seed_names(me, "gadget")
    assert (await me.get(GADGETS, params={"id": gadget})).json()["total"] == 1
    assert problem(await me.get(GADGETS, params={"ids": f"{gadget},nope"}))["details"] == [
        {"path": ["ids"], "message": "Expected a UUID"}]


async def test_id_and_ids(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    a, b, _c = await seed_names(me, "a", "b", "c")
    assert await names(me, id=a) == ["a"]
    assert await names(me, ids=f"{a}, {b},") == ["a", "b"]
    assert await names(me, id=a, ids=b) == []
    assert await names(me, id="not-an-id") == []


async def test_search_over_declared_columns_with_literal_wildcards(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    await seed(me, {"name": "Red Anvil"}, {"name": "Blue hammer", "note": "sits next to the ANVIL"},
               {"name": "50% off", "note": "under_score"}, {"name": "Plain", "note": "50 percent"})
    assert await names(me, search="anvil") == ["Blue hammer", "Red Anvil"]
    assert await names(me, search="  HAMMER ") == ["Blue hammer"]
    assert await names(me, search="%") == ["50% off"]
    assert await names(me, search="50%") == ["50% off"]
    assert await names(me, search="_") == ["50% off"]
    assert await names(me, search="5_ p") == []
    assert await names(me, search="tool") == []
    assert len(await names(me, search="")) == 4


async def test_search_is_ignored_without_declared_columns(kit: Kit) -> None:
    kit.serve(gadgets.but(search=()))
    me = await kit.user()
    await seed_names(me, "a", "b")
    assert await names(me, search="zzz") == ["a", "b"]
