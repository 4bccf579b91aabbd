"""UPDATE_ENTITY on the todos table: allow-listed commands through the CRUD service as the workflow's user,
with that user's features and organization scope, audited, evented, and done once per idempotency key."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.exceptions import ApplicationError

from activities.deps import ActivityDeps
from activities.handlers import update_entity
from api import manifest
from api.db import sessionmaker
from api.modules.audit_logs.models import ActionLog
from api.modules.example.models import Todo
from api.outbox_models import OutboxEvent
from engine.contract import RunActivityInput
from tests.activities.conftest import activity_input
from tests.fixtures import Caller, World

MANAGE = ["example.todos.view", "example.todos.manage"]


def entity_input(caller: Caller, config: dict[str, Any], **kw: Any) -> RunActivityInput:
    kw.setdefault("user_id", caller.user_id)
    kw.setdefault("tenant_id", caller.tenant_id)
    kw.setdefault("organization_id", caller.org_id)
    return activity_input("UPDATE_ENTITY", config, **kw)


async def failure(deps: ActivityDeps, inp: RunActivityInput) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        await update_entity.handle(inp, deps)
    assert info.value.non_retryable
    return info.value


async def todo_count(tenant_id: str, title: str) -> int:
    async with sessionmaker()() as s:
        return (await s.execute(select(func.count()).select_from(Todo).where(
            Todo.tenant_id == tenant_id, Todo.title == title))).scalar_one()


async def test_create_then_update_through_the_crud_service(deps: ActivityDeps, world: World) -> None:
    me = await world.user(MANAGE)
    out = await update_entity.handle(entity_input(me, {"commandId": "example.todo.create", "input": {
        "title": "Ship it", "cf_priority": "high"}}, key="create-1"), deps)
    assert out["executed"] is True and out["commandId"] == "example.todo.create"
    todo = out["result"]
    assert todo["title"] == "Ship it" and todo["cf_priority"] == "high"
    assert todo["tenant_id"] == me.tenant_id and todo["organization_id"] == me.org_id
    async with sessionmaker()() as s:
        entry = await s.get(ActionLog, out["logEntryId"])
        assert entry is not None and entry.command_id == "example.todo.create" and entry.actor_user_id == me.user_id
        assert entry.context_json is not None and entry.context_json["workflowIdempotencyKey"] == "create-1"
        events = (await s.execute(select(OutboxEvent).where(OutboxEvent.tenant_id == me.tenant_id,
                                                            OutboxEvent.name == "example.todo.created"))).scalars()
        assert [e.payload["id"] for e in events] == [todo["id"]]

    out = await update_entity.handle(entity_input(me, {"commandId": "example.todo.update", "input": {
        "id": todo["id"], "isDone": True}}), deps)
    assert out["result"]["is_done"] is True and out["result"]["title"] == "Ship it"


async def test_a_retry_with_the_same_key_writes_once(deps: ActivityDeps, world: World) -> None:
    me = await world.user(MANAGE)
    inp = entity_input(me, {"commandId": "example.todo.create", "input": {"title": "once"}}, key="same-key")
    first = await update_entity.handle(inp, deps)
    second = await update_entity.handle(inp, deps)
    assert second == first
    assert await todo_count(me.tenant_id, "once") == 1
    # A new execution (new key) is a new write.
    await update_entity.handle(entity_input(me, inp.config, key="other-key"), deps)
    assert await todo_count(me.tenant_id, "once") == 2


async def test_overlapping_attempts_with_the_same_key_write_once(deps: ActivityDeps, world: World) -> None:
    """An attempt that outlives its timeout still runs when the next one starts: both must not write."""
    me = await world.user(MANAGE)
    inp = entity_input(me, {"commandId": "example.todo.create", "input": {"title": "Overlap"}}, key="overlap-1")
    outs = await asyncio.gather(*(update_entity.handle(inp, deps) for _ in range(4)))
    assert await todo_count(me.tenant_id, "Overlap") == 1
    assert len({out["logEntryId"] for out in outs}) == 1


async def test_refusals(deps: ActivityDeps, world: World) -> None:
    me = await world.user(MANAGE)
    viewer = await world.user(["example.todos.view"])
    create = {"commandId": "example.todo.create", "input": {"title": "x"}}
    cases: list[tuple[RunActivityInput, str]] = [
        (entity_input(me, {"input": {}}), 'UPDATE_ENTITY requires "commandId" field (e.g., "sales.documents.update")'),
        (entity_input(me, {"commandId": "example.todo.create"}),
         'UPDATE_ENTITY requires "input" object with entity data'),
        (entity_input(me, {"commandId": "example.todo.create", "input": "title"}),
         'UPDATE_ENTITY requires "input" object with entity data'),
        (entity_input(me, create, user_id=None), "UPDATE_ENTITY requires an authenticated workflow user"),
        (entity_input(me, create, user_id=None, initiated_by="trigger:t1"),
         "UPDATE_ENTITY requires an authenticated workflow user"),
        (entity_input(viewer, create), "UPDATE_ENTITY command is not authorized"),
        (entity_input(me, {"commandId": "example.todo.create", "input": {"title": ""}}),
         "UPDATE_ENTITY input invalid: title: String should have at least 1 character"),
        (entity_input(me, {"commandId": "example.todo.update", "input": {"title": "y"}}),
         "UPDATE_ENTITY input invalid: id: Field required"),
    ]
    for inp, message in cases:
        assert (await failure(deps, inp)).message == message
    # The allow-list is every command the modules' manifests declare.
    refused = (await failure(deps, entity_input(me, {"commandId": "auth.user.delete", "input": {}}))).message
    allowed = refused.removeprefix('UPDATE_ENTITY command is not allowed: "auth.user.delete" (allowed: ').rstrip(")")
    assert allowed.split(", ") == sorted(manifest.commands())
    assert {"example.todo.create", "example.todo.update"} <= set(allowed.split(", "))
    assert await todo_count(me.tenant_id, "x") == 0


async def test_the_initiator_acts_when_no_caller_is_given(deps: ActivityDeps, world: World) -> None:
    me = await world.user(MANAGE)
    out = await update_entity.handle(entity_input(me, {"commandId": "example.todo.create", "input": {
        "title": "by initiator"}}, user_id=None, initiated_by=me.user_id), deps)
    assert out["result"]["title"] == "by initiator"


async def test_tenant_and_organization_scope_hold(deps: ActivityDeps, world: World) -> None:
    me = await world.user(MANAGE)
    other = await World(world.client).user(MANAGE)
    theirs = await update_entity.handle(entity_input(other, {"commandId": "example.todo.create",
                                                             "input": {"title": "theirs"}}), deps)
    # Running in my tenant, their todo does not exist.
    err = await failure(deps, entity_input(me, {"commandId": "example.todo.update", "input": {
        "id": theirs["result"]["id"], "title": "stolen"}}))
    assert err.message == "UPDATE_ENTITY example.todo.update failed: Todo not found"
    # A user from another tenant cannot act on this tenant's instance.
    err = await failure(deps, entity_input(other, {"commandId": "example.todo.create", "input": {"title": "z"}},
                                           tenant_id=me.tenant_id, organization_id=me.org_id))
    assert err.message == "UPDATE_ENTITY command is not authorized"
    # A user whose grants cover only one branch cannot write in the instance's (root) organization.
    branch = await world.org("Branch")
    narrow = await world.user(MANAGE, org_id=branch, organizations=[branch])
    err = await failure(deps, entity_input(narrow, {"commandId": "example.todo.create", "input": {"title": "z"}},
                                           organization_id=world.org_id))
    assert err.message == "UPDATE_ENTITY command is not authorized"
    out = await update_entity.handle(entity_input(narrow, {"commandId": "example.todo.create", "input": {
        "title": "in branch"}}), deps)
    assert out["result"]["organization_id"] == branch
