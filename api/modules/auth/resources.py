"""Users and roles as CRUD resources: the kit lists them, scopes them and writes their audit entries;
the module's own routes do the writes (passwords, role links, grant checks)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.auth import AuthContext
from api.crud import Features, Filter, Hooks, Resource
from api.crud.casing import jsonable
from api.modules.auth.models import Role, User, UserRole
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


def user_item(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "organizationId": user.organization_id,
        "tenantId": user.tenant_id,
        "isConfirmed": user.is_confirmed,
        "lastLoginAt": jsonable(user.last_login_at),
        "createdAt": jsonable(user.created_at),
        "updatedAt": jsonable(user.updated_at),
        "deletedAt": jsonable(user.deleted_at),
    }


def role_item(role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "tenantId": role.tenant_id,
        "createdAt": jsonable(role.created_at),
        "updatedAt": jsonable(role.updated_at),
        "deletedAt": jsonable(role.deleted_at),
    }


async def _names(session: AsyncSession, model: type[Organization] | type[Tenant], ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = (await session.execute(select(model.id, model.name).where(model.id.in_(ids)))).all()
    return {row_id: name for row_id, name in rows}


async def user_roles(session: AsyncSession, user_ids: list[str]) -> dict[str, list[Role]]:
    """Live roles of each user, by name."""
    out: dict[str, list[Role]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return out
    rows = (await session.execute(
        select(UserRole.user_id, Role).join(Role, Role.id == UserRole.role_id)
        .where(UserRole.user_id.in_(user_ids), Role.deleted_at.is_(None)).order_by(Role.name)
    )).all()
    for uid, role in rows:
        out[uid].append(role)
    return out


async def decorate_users(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    orgs = await _names(session, Organization, {i["organizationId"] for i in items if i["organizationId"]})
    tenants = await _names(session, Tenant, {i["tenantId"] for i in items if i["tenantId"]})
    roles = await user_roles(session, [i["id"] for i in items])
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


users = Resource(
    path="/auth/users",
    model=User,
    entity="auth.user",
    create_schema=UserCreate,
    update_schema=UserUpdate,
    features=Features("auth.users.list", "auth.users.create", "auth.users.edit", "auth.users.delete"),
    tag=TAG,
    label="User",
    search=("email", "name"),
    sort=("id", "email", "name", "created_at", "updated_at", "last_login_at"),
    filters={"organizationId": Filter(User.organization_id, "eq", "Only users of this organization")},
    hidden=frozenset({"password_hash"}),
    scope=users_scope,
    serialize=user_item,
    hooks=Hooks(decorate=decorate_users),
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
    search=("name",),
    sort=("id", "name", "created_at", "updated_at"),
    filters={"tenantId": Filter(Role.tenant_id, "eq", "Only roles of this tenant")},
    scope=roles_scope,
    serialize=role_item,
    hooks=Hooks(decorate=decorate_roles),
)

# Undo and redo rebuild users and roles from their snapshots (never the password hash).
audit.register(users.entity, User, users.hidden)
audit.register(roles.entity, Role, roles.hidden)
