"""Directory rules: who may touch which tenant, the organization tree's writes (parents, children,
cycles) and its three list views, and the organization switcher."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.auth import ALL_ORGS, AuthContext
from api.crud import service
from api.crud.casing import jsonable
from api.db import Base, new_id, utcnow
from api.errors import BadRequest, Conflict, Forbidden
from api.modules.audit_logs.models import ActionLog
from api.modules.auth.models import User
from api.modules.directory.models import Organization, Tenant
from api.modules.directory.resources import ORGS_MANAGE, organizations, tenants
from api.modules.directory.schemas import OrganizationCreate, OrganizationUpdate, TenantCreate, TenantUpdate
from api.modules.directory.tree import CYCLE_ERROR, Placed, has_cycle, layout, rebuild_tree, tenant_orgs


def _payload(body: Any) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude_unset=True)  # type: ignore[no-any-return]


# --- tenants -------------------------------------------------------------------------------------

async def list_tenants(session: AsyncSession, ctx: AuthContext, params: Mapping[str, str]) -> dict[str, Any]:
    query = dict(params)
    query.setdefault("sortField", "name")
    return await service.list_rows(tenants, ctx, session, query)


def _require_super_admin(ctx: AuthContext, action: str) -> None:
    # A tenant is the boundary of everyone's data: making or removing one is the platform operator's
    # job, never a tenant administrator's, even with directory.tenants.manage.
    if not ctx.is_super_admin:
        raise Forbidden(f"Only super administrators can {action} tenants")


async def create_tenant(session: AsyncSession, ctx: AuthContext, body: TenantCreate) -> tuple[Tenant, ActionLog]:
    _require_super_admin(ctx, "create")
    tenant = Tenant(id=new_id(), name=body.name, is_active=body.is_active)
    session.add(tenant)
    await session.flush()
    entry = await service.write_log(session, tenants, ctx, "create", tenant, None, audit.snapshot(tenant),
                                    payload=_payload(body))
    return tenant, entry


async def update_tenant(session: AsyncSession, ctx: AuthContext, body: TenantUpdate) -> tuple[Tenant, ActionLog]:
    # The kit's scope lets a tenant administrator find only its own tenant: any other id is a 404.
    tenant, entry = await service.update(tenants, ctx, session, body.id, body)
    return tenant, entry


async def delete_tenant(session: AsyncSession, ctx: AuthContext, tenant_id: str) -> tuple[Tenant, ActionLog]:
    _require_super_admin(ctx, "delete")
    tenant: Tenant = await service.get_row(tenants, ctx, session, tenant_id)
    before = audit.snapshot(tenant)
    tenant.is_active = False
    tenant.deleted_at = utcnow()
    await session.flush()
    entry = await service.write_log(session, tenants, ctx, "delete", tenant, before, audit.snapshot(tenant),
                                    payload={"id": tenant_id})
    return tenant, entry


# --- organization writes ---------------------------------------------------------------------------

async def rebuild_after_undo(session: AsyncSession, row: Base) -> None:
    """Undo and redo put one organization row back; its neighbours' tree columns follow."""
    tenant_id = getattr(row, "tenant_id", None)
    if tenant_id:
        await session.flush()
        await rebuild_tree(session, tenant_id)


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in ids if i))


def _check_children(child_ids: list[str], orgs: Mapping[str, Organization]) -> None:
    if any(c not in orgs for c in child_ids):
        raise BadRequest("Invalid child assignment")


async def create_organization(session: AsyncSession, ctx: AuthContext,
                              body: OrganizationCreate) -> tuple[Organization, ActionLog]:
    tenant_id = ctx.require_tenant()
    orgs = {o.id: o for o in await tenant_orgs(session, tenant_id)}
    if body.parent_id and body.parent_id not in orgs:
        raise BadRequest("Parent not found")
    child_ids = _unique(body.child_ids or [])
    _check_children(child_ids, orgs)
    org = Organization(id=new_id(), tenant_id=tenant_id, name=body.name, is_active=body.is_active,
                       parent_id=body.parent_id or None)
    parents: dict[str, str | None] = {o.id: o.parent_id for o in orgs.values()}
    parents[org.id] = org.parent_id
    for child in child_ids:
        parents[child] = org.id
    # Checked on the planned parents before anything is written, so a refusal changes nothing.
    if has_cycle(parents):
        raise BadRequest(CYCLE_ERROR)
    session.add(org)
    for child in child_ids:
        orgs[child].parent_id = org.id
    await session.flush()
    await rebuild_tree(session, tenant_id)
    entry = await service.write_log(session, organizations, ctx, "create", org, None, audit.snapshot(org),
                                    payload=_payload(body))
    return org, entry


async def update_organization(session: AsyncSession, ctx: AuthContext,
                              body: OrganizationUpdate) -> tuple[Organization, ActionLog]:
    org: Organization = await service.get_row(organizations, ctx, session, body.id)
    before = audit.snapshot(org)
    orgs = {o.id: o for o in await tenant_orgs(session, org.tenant_id)}
    given = body.model_fields_set
    parents: dict[str, str | None] = {o.id: o.parent_id for o in orgs.values()}
    if "parent_id" in given:
        if body.parent_id and body.parent_id != org.id and body.parent_id not in orgs:
            raise BadRequest("Parent not found")
        parents[org.id] = body.parent_id or None
    child_ids: list[str] | None = None
    if body.child_ids is not None:
        child_ids = _unique(body.child_ids)
        _check_children(child_ids, orgs)
        for current in (o.id for o in orgs.values() if o.parent_id == org.id):
            if current not in child_ids:
                parents[current] = None
        for child in child_ids:
            parents[child] = org.id
    if has_cycle(parents):
        raise BadRequest(CYCLE_ERROR)
    if body.name is not None:
        org.name = body.name
    if body.is_active is not None:
        org.is_active = body.is_active
    for oid, parent in parents.items():
        if orgs[oid].parent_id != parent:
            orgs[oid].parent_id = parent
    org.updated_at = utcnow()
    await session.flush()
    await rebuild_tree(session, org.tenant_id)
    entry = await service.write_log(session, organizations, ctx, "update", org, before, audit.snapshot(org),
                                    payload=_payload(body))
    return org, entry


async def delete_organization(session: AsyncSession, ctx: AuthContext,
                              org_id: str) -> tuple[Organization, ActionLog]:
    org: Organization = await service.get_row(organizations, ctx, session, org_id)
    # Refused rather than cascading: children and members would silently land elsewhere (or lose
    # their scope), which is rarely what the person deleting meant.
    children = (await session.execute(
        select(func.count()).select_from(Organization)
        .where(Organization.parent_id == org.id, Organization.tenant_id == org.tenant_id,
               Organization.deleted_at.is_(None))
    )).scalar_one()
    if children:
        raise Conflict("Organization has child organizations; move or delete them first")
    members = (await session.execute(
        select(func.count()).select_from(User)
        .where(User.organization_id == org.id, User.deleted_at.is_(None))
    )).scalar_one()
    if members:
        raise Conflict("Organization has users assigned; move or delete them first")
    before = audit.snapshot(org)
    org.is_active = False
    org.deleted_at = utcnow()
    await session.flush()
    await rebuild_tree(session, org.tenant_id)
    entry = await service.write_log(session, organizations, ctx, "delete", org, before, audit.snapshot(org),
                                    payload={"id": org_id})
    return org, entry


# --- organization reads ----------------------------------------------------------------------------

def _choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if raw not in allowed:
        raise BadRequest("Invalid input", [{"path": [name], "message": f"Expected one of {', '.join(allowed)}"}])
    return raw


def _status(params: Mapping[str, str], view: str) -> str:
    status = _choice(params, "status", ("all", "active", "inactive"))
    if status:
        return status
    include = params.get("includeInactive")
    if include not in (None, ""):
        return "all" if service.parse_bool(include, "includeInactive") else "active"
    # A picker offers active organizations; the management screens show everything.
    return "active" if view == "options" else "all"


def _matches(node: Placed, status: str, ids: set[str] | None, search: str) -> bool:
    if status == "active" and not node.is_active:
        return False
    if status == "inactive" and node.is_active:
        return False
    if ids is not None and node.id not in ids:
        return False
    return not search or search in node.name.lower() or search in node.path_label.lower()


def _tree_node(node: Placed, tenant_id: str) -> dict[str, Any]:
    return {
        "id": node.id, "name": node.name, "parentId": node.parent_id, "tenantId": tenant_id,
        "depth": node.depth, "ancestorIds": node.ancestor_ids, "childIds": node.child_ids,
        "descendantIds": node.descendant_ids, "isActive": node.is_active, "treePath": node.tree_path,
        "pathLabel": node.path_label, "children": [],
    }


def _nest(placed: list[Placed], tenant_id: str) -> list[dict[str, Any]]:
    """Pre-order nodes as nested `children` lists (a parent always comes before its children)."""
    roots: list[dict[str, Any]] = []
    built: dict[str, dict[str, Any]] = {}
    for node in placed:
        item = _tree_node(node, tenant_id)
        built[node.id] = item
        parent = built.get(node.parent_id) if node.parent_id else None
        (parent["children"] if parent is not None else roots).append(item)
    return roots


async def list_organizations(session: AsyncSession, ctx: AuthContext,
                             params: Mapping[str, str]) -> dict[str, Any]:
    view = _choice(params, "view", ("options", "manage", "tree")) or "options"
    status = _status(params, view)
    page = service.parse_int(params.get("page"), "page", 1, 1, 1_000_000)
    page_size = service.parse_int(params.get("pageSize"), "pageSize", 50, 1, 200)
    tenant_id = ctx.require_tenant()
    requested = (params.get("tenantId") or "").strip()
    if requested and requested != tenant_id:
        if not ctx.is_super_admin:
            # Another tenant's organizations are never visible: an empty answer, like any filter.
            return {"items": []} if view != "manage" else \
                {"items": [], "total": 0, "page": page, "pageSize": page_size, "totalPages": 0}
        tenant_id = requested
    tenant = await session.get(Tenant, tenant_id)
    tenant_name = tenant.name if tenant is not None and tenant.deleted_at is None else None
    orgs = await tenant_orgs(session, tenant_id)
    placed = layout(orgs)
    if view == "tree":
        return {"items": _nest(placed, tenant_id)}

    raw_ids = params.get("ids")
    ids = {i.strip() for i in raw_ids.split(",") if i.strip()} if raw_ids else None
    search = (params.get("search") or "").strip().lower()
    names = {p.id: p.name for p in placed}
    rows = [p for p in placed if _matches(p, status, ids, search)]
    if view == "options":
        rows.sort(key=lambda p: (p.name.lower(), p.id))
        return {"items": [{
            "id": p.id, "name": p.name, "parentId": p.parent_id,
            "parentName": names.get(p.parent_id) if p.parent_id else None,
            "tenantId": tenant_id, "tenantName": tenant_name, "isActive": p.is_active, "depth": p.depth,
            "rootId": p.root_id, "treePath": p.tree_path,
        } for p in rows]}

    stored = {o.id: o for o in orgs}
    total = len(rows)
    window = rows[(page - 1) * page_size: page * page_size]
    items = [{
        "id": p.id, "name": p.name, "tenantId": tenant_id, "tenantName": tenant_name,
        "parentId": p.parent_id, "parentName": names.get(p.parent_id) if p.parent_id else None,
        "depth": p.depth, "rootId": p.root_id, "treePath": p.tree_path, "pathLabel": p.path_label,
        "ancestorIds": p.ancestor_ids, "childIds": p.child_ids, "descendantIds": p.descendant_ids,
        "childrenCount": len(p.child_ids), "descendantsCount": len(p.descendant_ids), "isActive": p.is_active,
        "createdAt": jsonable(stored[p.id].created_at), "updatedAt": jsonable(stored[p.id].updated_at),
    } for p in window]
    return {"items": items, "total": total, "page": page, "pageSize": page_size,
            "totalPages": math.ceil(total / page_size) if total else 0}


# --- organization switcher ---------------------------------------------------------------------------

def _menu(placed: list[Placed], accessible: list[str] | None) -> tuple[list[dict[str, Any]], set[str]]:
    """The tree a caller may switch within: its accessible organizations and their descendants are
    selectable; their ancestors are shown (not selectable) so the menu keeps its shape."""
    by_id = {p.id: p for p in placed}
    if accessible is None:
        selectable = set(by_id)
        shown = set(by_id)
    else:
        selectable, shown = set(), set()
        for oid in accessible:
            node = by_id.get(oid)
            if node is None:
                continue
            selectable.update([oid, *node.descendant_ids])
            shown.update([oid, *node.descendant_ids, *node.ancestor_ids])
    roots: list[dict[str, Any]] = []
    built: dict[str, dict[str, Any]] = {}
    for node in placed:
        if node.id not in shown:
            continue
        item = {"id": node.id, "name": node.name, "depth": node.depth, "selectable": node.id in selectable,
                "children": []}
        built[node.id] = item
        parent = built.get(node.parent_id) if node.parent_id else None
        (parent["children"] if parent is not None else roots).append(item)
    return roots, selectable


async def organization_switcher(session: AsyncSession, ctx: AuthContext,
                                selected_cookie: str | None) -> dict[str, Any]:
    tenant_list: list[dict[str, Any]] = []
    if ctx.is_super_admin:
        rows = (await session.execute(
            select(Tenant).where(Tenant.deleted_at.is_(None)).order_by(Tenant.name, Tenant.id)
        )).scalars().all()
        tenant_list = [{"id": t.id, "name": t.name, "isActive": t.is_active} for t in rows]
    can_manage = ctx.can(ORGS_MANAGE)
    answer: dict[str, Any] = {"items": [], "selectedId": None, "canManage": can_manage,
                              "tenantId": ctx.tenant_id, "tenants": tenant_list,
                              "isSuperAdmin": ctx.is_super_admin}
    if not ctx.tenant_id:
        return answer
    placed = layout(await tenant_orgs(session, ctx.tenant_id))
    accessible = None if ctx.is_super_admin else ctx.allowed_orgs
    items, selectable = _menu(placed, accessible)
    selected: str | None = None
    if selected_cookie and selected_cookie != ALL_ORGS and selected_cookie in selectable:
        selected = selected_cookie
    elif selected_cookie != ALL_ORGS and ctx.org_id in selectable:
        # No cookie, or a stale one: the caller's own organization.
        selected = ctx.org_id
    answer.update(items=items, selectedId=selected)
    return answer
