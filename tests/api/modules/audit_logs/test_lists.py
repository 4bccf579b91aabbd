"""The action and access log lists: shape, who sees what, filters and cursors."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import httpx

from api.access_log import record_access
from api.auth import AuthContext
from api.db import sessionmaker
from api.modules.audit_logs.models import AccessLog
from tests.api.modules.audit_logs.helpers import ACCESS, ACTIONS, ACTOR, TODOS, UNDO, create_todo, operation
from tests.fixtures import Caller, World

ACTION_KEYS = {"id", "commandId", "actionLabel", "executionState", "actorUserId", "actorUserName", "tenantId",
               "tenantName", "organizationId", "organizationName", "resourceKind", "resourceId", "undoToken",
               "createdAt", "updatedAt", "snapshotBefore", "snapshotAfter", "changes", "context"}
ACCESS_KEYS = {"id", "resourceKind", "resourceId", "accessType", "actorUserId", "actorUserName", "tenantId",
               "tenantName", "organizationId", "organizationName", "fields", "context", "createdAt"}


async def actions(me: Caller, **params: str) -> dict:  # type: ignore[type-arg]
    r = await me.get(ACTIONS, params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_own_actions_newest_first_with_the_reference_shape(world: World) -> None:
    me = await world.user(ACTOR, email="actor-shape@example.com")
    todo_id, token = await create_todo(me, "one")
    await me.put(TODOS, json={"id": todo_id, "title": "two"})
    await world.user(ACTOR)  # a colleague's actions are not the caller's
    body = await actions(me)
    assert set(body) == {"items", "canViewTenant"} and body["canViewTenant"] is False
    update, create = body["items"]
    assert set(create) == ACTION_KEYS
    assert create["commandId"] == "example.todo.create" and update["commandId"] == "example.todo.update"
    assert create["executionState"] == "done" and create["undoToken"] == token
    assert create["actorUserId"] == me.user_id and create["actorUserName"] == "actor-shape"
    assert create["tenantId"] == me.tenant_id and create["tenantName"].startswith("T-")
    assert create["organizationId"] == me.org_id and create["organizationName"] == "Root"
    assert create["resourceKind"] == "example.todo" and create["resourceId"] == todo_id
    assert create["snapshotBefore"] is None and create["snapshotAfter"]["title"] == "one"
    assert update["snapshotBefore"]["title"] == "one" and update["snapshotAfter"]["title"] == "two"
    assert update["changes"] == {"title": {"from": "one", "to": "two"}}
    assert create["context"] is None and create["actionLabel"] == "Create todo"
    assert datetime.fromisoformat(create["createdAt"]) <= datetime.fromisoformat(update["createdAt"])


async def test_limit_cursors_and_undoable_only(world: World) -> None:
    me = await world.user(ACTOR)
    tokens = [(await create_todo(me, f"t{i}"))[1] for i in range(4)]
    items = (await actions(me))["items"]
    assert [i["undoToken"] for i in items] == tokens[::-1]
    assert [i["id"] for i in (await actions(me, limit="2"))["items"]] == [items[0]["id"], items[1]["id"]]
    older = (await actions(me, before=items[1]["createdAt"]))["items"]
    assert [i["id"] for i in older] == [items[2]["id"], items[3]["id"]]
    newer = (await actions(me, after=items[2]["createdAt"]))["items"]
    assert [i["id"] for i in newer] == [items[0]["id"], items[1]["id"]]
    window = (await actions(me, after=items[3]["createdAt"], before=items[0]["createdAt"], limit="1"))["items"]
    assert [i["id"] for i in window] == [items[1]["id"]]
    # Offsets are honoured: the same instant written in another zone is the same cursor.
    moment = datetime.fromisoformat(items[1]["createdAt"])
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    in_plus2 = moment.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert [i["id"] for i in (await actions(me, before=in_plus2))["items"]] == [items[2]["id"], items[3]["id"]]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert len((await actions(me, before=future))["items"]) == 4
    assert (await actions(me, after=future))["items"] == []

    assert (await me.post(UNDO, json={"undoToken": tokens[3]})).status_code == 200
    undoable = (await actions(me, undoableOnly="true"))["items"]
    assert [i["undoToken"] for i in undoable] == tokens[2::-1]
    assert len((await actions(me, undoableOnly="false"))["items"]) == 4
    assert len((await actions(me, undoableOnly="1"))["items"]) == 3


async def test_invalid_filters_are_400(world: World) -> None:
    me = await world.user(ACTOR)
    await create_todo(me, "x")
    bad = [{"limit": "0"}, {"limit": "201"}, {"limit": "x"}, {"limit": "inf"}, {"limit": "1e3"}, {"limit": "-1"},
           {"undoableOnly": "maybe"}, {"before": "yesterday"}, {"after": "2024-13-01"},
           {"actorUserId": "not-a-uuid"}, {"organizationId": "nope"}]
    for params in bad:
        for path in [ACTIONS, ACCESS]:
            if path == ACCESS and "undoableOnly" in params:
                continue
            r = await me.get(path, params=params)
            assert r.status_code == 400, (path, params, r.text)
            assert r.json()["error"] == "Invalid input"
    for params in [{"page": "0"}, {"pageSize": "500"}, {"page": "two"}]:
        assert (await me.get(ACCESS, params=params)).status_code == 400
    assert len((await actions(me, limit="200"))["items"]) == 1


async def test_tenant_administrators_may_widen_the_view(world: World) -> None:
    await world.setup()
    child = await world.org("Child")
    worker = await world.user(ACTOR, email="worker-widen@example.com")
    other = await world.user(ACTOR)
    admin = await world.user(["audit_logs.view_self", "audit_logs.view_tenant"])
    todo_id, _ = await create_todo(worker, "root todo")
    r = await worker.post(TODOS, json={"title": "child todo"}, headers={"x-om-selected-org": child})
    child_todo = r.json()["id"]
    assert operation(r)["resourceId"] == child_todo

    # A caller without view_tenant sees only itself and may not ask for others.
    assert (await actions(worker))["canViewTenant"] is False
    assert len((await actions(worker, actorUserId=worker.user_id))["items"]) == 2
    r = await other.get(ACTIONS, params={"actorUserId": worker.user_id})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["audit_logs.view_tenant"]
    assert (await actions(other))["items"] == []

    body = await actions(admin)
    assert body["canViewTenant"] is True and body["items"] == []
    seen = (await actions(admin, actorUserId=worker.user_id))["items"]
    assert {i["resourceId"] for i in seen} == {todo_id, child_todo}
    assert {i["actorUserName"] for i in seen} == {"worker-widen"}
    by_org = (await actions(admin, actorUserId=worker.user_id, organizationId=child))["items"]
    assert [(i["resourceId"], i["organizationName"]) for i in by_org] == [(child_todo, "Child")]

    # Reading somebody else's trail is itself recorded in the access log (one's own reads are not).
    r = await admin.get(ACCESS)
    reads = r.json()["items"]
    assert {i["resourceId"] for i in reads} >= {i["id"] for i in seen}
    assert {i["resourceKind"] for i in reads} == {"audit_logs.action_log"}
    assert reads[0]["actorUserId"] == admin.user_id and "snapshotAfter" in reads[0]["fields"]
    assert (await worker.get(ACCESS)).json()["items"] == []

    for granted in (["*"], ["audit_logs.*"]):
        assert (await actions(await world.user(granted)))["canViewTenant"] is True
    superadmin = await world.user([], super_admin=True)
    assert (await actions(superadmin, actorUserId=worker.user_id))["canViewTenant"] is True


async def test_organization_filter_stays_inside_the_callers_scope(world: World) -> None:
    await world.setup()
    child = await world.org("Child")
    sibling = await world.org("Sibling")
    root_user = await world.user(ACTOR)
    child_user = await world.user(ACTOR, org_id=child)
    await create_todo(root_user, "in root")
    await root_user.post(TODOS, json={"title": "in child"}, headers={"x-om-selected-org": child})
    await create_todo(child_user, "by child user")

    assert len((await actions(root_user))["items"]) == 2
    assert [i["organizationId"] for i in (await actions(root_user, organizationId=child))["items"]] == [child]
    # Selecting the child organization narrows the default scope to its subtree.
    r = await root_user.get(ACTIONS, headers={"x-om-selected-org": child})
    assert [i["snapshotAfter"]["title"] for i in r.json()["items"]] == ["in child"]
    assert len((await actions(child_user, organizationId=child))["items"]) == 1
    for org in (world.org_id, sibling):
        r = await child_user.get(ACTIONS, params={"organizationId": org})
        assert r.status_code == 403 and r.json() == {"error": "Organization is outside your scope"}


async def test_other_tenants_see_nothing(client: httpx.AsyncClient, world: World) -> None:
    me = await world.user(ACTOR)
    await create_todo(me, "ours")
    async with sessionmaker()() as s:
        record_access(s, AuthContext(user_id=me.user_id, tenant_id=me.tenant_id, org_id=me.org_id),
                      "example.todo", me.user_id, "read", ["title"])
        await s.commit()
    outsider = await World(client).user(["*"])
    assert (await actions(outsider))["items"] == []
    assert (await actions(outsider, actorUserId=me.user_id))["items"] == []
    r = await outsider.get(ACCESS, params={"actorUserId": me.user_id})
    assert r.json()["items"] == [] and r.json()["total"] == 0
    r = await outsider.get(ACTIONS, params={"organizationId": me.org_id})
    assert r.status_code == 403
    assert (await me.get(ACCESS)).json()["total"] == 1


async def test_access_log_pages_and_filters(world: World) -> None:
    me = await world.user(ACTOR, email="reader-access@example.com")
    ctx = AuthContext(user_id=me.user_id, tenant_id=me.tenant_id, org_id=me.org_id)
    async with sessionmaker()() as s:
        for n in range(5):
            kind, access_type = ("customers.person", "read:item") if n % 2 else ("sales.order", "read")
            record_access(s, ctx, kind, f"00000000-0000-0000-0000-00000000000{n}", access_type,
                          ["email", "phone", "email"], context={"n": n})
            await s.flush()
            await asyncio.sleep(0.002)  # distinct timestamps keep the order deterministic
        await s.commit()

    r = await me.get(ACCESS)
    body = r.json()
    assert set(body) == {"items", "canViewTenant", "page", "pageSize", "total", "totalPages"}
    assert (body["page"], body["pageSize"], body["total"], body["totalPages"]) == (1, 50, 5, 1)
    assert body["canViewTenant"] is False
    first = body["items"][0]
    assert set(first) == ACCESS_KEYS
    assert first["context"] == {"n": 4} and first["fields"] == ["email", "phone"]
    assert first["actorUserName"] == "reader-access" and first["organizationName"] == "Root"
    assert first["tenantId"] == me.tenant_id and first["tenantName"]
    assert [i["context"]["n"] for i in body["items"]] == [4, 3, 2, 1, 0]

    page2 = (await me.get(ACCESS, params={"page": "2", "pageSize": "2"})).json()
    assert [i["context"]["n"] for i in page2["items"]] == [2, 1]
    assert (page2["page"], page2["pageSize"], page2["total"], page2["totalPages"]) == (2, 2, 5, 3)
    assert (await me.get(ACCESS, params={"limit": "3"})).json()["pageSize"] == 3
    persons = (await me.get(ACCESS, params={"resourceKind": "customers.person"})).json()
    assert persons["total"] == 2 and {i["resourceKind"] for i in persons["items"]} == {"customers.person"}
    assert (await me.get(ACCESS, params={"accessType": "read"})).json()["total"] == 3
    items = body["items"]
    older = (await me.get(ACCESS, params={"before": items[1]["createdAt"]})).json()
    assert [i["context"]["n"] for i in older["items"]] == [2, 1, 0] and older["total"] == 3
    newer = (await me.get(ACCESS, params={"after": items[1]["createdAt"]})).json()
    assert [i["context"]["n"] for i in newer["items"]] == [4]


async def test_record_access_keeps_the_api_key_and_the_record_org(world: World) -> None:
    me = await world.user(ACTOR)
    ctx = AuthContext(user_id=me.user_id, tenant_id=me.tenant_id, org_id=me.org_id, is_api_key=True,
                      key_id="key-1")
    async with sessionmaker()() as s:
        row = record_access(s, ctx, "auth.user", me.user_id, "read:item", None, organization_id=None)
        await s.commit()
        stored = await s.get(AccessLog, row.id)
        assert stored is not None
        assert stored.context_json == {"isApiKey": True, "keyId": "key-1"}
        assert stored.organization_id == me.org_id and stored.fields_json is None
    [item] = (await me.get(ACCESS)).json()["items"]
    assert item["fields"] == [] and item["accessType"] == "read:item"
