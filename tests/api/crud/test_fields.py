"""Declarative serializers: casing, renames, computed keys, JavaScript timestamps, and hidden columns that
never show anywhere (list items, detail, domain events, audit snapshots, exports)."""

from __future__ import annotations

import json
from typing import Any

from api.crud import Fields, Hooks, Write
from tests.api.crud.gadgets import Gadget, gadgets
from tests.api.crud.helpers import GADGETS, Kit, action_logs, events, make, stored

ANVIL: dict[str, Any] = {"name": "Anvil", "price": "19.99", "seenAt": "2024-05-01T12:00:00.5+02:00",
                         "madeOn": "2024-01-15", "quantity": 2}


async def _with_pin(write: Write) -> None:
    write.values["pin_hash"] = "hashed"


def _hidden_nowhere(value: Any) -> None:
    text = json.dumps(value)
    assert "pin_hash" not in text and "pinHash" not in text and "hashed" not in text, text


async def test_default_fields_are_every_column_in_camel_case(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    gadget_id = await make(me, **ANVIL)
    item = (await me.get(GADGETS)).json()["items"][0]
    assert set(item) == {"id", "tenantId", "organizationId", "createdAt", "updatedAt", "deletedAt", "name", "kind",
                         "quantity", "price", "isActive", "seenAt", "madeOn", "note", "ownerId"}
    assert {k: item[k] for k in ("id", "price", "seenAt", "madeOn", "quantity", "isActive", "deletedAt")} == {
        "id": gadget_id, "price": "19.99", "seenAt": "2024-05-01T10:00:00.500000+00:00", "madeOn": "2024-01-15",
        "quantity": 2, "isActive": True, "deletedAt": None}


async def test_snake_case_rename_and_computed(kit: Kit) -> None:
    fields = Fields("id", "name", "is_active", "made_on", casing="snake", rename={"name": "cf_title"},
                    computed={"label": lambda g: f"{g.name} x{g.quantity}", "made": lambda g: g.made_on})
    kit.serve(gadgets.but(fields=fields))
    me = await kit.user()
    gadget_id = await make(me, **ANVIL)
    assert (await me.get(GADGETS)).json()["items"] == [
        {"id": gadget_id, "cf_title": "Anvil", "is_active": True, "made_on": "2024-01-15", "label": "Anvil x2",
         "made": "2024-01-15"}]


async def test_javascript_timestamps(kit: Kit) -> None:
    kit.serve(gadgets.but(fields=Fields("seen_at", "created_at", "made_on", timestamps="js")))
    me = await kit.user()
    await make(me, **ANVIL)
    item = (await me.get(GADGETS)).json()["items"][0]
    assert item["seenAt"] == "2024-05-01T10:00:00.500Z"
    assert item["createdAt"].endswith("Z") and len(item["createdAt"]) == 24
    assert item["madeOn"] == "2024-01-15", "dates are not instants"


async def test_hidden_columns_never_show(kit: Kit) -> None:
    kit.serve(gadgets.but(fields=Fields("id", "name", "pin_hash"), detail=True, hooks=Hooks(before_create=_with_pin)))
    me = await kit.user()
    gadget_id = await make(me, name="Safe")
    await me.put(GADGETS, json={"id": gadget_id, "name": "Safer"})
    await me.delete(GADGETS, params={"id": gadget_id})
    assert (await stored(Gadget, gadget_id)).pin_hash == "hashed"
    items = (await me.get(GADGETS, params={"withDeleted": "true"})).json()["items"]
    assert items == [{"id": gadget_id, "name": "Safer"}]
    for fmt in ("csv", "json", "xml", "markdown"):
        _hidden_nowhere((await me.get(GADGETS, params={"withDeleted": "true", "format": fmt})).text)
    announced = await events(me.tenant_id)
    assert [e.name for e in announced] == ["crudkit.gadget.created", "crudkit.gadget.updated",
                                           "crudkit.gadget.deleted"]
    for event in announced:
        _hidden_nowhere(event.payload)
    logs = await action_logs(me.tenant_id)
    assert len(logs) == 3
    for log in logs:
        _hidden_nowhere([log.snapshot_before, log.snapshot_after, log.changes_json, log.command_payload])
    assert logs[0].snapshot_after is not None and logs[0].snapshot_after["name"] == "Safe"


async def test_events_use_the_detail_fields(kit: Kit) -> None:
    kit.serve(gadgets.but(fields=Fields("id", "name"), detail_fields=Fields("id", "name", "quantity", casing="snake"),
                          detail=True))
    me = await kit.user()
    gadget_id = await make(me, name="Anvil", quantity=4)
    assert (await me.get(GADGETS)).json()["items"] == [{"id": gadget_id, "name": "Anvil"}]
    assert (await me.get(f"{GADGETS}/{gadget_id}")).json() == {"id": gadget_id, "name": "Anvil", "quantity": 4}
    event = (await events(me.tenant_id))[0]
    assert event.name == "crudkit.gadget.created"
    assert event.payload == {"id": gadget_id, "name": "Anvil", "quantity": 4, "actorUserId": me.user_id,
                             "tenantId": me.tenant_id, "organizationId": me.org_id}, "the outbox adds the owner"
    assert (event.tenant_id, event.organization_id) == (me.tenant_id, me.org_id)
