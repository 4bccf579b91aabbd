"""First-run data and tenant provisioning: a tenant, its root organization, the `admin` role (feature `*`)
and an admin user. The bootstrap admin of a fresh install is a super administrator (the platform
operator: it can create further tenants); the admins of tenants created later are not."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.modules.auth.models import Role, RoleAcl, User, UserRole
from api.modules.directory.models import Organization, Tenant
from api.modules.directory.tree import rebuild_tree
from api.security import hash_password
from api.settings import Settings


@dataclass
class SeedResult:
    email: str
    password: str | None
    created: bool
    tenant_id: str
    organization_id: str


def _password(settings: Settings) -> str:
    if settings.admin_password:
        return settings.admin_password
    path = settings.data_dir / "admin_password"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


class EmailTaken(ValueError):
    pass


async def provision_tenant(session: AsyncSession, *, name: str, admin_email: str, password: str,
                           organization: str = "Headquarters", super_admin: bool = False) -> User:
    """A tenant with its root organization, an `admin` role granting every feature, and its first
    admin. Flushed, not committed."""
    email = admin_email.strip().lower()
    if (await session.execute(select(User.id).where(User.email == email))).first() is not None:
        raise EmailTaken(f"{email} is already a user")
    tenant = Tenant(name=name)
    session.add(tenant)
    await session.flush()
    org = Organization(tenant_id=tenant.id, name=organization)
    session.add(org)
    await session.flush()
    await rebuild_tree(session, tenant.id)
    role = Role(name="admin", tenant_id=tenant.id)
    session.add(role)
    await session.flush()
    session.add(RoleAcl(role_id=role.id, tenant_id=tenant.id, features_json=["*"], is_super_admin=super_admin))
    user = User(email=email, name="Administrator", password_hash=hash_password(password),
                tenant_id=tenant.id, organization_id=org.id, is_confirmed=True)
    session.add(user)
    await session.flush()
    session.add(UserRole(user_id=user.id, role_id=role.id))
    await session.flush()
    return user


async def _make_super_admin(session: AsyncSession, user: User) -> None:
    """Installs made before the bootstrap admin was a super administrator get it on the next seed."""
    acls = (await session.execute(
        select(RoleAcl).join(UserRole, UserRole.role_id == RoleAcl.role_id)
        .join(Role, Role.id == RoleAcl.role_id)
        .where(UserRole.user_id == user.id, Role.name == "admin", RoleAcl.tenant_id == user.tenant_id)
    )).scalars().all()
    for acl in acls:
        acl.is_super_admin = True


async def seed(session: AsyncSession, settings: Settings) -> SeedResult:
    existing = (await session.execute(select(User).where(User.email == settings.admin_email))).scalars().first()
    if existing is not None:
        assert existing.tenant_id and existing.organization_id
        await _make_super_admin(session, existing)
        await session.commit()
        return SeedResult(settings.admin_email, _password(settings) if not settings.admin_password
                          else settings.admin_password, False, existing.tenant_id, existing.organization_id)
    password = _password(settings)
    user = await provision_tenant(session, name="Default", admin_email=settings.admin_email, password=password,
                                  super_admin=True)
    await session.commit()
    assert user.tenant_id and user.organization_id
    return SeedResult(settings.admin_email, password, True, user.tenant_id, user.organization_id)
