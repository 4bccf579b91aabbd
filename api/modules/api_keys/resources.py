"""API keys as a kit collection: issued (the secret shown once, only its sha256 stored), listed with
role and organization names, revoked. Keys are never edited: revoke one and issue another."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.crud import Features, Fields, Hooks, Resource, Sort, Write, shape
from api.crud.query import Envelope
from api.db import utcnow
from api.errors import BadRequest
from api.modules.api_keys.models import ApiKey
from api.modules.api_keys.schemas import ApiKeyCreate
from api.modules.api_keys.service import PREFIX_LENGTH, refuse_escalation, resolve_roles, target_org
from api.modules.auth.models import Role
from api.modules.directory.models import Organization
from api.security import new_api_key_secret, sha256

VIEW = "api_keys.view"
CREATE = "api_keys.create"
DELETE = "api_keys.delete"


def keys_in_scope(stmt: Select[Any], ctx: AuthContext) -> Select[Any]:
    """The caller's tenant (a caller without one is refused, not shown an empty page); within it the
    organizations in scope."""
    stmt = stmt.where(ApiKey.tenant_id == ctx.require_tenant())
    if ctx.org_scope is not None:
        stmt = stmt.where(ApiKey.organization_id.in_(ctx.org_scope))
    return stmt


def _role_refs(key: ApiKey) -> list[dict[str, Any]]:
    return [{"id": str(r), "name": None} for r in key.roles_json or []]


async def _names(session: AsyncSession, model: Any, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {i: n for i, n in (await session.execute(select(model.id, model.name).where(model.id.in_(ids)))).all()}


async def name_roles_and_orgs(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    roles = await _names(session, Role, {r["id"] for item in items for r in item["roles"]})
    orgs = await _names(session, Organization, {i["organizationId"] for i in items if i["organizationId"]})
    for item in items:
        item["organizationName"] = orgs.get(item["organizationId"] or "")
        item["roles"] = [{"id": r["id"], "name": roles.get(r["id"])} for r in item["roles"]]


async def issue(write: Write) -> None:
    body: ApiKeyCreate = write.body
    ctx, key = write.ctx, write.row
    tenant_id = ctx.require_tenant()
    expires_at = body.expires_at
    if expires_at is not None:
        expires_at = expires_at.replace(tzinfo=UTC) if expires_at.tzinfo is None else expires_at
        if expires_at <= utcnow():
            raise BadRequest("Invalid input", [{"path": ["expiresAt"], "message": "Must be in the future"}])
    org_id = await target_org(write.session, ctx, tenant_id, body.organization_id)
    roles = await resolve_roles(write.session, tenant_id, body.roles)
    await refuse_escalation(write.session, ctx, tenant_id, roles)
    secret = new_api_key_secret()
    key.tenant_id, key.organization_id = tenant_id, org_id
    write.values.update(key_hash=sha256(secret), key_prefix=secret[:PREFIX_LENGTH], roles_json=[r.id for r in roles],
                        created_by=ctx.user_id, expires_at=expires_at)
    write.extra.update(secret=secret, roles=roles)


def issued(write: Write) -> dict[str, Any]:
    """The one answer that shows the secret."""
    key: ApiKey = write.row
    return {"id": key.id, "name": key.name, "keyPrefix": key.key_prefix, "secret": write.extra["secret"],
            "tenantId": key.tenant_id, "organizationId": key.organization_id,
            "roles": [{"id": r.id, "name": r.name} for r in write.extra["roles"]]}


api_keys = Resource(
    path="/api_keys/keys",
    model=ApiKey,
    entity="api_keys.key",
    create_schema=ApiKeyCreate,
    update_schema=None,
    # Keys are never edited (revoke one and issue another), so the update feature guards nothing.
    operations=frozenset({"list", "create", "delete"}),
    features=Features(VIEW, CREATE, CREATE, DELETE),
    tag="API Keys",
    label="API key",
    descriptions={
        "list": "Returns paginated API keys visible to the current user, including per-key role assignments and "
                "organization context.",
        "create": "Creates a new API key, returning the one-time secret value together with the generated key "
                  "prefix and scope details.",
        "delete": "Removes an API key by identifier. The key must belong to the current tenant and fall within the "
                  "requester organization scope.",
    },
    search=(ApiKey.name, ApiKey.key_prefix),
    sort=Sort((ApiKey.name, ApiKey.created_at, ApiKey.updated_at, ApiKey.last_used_at, ApiKey.expires_at),
              default=ApiKey.created_at, direction="desc"),
    envelope=Envelope.PAGED,
    max_page_size=200,
    fields=Fields("id", "name", "description", "key_prefix", "organization_id", "created_at", "last_used_at",
                  "expires_at", computed={"roles": _role_refs}),
    detail_fields=Fields("id", "name", "description", "key_prefix", "tenant_id", "organization_id", "created_at",
                         "last_used_at", "expires_at", computed={"roles": _role_refs}),
    hidden=frozenset({"key_hash"}),
    scope=keys_in_scope,
    hooks=Hooks(before_create=issue, created_body=issued, decorate=name_roles_and_orgs),
    created_schema=shape(id="string", name="string", keyPrefix="string", secret="string", tenantId="string?",
                         organizationId="string?", roles={"type": "array", "items": shape(id="string", name="string")}),
    # The reference answers this delete with its CRUD factory's default body.
    deleted_body={"success": True},
)
