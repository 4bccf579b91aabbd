"""Who is calling: the auth context built from a JWT (bearer or cookie) or an API key, and the
feature and scope checks every route depends on."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import httpx
from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.caches import Watched
from api.db import utcnow
from api.deps import SessionDep
from api.errors import BadRequest, Forbidden, Unauthorized
from api.features import has_all
from api.modules.api_keys.models import ApiKey
from api.modules.auth.models import Role, RoleAcl, User, UserAcl, UserRole
from api.modules.directory.models import Organization
from api.security import decode_token, sha256
from api.settings import get_settings

ALL_ORGS = "__all__"


@dataclass
class AuthContext:
    user_id: str | None
    tenant_id: str | None
    org_id: str | None
    email: str | None = None
    roles: list[str] = field(default_factory=list)
    role_ids: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    is_super_admin: bool = False
    # Organizations the grants allow (None: all of the tenant's).
    allowed_orgs: list[str] | None = None
    # The organization the caller works in (cookie `om_selected_org`, else its own); None = all.
    selected_org_id: str | None = None
    # Organization ids a list may show: the selected org plus its descendants, narrowed by ACL.
    # None means no organization filter (all organizations of the tenant).
    org_scope: list[str] | None = None
    is_api_key: bool = False
    key_id: str | None = None
    key_name: str | None = None

    def can(self, *features: str) -> bool:
        return self.is_super_admin or has_all(self.features, features)

    def claims(self) -> dict[str, Any]:
        return {"sub": self.user_id, "tenantId": self.tenant_id, "orgId": self.org_id}

    @property
    def write_org_id(self) -> str | None:
        """Where new rows go: the selected organization, else the caller's own."""
        return self.selected_org_id or self.org_id

    def require_tenant(self) -> str:
        if not self.tenant_id:
            raise BadRequest("Tenant context is required")
        return self.tenant_id

    def require_org(self) -> str:
        org = self.write_org_id
        if not org:
            raise BadRequest("Organization context is required")
        return org

    def sees_org(self, org_id: str | None) -> bool:
        return self.org_scope is None or (org_id is not None and org_id in self.org_scope)

    def administers(self, org_id: str) -> bool:
        """Whether the grants let the caller place records in this organization of its tenant: an ACL
        without an organization list means every one. The selected organization narrows lists only."""
        return self.is_super_admin or self.allowed_orgs is None or org_id in self.allowed_orgs


async def _grants(session: AsyncSession, *, user_id: str | None, role_ids: Sequence[str],
                  tenant_id: str | None) -> tuple[list[str], bool, list[str] | None]:
    """Features, super-admin flag and allowed organizations. A user ACL overrides role ACLs."""
    if user_id:
        user_acl = (await session.execute(
            select(UserAcl).where(UserAcl.user_id == user_id, UserAcl.tenant_id == tenant_id)
        )).scalars().first()
        if user_acl is not None:
            return list(user_acl.features_json or []), user_acl.is_super_admin, user_acl.organizations_json
    if not role_ids:
        return [], False, []
    acls = (await session.execute(
        select(RoleAcl).where(RoleAcl.role_id.in_(role_ids), RoleAcl.tenant_id == tenant_id)
    )).scalars().all()
    features: list[str] = []
    superadmin = False
    orgs: set[str] | None = set()
    for acl in acls:
        features.extend(f for f in acl.features_json or [] if f not in features)
        superadmin = superadmin or acl.is_super_admin
        if acl.organizations_json is None:
            orgs = None
        elif orgs is not None:
            orgs.update(acl.organizations_json)
    if not acls:
        return features, superadmin, []
    return features, superadmin, (None if orgs is None else sorted(orgs))


async def _org_scope(session: AsyncSession, ctx: AuthContext, request: Request) -> None:
    if await _scope_org(session, ctx, request):
        request.cookies.pop("om_selected_org", None)  # type: ignore[attr-defined]


async def _scope_org(session: AsyncSession, ctx: AuthContext, request: Request) -> bool:
    """Set the caller's selected organization and scope; True when the selected-org cookie is stale."""
    selected = request.cookies.get("om_selected_org") or request.headers.get("x-om-selected-org")
    if selected == ALL_ORGS and (ctx.is_super_admin or ctx.allowed_orgs is None):
        ctx.selected_org_id = None
        ctx.org_scope = ctx.allowed_orgs
        return False
    org_id = selected if selected and selected != ALL_ORGS else ctx.org_id
    if not org_id or not ctx.tenant_id:
        ctx.selected_org_id = None
        ctx.org_scope = [] if ctx.allowed_orgs is None and not ctx.is_super_admin else ctx.allowed_orgs
        if ctx.is_super_admin:
            ctx.org_scope = None
        return False
    org = (await session.execute(
        select(Organization).where(Organization.id == org_id, Organization.tenant_id == ctx.tenant_id,
                                   Organization.deleted_at.is_(None))
    )).scalars().first()
    if org is None:
        # A stale or foreign cookie falls back to the caller's own organization.
        ctx.selected_org_id = None
        ctx.org_scope = []
        return bool(org_id != ctx.org_id and ctx.org_id)
    scope = [org.id, *(org.descendant_ids or [])]
    if ctx.allowed_orgs is not None and not ctx.is_super_admin:
        scope = [o for o in scope if o in ctx.allowed_orgs]
    ctx.selected_org_id = org.id if (ctx.allowed_orgs is None or ctx.is_super_admin
                                     or org.id in ctx.allowed_orgs) else None
    ctx.org_scope = scope
    return False


def _api_key_secret(request: Request) -> str | None:
    header = request.headers.get("x-api-key")
    if header:
        return header.strip()
    authz = request.headers.get("authorization", "")
    if authz[:7].lower() == "apikey ":
        return authz[7:].strip()
    return None


def bearer_token(request: Request) -> str | None:
    """The signed-in token: `Authorization: Bearer`, else the `auth_token` cookie."""
    authz = request.headers.get("authorization", "")
    if authz[:7].lower() == "bearer ":
        return authz[7:].strip() or None
    return request.cookies.get("auth_token") or None


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
F = TypeVar("F", bound=Callable[..., Any])


def changes_nothing(endpoint: F) -> F:
    """Marks a POST route that only reads (a check, a query with a body): a cross-site request to it
    can learn nothing (the browser hides the answer) and change nothing, so cookies may call it."""
    endpoint.changes_nothing = True  # type: ignore[attr-defined]
    return endpoint


def _writes(request: Request) -> bool:
    if request.method in SAFE_METHODS:
        return False
    endpoint = request.scope.get("endpoint") or getattr(request.scope.get("route"), "endpoint", None)
    return not getattr(endpoint, "changes_nothing", False)


def _same_site(request: Request) -> bool:
    """Whether a cookie-authenticated write comes from a page of this site: browsers send `Origin` (or
    at least `Referer`) on cross-site requests, so one naming another host is a forgery, and a write
    naming none is refused too (scripts and integrations sign in with a bearer token or an API key)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    try:
        host = httpx.URL(source).netloc.decode("ascii").lower()
    except (httpx.InvalidURL, UnicodeError):
        return False
    allowed = {request.headers.get("host", "").lower(),
               httpx.URL(get_settings().app_url).netloc.decode("ascii").lower()}
    return host in allowed


async def _from_api_key(session: AsyncSession, secret: str) -> AuthContext | None:
    key = (await session.execute(
        select(ApiKey).where(ApiKey.key_hash == sha256(secret), ApiKey.deleted_at.is_(None))
    )).scalars().first()
    now = utcnow()
    if key is None:
        return None
    expires = key.expires_at
    if expires is not None and (expires if expires.tzinfo else expires.replace(tzinfo=now.tzinfo)) <= now:
        return None
    key.last_used_at = now
    # Only live roles grant: deleting a role must take its features away from keys too.
    roles = (await session.execute(
        select(Role).where(Role.id.in_([str(r) for r in key.roles_json or []]), Role.deleted_at.is_(None))
    )).scalars().all()
    role_ids = [r.id for r in roles]
    features, superadmin, orgs = await _grants(session, user_id=None, role_ids=role_ids,
                                               tenant_id=key.tenant_id)
    return AuthContext(
        user_id=key.created_by, tenant_id=key.tenant_id, org_id=key.organization_id,
        roles=[r.name for r in roles], role_ids=role_ids, features=features,
        is_super_admin=superadmin or any(r.name == "superadmin" for r in roles), allowed_orgs=orgs,
        is_api_key=True, key_id=key.id, key_name=key.name,
    )


async def context_for_user(session: AsyncSession, user: User) -> AuthContext:
    rows = (await session.execute(
        select(Role).join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user.id, Role.deleted_at.is_(None))
    )).scalars().all()
    role_ids = [r.id for r in rows]
    features, superadmin, orgs = await _grants(session, user_id=user.id, role_ids=role_ids,
                                               tenant_id=user.tenant_id)
    return AuthContext(
        user_id=user.id, tenant_id=user.tenant_id, org_id=user.organization_id, email=user.email,
        roles=[r.name for r in rows], role_ids=role_ids, features=features,
        is_super_admin=superadmin or any(r.name == "superadmin" for r in rows), allowed_orgs=orgs,
    )


# --- Resolved callers, briefly remembered ----------------------------------------------------------------
#
# Resolving a signed-in caller costs five queries (user, roles, user ACL, role ACLs, organization): about
# 7 ms of every authenticated request (bench/workflows.py). The result is kept per (user, selected tenant,
# selected organization) for a few seconds, and forgotten the moment this process writes any table it was
# built from. Another API process's writes reach this one within CALLER_TTL_SECONDS. Tokens are still
# decoded (signature, expiry) on every request; API keys are always resolved afresh (their use is recorded).
CALLER_TTL_SECONDS = 5.0
_callers: Watched[tuple[AuthContext, bool]] = Watched(
    frozenset({"users", "roles", "user_roles", "role_acls", "user_acls", "organizations"}),
    ttl=lambda: CALLER_TTL_SECONDS)


def forget_callers() -> None:
    _callers.forget()


def _copy(ctx: AuthContext) -> AuthContext:
    return dataclasses.replace(ctx, roles=list(ctx.roles), role_ids=list(ctx.role_ids), features=list(ctx.features),
                               allowed_orgs=None if ctx.allowed_orgs is None else list(ctx.allowed_orgs),
                               org_scope=None if ctx.org_scope is None else list(ctx.org_scope))


async def _signed_in(request: Request, session: AsyncSession, token: str) -> AuthContext | None:
    claims = decode_token(token)
    if claims is None:
        return None
    key = (str(claims["sub"]), int(claims.get("ver") or 0), request.cookies.get("om_selected_tenant"),
           request.cookies.get("om_selected_org") or request.headers.get("x-om-selected-org"))

    async def read() -> tuple[AuthContext, bool] | None:
        # Everything it reads of the request is in `key`: requests that wait for it get the same answer.
        user = await session.get(User, claims["sub"])
        if user is None or user.deleted_at is not None or int(claims.get("ver") or 0) != (user.token_version or 0):
            return None
        ctx = await context_for_user(session, user)
        _select_tenant(ctx, request)
        return ctx, await _scope_org(session, ctx, request)

    remembered = await _callers.load(key, read)
    if remembered is None:
        return None
    if remembered[1]:  # the selected-organization cookie is stale
        request.cookies.pop("om_selected_org", None)  # type: ignore[attr-defined]
    return _copy(remembered[0])


def _select_tenant(ctx: AuthContext, request: Request) -> None:
    if ctx.is_super_admin:
        tenant = request.cookies.get("om_selected_tenant")
        if tenant and tenant != ALL_ORGS:
            ctx.tenant_id = tenant


async def resolve(request: Request, session: AsyncSession) -> AuthContext | None:
    cached = getattr(request.state, "auth", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    secret = _api_key_secret(request)
    if secret:
        ctx = await _from_api_key(session, secret)
        if ctx is None:
            return None
        _select_tenant(ctx, request)
        await _org_scope(session, ctx, request)
    else:
        token = bearer_token(request)
        ctx = await _signed_in(request, session, token) if token else None
        if ctx is None:
            return None
        from_cookie = not request.headers.get("authorization", "")[:7].lower() == "bearer "
        if from_cookie and _writes(request) and not _same_site(request):
            raise Forbidden("Cross-site request refused: sign in with a bearer token or send Origin")
    request.state.auth = ctx
    return ctx


async def optional_auth(request: Request, session: SessionDep) -> AuthContext | None:
    return await resolve(request, session)


async def require_auth(request: Request, session: SessionDep) -> AuthContext:
    ctx = await resolve(request, session)
    if ctx is None:
        raise Unauthorized("Unauthorized")
    return ctx


def requires(*features: str) -> Callable[..., Awaitable[AuthContext]]:
    """Dependency: an authenticated caller holding every listed feature (403 names the missing ones)."""

    async def dependency(request: Request, session: SessionDep) -> AuthContext:
        ctx = await require_auth(request, session)
        missing = [f for f in features if not ctx.can(f)]
        if missing:
            raise Forbidden("Forbidden", extra={"requiredFeatures": list(features)})
        return ctx

    dependency.required_features = list(features)  # type: ignore[attr-defined]
    return dependency


AuthDep = Annotated[AuthContext, Depends(require_auth)]
OptionalAuthDep = Annotated[AuthContext | None, Depends(optional_auth)]
