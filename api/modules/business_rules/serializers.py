"""Response shapes the kit's field lists cannot express (joined rows): set members with their rule,
execution logs with their rule. camelCase, timestamps as `toISOString()` strings, nullable fields
present as `null`."""

from __future__ import annotations

from typing import Any

from api.casing import js_iso
from api.crud.fields import Fields
from api.modules.business_rules.models import BusinessRule, RuleExecutionLog, RuleSetMember


def member_item(member: RuleSetMember, rule: BusinessRule) -> dict[str, Any]:
    """`ruleId` is the rule's UUID here, not its business key (as the reference)."""
    return {
        "id": member.id,
        "ruleId": member.rule_id,
        "ruleName": rule.rule_name,
        "ruleType": rule.rule_type,
        "sequence": member.sequence,
        "enabled": member.enabled,
    }


def member_snapshot(member: RuleSetMember) -> dict[str, Any]:
    return {
        "id": member.id, "ruleSetId": member.rule_set_id, "ruleId": member.rule_id,
        "sequence": member.sequence, "enabled": member.enabled, "tenantId": member.tenant_id,
        "organizationId": member.organization_id, "createdAt": js_iso(member.created_at),
    }


# What a log entry shows of itself, in list items and details alike.
LOG_FIELDS = Fields("entity_id", "entity_type", "execution_result", "input_context", "output_context",
                    "error_message", "execution_time_ms", "executed_at", "tenant_id", "organization_id",
                    "executed_by", timestamps="js")


def log_item(log: RuleExecutionLog, rule: BusinessRule) -> dict[str, Any]:
    return {"id": str(log.id), "ruleId": log.rule_id, "ruleName": rule.rule_name, "ruleType": rule.rule_type,
            **LOG_FIELDS(log)}


def log_detail(log: RuleExecutionLog, rule: BusinessRule) -> dict[str, Any]:
    return {"id": str(log.id), "rule": {"id": rule.id, "ruleId": rule.rule_id, "ruleName": rule.rule_name,
                                        "ruleType": rule.rule_type, "entityType": rule.entity_type},
            **LOG_FIELDS(log)}
