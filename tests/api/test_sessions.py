"""Sessions end when they should, and cookies are not a CSRF hole: logging out, a new password or new
roles revoke the signed-in tokens issued before; a cookie-authenticated write must come from this site
(Origin or Referer), while bearer tokens and API keys are unaffected."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.db import sessionmaker
from api.modules.auth.models import User
from api.security import issue_token
from tests.fixtures import PASSWORD, World

TODOS = "/api/example/todos"


@pytest.fixture
async def browser(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own cookie jar: sign-in cookies must not leak into the shared client."""
    async with httpx.AsyncClient(transport=client._transport, base_url="http://test") as own:  # noqa: SLF001
        yield own


async def _sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    r = await client.post("/api/auth/login", data={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_logout_revokes_the_token(browser: httpx.AsyncClient, world: World) -> None:
    client = browser
    me = await world.user(["example.todos.view"])
    token = await _sign_in(client, me.email)
    assert (await client.get(TODOS, headers=_bearer(token))).status_code == 200
    await client.post("/api/auth/logout", headers=_bearer(token))
    assert (await client.get(TODOS, headers=_bearer(token))).status_code == 401
    # Signing in again works.
    assert (await client.get(TODOS, headers=_bearer(await _sign_in(client, me.email)))).status_code == 200


async def test_a_new_password_or_new_roles_end_older_tokens(browser: httpx.AsyncClient, world: World) -> None:
    client = browser
    admin = await world.user(["auth.*", "example.todos.view"])
    me = await world.user(["example.todos.view"])
    token = await _sign_in(client, me.email)
    r = await admin.put("/api/auth/users", json={"id": me.user_id, "password": "brand-new-secret"})
    assert r.status_code == 200
    assert (await client.get(TODOS, headers=_bearer(token))).status_code == 401
    token = await _sign_in(client, me.email, "brand-new-secret")
    assert (await client.get(TODOS, headers=_bearer(token))).status_code == 200
    viewer = await world.role("viewer", ["example.todos.view"])
    assert (await admin.put("/api/auth/users", json={"id": me.user_id, "roles": [viewer]})).status_code == 200
    assert (await client.get(TODOS, headers=_bearer(token))).status_code == 401
    # An unchanged role list keeps the session.
    token = await _sign_in(client, me.email, "brand-new-secret")
    assert (await admin.put("/api/auth/users", json={"id": me.user_id, "roles": [viewer]})).status_code == 200
    assert (await client.get(TODOS, headers=_bearer(token))).status_code == 200


async def test_cookie_writes_must_come_from_this_site(world: World) -> None:
    me = await world.user(["example.todos.*"])
    async with sessionmaker()() as s:
        user = await s.get(User, me.user_id)
        assert user is not None
        token = issue_token(user_id=user.id, tenant_id=user.tenant_id, org_id=user.organization_id,
                            email=user.email, roles=[])
    cookies = {"auth_token": token}
    jar = httpx.AsyncClient(transport=me.client._transport, base_url="http://test", cookies=cookies)  # noqa: SLF001
    async with jar:
        forged = await jar.post(TODOS, content='{"title": "forged"}',
                                headers={"Origin": "https://evil.example", "Content-Type": "text/plain"})
        assert forged.status_code == 403
        assert (await jar.post(TODOS, json={"title": "no origin"})).status_code == 403
        ok = await jar.post(TODOS, json={"title": "mine"}, headers={"Origin": "http://test"})
        assert ok.status_code == 201, ok.text
        assert (await jar.post(TODOS, json={"title": "by referer"},
                               headers={"Referer": "http://test/console/inbox"})).status_code == 201
        # Reading needs no origin.
        assert (await jar.get(TODOS)).json()["total"] == 2
    # A bearer token (or an API key) is not a browser's ambient credential: no origin needed.
    r = await me.post(TODOS, json={"title": "script"}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 201
