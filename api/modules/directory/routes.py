from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api import audit
from api.auth import AuthContext, AuthDep, requires
from api.crud.routes import delete_id
from api.deps import SessionDep
from api.features import declare
from api.modules.audit_logs.models import ActionLog
from api.modules.directory import service
from api.modules.directory.models import Organization, Tenant
from api.modules.directory.resources import (
    ORGS_MANAGE,
    ORGS_VIEW,
    TENANTS_MANAGE,
    TENANTS_VIEW,
    organization_item,
    organizations,
    tenant_item,
    tenants,
)
from api.modules.directory.schemas import OrganizationCreate, OrganizationUpdate, TenantCreate, TenantUpdate
from api.modules.directory.tree import TREE_COLUMNS

declare("directory", "Directory", {
    TENANTS_VIEW: "View tenants",
    TENANTS_MANAGE: "Manage tenants",
    ORGS_VIEW: "View organizations",
    ORGS_MANAGE: "Manage organizations",
})
audit.register(tenants.entity, Tenant, serialize=tenant_item,
               features={"create": TENANTS_MANAGE, "update": TENANTS_MANAGE, "delete": TENANTS_MANAGE})
# Undo puts one organization back; the tree columns of it and its neighbours are recomputed, and
# drift in them is not someone else's later edit.
audit.register(organizations.entity, Organization, after_apply=service.rebuild_after_undo,
               serialize=organization_item, derived=TREE_COLUMNS,
               features={"create": ORGS_MANAGE, "update": ORGS_MANAGE, "delete": ORGS_MANAGE})

router = APIRouter(tags=["Directory"])

ViewTenants = Annotated[AuthContext, Depends(requires(TENANTS_VIEW))]
ManageTenants = Annotated[AuthContext, Depends(requires(TENANTS_MANAGE))]
ViewOrgs = Annotated[AuthContext, Depends(requires(ORGS_VIEW))]
ManageOrgs = Annotated[AuthContext, Depends(requires(ORGS_MANAGE))]
# Declared after the caller in each signature, so a refused caller never learns about the body.
DeleteId = Annotated[str, Depends(delete_id)]


def _query(name: str, kind: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": description}


def _answer(body: dict[str, Any], entry: ActionLog, status_code: int = 200) -> JSONResponse:
    out = JSONResponse(body, status_code=status_code)
    audit.operation_header(out, entry)
    return out


@router.get("/directory/organization-switcher", summary="Load organization switcher menu",
            description="Returns the hierarchical menu of organizations the current user may switch to within "
                        "the active tenant.")
async def organization_switcher(request: Request, session: SessionDep, ctx: AuthDep) -> dict[str, Any]:
    selected = request.cookies.get("om_selected_org") or request.headers.get("x-om-selected-org")
    return await service.organization_switcher(session, ctx, selected)


@router.get("/directory/organizations", summary="List organizations",
            description="Returns organizations using options, tree, or paginated manage view depending on the "
                        "`view` parameter. Requires features: directory.organizations.view",
            openapi_extra={"parameters": [
                _query("page", "number", "1-based page number (manage view)"),
                _query("pageSize", "number", "Items per page, at most 200 (manage view)"),
                _query("search", "string", "Name or path contains (options and manage views)"),
                _query("view", "string", "options (default), manage or tree"),
                _query("ids", "string", "Comma-separated ids"),
                _query("tenantId", "string", "Tenant (super admins; others only see their own)"),
                _query("includeInactive", "string", "true: include inactive organizations"),
                _query("status", "string", "all, active or inactive"),
            ]})
async def list_organizations(request: Request, session: SessionDep, ctx: ViewOrgs) -> dict[str, Any]:
    return await service.list_organizations(session, ctx, request.query_params)


@router.post("/directory/organizations", status_code=201, summary="Create organization",
             description="Creates a new organization within a tenant and optionally assigns hierarchy "
                         "relationships. Requires features: directory.organizations.manage")
async def create_organization(body: OrganizationCreate, session: SessionDep, ctx: ManageOrgs) -> JSONResponse:
    org, entry = await service.create_organization(session, ctx, body)
    return _answer({"id": org.id}, entry, 201)


@router.put("/directory/organizations", summary="Update organization",
            description="Updates organization details and hierarchy assignments. "
                        "Requires features: directory.organizations.manage")
async def update_organization(body: OrganizationUpdate, session: SessionDep, ctx: ManageOrgs) -> JSONResponse:
    _, entry = await service.update_organization(session, ctx, body)
    return _answer({"ok": True}, entry)


@router.delete("/directory/organizations", summary="Delete organization",
               description="Soft deletes an organization identified by id (`?id=` or `{\"id\"}` in the body). "
                           "Organizations with children or users are refused (409). "
                           "Requires features: directory.organizations.manage",
               openapi_extra={"parameters": [_query("id", "string", "Id of the organization")]})
async def delete_organization(ctx: ManageOrgs, org_id: DeleteId, session: SessionDep) -> JSONResponse:
    _, entry = await service.delete_organization(session, ctx, org_id)
    return _answer({"ok": True}, entry)


@router.get("/directory/tenants", summary="List tenants",
            description="Returns tenants visible to the current user with optional search and pagination. "
                        "Super admins see every tenant, everyone else only its own. "
                        "Requires features: directory.tenants.view",
            openapi_extra={"parameters": [
                _query("id", "string", "Only this tenant"),
                _query("page", "number", "1-based page number"),
                _query("pageSize", "number", "Items per page, at most 100"),
                _query("search", "string", "Name contains"),
                _query("sortField", "string", "name (default), createdAt or updatedAt"),
                _query("sortDir", "string", "asc or desc"),
                _query("isActive", "string", "true or false"),
            ]})
async def list_tenants(request: Request, session: SessionDep, ctx: ViewTenants) -> dict[str, Any]:
    return await service.list_tenants(session, ctx, request.query_params)


@router.post("/directory/tenants", status_code=201, summary="Create tenant",
             description="Creates a new tenant and returns its identifier. Super admins only. "
                         "Requires features: directory.tenants.manage")
async def create_tenant(body: TenantCreate, session: SessionDep, ctx: ManageTenants) -> JSONResponse:
    tenant, entry = await service.create_tenant(session, ctx, body)
    return _answer({"id": tenant.id}, entry, 201)


@router.put("/directory/tenants", summary="Update tenant",
            description="Updates tenant properties such as name or activation state. "
                        "Requires features: directory.tenants.manage")
async def update_tenant(body: TenantUpdate, session: SessionDep, ctx: ManageTenants) -> JSONResponse:
    _, entry = await service.update_tenant(session, ctx, body)
    return _answer({"ok": True}, entry)


@router.delete("/directory/tenants", summary="Delete tenant",
               description="Soft deletes the tenant identified by id (`?id=` or `{\"id\"}` in the body). "
                           "Super admins only. Requires features: directory.tenants.manage",
               openapi_extra={"parameters": [_query("id", "string", "Id of the tenant")]})
async def delete_tenant(ctx: ManageTenants, tenant_id: DeleteId, session: SessionDep) -> JSONResponse:
    _, entry = await service.delete_tenant(session, ctx, tenant_id)
    return _answer({"ok": True}, entry)
