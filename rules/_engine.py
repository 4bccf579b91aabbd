"""Evaluating and executing rules (docs/rules.md, How rules run), returning values, never doing I/O.

The business_rules service loads rules, calls these functions, then writes the execution logs,
emits `business_rules.rule.execution_failed` for results with an error (outside dry runs) and
carries out the effects. Time comes in as arguments: `now` (a datetime) for effective windows
and `{{today}}`, and an optional `clock` (seconds, e.g. the caller's `time.perf_counter`) for
execution times and the 30 s / 60 s timeouts. Without a clock, times are 0 and timeouts never
fire, which is what deterministic callers (workflow code) want.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from jscompat import type_name
from rules._actions import ActionsOutcome, Clock, Effect, apply_set_fields, elapsed_ms, execute_actions
from rules._compiled import CompiledCondition, RuleCache, compile_condition
from rules._conditions import ConditionError
from rules._selection import (
    GUARD,
    MAX_RULES_PER_EXECUTION,
    RuleRecord,
    is_effective,
    select_rules,
    sort_rules_by_priority,
)
from rules._values import _as_utc, iso_timestamp

SINGLE_RULE_TIMEOUT_MS: Final = 30_000
TOTAL_TIMEOUT_MS: Final = 60_000

_UUID: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
    r"|00000000-0000-0000-0000-000000000000|[fF]{8}-[fF]{4}-[fF]{4}-[fF]{4}-[fF]{12}"
)


def is_uuid(value: Any) -> bool:
    """zod 4's strict UUID: RFC versions 1-8 and variant 8/9/a/b, plus the nil and max UUIDs."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


class _RuleTimeout(Exception):
    pass


@dataclass(frozen=True)
class RuleContext:
    """What a rule runs against (the reference's RuleEngineContext)."""

    entity_type: str
    tenant_id: str
    organization_id: str
    data: Any = None
    entity_id: str | None = None
    event_type: str | None = None
    user: Mapping[str, Any] | None = None
    tenant: Mapping[str, Any] | None = None
    organization: Mapping[str, Any] | None = None
    executed_by: str | None = None
    dry_run: bool = False

    def evaluation_context(self) -> dict[str, Any]:
        """The context `{{...}}` values resolve against in conditions (docs/rules.md, Special values).

        Without a `tenant` or `organization` object, `tenant.id` and `organization.id` still resolve:
        to the scope the rule runs in.
        """
        return {
            "entityType": self.entity_type,
            "entityId": self.entity_id,
            "eventType": self.event_type,
            "user": self.user,
            "tenant": self.tenant if self.tenant is not None else {"id": self.tenant_id},
            "organization": self.organization if self.organization is not None else {"id": self.organization_id},
        }

    def action_context(self, rule: RuleRecord) -> dict[str, Any]:
        """Evaluation context plus `data`, `ruleId` (the business key) and `ruleName`."""
        return {**self.evaluation_context(), "data": self.data, "ruleId": rule.rule_id, "ruleName": rule.rule_name}


def validate_context(ctx: RuleContext) -> list[str]:
    """The reference's context validation, as `<path>: <message>` strings: `entityType` is required,
    `entityId`, `eventType` and `executedBy` are strings when given, both scope ids are UUIDs."""
    errors = []
    if not isinstance(ctx.entity_type, str) or ctx.entity_type == "":
        errors.append("entityType: entityType is required")
    for name, value in (("entityId", ctx.entity_id), ("eventType", ctx.event_type), ("executedBy", ctx.executed_by)):
        if value is not None and not isinstance(value, str):
            errors.append(f"{name}: Invalid input: expected string, received {type_name(value)}")
    if not is_uuid(ctx.tenant_id):
        errors.append("tenantId: tenantId must be a valid UUID")
    if not is_uuid(ctx.organization_id):
        errors.append("organizationId: organizationId must be a valid UUID")
    return errors


# --- evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleEvaluation:
    rule: RuleRecord
    conditions_passed: bool
    evaluation_completed: bool
    evaluation_time: int = 0
    error: str | None = None


def _compiled(rule: RuleRecord, cache: RuleCache | None) -> CompiledCondition:
    if cache is None:
        return compile_condition(rule.condition_expression)
    return cache.get_or_compile(rule.id, rule.updated_at, rule.condition_expression)


def _message(error: BaseException) -> str:
    return str(error) or type(error).__name__


def evaluate_conditions(
    expression: Any, data: Any, context: Mapping[str, Any] | None = None, *, now: datetime | None = None,
    compiled: CompiledCondition | None = None,
) -> bool:
    """Evaluate a condition; errors become `ConditionError("Condition evaluation failed: ...")`."""
    condition = compiled if compiled is not None else compile_condition(expression)
    try:
        return condition(data, context, now=now)
    except Exception as error:
        raise ConditionError(f"Condition evaluation failed: {_message(error)}") from error


def evaluate_single_rule(
    rule: RuleRecord,
    data: Any,
    context: Mapping[str, Any] | None = None,
    *,
    now: datetime,
    cache: RuleCache | None = None,
    clock: Clock | None = None,
) -> RuleEvaluation:
    """Enabled and effective-window checks, then the condition; each refusal has its own reason."""
    if not rule.enabled:
        return RuleEvaluation(rule, False, False, 0, "Rule is disabled")
    if not is_effective(rule, now):
        return RuleEvaluation(rule, False, False, 0, "Rule is not effective (outside date range)")
    start = clock() if clock is not None else 0.0
    try:
        passed = evaluate_conditions(None, data, context, now=now, compiled=_compiled(rule, cache))
    except Exception as error:
        return RuleEvaluation(rule, False, False, elapsed_ms(clock, start), _message(error))
    return RuleEvaluation(rule, passed, True, elapsed_ms(clock, start))


@dataclass(frozen=True)
class RulesEvaluation:
    conditions_passed: bool
    evaluation_completed: bool
    matched_rules: tuple[RuleRecord, ...]
    failed_rules: tuple[RuleRecord, ...]
    evaluation_time: int = 0
    errors: tuple[str, ...] | None = None


def evaluate_rules(
    rules: Sequence[RuleRecord],
    data: Any,
    context: Mapping[str, Any] | None = None,
    *,
    now: datetime,
    cache: RuleCache | None = None,
    clock: Clock | None = None,
) -> RulesEvaluation:
    """The reference's multi-rule evaluation helper: matched when any rule passes."""
    start = clock() if clock is not None else 0.0
    matched: list[RuleRecord] = []
    failed: list[RuleRecord] = []
    errors: list[str] = []
    completed = False
    for rule in sort_rules_by_priority(rules):
        result = evaluate_single_rule(rule, data, context, now=now, cache=cache, clock=clock)
        completed = completed or result.evaluation_completed
        (matched if result.evaluation_completed and result.conditions_passed else failed).append(rule)
        if result.error:
            errors.append(f"Rule {rule.rule_id}: {result.error}")
    return RulesEvaluation(
        conditions_passed=bool(matched),
        evaluation_completed=completed,
        matched_rules=tuple(matched),
        failed_rules=tuple(failed),
        evaluation_time=elapsed_ms(clock, start),
        errors=tuple(errors) if errors else None,
    )


# --- execution -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleExecution:
    """One rule's outcome; the service turns it into an execution log row."""

    rule: RuleRecord
    condition_result: bool
    actions_executed: ActionsOutcome | None
    execution_time: int = 0
    error: str | None = None

    @property
    def execution_result(self) -> str:
        """The log's `executionResult`: ERROR, SUCCESS or FAILURE."""
        if self.error:
            return "ERROR"
        return "SUCCESS" if self.condition_result else "FAILURE"

    @property
    def effects(self) -> tuple[Effect, ...]:
        return self.actions_executed.effects if self.actions_executed is not None else ()

    def output_context(self) -> dict[str, Any] | None:
        """The log's `outputContext`: present only when actions ran."""
        if self.actions_executed is None:
            return None
        actions = []
        for result in self.actions_executed.results:
            entry: dict[str, Any] = {"type": result.action_type, "success": result.success}
            if result.error is not None:
                entry["error"] = result.error
            actions.append(entry)
        return {"conditionResult": self.condition_result, "actionsExecuted": actions}


def execute_single_rule(
    rule: RuleRecord,
    ctx: RuleContext,
    *,
    now: datetime,
    cache: RuleCache | None = None,
    clock: Clock | None = None,
    timeout_ms: int = SINGLE_RULE_TIMEOUT_MS,
) -> RuleExecution:
    """Evaluate one rule and run the actions of the branch it took (`successActions` when the
    condition held, else `failureActions`).

    A rule that took longer than `timeout_ms` (by `clock`) is reported as timed out and its
    actions are discarded, as the reference's race against its timer would.
    """
    start = clock() if clock is not None else 0.0
    try:
        evaluation = evaluate_single_rule(
            rule, ctx.data, ctx.evaluation_context(), now=now, cache=cache, clock=clock
        )
        outcome: ActionsOutcome | None = None
        if evaluation.evaluation_completed:
            actions = rule.success_actions if evaluation.conditions_passed else rule.failure_actions
            if isinstance(actions, Sequence) and not isinstance(actions, str) and len(actions) > 0:
                outcome = execute_actions(actions, ctx.action_context(rule), now=now, clock=clock)
        execution_time = elapsed_ms(clock, start)
        if execution_time > timeout_ms:
            raise _RuleTimeout(f"Single rule execution timeout [ruleId={rule.rule_id}] (timeout: {timeout_ms}ms)")
        if not evaluation.evaluation_completed:
            return RuleExecution(rule, False, None, execution_time, evaluation.error)
        return RuleExecution(rule, evaluation.conditions_passed, outcome, execution_time)
    except Exception as error:
        message = f"Failed to execute rule [ruleId={rule.rule_id}, entityType={ctx.entity_type}]: {_message(error)}"
        return RuleExecution(rule, False, None, elapsed_ms(clock, start), message)


@dataclass(frozen=True)
class EngineResult:
    """The reference's RuleEngineResult, plus the effects and the data they produce."""

    allowed: bool
    executed_rules: tuple[RuleExecution, ...]
    total_execution_time: int = 0
    errors: tuple[str, ...] | None = None
    data: Any = None
    effects: tuple[Effect, ...] = field(default=())


def _failure(ctx: RuleContext, executed: list[RuleExecution], errors: list[str], elapsed: int) -> EngineResult:
    return EngineResult(False, tuple(executed), elapsed, tuple(errors), ctx.data, ())


def execute_rule_list(
    rules: Sequence[RuleRecord],
    ctx: RuleContext,
    *,
    now: datetime,
    cache: RuleCache | None = None,
    clock: Clock | None = None,
    single_timeout_ms: int = SINGLE_RULE_TIMEOUT_MS,
    total_timeout_ms: int = TOTAL_TIMEOUT_MS,
) -> EngineResult:
    """Execute exactly `rules`, in the given order (e.g. a rule set's members), and aggregate.

    Every rule runs, even after a GUARD failed. `allowed` is true when no GUARD rule ran, else
    only when every GUARD rule's condition held; GUARD rules that errored count as false.
    ALLOW_TRANSITION and BLOCK_TRANSITION actions do not influence `allowed`. All rules are evaluated against
    the input data; `data` in the result is that data with every SET_FIELD effect applied.
    """
    start = clock() if clock is not None else 0.0
    errors = validate_context(ctx)
    if errors:
        return EngineResult(False, (), 0, tuple(errors), ctx.data, ())
    executed: list[RuleExecution] = []
    if len(rules) > MAX_RULES_PER_EXECUTION:
        errors.append(
            f"Rule count limit exceeded: {len(rules)} rules found, maximum is {MAX_RULES_PER_EXECUTION}"
        )
        return _failure(ctx, executed, errors, elapsed_ms(clock, start))
    timeout_error = (
        f"Critical rule engine error [entityType={ctx.entity_type}, entityId={ctx.entity_id or 'unknown'}]: "
        f"Total rule execution timeout [entityType={ctx.entity_type}] (timeout: {total_timeout_ms}ms)"
    )
    for rule in rules:
        try:
            result = execute_single_rule(
                rule, ctx, now=now, cache=cache, clock=clock, timeout_ms=single_timeout_ms
            )
        except Exception as error:  # execute_single_rule catches everything; this is the last net
            message = _message(error)
            errors.append(
                f"Unexpected error in rule execution [ruleId={rule.rule_id}, type={rule.rule_type}]: {message}"
            )
            result = RuleExecution(rule, False, None, 0, message)
        else:
            if result.error:
                errors.append(
                    f"Rule execution failed [ruleId={rule.rule_id}, type={rule.rule_type}, "
                    f"entityType={ctx.entity_type}]: {result.error}"
                )
        executed.append(result)
        if elapsed_ms(clock, start) > total_timeout_ms:
            errors.append(timeout_error)
            return _failure(ctx, executed, errors, elapsed_ms(clock, start))
    guards = [r for r in executed if r.rule.rule_type == GUARD]
    allowed = all(r.condition_result for r in guards)
    effects = tuple(effect for r in executed for effect in r.effects)
    return EngineResult(
        allowed=allowed,
        executed_rules=tuple(executed),
        total_execution_time=elapsed_ms(clock, start),
        errors=tuple(errors) if errors else None,
        data=apply_set_fields(ctx.data, effects),
        effects=effects,
    )


def execute_rules(
    candidates: Sequence[RuleRecord],
    ctx: RuleContext,
    *,
    now: datetime,
    cache: RuleCache | None = None,
    clock: Clock | None = None,
    rule_type: str | None = None,
) -> EngineResult:
    """Discover the rules for `ctx` among `candidates` (`select_rules`), then execute them in order."""
    errors = validate_context(ctx)
    if errors:
        return EngineResult(False, (), 0, tuple(errors), ctx.data, ())
    rules = select_rules(
        candidates,
        entity_type=ctx.entity_type,
        event_type=ctx.event_type,
        tenant_id=ctx.tenant_id,
        organization_id=ctx.organization_id,
        rule_type=rule_type,
        now=now,
    )
    return execute_rule_list(rules, ctx, now=now, cache=cache, clock=clock)


# --- direct execution (one rule by id) -------------------------------------------------------


@dataclass(frozen=True)
class DirectExecution:
    """Outcome of running one named rule; `success` means "ran without a technical error"."""

    success: bool
    rule_id: str
    rule_name: str
    condition_result: bool
    actions_executed: ActionsOutcome | None
    execution_time: int = 0
    error: str | None = None
    execution: RuleExecution | None = None  # None when the rule never ran (nothing to log)


def direct_execution_refusal(rule: RuleRecord | None, now: datetime) -> str | None:
    """Why a rule cannot be executed directly (not found, disabled, before or after its window), or None."""
    if rule is None:
        return "Rule not found"
    if not rule.enabled:
        return "Rule is disabled"
    if rule.effective_from is not None and _as_utc(rule.effective_from) > _as_utc(now):
        return f"Rule is not yet effective (starts {iso_timestamp(rule.effective_from)})"
    if rule.effective_to is not None and _as_utc(rule.effective_to) < _as_utc(now):
        return f"Rule has expired (ended {iso_timestamp(rule.effective_to)})"
    return None


def execute_rule_directly(
    rule: RuleRecord | None,
    ctx: RuleContext,
    *,
    requested_rule_id: str,
    now: datetime,
    cache: RuleCache | None = None,
    clock: Clock | None = None,
) -> DirectExecution:
    """Running one rule by its row id or its business key `ruleId`, once the caller has looked it up.

    `ctx.entity_type` and `ctx.event_type` may be empty: they then default to the rule's own.
    Refusals (not found, disabled, outside the window) write no log: `execution` is None.
    """
    refusal = direct_execution_refusal(rule, now)
    if refusal is not None or rule is None:
        return DirectExecution(
            False,
            requested_rule_id if rule is None else rule.rule_id,
            "Unknown" if rule is None else rule.rule_name,
            False,
            None,
            0,
            refusal,
        )
    engine_ctx = RuleContext(
        entity_type=ctx.entity_type or rule.entity_type,
        tenant_id=ctx.tenant_id,
        organization_id=ctx.organization_id,
        data=ctx.data,
        entity_id=ctx.entity_id,
        event_type=ctx.event_type or rule.event_type or None,
        user=ctx.user,
        tenant=ctx.tenant,
        organization=ctx.organization,
        executed_by=ctx.executed_by,
        dry_run=ctx.dry_run,
    )
    result = execute_single_rule(rule, engine_ctx, now=now, cache=cache, clock=clock)
    return DirectExecution(
        success=not result.error,
        rule_id=rule.rule_id,
        rule_name=rule.rule_name,
        condition_result=result.condition_result,
        actions_executed=result.actions_executed,
        execution_time=result.execution_time,
        error=result.error,
        execution=result,
    )


# --- execution log content ------------------------------------------------------------------

_SENSITIVE: Final = re.compile(
    r"password|passwd|pwd|secret|token|api[_-]?key|auth|credit[_-]?card|card[_-]?number|cvv|ssn"
    r"|social[_-]?security|tax[_-]?id|driver[_-]?license|passport",
    re.IGNORECASE,
)
_MAX_SANITIZE_DEPTH: Final = 5


def sanitize_for_log(data: Any, depth: int = 0) -> Any:
    """Redact secret-looking keys (substring match, as the reference) and cap the depth at 5."""
    if depth > _MAX_SANITIZE_DEPTH:
        return "[Max depth exceeded]"
    if isinstance(data, list | tuple):
        return [sanitize_for_log(item, depth + 1) for item in data]
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            if _SENSITIVE.search(str(key)):
                out[key] = "[REDACTED]"
            elif isinstance(value, dict | list | tuple):
                out[key] = sanitize_for_log(value, depth + 1)
            else:
                out[key] = value
        return out
    return data


def log_input_context(ctx: RuleContext) -> dict[str, Any]:
    """The log's `inputContext`: sanitized data, eventType, and the user's id and role only."""
    out: dict[str, Any] = {"data": sanitize_for_log(ctx.data)}
    if ctx.event_type is not None:
        out["eventType"] = ctx.event_type
    if ctx.user:
        user = {k: ctx.user[k] for k in ("id", "role") if ctx.user.get(k) is not None}
        out["user"] = user
    return out
