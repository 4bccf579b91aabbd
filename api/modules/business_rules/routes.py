"""The Business Rules API: rules and rule sets are kit collections (`resources.py`); this file adds
a set's detail and members, the execution logs and rule execution."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.auth import AuthContext, requires
from api.crud import Filter, Sort, written
from api.crud import service as crud
from api.crud.answers import OK, item, json_answer, many, page, shape, with_keys
from api.crud.query import ListSpec, fetch_page, list_parameters, parse, query_param
from api.crud.routes import read_json
from api.db import utcnow
from api.deps import SessionDep
from api.errors import BadRequest, Conflict, NotFound
from api.idempotency import idempotent
from api.modules.business_rules import service
from api.modules.business_rules.models import BusinessRule, RuleExecutionLog, RuleSet, RuleSetMember
from api.modules.business_rules.resources import (
    DIALECT,
    ENVELOPE,
    EXECUTE,
    MANAGE_SETS,
    TAG,
    VIEW,
    VIEW_LOGS,
    org_of,
    rule_sets,
    rules,
    sets_in_scope,
)
from api.modules.business_rules.serializers import log_detail, log_item, member_item, member_snapshot
from api.modules.business_rules.validation import (
    EXECUTE_FIELDS,
    EXECUTE_ONE_FIELDS,
    MEMBER_FIELDS,
    MEMBER_UPDATE_FIELDS,
    validate,
)
from rules import RuleContext, is_uuid, validate_context

MEMBER_KIND: Final = "business_rules.rule_set_member"

router = APIRouter(tags=[TAG])
ViewDep = Annotated[AuthContext, Depends(requires(VIEW))]
ManageSetsDep = Annotated[AuthContext, Depends(requires(MANAGE_SETS))]
ViewLogsDep = Annotated[AuthContext, Depends(requires(VIEW_LOGS))]
ExecuteDep = Annotated[AuthContext, Depends(requires(EXECUTE))]
_MAX_BIGINT: Final = 2**63 - 1


def _body(example: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object"}, "example": example}}}}


async def _rule(session: AsyncSession, ctx: AuthContext, rule_uuid: Any) -> BusinessRule:
    row: BusinessRule = await crud.get_row(rules, ctx, session, rule_uuid)
    return row


async def _set(session: AsyncSession, ctx: AuthContext, set_uuid: Any) -> RuleSet:
    row: RuleSet = await crud.get_row(rule_sets, ctx, session, set_uuid)
    return row


async def _record_member(session: AsyncSession, ctx: AuthContext, action: str, member: RuleSetMember,
                         before: dict[str, Any] | None, payload: Any, event: dict[str, Any]) -> Any:
    after = audit.snapshot(member) if action != "delete" else None
    return await crud.record(session, ctx, kind=MEMBER_KIND, action=action, row=member, label="rule set member",
                             before=before, after=after, event=event, payload=payload)


@router.get("/business_rules/sets/{id}", summary="Get rule set detail",
            description="Returns detailed information about a specific rule set, including all member rules. "
                        "Requires features: business_rules.view",
            responses=json_answer(with_keys(item(rule_sets), members=many(shape(id="string")))))
async def get_set(id: str, session: SessionDep, ctx: ViewDep) -> dict[str, Any]:
    if not is_uuid(id):
        raise BadRequest("Invalid rule set id")
    row = await _set(session, ctx, id)
    members = (await session.execute(
        select(RuleSetMember, BusinessRule).join(BusinessRule, BusinessRule.id == RuleSetMember.rule_id)
        .where(RuleSetMember.rule_set_id == row.id, RuleSetMember.tenant_id == ctx.tenant_id,
               RuleSetMember.organization_id == org_of(ctx))
        .order_by(RuleSetMember.sequence.asc(), RuleSetMember.id.asc())
    )).all()
    return {**crud.serialize(rule_sets, row), "members": [member_item(m, r) for m, r in members]}


# --- set members ---------------------------------------------------------------------------


def _set_path_id(id: str) -> str:
    if not is_uuid(id):
        raise BadRequest("Invalid rule set id")
    return id


@router.post("/business_rules/sets/{id}/members", status_code=201, summary="Add rule to set",
             description="Adds a business rule to a rule set with specified sequence and enabled state. "
                         "Requires features: business_rules.manage_sets",
             openapi_extra=_body({"ruleId": "00000000-0000-4000-8000-000000000000", "sequence": 0, "enabled": True}),
             responses=json_answer(shape(id="string"), 201))
async def add_member(id: str, request: Request, session: SessionDep, ctx: ManageSetsDep) -> JSONResponse:
    rule_set = await _set(session, ctx, _set_path_id(id))
    body = await read_json(request)
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
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("Rule is already a member of this set") from None
    entry = await _record_member(session, ctx, "create", member, None, body, member_snapshot(member))
    return written({"id": member.id}, entry, 201)


async def _member(session: AsyncSession, ctx: AuthContext, set_uuid: str, member_id: Any) -> RuleSetMember:
    row = None
    if isinstance(member_id, str):
        row = (await session.execute(select(RuleSetMember).where(
            RuleSetMember.id == member_id, RuleSetMember.rule_set_id == set_uuid,
            RuleSetMember.tenant_id == ctx.tenant_id, RuleSetMember.organization_id == org_of(ctx),
        ))).scalars().first()
    if row is None:
        raise NotFound("Member not found")
    return row  # type: ignore[no-any-return]


@router.put("/business_rules/sets/{id}/members", summary="Update set member",
            description="Updates sequence or enabled state of a rule set member. "
                        "Requires features: business_rules.manage_sets",
            openapi_extra=_body({"memberId": "00000000-0000-4000-8000-000000000000", "sequence": 0,
                                 "enabled": True}),
            responses=json_answer(OK))
async def update_member(id: str, request: Request, session: SessionDep, ctx: ManageSetsDep) -> JSONResponse:
    set_uuid = _set_path_id(id)
    data = validate(MEMBER_UPDATE_FIELDS, await read_json(request))
    member = await _member(session, ctx, set_uuid, data["memberId"])
    before = audit.snapshot(member)
    for key in ("sequence", "enabled"):
        if key in data:
            setattr(member, key, data[key])
    entry = await _record_member(session, ctx, "update", member, before, data, member_snapshot(member))
    return written({"ok": True}, entry)


@router.delete("/business_rules/sets/{id}/members", summary="Remove rule from set",
               description="Removes a business rule from a rule set (hard delete). "
                           "Requires features: business_rules.manage_sets",
               openapi_extra={"parameters": [query_param("memberId", "string", "Member UUID", required=True)]},
               responses=json_answer(OK))
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
    entry = await _record_member(session, ctx, "delete", member, before, {"memberId": member_id}, event)
    return written({"ok": True}, entry)


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
    org = org_of(ctx)
    return stmt.where(RuleExecutionLog.organization_id == org) if org else stmt


LOGS: Final = ListSpec(
    id_column=RuleExecutionLog.id,
    sort=Sort(named=LOG_SORT, default=RuleExecutionLog.executed_at, direction="desc", tiebreak=RuleExecutionLog.id,
              tiebreak_direction="same"),
    filters={
        "ruleId": Filter.uuid(RuleExecutionLog.rule_id, "Rule UUID"),
        "entityId": Filter.eq(RuleExecutionLog.entity_id, "Exact entity id"),
        "entityType": Filter.eq(RuleExecutionLog.entity_type, "Exact entity type"),
        "executionResult": Filter.eq(RuleExecutionLog.execution_result, ", ".join(EXECUTION_RESULTS),
                                     EXECUTION_RESULTS),
        "executedBy": Filter.eq(RuleExecutionLog.executed_by, "Exact executor"),
        "executedAtFrom": Filter.min(RuleExecutionLog.executed_at, "Executed at or after (ISO date)"),
        "executedAtTo": Filter.max(RuleExecutionLog.executed_at, "Executed at or before (ISO date)"),
    },
    # Logs sort only by the fields they name; ids are numbers here.
    dialect=replace(DIALECT, unknown_sort="error", uuid_ids=False),
    envelope=ENVELOPE,
)


@router.get("/business_rules/logs", summary="List rule execution logs",
            description="Returns rule execution history for the current tenant and organization with filtering "
                        "and pagination. Useful for audit trails and debugging. "
                        "Requires features: business_rules.view_logs",
            openapi_extra={"parameters": list_parameters(LOGS)},
            responses=json_answer(page(ENVELOPE, shape(id="string", ruleId="string", ruleName="string",
                                                          ruleType="string"))))
async def list_logs(request: Request, session: SessionDep, ctx: ViewLogsDep) -> dict[str, Any]:
    query = parse(request.query_params, LOGS)
    rows, total = await fetch_page(session, query.apply(_logs_in_scope(ctx)), query)
    return ENVELOPE.wrap([log_item(log, rule) for log, rule in rows], total, query.page, query.size)


@router.get("/business_rules/logs/{id}", summary="Get execution log detail",
            description="Returns detailed information about a specific rule execution, including full context "
                        "and results. Requires features: business_rules.view_logs",
            responses=json_answer(shape(id="string", rule=shape(id="string", ruleId="string", ruleName="string",
                                                                  ruleType="string", entityType="string"))))
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
                                  "data": {}, "dryRun": False}),
             responses=json_answer(shape(
                 "errors", "logIds", "data", allowed="boolean", totalExecutionTime="number", errors="array",
                 logIds=many({"type": "string"}), data="any",
                 executedRules=many(shape("error", "logId", ruleId="string", ruleName="string", ruleType="string",
                                          conditionResult="boolean", actionsExecuted="any", executionTime="number",
                                          error="string", logId="string")))))
@idempotent
async def execute(request: Request, session: SessionDep, ctx: ExecuteDep) -> dict[str, Any]:
    data = validate(EXECUTE_FIELDS, await read_json(request))
    rule_ctx = RuleContext(
        entity_type=data["entityType"], tenant_id=ctx.tenant_id or "", organization_id=org_of(ctx) or "",
        data=data.get("data"), entity_id=data.get("entityId"), event_type=data.get("eventType"),
        user=_caller(ctx), executed_by=ctx.user_id or ctx.email, dry_run=data["dryRun"],
    )
    errors = validate_context(rule_ctx)
    if errors:
        raise BadRequest("Invalid execution context: " + ", ".join(errors))
    set_ref = data.get("ruleSetId") or data.get("setId")
    if set_ref:
        stmt = sets_in_scope(select(RuleSet), ctx).where(RuleSet.deleted_at.is_(None))
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
                                  "eventType": "string"}),
             responses=json_answer(shape(
                 "error", "logId", "data", "allowed", success="boolean", ruleId="string", ruleName="string",
                 conditionResult="boolean", actionsExecuted="any", executionTime="number", error="string",
                 logId="string", data="any", allowed="boolean")))
async def execute_one(ruleId: str, request: Request, session: SessionDep,  # noqa: N803 - the path name
                      ctx: ExecuteDep) -> JSONResponse:
    if not is_uuid(ruleId):
        raise BadRequest("Invalid rule ID")
    data = validate(EXECUTE_ONE_FIELDS, await read_json(request, empty={}))
    result = await service.execute_rule_by_id(
        session, id=ruleId, tenant_id=ctx.tenant_id or "", organization_id=org_of(ctx) or "",
        entity_type=data.get("entityType"), entity_id=data.get("entityId"), event_type=data.get("eventType"),
        data=data.get("data"), user=_caller(ctx), executed_by=ctx.user_id or ctx.email, dry_run=data["dryRun"],
    )
    return JSONResponse(result.to_response(), status_code=404 if result.error == "Rule not found" else 200)
