"""Response shapes (spec business_rules.md §5): camelCase, timestamps as `toISOString()` strings,
nullable fields present as `null`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api.modules.business_rules.models import BusinessRule, RuleExecutionLog, RuleSet, RuleSetMember


def iso(value: datetime | None) -> str | None:
    """ISO-8601 with milliseconds and `Z`; naive datetimes (SQLite) are UTC."""
    if value is None:
        return None
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
            f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z")


def rule_item(rule: BusinessRule) -> dict[str, Any]:
    """A list item: no condition, actions, createdBy or updatedBy."""
    return {
        "id": rule.id,
        "ruleId": rule.rule_id,
        "ruleName": rule.rule_name,
        "description": rule.description,
        "ruleType": rule.rule_type,
        "ruleCategory": rule.rule_category,
        "entityType": rule.entity_type,
        "eventType": rule.event_type,
        "enabled": rule.enabled,
        "priority": rule.priority,
        "version": rule.version,
        "effectiveFrom": iso(rule.effective_from),
        "effectiveTo": iso(rule.effective_to),
        "tenantId": rule.tenant_id,
        "organizationId": rule.organization_id,
        "createdAt": iso(rule.created_at),
        "updatedAt": iso(rule.updated_at),
    }


def rule_detail(rule: BusinessRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "ruleId": rule.rule_id,
        "ruleName": rule.rule_name,
        "description": rule.description,
        "ruleType": rule.rule_type,
        "ruleCategory": rule.rule_category,
        "entityType": rule.entity_type,
        "eventType": rule.event_type,
        "conditionExpression": rule.condition_expression,
        "successActions": rule.success_actions,
        "failureActions": rule.failure_actions,
        "enabled": rule.enabled,
        "priority": rule.priority,
        "version": rule.version,
        "effectiveFrom": iso(rule.effective_from),
        "effectiveTo": iso(rule.effective_to),
        "tenantId": rule.tenant_id,
        "organizationId": rule.organization_id,
        "createdBy": rule.created_by,
        "updatedBy": rule.updated_by,
        "createdAt": iso(rule.created_at),
        "updatedAt": iso(rule.updated_at),
    }


def set_item(rule_set: RuleSet) -> dict[str, Any]:
    return {
        "id": rule_set.id,
        "setId": rule_set.set_id,
        "setName": rule_set.set_name,
        "description": rule_set.description,
        "enabled": rule_set.enabled,
        "tenantId": rule_set.tenant_id,
        "organizationId": rule_set.organization_id,
        "createdBy": rule_set.created_by,
        "updatedBy": rule_set.updated_by,
        "createdAt": iso(rule_set.created_at),
        "updatedAt": iso(rule_set.updated_at),
    }


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
        "organizationId": member.organization_id, "createdAt": iso(member.created_at),
    }


def log_item(log: RuleExecutionLog, rule: BusinessRule) -> dict[str, Any]:
    return {
        "id": str(log.id),
        "ruleId": log.rule_id,
        "ruleName": rule.rule_name,
        "ruleType": rule.rule_type,
        "entityId": log.entity_id,
        "entityType": log.entity_type,
        "executionResult": log.execution_result,
        "inputContext": log.input_context,
        "outputContext": log.output_context,
        "errorMessage": log.error_message,
        "executionTimeMs": log.execution_time_ms,
        "executedAt": iso(log.executed_at),
        "tenantId": log.tenant_id,
        "organizationId": log.organization_id,
        "executedBy": log.executed_by,
    }


def log_detail(log: RuleExecutionLog, rule: BusinessRule) -> dict[str, Any]:
    return {
        "id": str(log.id),
        "rule": {
            "id": rule.id,
            "ruleId": rule.rule_id,
            "ruleName": rule.rule_name,
            "ruleType": rule.rule_type,
            "entityType": rule.entity_type,
        },
        "entityId": log.entity_id,
        "entityType": log.entity_type,
        "executionResult": log.execution_result,
        "inputContext": log.input_context,
        "outputContext": log.output_context,
        "errorMessage": log.error_message,
        "executionTimeMs": log.execution_time_ms,
        "executedAt": iso(log.executed_at),
        "tenantId": log.tenant_id,
        "organizationId": log.organization_id,
        "executedBy": log.executed_by,
    }
