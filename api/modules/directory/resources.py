"""Tenants and organizations as kit collections. The kit lists, finds, audits and announces them; the
hooks add what the kit does not know: only super administrators make or remove tenants, and every
organization write keeps the tree consistent (no cycles, children and tree columns recomputed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.auth import AuthContext
from api.crud import Features, Fields, Filter, Hooks, Resource, Sort, Write
from api.errors import BadRequest, Conflict, Forbidden
from api.modules.auth.models import User
from api.modules.directory.models import Organization, Tenant
from api.modules.directory.schemas import OrganizationCreate, OrganizationUpdate, TenantCreate, TenantUpdate
from api.modules.directory.tree import CYCLE_ERROR, TREE_COLUMNS, has_cycle, rebuild_tree, tenant_orgs

TAG = "Directory"
TENANTS_VIEW = "directory.tenants.view"
TENANTS_MANAGE = "directory.tenants.manage"
ORGS_VIEW = "directory.organizations.view"
ORGS_MANAGE = "directory.organizations.manage"
# The audit snapshot key of the organizations an update moved (`_plan`).
MOVED = "_moved"


# --- tenants -----------------------------------------------------------------------------------------

def visible_tenants(stmt: Select[Any], ctx: AuthContext) -> Select[Any]:
    """Super admins run the platform and see every tenant; anyone else only the one it belongs to."""
    if ctx.is_super_admin:
        return stmt
    return stmt.where(Tenant.id == ctx.tenant_id) if ctx.tenant_id else stmt.where(false())


def _super_admin_only(ctx: AuthContext, action: str) -> None:
    # A tenant is the boundary of everyone's data: making or removing one is the platform operator's
    # job, never a tenant administrator's, even with directory.tenants.manage.
    if action in ("create", "delete") and not ctx.is_super_admin:
        raise Forbidden(f"Only super administrators can {action} tenants")


async def _deactivate(write: Write) -> None:
    write.values["is_active"] = False


tenants = Resource(
    path="/directory/tenants",
    model=Tenant,
    entity="directory.tenant",
    create_schema=TenantCreate,
    update_schema=TenantUpdate,
    features=Features.view_manage(TENANTS_VIEW, TENANTS_MANAGE),
    tag=TAG,
    label="Tenant",
    descriptions={
        "list": "Returns tenants visible to the current user with optional search and pagination. Super admins "
                "see every tenant, everyone else only its own.",
        "create": "Creates a new tenant and returns its identifier. Super admins only.",
        "update": "Updates tenant properties such as name or activation state.",
        "delete": "Soft deletes the tenant identified by id (`?id=` or `{\"id\"}` in the body). Super admins only.",
    },
    search=(Tenant.name,),
    sort=Sort((Tenant.name, Tenant.created_at, Tenant.updated_at), default=Tenant.name),
    filters={"isActive": Filter.eq(Tenant.is_active, "Active or not")},
    scope=visible_tenants,
    fields=Fields("id", "name", "is_active", "created_at", "updated_at"),
    hooks=Hooks(authorize=_super_admin_only, before_delete=_deactivate),
)


# --- organizations -----------------------------------------------------------------------------------

def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in ids if i))


def _check_children(child_ids: list[str], orgs: Mapping[str, Organization]) -> None:
    if any(c not in orgs for c in child_ids):
        raise BadRequest("Invalid child assignment")


async def _plan(write: Write) -> None:
    """The parents every organization of the tenant will have after this write, checked for cycles
    before anything is written (so a refusal changes nothing); `after` hooks carry the plan out."""
    org: Organization = write.row
    tenant_id = org.tenant_id or write.ctx.require_tenant()
    orgs = {o.id: o for o in await tenant_orgs(write.session, tenant_id)}
    parents: dict[str, str | None] = {o.id: o.parent_id for o in orgs.values()}
    creating = org.id not in orgs
    parent_given = "parent_id" in write.given
    parent_id = write.values.pop("parent_id", None)
    if parent_given or creating:
        if parent_id and parent_id != org.id and parent_id not in orgs:
            raise BadRequest("Parent not found")
        parents[org.id] = parent_id or None
    body_children = write.body.child_ids
    write.values.pop("child_ids", None)
    if body_children is not None:
        child_ids = _unique(body_children)
        _check_children(child_ids, orgs)
        for current in (o.id for o in orgs.values() if o.parent_id == org.id):
            if current not in child_ids:
                parents[current] = None
        for child in child_ids:
            parents[child] = org.id
    if has_cycle(parents):
        raise BadRequest(CYCLE_ERROR)
    write.extra.update(orgs=orgs, parents=parents)
    # Other organizations this write moves (`childIds`): their parents before and after go into the audit snapshots,
    # as [parent to put back, parent expected now], so that undo and redo move them too (`_move_back`).
    moved = {oid: (orgs[oid].parent_id, parent) for oid, parent in parents.items()
             if oid != org.id and oid in orgs and orgs[oid].parent_id != parent}
    if moved and write.before is not None:
        write.before[MOVED] = {oid: [old, new] for oid, (old, new) in moved.items()}
        sa_inspect(org).info[MOVED] = {oid: [new, old] for oid, (old, new) in moved.items()}
    if creating:
        org.parent_id = parents[org.id]


async def _regrow(write: Write) -> None:
    org: Organization = write.row
    orgs: dict[str, Organization] = write.extra.get("orgs", {})
    orgs[org.id] = org
    for oid, parent in write.extra.get("parents", {}).items():
        if oid in orgs and orgs[oid].parent_id != parent:
            orgs[oid].parent_id = parent
    await write.session.flush()
    await rebuild_tree(write.session, org.tenant_id)


async def _moved(session: AsyncSession, org: Organization) -> dict[str, Any]:
    """`snapshot_extra`: in the snapshot taken after an update, the organizations it moved (`_plan` left them on the
    row); nothing otherwise."""
    moved = sa_inspect(org).info.pop(MOVED, None)
    return {MOVED: moved} if moved else {}


async def _move_back(session: AsyncSession, org: Organization, snap: dict[str, Any]) -> None:
    """`restore_extra`: the organizations the undone (or redone) update moved go where the snapshot puts them,
    refused if one was moved again since; deleted ones stay deleted. `after_undo` rebuilds the tree (and refuses a
    cycle)."""
    pairs = snap.get(MOVED)
    if not isinstance(pairs, dict):
        return
    for oid, (target, expected) in sorted(pairs.items()):
        other = await session.get(Organization, oid)
        if other is None or other.deleted_at is not None or other.tenant_id != org.tenant_id:
            continue
        if other.parent_id != expected:
            raise BadRequest(audit.CHANGED_SINCE)
        other.parent_id = target


async def _refuse_occupied(write: Write) -> None:
    # Refused rather than cascading: children and members would silently land elsewhere (or lose
    # their scope), which is rarely what the person deleting meant.
    org: Organization = write.row
    children = (await write.session.execute(
        select(func.count()).select_from(Organization)
        .where(Organization.parent_id == org.id, Organization.tenant_id == org.tenant_id,
               Organization.deleted_at.is_(None))
    )).scalar_one()
    if children:
        raise Conflict("Organization has child organizations; move or delete them first")
    members = (await write.session.execute(
        select(func.count()).select_from(User).where(User.organization_id == org.id, User.deleted_at.is_(None))
    )).scalar_one()
    if members:
        raise Conflict("Organization has users assigned; move or delete them first")
    write.values["is_active"] = False


async def _rebuild(write: Write) -> None:
    await rebuild_tree(write.session, write.row.tenant_id)


async def rebuild_after_undo(session: Any, row: Any, left: dict[str, Any] | None) -> None:
    """Undo and redo put one organization row back; its neighbours' tree columns follow."""
    tenant_id = getattr(row, "tenant_id", None)
    if tenant_id:
        await session.flush()
        await rebuild_tree(session, tenant_id)


organizations = Resource(
    path="/directory/organizations",
    model=Organization,
    entity="directory.organization",
    create_schema=OrganizationCreate,
    update_schema=OrganizationUpdate,
    features=Features.view_manage(ORGS_VIEW, ORGS_MANAGE),
    tag=TAG,
    label="Organization",
    # The list has three views (options, tree, manage): `routes.py` serves it.
    operations=frozenset({"create", "update", "delete"}),
    descriptions={
        "create": "Creates a new organization within a tenant and optionally assigns hierarchy relationships.",
        "update": "Updates organization details and hierarchy assignments.",
        "delete": "Soft deletes an organization identified by id (`?id=` or `{\"id\"}` in the body). "
                  "Organizations with children or users are refused (409).",
    },
    search=(Organization.name,),
    sort=Sort((Organization.name, Organization.created_at, Organization.updated_at)),
    scope="tenant",
    fields=Fields("id", "tenant_id", "name", "is_active", "parent_id", "root_id", "tree_path", "depth",
                  "created_at", "updated_at", "deleted_at",
                  computed={"ancestorIds": lambda o: list(o.ancestor_ids or []),
                            "childIds": lambda o: list(o.child_ids or []),
                            "descendantIds": lambda o: list(o.descendant_ids or [])}),
    derived=TREE_COLUMNS,
    hooks=Hooks(before_create=_plan, after_create=_regrow, before_update=_plan, after_update=_regrow,
                before_delete=_refuse_occupied, after_delete=_rebuild, after_undo=rebuild_after_undo,
                snapshot_extra=_moved, restore_extra=_move_back),
)
