"""`stepwise rules test`: rules evaluated by the `rules` library in this process (no API, no database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rules import RuleRecord, evaluate_single_rule, execute_actions


def _record(raw: dict[str, Any], index: int) -> RuleRecord:
    return RuleRecord(
        id=str(raw.get("id") or f"local-{index}"), rule_id=str(raw.get("ruleId") or f"rule-{index}"),
        rule_name=str(raw.get("ruleName") or raw.get("ruleId") or ""), rule_type=str(raw.get("ruleType") or "GUARD"),
        entity_type=str(raw.get("entityType") or ""), event_type=raw.get("eventType"),
        condition_expression=raw.get("conditionExpression"), success_actions=raw.get("successActions"),
        failure_actions=raw.get("failureActions"), enabled=bool(raw.get("enabled", True)),
        priority=int(raw.get("priority", 100)))


def run_rules(document: Any, data: Any, *, now: datetime) -> list[dict[str, Any]]:
    """Each rule's verdict on `data`: passed, error, and what its success or failure actions would do."""
    raws = document if isinstance(document, list) else [document]
    results: list[dict[str, Any]] = []
    for index, raw in enumerate(raws):
        if not isinstance(raw, dict):
            results.append({"ruleId": None, "error": "a rule must be a JSON object"})
            continue
        rule = _record(raw, index)
        verdict = evaluate_single_rule(rule, data, now=now)
        passed = verdict.conditions_passed if verdict.evaluation_completed else None
        entry: dict[str, Any] = {"ruleId": rule.rule_id, "passed": passed, "error": verdict.error}
        if verdict.evaluation_completed:
            actions = (rule.success_actions if verdict.conditions_passed else rule.failure_actions) or []
            outcome = execute_actions(list(actions), data if isinstance(data, dict) else {}, now=now)
            entry["actions"] = outcome.to_dict()
        results.append(entry)
    return results
