"""The rules of users and roles, as hooks of their collections (`resources.py`): tenancy of new users,
unique emails and role names, role links, and nobody handing out more than they hold (only super
administrators assign super-admin roles or touch super administrators)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext, context_for_user
from api.crud import Write
from api.db import new_id
from api.errors import BadRequest, Conflict, Forbidden
from api.features import has_all
from api.modules.auth.models import Role, RoleAcl, Session, User, UserAcl, UserRole
from api.modules.auth.schemas import (
    RoleCreate,
    RoleUpdate,
    UserCreate,
    UserUpdate,
    is_uuid,
)
from api.modules.directory.models import Organization, Tenant
from api.security import hash_password

SUPERADMIN_ROLE = "superadmin"


def invalid_input(path: str, message: str) -> BadRequest:
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
    if org is None or not ctx.administers(org.id):
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


async def role_acl(session: AsyncSession, role_id: str, tenant_id: str | None) -> RoleAcl | None:
    return (await session.execute(
        select(RoleAcl).where(RoleAcl.role_id == role_id, RoleAcl.tenant_id == tenant_id)
    )).scalars().first()


async def _assert_can_assign(session: AsyncSession, ctx: AuthContext, tenant_id: str,
                             new_roles: Iterable[Role]) -> None:
    if ctx.is_super_admin:
        return
    for role in new_roles:
        acl = await role_acl(session, role.id, tenant_id)
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


async def role_links(session: AsyncSession, user: User) -> dict[str, Any]:
    # Role links are not columns of the user; they ride along so the audit log shows them and undo puts them back.
    return {"role_ids": sorted(r.id for r in (await user_roles(session, [user.id]))[user.id])}


async def restore_role_links(session: AsyncSession, user: User, snap: dict[str, Any]) -> None:
    """Undo and redo: the user's live roles become those `role_links` recorded (those still live). Links to
    deleted roles are left as they are, so undoing a role's deletion still finds them."""
    wanted = snap.get("role_ids")
    if not isinstance(wanted, list):
        return
    # As for the write itself: the roles go back only if the tenant keeps a user who can manage it.
    had_manager = await tenant_has_manager(session, user.tenant_id) if user.tenant_id else False
    live = {r.id for r in (await user_roles(session, [user.id]))[user.id]}
    still = set((await session.execute(select(Role.id).where(Role.id.in_(wanted), Role.deleted_at.is_(None))))
                .scalars())
    if gone := live - still:
        await session.execute(delete(UserRole).where(UserRole.user_id == user.id, UserRole.role_id.in_(gone)))
    linked = set((await session.execute(select(UserRole.role_id).where(UserRole.user_id == user.id))).scalars())
    for role_id in sorted(still - linked):
        session.add(UserRole(id=new_id(), user_id=user.id, role_id=role_id))
    await keep_a_manager(session, user.tenant_id, had_manager)


async def is_super_admin(session: AsyncSession, user: User) -> bool:
    return (await context_for_user(session, user)).is_super_admin


async def _guard_user_target(session: AsyncSession, ctx: AuthContext, user: User) -> None:
    if not ctx.is_super_admin and await is_super_admin(session, user):
        raise Forbidden("Only a super administrator can change a super administrator")


# --- users (hooks of the `users` collection) ---------------------------------------------------------

async def create_user(write: Write) -> None:
    body: UserCreate = write.body
    session, ctx, user = write.session, write.ctx, write.row
    tenant_id = target_tenant(ctx, body.tenant_id, "tenant_id" in body.model_fields_set)
    org = await _organization(session, ctx, tenant_id, body.organization_id)
    email = body.email.lower()
    await _ensure_email_free(session, email)
    wanted = await _resolve_roles(session, tenant_id, _role_tokens(body.roles, body.roles_csv) or [])
    await _assert_can_assign(session, ctx, tenant_id, wanted)
    user.tenant_id, user.organization_id = tenant_id, org.id
    write.values.update(email=email, password_hash=hash_password(body.password), is_confirmed=True)
    write.extra["roles"] = wanted


async def link_new_user_roles(write: Write) -> None:
    await _set_roles(write.session, write.row.id, write.extra["roles"])


async def update_user(write: Write) -> None:
    body: UserUpdate = write.body
    session, ctx, user = write.session, write.ctx, write.row
    await _guard_user_target(session, ctx, user)
    await note_managers(write)
    assert user.tenant_id is not None  # users in a tenant scope always have one
    write.values.pop("email", None)
    if body.email is not None and body.email.lower() != user.email.lower():
        await _ensure_email_free(session, body.email.lower(), except_id=user.id)
        write.values["email"] = body.email.lower()
    if body.organization_id is not None and body.organization_id != user.organization_id:
        user.organization_id = (await _organization(session, ctx, user.tenant_id, body.organization_id)).id
    if body.password is not None:
        write.values["password_hash"] = hash_password(body.password)
        # Tokens signed in with the old password end too.
        write.values["token_version"] = (user.token_version or 0) + 1
        # A new password ends the remembered sessions made with the old one.
        await session.execute(delete(Session).where(Session.user_id == user.id))
    tokens = _role_tokens(body.roles, body.roles_csv)
    if tokens is not None:
        wanted = await _resolve_roles(session, user.tenant_id, tokens)
        current = {r.id for r in (await user_roles(session, [user.id]))[user.id]}
        await _assert_can_assign(session, ctx, user.tenant_id, [r for r in wanted if r.id not in current])
        await _set_roles(session, user.id, wanted)
        if {r.id for r in wanted} != current:
            # New roles: the user signs in again, so no token keeps what the old roles implied.
            write.values["token_version"] = (user.token_version or 0) + 1


async def delete_user(write: Write) -> None:
    session, ctx, user = write.session, write.ctx, write.row
    if user.id == ctx.user_id:
        raise BadRequest("You cannot delete your own account")
    await _guard_user_target(session, ctx, user)
    await note_managers(write)
    await session.execute(delete(Session).where(Session.user_id == user.id))


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
        raise invalid_input("tenantId", "Unknown tenant")
    return tenant_id


def check_writable(ctx: AuthContext, role: Role) -> None:
    if not ctx.is_super_admin:
        if role.tenant_id is None:
            raise Forbidden("Only a super administrator can change global roles")
        if role.name.lower() == SUPERADMIN_ROLE:
            raise Forbidden("Only a super administrator can manage the superadmin role")


# --- roles (hooks of the `roles` collection) ---------------------------------------------------------

async def create_role(write: Write) -> None:
    body: RoleCreate = write.body
    _assert_role_name_allowed(write.ctx, body.name)
    tenant_id = await _role_tenant(write.session, write.ctx, body.tenant_id, "tenant_id" in body.model_fields_set)
    await _ensure_role_name_free(write.session, body.name, tenant_id)
    write.row.tenant_id = tenant_id


async def update_role(write: Write) -> None:
    body: RoleUpdate = write.body
    role: Role = write.row
    check_writable(write.ctx, role)
    tenant_id = role.tenant_id
    if "tenant_id" in body.model_fields_set and body.tenant_id != role.tenant_id:
        tenant_id = await _role_tenant(write.session, write.ctx, body.tenant_id, True)
    if body.name is not None:
        _assert_role_name_allowed(write.ctx, body.name)
    if body.name is not None or "tenant_id" in body.model_fields_set:
        await _ensure_role_name_free(write.session, body.name or role.name, tenant_id, except_id=role.id)
    role.tenant_id = tenant_id


async def delete_role(write: Write) -> None:
    role: Role = write.row
    check_writable(write.ctx, role)
    assigned = (await write.session.execute(
        select(func.count()).select_from(UserRole).join(User, User.id == UserRole.user_id)
        .where(UserRole.role_id == role.id, User.deleted_at.is_(None))
    )).scalar_one()
    if assigned:
        raise BadRequest("Role has assigned users")




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


# --- nobody locks a tenant out -------------------------------------------------------------------------

# Who can put everything else right: change users, their roles and the grants. Super administrators
# can too (`AuthContext.can`).
MANAGER_FEATURES = ("auth.users.edit", "auth.roles.manage", "auth.acl.manage")
LOCKOUT = "This change would leave the tenant without a user who can manage users and roles"


async def tenant_has_manager(session: AsyncSession, tenant_id: str, *, first: str | None = None) -> bool:
    """Whether some live user of the tenant can manage users, roles and grants, as stored now. The
    user `first` (usually the caller, a manager) is asked first, so the common case costs one look."""
    users = (await session.execute(
        select(User).where(User.tenant_id == tenant_id, User.deleted_at.is_(None))
        .order_by((User.id == (first or "")).desc(), User.created_at, User.id)
    )).scalars()
    for user in users:
        if (await context_for_user(session, user)).can(*MANAGER_FEATURES):
            return True
    return False


async def keep_a_manager(session: AsyncSession, tenant_id: str | None, had_manager: bool,
                         *, first: str | None = None) -> None:
    """Refuses (409, the transaction rolls back) a change after which a tenant that had a manager has
    none: demoting, deleting or narrowing the grants of its last one, oneself included."""
    if not tenant_id or not had_manager:
        return
    await session.flush()
    if not await tenant_has_manager(session, tenant_id, first=first):
        raise Conflict(LOCKOUT)


async def note_managers(write: Write) -> None:
    """`before_*` half of the lockout check for user writes."""
    tenant_id: str | None = getattr(write.row, "tenant_id", None)
    write.extra["had_manager"] = tenant_id is not None and await tenant_has_manager(
        write.session, tenant_id, first=write.ctx.user_id)


async def check_managers(write: Write) -> None:
    """`after_*` half: the write stands only if a manager remains."""
    await keep_a_manager(write.session, getattr(write.row, "tenant_id", None), write.extra.get("had_manager", False),
                         first=write.ctx.user_id)
