"""Users and roles as kit collections. The kit lists, scopes, audits and announces them; the hooks in
`service.py` add passwords, role links and the grant checks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.crud import Dialect, Envelope, Features, Fields, Filter, Hooks, Owned, Resource, Sort
from api.modules.auth import service
from api.modules.auth.models import Role, RoleAcl, User, UserRole
from api.modules.auth.schemas import RoleCreate, RoleUpdate, UserCreate, UserUpdate
from api.modules.directory.models import Organization, Tenant

TAG = "Authentication & Accounts"


def users_scope(stmt: Select[Any], ctx: AuthContext) -> Select[Any]:
    """The caller's tenant; within it the organizations in scope (users without one stay visible,
    they belong to the tenant as a whole)."""
    if not ctx.tenant_id:
        return stmt.where(false())
    stmt = stmt.where(User.tenant_id == ctx.tenant_id)
    if ctx.org_scope is not None:
        stmt = stmt.where(or_(User.organization_id.in_(ctx.org_scope), User.organization_id.is_(None)))
    return stmt


def roles_scope(stmt: Select[Any], ctx: AuthContext) -> Select[Any]:
    """The caller's tenant roles plus global ones; super administrators see every tenant's."""
    if ctx.is_super_admin:
        return stmt
    if not ctx.tenant_id:
        return stmt.where(Role.tenant_id.is_(None))
    return stmt.where(or_(Role.tenant_id == ctx.tenant_id, Role.tenant_id.is_(None)))


async def _names(session: AsyncSession, model: type[Organization] | type[Tenant], ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = (await session.execute(select(model.id, model.name).where(model.id.in_(ids)))).all()
    return {row_id: name for row_id, name in rows}


async def decorate_users(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    orgs = await _names(session, Organization, {i["organizationId"] for i in items if i["organizationId"]})
    tenants = await _names(session, Tenant, {i["tenantId"] for i in items if i["tenantId"]})
    roles = await service.user_roles(session, [i["id"] for i in items])
    for item in items:
        item["organizationName"] = orgs.get(item["organizationId"] or "")
        item["tenantName"] = tenants.get(item["tenantId"] or "")
        item["roles"] = [r.name for r in roles[item["id"]]]
        item["roleIds"] = [r.id for r in roles[item["id"]]]


async def decorate_roles(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    ids = [i["id"] for i in items]
    counts: dict[str, int] = {}
    if ids:
        stmt = (select(UserRole.role_id, func.count()).join(User, User.id == UserRole.user_id)
                .where(UserRole.role_id.in_(ids), User.deleted_at.is_(None)).group_by(UserRole.role_id))
        if not ctx.is_super_admin:
            # A global role's users in other tenants are none of this tenant's business.
            stmt = stmt.where(User.tenant_id == ctx.tenant_id)
        counts = {rid: n for rid, n in (await session.execute(stmt)).all()}
    visible = {i["tenantId"] for i in items if i["tenantId"] and (ctx.is_super_admin or i["tenantId"] == ctx.tenant_id)}
    tenants = await _names(session, Tenant, visible)
    for item in items:
        item["usersCount"] = counts.get(item["id"], 0)
        item["tenantName"] = tenants.get(item["tenantId"] or "")


ITEM_TIMES = ("created_at", "updated_at", "deleted_at")
AUTH_IDS = Dialect(invalid_delete_id=True)

users = Resource(
    path="/auth/users",
    model=User,
    entity="auth.user",
    create_schema=UserCreate,
    update_schema=UserUpdate,
    features=Features("auth.users.list", "auth.users.create", "auth.users.edit", "auth.users.delete"),
    tag=TAG,
    label="User",
    # The list takes repeated `roleIds`: `routes.py` reads them, then lists through the kit.
    operations=frozenset({"create", "update", "delete"}),
    descriptions={
        "create": "Creates a new confirmed user within the specified organization and optional roles (`roles[]` "
                  "names or ids, or `rolesCsv`).",
        "update": "Updates profile fields, organization assignment, credentials, or role memberships (`roles` "
                  "replaces them).",
        "delete": "Deletes a user by identifier (`?id=`). Undo support is provided via the command bus. Users "
                  "cannot delete themselves.",
    },
    search=(User.email, User.name),
    sort=Sort((User.email, User.name, User.created_at, User.updated_at, User.last_login_at)),
    filters={"organizationId": Filter.eq(User.organization_id, "Only users of this organization")},
    envelope=Envelope.TOTAL,
    dialect=AUTH_IDS,
    fields=Fields("id", "email", "name", "organization_id", "tenant_id", "is_confirmed", "last_login_at",
                  *ITEM_TIMES),
    # `token_version` ends the sessions issued before a password or role change: an undo must never move it back
    # (and bring those sessions back to life), so it stays out of the snapshots undo puts back.
    hidden=frozenset({"password_hash", "token_version"}),
    # A login moves `last_login_at`: no edit of the user, so no reason to refuse an undo, nor a value to put back.
    derived=frozenset({"last_login_at"}),
    scope=users_scope,
    hooks=Hooks(before_create=service.create_user, after_create=service.link_new_user_roles,
                before_update=service.update_user, after_update=service.check_managers,
                before_delete=service.delete_user, after_delete=service.check_managers,
                decorate=decorate_users, snapshot_extra=service.role_links, restore_extra=service.restore_role_links),
)

roles = Resource(
    path="/auth/roles",
    model=Role,
    entity="auth.role",
    create_schema=RoleCreate,
    update_schema=RoleUpdate,
    features=Features("auth.roles.list", "auth.roles.manage", "auth.roles.manage", "auth.roles.manage"),
    tag=TAG,
    label="Role",
    descriptions={
        "list": "Returns available roles within the current tenant (and global ones) with their user counts. Super "
                "administrators receive visibility across tenants (`tenantId` narrows).",
        "create": "Creates a new role for the current tenant or globally when `tenantId` is null (super "
                  "administrators only).",
        "update": "Updates mutable fields on an existing role.",
        "delete": "Deletes a role by identifier. Fails when users remain assigned.",
    },
    search=(Role.name,),
    sort=Sort((Role.name, Role.created_at, Role.updated_at)),
    filters={"tenantId": Filter.eq(Role.tenant_id, "Only roles of this tenant")},
    envelope=Envelope.TOTAL,
    dialect=AUTH_IDS,
    fields=Fields("id", "name", "tenant_id", *ITEM_TIMES),
    scope=roles_scope,
    # API keys name their roles directly, so a deleted role's grant goes with it (it must stop granting
    # anything); undoing the delete brings the grant back.
    owns=(Owned(RoleAcl.role_id),),
    hooks=Hooks(before_create=service.create_role, before_update=service.update_role,
                before_delete=service.delete_role, decorate=decorate_roles),
)
