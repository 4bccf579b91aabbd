"""API keys: issuing (secret shown once, only its sha256 stored), listing with role and organization
names, revoking. Authenticating with a key lives in `api.auth`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.auth import AuthContext
from api.crud import service
from api.db import new_id, utcnow
from api.errors import BadRequest, Forbidden
from api.modules.api_keys.models import ApiKey
from api.modules.api_keys.resources import api_keys
from api.modules.api_keys.schemas import ApiKeyCreate
from api.modules.audit_logs.models import ActionLog
from api.modules.auth.models import Role, RoleAcl
from api.modules.directory.models import Organization
from api.security import new_api_key_secret, sha256

PREFIX_LENGTH = 12


@dataclass
class IssuedKey:
    key: ApiKey
    secret: str
    roles: list[Role]
    entry: ActionLog

    def body(self) -> dict[str, Any]:
        return {
            "id": self.key.id,
            "name": self.key.name,
            "keyPrefix": self.key.key_prefix,
            "secret": self.secret,
            "tenantId": self.key.tenant_id,
            "organizationId": self.key.organization_id,
            "roles": [{"id": r.id, "name": r.name} for r in self.roles],
        }


async def list_keys(session: AsyncSession, ctx: AuthContext, params: Mapping[str, str]) -> dict[str, Any]:
    ctx.require_tenant()
    query = dict(params)
    query.setdefault("sortField", "createdAt")
    query.setdefault("sortDir", "desc")
    page = await service.list_rows(api_keys, ctx, session, query)
    role_ids = {r["id"] for item in page["items"] for r in item["roles"]}
    org_ids = {item["organizationId"] for item in page["items"] if item["organizationId"]}
    role_names = {r.id: r.name for r in (await session.execute(
        select(Role).where(Role.id.in_(role_ids)))).scalars()} if role_ids else {}
    org_names = {o.id: o.name for o in (await session.execute(
        select(Organization).where(Organization.id.in_(org_ids)))).scalars()} if org_ids else {}
    page["items"] = [{
        "id": item["id"],
        "name": item["name"],
        "description": item["description"],
        "keyPrefix": item["keyPrefix"],
        "organizationId": item["organizationId"],
        "organizationName": org_names.get(item["organizationId"]),
        "createdAt": item["createdAt"],
        "lastUsedAt": item["lastUsedAt"],
        "expiresAt": item["expiresAt"],
        "roles": [{"id": r["id"], "name": role_names.get(r["id"])} for r in item["roles"]],
    } for item in page["items"]]
    return page


async def _target_org(session: AsyncSession, ctx: AuthContext, tenant_id: str, wanted: str | None) -> str | None:
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


async def _resolve_roles(session: AsyncSession, tenant_id: str, tokens: list[str]) -> list[Role]:
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


async def _refuse_escalation(session: AsyncSession, ctx: AuthContext, tenant_id: str, roles: list[Role]) -> None:
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


async def create_key(session: AsyncSession, ctx: AuthContext, body: ApiKeyCreate) -> IssuedKey:
    tenant_id = ctx.require_tenant()
    expires_at = body.expires_at
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= utcnow():
            raise BadRequest("Invalid input", [{"path": ["expiresAt"], "message": "Must be in the future"}])
    org_id = await _target_org(session, ctx, tenant_id, body.organization_id)
    roles = await _resolve_roles(session, tenant_id, body.roles)
    await _refuse_escalation(session, ctx, tenant_id, roles)
    secret = new_api_key_secret()
    key = ApiKey(id=new_id(), tenant_id=tenant_id, organization_id=org_id, name=body.name,
                 description=body.description, key_hash=sha256(secret), key_prefix=secret[:PREFIX_LENGTH],
                 roles_json=[r.id for r in roles], created_by=ctx.user_id, expires_at=expires_at)
    session.add(key)
    await session.flush()
    payload = body.model_dump(mode="json", exclude_unset=True)
    entry = await service.write_log(session, api_keys, ctx, "create", key, None,
                                    audit.snapshot(key, api_keys.hidden), payload=payload)
    return IssuedKey(key, secret, roles, entry)


async def delete_key(session: AsyncSession, ctx: AuthContext, key_id: str) -> ActionLog:
    ctx.require_tenant()
    _, entry = await service.delete(api_keys, ctx, session, key_id)
    return entry


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
