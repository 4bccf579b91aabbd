"""Builders shared by the business-rules API tests (the reference's Playwright helpers)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.fixtures import Caller

RULES = "/api/business_rules/rules"
SETS = "/api/business_rules/sets"
LOGS = "/api/business_rules/logs"
EXECUTE = "/api/business_rules/execute"
LOCK = "x-om-ext-optimistic-lock-expected-updated-at"


def stamp() -> str:
    return uuid.uuid4().hex[:10]


def rule_payload(key: str | None = None, **overrides: Any) -> dict[str, Any]:
    """`buildBusinessRulePayload` of the reference's tests."""
    key = key or stamp()
    return {
        "ruleId": f"QA_BR_{key}", "ruleName": f"QA Business Rule {key}", "ruleType": "GUARD",
        "entityType": "QaBusinessRuleEntity", "eventType": "beforeSave",
        "conditionExpression": {"field": "status", "operator": "=", "value": "ACTIVE"},
        "successActions": None, "failureActions": None, "enabled": True, "priority": 100, **overrides,
    }


async def create_rule(caller: Caller, **overrides: Any) -> str:
    r = await caller.post(RULES, json=rule_payload(**overrides))
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    assert isinstance(rule_id, str) and rule_id
    return rule_id


async def create_set(caller: Caller, **overrides: Any) -> str:
    body = {"setId": f"qa-set-{stamp()}", "setName": "QA Rule Set", **overrides}
    r = await caller.post(SETS, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


async def add_member(caller: Caller, set_id: str, rule_id: str, sequence: int = 0, enabled: bool = True) -> str:
    r = await caller.post(f"{SETS}/{set_id}/members", json={"ruleId": rule_id, "sequence": sequence,
                                                            "enabled": enabled})
    assert r.status_code == 201, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


def random_uuid() -> str:
    return str(uuid.uuid4())


async def dispatch_all() -> None:
    """Deliver every pending domain event to the registered subscribers, as the worker would."""
    from api.db import sessionmaker
    from api.outbox import Dispatcher

    dispatcher = Dispatcher(sessionmaker(), batch=1000)
    while await dispatcher.dispatch_once():
        pass
