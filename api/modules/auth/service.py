"""Users, roles and their grants. Every write is audited and evented in the caller's transaction, and
nobody can hand out more than they hold: only super administrators grant super-admin access, and
others grant only features (and organizations) they have themselves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit, outbox
from api.auth import AuthContext, Forbidden, context_for_user
from api.crud import service
from api.db import new_id, utcnow
from api.errors import BadRequest, Conflict
from api.features import has_all, known
from api.modules.audit_logs.models import ActionLog
from api.modules.auth.models import Role, RoleAcl, Session, User, UserAcl, UserRole
from api.modules.auth.resources import roles, user_roles, users
from api.modules.auth.schemas import (
    RoleAclUpdate,
    RoleCreate,
    RoleUpdate,
    UserAclUpdate,
    UserCreate,
    UserUpdate,
    is_uuid,
)
from api.modules.directory.models import Organization, Tenant
from api.security import hash_password

SUPERADMIN_ROLE = "superadmin"


def _invalid(path: str, message: str) -> BadRequest:
    return BadRequest("Invalid input", [{"path": [path], "message": message}])


def require_id(value: str | None, name: str, label: str) -> str:
    if not value:
        raise BadRequest(f"{name} is required")
    if not is_uuid(value):
        raise BadRequest(f"Invalid {label} id")
    return value


# --- tenancy of writes ------------------------------------------------------------------------------

def target_tenant(ctx: AuthContext, body_tenant: str | None, given: bool) -> str:
    """The tenant a new user belongs to: the caller's; a super administrator may name another."""
    if given and body_tenant and body_tenant != ctx.tenant_id:
        if not ctx.is_super_admin:
            raise Forbidden("Tenant is outside your scope")
        return body_tenant
    return ctx.require_tenant()


async def _organization(session: AsyncSession, ctx: AuthContext, tenant_id: str, org_id: str) -> Organization:
    org = (await session.execute(
        select(Organization).where(Organization.id == org_id, Organization.tenant_id == tenant_id,
                                   Organization.deleted_at.is_(None))
    )).scalars().first()
    if org is None or not (ctx.is_super_admin or ctx.sees_org(org.id)):
        raise Forbidden("Organization is outside your scope")
    return org


async def _ensure_email_free(session: AsyncSession, email: str, *, except_id: str | None = None) -> None:
    stmt = select(User.id).where(func.lower(User.email) == email)
    if except_id:
        stmt = stmt.where(User.id != except_id)
    if (await session.execute(stmt)).first() is not None:
        raise Conflict("Email already in use")


async def _flush(session: AsyncSession, message: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(message) from None


# --- role assignment -----------------------------------------------------------------------------------

def _role_tokens(roles_list: Sequence[str] | None, roles_csv: str | None) -> list[str] | None:
    if roles_list is None and roles_csv is None:
        return None
    tokens = [*(roles_list or []), *(roles_csv or "").split(",")]
    out: list[str] = []
    for token in (t.strip() for t in tokens):
        if token and token not in out:
            out.append(token)
    return out


async def _resolve_roles(session: AsyncSession, tenant_id: str, tokens: list[str]) -> list[Role]:
    """Roles by id or name among the tenant's and the global ones (a tenant role wins a name tie)."""
    if not tokens:
        return []
    ids = [t for t in tokens if is_uuid(t)]
    found = (await session.execute(
        select(Role).where(or_(Role.tenant_id == tenant_id, Role.tenant_id.is_(None)),
                           Role.deleted_at.is_(None), or_(Role.id.in_(ids), Role.name.in_(tokens)))
    )).scalars().all()
    by_id = {r.id: r for r in found}
    by_name: dict[str, Role] = {}
    for role in sorted(found, key=lambda r: r.tenant_id is None):
        by_name.setdefault(role.name, role)
    out: list[Role] = []
    missing: list[str] = []
    for token in tokens:
        match = by_id.get(token) or by_name.get(token)
        if match is None:
            missing.append(token)
        elif match not in out:
            out.append(match)
    if missing:
        raise BadRequest("Invalid input", [{"path": ["roles"], "message": f"Unknown role: {m}"} for m in missing])
    return out


async def _role_acl(session: AsyncSession, role_id: str, tenant_id: str | None) -> RoleAcl | None:
    return (await session.execute(
        select(RoleAcl).where(RoleAcl.role_id == role_id, RoleAcl.tenant_id == tenant_id)
    )).scalars().first()


async def _assert_can_assign(session: AsyncSession, ctx: AuthContext, tenant_id: str,
                             new_roles: Iterable[Role]) -> None:
    if ctx.is_super_admin:
        return
    for role in new_roles:
        acl = await _role_acl(session, role.id, tenant_id)
        if role.name == SUPERADMIN_ROLE or (acl is not None and acl.is_super_admin):
            raise Forbidden("Only a super administrator can assign super administrator roles")
        if acl is not None and not has_all(ctx.features, acl.features_json or []):
            raise Forbidden("You cannot assign a role with features you do not have")


async def _set_roles(session: AsyncSession, user_id: str, wanted: list[Role]) -> None:
    current = set((await session.execute(select(UserRole.role_id).where(UserRole.user_id == user_id))).scalars())
    wanted_ids = {r.id for r in wanted}
    gone = current - wanted_ids
    if gone:
        await session.execute(delete(UserRole).where(UserRole.user_id == user_id, UserRole.role_id.in_(gone)))
    for role in wanted:
        if role.id not in current:
            session.add(UserRole(id=new_id(), user_id=user_id, role_id=role.id))


async def _user_snapshot(session: AsyncSession, user: User) -> dict[str, Any]:
    # Role links are not columns of the user; they ride along so the audit log shows them.
    snap = audit.snapshot(user, users.hidden)
    snap["role_ids"] = sorted(r.id for r in (await user_roles(session, [user.id]))[user.id])
    return snap


async def _is_super_admin(session: AsyncSession, user: User) -> bool:
    return (await context_for_user(session, user)).is_super_admin


async def _guard_user_target(session: AsyncSession, ctx: AuthContext, user: User) -> None:
    if not ctx.is_super_admin and await _is_super_admin(session, user):
        raise Forbidden("Only a super administrator can change a super administrator")


# --- users ---------------------------------------------------------------------------------------------

async def create_user(session: AsyncSession, ctx: AuthContext, body: UserCreate) -> tuple[User, ActionLog]:
    tenant_id = target_tenant(ctx, body.tenant_id, "tenant_id" in body.model_fields_set)
    org = await _organization(session, ctx, tenant_id, body.organization_id)
    email = body.email.lower()
    await _ensure_email_free(session, email)
    wanted = await _resolve_roles(session, tenant_id, _role_tokens(body.roles, body.roles_csv) or [])
    await _assert_can_assign(session, ctx, tenant_id, wanted)
    user = User(id=new_id(), email=email, name=body.name, password_hash=hash_password(body.password),
                is_confirmed=True, tenant_id=tenant_id, organization_id=org.id)
    session.add(user)
    await _flush(session, "Email already in use")
    await _set_roles(session, user.id, wanted)
    await session.flush()
    entry = await service.write_log(session, users, ctx, "create", user, None, await _user_snapshot(session, user),
                                    payload=_safe_payload(body))
    return user, entry


async def update_user(session: AsyncSession, ctx: AuthContext, body: UserUpdate) -> tuple[User, ActionLog]:
    user: User = await service.get_row(users, ctx, session, body.id)
    await _guard_user_target(session, ctx, user)
    before = await _user_snapshot(session, user)
    assert user.tenant_id is not None  # users in a tenant scope always have one
    if body.email is not None and body.email.lower() != user.email.lower():
        await _ensure_email_free(session, body.email.lower(), except_id=user.id)
        user.email = body.email.lower()
    if "name" in body.model_fields_set:
        user.name = body.name
    if body.organization_id is not None and body.organization_id != user.organization_id:
        user.organization_id = (await _organization(session, ctx, user.tenant_id, body.organization_id)).id
    if body.password is not None:
        user.password_hash = hash_password(body.password)
        # A new password ends the remembered sessions made with the old one.
        await session.execute(delete(Session).where(Session.user_id == user.id))
    tokens = _role_tokens(body.roles, body.roles_csv)
    if tokens is not None:
        wanted = await _resolve_roles(session, user.tenant_id, tokens)
        current = {r.id for r in (await user_roles(session, [user.id]))[user.id]}
        await _assert_can_assign(session, ctx, user.tenant_id, [r for r in wanted if r.id not in current])
        await _set_roles(session, user.id, wanted)
    user.updated_at = utcnow()
    await _flush(session, "Email already in use")
    entry = await service.write_log(session, users, ctx, "update", user, before,
                                    await _user_snapshot(session, user), payload=_safe_payload(body))
    return user, entry


async def delete_user(session: AsyncSession, ctx: AuthContext, user_id: str) -> tuple[User, ActionLog]:
    if user_id == ctx.user_id:
        raise BadRequest("You cannot delete your own account")
    user: User = await service.get_row(users, ctx, session, user_id)
    await _guard_user_target(session, ctx, user)
    before = await _user_snapshot(session, user)
    user.deleted_at = utcnow()
    await session.execute(delete(Session).where(Session.user_id == user.id))
    await session.flush()
    entry = await service.write_log(session, users, ctx, "delete", user, before,
                                    await _user_snapshot(session, user), payload={"id": user_id})
    return user, entry


def _safe_payload(body: Any) -> dict[str, Any]:
    data: dict[str, Any] = body.model_dump(mode="json", exclude_unset=True, by_alias=True)
    return {k: v for k, v in data.items() if "password" not in k.lower()}


# --- roles ---------------------------------------------------------------------------------------------

async def _ensure_role_name_free(session: AsyncSession, name: str, tenant_id: str | None,
                                 *, except_id: str | None = None) -> None:
    stmt = select(Role.id).where(func.lower(Role.name) == name.lower(), Role.deleted_at.is_(None),
                                 Role.tenant_id == tenant_id if tenant_id else Role.tenant_id.is_(None))
    if except_id:
        stmt = stmt.where(Role.id != except_id)
    if (await session.execute(stmt)).first() is not None:
        raise Conflict("A role with this name already exists")


def _assert_role_name_allowed(ctx: AuthContext, name: str) -> None:
    # The role name alone makes its holders super administrators (see api.auth).
    if name.strip().lower() == SUPERADMIN_ROLE and not ctx.is_super_admin:
        raise Forbidden("Only a super administrator can manage the superadmin role")


async def _role_tenant(session: AsyncSession, ctx: AuthContext, tenant_id: str | None, given: bool) -> str | None:
    if not given:
        return ctx.require_tenant()
    if tenant_id == ctx.tenant_id and tenant_id is not None:
        return tenant_id
    if not ctx.is_super_admin:
        raise Forbidden("Only a super administrator can create global or other tenants' roles")
    if tenant_id is not None and await session.get(Tenant, tenant_id) is None:
        raise _invalid("tenantId", "Unknown tenant")
    return tenant_id


async def writable_role(session: AsyncSession, ctx: AuthContext, role_id: str) -> Role:
    role: Role = await service.get_row(roles, ctx, session, role_id)
    if not ctx.is_super_admin:
        if role.tenant_id is None:
            raise Forbidden("Only a super administrator can change global roles")
        if role.name.lower() == SUPERADMIN_ROLE:
            raise Forbidden("Only a super administrator can manage the superadmin role")
    return role


async def create_role(session: AsyncSession, ctx: AuthContext, body: RoleCreate) -> tuple[Role, ActionLog]:
    _assert_role_name_allowed(ctx, body.name)
    tenant_id = await _role_tenant(session, ctx, body.tenant_id, "tenant_id" in body.model_fields_set)
    await _ensure_role_name_free(session, body.name, tenant_id)
    role = Role(id=new_id(), name=body.name, tenant_id=tenant_id)
    session.add(role)
    await _flush(session, "A role with this name already exists")
    entry = await service.write_log(session, roles, ctx, "create", role, None, audit.snapshot(role),
                                    payload=_safe_payload(body))
    return role, entry


async def update_role(session: AsyncSession, ctx: AuthContext, body: RoleUpdate) -> tuple[Role, ActionLog]:
    role = await writable_role(session, ctx, body.id)
    before = audit.snapshot(role)
    if "tenant_id" in body.model_fields_set and body.tenant_id != role.tenant_id:
        role.tenant_id = await _role_tenant(session, ctx, body.tenant_id, True)
    if body.name is not None:
        _assert_role_name_allowed(ctx, body.name)
        role.name = body.name
    if body.name is not None or "tenant_id" in body.model_fields_set:
        await _ensure_role_name_free(session, role.name, role.tenant_id, except_id=role.id)
    role.updated_at = utcnow()
    await _flush(session, "A role with this name already exists")
    entry = await service.write_log(session, roles, ctx, "update", role, before, audit.snapshot(role),
                                    payload=_safe_payload(body))
    return role, entry


async def delete_role(session: AsyncSession, ctx: AuthContext, role_id: str) -> tuple[Role, ActionLog]:
    role = await writable_role(session, ctx, role_id)
    assigned = (await session.execute(
        select(func.count()).select_from(UserRole).join(User, User.id == UserRole.user_id)
        .where(UserRole.role_id == role.id, User.deleted_at.is_(None))
    )).scalar_one()
    if assigned:
        raise BadRequest("Role has assigned users")
    before = audit.snapshot(role)
    role.deleted_at = utcnow()
    # API keys name their roles directly; a deleted role must stop granting anything.
    await session.execute(delete(RoleAcl).where(RoleAcl.role_id == role.id))
    await session.flush()
    entry = await service.write_log(session, roles, ctx, "delete", role, before, audit.snapshot(role),
                                    payload={"id": role_id})
    return role, entry


# --- ACLs --------------------------------------------------------------------------------------------

def _clean(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in (v.strip() for v in values):
        if value and value not in out:
            out.append(value)
    return out


def sanitize_features(features: Iterable[str]) -> tuple[list[str], bool]:
    """Drops features no module declares; the flag says whether anything was dropped."""
    cleaned = _clean(features)
    kept = [f for f in cleaned if known(f)]
    return kept, len(kept) != len(cleaned)


async def _sanitize_orgs(session: AsyncSession, tenant_id: str,
                         orgs: list[str] | None) -> tuple[list[str] | None, bool]:
    if orgs is None:
        return None, False
    cleaned = _clean(orgs)
    existing = set((await session.execute(
        select(Organization.id).where(Organization.id.in_(cleaned), Organization.tenant_id == tenant_id,
                                      Organization.deleted_at.is_(None))
    )).scalars()) if cleaned else set()
    kept = [o for o in cleaned if o in existing]
    return kept, len(kept) != len(cleaned)


def _assert_can_grant(ctx: AuthContext, *, is_super_admin: bool, was_super_admin: bool,
                      features: list[str], existing: list[str], organizations: list[str] | None) -> None:
    if ctx.is_super_admin:
        return
    if was_super_admin or is_super_admin:
        raise Forbidden("Only a super administrator can grant or change super administrator access")
    added = [f for f in features if f not in existing]
    beyond = [f for f in added if not has_all(ctx.features, [f])]
    if beyond:
        raise Forbidden("You cannot grant features you do not have", extra={"features": beyond})
    if ctx.allowed_orgs is not None and (organizations is None or not set(organizations) <= set(ctx.allowed_orgs)):
        raise Forbidden("You cannot grant organizations outside your scope")


def acl_view(acl: RoleAcl | UserAcl | None) -> dict[str, Any]:
    if acl is None:
        return {"isSuperAdmin": False, "features": [], "organizations": None}
    return {"isSuperAdmin": bool(acl.is_super_admin), "features": list(acl.features_json or []),
            "organizations": list(acl.organizations_json) if acl.organizations_json is not None else None}


def _acl_tenant(ctx: AuthContext, role: Role, requested: str | None) -> str:
    tenant = requested or role.tenant_id or ctx.tenant_id
    if requested and requested != ctx.tenant_id and not ctx.is_super_admin:
        raise Forbidden("Tenant is outside your scope")
    if role.tenant_id and tenant != role.tenant_id:
        raise _invalid("tenantId", "A tenant role has grants in its own tenant only")
    if not tenant:
        raise BadRequest("Tenant context is required")
    return tenant


async def get_role_acl(session: AsyncSession, ctx: AuthContext, role_id: str | None,
                       tenant_id: str | None) -> dict[str, Any]:
    role_id = require_id(role_id, "roleId", "role")
    if tenant_id is not None and not is_uuid(tenant_id):
        raise _invalid("tenantId", "Expected a UUID")
    role: Role = await service.get_row(roles, ctx, session, role_id)
    tenant = _acl_tenant(ctx, role, tenant_id)
    return acl_view(await _role_acl(session, role.id, tenant))


async def put_role_acl(session: AsyncSession, ctx: AuthContext, body: RoleAclUpdate) -> bool:
    role: Role = await service.get_row(roles, ctx, session, body.role_id)
    tenant = _acl_tenant(ctx, role, body.tenant_id)
    acl = await _role_acl(session, role.id, tenant)
    before = acl_view(acl) if acl is not None else None
    current = acl_view(acl)
    features, dropped = (sanitize_features(body.features) if body.features is not None
                         else (current["features"], False))
    is_super = body.is_super_admin if body.is_super_admin is not None else current["isSuperAdmin"]
    if "organizations" in body.model_fields_set:
        orgs, dropped_orgs = await _sanitize_orgs(session, tenant, body.organizations)
    else:
        orgs, dropped_orgs = current["organizations"], False
    _assert_can_grant(ctx, is_super_admin=is_super, was_super_admin=current["isSuperAdmin"],
                      features=features, existing=current["features"], organizations=orgs)
    if acl is None:
        acl = RoleAcl(id=new_id(), role_id=role.id, tenant_id=tenant)
        session.add(acl)
    acl.features_json = features
    acl.is_super_admin = is_super
    acl.organizations_json = orgs
    acl.updated_at = utcnow()
    await session.flush()
    await _log_acl(session, ctx, "auth.role_acl", role.id, tenant, before, acl_view(acl))
    return dropped or dropped_orgs


async def _user_acl(session: AsyncSession, user: User) -> UserAcl | None:
    return (await session.execute(
        select(UserAcl).where(UserAcl.user_id == user.id, UserAcl.tenant_id == user.tenant_id)
    )).scalars().first()


async def get_user_acl(session: AsyncSession, ctx: AuthContext, user_id: str | None) -> dict[str, Any]:
    user_id = require_id(user_id, "userId", "user")
    user: User = await service.get_row(users, ctx, session, user_id)
    acl = await _user_acl(session, user)
    return {"hasCustomAcl": acl is not None, **acl_view(acl)}


async def put_user_acl(session: AsyncSession, ctx: AuthContext, body: UserAclUpdate) -> bool:
    """Replaces the user's own grant; without features or super-admin access the user falls back to
    the grants of their roles."""
    user: User = await service.get_row(users, ctx, session, body.user_id)
    assert user.tenant_id is not None
    acl = await _user_acl(session, user)
    current = acl_view(acl)
    features, dropped = sanitize_features(body.features or [])
    is_super = bool(body.is_super_admin)
    orgs, dropped_orgs = await _sanitize_orgs(session, user.tenant_id, body.organizations)
    was_super = current["isSuperAdmin"] or (acl is None and await _is_super_admin(session, user))
    # Clearing the grant hands the user back to their roles, which widens nothing.
    clearing = not is_super and not features
    _assert_can_grant(ctx, is_super_admin=is_super, was_super_admin=was_super, features=features,
                      existing=current["features"], organizations=[] if clearing else orgs)
    before = {"hasCustomAcl": acl is not None, **current}
    if clearing:
        if acl is not None:
            await session.delete(acl)
        after: dict[str, Any] = {"hasCustomAcl": False, **acl_view(None)}
    else:
        if acl is None:
            acl = UserAcl(id=new_id(), user_id=user.id, tenant_id=user.tenant_id)
            session.add(acl)
        acl.features_json = features
        acl.is_super_admin = is_super
        acl.organizations_json = orgs
        acl.updated_at = utcnow()
        after = {"hasCustomAcl": True, **acl_view(acl)}
    await session.flush()
    await _log_acl(session, ctx, "auth.user_acl", user.id, user.tenant_id, before, after)
    return dropped or dropped_orgs


async def _log_acl(session: AsyncSession, ctx: AuthContext, kind: str, subject_id: str, tenant_id: str,
                   before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    await audit.record(session, ctx, command_id=f"{kind}.update", resource_kind=kind, resource_id=subject_id,
                       before=before, after=after, label="Update access control")
    outbox.emit(session, f"{kind}.updated", {"id": subject_id, **after}, tenant_id=tenant_id,
                organization_id=None)
    await session.flush()


# --- for other modules ---------------------------------------------------------------------------------


async def live_role_ids(session: AsyncSession, *, user_id: str, tenant_id: str) -> list[str]:
    """The ids of the roles a live user of the tenant holds, sorted: the tenant's roles and global ones,
    never deleted roles. None for a deleted user or a user of another tenant."""
    user = (await session.execute(
        select(User.id).where(User.id == user_id, User.tenant_id == tenant_id, User.deleted_at.is_(None))
    )).first()
    if user is None:
        return []
    rows = await session.execute(
        select(Role.id).join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user_id, Role.deleted_at.is_(None),
               or_(Role.tenant_id == tenant_id, Role.tenant_id.is_(None)))
    )
    return sorted(rows.scalars().all())


async def acl_narrower_than_roles(session: AsyncSession, *, user_id: str, tenant_id: str,
                                  role_ids: Sequence[str]) -> bool:
    """Whether the user's personal ACL in the tenant grants less than `role_ids` do: fewer features, fewer
    organizations, or no super-admin access where a role has it. A personal ACL replaces the user's roles, so
    anything acting with the roles alone (an API key) would do more than the user can."""
    acl = (await session.execute(
        select(UserAcl).where(UserAcl.user_id == user_id, UserAcl.tenant_id == tenant_id)
    )).scalars().first()
    if acl is None or acl.is_super_admin:
        return False
    role_acls = (await session.execute(
        select(RoleAcl).where(RoleAcl.role_id.in_(role_ids), RoleAcl.tenant_id == tenant_id)
    )).scalars().all()
    granted = [f for r in role_acls for f in r.features_json or []]
    if any(r.is_super_admin for r in role_acls) or not has_all(acl.features_json or [], granted):
        return True
    if acl.organizations_json is not None:
        allowed = set(acl.organizations_json)
        return any(r.organizations_json is None or not set(r.organizations_json) <= allowed for r in role_acls)
    return False
