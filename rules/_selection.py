"""Rule records and which rules apply to a context: the selection helpers and rule discovery."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from rules._values import collation_key

MAX_RULES_PER_EXECUTION: Final = 100
GUARD: Final = "GUARD"
RULE_TYPES: Final = ("GUARD", "VALIDATION", "CALCULATION", "ACTION", "ASSIGNMENT")


@dataclass(frozen=True, eq=False)
class RuleRecord:
    """A business rule as the library needs it (the service builds these from its rows).

    `id` is the row id (UUID), `rule_id` the business key. `updated_at` versions the compiled
    condition in RuleCache.
    """

    id: str
    rule_id: str
    rule_name: str
    rule_type: str
    entity_type: str
    tenant_id: str = ""
    organization_id: str = ""
    event_type: str | None = None
    condition_expression: Any = None
    success_actions: Sequence[Any] | None = None
    failure_actions: Sequence[Any] | None = None
    enabled: bool = True
    priority: int = 100
    effective_from: datetime | None = None
    effective_to: datetime | None = None
    deleted_at: datetime | None = None
    updated_at: Any = None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def is_effective(rule: RuleRecord, now: datetime) -> bool:
    """Inside the effective window; both bounds inclusive, naive datetimes are UTC."""
    current = _utc(now)
    if rule.effective_from is not None and _utc(rule.effective_from) > current:
        return False
    if rule.effective_to is not None and _utc(rule.effective_to) < current:
        return False
    return True


def sort_rules_by_priority(rules: Iterable[RuleRecord]) -> list[RuleRecord]:
    """Priority descending, then ruleId ascending by locale collation; the input is not mutated."""
    return sorted(rules, key=lambda r: (-r.priority, collation_key(r.rule_id), r.rule_id))


def filter_rules_by_context(
    rules: Iterable[RuleRecord], entity_type: str | None = None, event_type: str | None = None
) -> list[RuleRecord]:
    """The reference's in-memory helper: rules without an eventType match any event type.

    Unlike `select_rules` (the engine's discovery), where an eventType must match exactly.
    """
    return [
        r for r in rules
        if (not entity_type or r.entity_type == entity_type)
        and (not event_type or not r.event_type or r.event_type == event_type)
    ]


def get_applicable_rules(
    rules: Iterable[RuleRecord], entity_type: str | None, event_type: str | None, *, now: datetime
) -> list[RuleRecord]:
    """Filter by context, then enabled, then effective window, then sort by priority."""
    filtered = filter_rules_by_context(rules, entity_type, event_type)
    return sort_rules_by_priority(r for r in filtered if r.enabled and is_effective(r, now))


def select_rules(
    rules: Iterable[RuleRecord],
    *,
    entity_type: str,
    tenant_id: str,
    organization_id: str,
    now: datetime,
    event_type: str | None = None,
    rule_type: str | None = None,
) -> list[RuleRecord]:
    """The engine's rule discovery over a list of candidate rules.

    Exact entityType, tenant and organization; enabled and not deleted; the exact eventType when
    the context has one (rules without an eventType then do not match), every event type when it
    has none; optional ruleType; inside the effective window at `now`; priority descending, then
    ruleId. The 100-rule limit is the caller's to enforce (`execute_rules` does).
    """
    selected = [
        r for r in rules
        if r.entity_type == entity_type
        and r.tenant_id == tenant_id
        and r.organization_id == organization_id
        and r.enabled
        and r.deleted_at is None
        and (not event_type or r.event_type == event_type)
        and (rule_type is None or r.rule_type == rule_type)
    ]
    return [r for r in sort_rules_by_priority(selected) if is_effective(r, now)]
