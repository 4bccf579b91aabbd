"""The Business Rules API (reference section "Business Rules", spec business_rules.md §5).

Custom routes rather than the CRUD kit: this module answers with its own conventions (list
envelope `{items, total, totalPages}`, `Validation failed: <path>: <message>` errors, exact
tenant + organization scope, optimistic locking). Writes are still audited (undoable) and
evented like the kit's.
"""

from __future__ import annotations

import math
import os
import re
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit, outbox
from api.auth import AuthContext, requires
from api.crud.casing import snake
from api.crud.query import like_pattern
from api.db import utcnow
from api.deps import SessionDep
from api.errors import BadRequest, Conflict, NotFound
from api.features import declare
from api.modules.audit_logs.models import ActionLog
from api.modules.business_rules import events, service
from api.modules.business_rules.models import BusinessRule, RuleExecutionLog, RuleSet, RuleSetMember
from api.modules.business_rules.serializers import (
    iso,
    log_detail,
    log_item,
    member_item,
    member_snapshot,
    rule_detail,
    rule_item,
    set_item,
)
from api.modules.business_rules.validation import (
    EXECUTE_FIELDS,
    EXECUTE_ONE_FIELDS,
    MEMBER_FIELDS,
    MEMBER_UPDATE_FIELDS,
    RULE_FIELDS,
    RULE_UPDATE_FIELDS,
    SET_FIELDS,
    SET_UPDATE_FIELDS,
    effective_window_error,
    expected,
    fail,
    json_body,
    parse_instant,
    validate,
)
from rules import RULE_TYPES, RuleContext, is_uuid, validate_context

VIEW, MANAGE, MANAGE_SETS, VIEW_LOGS, EXECUTE = (
    "business_rules.view", "business_rules.manage", "business_rules.manage_sets",
    "business_rules.view_logs", "business_rules.execute",
)
declare("business_rules", "Business Rules", {
    VIEW: "View business rules and rule sets",
    MANAGE: "Create, edit and delete business rules",
    MANAGE_SETS: "Create, edit and delete rule sets and their members",
    VIEW_LOGS: "View rule execution logs",
    EXECUTE: "Execute business rules",
})

# Imported for their registration with the outbox.
SUBSCRIBERS: Final = (events.run_rules_on_event, events.send_requested_mail)

RULE_KIND: Final = "business_rules.rule"
SET_KIND: Final = "business_rules.rule_set"
MEMBER_KIND: Final = "business_rules.rule_set_member"
audit.register(RULE_KIND, BusinessRule, serialize=rule_detail,
               features={"create": MANAGE, "update": MANAGE, "delete": MANAGE})
audit.register(SET_KIND, RuleSet, serialize=set_item,
               features={"create": MANAGE_SETS, "update": MANAGE_SETS, "delete": MANAGE_SETS})
audit.register(MEMBER_KIND, RuleSetMember, serialize=member_snapshot,
               features={"create": MANAGE_SETS, "update": MANAGE_SETS, "delete": MANAGE_SETS})

router = APIRouter(tags=["Business Rules"])
ViewDep = Annotated[AuthContext, Depends(requires(VIEW))]
ManageDep = Annotated[AuthContext, Depends(requires(MANAGE))]
ManageSetsDep = Annotated[AuthContext, Depends(requires(MANAGE_SETS))]
ViewLogsDep = Annotated[AuthContext, Depends(requires(VIEW_LOGS))]
ExecuteDep = Annotated[AuthContext, Depends(requires(EXECUTE))]

INVALID_QUERY: Final = "Invalid query parameters"
LOCK_HEADER: Final = "x-om-ext-optimistic-lock-expected-updated-at"
_MAX_BIGINT: Final = 2**63 - 1


# --- helpers -------------------------------------------------------------------------------


def _org(ctx: AuthContext) -> str | None:
    """The one organization this module reads and writes: the selected one, else the caller's."""
    return ctx.write_org_id


def _rules_in_scope(ctx: AuthContext) -> Select[Any]:
    return select(BusinessRule).where(BusinessRule.tenant_id == ctx.tenant_id,
                                      BusinessRule.organization_id == _org(ctx))


def _sets_in_scope(ctx: AuthContext) -> Select[Any]:
    return select(RuleSet).where(RuleSet.tenant_id == ctx.tenant_id, RuleSet.organization_id == _org(ctx))


class Query:
    """List query parameters; absent and empty mean "not given", bad values are one 400."""

    def __init__(self, request: Request) -> None:
        self.params = request.query_params

    def text(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if value else None

    def integer(self, name: str, default: int, lo: int, hi: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        if not re.fullmatch(r"\s*[+-]?\d+(\.0*)?\s*", raw):
            raise BadRequest(INVALID_QUERY)
        value = int(float(raw)) if "." in raw else int(raw)
        if value < lo or value > hi:
            raise BadRequest(INVALID_QUERY)
        return value

    def page(self) -> tuple[int, int]:
        return self.integer("page", 1, 1, 1_000_000), self.integer("pageSize", 50, 1, 100)

    def boolean(self, name: str) -> bool | None:
        raw = self.text(name)
        if raw is None:
            return None
        token = raw.strip().lower()
        if token in ("true", "1"):
            return True
        if token in ("false", "0"):
            return False
        raise BadRequest(INVALID_QUERY)

    def uuid(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is not None and not is_uuid(raw):
            raise BadRequest(INVALID_QUERY)
        return raw

    def choice(self, name: str, options: tuple[str, ...], default: str | None = None) -> str | None:
        raw = self.text(name)
        if raw is None:
            return default
        if raw not in options:
            raise BadRequest(INVALID_QUERY)
        return raw

    def instant(self, name: str) -> datetime | None:
        raw = self.text(name)
        if raw is None:
            return None
        parsed = parse_instant(raw)
        if parsed is None:
            raise BadRequest(INVALID_QUERY)
        return parsed


async def _page(session: AsyncSession, stmt: Select[Any] | Select[Any, Any], order: list[Any], page: int,
                page_size: int) -> tuple[list[Any], int]:
    total = (await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))).scalar_one()
    rows = (await session.execute(stmt.order_by(*order).offset((page - 1) * page_size).limit(page_size))).all()
    return list(rows), total


def _envelope(items: list[dict[str, Any]], total: int, page_size: int) -> dict[str, Any]:
    return {"items": items, "total": total, "totalPages": max(1, math.ceil(total / page_size))}


def _lock_enabled(kind: str) -> bool:
    setting = os.environ.get("OM_OPTIMISTIC_LOCK", "").strip().lower()
    if setting in ("", "all"):
        return True
    if setting in ("off", "false", "0", "no", "disabled", "none"):
        return False
    return kind.lower() in {k.strip() for k in setting.split(",")}


def _check_lock(request: Request, kind: str, current: datetime) -> None:
    """409 when the client's `updatedAt` (if it sent a parseable one) is not the record's."""
    raw = request.headers.get(LOCK_HEADER)
    if not raw or not _lock_enabled(kind):
        return
    wanted = parse_instant(raw)
    if wanted is None:
        return
    now_at, wanted_at = iso(current), iso(wanted)
    if now_at != wanted_at:
        raise Conflict("record_modified", extra={"code": "optimistic_lock_conflict",
                                                 "currentUpdatedAt": now_at, "expectedUpdatedAt": wanted_at})


async def _record(session: AsyncSession, ctx: AuthContext, *, kind: str, action: str,
                  row: BusinessRule | RuleSet | RuleSetMember,
                  before: dict[str, Any] | None, payload: Any, event: dict[str, Any]) -> ActionLog:
    """Audit entry (undoable) and domain event of one write, in the request's transaction."""
    past = {"create": "created", "update": "updated", "delete": "deleted"}[action]
    after = audit.snapshot(row) if action != "delete" or hasattr(row, "deleted_at") else None
    org_id = getattr(row, "organization_id", None)
    label = kind.rsplit(".", 1)[1].replace("_", " ")
    entry = await audit.record(session, ctx, command_id=f"{kind}.{action}", resource_kind=kind,
                               resource_id=row.id, before=before, after=after,
                               payload=payload if isinstance(payload, dict) else None,
                               label=f"{action.capitalize()} {label}", organization_id=org_id)
    outbox.emit(session, f"{kind}.{past}", event, tenant_id=ctx.tenant_id, organization_id=org_id)
    await session.flush()
    return entry


def _written(body: dict[str, Any], entry: ActionLog, status: int = 200) -> JSONResponse:
    response = JSONResponse(body, status_code=status)
    audit.operation_header(response, entry)
    return response


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    return {snake(key): value for key, value in data.items() if key != "id"}


async def _flush_unique(session: AsyncSession, message: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(message) from None


def _scope_or_fail(ctx: AuthContext) -> tuple[str, str]:
    if not ctx.tenant_id:
        raise fail("tenantId", expected("string", None))
    org = _org(ctx)
    if not org:
        raise fail("organizationId", expected("string", None))
    return ctx.tenant_id, org


def _delete_id(request: Request, body: Any) -> str | None:
    value = request.query_params.get("id")
    if not value and isinstance(body, dict) and isinstance(body.get("id"), str):
        value = body["id"]
    return value or None


async def _optional_json(request: Request) -> Any:
    try:
        return await json_body(request, empty=None)
    except BadRequest:
        return None


def _param(name: str, kind: str, description: str, *, required: bool = False,
           where: str = "query") -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": {"type": kind}, "description": description}


def _params(*items: tuple[str, str, str]) -> dict[str, Any]:
    return {"parameters": [_param(*item) for item in items]}


def _body(example: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object"}, "example": example}}}}


_PAGING = (("page", "integer", "1-based page (default 1)"),
           ("pageSize", "integer", "Items per page (1-100, default 50)"))
_RULE_EXAMPLE: Final = {
    "ruleId": "string", "ruleName": "string", "description": None, "ruleType": "GUARD", "ruleCategory": None,
    "entityType": "string", "eventType": None, "conditionExpression": None, "successActions": None,
    "failureActions": None, "enabled": True, "priority": 100, "version": 1, "effectiveFrom": None,
    "effectiveTo": None,
}


# --- rules ---------------------------------------------------------------------------------

RULE_SORT: Final = {
    "ruleId": BusinessRule.rule_id, "ruleName": BusinessRule.rule_name, "ruleType": BusinessRule.rule_type,
    "entityType": BusinessRule.entity_type, "priority": BusinessRule.priority,
    "createdAt": BusinessRule.created_at, "updatedAt": BusinessRule.updated_at,
}


@router.get("/business_rules/rules", summary="List business rules",
            description="Returns business rules for the current tenant and organization with filtering and "
                        "pagination. Requires features: business_rules.view",
            openapi_extra=_params(("id", "string", "Rule UUID"), *_PAGING,
                                  ("search", "string", "Rule name contains (case-insensitive)"),
                                  ("ruleId", "string", "Rule key contains (case-insensitive)"),
                                  ("ruleType", "string", "GUARD, VALIDATION, CALCULATION, ACTION or ASSIGNMENT"),
                                  ("entityType", "string", "Exact entity type"),
                                  ("eventType", "string", "Exact event type"),
                                  ("enabled", "boolean", "true or false"),
                                  ("ruleCategory", "string", "Exact category"),
                                  ("sortField", "string", "ruleId, ruleName, ruleType, entityType, priority "
                                                          "(default), createdAt or updatedAt"),
                                  ("sortDir", "string", "asc or desc (default desc)")))
async def list_rules(request: Request, session: SessionDep, ctx: ViewDep) -> dict[str, Any]:
    q = Query(request)
    page, page_size = q.page()
    rule_uuid = q.uuid("id")
    rule_type = q.choice("ruleType", RULE_TYPES)
    enabled = q.boolean("enabled")
    sort = RULE_SORT.get(q.text("sortField") or "", BusinessRule.priority)
    direction = q.choice("sortDir", ("asc", "desc"), "desc")
    stmt = _rules_in_scope(ctx).where(BusinessRule.deleted_at.is_(None))
    if rule_uuid:
        stmt = stmt.where(BusinessRule.id == rule_uuid)
    if search := q.text("search"):
        stmt = stmt.where(func.lower(BusinessRule.rule_name).like(like_pattern(search), escape="\\"))
    if key := q.text("ruleId"):
        stmt = stmt.where(func.lower(BusinessRule.rule_id).like(like_pattern(key), escape="\\"))
    if rule_type:
        stmt = stmt.where(BusinessRule.rule_type == rule_type)
    for name, column in (("entityType", BusinessRule.entity_type), ("eventType", BusinessRule.event_type),
                         ("ruleCategory", BusinessRule.rule_category)):
        if (value := q.text(name)) is not None:
            stmt = stmt.where(column == value)
    if enabled is not None:
        stmt = stmt.where(BusinessRule.enabled.is_(enabled))
    order = [sort.asc() if direction == "asc" else sort.desc(), BusinessRule.rule_id.asc()]
    rows, total = await _page(session, stmt, order, page, page_size)
    return _envelope([rule_item(r) for (r,) in rows], total, page_size)


@router.post("/business_rules/rules", status_code=201, summary="Create business rule",
             description="Creates a new business rule for the current tenant and organization. "
                         "Requires features: business_rules.manage",
             openapi_extra=_body(_RULE_EXAMPLE))
async def create_rule(request: Request, session: SessionDep, ctx: ManageDep) -> JSONResponse:
    body = await json_body(request)
    data = validate(RULE_FIELDS, body)
    tenant_id, org_id = _scope_or_fail(ctx)
    if (error := effective_window_error(data.get("effectiveFrom"), data.get("effectiveTo"))) is not None:
        raise error
    await _unique_rule_id(session, tenant_id, data["ruleId"])
    row = BusinessRule(**_columns(data), tenant_id=tenant_id, organization_id=org_id,
                       created_by=ctx.user_id or ctx.email)
    session.add(row)
    await _flush_unique(session, "Rule ID already exists")
    entry = await _record(session, ctx, kind=RULE_KIND, action="create", row=row, before=None, payload=body,
                          event=rule_detail(row))
    return _written({"id": row.id}, entry, 201)


async def _unique_rule_id(session: AsyncSession, tenant_id: str, rule_id: str) -> None:
    # Unique per tenant, deleted rules included (the database constraint says the same).
    taken = (await session.execute(select(BusinessRule.id).where(
        BusinessRule.rule_id == rule_id, BusinessRule.tenant_id == tenant_id))).first()
    if taken is not None:
        raise Conflict("Rule ID already exists")


async def _rule(session: AsyncSession, ctx: AuthContext, rule_uuid: Any) -> BusinessRule:
    row = None
    if isinstance(rule_uuid, str):
        row = (await session.execute(_rules_in_scope(ctx).where(
            BusinessRule.id == rule_uuid, BusinessRule.deleted_at.is_(None)))).scalars().first()
    if row is None:
        raise NotFound("Rule not found")
    return row  # type: ignore[no-any-return]


@router.put("/business_rules/rules", summary="Update business rule",
            description="Updates an existing business rule; fields left out keep their values. Send "
                        f"`{LOCK_HEADER}` with the `updatedAt` you read to refuse overwriting a newer "
                        "change (409). Requires features: business_rules.manage",
            openapi_extra=_body({"id": "string", **_RULE_EXAMPLE}))
async def update_rule(request: Request, session: SessionDep, ctx: ManageDep) -> JSONResponse:
    body = await json_body(request)
    if not isinstance(body, dict) or not body.get("id"):
        raise BadRequest("Rule id is required")
    data = validate(RULE_UPDATE_FIELDS, body, partial=True)
    row = await _rule(session, ctx, data["id"])
    _check_lock(request, RULE_KIND, row.updated_at)
    window = (data.get("effectiveFrom", row.effective_from), data.get("effectiveTo", row.effective_to))
    if (error := effective_window_error(*window)) is not None:
        raise error
    if "ruleId" in data and data["ruleId"] != row.rule_id:
        await _unique_rule_id(session, row.tenant_id, data["ruleId"])
    before = audit.snapshot(row)
    for column, value in _columns(data).items():
        setattr(row, column, value)
    row.updated_by = ctx.user_id or ctx.email
    row.updated_at = utcnow()
    await _flush_unique(session, "Rule ID already exists")
    entry = await _record(session, ctx, kind=RULE_KIND, action="update", row=row, before=before, payload=body,
                          event=rule_detail(row))
    return _written({"ok": True}, entry)


@router.delete("/business_rules/rules", summary="Delete business rule",
               description="Soft deletes a business rule by identifier. Requires features: business_rules.manage",
               openapi_extra={"parameters": [_param("id", "string", "Rule UUID", required=True)]})
async def delete_rule(request: Request, session: SessionDep, ctx: ManageDep) -> JSONResponse:
    rule_uuid = _delete_id(request, await _optional_json(request))
    if not rule_uuid:
        raise BadRequest("Rule id is required")
    row = await _rule(session, ctx, rule_uuid)
    _check_lock(request, RULE_KIND, row.updated_at)
    before = audit.snapshot(row)
    row.deleted_at = utcnow()
    service.RULE_CACHE.invalidate(row.id)
    entry = await _record(session, ctx, kind=RULE_KIND, action="delete", row=row, before=before,
                          payload={"id": row.id}, event=rule_detail(row))
    return _written({"ok": True}, entry)


@router.get("/business_rules/rules/{id}", summary="Fetch business rule by ID",
            description="Returns complete details of a business rule including conditions and actions. "
                        "Requires features: business_rules.view")
async def get_rule(id: str, session: SessionDep, ctx: ViewDep) -> dict[str, Any]:
    if not is_uuid(id):
        raise BadRequest("Invalid rule id")
    return rule_detail(await _rule(session, ctx, id))


# --- rule sets -----------------------------------------------------------------------------

SET_SORT: Final = {
    "setId": RuleSet.set_id, "setName": RuleSet.set_name, "enabled": RuleSet.enabled,
    "createdAt": RuleSet.created_at, "updatedAt": RuleSet.updated_at,
}


@router.get("/business_rules/sets", summary="List rule sets",
            description="Returns rule sets for the current tenant and organization with filtering and "
                        "pagination. Requires features: business_rules.view",
            openapi_extra=_params(("id", "string", "Rule set UUID"), *_PAGING,
                                  ("search", "string", "Set name contains (case-insensitive)"),
                                  ("setId", "string", "Set key contains (case-insensitive)"),
                                  ("enabled", "boolean", "true or false"),
                                  ("sortField", "string", "setId (default), setName, enabled, createdAt or "
                                                          "updatedAt"),
                                  ("sortDir", "string", "asc (default) or desc")))
async def list_sets(request: Request, session: SessionDep, ctx: ViewDep) -> dict[str, Any]:
    q = Query(request)
    page, page_size = q.page()
    set_uuid = q.uuid("id")
    enabled = q.boolean("enabled")
    sort = SET_SORT.get(q.text("sortField") or "", RuleSet.set_id)
    direction = q.choice("sortDir", ("asc", "desc"), "asc")
    stmt = _sets_in_scope(ctx).where(RuleSet.deleted_at.is_(None))
    if set_uuid:
        stmt = stmt.where(RuleSet.id == set_uuid)
    if search := q.text("search"):
        stmt = stmt.where(func.lower(RuleSet.set_name).like(like_pattern(search), escape="\\"))
    if key := q.text("setId"):
        stmt = stmt.where(func.lower(RuleSet.set_id).like(like_pattern(key), escape="\\"))
    if enabled is not None:
        stmt = stmt.where(RuleSet.enabled.is_(enabled))
    order = [sort.asc() if direction == "asc" else sort.desc(), RuleSet.id.asc()]
    rows, total = await _page(session, stmt, order, page, page_size)
    return _envelope([set_item(r) for (r,) in rows], total, page_size)


async def _unique_set_id(session: AsyncSession, tenant_id: str, set_id: str) -> None:
    taken = (await session.execute(select(RuleSet.id).where(
        RuleSet.set_id == set_id, RuleSet.tenant_id == tenant_id))).first()
    if taken is not None:
        raise Conflict("Rule set ID already exists")


async def _set(session: AsyncSession, ctx: AuthContext, set_uuid: Any) -> RuleSet:
    row = None
    if isinstance(set_uuid, str):
        row = (await session.execute(_sets_in_scope(ctx).where(
            RuleSet.id == set_uuid, RuleSet.deleted_at.is_(None)))).scalars().first()
    if row is None:
        raise NotFound("Rule set not found")
    return row  # type: ignore[no-any-return]


@router.post("/business_rules/sets", status_code=201, summary="Create rule set",
             description="Creates a new rule set for organizing business rules. "
                         "Requires features: business_rules.manage_sets",
             openapi_extra=_body({"setId": "string", "setName": "string", "description": None, "enabled": True}))
async def create_set(request: Request, session: SessionDep, ctx: ManageSetsDep) -> JSONResponse:
    body = await json_body(request)
    data = validate(SET_FIELDS, body)
    tenant_id, org_id = _scope_or_fail(ctx)
    await _unique_set_id(session, tenant_id, data["setId"])
    row = RuleSet(**_columns(data), tenant_id=tenant_id, organization_id=org_id, created_by=ctx.user_id or ctx.email)
    session.add(row)
    await _flush_unique(session, "Rule set ID already exists")
    entry = await _record(session, ctx, kind=SET_KIND, action="create", row=row, before=None, payload=body,
                          event=set_item(row))
    return _written({"id": row.id}, entry, 201)


@router.put("/business_rules/sets", summary="Update rule set",
            description="Updates an existing rule set; fields left out keep their values. Send "
                        f"`{LOCK_HEADER}` to refuse overwriting a newer change (409). "
                        "Requires features: business_rules.manage_sets",
            openapi_extra=_body({"id": "string", "setName": "string", "description": None, "enabled": True}))
async def update_set(request: Request, session: SessionDep, ctx: ManageSetsDep) -> JSONResponse:
    body = await json_body(request)
    if not isinstance(body, dict) or not body.get("id"):
        raise BadRequest("Rule set id is required")
    data = validate(SET_UPDATE_FIELDS, body, partial=True)
    row = await _set(session, ctx, data["id"])
    _check_lock(request, "business_rules.ruleSet", row.updated_at)
    if "setId" in data and data["setId"] != row.set_id:
        await _unique_set_id(session, row.tenant_id, data["setId"])
    before = audit.snapshot(row)
    for column, value in _columns(data).items():
        setattr(row, column, value)
    row.updated_by = ctx.user_id or ctx.email
    row.updated_at = utcnow()
    await _flush_unique(session, "Rule set ID already exists")
    entry = await _record(session, ctx, kind=SET_KIND, action="update", row=row, before=before, payload=body,
                          event=set_item(row))
    return _written({"ok": True}, entry)


@router.delete("/business_rules/sets", summary="Delete rule set",
               description="Soft deletes a rule set by identifier. Requires features: business_rules.manage_sets",
               openapi_extra={"parameters": [_param("id", "string", "Rule set UUID", required=True)]})
async def delete_set(request: Request, session: SessionDep, ctx: ManageSetsDep) -> JSONResponse:
    set_uuid = _delete_id(request, await _optional_json(request))
    if not set_uuid:
        raise BadRequest("Rule set id is required")
    row = await _set(session, ctx, set_uuid)
    _check_lock(request, "business_rules.ruleSet", row.updated_at)
    before = audit.snapshot(row)
    row.deleted_at = utcnow()
    entry = await _record(session, ctx, kind=SET_KIND, action="delete", row=row, before=before,
                          payload={"id": row.id}, event=set_item(row))
    return _written({"ok": True}, entry)


@router.get("/business_rules/sets/{id}", summary="Get rule set detail",
            description="Returns detailed information about a specific rule set, including all member rules. "
                        "Requires features: business_rules.view")
async def get_set(id: str, session: SessionDep, ctx: ViewDep) -> dict[str, Any]:
    if not is_uuid(id):
        raise BadRequest("Invalid rule set id")
    row = await _set(session, ctx, id)
    members = (await session.execute(
        select(RuleSetMember, BusinessRule).join(BusinessRule, BusinessRule.id == RuleSetMember.rule_id)
        .where(RuleSetMember.rule_set_id == row.id, RuleSetMember.tenant_id == ctx.tenant_id,
               RuleSetMember.organization_id == _org(ctx))
        .order_by(RuleSetMember.sequence.asc(), RuleSetMember.id.asc())
    )).all()
    return {**set_item(row), "members": [member_item(m, r) for m, r in members]}


# --- set members ---------------------------------------------------------------------------


def _set_path_id(id: str) -> str:
    if not is_uuid(id):
        raise BadRequest("Invalid rule set id")
    return id


@router.post("/business_rules/sets/{id}/members", status_code=201, summary="Add rule to set",
             description="Adds a business rule to a rule set with specified sequence and enabled state. "
                         "Requires features: business_rules.manage_sets",
             openapi_extra=_body({"ruleId": "00000000-0000-4000-8000-000000000000", "sequence": 0, "enabled": True}))
async def add_member(id: str, request: Request, session: SessionDep, ctx: ManageSetsDep) -> JSONResponse:
    rule_set = await _set(session, ctx, _set_path_id(id))
    body = await json_body(request)
    data = validate(MEMBER_FIELDS, body)
    rule = await _rule(session, ctx, data["ruleId"])
    taken = (await session.execute(select(RuleSetMember.id).where(
        RuleSetMember.rule_set_id == rule_set.id, RuleSetMember.rule_id == rule.id))).first()
    if taken is not None:
        raise Conflict("Rule is already a member of this set")
    member = RuleSetMember(rule_set_id=rule_set.id, rule_id=rule.id, sequence=data["sequence"],
                           enabled=data["enabled"], tenant_id=rule_set.tenant_id,
                           organization_id=rule_set.organization_id, created_at=utcnow())
    session.add(member)
    await _flush_unique(session, "Rule is already a member of this set")
    entry = await _record(session, ctx, kind=MEMBER_KIND, action="create", row=member, before=None, payload=body,
                          event=member_snapshot(member))
    return _written({"id": member.id}, entry, 201)


async def _member(session: AsyncSession, ctx: AuthContext, set_uuid: str, member_id: Any) -> RuleSetMember:
    row = None
    if isinstance(member_id, str):
        row = (await session.execute(select(RuleSetMember).where(
            RuleSetMember.id == member_id, RuleSetMember.rule_set_id == set_uuid,
            RuleSetMember.tenant_id == ctx.tenant_id, RuleSetMember.organization_id == _org(ctx),
        ))).scalars().first()
    if row is None:
        raise NotFound("Member not found")
    return row  # type: ignore[no-any-return]


@router.put("/business_rules/sets/{id}/members", summary="Update set member",
            description="Updates sequence or enabled state of a rule set member. "
                        "Requires features: business_rules.manage_sets",
            openapi_extra=_body({"memberId": "00000000-0000-4000-8000-000000000000", "sequence": 0,
                                 "enabled": True}))
async def update_member(id: str, request: Request, session: SessionDep, ctx: ManageSetsDep) -> JSONResponse:
    set_uuid = _set_path_id(id)
    data = validate(MEMBER_UPDATE_FIELDS, await json_body(request))
    member = await _member(session, ctx, set_uuid, data["memberId"])
    before = audit.snapshot(member)
    for key in ("sequence", "enabled"):
        if key in data:
            setattr(member, key, data[key])
    entry = await _record(session, ctx, kind=MEMBER_KIND, action="update", row=member, before=before,
                          payload=data, event=member_snapshot(member))
    return _written({"ok": True}, entry)


@router.delete("/business_rules/sets/{id}/members", summary="Remove rule from set",
               description="Removes a business rule from a rule set (hard delete). "
                           "Requires features: business_rules.manage_sets",
               openapi_extra={"parameters": [_param("memberId", "string", "Member UUID", required=True)]})
async def remove_member(id: str, request: Request, session: SessionDep, ctx: ManageSetsDep) -> JSONResponse:
    set_uuid = _set_path_id(id)
    member_id = request.query_params.get("memberId")
    if not member_id:
        raise BadRequest("Member id is required")
    member = await _member(session, ctx, set_uuid, member_id)
    before = audit.snapshot(member)
    event = member_snapshot(member)
    await session.delete(member)
    await session.flush()
    entry = await _record(session, ctx, kind=MEMBER_KIND, action="delete", row=member, before=before,
                          payload={"memberId": member_id}, event=event)
    return _written({"ok": True}, entry)


# --- execution logs ------------------------------------------------------------------------

LOG_SORT: Final = {
    "id": RuleExecutionLog.id, "ruleId": BusinessRule.rule_id, "entityType": RuleExecutionLog.entity_type,
    "executionResult": RuleExecutionLog.execution_result, "executionTimeMs": RuleExecutionLog.execution_time_ms,
    "executedAt": RuleExecutionLog.executed_at,
}
EXECUTION_RESULTS: Final = ("SUCCESS", "FAILURE", "ERROR")


def _logs_in_scope(ctx: AuthContext) -> Select[RuleExecutionLog, BusinessRule]:
    stmt = select(RuleExecutionLog, BusinessRule).join(BusinessRule, BusinessRule.id == RuleExecutionLog.rule_id) \
        .where(RuleExecutionLog.tenant_id == ctx.tenant_id)
    org = _org(ctx)
    return stmt.where(RuleExecutionLog.organization_id == org) if org else stmt


@router.get("/business_rules/logs", summary="List rule execution logs",
            description="Returns rule execution history for the current tenant and organization with filtering "
                        "and pagination. Useful for audit trails and debugging. "
                        "Requires features: business_rules.view_logs",
            openapi_extra=_params(("id", "integer", "Log id"), *_PAGING,
                                  ("ruleId", "string", "Rule UUID"),
                                  ("entityId", "string", "Exact entity id"),
                                  ("entityType", "string", "Exact entity type"),
                                  ("executionResult", "string", "SUCCESS, FAILURE or ERROR"),
                                  ("executedBy", "string", "Exact executor"),
                                  ("executedAtFrom", "string", "Executed at or after (ISO date)"),
                                  ("executedAtTo", "string", "Executed at or before (ISO date)"),
                                  ("sortField", "string", "id, ruleId, entityType, executionResult, "
                                                          "executionTimeMs or executedAt (default)"),
                                  ("sortDir", "string", "asc or desc (default desc)")))
async def list_logs(request: Request, session: SessionDep, ctx: ViewLogsDep) -> dict[str, Any]:
    q = Query(request)
    page, page_size = q.page()
    log_id = q.integer("id", 0, 1, _MAX_BIGINT) if q.text("id") is not None else None
    rule_uuid = q.uuid("ruleId")
    result = q.choice("executionResult", EXECUTION_RESULTS)
    since, until = q.instant("executedAtFrom"), q.instant("executedAtTo")
    sort_name = q.choice("sortField", tuple(LOG_SORT), "executedAt")
    direction = q.choice("sortDir", ("asc", "desc"), "desc")
    stmt = _logs_in_scope(ctx)
    if log_id is not None:
        stmt = stmt.where(RuleExecutionLog.id == log_id)
    if rule_uuid:
        stmt = stmt.where(RuleExecutionLog.rule_id == rule_uuid)
    for name, column in (("entityId", RuleExecutionLog.entity_id), ("entityType", RuleExecutionLog.entity_type),
                         ("executedBy", RuleExecutionLog.executed_by)):
        if (value := q.text(name)) is not None:
            stmt = stmt.where(column == value)
    if result:
        stmt = stmt.where(RuleExecutionLog.execution_result == result)
    if since is not None:
        stmt = stmt.where(RuleExecutionLog.executed_at >= since)
    if until is not None:
        stmt = stmt.where(RuleExecutionLog.executed_at <= until)
    sort = LOG_SORT[sort_name or "executedAt"]
    tiebreak = RuleExecutionLog.id
    order = [sort.asc() if direction == "asc" else sort.desc(),
             tiebreak.asc() if direction == "asc" else tiebreak.desc()]
    rows, total = await _page(session, stmt, order, page, page_size)
    return _envelope([log_item(log, rule) for log, rule in rows], total, page_size)


@router.get("/business_rules/logs/{id}", summary="Get execution log detail",
            description="Returns detailed information about a specific rule execution, including full context "
                        "and results. Requires features: business_rules.view_logs")
async def get_log(id: str, session: SessionDep, ctx: ViewLogsDep) -> dict[str, Any]:
    if not re.fullmatch(r"\d+", id):
        raise BadRequest("Invalid log id")
    found = None
    if int(id) <= _MAX_BIGINT:
        found = (await session.execute(_logs_in_scope(ctx).where(RuleExecutionLog.id == int(id)))).first()
    if found is None:
        raise NotFound("Log entry not found")
    log, rule = found
    return log_detail(log, rule)


# --- execution -----------------------------------------------------------------------------


def _caller(ctx: AuthContext) -> dict[str, Any]:
    user = {"id": ctx.user_id, "email": ctx.email, "role": ctx.roles[0] if ctx.roles else None}
    return {k: v for k, v in user.items() if v is not None}


@router.post("/business_rules/execute", summary="Execute rules for given context",
             description="Manually executes applicable business rules for the specified entity type, event, and "
                         "data. Supports dry-run mode to test rules without executing actions. With `ruleSetId` "
                         "(a set's UUID or its setId) it runs exactly the enabled members of that set, in member "
                         "sequence. SET_FIELD results come back in `data`. "
                         "Requires features: business_rules.execute",
             openapi_extra=_body({"entityType": "string", "eventType": "string", "entityId": "string",
                                  "data": {}, "dryRun": False}))
async def execute(request: Request, session: SessionDep, ctx: ExecuteDep) -> dict[str, Any]:
    data = validate(EXECUTE_FIELDS, await json_body(request))
    rule_ctx = RuleContext(
        entity_type=data["entityType"], tenant_id=ctx.tenant_id or "", organization_id=_org(ctx) or "",
        data=data.get("data"), entity_id=data.get("entityId"), event_type=data.get("eventType"),
        user=_caller(ctx), executed_by=ctx.user_id or ctx.email, dry_run=data["dryRun"],
    )
    errors = validate_context(rule_ctx)
    if errors:
        raise BadRequest("Invalid execution context: " + ", ".join(errors))
    set_ref = data.get("ruleSetId") or data.get("setId")
    if set_ref:
        stmt = _sets_in_scope(ctx).where(RuleSet.deleted_at.is_(None))
        stmt = stmt.where(RuleSet.id == set_ref) if is_uuid(set_ref) else stmt.where(RuleSet.set_id == set_ref)
        rule_set = (await session.execute(stmt)).scalars().first()
        if rule_set is None:
            raise NotFound("Rule set not found")
        outcome = await service.execute_rule_set(session, rule_set, rule_ctx, emit_failures=True)
    else:
        outcome = await service.execute_discovered(session, rule_ctx, emit_failures=True)
    return outcome.to_response()


@router.post("/business_rules/execute/{ruleId}", summary="Execute a rule by ID",
             description="Executes one business rule by its UUID, whatever its entity and event type. Answers "
                         "404 when the rule does not exist; other refusals (disabled, not yet effective, expired) "
                         "are 200 with `success: false` and `error`. Requires features: business_rules.execute",
             openapi_extra=_body({"data": {}, "dryRun": False, "entityType": "string", "entityId": "string",
                                  "eventType": "string"}))
async def execute_one(ruleId: str, request: Request, session: SessionDep,  # noqa: N803 - the path name
                      ctx: ExecuteDep) -> JSONResponse:
    if not is_uuid(ruleId):
        raise BadRequest("Invalid rule ID")
    data = validate(EXECUTE_ONE_FIELDS, await json_body(request, empty={}))
    result = await service.execute_rule_by_id(
        session, id=ruleId, tenant_id=ctx.tenant_id or "", organization_id=_org(ctx) or "",
        entity_type=data.get("entityType"), entity_id=data.get("entityId"), event_type=data.get("eventType"),
        data=data.get("data"), user=_caller(ctx), executed_by=ctx.user_id or ctx.email, dry_run=data["dryRun"],
    )
    return JSONResponse(result.to_response(), status_code=404 if result.error == "Rule not found" else 200)
