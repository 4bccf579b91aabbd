from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from api.auth import AuthContext, AuthDep, requires
from api.crud.answers import json_answer, many, shape
from api.crud.query import query_param
from api.deps import SessionDep
from api.modules.directory import service
from api.modules.directory.resources import (
    ORGS_VIEW,
    TAG,
)

router = APIRouter(tags=[TAG])
ViewOrgs = Annotated[AuthContext, Depends(requires(ORGS_VIEW))]


@router.get("/directory/organization-switcher", summary="Load organization switcher menu",
            description="Returns the hierarchical menu of organizations the current user may switch to within "
                        "the active tenant.",
            responses=json_answer(shape(tenantId="string?", tenants="array", isSuperAdmin="boolean")))
async def organization_switcher(request: Request, session: SessionDep, ctx: AuthDep) -> dict[str, Any]:
    selected = request.cookies.get("om_selected_org") or request.headers.get("x-om-selected-org")
    return await service.organization_switcher(session, ctx, selected)


@router.get("/directory/organizations", summary="List organizations",
            description="Returns organizations using options, tree, or paginated manage view depending on the "
                        "`view` parameter. Requires features: directory.organizations.view",
            openapi_extra={"parameters": [
                query_param("page", "number", "1-based page number (manage view)"),
                query_param("pageSize", "number", "Items per page, at most 200 (manage view)"),
                query_param("search", "string", "Name or path contains (options and manage views)"),
                query_param("view", "string", "options (default), manage or tree"),
                query_param("ids", "string", "Comma-separated ids"),
                query_param("tenantId", "string", "Tenant (super admins; others only see their own)"),
                query_param("includeInactive", "string", "true: include inactive organizations"),
                query_param("status", "string", "all, active or inactive"),
            ]},
            responses=json_answer(shape(items=many(shape(id="string", name="string")))))
async def list_organizations(request: Request, session: SessionDep, ctx: ViewOrgs) -> dict[str, Any]:
    return await service.list_organizations(session, ctx, request.query_params)
