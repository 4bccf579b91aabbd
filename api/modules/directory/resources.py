"""Tenants and organizations as kit resources: the kit lists and finds them, writes their audit
entries and events; the module's service adds the rules the kit does not know (super admins,
the tree)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false

from api.auth import AuthContext
from api.crud import Features, Filter, Resource
from api.crud.casing import jsonable
from api.modules.directory.models import Organization, Tenant
from api.modules.directory.schemas import OrganizationCreate, OrganizationUpdate, TenantCreate, TenantUpdate

TENANTS_VIEW = "directory.tenants.view"
TENANTS_MANAGE = "directory.tenants.manage"
ORGS_VIEW = "directory.organizations.view"
ORGS_MANAGE = "directory.organizations.manage"


def visible_tenants(stmt: Select[Any], ctx: AuthContext) -> Select[Any]:
    """Super admins run the platform and see every tenant; anyone else only the one it belongs to."""
    if ctx.is_super_admin:
        return stmt
    return stmt.where(Tenant.id == ctx.tenant_id) if ctx.tenant_id else stmt.where(false())


def tenant_item(tenant: Tenant) -> dict[str, Any]:
    return {
        "id": tenant.id,
        "name": tenant.name,
        "isActive": tenant.is_active,
        "createdAt": jsonable(tenant.created_at),
        "updatedAt": jsonable(tenant.updated_at),
    }


def organization_item(org: Organization) -> dict[str, Any]:
    """The stored row as events and audit snapshots carry it."""
    return {
        "id": org.id,
        "tenantId": org.tenant_id,
        "name": org.name,
        "isActive": org.is_active,
        "parentId": org.parent_id,
        "rootId": org.root_id,
        "treePath": org.tree_path,
        "depth": org.depth,
        "ancestorIds": list(org.ancestor_ids or []),
        "childIds": list(org.child_ids or []),
        "descendantIds": list(org.descendant_ids or []),
        "createdAt": jsonable(org.created_at),
        "updatedAt": jsonable(org.updated_at),
        "deletedAt": jsonable(org.deleted_at),
    }


tenants = Resource(
    path="/directory/tenants",
    model=Tenant,
    entity="directory.tenant",
    create_schema=TenantCreate,
    update_schema=TenantUpdate,
    features=Features.view_manage(TENANTS_VIEW, TENANTS_MANAGE),
    tag="Directory",
    label="Tenant",
    search=("name",),
    sort=("id", "name", "created_at", "updated_at"),
    filters={"isActive": Filter(Tenant.is_active, "bool", "Active or not")},
    scope=visible_tenants,
    serialize=tenant_item,
)

organizations = Resource(
    path="/directory/organizations",
    model=Organization,
    entity="directory.organization",
    create_schema=OrganizationCreate,
    update_schema=OrganizationUpdate,
    features=Features.view_manage(ORGS_VIEW, ORGS_MANAGE),
    tag="Directory",
    label="Organization",
    search=("name",),
    sort=("id", "name", "created_at", "updated_at"),
    scope="tenant",
    serialize=organization_item,
)
