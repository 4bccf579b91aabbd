"""Builders shared by the rules tests: condition leaves, rule records, a fixed `now`, a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rules import RuleContext, RuleRecord

NOW = datetime(2026, 7, 25, 12, 0, 0, tzinfo=UTC)
YESTERDAY = NOW - timedelta(days=1)
TOMORROW = NOW + timedelta(days=1)
TENANT = "00000000-0000-4000-8000-000000000001"
ORG = "00000000-0000-4000-8000-000000000101"


def leaf(field: str, operator: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value, **extra}


def group(operator: str, *rules: Any) -> dict[str, Any]:
    return {"operator": operator, "rules": list(rules)}


def rule(rule_id: str = "TEST-001", **overrides: Any) -> RuleRecord:
    fields: dict[str, Any] = {
        "id": f"id-{rule_id}",
        "rule_id": rule_id,
        "rule_name": overrides.pop("rule_name", "Test Rule"),
        "rule_type": "GUARD",
        "entity_type": "WorkOrder",
        "tenant_id": TENANT,
        "organization_id": ORG,
        "condition_expression": leaf("status", "=", "ACTIVE"),
    }
    fields.update(overrides)
    return RuleRecord(**fields)


def context(data: Any = None, **overrides: Any) -> RuleContext:
    fields: dict[str, Any] = {
        "entity_type": "WorkOrder",
        "tenant_id": TENANT,
        "organization_id": ORG,
        "data": data,
        "dry_run": True,
    }
    fields.update(overrides)
    return RuleContext(**fields)


class FakeClock:
    """A clock the test advances by hand (seconds), standing in for time.perf_counter."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.step = 0.0

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value
