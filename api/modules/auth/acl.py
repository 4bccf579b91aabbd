"""Grants: the feature lists, super-admin flags and organization scopes of roles and users. Nobody
hands out more than they hold: only super administrators grant super-admin access, and others grant
only features (and organizations) they have themselves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit, outbox
from api.auth import AuthContext
from api.crud import service
from api.db import new_id, utcnow
from api.errors import BadRequest, Forbidden
from api.features import has_all, known
from api.modules.auth.models import Role, RoleAcl, User, UserAcl
from api.modules.auth.resources import roles, users
from api.modules.auth.schemas import RoleAclUpdate, UserAclUpdate, is_uuid
from api.modules.auth.service import (
    invalid_input,
    is_super_admin,
    keep_a_manager,
    require_id,
    role_acl,
    tenant_has_manager,
)
from api.modules.directory.models import Organization


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
        raise invalid_input("tenantId", "A tenant role has grants in its own tenant only")
    if not tenant:
        raise BadRequest("Tenant context is required")
    return tenant


async def get_role_acl(session: AsyncSession, ctx: AuthContext, role_id: str | None,
                       tenant_id: str | None) -> dict[str, Any]:
    role_id = require_id(role_id, "roleId", "role")
    if tenant_id is not None and not is_uuid(tenant_id):
        raise invalid_input("tenantId", "Expected a UUID")
    role: Role = await service.get_row(roles, ctx, session, role_id)
    tenant = _acl_tenant(ctx, role, tenant_id)
    return acl_view(await role_acl(session, role.id, tenant))


async def put_role_acl(session: AsyncSession, ctx: AuthContext, body: RoleAclUpdate) -> bool:
    role: Role = await service.get_row(roles, ctx, session, body.role_id)
    tenant = _acl_tenant(ctx, role, body.tenant_id)
    acl = await role_acl(session, role.id, tenant)
    had_manager = await tenant_has_manager(session, tenant, first=ctx.user_id)
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
    await keep_a_manager(session, tenant, had_manager, first=ctx.user_id)
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
    had_manager = await tenant_has_manager(session, user.tenant_id, first=ctx.user_id)
    current = acl_view(acl)
    features, dropped = sanitize_features(body.features or [])
    is_super = bool(body.is_super_admin)
    orgs, dropped_orgs = await _sanitize_orgs(session, user.tenant_id, body.organizations)
    was_super = current["isSuperAdmin"] or (acl is None and await is_super_admin(session, user))
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
    await keep_a_manager(session, user.tenant_id, had_manager, first=ctx.user_id)
    await _log_acl(session, ctx, "auth.user_acl", user.id, user.tenant_id, before, after)
    return dropped or dropped_orgs


async def _log_acl(session: AsyncSession, ctx: AuthContext, kind: str, subject_id: str, tenant_id: str,
                   before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    await audit.record(session, ctx, command_id=f"{kind}.update", resource_kind=kind, resource_id=subject_id,
                       before=before, after=after, label="Update access control")
    outbox.emit(session, f"{kind}.updated", {"id": subject_id, **after}, tenant_id=tenant_id,
                organization_id=None)
    await session.flush()
