"""`evaluate_guard`: a business rule run as a workflow guard (START pre-conditions, transition pre- and
post-conditions), through the business-rules service so it is looked up, evaluated and logged exactly as
`POST /business_rules/execute/{ruleId}` would. Runs as a local activity: one short transaction.

A local activity runs again when the worker dies before the workflow task that ran it completes. The
guard's idempotency key (stored as the execution log's `event_id`, unique with the rule) makes that second
run return the first one's outcome, so the rule's log and its actions (EMIT_EVENT, SEND_EMAIL...) happen once.

Only a returned `GuardResult` is the rule's answer. When the database cannot be reached the activity raises
(GUARD_UNAVAILABLE): the workflow retries it until the database answers, so an outage never reads as "no".
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from api.db import sessionmaker
from api.modules.business_rules.models import BusinessRule, RuleExecutionLog
from api.modules.business_rules.service import execute_rule_by_rule_id
from engine.contract import ACTIVITY_EVALUATE_GUARD, GUARD_UNAVAILABLE, GuardInput, GuardResult

# Guard keys become UUIDs (the log's event_id column), in a namespace of their own.
KEY_NAMESPACE = uuid.UUID("8d0b7f3e-4a52-4c1e-9f0a-6b2f3c8e1d47")


def log_key(guard: GuardInput) -> str | None:
    if guard.dry_run or not guard.idempotency_key:
        return None
    return str(uuid.uuid5(KEY_NAMESPACE, guard.idempotency_key))


def _blocked(output: Any) -> bool:
    effects = output.get("effects") if isinstance(output, dict) else None
    return any(isinstance(e, dict) and e.get("type") == "BLOCK_TRANSITION" for e in effects or ())


async def _earlier(session: AsyncSession, guard: GuardInput, key: str) -> GuardResult | None:
    """The outcome of this evaluation's first run, from its execution log."""
    found = (await session.execute(
        select(RuleExecutionLog, BusinessRule).join(BusinessRule, BusinessRule.id == RuleExecutionLog.rule_id)
        .where(RuleExecutionLog.event_id == key, RuleExecutionLog.tenant_id == guard.tenant_id)
    )).first()
    if found is None:
        return None
    log, rule = found
    return GuardResult(rule_id=rule.rule_id, rule_name=rule.rule_name,
                       condition_result=log.execution_result == "SUCCESS", error=log.error_message,
                       execution_time_ms=int(log.execution_time_ms or 0), blocked=_blocked(log.output_context))


async def _run(guard: GuardInput, key: str | None) -> GuardResult:
    async with sessionmaker()() as session, session.begin():
        if key is not None:
            earlier = await _earlier(session, guard, key)
            if earlier is not None:
                return earlier
        result = await execute_rule_by_rule_id(
            session, rule_id=guard.rule_id, tenant_id=guard.tenant_id, organization_id=guard.organization_id,
            entity_type=guard.entity_type, entity_id=guard.entity_id, event_type=guard.event_type,
            data=guard.data, user_id=guard.user_id, dry_run=guard.dry_run, event_id=key,
        )
    return GuardResult(
        rule_id=result.rule_id, rule_name=result.rule_name, condition_result=bool(result.condition_result),
        error=result.error, execution_time_ms=int(result.execution_time_ms or 0),
        blocked=not getattr(result, "allowed", True),
    )


async def evaluate(guard: GuardInput) -> GuardResult:
    """One rule against the guard's data; refusals (rule missing, disabled, ...) come back as `error`."""
    key = log_key(guard)
    try:
        return await _run(guard, key)
    except IntegrityError:
        # A concurrent run of the same evaluation committed first: answer with its outcome.
        if key is None:
            raise
        async with sessionmaker()() as session:
            earlier = await _earlier(session, guard, key)
        if earlier is None:
            raise
        return earlier


@activity.defn(name=ACTIVITY_EVALUATE_GUARD)
async def evaluate_guard(guard: GuardInput) -> GuardResult:
    try:
        return await evaluate(guard)
    except (SQLAlchemyError, OSError, TimeoutError) as error:
        # The database did not answer (refused or lost connection, a file that cannot be opened, a lock or pool
        # that timed out; on PostgreSQL a shutdown arrives as a plain DBAPIError): nothing was decided.
        raise ApplicationError(f"Rules service unavailable: {error}", type=GUARD_UNAVAILABLE) from error
