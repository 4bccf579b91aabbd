"""Bad input is never a 500 (docs/security.md, limits): one body reader (`api.body`) for every route, paging
bounds, storage limits checked before the database sees a value."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from api.body import MAX_JSON_DEPTH
from api.db import sessionmaker
from api.modules.example.models import Todo
from tests.fixtures import World

TODOS = "/api/example/todos"
JSON = {"Content-Type": "application/json"}
DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


async def _todos(tenant_id: str) -> int:
    async with sessionmaker()() as s:
        return (await s.execute(select(func.count()).select_from(Todo).where(Todo.tenant_id == tenant_id))).scalar_one()


def _refused(r: Any, status: int = 400) -> None:
    assert r.status_code == status, r.text
    assert isinstance(r.json()["error"], str)


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["arrays", "objects"])
async def test_deep_nesting_is_a_400_on_every_kind_of_route(world: World, body: bytes) -> None:
    me = await world.admin()
    # unauthenticated login (JSON), a pydantic-typed kit route, a kit Body route, a workflows route, the
    # kit's DELETE with a body, a business-rules route
    _refused(await world.client.post("/api/auth/login", content=body, headers=JSON))
    _refused(await me.post(TODOS, content=body, headers=JSON))
    _refused(await me.put(TODOS, content=body, headers=JSON))
    _refused(await me.post("/api/business_rules/rules", content=body, headers=JSON))
    _refused(await me.post("/api/workflows/definitions", content=body, headers=JSON))
    _refused(await me.delete(TODOS, content=body, headers=JSON))
    _refused(await me.delete("/api/business_rules/rules", content=body, headers=JSON))
    # and whatever the content type says: several readers parse JSON regardless
    _refused(await me.post(TODOS, content=body, headers={"Content-Type": "text/plain"}))
    _refused(await me.post(TODOS, content=body))
    assert await _todos(me.tenant_id) == 0


async def test_nesting_up_to_the_limit_is_fine(world: World) -> None:
    me = await world.admin()
    ok = {"title": "deep enough"}
    inner: Any = 1
    for _ in range(MAX_JSON_DEPTH - 1):  # with the outer object: exactly the limit
        inner = [inner]
    r = await me.post(TODOS, json={**ok, "unknown": inner})
    assert r.status_code == 201, r.text
    # brackets inside strings do not count
    r = await me.post(TODOS, json={"title": "[" * 200 + "{" * 200})
    assert r.status_code == 201, r.text
    r = await me.post(TODOS, json={**ok, "unknown": [inner]})
    _refused(r)
    assert r.json()["details"][0]["code"] == "too_deep"


async def test_invalid_utf8_is_a_400(world: World) -> None:
    me = await world.admin()
    bad = b'{"id": "\xff\xfe"}'
    _refused(await me.delete(TODOS, content=bad, headers=JSON))
    _refused(await me.post(TODOS, content=b'{"title": "\xc3"}', headers=JSON))
    _refused(await me.post("/api/workflows/definitions", content=bad, headers=JSON))
    _refused(await world.client.post("/api/auth/login", content=bad, headers=JSON))
    assert (await me.delete(TODOS, content=bad, headers=JSON)).json()["details"][0]["code"] == "invalid_utf8"


@pytest.mark.parametrize("path", ["/api/workflows/instances", "/api/workflows/tasks",
                                  "/api/workflows/definitions", "/api/workflows/events", TODOS,
                                  "/api/feature_toggles/overrides"])
async def test_huge_paging_numbers_are_a_400(world: World, path: str) -> None:
    me = await world.user(["*"], super_admin=True)
    for name in ("offset", "page", "limit", "pageSize"):
        for value in (str(2**63), str(2**64 + 5), "9" * 40):
            r = await me.get(path, params={name: value})
            assert r.status_code in (200, 400), (name, value, r.status_code, r.text)
            if r.status_code == 200:  # a parameter this list does not take
                continue
            assert isinstance(r.json()["error"], str)
    for name in ("offset", "page"):
        if path in ("/api/workflows/events", TODOS, "/api/feature_toggles/overrides") and name == "offset":
            continue
        if path not in ("/api/workflows/events", TODOS, "/api/feature_toggles/overrides") and name == "page":
            continue
        _refused(await me.get(path, params={name: str(2**63)}))


async def test_huge_offsets_on_instance_events(world: World) -> None:
    me = await world.admin()
    r = await me.get("/api/workflows/instances/00000000-0000-4000-8000-000000000000/events",
                     params={"offset": str(2**63)})
    _refused(r)


async def _chunks(size: int) -> AsyncIterator[bytes]:
    block = b" " * 65536
    sent = 0
    yield b'{"title": "x"'
    while sent < size:
        yield block
        sent += len(block)
    yield b"}"


async def test_chunked_bodies_over_the_limit_are_a_413_everywhere(world: World) -> None:
    me = await world.admin()
    too_big = 3 * 1024 * 1024
    for method, path in (("POST", TODOS), ("PUT", TODOS), ("DELETE", TODOS),
                         ("POST", "/api/business_rules/rules"), ("POST", "/api/workflows/definitions")):
        r = await me.client.request(method, path, content=_chunks(too_big),
                                    headers={**JSON, "Authorization": f"Bearer {me.token}"})
        assert r.status_code == 413 and r.json() == {"error": "Request body too large"}, (method, path, r.text)
    r = await world.client.post("/api/auth/login", content=_chunks(too_big), headers=JSON)
    assert r.status_code == 413
    assert await _todos(me.tenant_id) == 0
    # under the limit, chunked is fine
    r = await me.client.post(TODOS, content=_chunks(1000), headers={**JSON, "Authorization": f"Bearer {me.token}"})
    assert r.status_code == 201, r.text


async def test_nul_characters_are_refused(world: World) -> None:
    me = await world.admin()
    _refused(await me.post(TODOS, json={"title": "a\x00b"}))
    _refused(await me.post(TODOS, content=b'{"title": "a\\u0000b"}', headers=JSON))
    _refused(await me.post("/api/business_rules/rules", json={"ruleId": "x\x00", "ruleName": "n"}))
    _refused(await me.get(TODOS, params={"search": "a\x00"}))
    _refused(await me.get(TODOS + "/a%00b"))
    _refused(await world.client.post("/api/auth/login", data={"email": "a\x00@example.com", "password": "x"}))
    assert await _todos(me.tenant_id) == 0
    # an escaped backslash followed by u0000 is ordinary text
    r = await me.post(TODOS, content=b'{"title": "a\\\\u0000b"}', headers=JSON)
    assert r.status_code == 201, r.text


async def test_lengths_are_checked_against_the_storage(world: World) -> None:
    me = await world.admin()
    r = await me.post("/api/workflows/instances", json={"workflowId": "x", "correlationKey": "k" * 100_000})
    _refused(r)
    assert r.json()["details"][0]["path"] == ["correlationKey"]
    r = await me.post("/api/workflows/signals", json={"correlationKey": "k" * 256, "signalName": "go"})
    _refused(r)
    # a field whose schema has no length: the storage check refuses it before the database would
    r = await me.post("/api/business_rules/rules", json={
        "ruleId": "r" * 10_000, "ruleName": "long", "ruleType": "GUARD", "entityType": "x", "eventType": "y",
        "conditionExpression": {"field": "a", "operator": "=", "value": 1}})
    _refused(r)
    rules = (await me.get("/api/business_rules/rules")).json()
    assert rules["total"] == 0
