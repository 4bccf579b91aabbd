"""`/api/business_rules/rules`: CRUD, list filters, validation messages, duplicates, optimistic
locking, features and tenancy (reference cases TC-BR-002/005/007/010, TC-BR-CRUDFORM-001,
TC-LOCK-OSS-042)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from api.db import sessionmaker
from api.modules.auth.models import User
from api.outbox_models import OutboxEvent
from api.settings import get_settings
from tests.api.modules.business_rules.helpers import (
    EXECUTE,
    LOCK,
    RULES,
    create_rule,
    random_uuid,
    rule_payload,
    stamp,
)
from tests.fixtures import Caller, World

RULE_TYPES_OPTION = 'Invalid option: expected one of "GUARD"|"VALIDATION"|"CALCULATION"|"ACTION"|"ASSIGNMENT"'
SAFETY = ("Condition expression exceeds safety limits (max depth: 10, max rules per group: 50, "
          "max field path length: 200)")


async def test_rule_crud_round_trip(world: World) -> None:
    """TC-BR-CRUDFORM-001 and TC-BR-002: every field echoes exactly; PUT replaces; DELETE hides."""
    me = await world.user(["business_rules.*"])
    key = stamp()
    created = {
        "ruleId": f"QA_BR_CF_{key}", "ruleName": f"QA CRUDFORM Rule {key}",
        "description": "Original rule description", "ruleType": "VALIDATION", "ruleCategory": "qa-crudform",
        "entityType": f"QaCrudFormEntity{key}", "eventType": "beforeSave",
        "conditionExpression": {"field": "status", "operator": "=", "value": "ACTIVE"},
        "successActions": [{"type": "LOG", "config": {"message": "Original success", "level": "info"}}],
        "failureActions": [{"type": "BLOCK_TRANSITION"}], "enabled": True, "priority": 250, "version": 2,
        "effectiveFrom": "2026-01-01T00:00:00.000Z", "effectiveTo": "2026-12-31T00:00:00.000Z",
        # Scope and author come from the auth context, never from the body.
        "tenantId": random_uuid(), "organizationId": random_uuid(), "createdBy": "someone else",
    }
    r = await me.post(RULES, json=created)
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    assert list(r.json()) == ["id"]
    op = json.loads(r.headers["x-om-operation"])
    assert op["resourceKind"] == "business_rules.rule" and op["resourceId"] == rule_id and op["undoToken"]

    detail = (await me.get(f"{RULES}/{rule_id}")).json()
    for field in ("ruleId", "ruleName", "description", "ruleType", "ruleCategory", "entityType", "eventType",
                  "conditionExpression", "successActions", "failureActions", "enabled", "priority", "version",
                  "effectiveFrom", "effectiveTo"):
        assert detail[field] == created[field], field
    assert detail["tenantId"] == me.tenant_id and detail["organizationId"] == me.org_id
    assert detail["createdBy"] == me.user_id and detail["updatedBy"] is None
    assert detail["createdAt"].endswith("Z") and detail["updatedAt"].endswith("Z")

    listed = (await me.get(RULES, params={"ruleId": created["ruleId"]})).json()
    assert [i["id"] for i in listed["items"]] == [rule_id]
    assert set(listed["items"][0]) == {
        "id", "ruleId", "ruleName", "description", "ruleType", "ruleCategory", "entityType", "eventType",
        "enabled", "priority", "version", "effectiveFrom", "effectiveTo", "tenantId", "organizationId",
        "createdAt", "updatedAt"}

    edited = {
        "id": rule_id, "ruleName": f"QA CRUDFORM Rule {key} EDITED", "description": "Updated rule description",
        "ruleType": "GUARD", "ruleCategory": "qa-crudform-edited", "entityType": created["entityType"],
        "eventType": "afterSave", "conditionExpression": {"field": "state", "operator": "!=", "value": "ARCHIVED"},
        "successActions": [{"type": "SHOW_INFO", "config": {"message": "Updated success"}}],
        "failureActions": [{"type": "SHOW_ERROR", "config": {"message": "Updated failure"}}],
        "enabled": False, "priority": 500, "version": 3,
        "effectiveFrom": "2026-02-01T00:00:00.000Z", "effectiveTo": "2026-11-30T00:00:00.000Z",
    }
    r = await me.put(RULES, json=edited)
    assert r.status_code == 200 and r.json() == {"ok": True}, r.text
    detail = (await me.get(f"{RULES}/{rule_id}")).json()
    for field, value in edited.items():
        assert detail[field] == value, field
    assert detail["ruleId"] == created["ruleId"] and detail["updatedBy"] == me.user_id

    r = await me.delete(RULES, params={"id": rule_id})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await me.get(RULES, params={"ruleId": created["ruleId"]})).json()["items"] == []
    assert (await me.get(f"{RULES}/{rule_id}")).status_code == 404
    assert (await me.delete(RULES, params={"id": rule_id})).status_code == 404

    async with sessionmaker()() as s:
        names = (await s.execute(select(OutboxEvent.name).where(OutboxEvent.tenant_id == me.tenant_id)
                                 .order_by(OutboxEvent.seq))).scalars().all()
    assert names == ["business_rules.rule.created", "business_rules.rule.updated", "business_rules.rule.deleted"]


async def test_put_keeps_omitted_fields(world: World) -> None:
    """A PUT changes only the fields it sends: enabled/priority/version are not reset to defaults."""
    me = await world.user(["business_rules.*"])
    rule_id = await create_rule(me, enabled=False, priority=10, version=4, description="keep me")
    assert (await me.put(RULES, json={"id": rule_id, "ruleName": "renamed"})).status_code == 200
    detail = (await me.get(f"{RULES}/{rule_id}")).json()
    assert (detail["ruleName"], detail["enabled"], detail["priority"], detail["version"], detail["description"]) == \
        ("renamed", False, 10, 4, "keep me")
    # Explicit nulls do clear nullable fields.
    assert (await me.put(RULES, json={"id": rule_id, "description": None, "conditionExpression": None})
            ).status_code == 200
    detail = (await me.get(f"{RULES}/{rule_id}")).json()
    assert detail["description"] is None and detail["conditionExpression"] is None


async def test_list_filters_sorting_and_paging(world: World) -> None:
    me = await world.user(["business_rules.*"])
    key = stamp()
    specs = [
        ("A", "GUARD", "Order", "beforeSave", "cat-1", True, 300),
        ("B", "ACTION", "Order", "afterSave", "cat-2", False, 200),
        ("C", "VALIDATION", "Invoice", None, None, True, 100),
        ("D", "GUARD", "Invoice", "beforeSave", "cat-1", True, 100),
    ]
    ids = {}
    for suffix, rule_type, entity, event, category, enabled, priority in specs:
        ids[suffix] = await create_rule(me, ruleId=f"R_{key}_{suffix}", ruleName=f"Rule {suffix} {key}",
                                        ruleType=rule_type, entityType=entity, eventType=event,
                                        ruleCategory=category, enabled=enabled, priority=priority)

    async def keys(**params: Any) -> list[str]:
        r = await me.get(RULES, params=params)
        assert r.status_code == 200, r.text
        return [i["ruleId"].rsplit("_", 1)[1] for i in r.json()["items"]]

    # Default order: priority desc, then ruleId asc.
    assert await keys() == ["A", "B", "C", "D"]
    assert await keys(sortField="priority", sortDir="asc") == ["C", "D", "B", "A"]
    assert await keys(sortField="ruleName", sortDir="asc") == ["A", "B", "C", "D"]
    assert await keys(sortField="ruleId", sortDir="desc") == ["D", "C", "B", "A"]  # sortDir honoured
    assert await keys(sortField="entityType", sortDir="asc") == ["C", "D", "A", "B"]
    assert await keys(sortField="nonsense") == ["A", "B", "C", "D"]  # unknown field: priority
    assert await keys(search=f"rule c {key}".upper()) == ["C"]
    assert await keys(ruleId=f"r_{key}_b") == ["B"]
    assert await keys(ruleType="GUARD") == ["A", "D"]
    assert await keys(entityType="Invoice") == ["C", "D"]
    assert await keys(eventType="beforeSave") == ["A", "D"]
    assert await keys(ruleCategory="cat-1") == ["A", "D"]
    assert await keys(enabled="true") == ["A", "C", "D"]
    assert await keys(enabled="false") == ["B"]  # parsed as a boolean, not JS Boolean("false")
    assert await keys(id=ids["C"]) == ["C"]
    assert await keys(search="%") == []
    assert await keys(enabled="") == ["A", "B", "C", "D"]  # empty means "not given"

    page = (await me.get(RULES, params={"pageSize": 3, "page": 2})).json()
    assert page["total"] == 4 and page["totalPages"] == 2 and len(page["items"]) == 1
    empty = (await me.get(RULES, params={"ruleType": "ASSIGNMENT"})).json()
    assert empty == {"items": [], "total": 0, "totalPages": 1}

    for bad in [{"page": "invalid"}, {"page": "0"}, {"pageSize": "101"}, {"pageSize": "0"}, {"sortDir": "up"},
                {"ruleType": "NOPE"}, {"enabled": "maybe"}, {"id": "not-a-uuid"}]:
        r = await me.get(RULES, params=bad)
        assert r.status_code == 400 and r.json() == {"error": "Invalid query parameters"}, bad


CREATE_ERRORS: list[tuple[str, dict[str, Any], str]] = [
    ("nested safety limits", {"conditionExpression": {"field": "status." + "nested" * 40, "operator": "=",
                                                      "value": "ACTIVE"}},
     f"Validation failed: conditionExpression: {SAFETY}"),
    ("empty group", {"conditionExpression": {"operator": "AND", "rules": []}},
     "Validation failed: conditionExpression: Invalid condition expression: Group must have at least one rule"),
    ("bad comparison operator", {"conditionExpression": {"field": "x", "operator": "LIKE", "value": 1}},
     'Validation failed: conditionExpression: Invalid condition expression: Invalid comparison operator: "LIKE". '
     "Valid operators are: =, ==, !=, >, >=, <, <=, IN, NOT_IN, CONTAINS, NOT_CONTAINS, STARTS_WITH, ENDS_WITH, "
     "MATCHES, IS_EMPTY, IS_NOT_EMPTY"),
    ("bad logical operator", {"conditionExpression": {"operator": "XOR", "rules": [
        {"field": "x", "operator": "=", "value": 1}]}},
     'Validation failed: conditionExpression: Invalid condition expression: Invalid logical operator: "XOR". '
     "Valid operators are: AND, OR, NOT"),
    ("bad field path", {"conditionExpression": {"field": "123invalid", "operator": "=", "value": 1}},
     'Validation failed: conditionExpression: Invalid condition expression: Invalid field path format: '
     '"123invalid". Field paths must start with a letter or underscore, and contain only letters, numbers, '
     "underscores, dots, and brackets"),
    ("no value key", {"conditionExpression": {"field": "x", "operator": "IS_EMPTY"}},
     "Validation failed: conditionExpression: Invalid condition expression: Invalid condition expression structure"),
    ("too deep", {"conditionExpression": {"operator": "AND", "rules": [{"operator": "AND", "rules": [
        {"operator": "AND", "rules": [{"operator": "AND", "rules": [{"operator": "AND", "rules": [
            {"operator": "AND", "rules": [{"field": "x", "operator": "=", "value": 1}]}]}]}]}]}]}},
     "Maximum nesting depth (5) exceeded"),
    ("action without type", {"ruleType": "ACTION", "successActions": [{"config": {"message": "Missing type"}}]},
     "Validation failed: successActions.0.type: Invalid input: expected string, received undefined"),
    ("action config null", {"successActions": [{"type": "LOG", "config": None}]},
     "Validation failed: successActions.0.config: Invalid input: expected record, received null"),
    ("actions not an array", {"failureActions": {"type": "LOG"}},
     "Validation failed: failureActions: Invalid input: expected array, received object"),
    ("notify without fields", {"successActions": [{"type": "NOTIFY", "config": {}}]},
     'Validation failed: successActions: Invalid actions: Action 1: Required field "message" is missing from '
     'config, Required field "recipients" is missing from config'),
    ("notify without config", {"successActions": [{"type": "NOTIFY"}]},
     "Validation failed: successActions: Invalid actions: Action 1: Action NOTIFY requires config with fields: "
     "message, recipients"),
    ("unknown action type", {"failureActions": [{"type": "FLY"}]},
     'Validation failed: failureActions: Invalid actions: Action 1: Unknown action type "FLY". Valid types are: '
     "ALLOW_TRANSITION, BLOCK_TRANSITION, LOG, SHOW_ERROR, SHOW_WARNING, SHOW_INFO, NOTIFY, SET_FIELD, "
     "CALL_WEBHOOK, EMIT_EVENT"),
    ("webhook without url", {"successActions": [{"type": "CALL_WEBHOOK", "config": {"method": "GET"}}]},
     'Validation failed: successActions: Invalid actions: Action 1: Required field "url" is missing from config'),
    ("emit without eventName", {"successActions": [{"type": "EMIT_EVENT", "config": {"event": "x.y"}}]},
     'Validation failed: successActions: Invalid actions: Action 1: Required field "eventName" is missing from '
     "config"),
    ("set field falsy value", {"successActions": [{"type": "SET_FIELD", "config": {"field": "a", "value": 0}}]},
     'Required field "value" is missing from config'),
    ("priority too big", {"priority": 10000}, "Validation failed: priority: Too big: expected number to be <=9999"),
    ("priority negative", {"priority": -1}, "Validation failed: priority: Too small: expected number to be >=0"),
    ("priority not int", {"priority": 1.5},
     "Validation failed: priority: Invalid input: expected int, received number"),
    ("priority string", {"priority": "5"},
     "Validation failed: priority: Invalid input: expected number, received string"),
    ("version zero", {"version": 0}, "Validation failed: version: Too small: expected number to be >=1"),
    ("enabled string", {"enabled": "yes"},
     "Validation failed: enabled: Invalid input: expected boolean, received string"),
    ("ruleId too long", {"ruleId": "x" * 51},
     "Validation failed: ruleId: Too big: expected string to have <=50 characters"),
    ("ruleName null", {"ruleName": None}, "Validation failed: ruleName: Invalid input: expected string, received null"),
    ("bad rule type", {"ruleType": "guard"}, f"Validation failed: ruleType: {RULE_TYPES_OPTION}"),
    ("description too long", {"description": "d" * 5001},
     "Validation failed: description: Too big: expected string to have <=5000 characters"),
    ("window reversed", {"effectiveFrom": "2026-02-01T00:00:00.000Z", "effectiveTo": "2026-01-01T00:00:00.000Z"},
     "Validation failed: effectiveTo: Effective To must be later than Effective From"),
    ("window empty", {"effectiveFrom": "2026-02-01T00:00:00Z", "effectiveTo": "2026-02-01T00:00:00.000Z"},
     "Validation failed: effectiveTo: Effective To must be later than Effective From"),
    ("date unparseable", {"effectiveFrom": "next tuesday"}, "Validation failed: effectiveFrom: Invalid date"),
    ("date wrong type", {"effectiveTo": True},
     "Validation failed: effectiveTo: Invalid input: expected date, received boolean"),
]


@pytest.mark.parametrize(("case", "overrides", "message"), CREATE_ERRORS, ids=[c[0] for c in CREATE_ERRORS])
async def test_create_validation_messages(world: World, case: str, overrides: dict[str, Any], message: str) -> None:
    me = await world.user(["business_rules.*"])
    r = await me.post(RULES, json=rule_payload(**overrides))
    assert r.status_code == 400, r.text
    assert r.json()["error"] == message if message.startswith("Validation failed") else message in r.json()["error"]
    assert (await me.get(RULES)).json()["total"] == 0  # nothing stored


async def test_create_reports_every_failing_field_in_order(world: World) -> None:
    me = await world.user(["business_rules.*"])
    r = await me.post(RULES, json={"ruleId": "", "ruleName": "Test"})
    assert r.status_code == 400
    assert r.json() == {"error": "Validation failed: ruleId: Too small: expected string to have >=1 characters, "
                                 f"ruleType: {RULE_TYPES_OPTION}, "
                                 "entityType: Invalid input: expected string, received undefined"}
    for raw in [b"{not json", b"", b"[1,"]:
        r = await me.post(RULES, content=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json() == {"error": "Invalid JSON body"}
    r = await me.post(RULES, json=[1, 2])
    assert r.json() == {"error": "Validation failed: Invalid input: expected object, received array"}


async def test_valid_bodies_are_accepted(world: World) -> None:
    """TC-BR-007 step 4, plus the lenient cases: null and absent JSON fields, dates as ''/epoch,
    JsonLogic conditions, unknown action keys dropped."""
    me = await world.user(["business_rules.*"])
    rule_id = await create_rule(me, ruleType="ACTION", successActions=[
        {"type": "LOG", "config": {"message": "TC-BR-007 valid action"}, "extra": "dropped"}])
    detail = (await me.get(f"{RULES}/{rule_id}")).json()
    assert detail["successActions"] == [{"type": "LOG", "config": {"message": "TC-BR-007 valid action"}}]
    rule_id = await create_rule(me, conditionExpression={"and": [{">": [{"var": "total"}, 10]}]},
                                effectiveFrom="", effectiveTo=1767225600000, successActions=[], failureActions=None)
    detail = (await me.get(f"{RULES}/{rule_id}")).json()
    assert detail["conditionExpression"] == {"and": [{">": [{"var": "total"}, 10]}]}
    assert detail["effectiveFrom"] is None and detail["effectiveTo"] == "2026-01-01T00:00:00.000Z"
    assert detail["successActions"] == [] and detail["failureActions"] is None
    payload = rule_payload()
    del payload["conditionExpression"], payload["eventType"], payload["enabled"], payload["priority"]
    r = await me.post(RULES, json=payload)
    assert r.status_code == 201, r.text
    detail = (await me.get(f"{RULES}/{r.json()['id']}")).json()
    assert (detail["conditionExpression"], detail["eventType"], detail["enabled"], detail["priority"],
            detail["version"]) == (None, None, True, 100, 1)


async def test_update_and_delete_errors(world: World) -> None:
    me = await world.user(["business_rules.*"])
    rule_id = await create_rule(me, effectiveFrom="2026-01-01T00:00:00Z")
    for body in [{"ruleName": "no id"}, {"id": "", "ruleName": "x"}, {"id": None}, [1]]:
        r = await me.put(RULES, json=body)
        assert r.status_code == 400 and r.json() == {"error": "Rule id is required"}, body
    r = await me.put(RULES, json={"id": "not-a-uuid"})
    assert r.json() == {"error": "Validation failed: id: Invalid UUID"}
    r = await me.put(RULES, json={"id": rule_id, "conditionExpression": {"field": "", "operator": "=", "value": 1}})
    assert r.status_code == 400 and "Invalid" in r.json()["error"]
    r = await me.put(RULES, json={"id": rule_id, "successActions": [{"type": "EMIT_EVENT", "config": {}}]})
    assert r.status_code == 400 and "eventName" in r.json()["error"]
    r = await me.put(RULES, json={"id": random_uuid(), "ruleName": "ghost"})
    assert r.status_code == 404 and r.json() == {"error": "Rule not found"}
    # The window is checked against the stored bound too.
    r = await me.put(RULES, json={"id": rule_id, "effectiveTo": "2025-06-01T00:00:00Z"})
    assert r.json() == {"error": "Validation failed: effectiveTo: Effective To must be later than Effective From"}
    r = await me.put(RULES, content=b"{", headers={"Content-Type": "application/json"})
    assert r.json() == {"error": "Invalid JSON body"}

    r = await me.delete(RULES)
    assert r.status_code == 400 and r.json() == {"error": "Rule id is required"}
    r = await me.delete(RULES, params={"id": "nonexistent"})
    assert r.status_code == 404 and r.json() == {"error": "Rule not found"}
    assert (await me.get(f"{RULES}/not-a-uuid")).json() == {"error": "Invalid rule id"}
    r = await me.get(f"{RULES}/{random_uuid()}")
    assert r.status_code == 404 and r.json() == {"error": "Rule not found"}
    detail = (await me.get(f"{RULES}/{rule_id}")).json()
    assert detail["effectiveTo"] is None and detail["conditionExpression"] is not None  # nothing changed


async def test_duplicate_rule_id_is_409(client: httpx.AsyncClient, world: World) -> None:
    """Unique per tenant (not organization), soft-deleted rules included; other tenants are free."""
    me = await world.user(["business_rules.*"])
    other_org = await world.user(["business_rules.*"], org_id=await world.org("Sibling"))
    key = f"DUP_{stamp()}"
    first = await create_rule(me, ruleId=key)
    for caller in (me, other_org):
        r = await caller.post(RULES, json=rule_payload(ruleId=key))
        assert r.status_code == 409 and r.json() == {"error": "Rule ID already exists"}
    second = await create_rule(me)
    r = await me.put(RULES, json={"id": second, "ruleId": key})
    assert r.status_code == 409 and r.json() == {"error": "Rule ID already exists"}
    assert (await me.delete(RULES, params={"id": first})).status_code == 200
    assert (await me.post(RULES, json=rule_payload(ruleId=key))).status_code == 409
    stranger = await World(client).user(["business_rules.*"])
    assert (await stranger.post(RULES, json=rule_payload(ruleId=key))).status_code == 201


async def test_optimistic_lock(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """TC-LOCK-OSS-042 at the API level, for PUT and DELETE."""
    me = await world.user(["business_rules.*"])
    rule_id = await create_rule(me)
    token = (await me.get(f"{RULES}/{rule_id}")).json()["updatedAt"]
    r = await me.put(RULES, json={"id": rule_id, "ruleName": "with lock"}, headers={LOCK: token})
    assert r.status_code == 200, r.text
    current = (await me.get(f"{RULES}/{rule_id}")).json()["updatedAt"]
    assert current != token
    r = await me.put(RULES, json={"id": rule_id, "ruleName": "stale"}, headers={LOCK: token})
    assert r.status_code == 409
    assert r.json() == {"error": "record_modified", "code": "optimistic_lock_conflict",
                        "currentUpdatedAt": current, "expectedUpdatedAt": token}
    assert (await me.get(f"{RULES}/{rule_id}")).json()["ruleName"] == "with lock"
    # No header, or an unparseable one, skips the check.
    assert (await me.put(RULES, json={"id": rule_id, "priority": 7})).status_code == 200
    assert (await me.put(RULES, json={"id": rule_id, "priority": 8}, headers={LOCK: "garbage"})).status_code == 200
    # Locking is on for every declaring collection unless the setting narrows it.
    monkeypatch.setattr(get_settings(), "optimistic_lock", "off")
    assert (await me.put(RULES, json={"id": rule_id, "priority": 9}, headers={LOCK: token})).status_code == 200
    monkeypatch.setattr(get_settings(), "optimistic_lock", "business_rules.rule_set")
    assert (await me.put(RULES, json={"id": rule_id, "priority": 9}, headers={LOCK: token})).status_code == 200
    monkeypatch.setattr(get_settings(), "optimistic_lock", "all")
    assert (await me.delete(RULES, params={"id": rule_id}, headers={LOCK: token})).status_code == 409
    current = (await me.get(f"{RULES}/{rule_id}")).json()["updatedAt"]
    assert (await me.delete(RULES, params={"id": rule_id}, headers={LOCK: current})).status_code == 200


async def test_features_are_required(world: World) -> None:
    """TC-BR-005: a viewer cannot create, update or delete; a caller without features sees nothing."""
    admin = await world.user(["business_rules.*"])
    viewer = await world.user(["business_rules.view"])
    nobody = await world.user([])
    rule_id = await create_rule(admin)
    r = await viewer.post(RULES, json=rule_payload(f"TC_BR_005_DENIED_{stamp()}"))
    assert r.status_code == 403 and r.json() == {"error": "Forbidden", "requiredFeatures": ["business_rules.manage"]}
    r = await viewer.put(RULES, json={"id": rule_id, "ruleName": "TC-BR-005 Unauthorized Update"})
    assert r.status_code == 403 and "business_rules.manage" in r.json()["requiredFeatures"]
    r = await viewer.delete(RULES, params={"id": rule_id})
    assert r.status_code == 403 and "business_rules.manage" in r.json()["requiredFeatures"]
    assert (await viewer.get(RULES)).json()["total"] == 1
    assert (await viewer.get(f"{RULES}/{rule_id}")).status_code == 200
    for path in [RULES, f"{RULES}/{rule_id}"]:
        r = await nobody.get(path)
        assert r.status_code == 403 and r.json()["requiredFeatures"] == ["business_rules.view"]
    # The feature check comes before the body is read.
    r = await viewer.post(RULES, content=b"{broken", headers={"Content-Type": "application/json"})
    assert r.status_code == 403
    assert (await admin.get(f"{RULES}/{rule_id}")).json()["ruleName"] != "TC-BR-005 Unauthorized Update"


ALL_ENDPOINTS = [
    ("GET", "/rules"), ("POST", "/rules"), ("PUT", "/rules"), ("DELETE", "/rules"), ("GET", "/rules/{id}"),
    ("GET", "/sets"), ("POST", "/sets"), ("PUT", "/sets"), ("DELETE", "/sets"), ("GET", "/sets/{id}"),
    ("POST", "/sets/{id}/members"), ("PUT", "/sets/{id}/members"), ("DELETE", "/sets/{id}/members"),
    ("GET", "/logs"), ("GET", "/logs/{id}"), ("POST", "/execute"), ("POST", "/execute/{id}"),
]
FEATURE = {"GET /rules": "view", "GET /rules/{id}": "view", "GET /sets": "view", "GET /sets/{id}": "view",
           "POST /rules": "manage", "PUT /rules": "manage", "DELETE /rules": "manage",
           "GET /logs": "view_logs", "GET /logs/{id}": "view_logs", "POST /execute": "execute",
           "POST /execute/{id}": "execute"}


@pytest.mark.parametrize(("method", "path"), ALL_ENDPOINTS, ids=[f"{m} {p}" for m, p in ALL_ENDPOINTS])
async def test_every_endpoint_needs_auth_and_its_feature(world: World, method: str, path: str) -> None:
    url = "/api/business_rules" + path.replace("{id}", "1" if path.startswith("/logs") else random_uuid())
    r = await world.client.request(method, url, json={})
    assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}
    feature = "business_rules." + FEATURE.get(f"{method} {path}", "manage_sets")
    others = [f"business_rules.{f}" for f in ("view", "manage", "manage_sets", "view_logs", "execute")
              if f"business_rules.{f}" != feature]
    caller = await world.user(others)
    r = await caller.client.request(method, url, json={}, headers={"Authorization": f"Bearer {caller.token}"})
    assert r.status_code == 403 and r.json() == {"error": "Forbidden", "requiredFeatures": [feature]}


async def _isolated_callers(client: httpx.AsyncClient, world: World) -> list[Caller]:
    org_c = await world.org("Org C")
    return [await world.user(["business_rules.*"], org_id=org_c), await World(client).user(["business_rules.*"])]


async def test_tenant_and_organization_isolation(client: httpx.AsyncClient, world: World) -> None:
    """TC-BR-010: another organization of the tenant, or another tenant, neither sees nor runs the rule."""
    admin = await world.user(["business_rules.*"])
    key = stamp()
    entity = f"QaTenantScopeEntity{key}"
    rule_id = await create_rule(admin, ruleId=f"TC_BR_010_A_{key}", entityType=entity)
    for caller in await _isolated_callers(client, world):
        assert (await caller.get(RULES, params={"ruleId": f"TC_BR_010_A_{key}"})).json()["items"] == []
        assert (await caller.get(f"{RULES}/{rule_id}")).status_code == 404
        r = await caller.put(RULES, json={"id": rule_id, "ruleName": "hijacked"})
        assert r.status_code == 404 and r.json() == {"error": "Rule not found"}
        assert (await caller.delete(RULES, params={"id": rule_id})).status_code == 404
        r = await caller.post(EXECUTE, json={"entityType": entity, "eventType": "beforeSave",
                                             "entityId": random_uuid(), "data": {"status": "ACTIVE"}})
        assert r.status_code == 200 and r.json()["executedRules"] == []
        r = await caller.post(f"{EXECUTE}/{rule_id}", json={"data": {"status": "ACTIVE"}})
        assert r.status_code == 404
    detail = (await admin.get(f"{RULES}/{rule_id}")).json()
    assert detail["ruleName"] != "hijacked"


async def test_create_without_an_organization_is_refused(world: World) -> None:
    me = await world.user(["business_rules.*"])
    async with sessionmaker()() as s:
        await s.execute(update(User).where(User.id == me.user_id).values(organization_id=None))
        await s.commit()
    r = await me.post(RULES, json=rule_payload())
    assert r.status_code == 400
    assert r.json() == {"error": "Validation failed: organizationId: Invalid input: expected string, received null"}
    assert (await me.get(RULES)).json() == {"items": [], "total": 0, "totalPages": 1}
    r = await me.post(EXECUTE, json={"entityType": "X"})
    assert r.status_code == 400
    assert r.json() == {"error": "Invalid execution context: organizationId: organizationId must be a valid UUID"}


async def test_rule_writes_can_be_undone(world: World) -> None:
    """Rule writes go through the audit log like the CRUD kit's: an edit is undone by its token."""
    me = await world.user(["business_rules.*", "audit_logs.view_self", "audit_logs.undo_self"])
    rule_id = await create_rule(me, ruleName="Before", priority=5)
    r = await me.put(RULES, json={"id": rule_id, "ruleName": "After", "priority": 6})
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    r = await me.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})
    assert r.status_code == 200, r.text
    detail = (await me.get(f"{RULES}/{rule_id}")).json()
    assert (detail["ruleName"], detail["priority"]) == ("Before", 5)
