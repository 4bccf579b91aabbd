"""First-run data: a tenant, its root organization, the `admin` role (feature `*`) and an admin."""

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


async def seed(session: AsyncSession, settings: Settings) -> SeedResult:
    existing = (await session.execute(select(User).where(User.email == settings.admin_email))).scalars().first()
    if existing is not None:
        assert existing.tenant_id and existing.organization_id
        return SeedResult(settings.admin_email, _password(settings) if not settings.admin_password
                          else settings.admin_password, False, existing.tenant_id, existing.organization_id)
    tenant = Tenant(name="Default")
    session.add(tenant)
    await session.flush()
    org = Organization(tenant_id=tenant.id, name="Headquarters")
    session.add(org)
    await session.flush()
    await rebuild_tree(session, tenant.id)
    role = Role(name="admin", tenant_id=tenant.id)
    session.add(role)
    await session.flush()
    session.add(RoleAcl(role_id=role.id, tenant_id=tenant.id, features_json=["*"], is_super_admin=False))
    password = _password(settings)
    user = User(email=settings.admin_email, name="Administrator", password_hash=hash_password(password),
                tenant_id=tenant.id, organization_id=org.id)
    session.add(user)
    await session.flush()
    session.add(UserRole(user_id=user.id, role_id=role.id))
    await session.commit()
    return SeedResult(settings.admin_email, password, True, tenant.id, org.id)
