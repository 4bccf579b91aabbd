"""Administration from a fresh install: the bootstrap admin is a super administrator who can create
tenants through the API, seeding twice changes nothing, and operators can provision a tenant with its
admin from the command line (that admin runs its tenant, not the platform)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from api.auth import context_for_user
from api.cli import _create_tenant
from api.db import sessionmaker
from api.modules.auth.models import User
from api.modules.directory.models import Tenant
from api.security import issue_token
from api.seed import EmailTaken, provision_tenant, seed
from api.settings import Settings

TENANTS = "/api/directory/tenants"


async def _caller(client: httpx.AsyncClient, email: str) -> tuple[User, dict[str, str]]:
    async with sessionmaker()() as s:
        user = (await s.execute(select(User).where(User.email == email))).scalars().one()
        token = issue_token(user_id=user.id, tenant_id=user.tenant_id, org_id=user.organization_id, email=email,
                            roles=["admin"])
    return user, {"Authorization": f"Bearer {token}"}


async def test_the_bootstrap_admin_is_a_super_admin_who_can_create_tenants(client: httpx.AsyncClient,
                                                                            tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, admin_email=f"boot-{uuid.uuid4().hex[:8]}@example.com",
                        admin_password="bootstrap-secret")
    async with sessionmaker()() as s:
        first = await seed(s, settings)
    async with sessionmaker()() as s:
        again = await seed(s, settings)
        tenants = (await s.execute(select(func.count()).select_from(Tenant)
                                   .where(Tenant.id == first.tenant_id))).scalar_one()
    assert first.created and not again.created and again.tenant_id == first.tenant_id and tenants == 1
    user, headers = await _caller(client, settings.admin_email)
    async with sessionmaker()() as s:
        assert (await context_for_user(s, await s.get(User, user.id))).is_super_admin  # type: ignore[arg-type]
    r = await client.post(TENANTS, json={"name": "Second business"}, headers=headers)
    assert r.status_code == 201, r.text


async def test_operators_provision_tenants_from_the_command_line(client: httpx.AsyncClient,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    assert await _create_tenant("Provisioned", email, None) == 0
    printed = capsys.readouterr().out
    assert "Provisioned" in printed and email in printed and "Password: " in printed
    assert await _create_tenant("Again", email, "whatever1") == 1  # the email is taken
    user, headers = await _caller(client, email)
    # The tenant's admin manages its tenant, not the platform.
    assert (await client.get("/api/auth/users", headers=headers)).json()["total"] == 1
    r = await client.post(TENANTS, json={"name": "Not mine to make"}, headers=headers)
    assert r.status_code == 403
    async with sessionmaker()() as s:
        with pytest.raises(EmailTaken):
            await provision_tenant(s, name="Dup", admin_email=email.upper(), password="x" * 8)
