"""Business rules as workflow guards (docs/workflows.md, "Guards: business rules and conditions"): what is
asked of the rules service and how its answers block a transition or a start. The service itself is reached
through a caller-supplied `evaluate` function (an activity in the workflow, a direct service call in the API).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from definitions.model import Definition, RuleRef, StartPreCondition
from engine.contract import GuardInput, GuardResult

Evaluate = Callable[[GuardInput], Awaitable[GuardResult]]

PRE_TRANSITION = "pre_transition"
POST_TRANSITION = "post_transition"
VALIDATE_START = "validate_start"


def transition_entity_type(workflow_id: str) -> str:
    return f"workflow:{workflow_id}:transition"


def start_entity_type(workflow_id: str) -> str:
    return f"workflow:{workflow_id}:start"


@dataclass
class GuardOutcome:
    """The rules of one transition's pre- or post-conditions, evaluated in order."""

    allowed: bool = True
    results: list[tuple[RuleRef, GuardResult]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def failed(self) -> list[GuardResult]:
        """Rules whose condition did not hold, required or not (the reference reports them all)."""
        return [result for _, result in self.results if not result.passed]


async def evaluate_transition_rules(
    refs: Sequence[RuleRef], *, post: bool, evaluate: Evaluate, base: GuardInput,
) -> GuardOutcome:
    """Pre-conditions block when a required rule errs or fails; post-conditions only report, and
    every failing rule counts for them."""
    outcome = GuardOutcome()
    for ref in refs:
        result = await evaluate(GuardInput(
            tenant_id=base.tenant_id, organization_id=base.organization_id, rule_id=ref.rule_id,
            entity_type=base.entity_type, entity_id=base.entity_id, event_type=base.event_type,
            data=base.data, user_id=base.user_id, dry_run=base.dry_run,
        ))
        outcome.results.append((ref, result))
        counts = post or ref.required is not False
        if result.error:
            if counts:
                outcome.allowed = False
                outcome.errors.append(f"Rule '{result.rule_id}': {result.error}")
            continue
        if counts and not result.passed:
            outcome.allowed = False
            label = "Post-condition" if post else "Pre-condition"
            outcome.errors.append(f"{label} '{result.rule_name or result.rule_id}' failed")
    return outcome


def rejected_details(outcome: GuardOutcome) -> str:
    """`failedRules` of TRANSITION_REJECTED and the tail of 'Pre-conditions failed: ...'."""
    failed = outcome.failed()
    if failed:
        return "; ".join(f"{r.rule_id}: {r.error or 'condition failed'}" for r in failed)
    return ", ".join(outcome.errors) or "Unknown pre-condition failure"


_START_ERRORS = {
    "Rule not found": ("RULE_NOT_FOUND", "Business rule not found: {rule_id}"),
    "Rule is disabled": ("RULE_DISABLED", "Business rule is disabled: {rule_name}"),
}


def _message(condition: StartPreCondition, locale: str, default: str) -> str:
    messages = condition.validation_message or {}
    return messages.get(locale) or messages.get("en") or default


async def validate_start(
    definition: Definition, *, workflow_id: str, context: Mapping[str, Any], tenant_id: str,
    organization_id: str, evaluate: Evaluate, locale: str = "en",
) -> dict[str, Any]:
    """START pre-conditions: `{canStart, errors, validatedRules}` for the API's
    validate-start and start. Rules run as dry runs, without a user."""
    start = next((s for s in definition.steps if s.step_type == "START"), None)
    if start is None:
        return {"canStart": False, "validatedRules": [], "errors": [
            {"ruleId": "_NO_START_STEP", "message": "Workflow has no START step", "code": "INVALID_DEFINITION"}]}
    errors: list[dict[str, Any]] = []
    validated: list[dict[str, Any]] = []
    for condition in start.pre_conditions or ():
        result = await evaluate(GuardInput(
            tenant_id=tenant_id, organization_id=organization_id, rule_id=condition.rule_id,
            entity_type=start_entity_type(workflow_id), entity_id="pre_start_validation",
            event_type=VALIDATE_START, data={"workflowId": workflow_id, "workflowContext": dict(context)},
            user_id=None, dry_run=True,
        ))
        validated.append({"ruleId": condition.rule_id, "passed": result.passed,
                          "executionTime": result.execution_time_ms})
        if not condition.required:
            continue
        if result.error:
            code, template = _START_ERRORS.get(result.error, ("RULE_ERROR", "Rule error: {error}"))
            default = template.format(rule_id=condition.rule_id, rule_name=result.rule_name or condition.rule_id,
                                      error=result.error)
        elif not result.passed:
            code, default = "PRE_CONDITION_FAILED", f"Pre-condition '{result.rule_name or condition.rule_id}' failed"
        else:
            continue
        errors.append({"ruleId": condition.rule_id, "message": _message(condition, locale, default), "code": code})
    return {"canStart": not errors, "errors": errors, "validatedRules": validated}
