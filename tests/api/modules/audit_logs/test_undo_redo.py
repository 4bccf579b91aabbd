"""Undo and redo of the caller's own actions, with example todos as the resource."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from api.db import sessionmaker
from api.modules.auth.models import RoleAcl, UserRole
from api.modules.example.models import Todo
from tests.api.modules.audit_logs.helpers import (
    ACTOR,
    REDO,
    TODOS,
    UNDO,
    create_todo,
    entry,
    events,
    log_id_of,
    operation,
    todos,
)
from tests.fixtures import World


async def test_create_undo_redo(world: World) -> None:
    me = await world.user(ACTOR)
    todo_id, token = await create_todo(me, "Write tests", cf_priority="high")
    log_id = await log_id_of(token)

    r = await me.post(UNDO, json={"undoToken": token})
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "logId": log_id}
    assert await todos(me) == []
    assert (await entry(log_id)).execution_state == "undone"

    r = await me.post(REDO, json={"logId": log_id})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["logId"] != log_id and body["undoToken"] not in (None, token)
    op = operation(r)
    assert op["id"] == body["logId"] and op["undoToken"] == body["undoToken"]
    assert op["resourceKind"] == "example.todo" and op["resourceId"] == todo_id
    items = await todos(me)
    assert [(i["id"], i["title"], i["cf_priority"]) for i in items] == [(todo_id, "Write tests", "high")]
    old, new = await entry(log_id), await entry(body["logId"])
    assert old.execution_state == "redone"
    assert new.execution_state == "done" and new.command_id == "example.todo.create"
    assert new.actor_user_id == me.user_id and new.context_json == {"redoOf": log_id}
    assert new.snapshot_before is None and new.snapshot_after and new.snapshot_after["title"] == "Write tests"

    # The same undo can be redone once only, and the consumed token is dead.
    assert (await me.post(REDO, json={"logId": log_id})).status_code == 400
    assert (await me.post(UNDO, json={"undoToken": token})).status_code == 400
    # The redo is itself an action: undoing it removes the todo again.
    assert (await me.post(UNDO, json={"undoToken": body["undoToken"]})).json() == {"ok": True,
                                                                                 "logId": body["logId"]}
    assert await todos(me) == []

    names = [e.name for e in await events(me.tenant_id, todo_id)]
    assert names == ["example.todo.created", "example.todo.deleted", "example.todo.created",
                     "example.todo.deleted"]
    # Undo/redo events carry the same payload as the kit's own writes.
    created = (await events(me.tenant_id, todo_id))[2].payload
    assert created["title"] == "Write tests" and created["cf_priority"] == "high"
    assert created["tenantId"] == me.tenant_id and created["organizationId"] == me.org_id


async def test_update_undo_restores_the_before_snapshot_and_redo_reapplies(world: World) -> None:
    me = await world.user(ACTOR)
    todo_id, _ = await create_todo(me, "Before", cf_priority="low")
    r = await me.put(TODOS, json={"id": todo_id, "title": "After", "isDone": True, "cf_priority": "high"})
    assert r.status_code == 200
    token = operation(r)["undoToken"]

    r = await me.post(UNDO, json={"undoToken": token})
    assert r.status_code == 200, r.text
    log_id = r.json()["logId"]
    [item] = await todos(me)
    assert (item["title"], item["is_done"], item["cf_priority"]) == ("Before", False, "low")

    r = await me.post(REDO, json={"logId": log_id})
    assert r.status_code == 200, r.text
    [item] = await todos(me)
    assert (item["title"], item["is_done"], item["cf_priority"]) == ("After", True, "high")
    new = await entry(r.json()["logId"])
    assert new.command_id == "example.todo.update"
    assert new.changes_json is not None
    assert new.changes_json["title"] == {"from": "Before", "to": "After"}

    evs = await events(me.tenant_id, todo_id)
    assert [e.name for e in evs] == ["example.todo.created", "example.todo.updated", "example.todo.updated",
                                     "example.todo.updated"]
    assert evs[2].payload["title"] == "Before" and evs[3].payload["title"] == "After"


async def test_delete_undo_restores_and_redo_deletes_again(world: World) -> None:
    me = await world.user(ACTOR)
    todo_id, _ = await create_todo(me, "Keep me", cf_tags=["a"])
    r = await me.delete(TODOS, params={"id": todo_id})
    token = operation(r)["undoToken"]

    r = await me.post(UNDO, json={"undoToken": token})
    assert r.status_code == 200, r.text
    [item] = await todos(me)
    assert (item["id"], item["title"], item["cf_tags"], item["deleted_at"]) == (todo_id, "Keep me", ["a"], None)

    assert (await me.post(REDO, json={"logId": r.json()["logId"]})).status_code == 200
    assert await todos(me) == []
    names = [e.name for e in await events(me.tenant_id, todo_id)]
    assert names == ["example.todo.created", "example.todo.deleted", "example.todo.created",
                     "example.todo.deleted"]


async def test_only_the_latest_undoable_token_is_accepted(world: World) -> None:
    me = await world.user(ACTOR)
    first, first_token = await create_todo(me, "first")
    second, second_token = await create_todo(me, "second")

    r = await me.post(UNDO, json={"undoToken": first_token})
    assert r.status_code == 400 and r.json() == {"error": "Invalid or unavailable undo token"}
    assert {i["id"] for i in await todos(me)} == {first, second}

    assert (await me.post(UNDO, json={"undoToken": second_token})).status_code == 200
    # Once the newer action is undone, the older one is the latest again (an undo stack).
    assert (await me.post(UNDO, json={"undoToken": first_token})).status_code == 200
    assert await todos(me) == []
    assert (await me.post(UNDO, json={"undoToken": "never-issued"})).status_code == 400


async def test_redo_takes_only_the_most_recently_undone(world: World) -> None:
    me = await world.user(ACTOR)
    _, first_token = await create_todo(me, "first")
    _, second_token = await create_todo(me, "second")
    second_log = (await me.post(UNDO, json={"undoToken": second_token})).json()["logId"]
    first_log = (await me.post(UNDO, json={"undoToken": first_token})).json()["logId"]

    r = await me.post(REDO, json={"logId": second_log})
    assert r.status_code == 400 and r.json() == {"error": "Log not eligible for redo"}
    assert await todos(me) == []
    assert (await me.post(REDO, json={"logId": first_log})).status_code == 200
    assert (await me.post(REDO, json={"logId": second_log})).status_code == 200
    assert {i["title"] for i in await todos(me)} == {"first", "second"}
    assert (await me.post(REDO, json={"logId": "not-a-log"})).status_code == 400


async def test_another_users_token_or_log_is_refused(world: World) -> None:
    owner = await world.user(ACTOR)
    colleague = await world.user(ACTOR + ["audit_logs.view_tenant"])
    todo_id, token = await create_todo(owner, "mine")

    r = await colleague.post(UNDO, json={"undoToken": token})
    assert r.status_code == 400 and r.json() == {"error": "Invalid or unavailable undo token"}
    assert [i["id"] for i in await todos(owner)] == [todo_id]

    log_id = (await owner.post(UNDO, json={"undoToken": token})).json()["logId"]
    assert (await colleague.post(REDO, json={"logId": log_id})).status_code == 400
    assert await todos(owner) == []
    assert (await entry(log_id)).execution_state == "undone"


async def test_another_tenant_can_use_nothing(client: httpx.AsyncClient, world: World) -> None:
    me = await world.user(ACTOR)
    todo_id, token = await create_todo(me, "ours")
    outsider = await World(client).user(["*"])

    assert (await outsider.post(UNDO, json={"undoToken": token})).status_code == 400
    log_id = (await me.post(UNDO, json={"undoToken": token})).json()["logId"]
    assert (await outsider.post(REDO, json={"logId": log_id})).status_code == 400
    assert (await entry(log_id)).execution_state == "undone"
    assert (await me.post(REDO, json={"logId": log_id})).status_code == 200
    assert [i["id"] for i in await todos(me)] == [todo_id]


async def test_bad_bodies_are_400_and_change_nothing(world: World) -> None:
    me = await world.user(ACTOR)
    todo_id, token = await create_todo(me, "stay")
    bad_json: list[object] = [{}, {"undoToken": ""}, {"undoToken": "   "}, {"undoToken": 5},
                              {"undoToken": None}, {"undoToken": ["x"]}, {"undoToken": {"t": token}},
                              [], [token], token, 1]
    for body in bad_json:
        r = await me.post(UNDO, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Invalid input" and r.json()["details"]
    for raw in [b"{not json", b"", b'{"undoToken": "x"']:
        r = await me.post(UNDO, content=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (raw, r.text)
        assert "error" in r.json()
    assert [i["id"] for i in await todos(me)] == [todo_id]

    log_id = (await me.post(UNDO, json={"undoToken": token})).json()["logId"]
    for body in [{}, {"logId": ""}, {"logId": 7}, {"logId": None}, {"logId": [log_id]}, [log_id]]:
        r = await me.post(REDO, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Invalid input"
    r = await me.post(REDO, content=b"{logId:", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert await todos(me) == []
    assert (await entry(log_id)).execution_state == "undone"
    assert (await me.post(REDO, json={"logId": log_id})).status_code == 200


async def test_undo_refuses_to_overwrite_a_later_change(world: World) -> None:
    me = await world.user(ACTOR)
    colleague = await world.user(["example.todos.*"])
    todo_id, _ = await create_todo(me, "v1")
    token = operation(await me.put(TODOS, json={"id": todo_id, "title": "v2"}))["undoToken"]
    assert (await colleague.put(TODOS, json={"id": todo_id, "isDone": True})).status_code == 200

    r = await me.post(UNDO, json={"undoToken": token})
    assert r.status_code == 400 and r.json() == {"error": "The record has changed since this action"}
    [item] = await todos(me)
    assert (item["title"], item["is_done"]) == ("v2", True)

    # Likewise redo, when somebody touched the record after the undo.
    _, token2 = await create_todo(me, "other")
    log_id = (await me.post(UNDO, json={"undoToken": token2})).json()["logId"]
    async with sessionmaker()() as s:
        row = (await s.execute(select(Todo).where(Todo.title == "other", Todo.tenant_id == me.tenant_id)))\
            .scalars().one()
        row.deleted_at = None  # restored by somebody else meanwhile
        row.title = "other, edited"
        await s.commit()
    r = await me.post(REDO, json={"logId": log_id})
    assert r.status_code == 400
    assert (await entry(log_id)).execution_state == "undone"


async def test_undo_and_redo_recheck_the_resource_features(world: World) -> None:
    me = await world.user(ACTOR)
    _, token = await create_todo(me, "x")
    async with sessionmaker()() as s:
        role_ids = (await s.execute(select(UserRole.role_id).where(UserRole.user_id == me.user_id))).scalars().all()
        for acl in (await s.execute(select(RoleAcl).where(RoleAcl.role_id.in_(role_ids)))).scalars():
            acl.features_json = ["example.todos.view", "audit_logs.*"]
        await s.commit()
    r = await me.post(UNDO, json={"undoToken": token})
    assert r.status_code == 403
    assert r.json() == {"error": "Forbidden", "requiredFeatures": ["example.todos.manage"]}
    assert len(await todos(me)) == 1


async def test_features_and_authentication_are_required(world: World) -> None:
    viewer = await world.user(["audit_logs.view_self"])
    nobody = await world.user([])
    calls = [("GET", "/api/audit_logs/audit-logs/actions", None, "audit_logs.view_self"),
             ("GET", "/api/audit_logs/audit-logs/access", None, "audit_logs.view_self"),
             ("POST", UNDO, {"undoToken": "t"}, "audit_logs.undo_self"),
             ("POST", REDO, {"logId": "l"}, "audit_logs.redo_self")]
    for method, path, body, feature in calls:
        r = await world.client.request(method, path, json=body)
        assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}, path
        r = await nobody.client.request(method, path, json=body, headers=nobody._h(None))
        assert r.status_code == 403, path
        assert r.json() == {"error": "Forbidden", "requiredFeatures": [feature]}
    assert (await viewer.post(UNDO, json={"undoToken": "t"})).status_code == 403
    assert (await viewer.post(REDO, json={"logId": "l"})).status_code == 403
