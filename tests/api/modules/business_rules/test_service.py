"""`service.execute_rule_by_rule_id`, the entry point workflow guards use: runs and logs, dry runs,
refusals, and the effects a guard reads."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from api.db import sessionmaker
from api.modules.business_rules import service
from api.modules.business_rules.models import RuleExecutionLog
from api.outbox_models import OutboxEvent
from rules import BlockTransition, EmitEvent, SetField
from tests.api.modules.business_rules.helpers import create_rule, stamp
from tests.fixtures import Caller, World


async def _run(caller: Caller, rule_id: str, **overrides: Any) -> service.RuleRunResult:
    args: dict[str, Any] = {
        "rule_id": rule_id, "tenant_id": caller.tenant_id, "organization_id": caller.org_id, "entity_type": "",
        "entity_id": None, "event_type": None, "data": {"status": "ACTIVE"}, "user_id": caller.user_id,
        "dry_run": False, **overrides,
    }
    async with sessionmaker()() as session:
        result = await service.execute_rule_by_rule_id(session, **args)
        await session.commit()
    return result


async def _logs(tenant_id: str) -> list[RuleExecutionLog]:
    async with sessionmaker()() as s:
        return list((await s.execute(select(RuleExecutionLog).where(RuleExecutionLog.tenant_id == tenant_id)
                                     .order_by(RuleExecutionLog.id))).scalars().all())


async def test_runs_and_logs(world: World) -> None:
    me = await world.user(["business_rules.*"])
    key = f"GUARD_{stamp()}"
    rule_uuid = await create_rule(me, ruleId=key, ruleName="Cart not empty", entityType="workflow:checkout:seed")
    result = await _run(me, key, entity_type="workflow:checkout:transition", entity_id="cart->pay",
                        event_type="pre_transition", data={"status": "ACTIVE", "secret": "x"})
    assert (result.rule_id, result.rule_name, result.condition_result, result.error, result.success) == \
        (key, "Cart not empty", True, None, True)
    assert result.allowed and result.effects == [] and result.rule_uuid == rule_uuid
    assert result.execution_time_ms >= 0 and result.log_id is not None
    [log] = await _logs(me.tenant_id)
    assert str(log.id) == result.log_id and log.rule_id == rule_uuid and log.execution_result == "SUCCESS"
    assert (log.entity_type, log.entity_id, log.executed_by) == \
        ("workflow:checkout:transition", "cart->pay", me.user_id)
    assert log.input_context == {"data": {"status": "ACTIVE", "secret": "[REDACTED]"}, "eventType": "pre_transition",
                                 "user": {"id": me.user_id}}

    result = await _run(me, key, data={"status": "DRAFT"})
    assert result.condition_result is False and result.success is True and result.error is None
    log = (await _logs(me.tenant_id))[-1]
    assert log.execution_result == "FAILURE"
    assert (log.entity_type, log.entity_id) == ("workflow:checkout:seed", "unknown")  # the rule's own type


async def test_dry_run_writes_nothing(world: World) -> None:
    me = await world.user(["business_rules.*"])
    key = f"DRY_{stamp()}"
    await create_rule(me, ruleId=key, successActions=[{"type": "EMIT_EVENT", "config": {"eventName": "qa.x.y"}}])
    result = await _run(me, key, dry_run=True)
    assert result.condition_result is True and result.log_id is None
    assert result.effects == [EmitEvent("qa.x.y", {})]
    assert await _logs(me.tenant_id) == []
    async with sessionmaker()() as s:
        assert (await s.execute(select(OutboxEvent).where(OutboxEvent.name == "qa.x.y",
                                                          OutboxEvent.tenant_id == me.tenant_id))).first() is None


async def test_refusals(client: httpx.AsyncClient, world: World) -> None:
    me = await world.user(["business_rules.*"])
    key = stamp()
    await create_rule(me, ruleId=f"OFF_{key}", enabled=False)
    await create_rule(me, ruleId=f"LATER_{key}", effectiveFrom="2099-03-01T10:00:00Z")
    await create_rule(me, ruleId=f"OVER_{key}", effectiveFrom="2000-01-01T00:00:00Z",
                      effectiveTo="2001-01-01T00:00:00Z")
    deleted = await create_rule(me, ruleId=f"GONE_{key}")
    await me.delete("/api/business_rules/rules", params={"id": deleted})
    cases = [
        (f"OFF_{key}", "Rule is disabled", "QA Business Rule"),
        (f"LATER_{key}", "Rule is not yet effective (starts 2099-03-01T10:00:00.000Z)", "QA Business Rule"),
        (f"OVER_{key}", "Rule has expired (ended 2001-01-01T00:00:00.000Z)", "QA Business Rule"),
        (f"GONE_{key}", "Rule not found", "Unknown"),
        ("NOPE", "Rule not found", "Unknown"),
    ]
    for rule_id, error, name in cases:
        result = await _run(me, rule_id)
        assert result.error == error and result.rule_name.startswith(name) and result.rule_id == rule_id
        assert result.success is False and result.condition_result is False and result.log_id is None
    # Another tenant cannot run it, even by key.
    stranger = await World(client).user(["business_rules.*"])
    assert (await _run(stranger, f"OFF_{key}")).error == "Rule not found"
    assert await _logs(me.tenant_id) == []

    result = await _run(me, "")
    assert (result.rule_id, result.rule_name) == ("unknown", "Unknown")
    assert result.error == "Validation failed: ruleId: ruleId must be a non-empty string"
    result = await _run(me, "x", tenant_id="t", organization_id="")
    assert result.error == ("Validation failed: tenantId: tenantId must be a valid UUID, "
                            "organizationId: organizationId must be a valid UUID")


async def test_effects_in_the_result(world: World) -> None:
    """What a workflow guard reads: BLOCK_TRANSITION makes `allowed` false, SET_FIELD shows in `data`,
    EMIT_EVENT is in the caller's transaction."""
    me = await world.user(["business_rules.*"])
    key = f"EFF_{stamp()}"
    await create_rule(me, ruleId=key, successActions=[
        {"type": "SET_FIELD", "config": {"field": "approved", "value": True}},
        {"type": "EMIT_EVENT", "config": {"eventName": "qa.guard.passed", "payload": {"by": "{{user.id}}"}}},
        {"type": "BLOCK_TRANSITION", "config": {"message": "Held for {{data.status}}"}},
    ])
    result = await _run(me, key)
    assert result.condition_result is True and result.allowed is False
    assert result.block_message == "Held for ACTIVE"
    assert result.data == {"status": "ACTIVE", "approved": True}
    assert [type(e) for e in result.effects] == [SetField, EmitEvent, BlockTransition]
    assert result.actions_executed == {"success": True, "results": [
        {"type": "SET_FIELD", "success": True}, {"type": "EMIT_EVENT", "success": True},
        {"type": "BLOCK_TRANSITION", "success": True}]}
    async with sessionmaker()() as s:
        events = (await s.execute(select(OutboxEvent).where(OutboxEvent.name == "qa.guard.passed",
                                                            OutboxEvent.tenant_id == me.tenant_id))).scalars().all()
    assert len(events) == 1 and events[0].payload["by"] == "{{user.id}}"  # payloads are not interpolated

    # Nothing is kept when the caller rolls back.
    async with sessionmaker()() as session:
        await service.execute_rule_by_rule_id(
            session, rule_id=key, tenant_id=me.tenant_id, organization_id=me.org_id, entity_type=None,
            entity_id=None, event_type=None, data={"status": "ACTIVE"}, user_id=None, dry_run=False)
        await session.rollback()
    assert len(await _logs(me.tenant_id)) == 1
