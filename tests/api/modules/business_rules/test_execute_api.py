"""`POST /execute`, `POST /execute/{ruleId}` and the execution logs: discovery, GUARD aggregation,
log sanitising, the effects of actions and rule sets (reference cases TC-BR-004/008/009/011)."""

from __future__ import annotations

import asyncio
import email
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.db import sessionmaker
from api.modules.business_rules.models import BusinessRule, RuleExecutionLog
from api.outbox_models import OutboxEvent
from api.settings import get_settings
from tests.api.modules.business_rules.helpers import (
    EXECUTE,
    LOGS,
    RULES,
    add_member,
    create_rule,
    create_set,
    dispatch_all,
    random_uuid,
    stamp,
)
from tests.fixtures import Caller, World


async def _events(tenant_id: str, name: str | None = None) -> list[OutboxEvent]:
    async with sessionmaker()() as s:
        stmt = select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id).order_by(OutboxEvent.seq)
        if name is not None:
            stmt = stmt.where(OutboxEvent.name == name)
        return list((await s.execute(stmt)).scalars().all())


async def _log_count(tenant_id: str) -> int:
    async with sessionmaker()() as s:
        return (await s.execute(select(func.count()).select_from(RuleExecutionLog)
                                .where(RuleExecutionLog.tenant_id == tenant_id))).scalar_one()


async def _execute(caller: Caller, **body: Any) -> dict[str, Any]:
    r = await caller.post(EXECUTE, json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_execute_and_logs(world: World) -> None:
    """TC-BR-004."""
    me = await world.user(["business_rules.*"])
    rule_id = await create_rule(me, ruleId=f"QA_EXEC_{stamp()}", ruleName="QA Execute Rule", entityType="WorkOrder")
    body = await _execute(me, entityType="WorkOrder", eventType="beforeSave",
                          entityId="00000000-0000-4000-8000-000000000101", data={"status": "ACTIVE"})
    assert body["allowed"] is True and isinstance(body["executedRules"][0]["ruleId"], str)
    assert body["executedRules"][0]["ruleType"] == "GUARD" and body["executedRules"][0]["actionsExecuted"] is None
    assert body["logIds"] == [body["executedRules"][0]["logId"]]

    r = await me.post(f"{EXECUTE}/{rule_id}", json={"entityType": "WorkOrder", "eventType": "beforeSave",
                                                    "entityId": "00000000-0000-4000-8000-000000000102",
                                                    "data": {"status": "ACTIVE"}})
    assert r.status_code == 200 and r.json()["success"] is True and isinstance(r.json()["logId"], str)
    assert set(r.json()) == {"success", "ruleId", "ruleName", "conditionResult", "actionsExecuted", "executionTime",
                             "logId"}

    logs = (await me.get(LOGS, params={"ruleId": rule_id})).json()
    assert logs["total"] == 2 and all(i["ruleId"] == rule_id for i in logs["items"])
    item = logs["items"][0]  # newest first
    assert item["entityId"] == "00000000-0000-4000-8000-000000000102" and item["ruleName"] == "QA Execute Rule"
    detail = (await me.get(f"{LOGS}/{item['id']}")).json()
    assert detail["id"] == item["id"] and detail["rule"]["id"] == rule_id and detail["entityType"] == "WorkOrder"
    assert detail["rule"]["ruleName"] == "QA Execute Rule" and detail["executionResult"] == "SUCCESS"
    assert detail["inputContext"] == {"data": {"status": "ACTIVE"}, "eventType": "beforeSave",
                                      "user": {"id": me.user_id, "role": detail["inputContext"]["user"]["role"]}}
    assert detail["executedBy"] == me.user_id and detail["organizationId"] == me.org_id


async def test_dry_run_writes_and_emits_nothing(world: World) -> None:
    """TC-BR-008, plus: no outbox events on a dry run even with effectful actions."""
    me = await world.user(["business_rules.*"])
    key = stamp()
    entity = f"QaDryRunEntity{key}"
    rule_id = await create_rule(me, ruleId=f"TC_BR_008_{key}", ruleType="ACTION", entityType=entity,
                                successActions=[{"type": "SET_FIELD", "config": {"field": "approvalStatus",
                                                                                 "value": "APPROVED"}},
                                                {"type": "EMIT_EVENT", "config": {"eventName": "qa.dry.run"}}])
    entity_id = random_uuid()
    events_before = len(await _events(me.tenant_id))
    request = {"entityType": entity, "eventType": "beforeSave", "entityId": entity_id,
               "data": {"status": "ACTIVE", "approvalStatus": "PENDING"}, "dryRun": True}
    body = await _execute(me, **request)
    assert body["allowed"] is True and "logIds" not in body
    entry = body["executedRules"][0]
    assert entry["conditionResult"] is True and entry["actionsExecuted"]["success"] is True and "logId" not in entry
    assert entry["actionsExecuted"]["results"] == [{"type": "SET_FIELD", "success": True},
                                                   {"type": "EMIT_EVENT", "success": True}]
    assert body["data"] == {"status": "ACTIVE", "approvalStatus": "APPROVED"}  # SET_FIELD shows, even dry
    assert (await me.get(LOGS, params={"ruleId": rule_id, "entityId": entity_id})).json()["items"] == []
    assert len(await _events(me.tenant_id)) == events_before
    r = await me.post(f"{EXECUTE}/{rule_id}", json={"data": {"status": "ACTIVE"}, "dryRun": True})
    assert r.status_code == 200 and "logId" not in r.json() and r.json()["success"] is True
    assert await _log_count(me.tenant_id) == 0 and len(await _events(me.tenant_id)) == events_before

    body = await _execute(me, **{**request, "dryRun": False})
    assert body["executedRules"][0]["logId"] and len(body["logIds"]) > 0
    logs = (await me.get(LOGS, params={"ruleId": rule_id, "entityId": entity_id})).json()["items"]
    assert [i["executionResult"] for i in logs] == ["SUCCESS"]
    assert [e.name for e in await _events(me.tenant_id, "qa.dry.run")] == ["qa.dry.run"]


async def test_failure_actions(world: World) -> None:
    """TC-BR-009."""
    me = await world.user(["business_rules.*"])
    entity = f"QaFailureEntity{stamp()}"
    rule_id = await create_rule(me, ruleType="ACTION", entityType=entity, failureActions=[
        {"type": "LOG", "config": {"level": "warn", "message": "TC-BR-009 failure action executed"}}])
    entity_id = random_uuid()
    body = await _execute(me, entityType=entity, eventType="beforeSave", entityId=entity_id,
                          data={"status": "INACTIVE"})
    entry = body["executedRules"][0]
    assert entry["conditionResult"] is False and entry["actionsExecuted"]["success"] is True
    assert [a["type"] for a in entry["actionsExecuted"]["results"]] == ["LOG"]
    assert body["allowed"] is True  # ACTION rules never decide `allowed`
    logs = (await me.get(LOGS, params={"ruleId": rule_id, "entityId": entity_id, "executionResult": "FAILURE"})
            ).json()["items"]
    assert len(logs) == 1 and logs[0]["executionResult"] == "FAILURE"
    assert logs[0]["outputContext"]["conditionResult"] is False
    assert [a["type"] for a in logs[0]["outputContext"]["actionsExecuted"]] == ["LOG"]


async def test_log_filtering(world: World) -> None:
    """TC-BR-011."""
    me = await world.user(["business_rules.*"])
    entity = f"QaLogFilterEntity{stamp()}"
    rule_id = await create_rule(me, entityType=entity)
    success_entity, failure_entity = random_uuid(), random_uuid()
    await _execute(me, entityType=entity, eventType="beforeSave", entityId=success_entity, data={"status": "ACTIVE"})
    await asyncio.sleep(0.05)
    boundary = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    await asyncio.sleep(0.05)
    body = await _execute(me, entityType=entity, eventType="beforeSave", entityId=failure_entity,
                          data={"status": "INACTIVE"})
    assert body["allowed"] is False  # a GUARD whose condition failed

    async def entity_ids(**params: Any) -> list[tuple[str, str]]:
        r = await me.get(LOGS, params={"ruleId": rule_id, "pageSize": 10, **params})
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert all(i["outputContext"] is None for i in items)  # no actions ran
        return [(i["entityId"], i["executionResult"]) for i in items]

    assert set(await entity_ids()) == {(success_entity, "SUCCESS"), (failure_entity, "FAILURE")}
    assert await entity_ids(executionResult="SUCCESS") == [(success_entity, "SUCCESS")]
    assert await entity_ids(executedAtFrom=boundary) == [(failure_entity, "FAILURE")]
    assert await entity_ids(executedAtTo=boundary) == [(success_entity, "SUCCESS")]
    assert await entity_ids(executedAtFrom=boundary, executionResult="FAILURE") == [(failure_entity, "FAILURE")]
    assert await entity_ids(sortField="executedAt", sortDir="asc") == \
        [(success_entity, "SUCCESS"), (failure_entity, "FAILURE")]
    assert await entity_ids(entityType=entity, executedBy=me.user_id, sortField="ruleId") != []
    assert await entity_ids(executedBy="someone-else") == []


async def test_log_errors_and_isolation(client: httpx.AsyncClient, world: World) -> None:
    me = await world.user(["business_rules.*"])
    rule_id = await create_rule(me, entityType="Iso")
    log_id = (await _execute(me, entityType="Iso", data={"status": "ACTIVE"}))["logIds"][0]
    assert (await me.get(f"{LOGS}/abc")).json() == {"error": "Invalid log id"}
    assert (await me.get(f"{LOGS}/-1")).status_code == 400
    for missing in ["999999999999", "99999999999999999999999"]:
        r = await me.get(f"{LOGS}/{missing}")
        assert r.status_code == 404 and r.json() == {"error": "Log entry not found"}
    for bad in [{"page": "invalid"}, {"ruleId": "not-a-uuid"}, {"sortField": "bogus"}, {"sortDir": "x"},
                {"executionResult": "MAYBE"}, {"executedAtFrom": "yesterday"}, {"id": "x"}, {"pageSize": "1000"}]:
        r = await me.get(LOGS, params=bad)
        assert r.status_code == 400 and r.json() == {"error": "Invalid query parameters"}, bad
    assert [i["id"] for i in (await me.get(LOGS, params={"id": log_id})).json()["items"]] == [log_id]
    assert (await me.get(LOGS, params={"ruleId": rule_id, "entityId": "unknown"})).json()["total"] == 1

    neighbour = await world.user(["business_rules.*"], org_id=await world.org("Other org"))
    stranger = await World(client).user(["business_rules.*"])
    for caller in (neighbour, stranger):
        assert (await caller.get(LOGS)).json() == {"items": [], "total": 0, "totalPages": 1}
        assert (await caller.get(f"{LOGS}/{log_id}")).status_code == 404
    viewer = await world.user(["business_rules.view"])
    r = await viewer.get(LOGS)
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["business_rules.view_logs"]


async def test_logged_input_is_sanitised(world: World) -> None:
    """Logged input: secret-looking keys redacted (substring match), depth capped at 5, no user email."""
    me = await world.user(["business_rules.*"])
    await create_rule(me, entityType="Secretive", conditionExpression=None)
    data = {"password": "hunter2", "accessToken": "t", "authorId": 7, "name": "Ada",
            "nested": {"apiKey": "k", "ok": 1, "cards": [{"card_number": "4111", "last4": "1111"}]},
            "deep": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}
    log_id = (await _execute(me, entityType="Secretive", data=data))["logIds"][0]
    logged = (await me.get(f"{LOGS}/{log_id}")).json()["inputContext"]
    assert logged["data"] == {
        "password": "[REDACTED]", "accessToken": "[REDACTED]", "authorId": "[REDACTED]", "name": "Ada",
        "nested": {"apiKey": "[REDACTED]", "ok": 1, "cards": [{"card_number": "[REDACTED]", "last4": "1111"}]},
        "deep": {"a": {"b": {"c": {"d": {"e": "[Max depth exceeded]"}}}}},
    }
    assert "email" not in logged["user"] and "eventType" not in logged


async def test_discovery_semantics(world: World) -> None:
    """Discovery: exact event type, priority order, disabled/out-of-window/deleted skipped, GUARD
    aggregation, no short-circuit."""
    me = await world.user(["business_rules.*"])
    key = stamp()

    async def rule(suffix: str, **overrides: Any) -> str:
        return await create_rule(me, ruleId=f"D_{key}_{suffix}", entityType="Disc", **overrides)

    await rule("low", priority=10, ruleType="ACTION")
    await rule("high", priority=900)
    await rule("mid_b", priority=500, conditionExpression={"field": "qty", "operator": ">", "value": 5})
    await rule("mid_a", priority=500, ruleType="VALIDATION")
    await rule("no_event", eventType=None)
    await rule("other_event", eventType="afterSave")
    await rule("disabled", enabled=False)
    await rule("future", effectiveFrom="2099-01-01T00:00:00Z")
    await rule("past", effectiveFrom="2000-01-01T00:00:00Z", effectiveTo="2001-01-01T00:00:00Z")
    deleted = await rule("deleted")
    await me.delete(RULES, params={"id": deleted})

    body = await _execute(me, entityType="Disc", eventType="beforeSave", data={"status": "ACTIVE", "qty": 1})
    ran = [(e["ruleId"].removeprefix(f"D_{key}_"), e["conditionResult"]) for e in body["executedRules"]]
    assert ran == [("high", True), ("mid_a", True), ("mid_b", False), ("low", True)]
    assert body["allowed"] is False and "errors" not in body  # mid_b is a failing GUARD; every rule still ran
    body = await _execute(me, entityType="Disc", data={"status": "ACTIVE", "qty": 9}, dryRun=True)
    assert [e["ruleId"].removeprefix(f"D_{key}_") for e in body["executedRules"]] == \
        ["high", "mid_a", "mid_b", "no_event", "other_event", "low"]  # no eventType: every event type
    assert body["allowed"] is True
    assert await _execute(me, entityType="Nothing") == {"allowed": True, "executedRules": [],
                                                        "totalExecutionTime": 0}


async def test_evaluation_errors_are_logged_and_reported(world: World) -> None:
    """A rule whose stored condition cannot be evaluated: ERROR log, `errors`, a failure event, and a
    GUARD that blocks."""
    me = await world.user(["business_rules.*"])
    async with sessionmaker()() as s:
        row = BusinessRule(rule_id=f"BROKEN_{stamp()}", rule_name="Broken", rule_type="GUARD", entity_type="Broken",
                           condition_expression={"field": "x", "operator": "INVALID_OPERATOR", "value": 1},
                           tenant_id=me.tenant_id, organization_id=me.org_id)
        s.add(row)
        await s.commit()
    body = await _execute(me, entityType="Broken", data={"x": 1})
    entry = body["executedRules"][0]
    assert body["allowed"] is False and entry["conditionResult"] is False and entry["actionsExecuted"] is None
    assert entry["error"] == "Condition evaluation failed: Unknown operator: INVALID_OPERATOR"
    assert body["errors"] == [f"Rule execution failed [ruleId={row.rule_id}, type=GUARD, entityType=Broken]: "
                              "Condition evaluation failed: Unknown operator: INVALID_OPERATOR"]
    log = (await me.get(f"{LOGS}/{entry['logId']}")).json()
    assert log["executionResult"] == "ERROR" and log["errorMessage"] == entry["error"]
    failed = await _events(me.tenant_id, "business_rules.rule.execution_failed")
    assert [e.payload["ruleId"] for e in failed] == [row.rule_id]
    assert failed[0].payload["errorMessage"] == entry["error"] and failed[0].payload["entityType"] == "Broken"
    # Direct execution reports the error with 200 and emits no failure event.
    r = await me.post(f"{EXECUTE}/{row.id}", json={"data": {"x": 1}})
    assert r.status_code == 200 and r.json()["success"] is False and r.json()["error"] == entry["error"]
    assert len(await _events(me.tenant_id, "business_rules.rule.execution_failed")) == 1


async def test_effects_are_carried_out(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Actions have effects: EMIT_EVENT emits, NOTIFY mails through the outbox, SET_FIELD changes the data
    returned, BLOCK_TRANSITION blocks; the log records what was done."""
    monkeypatch.setattr(get_settings(), "smtp_host", "")
    monkeypatch.setattr(get_settings(), "mail_outbox_dir", tmp_path)
    me = await world.user(["business_rules.*"])
    recipient = f"ops-{stamp()}@example.com"
    await create_rule(me, ruleType="ACTION", entityType="Order", priority=200, successActions=[
        {"type": "EMIT_EVENT", "config": {"eventName": "qa.order.flagged", "payload": {"reason": "big"}}},
        {"type": "NOTIFY", "config": {"recipients": [recipient], "subject": "Order {{data.number}}",
                                      "message": "Order {{data.number}} flagged by {{ruleName}}"}},
        {"type": "SET_FIELD", "config": {"field": "review.flagged", "value": True}},
        {"type": "SET_FIELD", "config": {"field": "reviewedAt", "value": "{{now}}"}},
    ], ruleName="Big orders")
    await create_rule(me, ruleType="ACTION", entityType="Order", priority=100,
                      conditionExpression={"field": "status", "operator": "=", "value": "NEVER"},
                      failureActions=[{"type": "BLOCK_TRANSITION", "config": {"message": "No {{data.number}}"}}])
    body = await _execute(me, entityType="Order", eventType="beforeSave",
                          data={"status": "ACTIVE", "number": "SO-1"})
    assert body["allowed"] is False  # the BLOCK_TRANSITION action blocked
    assert body["data"]["review"] == {"flagged": True} and body["data"]["reviewedAt"].endswith("Z")
    assert body["data"]["number"] == "SO-1"
    emitted = await _events(me.tenant_id, "qa.order.flagged")
    assert len(emitted) == 1 and emitted[0].organization_id == me.org_id
    assert emitted[0].payload["reason"] == "big" and emitted[0].payload["_businessRule"]["depth"] == 1
    requested = await _events(me.tenant_id, "business_rules.mail.requested")
    assert [e.payload["recipients"] for e in requested] == [[recipient]]
    log = (await me.get(f"{LOGS}/{body['executedRules'][0]['logId']}")).json()
    assert [e["type"] for e in log["outputContext"]["effects"]] == ["EMIT_EVENT", "SEND_MAIL", "SET_FIELD",
                                                                   "SET_FIELD"]
    blocked = (await me.get(f"{LOGS}/{body['executedRules'][1]['logId']}")).json()
    assert blocked["outputContext"]["effects"] == [{"type": "BLOCK_TRANSITION", "message": "No SO-1"}]

    await dispatch_all()
    mails = await asyncio.to_thread(lambda: [email.message_from_bytes(p.read_bytes()) for p in tmp_path.glob("*.eml")])
    mine = [m for m in mails if m["To"] == recipient]
    assert len(mine) == 1 and mine[0]["Subject"] == "Order SO-1"
    content = mine[0].get_payload(decode=True)
    assert isinstance(content, bytes) and content.decode().strip() == "Order SO-1 flagged by Big orders"


async def test_rule_sets_take_part_in_execution(world: World) -> None:
    """`ruleSetId`/`setId` runs exactly the enabled members, in member sequence."""
    me = await world.user(["business_rules.*"])
    key = stamp()
    first = await create_rule(me, ruleId=f"S_{key}_first", entityType="Elsewhere", priority=1)
    second = await create_rule(me, ruleId=f"S_{key}_second", entityType="SetEntity", priority=999)
    muted = await create_rule(me, ruleId=f"S_{key}_muted", entityType="SetEntity")
    disabled_rule = await create_rule(me, ruleId=f"S_{key}_disabled", entityType="SetEntity", enabled=False)
    await create_rule(me, ruleId=f"S_{key}_outsider", entityType="SetEntity")
    set_key = f"set-{key}"
    set_id = await create_set(me, setId=set_key)
    await add_member(me, set_id, second, sequence=20)
    await add_member(me, set_id, first, sequence=10)
    await add_member(me, set_id, muted, sequence=5, enabled=False)
    await add_member(me, set_id, disabled_rule, sequence=1)

    for ref in ({"ruleSetId": set_id}, {"setId": set_key}, {"ruleSetId": set_key}):
        body = await _execute(me, entityType="SetEntity", data={"status": "ACTIVE"}, dryRun=True, **ref)
        assert [e["ruleId"].removeprefix(f"S_{key}_") for e in body["executedRules"]] == ["first", "second"], ref
    body = await _execute(me, entityType="SetEntity", data={"status": "ACTIVE"}, ruleSetId=set_id)
    assert len(body["logIds"]) == 2
    r = await me.post(EXECUTE, json={"entityType": "SetEntity", "ruleSetId": random_uuid()})
    assert r.status_code == 404 and r.json() == {"error": "Rule set not found"}
    await me.put("/api/business_rules/sets", json={"id": set_id, "enabled": False})
    body = await _execute(me, entityType="SetEntity", ruleSetId=set_id)
    assert body["executedRules"] == [] and body["errors"] == ["Rule set is disabled"]


async def test_execute_validation(world: World) -> None:
    me = await world.user(["business_rules.*"])
    cases: list[tuple[Any, str]] = [
        ({}, "Validation failed: entityType: Invalid input: expected string, received undefined"),
        ({"entityType": ""}, "Validation failed: entityType: Too small: expected string to have >=1 characters"),
        ({"entityType": "X", "dryRun": "yes"},
         "Validation failed: dryRun: Invalid input: expected boolean, received string"),
        ({"entityType": "X", "entityId": 5}, "Validation failed: entityId: Invalid input: expected string, "
                                             "received number"),
        ({"entityType": "X" * 256}, "Validation failed: entityType: Too big: expected string to have <=255 characters"),
    ]
    for body, message in cases:
        r = await me.post(EXECUTE, json=body)
        assert r.status_code == 400 and r.json() == {"error": message}, body
    r = await me.post(EXECUTE, content=b"{", headers={"Content-Type": "application/json"})
    assert r.json() == {"error": "Invalid JSON body"}


async def test_execute_one_rule(world: World) -> None:
    """404 only for a missing rule; the other refusals are 200 with `success: false`."""
    me = await world.user(["business_rules.*"])
    rule_id = await create_rule(me, entityType="Own", eventType="ownEvent", successActions=[
        {"type": "SET_FIELD", "config": {"field": "checked", "value": "yes"}}])
    r = await me.post(f"{EXECUTE}/{rule_id}")  # no body at all
    assert r.status_code == 200 and r.json()["conditionResult"] is False and r.json()["success"] is True
    r = await me.post(f"{EXECUTE}/{rule_id}", json={"data": {"status": "ACTIVE"}, "entityId": "e-1"})
    body = r.json()
    assert body["conditionResult"] is True and body["data"] == {"status": "ACTIVE", "checked": "yes"}
    assert body["actionsExecuted"] == {"success": True, "results": [{"type": "SET_FIELD", "success": True}]}
    log = (await me.get(f"{LOGS}/{body['logId']}")).json()
    assert (log["entityType"], log["entityId"], log["inputContext"]["eventType"]) == ("Own", "e-1", "ownEvent")
    r = await me.post(f"{EXECUTE}/{rule_id}", json={"entityType": "Other", "eventType": "otherEvent"})
    log = (await me.get(f"{LOGS}/{r.json()['logId']}")).json()
    assert (log["entityType"], log["entityId"], log["inputContext"]["eventType"]) == ("Other", "unknown", "otherEvent")

    assert (await me.post(f"{EXECUTE}/not-a-uuid", json={})).json() == {"error": "Invalid rule ID"}
    missing = random_uuid()
    r = await me.post(f"{EXECUTE}/{missing}", json={})
    assert r.status_code == 404
    assert r.json() == {"success": False, "ruleId": missing, "ruleName": "Unknown", "conditionResult": False,
                        "actionsExecuted": None, "executionTime": 0, "error": "Rule not found"}
    assert (await me.post(f"{EXECUTE}/{rule_id}", json={"dryRun": 1})).json() == {
        "error": "Validation failed: dryRun: Invalid input: expected boolean, received number"}

    refusals: list[tuple[dict[str, Any], str]] = [
        ({"enabled": False}, "Rule is disabled"),
        ({"effectiveFrom": "2099-01-01T00:00:00Z"}, "Rule is not yet effective (starts 2099-01-01T00:00:00.000Z)"),
        ({"effectiveFrom": "2000-01-01T00:00:00Z", "effectiveTo": "2001-06-01T12:30:00Z"},
         "Rule has expired (ended 2001-06-01T12:30:00.000Z)"),
    ]
    logs_before = await _log_count(me.tenant_id)
    for overrides, message in refusals:
        refused = await create_rule(me, **overrides)
        r = await me.post(f"{EXECUTE}/{refused}", json={"data": {"status": "ACTIVE"}})
        assert r.status_code == 200, r.text
        assert r.json()["success"] is False and r.json()["error"] == message and "logId" not in r.json()
    assert await _log_count(me.tenant_id) == logs_before  # refusals write no log
