"""A child collection scoped to a parent row (`Parent`): lists need the parent's id, writes take it from
the body, and the parent must be visible to the caller."""

from __future__ import annotations

import json

from api.crud import Parent
from tests.api.crud.gadgets import GadgetPart, gadgets, parts
from tests.api.crud.helpers import GADGETS, PARTS, Kit, make, names, problem, stored


async def test_list_requires_a_visible_parent(kit: Kit) -> None:
    kit.serve(gadgets, parts)
    me = await kit.user()
    anvil, hammer = await make(me, name="Anvil"), await make(me, name="Hammer")
    await make(me, PARTS, name="horn", gadgetId=anvil)
    await make(me, PARTS, name="face", gadgetId=anvil)
    await make(me, PARTS, name="handle", gadgetId=hammer)
    assert problem(await me.get(PARTS)) == {
        "error": "Invalid input", "details": [{"path": ["gadgetId"], "message": "gadgetId is required"}]}
    assert await names(me, PARTS, gadgetId=anvil) == ["face", "horn"]
    assert await names(me, PARTS, gadgetId=hammer) == ["handle"]
    stranger = await kit.stranger()
    theirs = await make(stranger, name="Theirs")
    assert problem(await me.get(PARTS, params={"gadgetId": theirs}), 404) == {"error": "Gadget not found"}
    assert problem(await stranger.get(PARTS, params={"gadgetId": anvil}), 404) == {"error": "Gadget not found"}
    await me.delete(GADGETS, params={"id": hammer})
    assert problem(await me.get(PARTS, params={"gadgetId": hammer}), 404) == {"error": "Gadget not found"}


async def test_list_without_a_required_parent(kit: Kit) -> None:
    assert parts.parent is not None
    kit.serve(gadgets, parts.but(parent=Parent("gadgetId", GadgetPart.gadget_id, gadgets, required_on_list=False)))
    me = await kit.user()
    anvil = await make(me, name="Anvil")
    await make(me, PARTS, name="horn", gadgetId=anvil)
    await make(me, PARTS, name="face", gadgetId=await make(me, name="Hammer"))
    assert await names(me, PARTS) == ["face", "horn"]
    assert await names(me, PARTS, gadgetId=anvil) == ["horn"]


async def test_create_takes_the_parent_from_the_body_and_checks_it(kit: Kit) -> None:
    kit.serve(gadgets, parts)
    me = await kit.user()
    anvil = await make(me, name="Anvil")
    part = await make(me, PARTS, name="horn", gadgetId=anvil)
    assert (await stored(GadgetPart, part)).gadget_id == anvil
    assert problem(await me.post(PARTS, json={"name": "loose"})) == {
        "error": "Invalid input", "details": [{"path": ["gadgetId"], "message": "Required"}]}
    theirs = await make(await kit.stranger(), name="Theirs")
    assert problem(await me.post(PARTS, json={"name": "x", "gadgetId": theirs}), 404) == {"error": "Gadget not found"}
    assert problem(await me.post(PARTS, json={"name": "x", "gadgetId": "nope"}), 404) == {"error": "Gadget not found"}
    assert await names(me, PARTS, gadgetId=anvil) == ["horn"]


async def test_update_checks_a_new_parent(kit: Kit) -> None:
    kit.serve(gadgets, parts)
    me = await kit.user()
    part = await make(me, PARTS, name="horn", gadgetId=await make(me, name="Anvil"))
    theirs = await make(await kit.stranger(), name="Theirs")
    r = await me.put(PARTS, json={"id": part, "gadgetId": theirs})
    assert (await stored(GadgetPart, part)).gadget_id != theirs
    assert problem(r, 404) == {"error": "Gadget not found"}


# --- one row per parent: upsert_by ----------------------------------------------------------------------

async def test_upsert_by_writes_the_one_row_of_a_parent(kit: Kit) -> None:
    kit.serve(gadgets, parts.but(upsert_by=(GadgetPart.gadget_id,)))
    me = await kit.user()
    gadget_id, other_id = await make(me), await make(me)
    r = await me.post(PARTS, json={"gadgetId": gadget_id, "name": "bolt"})
    assert r.status_code == 201 and set(r.json()) == {"id"}, r.text
    part_id = r.json()["id"]
    assert json.loads(r.headers["x-om-operation"])["commandId"] == "crudkit.gadget_part.create"
    # The same parent again: its row changes, whichever verb.
    r = await me.post(PARTS, json={"gadgetId": gadget_id, "name": "nut"})
    assert r.status_code == 201 and r.json() == {"id": part_id}
    assert json.loads(r.headers["x-om-operation"])["commandId"] == "crudkit.gadget_part.update"
    r = await me.put(PARTS, json={"gadgetId": gadget_id, "name": "screw"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await stored(GadgetPart, part_id)).name == "screw"
    # Another parent has none yet: a PUT creates it.
    r = await me.put(PARTS, json={"gadgetId": other_id, "name": "spring"})
    assert r.status_code == 200
    assert await names(me, PARTS, gadgetId=other_id) == ["spring"]
    assert await names(me, PARTS, gadgetId=gadget_id) == ["screw"]


async def test_upsert_by_refuses_a_parent_the_caller_does_not_see(kit: Kit) -> None:
    kit.serve(gadgets, parts.but(upsert_by=(GadgetPart.gadget_id,)))
    me, stranger = await kit.user(), await kit.stranger()
    theirs = await make(stranger)
    for method in (me.post, me.put):
        r = await method(PARTS, json={"gadgetId": theirs, "name": "bolt"})
        assert problem(r, 404) == {"error": "Gadget not found"}
    assert await names(stranger, PARTS, gadgetId=theirs) == []
