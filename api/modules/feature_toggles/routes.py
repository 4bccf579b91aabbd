"""Feature toggles beyond the global collection: the tenant's overrides (list and change), one toggle's
override, and the checks any signed-in caller makes (`check/{type}`)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext, AuthDep, requires
from api.crud import service as kit
from api.crud import written
from api.crud.answers import json_answer, page, shape, with_keys
from api.crud.query import MAX_PAGE, Envelope, is_uuid
from api.crud.routes import read_json
from api.deps import SessionDep
from api.errors import BadRequest, NotFound, invalid
from api.modules.directory.models import Tenant
from api.modules.feature_toggles import service
from api.modules.feature_toggles.models import FeatureToggle, FeatureToggleOverride
from api.modules.feature_toggles.resources import MANAGE, TAG, overrides, require_super_admin
from api.modules.feature_toggles.schemas import OverrideChange

# The answers of the checks (the OpenAPI document).
CHECKED = shape(valueType="string", value="any", source="string", toggleId="string?", identifier="string",
                tenantId="string?")
ENABLED = shape(enabled="any", source="string", toggleId="string?", identifier="string", tenantId="string?")

router = APIRouter(tags=[TAG])
Managing = Annotated[AuthContext, Depends(requires(MANAGE))]
TENANT_REQUIRED = "Tenant context required. Please select a tenant."
SUPER = " Requires roles: superadmin"


async def _tenant(session: AsyncSession, ctx: AuthContext) -> Tenant:
    tenant = await session.get(Tenant, ctx.tenant_id) if ctx.tenant_id else None
    if tenant is None or tenant.deleted_at is not None:
        raise BadRequest(TENANT_REQUIRED)
    return tenant


def _override_state(toggle: FeatureToggle, override: FeatureToggleOverride | None) -> str:
    if override is None:
        return "inherit"
    if toggle.type == "boolean":
        return "enabled" if override.value is True else "disabled"
    return "override"


class OverrideQuery(BaseModel):
    category: str | None = None
    name: str | None = None
    identifier: str | None = None
    sortField: str | None = Field(default=None, pattern="^(identifier|name|category)$")  # noqa: N815
    sortDir: str | None = Field(default=None, pattern="^(asc|desc)$")  # noqa: N815
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    pageSize: int = Field(default=25, ge=1, le=100)  # noqa: N815


@router.get("/feature_toggles/overrides", summary="List overrides",
            description="Every global toggle with the current tenant's override, if any (`isOverride`, "
                        "`overrideState`: enabled, disabled, override or inherit). Filters `category`, `name`, "
                        "`identifier` (contains); `sortField` identifier, name or category." + SUPER,
            responses=json_answer(with_keys(page(Envelope.PAGED, shape(
                 id="string", toggleId="string", identifier="string", type="string", isOverride="boolean")),
                 isSuperAdmin="boolean")))
async def list_overrides(request: Request, session: SessionDep, ctx: Managing) -> dict[str, Any]:
    require_super_admin(ctx)
    try:
        query = OverrideQuery.model_validate(dict(request.query_params))
    except ValidationError:
        raise BadRequest("Invalid query parameters") from None
    tenant = await _tenant(session, ctx)
    stmt = select(FeatureToggle).where(FeatureToggle.deleted_at.is_(None))
    for name in ("category", "name", "identifier"):
        if wanted := getattr(query, name):
            stmt = stmt.where(getattr(FeatureToggle, name).ilike(f"%{wanted}%"))
    column = getattr(FeatureToggle, query.sortField or "identifier")
    stmt = stmt.order_by(column.desc() if query.sortDir == "desc" else column.asc(), FeatureToggle.id)
    toggles = (await session.execute(stmt)).scalars().all()
    by_toggle = {o.toggle_id: o for o in (await session.execute(
        select(FeatureToggleOverride).where(FeatureToggleOverride.tenant_id == tenant.id)
    )).scalars()}
    total = len(toggles)
    page = toggles[(query.page - 1) * query.pageSize:query.page * query.pageSize]
    items = []
    for toggle in page:
        override = by_toggle.get(toggle.id)
        items.append({
            "id": override.id if override else "", "toggleId": toggle.id, "tenantId": tenant.id,
            "tenantName": tenant.name, "identifier": toggle.identifier, "name": toggle.name,
            "category": toggle.category, "type": toggle.type, "isOverride": override is not None,
            "overrideState": _override_state(toggle, override), "overrideValue": override.value if override else None,
            "defaultValue": toggle.default_value,
            "defaultState": toggle.default_value if toggle.type == "boolean" else None,
        })
    return {"items": items, "total": total, "page": query.page, "pageSize": query.pageSize,
            "totalPages": math.ceil(total / query.pageSize) if total else 0, "isSuperAdmin": ctx.is_super_admin}


@router.put("/feature_toggles/overrides", summary="Change override state",
            description="`isOverride: true` gives the current tenant its own value (`overrideValue`, of the "
                        "toggle's type); `false` removes the override so the default applies again." + SUPER,
            openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}, "example": {
                "toggleId": "00000000-0000-4000-8000-000000000000", "isOverride": True, "overrideValue": False}}}}},
            responses=json_answer(shape(ok="true", overrideToggleId="string?")))
async def change_override(request: Request, session: SessionDep, ctx: Managing) -> JSONResponse:
    require_super_admin(ctx)
    raw = await read_json(request)
    try:
        body = OverrideChange.model_validate(raw)
    except ValidationError as exc:
        raise BadRequest("Invalid payload", invalid(exc).details) from None
    tenant = await _tenant(session, ctx)
    toggle = await session.get(FeatureToggle, body.toggle_id)
    if toggle is None or toggle.deleted_at is not None:
        raise NotFound("Not found")
    current = (await session.execute(
        select(FeatureToggleOverride).where(FeatureToggleOverride.toggle_id == toggle.id,
                                            FeatureToggleOverride.tenant_id == tenant.id)
    )).scalars().first()
    if not body.is_override:
        if current is None:
            return JSONResponse({"ok": True, "overrideToggleId": None})
        write = await kit.delete(overrides, ctx, session, current.id)
        return written({"ok": True, "overrideToggleId": None}, kit.entry_of(write))
    value = body.override_value
    if "override_value" not in body.model_fields_set or not service.fits(toggle.type, value):
        raise BadRequest("Invalid payload", [{"path": ["overrideValue"], "code": "invalid_type",
                                              "message": f"overrideValue must be a {toggle.type} value"}])
    if current is None:
        write = await kit.create(overrides, ctx, session, {"toggle_id": toggle.id, "value": value})
    else:
        write = await kit.update(overrides, ctx, session, current.id, {"value": value})
    return written({"ok": True, "overrideToggleId": write.row.id}, kit.entry_of(write))


@router.get("/feature_toggles/global/{id}/override", summary="Fetch feature toggle override",
            description="The current tenant's value of the toggle: its override (`id` set) or the default "
                        "(`id` empty)." + SUPER,
            responses=json_answer(shape(id="string", value="any")))
async def get_override(id: str, session: SessionDep, ctx: Managing) -> dict[str, Any]:
    require_super_admin(ctx)
    if not is_uuid(id):
        raise BadRequest("Invalid request")
    tenant = await _tenant(session, ctx)
    toggle = await session.get(FeatureToggle, id)
    if toggle is None or toggle.deleted_at is not None:
        raise NotFound("Feature toggle not found")
    override = (await session.execute(
        select(FeatureToggleOverride).where(FeatureToggleOverride.toggle_id == toggle.id,
                                            FeatureToggleOverride.tenant_id == tenant.id)
    )).scalars().first()
    return {"id": override.id if override else "", "value": override.value if override else toggle.default_value,
            "tenantName": tenant.name, "tenantId": tenant.id, "toggleType": toggle.type}


async def _check(request: Request, session: AsyncSession, ctx: AuthContext, wanted: str) -> service.Resolution:
    identifier = request.query_params.get("identifier")
    if not identifier:
        raise BadRequest("Missing required parameter: identifier")
    if not ctx.tenant_id:
        raise BadRequest(TENANT_REQUIRED)
    found = await service.resolve(session, identifier, ctx.tenant_id)
    if found is None:
        raise NotFound(f'Toggle "{identifier}" not found (missing).', extra={"code": "MISSING_TOGGLE"})
    if found.value_type != wanted:
        raise BadRequest(f'Toggle "{identifier}" has type "{found.value_type}" but "{wanted}" was requested.',
                         extra={"code": "TYPE_MISMATCH"})
    if not service.fits(wanted, found.value):
        raise BadRequest(f'Toggle "{identifier}" has invalid value for type "{wanted}".',
                         extra={"code": "INVALID_VALUE"})
    return found


def _answer(found: service.Resolution) -> dict[str, Any]:
    return {"valueType": found.value_type, "value": found.value, "source": found.source,
            "toggleId": found.toggle_id, "identifier": found.identifier, "tenantId": found.tenant_id}


CHECK = ("Resolves the toggle for the caller's tenant: its override, else the default (`source`). 404 when "
         "no toggle has the identifier, 400 when it has another type.")
IDENTIFIER = {"parameters": [{"name": "identifier", "in": "query", "required": True, "schema": {"type": "string"}}]}


@router.get("/feature_toggles/check/boolean", summary="Check if feature is enabled", description=CHECK,
            openapi_extra=IDENTIFIER,
            responses=json_answer(ENABLED))
async def check_boolean(request: Request, session: SessionDep, ctx: AuthDep) -> dict[str, Any]:
    found = await _check(request, session, ctx, "boolean")
    return {"enabled": found.value, "source": found.source, "toggleId": found.toggle_id,
            "identifier": found.identifier, "tenantId": found.tenant_id}


@router.get("/feature_toggles/check/string", summary="Get string config", description=CHECK,
            openapi_extra=IDENTIFIER,
            responses=json_answer(CHECKED))
async def check_string(request: Request, session: SessionDep, ctx: AuthDep) -> dict[str, Any]:
    return _answer(await _check(request, session, ctx, "string"))


@router.get("/feature_toggles/check/number", summary="Get number config", description=CHECK,
            openapi_extra=IDENTIFIER,
            responses=json_answer(CHECKED))
async def check_number(request: Request, session: SessionDep, ctx: AuthDep) -> dict[str, Any]:
    return _answer(await _check(request, session, ctx, "number"))


@router.get("/feature_toggles/check/json", summary="Get json config", description=CHECK,
            openapi_extra=IDENTIFIER,
            responses=json_answer(CHECKED))
async def check_json(request: Request, session: SessionDep, ctx: AuthDep) -> dict[str, Any]:
    return _answer(await _check(request, session, ctx, "json"))
