"""The example module exercises the CRUD kit end to end: list conventions, scoping, validation,
audit, outbox."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from api.db import sessionmaker
from api.modules.example.models import Todo
from api.outbox_models import OutboxEvent
from tests.fixtures import World

TODOS = "/api/example/todos"


async def test_create_list_update_delete(world: World) -> None:
    me = await world.user(["example.todos.*"])
    r = await me.post(TODOS, json={"title": "Write tests", "cf_priority": "high"})
    assert r.status_code == 201, r.text
    todo_id = r.json()["id"]
    op = json.loads(r.headers["x-om-operation"])
    assert op["resourceKind"] == "example.todo" and op["resourceId"] == todo_id and op["undoToken"]

    r = await me.get(TODOS)
    body = r.json()
    assert r.status_code == 200
    assert body["total"] == 1 and body["page"] == 1 and body["pageSize"] == 50 and body["totalPages"] == 1
    item = body["items"][0]
    assert item["title"] == "Write tests" and item["is_done"] is False and item["cf_priority"] == "high"
    assert item["tenant_id"] == me.tenant_id and item["organization_id"] == me.org_id

    r = await me.put(TODOS, json={"id": todo_id, "isDone": True})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await me.get(TODOS, params={"isDone": "true"})).json()["total"] == 1
    assert (await me.get(TODOS, params={"isDone": "false"})).json()["total"] == 0

    r = await me.delete(TODOS, params={"id": todo_id})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await me.get(TODOS)).json()["total"] == 0
    deleted = (await me.get(TODOS, params={"withDeleted": "true"})).json()["items"]
    assert deleted[0]["id"] == todo_id and deleted[0]["deleted_at"]


async def test_delete_takes_the_id_from_the_body(world: World) -> None:
    me = await world.user(["example.todos.*"])
    todo_id = (await me.post(TODOS, json={"title": "x"})).json()["id"]
    assert (await me.delete(TODOS, json={"id": todo_id})).json() == {"ok": True}
    assert (await me.delete(TODOS, json={"id": todo_id})).status_code == 404


async def test_paging_sorting_search(world: World) -> None:
    me = await world.user(["example.todos.*"])
    for title in ["banana", "apple", "cherry", "apple pie"]:
        assert (await me.post(TODOS, json={"title": title})).status_code == 201
    r = await me.get(TODOS, params={"sortField": "title", "sortDir": "desc", "pageSize": 3, "page": 1})
    body = r.json()
    assert [i["title"] for i in body["items"]] == ["cherry", "banana", "apple pie"]
    assert body["total"] == 4 and body["totalPages"] == 2
    r = await me.get(TODOS, params={"sortField": "title", "sortDir": "desc", "pageSize": 3, "page": 2})
    assert [i["title"] for i in r.json()["items"]] == ["apple"]
    assert (await me.get(TODOS, params={"search": "APPLE"})).json()["total"] == 2
    assert (await me.get(TODOS, params={"search": "%"})).json()["total"] == 0
    ids = [i["id"] for i in (await me.get(TODOS)).json()["items"]][:2]
    assert (await me.get(TODOS, params={"ids": ",".join(ids)})).json()["total"] == 2
    for bad in [{"pageSize": "101"}, {"page": "0"}, {"pageSize": "x"}, {"pageSize": "inf"}, {"page": "1e9999"},
                {"sortField": "nope"},
                {"sortDir": "up"}, {"isDone": "maybe"}, {"createdFrom": "yesterday"}]:
        r = await me.get(TODOS, params=bad)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["error"] == "Invalid input"


async def test_bad_bodies_are_400_and_store_nothing(world: World) -> None:
    me = await world.user(["example.todos.*"])
    todo_id = (await me.post(TODOS, json={"title": "keep me"})).json()["id"]
    bad_creates: list[dict[str, object]] = [{}, {"title": ""}, {"title": 5}, {"title": "x", "isDone": "nope"},
                                            {"title": "x", "cf_due_at": "not a date"}]
    for body in bad_creates:
        r = await me.post(TODOS, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Invalid input" and r.json()["details"]
    r = await me.post(TODOS, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "error" in r.json()
    for body in [{"id": todo_id, "title": ""}, {"id": todo_id, "isDone": "x"}, {"title": "no id"}]:
        r = await me.put(TODOS, json=body)
        assert r.status_code == 400, (body, r.text)
    r = await me.put(TODOS, content=b"[1,2", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = await me.post(TODOS, content=b"x" * (3 * 1024 * 1024), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json() == {"error": "Request body too large"}
    items = (await me.get(TODOS)).json()["items"]
    assert [(i["id"], i["title"], i["is_done"]) for i in items] == [(todo_id, "keep me", False)]


async def test_features_are_required(world: World) -> None:
    viewer = await world.user(["example.todos.view"])
    nobody = await world.user([])
    assert (await viewer.get(TODOS)).status_code == 200
    r = await viewer.post(TODOS, json={"title": "x"})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["example.todos.manage"]
    assert (await viewer.put(TODOS, json={"id": "x", "title": "y"})).status_code == 403
    assert (await viewer.delete(TODOS, params={"id": "x"})).status_code == 403
    for path in [TODOS, "/api/example/assignees", "/api/example/tags", "/api/example/organizations"]:
        assert (await nobody.get(path)).status_code == 403
        assert (await world.client.get(path)).status_code == 401


async def test_tenants_are_isolated(client, world: World) -> None:  # type: ignore[no-untyped-def]
    a = await world.user(["example.todos.*"])
    other = World(client)
    b = await other.user(["*"])
    todo_id = (await a.post(TODOS, json={"title": "A's"})).json()["id"]
    assert (await b.get(TODOS)).json()["total"] == 0
    assert (await b.get(TODOS, params={"id": todo_id})).json()["total"] == 0
    assert (await b.put(TODOS, json={"id": todo_id, "title": "mine"})).status_code == 404
    assert (await b.delete(TODOS, params={"id": todo_id})).status_code == 404
    assert (await a.get(TODOS)).json()["items"][0]["title"] == "A's"


async def test_organization_scope_includes_descendants(world: World) -> None:
    await world.setup()
    child = await world.org("Child")
    root_user = await world.user(["example.todos.*"])
    child_user = await world.user(["example.todos.*"], org_id=child)
    root_todo = (await root_user.post(TODOS, json={"title": "root"})).json()["id"]
    child_todo = (await child_user.post(TODOS, json={"title": "child"})).json()["id"]
    seen_by_root = {i["id"] for i in (await root_user.get(TODOS)).json()["items"]}
    assert seen_by_root == {root_todo, child_todo}
    assert {i["id"] for i in (await child_user.get(TODOS)).json()["items"]} == {child_todo}
    assert (await child_user.put(TODOS, json={"id": root_todo, "title": "x"})).status_code == 404
    # Creating into an organization outside the caller's scope is refused.
    r = await child_user.post(TODOS, json={"title": "x", "organizationId": world.org_id})
    assert r.status_code == 403
    r = await root_user.post(TODOS, json={"title": "for child", "organizationId": child})
    assert r.status_code == 201
    # The selected-organization cookie narrows the scope to that subtree.
    r = await root_user.get(TODOS, headers={"Cookie": f"om_selected_org={child}"})
    assert {i["title"] for i in r.json()["items"]} == {"child", "for child"}


async def test_writes_append_events_in_the_same_transaction(world: World) -> None:
    me = await world.user(["example.todos.*"])
    todo_id = (await me.post(TODOS, json={"title": "evented"})).json()["id"]
    await me.put(TODOS, json={"id": todo_id, "title": "renamed"})
    await me.delete(TODOS, params={"id": todo_id})
    await me.post(TODOS, json={"title": ""})  # refused: no event
    async with sessionmaker()() as s:
        events = (await s.execute(
            select(OutboxEvent).where(OutboxEvent.tenant_id == me.tenant_id).order_by(OutboxEvent.seq)
        )).scalars().all()
        assert [e.name for e in events] == ["example.todo.created", "example.todo.updated", "example.todo.deleted"]
        assert events[1].payload["id"] == todo_id and events[1].payload["title"] == "renamed"
        assert events[1].payload["tenantId"] == me.tenant_id and events[1].payload["organizationId"] == me.org_id
        assert (await s.get(Todo, todo_id)) is not None


async def test_lookups(world: World, app: FastAPI) -> None:
    me = await world.user(["example.todos.*"], email="lookup-person@example.com")
    await me.post(TODOS, json={"title": "t", "cf_tags": ["red", "blue"]})
    assert (await me.get("/api/example/tags")).json()["items"] == [
        {"value": "blue", "label": "blue"}, {"value": "red", "label": "red"}]
    people = (await me.get("/api/example/assignees", params={"q": "lookup-person"})).json()["items"]
    assert [p["value"] for p in people] == [me.user_id]
    orgs = (await me.get("/api/example/organizations", params={"ids": me.org_id})).json()["items"]
    assert orgs == [{"value": me.org_id, "label": "Root"}]
    # The reference's placeholder blog: an authenticated, feature-checked echo, no longer open to anyone.
    assert (await me.get("/api/example/blog/42")).json() == {"id": "42", "method": "GET"}
    assert (await me.post("/api/example/blog/42")).json() == {"id": "42", "method": "POST"}
    anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    async with anonymous:
        assert (await anonymous.get("/api/example/blog/42")).status_code == 401
        assert (await anonymous.post("/api/example/blog/42")).status_code == 401
    nobody = await world.user([])
    r = await nobody.get("/api/example/blog/42")
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["example.todos.view"]
