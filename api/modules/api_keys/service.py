"""API keys: the rules of issuing one (its organization, its roles, no escalation beyond the caller's
grants). The collection itself is declared in `resources.py`; authenticating with a key lives in
`api.auth`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.db import new_id, utcnow
from api.errors import BadRequest, Forbidden
from api.modules.api_keys.models import ApiKey
from api.modules.auth.models import Role, RoleAcl
from api.modules.directory.models import Organization
from api.security import new_api_key_secret, sha256

PREFIX_LENGTH = 12


async def target_org(session: AsyncSession, ctx: AuthContext, tenant_id: str, wanted: str | None) -> str | None:
    if not wanted:
        return ctx.write_org_id
    org = (await session.execute(
        select(Organization).where(Organization.id == wanted, Organization.tenant_id == tenant_id,
                                   Organization.deleted_at.is_(None))
    )).scalars().first()
    if org is None:
        raise BadRequest("Organization not found")
    if not ctx.sees_org(org.id):
        raise Forbidden("Organization is outside your scope")
    return org.id


async def resolve_roles(session: AsyncSession, tenant_id: str, tokens: list[str]) -> list[Role]:
    """Each token is a role id or name of the tenant (a global role when the tenant has none of
    that name); anything else, another tenant's roles included, is not found."""
    found: dict[str, Role] = {}
    for raw in tokens:
        token = raw.strip()
        if not token:
            raise BadRequest("Invalid input", [{"path": ["roles"], "message": "Role cannot be empty"}])
        candidates = (await session.execute(
            select(Role).where(Role.deleted_at.is_(None),
                               or_(Role.tenant_id == tenant_id, Role.tenant_id.is_(None)),
                               or_(Role.id == token, Role.name == token))
        )).scalars().all()
        ranked = sorted(candidates, key=lambda r: (r.id != token, r.tenant_id is None, r.id))
        if not ranked:
            raise BadRequest(f"Role {token} not found")
        found.setdefault(ranked[0].id, ranked[0])
    return list(found.values())


async def refuse_escalation(session: AsyncSession, ctx: AuthContext, tenant_id: str, roles: list[Role]) -> None:
    """A key acts with its roles' grants; handing out more than the caller holds would let anyone
    with api_keys.create mint themselves an administrator."""
    if ctx.is_super_admin or not roles:
        return
    acls = (await session.execute(
        select(RoleAcl).where(RoleAcl.role_id.in_([r.id for r in roles]), RoleAcl.tenant_id == tenant_id)
    )).scalars().all()
    missing: list[str] = []
    for acl in acls:
        missing.extend(f for f in acl.features_json or [] if not ctx.can(str(f)) and f not in missing)
        if acl.is_super_admin:
            raise Forbidden("Only super administrators can give an API key a super administrator role")
        if ctx.allowed_orgs is not None:
            wider = acl.organizations_json is None or not set(acl.organizations_json) <= set(ctx.allowed_orgs)
            if wider:
                raise Forbidden("An API key role cannot reach organizations you cannot")
    if any(r.name == "superadmin" for r in roles):
        raise Forbidden("Only super administrators can give an API key a super administrator role")
    if missing:
        raise Forbidden("An API key cannot have features you do not have", extra={"requiredFeatures": missing})


# --- for other modules ---------------------------------------------------------------------------------


async def issue_one_time_key(session: AsyncSession, *, tenant_id: str, organization_id: str | None,
                             role_ids: Sequence[str], name: str, description: str, created_by: str,
                             lifetime: timedelta) -> tuple[str, str]:
    """A key acting with `role_ids` for code of this process, valid for `lifetime`: `(id, secret)`. Its roles
    are taken as given (the caller has checked them) and it is not recorded in the action log; the secret
    exists only in the answer, the table keeps its sha256."""
    secret, key_id = new_api_key_secret(), new_id()
    session.add(ApiKey(id=key_id, tenant_id=tenant_id, organization_id=organization_id, name=name,
                       description=description, key_hash=sha256(secret), key_prefix=secret[:PREFIX_LENGTH],
                       roles_json=list(role_ids), created_by=created_by, expires_at=utcnow() + lifetime))
    return key_id, secret


async def revoke_key(session: AsyncSession, *, key_id: str) -> None:
    """Soft-deletes the key: it authenticates no more. Nothing happens for an unknown id."""
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(deleted_at=utcnow()))
