"""`Idempotency-Key` on the retried POSTs (docs/workflows.md, "Idempotent requests"): the same key and request
answer the first answer with no second effect, a different request is a 409, keys are per tenant and expire;
concurrent duplicates run once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from api.db import sessionmaker
from api.modules.workflows.models import WorkflowInstance
from api.settings import get_settings
from tests.api.modules.business_rules.helpers import EXECUTE, LOGS, create_rule
from tests.api.modules.workflows.builders import INSTANCES, NIL, minimal
from tests.api.modules.workflows.test_scenarios import define
from tests.fixtures import Caller, World, narrow_pool

RULE_FEATURES = ["business_rules.*"]
RUN = {"entityType": "IdemEntity", "eventType": "beforeSave", "data": {"status": "ACTIVE"}}


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"k-{uuid.uuid4()}"}


async def rule_caller(world: World) -> tuple[Caller, str]:
    me = await world.user(RULE_FEATURES)
    rule_id = await create_rule(me, entityType="IdemEntity")
    return me, rule_id


async def log_count(me: Caller, rule_id: str) -> int:
    r = await me.get(LOGS, params={"ruleId": rule_id})
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


async def test_a_retry_answers_the_first_answer_without_a_second_effect(world: World) -> None:
    me, rule_id = await rule_caller(world)
    headers = key()
    first = await me.post(EXECUTE, json=RUN, headers=headers)
    assert first.status_code == 200 and first.json()["allowed"] is True, first.text
    again = await me.post(EXECUTE, json=RUN, headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert await log_count(me, rule_id) == 1
    # Without a key, or with another one, it runs again.
    assert (await me.post(EXECUTE, json=RUN)).status_code == 200
    assert (await me.post(EXECUTE, json=RUN, headers=key())).status_code == 200
    assert await log_count(me, rule_id) == 3


async def test_the_same_key_with_another_request_is_a_conflict(world: World) -> None:
    me, rule_id = await rule_caller(world)
    headers = key()
    assert (await me.post(EXECUTE, json=RUN, headers=headers)).status_code == 200
    r = await me.post(EXECUTE, json={**RUN, "data": {"status": "OTHER"}}, headers=headers)
    assert r.status_code == 409 and r.json() == {"error": "Idempotency-Key was already used with a different request"}
    # Another route with the same key is another request too.
    r = await me.post(f"{EXECUTE}/{rule_id}", json=RUN, headers=headers)
    assert r.status_code == 200  # not an idempotent route: the key is not looked at
    other = await world.user(RULE_FEATURES)  # another caller of the same tenant
    r = await other.post(EXECUTE, json=RUN, headers=headers)
    assert r.status_code == 409
    assert await log_count(me, rule_id) == 2


async def test_keys_belong_to_their_tenant(world: World, client: Any) -> None:
    me, rule_id = await rule_caller(world)
    them, their_rule = await rule_caller(World(client))
    headers = key()
    assert (await me.post(EXECUTE, json=RUN, headers=headers)).status_code == 200
    r = await them.post(EXECUTE, json=RUN, headers=headers)
    assert r.status_code == 200 and "idempotent-replayed" not in r.headers
    assert await log_count(me, rule_id) == 1 and await log_count(them, their_rule) == 1


async def test_refusals_are_replayed_and_bad_keys_refused(world: World) -> None:
    me, rule_id = await rule_caller(world)
    headers = key()
    first = await me.post(EXECUTE, json={"eventType": "beforeSave"}, headers=headers)
    assert first.status_code == 400, first.text
    again = await me.post(EXECUTE, json={"eventType": "beforeSave"}, headers=headers)
    assert again.status_code == 400 and again.json() == first.json() and again.headers["idempotent-replayed"]
    for bad in ["", "   ", "x" * 256]:
        r = await me.post(EXECUTE, json=RUN, headers={"Idempotency-Key": bad})
        assert r.status_code == 400 and r.json() == {"error": "Idempotency-Key must be 1 to 255 characters"}
    assert await log_count(me, rule_id) == 0
    # Authentication and features come first: nothing is claimed for a caller who may not run the route.
    viewer = await world.user(["business_rules.view"])
    headers = key()
    r = await viewer.post(EXECUTE, json=RUN, headers=headers)
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["business_rules.execute"]
    r = await world.client.post(EXECUTE, json=RUN, headers=headers)
    assert r.status_code == 401
    assert (await me.post(EXECUTE, json=RUN, headers=headers)).status_code == 200


async def test_keys_expire(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    me, rule_id = await rule_caller(world)
    monkeypatch.setattr(get_settings(), "idempotency_ttl_seconds", 0)
    headers = key()
    for _ in range(2):
        r = await me.post(EXECUTE, json=RUN, headers=headers)
        assert r.status_code == 200 and "idempotent-replayed" not in r.headers
    assert await log_count(me, rule_id) == 2


async def test_concurrent_duplicates_run_once(world: World) -> None:
    me, rule_id = await rule_caller(world)
    headers = key()
    answers = await asyncio.gather(*[me.post(EXECUTE, json=RUN, headers=headers) for _ in range(4)])
    assert {r.status_code for r in answers} == {200}
    assert all(r.json() == answers[0].json() for r in answers)
    assert sum("idempotent-replayed" in r.headers for r in answers) == 3
    assert await log_count(me, rule_id) == 1


async def test_more_keyed_requests_at_once_than_the_pool_has_connections_all_answer(world: World) -> None:
    # The claim takes a connection of its own: the request gives back the one it authenticated with first
    # (a caller the API has not seen yet: a known one is authenticated from memory, with no connection).
    _, rule_id = await rule_caller(world)
    me = await world.user(RULE_FEATURES)
    async with narrow_pool(2):
        answers = await asyncio.gather(*[me.post(EXECUTE, json=RUN, headers=key()) for _ in range(6)])
        assert [r.status_code for r in answers] == [200] * 6, [r.text for r in answers]
        # a refused request records its answer in the same situation
        me = await world.user(RULE_FEATURES)
        refused = await asyncio.gather(*[me.post(EXECUTE, json={}, headers=key()) for _ in range(6)])
    assert {r.status_code for r in refused} == {400}, [r.text for r in refused]
    assert await log_count(me, rule_id) == 6


async def instances_of(definition_id: str) -> int:
    async with sessionmaker()() as s:
        return int((await s.execute(select(func.count()).select_from(WorkflowInstance)
                                    .where(WorkflowInstance.definition_id == definition_id))).scalar_one())


async def test_starting_an_instance_twice_concurrently_starts_one(world: World, stand_in: WorkflowEnvironment) -> None:
    me = await world.user(["workflows.*"])
    definition = await define(me, minimal("-idem"))
    headers = key()
    body = {"workflowId": definition["workflowId"], "initialContext": {"n": 1}}
    first, second = await asyncio.gather(me.post(INSTANCES, json=body, headers=headers),
                                         me.post(INSTANCES, json=body, headers=headers))
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert first.json() == second.json()
    third = await me.post(INSTANCES, json=body, headers=headers)
    assert third.status_code == 201 and third.json() == first.json()
    assert await instances_of(definition["id"]) == 1
    r = await me.post(INSTANCES, json={**body, "initialContext": {"n": 2}}, headers=headers)
    assert r.status_code == 409 and await instances_of(definition["id"]) == 1


@pytest.mark.parametrize("path", [f"{INSTANCES}/{NIL}/signal", f"{INSTANCES}/{NIL}/advance",
                                  f"/api/workflows/tasks/{NIL}/complete", "/api/workflows/signals"])
async def test_every_listed_route_takes_a_key(world: World, path: str) -> None:
    me = await world.user(["workflows.*"])
    body: dict[str, Any] = {"signalName": "go", "correlationKey": "none"} if "signal" in path else {}
    headers = key()
    first = await me.post(path, json=body, headers=headers)
    again = await me.post(path, json=body, headers=headers)
    assert again.status_code == first.status_code and again.json() == first.json(), (first.text, again.text)
    assert again.headers.get("idempotent-replayed") == "true"
    r = await me.post(path, json={**body, "extra": 1}, headers=headers)
    assert r.status_code == 409
