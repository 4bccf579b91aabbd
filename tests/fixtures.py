"""Builders for tests: tenants, organizations, roles and users written straight to the database,
and authenticated HTTP calls against the app."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import event

from api.db import get_engine, make_engine, sessionmaker, set_engine
from api.modules.auth.models import Role, RoleAcl, User, UserRole
from api.modules.directory.models import Organization, Tenant
from api.modules.directory.tree import rebuild_tree
from api.security import hash_password, issue_token
from api.settings import get_settings

PASSWORD = "correct horse battery"


@dataclass
class Caller:
    """A user plus an HTTP client that sends its bearer token."""

    client: httpx.AsyncClient
    user_id: str
    email: str
    token: str
    tenant_id: str
    org_id: str
    headers: dict[str, str] = field(default_factory=dict)

    def _h(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **self.headers, **(extra or {})}

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.get(url, headers=self._h(kw.pop("headers", None)), **kw)

    async def post(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.post(url, headers=self._h(kw.pop("headers", None)), **kw)

    async def put(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.put(url, headers=self._h(kw.pop("headers", None)), **kw)

    async def patch(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.patch(url, headers=self._h(kw.pop("headers", None)), **kw)

    async def delete(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.request("DELETE", url, headers=self._h(kw.pop("headers", None)), **kw)


class World:
    """Each test's own tenant (root organization `org`), and users with chosen features."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.tenant_id = ""
        self.org_id = ""

    async def setup(self) -> World:
        async with sessionmaker()() as s:
            tenant = Tenant(name=f"T-{uuid.uuid4().hex[:6]}")
            s.add(tenant)
            await s.flush()
            org = Organization(tenant_id=tenant.id, name="Root")
            s.add(org)
            await s.flush()
            await rebuild_tree(s, tenant.id)
            await s.commit()
            self.tenant_id, self.org_id = tenant.id, org.id
        return self

    async def org(self, name: str, parent_id: str | None = None) -> str:
        async with sessionmaker()() as s:
            org = Organization(tenant_id=self.tenant_id, name=name, parent_id=parent_id or self.org_id)
            s.add(org)
            await s.flush()
            await rebuild_tree(s, self.tenant_id)
            await s.commit()
            return org.id

    async def role(self, name: str, features: list[str], *, super_admin: bool = False,
                   organizations: list[str] | None = None) -> str:
        async with sessionmaker()() as s:
            role = Role(name=name, tenant_id=self.tenant_id)
            s.add(role)
            await s.flush()
            s.add(RoleAcl(role_id=role.id, tenant_id=self.tenant_id, features_json=features,
                          is_super_admin=super_admin, organizations_json=organizations))
            await s.commit()
            return role.id

    async def user(self, features: list[str] | None = None, *, org_id: str | None = None,
                   roles: list[str] | None = None, email: str | None = None,
                   super_admin: bool = False, organizations: list[str] | None = None) -> Caller:
        """A user in this tenant; `features` become a role of its own."""
        if not self.tenant_id:
            await self.setup()
        role_ids = list(roles or [])
        if features is not None or super_admin:
            role_ids.append(await self.role(f"r-{uuid.uuid4().hex[:8]}", features or [],
                                            super_admin=super_admin, organizations=organizations))
        email = email or f"u-{uuid.uuid4().hex[:10]}@example.com"
        org = org_id or self.org_id
        async with sessionmaker()() as s:
            user = User(email=email, name=email.split("@")[0], password_hash=hash_password(PASSWORD),
                        tenant_id=self.tenant_id, organization_id=org)
            s.add(user)
            await s.flush()
            for rid in role_ids:
                s.add(UserRole(user_id=user.id, role_id=rid))
            await s.commit()
            roles_names = [r.name for r in [await s.get(Role, rid) for rid in role_ids] if r]
            token = issue_token(user_id=user.id, tenant_id=self.tenant_id, org_id=org, email=email,
                                roles=roles_names)
            return Caller(self.client, user.id, email, token, self.tenant_id, org)

    async def admin(self) -> Caller:
        return await self.user(["*"])


@contextlib.asynccontextmanager
async def narrow_pool(size: int = 2) -> AsyncIterator[None]:
    """The app's database behind a pool of `size` connections and no overflow, whose checkouts give up
    after 5 s: more concurrent requests than connections show whether a request ever needs a second
    connection while holding one (they would wait for each other until the timeout)."""
    previous = get_engine()
    engine = make_engine(get_settings().db_url, pool_size=size, max_overflow=0, pool_timeout=5)
    set_engine(engine)
    try:
        yield
    finally:
        set_engine(previous)
        await engine.dispose()


@contextlib.contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements the app's database runs inside the block (every session of this process)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
