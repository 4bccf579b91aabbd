"""Running rules against the database: load rows, call the pure `rules/` library, write the
execution logs and carry out the effects (see docs/rules.md, "Actions" and "How rules run").

Everything happens in the caller's session and transaction: the logs, the domain events of
EMIT_EVENT actions and the mail requests of NOTIFY actions are committed (or rolled back) with
the caller's work. Nothing is written on a dry run. Mail leaves through the outbox: a NOTIFY
action appends `business_rules.mail.requested`, which the worker's dispatcher turns into mail
after the commit (see `events.py`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit, outbox
from api.casing import snake
from api.db import utcnow
from api.errors import BadRequest
from api.metrics import observe_rule_evaluation
from api.modules.business_rules.models import BusinessRule, RuleExecutionLog, RuleSet, RuleSetMember
from api.modules.business_rules.validation import RULE_FIELDS, validate
from api.outbox import DomainEvent
from rules import (
    ActionsOutcome,
    BlockTransition,
    Effect,
    EmitEvent,
    EngineResult,
    RuleCache,
    RuleContext,
    RuleExecution,
    RuleRecord,
    SendMail,
    SetField,
    apply_set_fields,
    execute_rule_directly,
    execute_rule_list,
    execute_rules,
    is_effective,
    is_uuid,
    log_input_context,
    sort_rules_by_priority,
)

# Compiled conditions, keyed by rule id and updatedAt: an update changes the key, so a stale
# compiled form is never used, and every request and event shares the compiled closures.
RULE_CACHE: Final = RuleCache()

MAIL_EVENT: Final = "business_rules.mail.requested"
FAILED_EVENT: Final = "business_rules.rule.execution_failed"
# Events emitted by EMIT_EVENT actions carry the chain they came from, so a rule that emits the
# event it reacts to (directly or through other rules) stops instead of looping forever.
CHAIN_KEY: Final = "_businessRule"
MAX_CHAIN_DEPTH: Final = 8
_MAX_EVENT_NAME: Final = 200  # outbox_events.name
# `created_by` of the rules installed from code (`install_rules`): tenant-wide, whatever organization holds them.
SHIPPED_BY: Final = "shipped"


def clock() -> float:
    return time.perf_counter()


def _measured(mode: str, started: float, executions: Sequence[RuleExecution]) -> None:
    """Rule metrics (docs/operations.md): how long the engine call since `started` took, what each rule gave."""
    observe_rule_evaluation(mode, clock() - started,
                            ((e.rule.rule_type, e.condition_result, e.error) for e in executions))


def record_of(row: BusinessRule) -> RuleRecord:
    return RuleRecord(
        id=row.id,
        rule_id=row.rule_id,
        rule_name=row.rule_name,
        rule_type=row.rule_type,
        entity_type=row.entity_type,
        tenant_id=row.tenant_id,
        organization_id=row.organization_id,
        event_type=row.event_type,
        condition_expression=row.condition_expression,
        success_actions=row.success_actions,
        failure_actions=row.failure_actions,
        enabled=row.enabled,
        priority=row.priority,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        deleted_at=row.deleted_at,
        updated_at=row.updated_at,
    )


def actions_summary(outcome: ActionsOutcome | None) -> dict[str, Any] | None:
    """`actionsExecuted` as the execute endpoints answer it: types and outcomes, no payloads."""
    if outcome is None:
        return None
    results = []
    for result in outcome.results:
        entry: dict[str, Any] = {"type": result.action_type, "success": result.success}
        if result.error is not None:
            entry["error"] = result.error
        results.append(entry)
    return {"success": outcome.success, "results": results}


def is_blocking(effects: Sequence[Effect]) -> bool:
    return any(isinstance(e, BlockTransition) for e in effects)


# --- effects -------------------------------------------------------------------------------


def chain_depth(data: Any) -> int:
    chain = data.get(CHAIN_KEY) if isinstance(data, Mapping) else None
    depth = chain.get("depth") if isinstance(chain, Mapping) else 0
    return depth if isinstance(depth, int) and not isinstance(depth, bool) and depth > 0 else 0


def perform_effects(session: AsyncSession, effects: Sequence[Effect], *, rule: RuleRecord, tenant_id: str,
                    organization_id: str | None, depth: int = 0) -> list[dict[str, Any]]:
    """Carry out one rule's effects in the caller's transaction; returns what was done, for the log.

    SET_FIELD and BLOCK_TRANSITION have no side effect here: the caller receives them in the result.
    """
    done: list[dict[str, Any]] = []
    for effect in effects:
        if isinstance(effect, EmitEvent):
            if len(effect.event_name) > _MAX_EVENT_NAME:
                done.append({"type": "EMIT_EVENT", "event": effect.event_name[:_MAX_EVENT_NAME],
                             "error": f"Event name longer than {_MAX_EVENT_NAME} characters"})
                continue
            payload = dict(effect.payload) if isinstance(effect.payload, Mapping) else {"value": effect.payload}
            payload[CHAIN_KEY] = {"ruleId": rule.rule_id, "depth": depth + 1}
            outbox.emit(session, effect.event_name, _json_safe(payload), tenant_id=tenant_id,
                        organization_id=organization_id)
            done.append({"type": "EMIT_EVENT", "event": effect.event_name})
        elif isinstance(effect, SendMail):
            recipients = [r for r in effect.recipients if isinstance(r, str) and r.strip()]
            outbox.emit(session, MAIL_EVENT, _json_safe({
                "recipients": recipients, "subject": effect.subject, "message": effect.message,
                "template": effect.template, "ruleId": rule.rule_id,
            }), tenant_id=tenant_id, organization_id=organization_id)
            done.append({"type": "SEND_MAIL", "recipients": recipients})
        elif isinstance(effect, SetField):
            done.append({"type": "SET_FIELD", "field": effect.field})
        elif isinstance(effect, BlockTransition):
            done.append({"type": "BLOCK_TRANSITION", "message": effect.message})
    return done


def _json_safe(value: Any) -> Any:
    # Data from programmatic callers (workflows) may hold dates or decimals; logs and events
    # are JSON columns.
    return json.loads(json.dumps(value, default=str))


# --- logs ----------------------------------------------------------------------------------


def _log_row(execution: RuleExecution, ctx: RuleContext, *, effects_done: list[dict[str, Any]],
             event_id: str | None) -> RuleExecutionLog:
    output = execution.output_context()
    if output is not None and effects_done:
        output["effects"] = effects_done
    return RuleExecutionLog(
        rule_id=execution.rule.id,
        entity_id=(ctx.entity_id or "unknown")[:255],
        entity_type=ctx.entity_type[:255],
        execution_result=execution.execution_result,
        input_context=_json_safe(log_input_context(ctx)),
        output_context=_json_safe(output),
        error_message=execution.error,
        execution_time_ms=execution.execution_time,
        executed_at=utcnow(),
        tenant_id=ctx.tenant_id,
        organization_id=ctx.organization_id or None,
        executed_by=ctx.executed_by,
        event_id=event_id,
    )


async def _persist(session: AsyncSession, executions: Sequence[RuleExecution], ctx: RuleContext, *,
                   event_id: str | None = None, depth: int = 0,
                   emit_failures: bool = False) -> list[str]:
    """Effects, logs (and failure events) of non-dry-run executions; returns the log ids in order."""
    logs = []
    for execution in executions:
        done = perform_effects(session, execution.effects, rule=execution.rule, tenant_id=ctx.tenant_id,
                               organization_id=ctx.organization_id or None, depth=depth)
        log = _log_row(execution, ctx, effects_done=done, event_id=event_id)
        session.add(log)
        logs.append(log)
        if emit_failures and execution.error:
            outbox.emit(session, FAILED_EVENT, {
                "ruleId": execution.rule.rule_id, "ruleName": execution.rule.rule_name,
                "entityType": ctx.entity_type or None, "errorMessage": execution.error,
            }, tenant_id=ctx.tenant_id, organization_id=ctx.organization_id or None)
    await session.flush()
    return [str(log.id) for log in logs]


# --- direct execution: one rule by its business key or row id ------------------------------


@dataclass(frozen=True)
class RuleRunResult:
    """One rule run by its id or business key.

    `success` means "ran without a technical error", not "the condition held". `allowed` is
    false when the rule blocked (a BLOCK_TRANSITION action ran); workflow guards also look at
    `condition_result`. `data` is the input data with the SET_FIELD effects applied.
    """

    rule_id: str
    rule_name: str
    condition_result: bool
    error: str | None
    execution_time_ms: int
    effects: list[Effect]
    log_id: str | None
    success: bool = False
    actions_executed: dict[str, Any] | None = None
    data: Any = None
    rule_uuid: str | None = None

    @property
    def allowed(self) -> bool:
        return not is_blocking(self.effects)

    @property
    def block_message(self) -> str | None:
        return next((e.message for e in self.effects if isinstance(e, BlockTransition)), None)

    def to_response(self) -> dict[str, Any]:
        """The body of `POST /business_rules/execute/{ruleId}` (undefined fields omitted)."""
        body: dict[str, Any] = {
            "success": self.success, "ruleId": self.rule_id, "ruleName": self.rule_name,
            "conditionResult": self.condition_result, "actionsExecuted": self.actions_executed,
            "executionTime": self.execution_time_ms,
        }
        if self.error is not None:
            body["error"] = self.error
        if self.log_id is not None:
            body["logId"] = self.log_id
        if any(isinstance(e, SetField) for e in self.effects):
            body["data"] = self.data
        if is_blocking(self.effects):
            body["allowed"] = False
        return body


def _validation_failure(requested: str, errors: list[str], data: Any) -> RuleRunResult:
    return RuleRunResult(requested, "Unknown", False, "Validation failed: " + ", ".join(errors), 0, [], None,
                         data=data)


def _scope_errors(tenant_id: Any, organization_id: Any) -> list[str]:
    errors = []
    if not is_uuid(tenant_id):
        errors.append("tenantId: tenantId must be a valid UUID")
    if not is_uuid(organization_id):
        errors.append("organizationId: organizationId must be a valid UUID")
    return errors


async def _run_direct(session: AsyncSession, row: BusinessRule | None, ctx: RuleContext, *,
                      requested: str, event_id: str | None = None) -> RuleRunResult:
    now = utcnow()
    record = record_of(row) if row is not None else None
    started = clock()
    direct = execute_rule_directly(record, ctx, requested_rule_id=requested, now=now, cache=RULE_CACHE,
                                   clock=clock)
    _measured("direct", started, [direct.execution] if direct.execution is not None else [])
    execution = direct.execution
    if execution is None or record is None:  # refused: not found, disabled, outside its window
        return RuleRunResult(direct.rule_id, direct.rule_name, False, direct.error, direct.execution_time, [],
                             None, data=ctx.data, rule_uuid=record.id if record else None)
    # The context the library ran with: the rule's own entity and event types fill the gaps.
    ran = RuleContext(
        entity_type=ctx.entity_type or record.entity_type, tenant_id=ctx.tenant_id,
        organization_id=ctx.organization_id, data=ctx.data, entity_id=ctx.entity_id,
        event_type=ctx.event_type or record.event_type or None, user=ctx.user, executed_by=ctx.executed_by,
        dry_run=ctx.dry_run,
    )
    log_id = None
    if not ctx.dry_run:
        log_id = (await _persist(session, [execution], ran, event_id=event_id, depth=chain_depth(ctx.data)))[0]
    effects = list(execution.effects)
    return RuleRunResult(
        rule_id=direct.rule_id, rule_name=direct.rule_name, condition_result=direct.condition_result,
        error=direct.error, execution_time_ms=direct.execution_time, effects=effects, log_id=log_id,
        success=direct.success, actions_executed=actions_summary(direct.actions_executed),
        data=apply_set_fields(ctx.data, effects), rule_uuid=record.id,
    )


def _user(user_id: str | None, user: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if user is not None:
        return user
    return {"id": user_id} if user_id else None


async def execute_rule_by_rule_id(
    session: AsyncSession,
    *,
    rule_id: str,
    tenant_id: str,
    organization_id: str,
    entity_type: str | None,
    entity_id: str | None,
    event_type: str | None,
    data: Any,
    user_id: str | None,
    dry_run: bool,
    user: Mapping[str, Any] | None = None,
    event_id: str | None = None,
) -> RuleRunResult:
    """Run one rule by its business key `ruleId`, looked up in the given tenant and organization.

    Refusals come back as `error`: `Rule not found`, `Rule is disabled`, `Rule is not yet
    effective (starts <iso>)`, `Rule has expired (ended <iso>)`, `Validation failed: ...`; they
    write no log. Otherwise the rule runs and, unless `dry_run`, its execution log and effects
    are written in `session` (the caller commits). An empty `entity_type`/`event_type` defaults
    to the rule's own. `event_id` (a UUID) is stored on the log; unique with the rule, it lets a
    caller that may run the same execution twice (a workflow guard) find the first one.
    """
    errors = []
    if not isinstance(rule_id, str) or rule_id == "":
        errors.append("ruleId: ruleId must be a non-empty string")
    elif len(rule_id) > 50:
        errors.append("ruleId: Too big: expected string to have <=50 characters")
    errors += _scope_errors(tenant_id, organization_id)
    requested = rule_id if isinstance(rule_id, str) and rule_id else "unknown"
    if errors:
        return _validation_failure(requested, errors, data)
    # A ruleId names one rule per tenant: this organization's, or a rule shipped with code (installed once
    # per tenant, in its root organization), which applies to every organization of the tenant.
    row = (await session.execute(select(BusinessRule).where(
        BusinessRule.rule_id == rule_id, BusinessRule.tenant_id == tenant_id, BusinessRule.deleted_at.is_(None),
        or_(BusinessRule.organization_id == organization_id, BusinessRule.created_by == SHIPPED_BY),
    ))).scalars().first()
    ctx = RuleContext(entity_type=entity_type or "", tenant_id=tenant_id, organization_id=organization_id,
                      data=data, entity_id=entity_id, event_type=event_type or None,
                      user=_user(user_id, user), executed_by=user_id, dry_run=dry_run)
    return await _run_direct(session, row, ctx, requested=requested, event_id=event_id)


async def execute_rule_by_id(
    session: AsyncSession,
    *,
    id: str,
    tenant_id: str,
    organization_id: str,
    entity_type: str | None,
    entity_id: str | None,
    event_type: str | None,
    data: Any,
    user: Mapping[str, Any] | None,
    executed_by: str | None,
    dry_run: bool,
) -> RuleRunResult:
    """Run one rule by its row UUID; same refusals, logging and effects as by `ruleId`."""
    errors = [] if is_uuid(id) else ["ruleId: Invalid UUID"]
    errors += _scope_errors(tenant_id, organization_id)
    if errors:
        return _validation_failure(id, errors, data)
    row = (await session.execute(select(BusinessRule).where(
        BusinessRule.id == id, BusinessRule.tenant_id == tenant_id,
        BusinessRule.organization_id == organization_id, BusinessRule.deleted_at.is_(None),
    ))).scalars().first()
    ctx = RuleContext(entity_type=entity_type or "", tenant_id=tenant_id, organization_id=organization_id,
                      data=data, entity_id=entity_id, event_type=event_type or None, user=user,
                      executed_by=executed_by, dry_run=dry_run)
    return await _run_direct(session, row, ctx, requested=id)


# --- execution by discovery or rule set ----------------------------------------------------


@dataclass(frozen=True)
class ExecutionOutcome:
    result: EngineResult
    log_ids: list[str] | None = None
    extra_errors: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        """False when a GUARD rule ran and failed or errored, or when a BLOCK_TRANSITION action ran."""
        return self.result.allowed and not is_blocking(self.result.effects)

    def to_response(self) -> dict[str, Any]:
        """The body of `POST /business_rules/execute` (undefined fields omitted)."""
        logs = iter(self.log_ids or [])
        executed = []
        for execution in self.result.executed_rules:
            entry: dict[str, Any] = {
                "ruleId": execution.rule.rule_id, "ruleName": execution.rule.rule_name,
                "ruleType": execution.rule.rule_type, "conditionResult": execution.condition_result,
                "actionsExecuted": actions_summary(execution.actions_executed),
                "executionTime": execution.execution_time,
            }
            if execution.error is not None:
                entry["error"] = execution.error
            if self.log_ids is not None:
                entry["logId"] = next(logs)
            executed.append(entry)
        body: dict[str, Any] = {"allowed": self.allowed, "executedRules": executed,
                                "totalExecutionTime": self.result.total_execution_time}
        errors = [*(self.result.errors or ()), *self.extra_errors]
        if errors:
            body["errors"] = errors
        if self.log_ids:
            body["logIds"] = self.log_ids
        if any(isinstance(e, SetField) for e in self.result.effects):
            body["data"] = self.result.data
        return body


async def execute_discovered(session: AsyncSession, ctx: RuleContext, *,
                             emit_failures: bool = False) -> ExecutionOutcome:
    """Run the rules of the context's tenant and organization that match its entity and event type."""
    stmt = select(BusinessRule).where(
        BusinessRule.entity_type == ctx.entity_type, BusinessRule.tenant_id == ctx.tenant_id,
        BusinessRule.organization_id == ctx.organization_id, BusinessRule.enabled.is_(True),
        BusinessRule.deleted_at.is_(None),
    )
    if ctx.event_type:
        stmt = stmt.where(BusinessRule.event_type == ctx.event_type)
    rows = (await session.execute(stmt)).scalars().all()
    started = clock()
    result = execute_rules([record_of(r) for r in rows], ctx, now=utcnow(), cache=RULE_CACHE, clock=clock)
    _measured("discovery", started, result.executed_rules)
    return await _finish(session, result, ctx, emit_failures=emit_failures)


async def execute_rule_set(session: AsyncSession, rule_set: RuleSet, ctx: RuleContext, *,
                           emit_failures: bool = False) -> ExecutionOutcome:
    """Run exactly the enabled members of a set, in member sequence, whatever their entity type.

    Members whose rule is disabled, deleted or outside its effective window are skipped, as
    discovery would skip them.
    """
    if not rule_set.enabled:
        return ExecutionOutcome(EngineResult(True, (), 0, None, ctx.data), None, ["Rule set is disabled"])
    rows = (await session.execute(
        select(BusinessRule).join(RuleSetMember, RuleSetMember.rule_id == BusinessRule.id)
        .where(RuleSetMember.rule_set_id == rule_set.id, RuleSetMember.enabled.is_(True),
               RuleSetMember.tenant_id == ctx.tenant_id, RuleSetMember.organization_id == ctx.organization_id,
               BusinessRule.tenant_id == ctx.tenant_id, BusinessRule.enabled.is_(True),
               BusinessRule.deleted_at.is_(None))
        .order_by(RuleSetMember.sequence.asc(), RuleSetMember.id.asc())
    )).scalars().all()
    now = utcnow()
    records = [r for r in (record_of(row) for row in rows) if is_effective(r, now)]
    started = clock()
    result = execute_rule_list(records, ctx, now=now, cache=RULE_CACHE, clock=clock)
    _measured("rule_set", started, result.executed_rules)
    return await _finish(session, result, ctx, emit_failures=emit_failures)


async def _finish(session: AsyncSession, result: EngineResult, ctx: RuleContext, *,
                  emit_failures: bool) -> ExecutionOutcome:
    if ctx.dry_run or not result.executed_rules:
        return ExecutionOutcome(result)
    log_ids = await _persist(session, result.executed_rules, ctx, depth=chain_depth(ctx.data),
                             emit_failures=emit_failures)
    return ExecutionOutcome(result, log_ids)


# --- rules on domain events (called by the outbox dispatcher, see `events.py`) --------------

SKIPPED_PREFIXES: Final = ("query_index.", "search.", "business_rules.", "cache.", "queue.", "workflows.")


def wants_event(event: DomainEvent) -> bool:
    """Events that may trigger rules: named, scoped to a tenant and organization, not internal."""
    return bool(event.name) and not event.name.startswith(SKIPPED_PREFIXES) \
        and bool(event.tenant_id) and bool(event.organization_id)


async def run_rules_for_event(session: AsyncSession, event: DomainEvent) -> list[str]:
    """Run the rules a domain event triggers, once per (event, rule); returns the new log ids.

    A rule runs when its `eventType` is the event's full name (`example.todo.created`), or, as
    in the reference, when its `entityType` is the name's `<module>.<entity>` and its `eventType`
    the last segment (`created`). The data is the event's payload; the entity type is the
    event's `<module>.<entity>`; the entity id is the payload's `id`. The tenant and
    organization come from the event row, never from the payload. Rules that already have a log
    for this event id are skipped, so a redelivered event runs nothing twice.
    """
    assert event.tenant_id is not None and event.organization_id is not None
    prefix, dot, action = event.name.rpartition(".")
    entity_type = prefix if dot and prefix else event.name
    event_types = [event.name]
    match = BusinessRule.event_type == event.name
    if entity_type != event.name and action:
        event_types.append(action)
        match = or_(match, and_(BusinessRule.entity_type == entity_type, BusinessRule.event_type == action))
    rows = (await session.execute(select(BusinessRule).where(
        match, BusinessRule.tenant_id == event.tenant_id, BusinessRule.organization_id == event.organization_id,
        BusinessRule.enabled.is_(True), BusinessRule.deleted_at.is_(None),
    ))).scalars().all()
    if not rows:
        return []
    done = set((await session.execute(
        select(RuleExecutionLog.rule_id).where(RuleExecutionLog.event_id == event.id)
    )).scalars().all())
    now = utcnow()
    pending = [r for r in sort_rules_by_priority(record_of(row) for row in rows if row.id not in done)
               if is_effective(r, now)]
    entity_id = event.payload.get("id")
    log_ids: list[str] = []
    for event_type in event_types:
        group = [r for r in pending if r.event_type == event_type]
        if not group:
            continue
        ctx = RuleContext(entity_type=entity_type, tenant_id=event.tenant_id,
                          organization_id=event.organization_id, data=event.payload,
                          entity_id=entity_id if isinstance(entity_id, str) and entity_id else None,
                          event_type=event_type)
        started = clock()
        result = execute_rule_list(group, ctx, now=now, cache=RULE_CACHE, clock=clock)
        _measured("event", started, result.executed_rules)
        if result.executed_rules:
            log_ids += await _persist(session, result.executed_rules, ctx, event_id=event.id,
                                      depth=chain_depth(event.payload))
    return log_ids


async def rule_states(session: AsyncSession, tenant_id: str, rule_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The tenant's rows of these ruleIds (deleted ones too), as audit snapshots by row id: what a caller that
    changes them (a reset to code) keeps, so that its undo can put them back (`put_rules_back`)."""
    if not rule_ids:
        return {}
    rows = (await session.execute(select(BusinessRule).where(
        BusinessRule.tenant_id == tenant_id, BusinessRule.rule_id.in_(list(rule_ids))))).scalars()
    return {row.id: audit.snapshot(row) for row in rows}


async def put_rules_back(session: AsyncSession, tenant_id: str, changes: Sequence[Mapping[str, Any]], *, to: str,
                         now: str) -> None:
    """Each rule of `changes` (`{id, before, after}` snapshots of `rule_states`) becomes as its `to` snapshot says,
    refused (400 "The record has changed since this action", nothing written) if one no longer looks as its `now`
    snapshot says. Rules without both snapshots (created by the change) stay as they are."""
    for change in changes:
        target, expected = change.get(to), change.get(now)
        if target is None or expected is None:
            continue
        rule = await session.get(BusinessRule, change.get("id"))
        if rule is None or rule.tenant_id != tenant_id:
            continue
        if not audit.same_state(rule, expected):
            raise BadRequest(audit.CHANGED_SINCE)
        audit.restore(rule, target)
        rule.updated_at = utcnow()  # a new compiled form: RULE_CACHE is keyed by it


async def install_rules(session: AsyncSession, *, tenant_id: str,
                        organization_id: Callable[[], Awaitable[str | None]],
                        rules: Sequence[Mapping[str, Any]], reset: bool = False) -> list[str]:
    """Installs rules shipped with code (in the API's rule shape) into a tenant, in the organization
    `organization_id()` names (its root; asked only when a rule is missing): tenant-wide rules marked
    `created_by = SHIPPED_BY`. Idempotent: a ruleId the tenant already has
    (edited, moved or deleted by its users) is left as it is, unless `reset`, which puts the code's version
    back (undeleted, enabled as shipped). Returns the ruleIds written. The caller commits."""
    wanted = {str(r["ruleId"]): r for r in rules}
    if not wanted:
        return []
    existing = {row.rule_id: row for row in (await session.execute(select(BusinessRule).where(
        BusinessRule.tenant_id == tenant_id, BusinessRule.rule_id.in_(list(wanted))))).scalars()}
    written: list[str] = []
    missing = [rule_id for rule_id in wanted if rule_id not in existing]
    org = await organization_id() if missing else None
    for rule_id, raw in wanted.items():
        row = existing.get(rule_id)
        if (row is not None and not reset) or (row is None and org is None):
            continue
        values = {snake(k): v for k, v in validate(RULE_FIELDS, dict(raw)).items()}
        if row is None:
            row = BusinessRule(tenant_id=tenant_id, organization_id=org, created_by=SHIPPED_BY)
            session.add(row)
        else:
            RULE_CACHE.invalidate(row.id)
            row.deleted_at = None
            row.created_by = SHIPPED_BY
        for key, value in values.items():
            setattr(row, key, value)
        written.append(rule_id)
    if written:
        await session.flush()
    return written
