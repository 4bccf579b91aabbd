"""Hooks around the kit's writes: what each one sees, what it may change, and that a refusal leaves
nothing behind (checked with a fresh read of the database)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.crud import Hooks, Write
from api.errors import BadRequest, Conflict, Forbidden
from tests.api.crud.gadgets import Gadget, gadgets
from tests.api.crud.helpers import GADGETS, Kit, action_logs, events, gadget_count, make, problem, stored


class Probe:
    """Records what every hook saw; `refuse` names the hook that raises."""

    def __init__(self, refuse: str = "", error: type[Exception] = BadRequest) -> None:
        self.seen: dict[str, dict[str, Any]] = {}
        self.refuse = refuse
        self.error = error

    def hook(self, name: str) -> Any:
        async def run(write: Write) -> None:
            in_db = (await write.session.execute(select(Gadget.id).where(Gadget.id == write.row.id))).first()
            self.seen[name] = {"action": write.action, "values": dict(write.values), "given": set(write.given),
                               "reason": getattr(write.body, "reason", None) if not isinstance(write.body, dict)
                               else write.body.get("reason"), "id": write.row.id, "flushed": in_db is not None,
                               "before": write.before, "deleted_at": getattr(write.row, "deleted_at", None),
                               "user": write.ctx.user_id}
            if name.startswith("before_") and write.action != "delete":
                write.values["note"] = f"{write.values.get('note') or ''}+{name}"
            if self.refuse == name:
                raise self.error(f"{name} says no")
        return run

    def hooks(self, **more: Any) -> Hooks:
        names = ["before_create", "after_create", "before_update", "after_update", "before_delete", "after_delete"]
        return Hooks(**{n: self.hook(n) for n in names}, **more)


async def test_hooks_see_the_body_the_values_and_the_row(kit: Kit) -> None:
    probe = Probe()
    kit.serve(gadgets.but(hooks=probe.hooks()))
    me = await kit.user()
    gadget_id = await make(me, name="Anvil", quantity=2, reason="restock")
    created = probe.seen["before_create"]
    assert created["reason"] == "restock" and "reason" not in created["values"]
    assert created["values"]["name"] == "Anvil" and created["values"]["quantity"] == 2
    assert {"name", "quantity", "reason"} <= created["given"] and "price" not in created["given"]
    assert created["flushed"] is False and created["user"] == me.user_id
    assert probe.seen["after_create"]["id"] == gadget_id and probe.seen["after_create"]["flushed"] is True
    assert (await stored(Gadget, gadget_id)).note == "+before_create", "before_create may change the values"

    await me.put(GADGETS, json={"id": gadget_id, "quantity": 5, "reason": "sold"})
    updated = probe.seen["before_update"]
    assert updated["reason"] == "sold" and updated["values"] == {"quantity": 5}
    assert updated["given"] == {"id", "quantity", "reason"}
    assert updated["before"]["quantity"] == 2 and updated["before"]["note"] == "+before_create"
    assert probe.seen["after_update"]["values"] == {"quantity": 5, "note": "+before_update"}
    assert (await stored(Gadget, gadget_id)).note == "+before_update"

    await me.delete(GADGETS, params={"id": gadget_id})
    assert probe.seen["before_delete"]["deleted_at"] is None
    assert probe.seen["after_delete"]["deleted_at"] is not None
    assert probe.seen["before_delete"]["before"]["quantity"] == 5


async def test_before_delete_values_are_written_on_soft_delete(kit: Kit) -> None:
    async def deactivate(write: Write) -> None:
        write.values["is_active"] = False

    kit.serve(gadgets.but(hooks=Hooks(before_delete=deactivate)))
    me = await kit.user()
    gadget_id = await make(me)
    await me.delete(GADGETS, params={"id": gadget_id})
    row = await stored(Gadget, gadget_id)
    assert row.is_active is False and row.deleted_at is not None
    after = (await action_logs(me.tenant_id))[-1].snapshot_after
    assert after is not None and after["is_active"] is False


@pytest.mark.parametrize(("refuse", "error", "status"), [
    ("before_create", BadRequest, 400), ("after_create", Conflict, 409), ("before_update", Conflict, 409),
    ("after_update", BadRequest, 400), ("before_delete", Conflict, 409), ("after_delete", BadRequest, 400)])
async def test_a_refusing_hook_leaves_nothing_stored(kit: Kit, refuse: str, error: type[Exception],
                                                    status: int) -> None:
    kit.serve(gadgets, gadgets.but(path="/crudkit/refusing", hooks=Probe(refuse, error).hooks()))
    refusing = "/api/crudkit/refusing"
    me = await kit.user()
    if refuse.endswith("create"):
        assert problem(await me.post(refusing, json={"name": "never"}), status) == {"error": f"{refuse} says no"}
        assert await gadget_count(me.tenant_id) == 0
        assert await action_logs(me.tenant_id) == [] and await events(me.tenant_id) == []
        return
    gadget_id = await make(me, name="kept")
    if refuse.endswith("update"):
        r = await me.put(refusing, json={"id": gadget_id, "name": "changed"})
    else:
        r = await me.delete(refusing, params={"id": gadget_id})
    assert problem(r, status) == {"error": f"{refuse} says no"}
    row = await stored(Gadget, gadget_id)
    assert (row.name, row.note, row.deleted_at) == ("kept", None, None)
    assert len(await action_logs(me.tenant_id)) == 1 and len(await events(me.tenant_id)) == 1


async def test_authorize_runs_before_the_row_is_looked_up(kit: Kit) -> None:
    asked: list[str] = []

    def only_creating(ctx: AuthContext, action: str) -> None:
        asked.append(action)
        if action != "create":
            raise Forbidden(f"No {action} here")

    kit.serve(gadgets.but(hooks=Hooks(authorize=only_creating)))
    me = await kit.user()
    gadget_id = await make(me)
    assert problem(await me.put(GADGETS, json={"id": gadget_id, "name": "x"}), 403) == {"error": "No update here"}
    assert problem(await me.delete(GADGETS, params={"id": "no-such-row"}), 403) == {"error": "No delete here"}
    assert (await me.get(GADGETS)).status_code == 200
    assert asked == ["create", "update", "delete"]
    assert (await stored(Gadget, gadget_id)).name == "gadget"


async def test_created_body(kit: Kit) -> None:
    def created(write: Write) -> dict[str, Any]:
        return {"id": write.row.id, "name": write.row.name, "pin": write.extra["pin"]}

    async def issue_pin(write: Write) -> None:
        write.extra["pin"] = "1234"
        write.values["pin_hash"] = "hashed-1234"

    kit.serve(gadgets.but(hooks=Hooks(before_create=issue_pin, created_body=created)))
    me = await kit.user()
    r = await me.post(GADGETS, json={"name": "Safe"})
    assert r.status_code == 201 and r.json() == {"id": r.json()["id"], "name": "Safe", "pin": "1234"}
    assert r.headers["x-om-operation"]
    assert (await stored(Gadget, r.json()["id"])).pin_hash == "hashed-1234"


async def test_decorate_adds_fields_once_per_page(kit: Kit) -> None:
    pages: list[int] = []

    async def decorate(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
        pages.append(len(items))
        for item in items:
            item["shout"] = item["name"].upper()

    kit.serve(gadgets.but(hooks=Hooks(decorate=decorate)))
    me = await kit.user()
    assert (await me.get(GADGETS)).json()["items"] == [] and pages == []
    for name in ("a", "b", "c"):
        await make(me, name=name)
    items = (await me.get(GADGETS, params={"pageSize": 2})).json()["items"]
    assert [i["shout"] for i in items] == ["A", "B"] and pages == [2]


async def test_snapshot_extra_is_in_the_audit_snapshots(kit: Kit) -> None:
    async def extra(session: AsyncSession, row: Any) -> dict[str, Any]:
        return {"partCount": len(row.name)}

    kit.serve(gadgets.but(hooks=Hooks(snapshot_extra=extra)))
    me = await kit.user()
    gadget_id = await make(me, name="abc")
    await me.put(GADGETS, json={"id": gadget_id, "name": "abcde"})
    await me.delete(GADGETS, params={"id": gadget_id})
    logs = await action_logs(me.tenant_id)
    assert [log.command_id for log in logs] == ["crudkit.gadget.create", "crudkit.gadget.update",
                                                "crudkit.gadget.delete"]
    assert [((log.snapshot_before or {}).get("partCount"), (log.snapshot_after or {}).get("partCount"))
            for log in logs] == [(None, 3), (3, 5), (5, 5)]
    assert (logs[1].changes_json or {})["partCount"] == {"from": 3, "to": 5}


async def test_updated_body_answers_from_the_write(kit: Kit) -> None:
    kit.serve(gadgets.but(hooks=Hooks(updated_body=lambda w: {"id": w.row.id, "name": w.row.name})))
    me = await kit.user()
    gadget_id = (await me.post(GADGETS, json={"name": "before"})).json()["id"]
    r = await me.put(GADGETS, json={"id": gadget_id, "name": "after"})
    assert r.status_code == 200 and r.json() == {"id": gadget_id, "name": "after"}
