"""`evaluate_guard`: a business rule run as a workflow guard (START pre-conditions, transition pre- and
post-conditions), through the business-rules service so it is looked up, evaluated and logged exactly as
`POST /business_rules/execute/{ruleId}` would. Runs as a local activity: one short transaction."""

from __future__ import annotations

from temporalio import activity

from api.db import sessionmaker
from api.modules.business_rules.service import execute_rule_by_rule_id
from engine.contract import ACTIVITY_EVALUATE_GUARD, GuardInput, GuardResult


async def evaluate(guard: GuardInput) -> GuardResult:
    """One rule against the guard's data; refusals (rule missing, disabled, ...) come back as `error`."""
    async with sessionmaker()() as session, session.begin():
        result = await execute_rule_by_rule_id(
            session, rule_id=guard.rule_id, tenant_id=guard.tenant_id, organization_id=guard.organization_id,
            entity_type=guard.entity_type, entity_id=guard.entity_id, event_type=guard.event_type,
            data=guard.data, user_id=guard.user_id, dry_run=guard.dry_run,
        )
    return GuardResult(
        rule_id=result.rule_id, rule_name=result.rule_name, condition_result=bool(result.condition_result),
        error=result.error, execution_time_ms=int(result.execution_time_ms or 0),
        blocked=not getattr(result, "allowed", True),
    )


@activity.defn(name=ACTIVITY_EVALUATE_GUARD)
async def evaluate_guard(guard: GuardInput) -> GuardResult:
    return await evaluate(guard)
