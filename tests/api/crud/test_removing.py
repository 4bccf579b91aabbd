"""Undo of a create and redo of a delete remove the record as a delete does (`service.removing`): the resource's
`authorize` and `before_delete` may refuse, leaving everything as it was; its `after_delete` runs once the row is
gone."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import func, select

from api import audit
from api.crud import Hooks, Write
from api.db import new_id, sessionmaker
from api.errors import Conflict, Forbidden
from api.modules.audit_logs.models import ActionLog
from tests.api.crud.gadgets import Gadget, GadgetPart, gadgets
from tests.api.crud.helpers import GADGETS, UNDO, Kit, make, on_platform, stored
from tests.fixtures import Caller

REDO = "/api/audit_logs/audit-logs/actions/redo"
IN_USE = "Gadget still has parts; remove them first"


async def _refuse_with_parts(write: Write) -> None:
    used = (await write.session.execute(select(func.count()).select_from(GadgetPart).where(
        GadgetPart.gadget_id == write.row.id, GadgetPart.deleted_at.is_(None)))).scalar_one()
    if used:
        raise Conflict(IN_USE)


GUARDED = gadgets.but(hooks=Hooks(before_delete=_refuse_with_parts))


def _token(r: httpx.Response) -> str:
    return str(json.loads(r.headers["x-om-operation"])["undoToken"])


async def _add_part(me: Caller, gadget_id: str) -> str:
    """A part written by someone else (straight to the database): not an action of `me`'s to undo first."""
    part = GadgetPart(id=new_id(), tenant_id=me.tenant_id, organization_id=me.org_id, gadget_id=gadget_id,
                      name="bolt")
    async with sessionmaker()() as s:
        s.add(part)
        await s.commit()
    return part.id


async def _states(me: Caller) -> list[str]:
    async with sessionmaker()() as s:
        return list((await s.execute(select(ActionLog.execution_state).where(
            ActionLog.tenant_id == me.tenant_id, ActionLog.resource_kind == gadgets.entity)
            .order_by(ActionLog.created_at))).scalars())


async def _post(kit: Kit, me: Caller, path: str, body: dict[str, Any]) -> httpx.Response:
    return await kit.platform.post(path, json=body, headers={"Authorization": f"Bearer {me.token}"})


async def test_undoing_a_creation_is_refused_as_its_delete_would_be(kit: Kit) -> None:
    kit.serve(GUARDED)
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    r = await me.post(GADGETS, json={"name": "Anvil"})
    assert r.status_code == 201, r.text
    gadget_id, token = r.json()["id"], _token(r)
    part_id = await _add_part(me, gadget_id)

    r = await _post(kit, me, UNDO, {"undoToken": token})
    assert r.status_code == 409, r.text
    assert r.json() == {"error": IN_USE}
    # Nothing moved: the gadget is live, the entry still undoable.
    assert audit.is_live(await stored(Gadget, gadget_id))
    assert await _states(me) == ["done"]

    async with sessionmaker()() as s:
        part = await s.get(GadgetPart, part_id)
        assert part is not None
        await s.delete(part)
        await s.commit()
    await on_platform(kit, me, UNDO, {"undoToken": token})
    assert not audit.is_live(await stored(Gadget, gadget_id))
    assert await _states(me) == ["undone"]


async def test_redoing_a_delete_is_refused_as_the_delete_would_be(kit: Kit) -> None:
    kit.serve(GUARDED)
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    gadget_id = await make(me, name="Anvil")
    r = await me.delete(GADGETS, params={"id": gadget_id})
    assert r.status_code == 200, r.text
    undone = await on_platform(kit, me, UNDO, {"undoToken": _token(r)})
    assert audit.is_live(await stored(Gadget, gadget_id))
    await _add_part(me, gadget_id)

    r = await _post(kit, me, REDO, {"logId": undone["logId"]})
    assert r.status_code == 409, r.text
    assert r.json() == {"error": IN_USE}
    assert audit.is_live(await stored(Gadget, gadget_id))
    assert await _states(me) == ["done", "undone"]  # the create, and the delete: still redoable


async def test_the_resource_authorize_hook_is_asked_for_the_removal(kit: Kit) -> None:
    def no_deletes(ctx: Any, action: str) -> None:
        if action == "delete":
            raise Forbidden("Only the archivist deletes gadgets")

    kit.serve(gadgets.but(hooks=Hooks(authorize=no_deletes)))
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    r = await me.post(GADGETS, json={"name": "Anvil"})
    assert r.status_code == 201, r.text
    gadget_id = r.json()["id"]

    r = await _post(kit, me, UNDO, {"undoToken": _token(r)})
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "Only the archivist deletes gadgets"
    assert audit.is_live(await stored(Gadget, gadget_id))
    assert await _states(me) == ["done"]


async def test_after_delete_runs_once_the_row_is_gone(kit: Kit) -> None:
    seen: list[tuple[str, bool]] = []

    async def after(write: Write) -> None:
        row = await write.session.get(Gadget, write.row.id)
        seen.append((write.action, row is not None and audit.is_live(row)))

    kit.serve(gadgets.but(hooks=Hooks(after_delete=after)))
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    r = await me.post(GADGETS, json={"name": "Anvil"})
    assert r.status_code == 201, r.text
    undone = await on_platform(kit, me, UNDO, {"undoToken": _token(r)})
    assert seen == [("delete", False)]
    # Putting the row back (the redo of the create) is no delete.
    await on_platform(kit, me, REDO, {"logId": undone["logId"]})
    assert seen == [("delete", False)]
