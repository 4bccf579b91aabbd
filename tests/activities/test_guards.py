"""`evaluate_guard`: a business rule as a workflow guard, run once per evaluation key. Temporal runs a local
activity again when the worker dies before the workflow task completes; the second run must not log the
rule again nor repeat its actions (the durability test shows the crash itself)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from activities.guards import evaluate
from api.db import sessionmaker
from api.modules.business_rules.models import RuleExecutionLog
from api.outbox_models import OutboxEvent
from engine.contract import GuardInput, GuardResult
from tests.api.modules.business_rules.helpers import RULES, rule_payload
from tests.fixtures import Caller, World


async def guard_rule(caller: Caller, rule_id: str, **fields: Any) -> None:
    body = rule_payload(ruleId=rule_id, entityType="QaGuardEntity", **{
        "conditionExpression": {"field": "workflowContext.amount", "operator": ">", "value": 0},
        "successActions": [{"type": "EMIT_EVENT", "config": {"eventName": "qa.guard.passed"}}], **fields})
    r = await caller.post(RULES, json=body)
    assert r.status_code == 201, r.text


def guard(caller: Caller, rule_id: str, amount: int, key: str | None, **extra: Any) -> GuardInput:
    return GuardInput(tenant_id=caller.tenant_id, organization_id=caller.org_id, rule_id=rule_id,
                      entity_type="workflow:qa.flow:transition", entity_id="start-to-end", event_type="pre_transition",
                      data={"workflowInstanceId": "inst-1", "workflowContext": {"amount": amount}},
                      user_id=caller.user_id, idempotency_key=key, **extra)


async def counts(tenant_id: str) -> tuple[int, int]:
    """Execution logs and outbox events (from the rule's EMIT_EVENT action) of the tenant."""
    async with sessionmaker()() as s:
        logs = (await s.execute(select(func.count()).select_from(RuleExecutionLog)
                                .where(RuleExecutionLog.tenant_id == tenant_id))).scalar_one()
        events = (await s.execute(select(func.count()).select_from(OutboxEvent)
                                  .where(OutboxEvent.tenant_id == tenant_id, OutboxEvent.name == "qa.guard.passed"))
                  ).scalar_one()
    return logs, events


async def test_a_second_run_of_the_same_evaluation_returns_the_first_outcome(world: World) -> None:
    me = await world.user(["business_rules.*"])
    await guard_rule(me, "qa_positive", ruleName="Positive amount")
    key = f"{uuid.uuid4()}:0:guard:1"
    first = await evaluate(guard(me, "qa_positive", 5, key))
    assert first == GuardResult("qa_positive", "Positive amount", True, None, first.execution_time_ms, False)
    assert await counts(me.tenant_id) == (1, 1)
    # Replayed after a crash: same key, so no second log or event, and the same answer, even if the data
    # it would see now says otherwise.
    again = await evaluate(guard(me, "qa_positive", -1, key))
    assert again == first
    assert await counts(me.tenant_id) == (1, 1)
    # The next evaluation of the same rule is a new one.
    later = await evaluate(guard(me, "qa_positive", -1, f"{key}0"))
    assert later.condition_result is False and later.passed is False
    assert await counts(me.tenant_id) == (2, 1)


async def test_failures_blocks_and_refusals_come_back_the_same(world: World) -> None:
    me = await world.user(["business_rules.*"])
    await guard_rule(me, "qa_blocking", successActions=[{"type": "BLOCK_TRANSITION", "config": {"message": "No"}}])
    for rule_id, amount in (("qa_blocking", 5), ("qa_positive_missing", 5), ("qa_blocking", -5)):
        key = f"{uuid.uuid4()}:0:guard:1"
        first = await evaluate(guard(me, rule_id, amount, key))
        assert await evaluate(guard(me, rule_id, amount, key)) == first
    blocked = await evaluate(guard(me, "qa_blocking", 5, "blocked-key"))
    assert blocked.condition_result is True and blocked.blocked is True and blocked.passed is False
    assert (await evaluate(guard(me, "qa_blocking", 5, "blocked-key"))).blocked is True
    missing = await evaluate(guard(me, "qa_positive_missing", 5, "missing-key"))
    assert missing.error == "Rule not found"


async def test_dry_runs_and_keyless_calls_are_not_deduplicated(world: World) -> None:
    me = await world.user(["business_rules.*"])
    await guard_rule(me, "qa_positive")
    await evaluate(guard(me, "qa_positive", 5, None))
    await evaluate(guard(me, "qa_positive", 5, None))
    await evaluate(guard(me, "qa_positive", 5, "dry", dry_run=True))
    await evaluate(guard(me, "qa_positive", 5, "dry", dry_run=True))
    assert await counts(me.tenant_id) == (2, 2)
