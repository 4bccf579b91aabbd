"""Directory reads the kit does not serve: the organization list's three views (options, tree,
manage) and the organization switcher. Writes are declared in `resources.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import ALL_ORGS, AuthContext
from api.casing import jsonable
from api.crud.query import Envelope, parse_bool, parse_int
from api.errors import BadRequest
from api.modules.directory.models import Tenant
from api.modules.directory.resources import ORGS_MANAGE
from api.modules.directory.tree import Placed, layout, nest, tenant_orgs

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
        return "all" if parse_bool(include, "includeInactive") else "active"
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


async def list_organizations(session: AsyncSession, ctx: AuthContext,
                             params: Mapping[str, str]) -> dict[str, Any]:
    view = _choice(params, "view", ("options", "manage", "tree")) or "options"
    status = _status(params, view)
    page = parse_int(params.get("page"), "page", 1, 1, 1_000_000)
    page_size = parse_int(params.get("pageSize"), "pageSize", 50, 1, 200)
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
        return {"items": nest(placed, lambda node: _tree_node(node, tenant_id))}

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
    return Envelope.PAGED.wrap(items, total, page, page_size)


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
    items = nest([p for p in placed if p.id in shown],
                 lambda node: {"id": node.id, "name": node.name, "depth": node.depth,
                               "selectable": node.id in selectable, "children": []})
    return items, selectable


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
