"""Self sign-up: a request stores only the hash of the token mailed to the applicant; confirming it
provisions a tenant, its organization and an administrator, with the default dictionaries."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import utcnow
from api.errors import Conflict
from api.modules.auth.models import Role, RoleAcl, User, UserRole
from api.modules.dictionaries import service as dictionaries
from api.modules.directory.models import Organization, Tenant
from api.modules.directory.tree import rebuild_tree
from api.modules.onboarding.models import OnboardingRequest
from api.security import hash_password, sha256

TOKEN_TTL = timedelta(hours=24)
# A second request for the same address is refused this long after the last mail.
RESEND_AFTER = timedelta(minutes=10)
EMAIL_EXISTS = "We already have an account with this email. Try signing in or resetting your password."


@dataclass(frozen=True)
class SignUp:
    email: str
    first_name: str
    last_name: str
    organization_name: str
    password: str
    locale: str | None = None


async def start(session: AsyncSession, sign_up: SignUp) -> tuple[OnboardingRequest, str]:
    """Records (or renews) the request and returns it with the token to mail; the token itself is not
    stored."""
    email = sign_up.email.strip().lower()
    if (await session.execute(select(User.id).where(func.lower(User.email) == email))).first() is not None:
        raise Conflict(EMAIL_EXISTS, extra={"ok": False, "fieldErrors": {"email": EMAIL_EXISTS}})
    now = utcnow()
    request = (await session.execute(
        select(OnboardingRequest).where(OnboardingRequest.email == email))).scalars().first()
    if request is not None and request.status == "pending" and request.last_email_sent_at is not None \
            and request.last_email_sent_at > now - RESEND_AFTER:
        minutes = max(1, int((request.last_email_sent_at + RESEND_AFTER - now).total_seconds() // 60) + 1)
        message = (f"We already have a pending verification. Please try again in about {minutes} minutes "
                   "or contact the administrator.")
        raise Conflict(message, extra={"ok": False, "fieldErrors": {"email": message}})
    token = secrets.token_hex(32)
    if request is None:
        request = OnboardingRequest(email=email)
        session.add(request)
    request.token_hash = sha256(token)
    request.status = "pending"
    request.first_name = sign_up.first_name
    request.last_name = sign_up.last_name
    request.organization_name = sign_up.organization_name
    request.locale = sign_up.locale or request.locale or "en"
    request.terms_accepted = True
    request.password_hash = hash_password(sign_up.password)
    request.expires_at = now + TOKEN_TTL
    request.completed_at = None
    request.tenant_id = request.organization_id = request.user_id = None
    request.last_email_sent_at = now
    await session.flush()
    return request, token


async def pending(session: AsyncSession, token: str) -> OnboardingRequest | None:
    """The pending, unexpired request of this token."""
    row: OnboardingRequest | None = (await session.execute(
        select(OnboardingRequest).where(OnboardingRequest.token_hash == sha256(token),
                                        OnboardingRequest.status == "pending",
                                        OnboardingRequest.expires_at > utcnow())
    )).scalars().first()
    return row


async def provision(session: AsyncSession, request: OnboardingRequest) -> User:
    """The request's tenant, root organization, `admin` role (feature `*`) and administrator, with the
    default dictionaries; the request is completed so its token never works again."""
    if (await session.execute(select(User.id).where(func.lower(User.email) == request.email))).first() is not None:
        raise Conflict(EMAIL_EXISTS)
    tenant = Tenant(name=request.organization_name)
    session.add(tenant)
    await session.flush()
    org = Organization(tenant_id=tenant.id, name=request.organization_name)
    session.add(org)
    await session.flush()
    await rebuild_tree(session, tenant.id)
    role = Role(name="admin", tenant_id=tenant.id)
    session.add(role)
    await session.flush()
    session.add(RoleAcl(role_id=role.id, tenant_id=tenant.id, features_json=["*"], is_super_admin=False))
    user = User(email=request.email, name=f"{request.first_name} {request.last_name}".strip(),
                password_hash=request.password_hash, tenant_id=tenant.id, organization_id=org.id)
    session.add(user)
    await session.flush()
    session.add(UserRole(user_id=user.id, role_id=role.id))
    await dictionaries.ensure_defaults(session, tenant_id=tenant.id, organization_id=org.id)
    request.status = "completed"
    request.completed_at = utcnow()
    request.tenant_id, request.organization_id, request.user_id = tenant.id, org.id, user.id
    request.password_hash = None
    await session.flush()
    return user
