"""`Resource.owns`: the rows a deleted record takes with it (soft-deleted, or deleted when they cannot be),
brought back by its undo and taken again by its redo, the record soft- or hard-deleted."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, select

from api import audit
from api.crud import Exclusive, Hooks, Owned
from api.db import new_id, sessionmaker, utcnow
from api.modules.audit_logs.models import ActionLog
from tests.api.crud.gadgets import Gadget, GadgetLabel, GadgetPart, gadgets
from tests.api.crud.helpers import GADGETS, UNDO, Kit, make, on_platform, stored
from tests.fixtures import Caller

REDO = "/api/audit_logs/audit-logs/actions/redo"
OWNING = gadgets.but(owns=(Owned(GadgetPart.gadget_id), Owned(GadgetLabel.gadget_id)))


async def _children(me: Caller, gadget_id: str, *, parts: list[str], labels: list[str]) -> None:
    async with sessionmaker()() as s:
        s.add_all([GadgetPart(id=new_id(), tenant_id=me.tenant_id, organization_id=me.org_id, gadget_id=gadget_id,
                              name=name) for name in parts])
        s.add_all([GadgetLabel(id=new_id(), tenant_id=me.tenant_id, organization_id=me.org_id, gadget_id=gadget_id,
                               text=text, printed_on=date(2026, 1, 2)) for text in labels])
        await s.commit()


async def _live(gadget_id: str) -> tuple[list[str], list[tuple[str, str | None]]]:
    """The gadget's live parts' names and its labels (text, printed on), sorted."""
    async with sessionmaker()() as s:
        parts = (await s.execute(select(GadgetPart.name).where(
            GadgetPart.gadget_id == gadget_id, GadgetPart.deleted_at.is_(None)))).scalars().all()
        labels = (await s.execute(select(GadgetLabel.text, GadgetLabel.printed_on).where(
            GadgetLabel.gadget_id == gadget_id))).all()
    return sorted(parts), sorted((t, str(d) if d else None) for t, d in labels)


@pytest.mark.parametrize("soft_delete", [True, False], ids=["soft", "hard"])
async def test_a_delete_takes_the_owned_rows_and_its_undo_and_redo_follow(kit: Kit, soft_delete: bool) -> None:
    kit.serve(OWNING.but(soft_delete=soft_delete))
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    gadget_id, other_id = await make(me, name="Anvil"), await make(me, name="Other")
    await _children(me, gadget_id, parts=["bolt", "nut"], labels=["fragile"])
    await _children(me, other_id, parts=["spring"], labels=["heavy"])
    # A part deleted before the gadget stays deleted through the gadget's undo.
    async with sessionmaker()() as s:
        s.add(GadgetPart(id=new_id(), tenant_id=me.tenant_id, organization_id=me.org_id, gadget_id=gadget_id,
                         name="lost", deleted_at=utcnow()))
        await s.commit()
    whole = (["bolt", "nut"], [("fragile", "2026-01-02")])

    r = await me.delete(GADGETS, params={"id": gadget_id})
    assert r.status_code == 200, r.text
    assert await _live(gadget_id) == ([], [])
    assert await _live(other_id) == (["spring"], [("heavy", "2026-01-02")])

    undone = await on_platform(kit, me, UNDO, {"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert await _live(gadget_id) == whole
    assert (await me.get(GADGETS, params={"id": gadget_id})).json()["items"][0]["name"] == "Anvil"

    await on_platform(kit, me, REDO, {"logId": undone["logId"]})
    assert await _live(gadget_id) == ([], [])
    assert not audit.is_live(await stored(Gadget, gadget_id))
    assert await _live(other_id) == (["spring"], [("heavy", "2026-01-02")])


async def test_undoing_a_redone_delete_brings_the_rows_back_again(kit: Kit) -> None:
    kit.serve(OWNING.but(soft_delete=False))
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    gadget_id = await make(me)
    await _children(me, gadget_id, parts=["bolt"], labels=["fragile", "keep dry"])
    r = await me.delete(GADGETS, params={"id": gadget_id})
    undone = await on_platform(kit, me, UNDO, {"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    redone = await on_platform(kit, me, REDO, {"logId": undone["logId"]})
    await on_platform(kit, me, UNDO, {"undoToken": redone["undoToken"]})
    assert await _live(gadget_id) == (["bolt"], [("fragile", "2026-01-02"), ("keep dry", "2026-01-02")])


async def test_undoing_a_create_takes_the_owned_rows_and_redoing_it_brings_them_back(kit: Kit) -> None:
    kit.serve(OWNING)
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    r = await me.post(GADGETS, json={"name": "Anvil"})
    gadget_id = r.json()["id"]
    await _children(me, gadget_id, parts=["bolt"], labels=["fragile"])
    undone = await on_platform(kit, me, UNDO, {"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert await _live(gadget_id) == ([], [])
    redone = await on_platform(kit, me, REDO, {"logId": undone["logId"]})
    assert await _live(gadget_id) == (["bolt"], [("fragile", "2026-01-02")])
    # And round again, from the redo's own entry.
    undone = await on_platform(kit, me, UNDO, {"undoToken": redone["undoToken"]})
    assert await _live(gadget_id) == ([], [])
    await on_platform(kit, me, REDO, {"logId": undone["logId"]})
    assert await _live(gadget_id) == (["bolt"], [("fragile", "2026-01-02")])


async def test_where_narrows_the_owned_rows(kit: Kit) -> None:
    kit.serve(gadgets.but(owns=(Owned(GadgetPart.gadget_id, where=(GadgetPart.name != "spare",)),)))
    me = await kit.user()
    gadget_id = await make(me)
    await _children(me, gadget_id, parts=["bolt", "spare"], labels=[])
    await me.delete(GADGETS, params={"id": gadget_id})
    assert await _live(gadget_id) == (["spare"], [])


async def test_the_log_keeps_the_taken_rows_in_the_snapshot_not_in_the_changes(kit: Kit) -> None:
    kit.serve(OWNING.but(soft_delete=False))
    me = await kit.user()
    gadget_id = await make(me)
    await _children(me, gadget_id, parts=["bolt"], labels=["fragile"])
    await me.delete(GADGETS, params={"id": gadget_id})
    async with sessionmaker()() as s:
        entry = (await s.execute(select(ActionLog).where(
            ActionLog.resource_id == gadget_id, ActionLog.command_id == "crudkit.gadget.delete"))).scalars().one()
    assert entry.snapshot_before is not None and entry.changes_json is not None
    taken = entry.snapshot_before["_owned"]
    assert set(taken) == {"crudkit_gadget_parts", "crudkit_gadget_labels"}
    assert len(taken["crudkit_gadget_parts"]["ids"]) == 1
    assert [row["text"] for row in taken["crudkit_gadget_labels"]["rows"]] == ["fragile"]
    assert "_owned" not in entry.changes_json and "name" in entry.changes_json


async def test_a_delete_without_owned_rows_records_nothing_of_them(kit: Kit) -> None:
    kit.serve(OWNING)
    me = await kit.user()
    gadget_id = await make(me)
    await me.delete(GADGETS, params={"id": gadget_id})
    async with sessionmaker()() as s:
        entry = (await s.execute(select(ActionLog).where(
            ActionLog.resource_id == gadget_id, ActionLog.command_id == "crudkit.gadget.delete"))).scalars().one()
    assert entry.snapshot_before is not None and "_owned" not in entry.snapshot_before


# --- hooks.restore_extra: state outside the columns, put back by undo ------------------------------------

async def _part_names(session: Any, row: Any) -> dict[str, Any]:
    names = (await session.execute(select(GadgetPart.name).where(
        GadgetPart.gadget_id == row.id, GadgetPart.deleted_at.is_(None)).order_by(GadgetPart.name))).scalars()
    return {"partNames": list(names)}


async def _put_part_names(session: Any, row: Any, snap: dict[str, Any]) -> None:
    await session.execute(delete(GadgetPart).where(GadgetPart.gadget_id == row.id))
    session.add_all([GadgetPart(id=new_id(), tenant_id=row.tenant_id, organization_id=row.organization_id,
                                gadget_id=row.id, name=name) for name in snap["partNames"]])


async def test_restore_extra_puts_back_what_snapshot_extra_recorded_unless_it_changed_since(kit: Kit) -> None:
    kit.serve(gadgets.but(hooks=Hooks(snapshot_extra=_part_names, restore_extra=_put_part_names)))
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    gadget_id = await make(me, name="v1")
    await _children(me, gadget_id, parts=["bolt"], labels=[])
    r = await me.put(GADGETS, json={"id": gadget_id, "name": "v2"})
    await _children(me, gadget_id, parts=["nut"], labels=[])
    # The parts changed after the update (not through it): undoing it would overwrite that, so it is refused.
    refused = await kit.platform.post(UNDO, json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]},
                                      headers={"Authorization": f"Bearer {me.token}"})
    assert refused.status_code == 400 and refused.json()["error"] == "The record has changed since this action"

    r = await me.put(GADGETS, json={"id": gadget_id, "name": "v3"})
    async with sessionmaker()() as s:
        await s.execute(delete(GadgetPart).where(GadgetPart.gadget_id == gadget_id, GadgetPart.name == "nut"))
        await s.commit()
    await _children(me, gadget_id, parts=["nut"], labels=[])  # the same names again: no change to refuse
    await on_platform(kit, me, UNDO, {"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert (await stored(Gadget, gadget_id)).name == "v2"
    assert (await _live(gadget_id))[0] == ["bolt", "nut"]


async def test_extra_keys_leave_the_extra_state_out_of_updates_that_cannot_change_it(kit: Kit) -> None:
    kit.serve(gadgets.but(hooks=Hooks(snapshot_extra=_part_names, restore_extra=_put_part_names,
                                      extra_keys=frozenset({"note"}))))
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    gadget_id = await make(me, name="v1")
    await _children(me, gadget_id, parts=["bolt"], labels=[])
    await me.put(GADGETS, json={"id": gadget_id, "name": "v2"})
    await me.put(GADGETS, json={"id": gadget_id, "note": "n"})
    async with sessionmaker()() as s:
        entries = (await s.execute(select(ActionLog).where(
            ActionLog.resource_id == gadget_id, ActionLog.command_id == "crudkit.gadget.update")
            .order_by(ActionLog.created_at))).scalars().all()
    assert [("partNames" in e.snapshot_before, "partNames" in e.snapshot_after) for e in entries
            if e.snapshot_before is not None and e.snapshot_after is not None] == [(False, False), (True, True)]


# --- Exclusive: one row of a group carries a flag ------------------------------------------------------

async def _active(owner: str) -> list[str]:
    async with sessionmaker()() as s:
        return sorted((await s.execute(select(Gadget.name).where(
            Gadget.owner_id == owner, Gadget.is_active.is_(True), Gadget.deleted_at.is_(None)))).scalars())


async def test_an_exclusive_flag_moves_within_its_group_and_undo_moves_it_back(kit: Kit) -> None:
    kit.serve(gadgets.but(exclusive=Exclusive(Gadget.is_active, among=Gadget.owner_id)))
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    other = await kit.user(["crudkit.*", "audit_logs.*"])
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    a = await make(me, name="A", ownerId=mine)
    b = await make(me, name="B", ownerId=mine, isActive=False)
    await make(me, name="C", ownerId=theirs)
    assert await _active(mine) == ["A"]
    r = await me.put(GADGETS, json={"id": b, "isActive": True})
    assert await _active(mine) == ["B"] and await _active(theirs) == ["C"]
    await on_platform(kit, me, UNDO, {"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert await _active(mine) == ["A"]

    # The flag moved since (someone else's write): undoing this caller's change would move it back, so no.
    r = await me.put(GADGETS, json={"id": b, "isActive": True})
    await other.put(GADGETS, json={"id": a, "isActive": True})
    refused = await kit.platform.post(UNDO, json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]},
                                      headers={"Authorization": f"Bearer {me.token}"})
    assert refused.status_code == 400 and await _active(mine) == ["A"]


async def test_undoing_the_creation_of_the_flagged_row_gives_the_flag_back(kit: Kit) -> None:
    kit.serve(gadgets.but(exclusive=Exclusive(Gadget.is_active, among=Gadget.owner_id)))
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    mine = str(uuid.uuid4())
    await make(me, name="A", ownerId=mine)
    r = await me.post(GADGETS, json={"name": "B", "ownerId": mine})
    assert await _active(mine) == ["B"]
    undone = await on_platform(kit, me, UNDO, {"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert await _active(mine) == ["A"]
    await on_platform(kit, me, REDO, {"logId": undone["logId"]})
    assert await _active(mine) == ["B"]
