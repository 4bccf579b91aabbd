"""`/api/business_rules/sets` and `/sets/{id}/members` (reference cases TC-BR-001/003/006,
TC-BR-CRUDFORM-002)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.modules.business_rules.helpers import (
    LOCK,
    RULES,
    SETS,
    add_member,
    create_rule,
    create_set,
    random_uuid,
    stamp,
)
from tests.fixtures import World


async def test_rule_set_crud(world: World) -> None:
    """TC-BR-001."""
    me = await world.user(["business_rules.*"])
    set_key = f"qa-ruleset-{stamp()}"
    r = await me.post(SETS, json={"setId": set_key, "setName": "QA Rule Set", "description": "Phase 2 API coverage",
                                  "enabled": True, "tenantId": random_uuid(), "organizationId": random_uuid()})
    assert r.status_code == 201, r.text
    set_id = r.json()["id"]
    assert r.headers["x-om-operation"]
    items = (await me.get(SETS, params={"setId": set_key})).json()["items"]
    assert [(i["id"], i["setId"]) for i in items] == [(set_id, set_key)]
    assert set(items[0]) == {"id", "setId", "setName", "description", "enabled", "tenantId", "organizationId",
                             "createdBy", "updatedBy", "createdAt", "updatedAt"}
    assert items[0]["tenantId"] == me.tenant_id and items[0]["organizationId"] == me.org_id
    assert items[0]["createdBy"] == me.user_id
    r = await me.put(SETS, json={"id": set_id, "setName": "QA Rule Set Updated", "enabled": False})
    assert r.status_code == 200 and r.json() == {"ok": True}
    detail = (await me.get(f"{SETS}/{set_id}")).json()
    assert detail["setName"] == "QA Rule Set Updated" and detail["enabled"] is False
    assert detail["description"] == "Phase 2 API coverage" and detail["members"] == []  # omitted fields kept
    assert detail["updatedBy"] == me.user_id
    r = await me.delete(SETS, params={"id": set_id})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await me.get(SETS, params={"setId": set_key})).json()["items"] == []
    assert (await me.get(f"{SETS}/{set_id}")).status_code == 404


async def test_membership_ordering(world: World) -> None:
    """TC-BR-003."""
    me = await world.user(["business_rules.*"])
    set_id = await create_set(me, setId=f"qa-members-{stamp()}", setName="QA Members Set")
    rule_a = await create_rule(me, entityType="WorkOrder")
    rule_b = await create_rule(me, ruleType="VALIDATION", entityType="WorkOrder",
                               conditionExpression={"field": "quantity", "operator": ">", "value": 0})
    member_a = await add_member(me, set_id, rule_a, sequence=20)
    member_b = await add_member(me, set_id, rule_b, sequence=10)

    async def members() -> list[dict[str, Any]]:
        return (await me.get(f"{SETS}/{set_id}")).json()["members"]  # type: ignore[no-any-return]

    assert [m["ruleId"] for m in await members()] == [rule_b, rule_a]
    r = await me.put(f"{SETS}/{set_id}/members", json={"memberId": member_b, "sequence": 30, "enabled": False})
    assert r.status_code == 200 and r.json() == {"ok": True}
    listed = await members()
    assert [m["ruleId"] for m in listed] == [rule_a, rule_b] and listed[1]["enabled"] is False
    r = await me.delete(f"{SETS}/{set_id}/members", params={"memberId": member_a})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert [m["id"] for m in await members()] == [member_b]


async def test_set_and_members_round_trip(world: World) -> None:
    """TC-BR-CRUDFORM-002."""
    me = await world.user(["business_rules.*"])
    key = stamp()
    entity = f"QaCrudFormSetEntity{key}"
    rules = {name: await create_rule(me, ruleName=f"QA CRUDFORM Member {name} {key}", entityType=entity)
             for name in "ABC"}
    set_id = await create_set(me, setId=f"QA_BR_SET_{key}", setName=f"QA CRUDFORM Rule Set {key}",
                              description="Original set description", enabled=True)
    member_a = await add_member(me, set_id, rules["A"], sequence=0)
    member_b = await add_member(me, set_id, rules["B"], sequence=1)
    detail = (await me.get(f"{SETS}/{set_id}")).json()
    assert (detail["setId"], detail["setName"], detail["description"], detail["enabled"]) == \
        (f"QA_BR_SET_{key}", f"QA CRUDFORM Rule Set {key}", "Original set description", True)
    by_rule = {m["ruleId"]: m for m in detail["members"]}
    assert set(by_rule) == {rules["A"], rules["B"]}
    assert by_rule[rules["A"]] == {"id": member_a, "ruleId": rules["A"], "ruleName": f"QA CRUDFORM Member A {key}",
                                   "ruleType": "GUARD", "sequence": 0, "enabled": True}
    assert by_rule[rules["B"]]["sequence"] == 1

    r = await me.put(SETS, json={"id": set_id, "setName": f"QA CRUDFORM Rule Set {key} EDITED",
                                 "description": "Updated set description", "enabled": False})
    assert r.status_code == 200
    await add_member(me, set_id, rules["C"], sequence=2)
    assert (await me.put(f"{SETS}/{set_id}/members",
                         json={"memberId": member_a, "sequence": 5, "enabled": False})).status_code == 200
    assert (await me.delete(f"{SETS}/{set_id}/members", params={"memberId": member_b})).status_code == 200
    detail = (await me.get(f"{SETS}/{set_id}")).json()
    assert (detail["setName"], detail["description"], detail["enabled"]) == \
        (f"QA CRUDFORM Rule Set {key} EDITED", "Updated set description", False)
    assert [(m["ruleId"], m["sequence"], m["enabled"]) for m in detail["members"]] == \
        [(rules["C"], 2, True), (rules["A"], 5, False)]


async def test_members_of_deleted_rules_are_still_listed(world: World) -> None:
    me = await world.user(["business_rules.*"])
    set_id = await create_set(me)
    rule_id = await create_rule(me)
    await add_member(me, set_id, rule_id)
    assert (await me.delete(RULES, params={"id": rule_id})).status_code == 200
    assert [m["ruleId"] for m in (await me.get(f"{SETS}/{set_id}")).json()["members"]] == [rule_id]


SET_ERRORS: list[tuple[dict[str, Any], str]] = [
    ({"setName": "x"}, "Validation failed: setId: Invalid input: expected string, received undefined"),
    ({"setId": "", "setName": ""}, "Validation failed: setId: Too small: expected string to have >=1 characters, "
                                   "setName: Too small: expected string to have >=1 characters"),
    ({"setId": "s" * 51, "setName": "x"}, "Validation failed: setId: Too big: expected string to have <=50 characters"),
    ({"setId": "s", "setName": "x" * 201},
     "Validation failed: setName: Too big: expected string to have <=200 characters"),
    ({"setId": "s", "setName": "x", "enabled": 1},
     "Validation failed: enabled: Invalid input: expected boolean, received number"),
    ({"setId": "s", "setName": "x", "description": 5},
     "Validation failed: description: Invalid input: expected string, received number"),
]


@pytest.mark.parametrize(("body", "message"), SET_ERRORS)
async def test_set_validation(world: World, body: dict[str, Any], message: str) -> None:
    me = await world.user(["business_rules.*"])
    r = await me.post(SETS, json=body)
    assert r.status_code == 400 and r.json() == {"error": message}
    assert (await me.get(SETS)).json()["total"] == 0


async def test_set_errors(world: World) -> None:
    me = await world.user(["business_rules.*"])
    key = f"dup-{stamp()}"
    set_id = await create_set(me, setId=key)
    r = await me.post(SETS, json={"setId": key, "setName": "again"})
    assert r.status_code == 409 and r.json() == {"error": "Rule set ID already exists"}
    other = await create_set(me)
    assert (await me.put(SETS, json={"id": other, "setId": key})).status_code == 409
    for body in [{"setName": "x"}, {"id": ""}]:
        r = await me.put(SETS, json=body)
        assert r.status_code == 400 and r.json() == {"error": "Rule set id is required"}
    assert (await me.put(SETS, json={"id": set_id, "setName": ""})).json() == {
        "error": "Validation failed: setName: Too small: expected string to have >=1 characters"}
    r = await me.put(SETS, json={"id": random_uuid(), "setName": "ghost"})
    assert r.status_code == 404 and r.json() == {"error": "Rule set not found"}
    r = await me.delete(SETS)
    assert r.status_code == 400 and r.json() == {"error": "Rule set id is required"}
    r = await me.delete(SETS, params={"id": random_uuid()})
    assert r.status_code == 404 and r.json() == {"error": "Rule set not found"}
    r = await me.get(f"{SETS}/nope")
    assert r.status_code == 400 and r.json() == {"error": "Invalid rule set id"}
    assert (await me.get(f"{SETS}/{random_uuid()}")).json() == {"error": "Rule set not found"}
    r = await me.post(SETS, content=b"{x", headers={"Content-Type": "application/json"})
    assert r.json() == {"error": "Invalid JSON body"}


async def test_set_list_filters_and_sorting(world: World) -> None:
    me = await world.user(["business_rules.*"])
    key = stamp()
    for suffix, name, enabled in [("b", "Beta", True), ("a", "Alpha", False), ("c", "Gamma", True)]:
        await create_set(me, setId=f"{key}-{suffix}", setName=name, enabled=enabled)

    async def keys(**params: Any) -> list[str]:
        r = await me.get(SETS, params=params)
        assert r.status_code == 200, r.text
        return [i["setId"].rsplit("-", 1)[1] for i in r.json()["items"]]

    assert await keys() == ["a", "b", "c"]  # setId ascending by default
    assert await keys(sortDir="desc") == ["c", "b", "a"]
    assert await keys(sortField="setName", sortDir="desc") == ["c", "b", "a"]
    assert await keys(enabled="false") == ["a"]
    assert await keys(enabled="true") == ["b", "c"]
    assert await keys(search="GAM") == ["c"]
    assert await keys(setId=f"{key}-B".upper()) == ["b"]
    body = (await me.get(SETS, params={"pageSize": 2, "page": 2})).json()
    assert body["total"] == 3 and body["totalPages"] == 2 and len(body["items"]) == 1
    for bad in [{"page": "x"}, {"pageSize": "500"}, {"sortDir": "sideways"}, {"enabled": "nah"}, {"id": "1"}]:
        r = await me.get(SETS, params=bad)
        assert r.status_code == 400 and r.json() == {"error": "Invalid query parameters"}, bad


async def test_member_errors(world: World) -> None:
    me = await world.user(["business_rules.*"])
    set_id = await create_set(me)
    rule_id = await create_rule(me)
    members = f"{SETS}/{set_id}/members"
    r = await me.post(f"{SETS}/not-a-uuid/members", json={"ruleId": rule_id})
    assert r.status_code == 400 and r.json() == {"error": "Invalid rule set id"}
    r = await me.post(f"{SETS}/{random_uuid()}/members", json={"ruleId": rule_id})
    assert r.status_code == 404 and r.json() == {"error": "Rule set not found"}
    r = await me.post(members, content=b"nope", headers={"Content-Type": "application/json"})
    assert r.json() == {"error": "Invalid JSON body"}
    assert (await me.post(members, json={"ruleId": "x"})).json() == {"error": "Validation failed: ruleId: Invalid UUID"}
    assert (await me.post(members, json={"ruleId": rule_id, "sequence": -1})).json() == {
        "error": "Validation failed: sequence: Too small: expected number to be >=0"}
    r = await me.post(members, json={"ruleId": random_uuid()})
    assert r.status_code == 404 and r.json() == {"error": "Rule not found"}
    member_id = await add_member(me, set_id, rule_id)
    r = await me.post(members, json={"ruleId": rule_id, "sequence": 3})
    assert r.status_code == 409 and r.json() == {"error": "Rule is already a member of this set"}
    detail = (await me.get(f"{SETS}/{set_id}")).json()["members"]
    assert [(m["sequence"], m["enabled"]) for m in detail] == [(0, True)]  # defaults

    r = await me.put(f"{SETS}/bad/members", json={"memberId": member_id})
    assert r.status_code == 400 and r.json() == {"error": "Invalid rule set id"}
    assert (await me.put(members, json={})).json() == {
        "error": "Validation failed: memberId: Invalid input: expected string, received undefined"}
    assert (await me.put(members, json={"memberId": member_id, "enabled": "no"})).json() == {
        "error": "Validation failed: enabled: Invalid input: expected boolean, received string"}
    r = await me.put(members, json={"memberId": random_uuid(), "sequence": 1})
    assert r.status_code == 404 and r.json() == {"error": "Member not found"}
    other_set = await create_set(me)
    r = await me.put(f"{SETS}/{other_set}/members", json={"memberId": member_id, "sequence": 1})
    assert r.status_code == 404  # the member belongs to another set
    assert (await me.put(members, json={"memberId": member_id, "sequence": 4})).status_code == 200
    detail = (await me.get(f"{SETS}/{set_id}")).json()["members"]
    assert [(m["sequence"], m["enabled"]) for m in detail] == [(4, True)]  # only the given field changed

    r = await me.delete(f"{SETS}/bad/members", params={"memberId": member_id})
    assert r.json() == {"error": "Invalid rule set id"}
    r = await me.delete(members)
    assert r.status_code == 400 and r.json() == {"error": "Member id is required"}
    r = await me.delete(members, params={"memberId": random_uuid()})
    assert r.status_code == 404 and r.json() == {"error": "Member not found"}
    assert (await me.delete(members, params={"memberId": member_id})).status_code == 200
    assert (await me.delete(members, params={"memberId": member_id})).status_code == 404


async def test_set_optimistic_lock(world: World) -> None:
    me = await world.user(["business_rules.*"])
    set_id = await create_set(me)
    token = (await me.get(f"{SETS}/{set_id}")).json()["updatedAt"]
    assert (await me.put(SETS, json={"id": set_id, "setName": "bumped"})).status_code == 200
    r = await me.put(SETS, json={"id": set_id, "setName": "stale"}, headers={LOCK: token})
    assert r.status_code == 409 and r.json()["error"] == "record_modified"
    assert r.json()["code"] == "optimistic_lock_conflict" and r.json()["expectedUpdatedAt"] == token
    current = r.json()["currentUpdatedAt"]
    assert (await me.delete(SETS, params={"id": set_id}, headers={LOCK: token})).status_code == 409
    assert (await me.put(SETS, json={"id": set_id, "setName": "fresh"}, headers={LOCK: current})).status_code == 200
    current = (await me.get(f"{SETS}/{set_id}")).json()["updatedAt"]
    assert (await me.delete(SETS, params={"id": set_id}, headers={LOCK: current})).status_code == 200


async def test_manage_sets_feature(world: World) -> None:
    """TC-BR-006."""
    admin = await world.user(["business_rules.*"])
    viewer = await world.user(["business_rules.view"])
    r = await viewer.post(SETS, json={"setId": f"qa-br-006-denied-{stamp()}", "setName": "TC-BR-006 Denied Set"})
    assert r.status_code == 403 and "business_rules.manage_sets" in r.json()["requiredFeatures"]
    set_id = await create_set(admin)
    rule_id = await create_rule(admin)
    member_id = await add_member(admin, set_id, rule_id)
    denied = [
        await viewer.put(SETS, json={"id": set_id, "setName": "TC-BR-006 Unauthorized"}),
        await viewer.delete(SETS, params={"id": set_id}),
        await viewer.post(f"{SETS}/{set_id}/members", json={"ruleId": rule_id, "sequence": 10, "enabled": True}),
        await viewer.put(f"{SETS}/{set_id}/members", json={"memberId": member_id, "sequence": 1}),
        await viewer.delete(f"{SETS}/{set_id}/members", params={"memberId": member_id}),
    ]
    for r in denied:
        assert r.status_code == 403 and r.json()["requiredFeatures"] == ["business_rules.manage_sets"]
    assert (await viewer.get(f"{SETS}/{set_id}")).json()["setName"] == "QA Rule Set"
    # manage_sets alone does not let a caller edit rules.
    set_manager = await world.user(["business_rules.manage_sets", "business_rules.view"])
    assert (await set_manager.put(RULES, json={"id": rule_id, "ruleName": "x"})).status_code == 403


async def test_sets_are_isolated(client: httpx.AsyncClient, world: World) -> None:
    admin = await world.user(["business_rules.*"])
    set_id = await create_set(admin)
    rule_id = await create_rule(admin)
    member_id = await add_member(admin, set_id, rule_id)
    neighbour = await world.user(["business_rules.*"], org_id=await world.org("Neighbour"))
    stranger = await World(client).user(["business_rules.*"])
    for caller in (neighbour, stranger):
        assert (await caller.get(SETS)).json()["total"] == 0
        assert (await caller.get(f"{SETS}/{set_id}")).status_code == 404
        assert (await caller.put(SETS, json={"id": set_id, "setName": "x"})).status_code == 404
        assert (await caller.delete(SETS, params={"id": set_id})).status_code == 404
        assert (await caller.post(f"{SETS}/{set_id}/members", json={"ruleId": rule_id})).status_code == 404
        assert (await caller.put(f"{SETS}/{set_id}/members",
                                 json={"memberId": member_id, "sequence": 9})).status_code == 404
        assert (await caller.delete(f"{SETS}/{set_id}/members", params={"memberId": member_id})).status_code == 404
        # Their own set cannot take our rule either.
        own_set = await create_set(caller)
        r = await caller.post(f"{SETS}/{own_set}/members", json={"ruleId": rule_id})
        assert r.status_code == 404 and r.json() == {"error": "Rule not found"}
    detail = (await admin.get(f"{SETS}/{set_id}")).json()
    assert [(m["id"], m["sequence"]) for m in detail["members"]] == [(member_id, 0)]
