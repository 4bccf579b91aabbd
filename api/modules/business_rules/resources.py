"""Rules and rule sets as kit collections. The module keeps its own conventions through declarations:
its validator and messages (`Validation failed: <path>: <message>`), one `Invalid query parameters`
for any bad list parameter, `{items, total, totalPages}` lists, exact tenant + organization scope,
JavaScript timestamps and optimistic locking."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.crud import Body, Dialect, Envelope, Features, Fields, Filter, Hooks, Resource, Sort, Write
from api.errors import Conflict
from api.modules.business_rules import service
from api.modules.business_rules.models import BusinessRule, RuleSet
from api.modules.business_rules.validation import (
    RULE_FIELDS,
    RULE_UPDATE_FIELDS,
    SET_FIELDS,
    SET_UPDATE_FIELDS,
    effective_window_error,
    expected,
    fail,
    validate,
)
from rules import RULE_TYPES

TAG = "Business Rules"
VIEW, MANAGE, MANAGE_SETS, VIEW_LOGS, EXECUTE = (
    "business_rules.view", "business_rules.manage", "business_rules.manage_sets",
    "business_rules.view_logs", "business_rules.execute",
)
DIALECT: Final = Dialect(error="Invalid query parameters", details=False, unknown_sort="default", uuid_ids=True)
# An empty list still has one (empty) page here.
ENVELOPE: Final = Envelope(("items", "total", "totalPages"), empty_total_pages=1)
JS: Final = "js"


def org_of(ctx: AuthContext) -> str | None:
    """The one organization this module reads and writes: the selected one, else the caller's."""
    return ctx.write_org_id


def rules_in_scope(stmt: Select[Any], ctx: AuthContext) -> Select[Any]:
    return stmt.where(BusinessRule.tenant_id == ctx.tenant_id, BusinessRule.organization_id == org_of(ctx))


def sets_in_scope(stmt: Select[Any], ctx: AuthContext) -> Select[Any]:
    return stmt.where(RuleSet.tenant_id == ctx.tenant_id, RuleSet.organization_id == org_of(ctx))


def _body(create: Any, update: Any, example: dict[str, Any], missing_id: str) -> tuple[Body, Body]:
    return (Body(lambda raw, _: validate(create, raw), example),
            Body(lambda raw, _: validate(update, raw, partial=True), example, missing_id=missing_id))


def _owner(write: Write) -> None:
    ctx = write.ctx
    if not ctx.tenant_id:
        raise fail("tenantId", expected("string", None))
    org = org_of(ctx)
    if not org:
        raise fail("organizationId", expected("string", None))
    write.row.tenant_id, write.row.organization_id = ctx.tenant_id, org
    write.values["created_by"] = ctx.user_id or ctx.email


async def _key_free(session: AsyncSession, column: Any, tenant_id: str, key: str, message: str) -> None:
    # Unique per tenant, deleted rows included (the database constraint says the same).
    model = column.class_
    if (await session.execute(select(model.id).where(column == key, model.tenant_id == tenant_id))).first():
        raise Conflict(message)


# --- rules -------------------------------------------------------------------------------------------

RULE_EXAMPLE: Final = {
    "ruleId": "string", "ruleName": "string", "description": None, "ruleType": "GUARD", "ruleCategory": None,
    "entityType": "string", "eventType": None, "conditionExpression": None, "successActions": None,
    "failureActions": None, "enabled": True, "priority": 100, "version": 1, "effectiveFrom": None,
    "effectiveTo": None,
}


async def _create_rule(write: Write) -> None:
    _owner(write)
    if (error := effective_window_error(write.values.get("effective_from"), write.values.get("effective_to"))):
        raise error
    await _key_free(write.session, BusinessRule.rule_id, write.row.tenant_id, write.values["rule_id"],
                    "Rule ID already exists")


async def _update_rule(write: Write) -> None:
    rule: BusinessRule = write.row
    if (error := effective_window_error(write.value("effective_from"), write.value("effective_to"))):
        raise error
    if "rule_id" in write.values and write.values["rule_id"] != rule.rule_id:
        await _key_free(write.session, BusinessRule.rule_id, rule.tenant_id, write.values["rule_id"],
                        "Rule ID already exists")
    write.values["updated_by"] = write.ctx.user_id or write.ctx.email


async def _forget_compiled(write: Write) -> None:
    service.RULE_CACHE.invalidate(write.row.id)


RULE_ITEM: Final = ("id", "rule_id", "rule_name", "description", "rule_type", "rule_category", "entity_type",
                    "event_type", "enabled", "priority", "version", "effective_from", "effective_to")
rule_create, rule_update = _body(RULE_FIELDS, RULE_UPDATE_FIELDS, RULE_EXAMPLE, "Rule id is required")

rules = Resource(
    path="/business_rules/rules",
    model=BusinessRule,
    entity="business_rules.rule",
    create_schema=rule_create,
    update_schema=rule_update,
    features=Features(VIEW, MANAGE, MANAGE, MANAGE),
    tag=TAG,
    label="Rule",
    descriptions={
        "list": "Returns business rules for the current tenant and organization with filtering and pagination.",
        "detail": "Returns complete details of a business rule including conditions and actions.",
        "create": "Creates a new business rule for the current tenant and organization.",
        "delete": "Soft deletes a business rule by identifier.",
    },
    search=(BusinessRule.rule_name,),
    sort=Sort((BusinessRule.rule_id, BusinessRule.rule_name, BusinessRule.rule_type, BusinessRule.entity_type,
               BusinessRule.priority, BusinessRule.created_at, BusinessRule.updated_at),
              default=BusinessRule.priority, direction="desc", tiebreak=BusinessRule.rule_id),
    filters={
        "ruleId": Filter.contains(BusinessRule.rule_id, "Rule key contains (case-insensitive)"),
        "ruleType": Filter.eq(BusinessRule.rule_type, ", ".join(RULE_TYPES), RULE_TYPES),
        "entityType": Filter.eq(BusinessRule.entity_type, "Exact entity type"),
        "eventType": Filter.eq(BusinessRule.event_type, "Exact event type"),
        "enabled": Filter.eq(BusinessRule.enabled, "true or false"),
        "ruleCategory": Filter.eq(BusinessRule.rule_category, "Exact category"),
    },
    envelope=ENVELOPE,
    dialect=DIALECT,
    fields=Fields(*RULE_ITEM, "tenant_id", "organization_id", "created_at", "updated_at", timestamps=JS),
    detail_fields=Fields(*RULE_ITEM[:8], "condition_expression", "success_actions", "failure_actions",
                         *RULE_ITEM[8:], "tenant_id", "organization_id", "created_by", "updated_by", "created_at",
                         "updated_at", timestamps=JS),
    detail=True,
    scope=rules_in_scope,
    lock=True,
    hooks=Hooks(before_create=_create_rule, before_update=_update_rule, before_delete=_forget_compiled),
)


# --- rule sets ---------------------------------------------------------------------------------------

async def _create_set(write: Write) -> None:
    _owner(write)
    await _key_free(write.session, RuleSet.set_id, write.row.tenant_id, write.values["set_id"],
                    "Rule set ID already exists")


async def _update_set(write: Write) -> None:
    rule_set: RuleSet = write.row
    if "set_id" in write.values and write.values["set_id"] != rule_set.set_id:
        await _key_free(write.session, RuleSet.set_id, rule_set.tenant_id, write.values["set_id"],
                        "Rule set ID already exists")
    write.values["updated_by"] = write.ctx.user_id or write.ctx.email


set_create, set_update = _body(SET_FIELDS, SET_UPDATE_FIELDS,
                               {"setId": "string", "setName": "string", "description": None, "enabled": True},
                               "Rule set id is required")

rule_sets = Resource(
    path="/business_rules/sets",
    model=RuleSet,
    entity="business_rules.rule_set",
    create_schema=set_create,
    update_schema=set_update,
    features=Features(VIEW, MANAGE_SETS, MANAGE_SETS, MANAGE_SETS),
    tag=TAG,
    label="Rule set",
    descriptions={
        "list": "Returns rule sets for the current tenant and organization with filtering and pagination.",
        "create": "Creates a new rule set for organizing business rules.",
        "delete": "Soft deletes a rule set by identifier.",
    },
    # The detail (with its members) is the module's own route.
    search=(RuleSet.set_name,),
    sort=Sort((RuleSet.set_id, RuleSet.set_name, RuleSet.enabled, RuleSet.created_at, RuleSet.updated_at),
              default=RuleSet.set_id),
    filters={
        "setId": Filter.contains(RuleSet.set_id, "Set key contains (case-insensitive)"),
        "enabled": Filter.eq(RuleSet.enabled, "true or false"),
    },
    envelope=ENVELOPE,
    dialect=DIALECT,
    fields=Fields("id", "set_id", "set_name", "description", "enabled", "tenant_id", "organization_id",
                  "created_by", "updated_by", "created_at", "updated_at", timestamps=JS),
    scope=sets_in_scope,
    lock=True,
    hooks=Hooks(before_create=_create_set, before_update=_update_set),
)
