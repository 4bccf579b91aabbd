"""Signing in and out: credentials, cookies, tokens, remember-me, refresh, password reset, throttling."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from api import ratelimit
from api.db import sessionmaker, utcnow
from api.modules.auth.models import PasswordReset, Session, User
from api.security import issue_token, sha256
from api.settings import get_settings
from tests.fixtures import PASSWORD, World

LOGIN = "/api/auth/login"
ME = "/api/auth/feature-check"


async def _user(world: World, **kw: object) -> tuple[str, str]:
    caller = await world.user(["example.todos.view"], **kw)  # type: ignore[arg-type]
    return caller.user_id, caller.email


async def test_login_sets_cookie_and_token_works_as_bearer_and_cookie(world: World, browser: httpx.AsyncClient,
                                                                     client: httpx.AsyncClient) -> None:
    user_id, mail = await _user(world)
    r = await browser.post(LOGIN, data={"email": mail.upper(), "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["redirect"] == "/backend" and body["token"]
    cookie = r.headers["set-cookie"].lower()
    assert "auth_token=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie
    assert "session_token" not in cookie  # no remember-me
    token = body["token"]
    # Bearer header.
    r = await client.post(ME, json={"features": ["example.todos.view", "example.todos.manage"]},
                          headers={"Authorization": f"Bearer {token}"})
    assert r.json() == {"ok": False, "granted": ["example.todos.view"]}
    # The cookie alone, on a client that never logged in.
    r = await client.post(ME, json={"features": ["example.todos.view"]}, headers={"Cookie": f"auth_token={token}"})
    assert r.status_code == 200 and r.json() == {"ok": True, "granted": ["example.todos.view"]}
    # And the browser's own jar.
    assert (await browser.post(ME, json={"features": []})).json() == {"ok": True, "granted": []}
    async with sessionmaker()() as s:
        user = await s.get(User, user_id)
        assert user is not None and user.last_login_at is not None


async def test_secure_cookie_in_production(world: World, browser: httpx.AsyncClient,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _, mail = await _user(world)
    monkeypatch.setattr(get_settings(), "secure_cookies", True)
    r = await browser.post(LOGIN, data={"email": mail, "password": PASSWORD, "remember": "on"})
    assert r.status_code == 200
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2 and all("secure" in c.lower() for c in cookies)


async def test_login_refusals(world: World, browser: httpx.AsyncClient) -> None:
    role = await world.role("editor", [])
    caller = await world.user(roles=[role])
    r = await browser.post(LOGIN, data={"email": caller.email, "password": "wrong password"})
    assert r.status_code == 401 and r.json() == {"ok": False, "error": "Invalid email or password"}
    r = await browser.post(LOGIN, data={"email": "nobody-here@example.com", "password": PASSWORD})
    assert r.status_code == 401 and r.json()["ok"] is False
    r = await browser.post(LOGIN, data={"email": caller.email, "password": PASSWORD, "requireRole": "admin,boss"})
    assert r.status_code == 403 and r.json() == {"ok": False, "error": "Not authorized for this area"}
    r = await browser.post(LOGIN, data={"email": caller.email, "password": PASSWORD, "role": "boss, editor"})
    assert r.status_code == 200 and r.json()["ok"] is True
    for bad in [{}, {"email": caller.email}, {"password": PASSWORD}, {"email": "no-at-sign", "password": "x"}]:
        r = await browser.post(LOGIN, data=bad)
        assert r.status_code == 400 and r.json()["ok"] is False and r.json()["error"], bad
    r = await browser.post(LOGIN, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["ok"] is False
    r = await browser.post(LOGIN, json={"email": caller.email, "password": 123456})
    assert r.status_code == 400
    r = await browser.post(LOGIN, content=b"email=a", headers={"Content-Type": "text/plain"})
    assert r.status_code == 400
    r = await browser.post(LOGIN, content=b"--x\r\nbroken", headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code == 400 and r.json()["ok"] is False
    # JSON bodies are accepted too.
    r = await browser.post(LOGIN, json={"email": caller.email, "password": PASSWORD})
    assert r.status_code == 200


async def test_deleted_user_cannot_login(world: World, browser: httpx.AsyncClient) -> None:
    user_id, mail = await _user(world)
    async with sessionmaker()() as s:
        await s.execute(update(User).where(User.id == user_id).values(deleted_at=utcnow()))
        await s.commit()
    assert (await browser.post(LOGIN, data={"email": mail, "password": PASSWORD})).status_code == 401


async def test_expired_and_forged_tokens_are_refused(world: World, client: httpx.AsyncClient) -> None:
    user_id, mail = await _user(world)
    expired = issue_token(user_id=user_id, tenant_id=world.tenant_id, org_id=world.org_id, email=mail,
                          roles=[], ttl_seconds=-10)
    r = await client.post(ME, json={"features": []}, headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}
    r = await client.post(ME, json={"features": []}, headers={"Cookie": f"auth_token={expired}"})
    assert r.status_code == 401
    r = await client.post(ME, json={"features": []}, headers={"Authorization": "Bearer not.a.jwt"})
    assert r.status_code == 401
    # Lifetime comes from settings: eight hours by default.
    import jwt
    good = issue_token(user_id=user_id, tenant_id=world.tenant_id, org_id=world.org_id, email=mail, roles=[])
    claims = jwt.decode(good, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == get_settings().jwt_ttl_seconds == 8 * 3600
    assert claims["sub"] == user_id and claims["tenantId"] == world.tenant_id and claims["orgId"] == world.org_id


async def test_remember_me_refresh_and_logout(world: World, browser: httpx.AsyncClient) -> None:
    user_id, mail = await _user(world)
    r = await browser.post(LOGIN, data={"email": mail, "password": PASSWORD, "remember": "1"})
    assert r.status_code == 200
    secret = r.cookies.get("session_token")
    assert secret
    async with sessionmaker()() as s:
        row = (await s.execute(select(Session).where(Session.user_id == user_id))).scalars().one()
        assert row.token_hash == sha256(secret) and row.token_hash != secret
        expires = row.expires_at.replace(tzinfo=None)
        days = (expires - utcnow().replace(tzinfo=None)).days
        assert get_settings().remember_me_days - 1 <= days <= get_settings().remember_me_days

    # Lose the access token; the session cookie brings a fresh one.
    browser.cookies.delete("auth_token")
    assert (await browser.post(ME, json={"features": []})).status_code == 401
    r = await browser.get("/api/auth/session/refresh", params={"redirect": "/backend/todos"})
    assert r.status_code == 302 and r.headers["location"] == "/backend/todos"
    assert "auth_token=" in r.headers["set-cookie"]
    assert (await browser.post(ME, json={"features": []})).status_code == 200
    # Open redirects are refused.
    for evil in ["https://evil.example", "//evil.example", "/\\evil.example"]:
        r = await browser.get("/api/auth/session/refresh", params={"redirect": evil})
        assert r.status_code == 302 and r.headers["location"] == "/"

    r = await browser.post("/api/auth/logout")
    assert r.status_code == 302 and r.headers["location"] == "/login"
    set_cookies = " ".join(r.headers.get_list("set-cookie"))
    assert 'auth_token=""' in set_cookies and 'session_token=""' in set_cookies and "Max-Age=0" in set_cookies
    assert "auth_token" not in browser.cookies and "session_token" not in browser.cookies
    async with sessionmaker()() as s:
        assert (await s.execute(select(Session).where(Session.user_id == user_id))).first() is None
    # The session is gone: refreshing now sends the browser to the login page.
    browser.cookies.set("session_token", secret, domain="test.local")
    r = await browser.get("/api/auth/session/refresh", params={"redirect": "/backend"}, cookies={})
    assert r.status_code == 302 and r.headers["location"] == "/login?redirect=%2Fbackend"


async def test_logout_with_an_expired_token_still_ends_the_session(world: World, browser: httpx.AsyncClient) -> None:
    user_id, mail = await _user(world)
    await browser.post(LOGIN, data={"email": mail, "password": PASSWORD, "remember": "on"})
    expired = issue_token(user_id=user_id, tenant_id=world.tenant_id, org_id=world.org_id, email=mail,
                          roles=[], ttl_seconds=-10)
    browser.cookies.delete("auth_token")
    browser.cookies.set("auth_token", expired, domain="test.local")
    r = await browser.get("/api/auth/logout")
    assert r.status_code == 302 and "session_token" not in browser.cookies
    async with sessionmaker()() as s:
        assert (await s.execute(select(Session).where(Session.user_id == user_id))).first() is None


async def test_refresh_refuses_expired_or_missing_sessions(world: World, browser: httpx.AsyncClient) -> None:
    user_id, mail = await _user(world)
    r = await browser.get("/api/auth/session/refresh")
    assert r.status_code == 302 and r.headers["location"] == "/login?redirect=%2F"
    await browser.post(LOGIN, data={"email": mail, "password": PASSWORD, "remember": "true"})
    async with sessionmaker()() as s:
        await s.execute(update(Session).where(Session.user_id == user_id)
                        .values(expires_at=utcnow() - timedelta(minutes=1)))
        await s.commit()
    browser.cookies.delete("auth_token")
    r = await browser.get("/api/auth/session/refresh")
    assert r.status_code == 302 and r.headers["location"].startswith("/login")
    assert (await browser.post(ME, json={"features": []})).status_code == 401


async def test_logout_get_works_too(world: World, browser: httpx.AsyncClient) -> None:
    _, mail = await _user(world)
    await browser.post(LOGIN, data={"email": mail, "password": PASSWORD})
    r = await browser.get("/api/auth/logout")
    assert r.status_code == 302 and r.headers["location"] == "/login"
    assert (await browser.post(ME, json={"features": []})).status_code == 401


# --- password reset -----------------------------------------------------------------------------------

def _outbox() -> Path:
    return get_settings().outbox_dir


def _mails_to(address: str) -> list[email.message.Message]:
    if not _outbox().exists():
        return []
    out = []
    for path in sorted(_outbox().glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes())
        if msg["To"] == address:
            out.append(msg)
    return out


def _link(msg: email.message.Message) -> str:
    body = msg.get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(r"(\S+/reset/(\S+))", body.decode())
    assert match, body
    return match.group(1)


async def test_password_reset_end_to_end(world: World, browser: httpx.AsyncClient) -> None:
    user_id, mail = await _user(world)
    r = await browser.post("/api/auth/reset", data={"email": mail})
    assert r.status_code == 200 and r.json() == {"ok": True}
    mails = _mails_to(mail)
    assert len(mails) == 1 and mails[0]["Subject"] == "Reset your password"
    link = _link(mails[0])
    assert link.startswith(get_settings().app_url.rstrip("/") + "/reset/")
    token = link.rsplit("/", 1)[1]
    async with sessionmaker()() as s:
        row = (await s.execute(select(PasswordReset).where(PasswordReset.user_id == user_id))).scalars().one()
        assert row.token_hash == sha256(token) and row.used_at is None
        ttl = (row.expires_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)).total_seconds()
        assert 0 < ttl <= get_settings().password_reset_ttl_seconds

    r = await browser.post("/api/auth/reset/confirm", data={"token": token, "password": "short"})
    assert r.status_code == 400 and r.json()["ok"] is False
    r = await browser.post("/api/auth/reset/confirm", data={"token": token, "password": "brand new secret"})
    assert r.status_code == 200 and r.json() == {"ok": True, "redirect": "/login"}
    assert (await browser.post(LOGIN, data={"email": mail, "password": PASSWORD})).status_code == 401
    assert (await browser.post(LOGIN, data={"email": mail, "password": "brand new secret"})).status_code == 200
    # Used once, never again.
    r = await browser.post("/api/auth/reset/confirm", data={"token": token, "password": "another secret"})
    assert r.status_code == 400 and r.json() == {"ok": False, "error": "Invalid or expired token"}
    r = await browser.post("/api/auth/reset/confirm", data={"token": "x" * 40, "password": "another secret"})
    assert r.status_code == 400


async def test_password_reset_expired_token_and_unknown_account(world: World, browser: httpx.AsyncClient) -> None:
    user_id, mail = await _user(world)
    assert (await browser.post("/api/auth/reset", data={"email": mail})).json() == {"ok": True}
    token = _link(_mails_to(mail)[-1]).rsplit("/", 1)[1]
    async with sessionmaker()() as s:
        await s.execute(update(PasswordReset).where(PasswordReset.user_id == user_id)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
        await s.commit()
    r = await browser.post("/api/auth/reset/confirm", data={"token": token, "password": "brand new secret"})
    assert r.status_code == 400
    assert (await browser.post(LOGIN, data={"email": mail, "password": PASSWORD})).status_code == 200

    ghost = "ghost-account@example.com"
    r = await browser.post("/api/auth/reset", data={"email": ghost})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert _mails_to(ghost) == []
    for bad in [{}, {"email": ""}, {"email": "not-an-email"}]:
        r = await browser.post("/api/auth/reset", data=bad)
        assert r.status_code == 400 and r.json()["ok"] is False
    for bad_confirm in [{}, {"token": token}, {"password": "whatever123"}]:
        assert (await browser.post("/api/auth/reset/confirm", data=bad_confirm)).status_code == 400


# --- throttling -----------------------------------------------------------------------------------------

@pytest.fixture
def tight_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Three attempts per window, on clean counters (the suite runs with a limit of 1000)."""
    monkeypatch.setattr(get_settings(), "login_max_attempts", 3)
    monkeypatch.setattr(get_settings(), "login_window_seconds", 300)
    ratelimit.login_throttle.clear()
    yield
    ratelimit.login_throttle.clear()


def _from(app: FastAPI, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 4000)), base_url="http://test")


async def test_login_is_throttled_per_account(world: World, app: FastAPI, tight_limits: None) -> None:
    _, mail = await _user(world)
    for i in range(3):
        async with _from(app, f"10.0.0.{i + 1}") as c:
            assert (await c.post(LOGIN, data={"email": mail, "password": "wrong"})).status_code == 401
    async with _from(app, "10.0.0.9") as c:
        # Even the right password waits now, from a fresh address.
        r = await c.post(LOGIN, data={"email": mail, "password": PASSWORD})
        assert r.status_code == 429
        assert r.json() == {"ok": False, "error": "Too many login attempts. Please try again later."}
        # Another account from that address is unaffected.
        _, other = await _user(world)
        assert (await c.post(LOGIN, data={"email": other, "password": PASSWORD})).status_code == 200


async def test_login_is_throttled_per_address(world: World, app: FastAPI, tight_limits: None) -> None:
    _, mail = await _user(world)
    async with _from(app, "10.0.1.1") as c:
        for i in range(3):
            r = await c.post(LOGIN, data={"email": f"guess{i}@example.com", "password": "wrong"})
            assert r.status_code == 401
        r = await c.post(LOGIN, data={"email": mail, "password": PASSWORD})
        assert r.status_code == 429 and r.json()["ok"] is False
    async with _from(app, "10.0.1.2") as c:
        assert (await c.post(LOGIN, data={"email": mail, "password": PASSWORD})).status_code == 200


async def test_success_resets_the_account_counter(world: World, app: FastAPI, tight_limits: None) -> None:
    _, mail = await _user(world)
    async with _from(app, "10.0.2.1") as c:
        for _ in range(2):
            assert (await c.post(LOGIN, data={"email": mail, "password": "wrong"})).status_code == 401
        assert (await c.post(LOGIN, data={"email": mail, "password": PASSWORD})).status_code == 200
    async with _from(app, "10.0.2.2") as c:
        for _ in range(3):
            assert (await c.post(LOGIN, data={"email": mail, "password": "wrong"})).status_code == 401


def test_sliding_window_forgets_old_attempts() -> None:
    now = [1000.0]
    window = ratelimit.SlidingWindow(max_attempts=2, window_seconds=60, clock=lambda: now[0])
    window.hit("a")
    window.hit("a")
    assert not window.allowed("a") and window.allowed("b")
    now[0] += 61
    assert window.allowed("a")


# --- locale ---------------------------------------------------------------------------------------------

async def test_locale_cookie(browser: httpx.AsyncClient) -> None:
    r = await browser.get("/api/auth/locale")
    assert r.status_code == 200 and r.json()["locale"] == "en"
    r = await browser.post("/api/auth/locale", json={"locale": "pl"})
    assert r.status_code == 201 and r.json()["ok"] is True
    cookie = r.headers["set-cookie"]
    assert "locale=pl" in cookie and f"Max-Age={365 * 24 * 3600}" in cookie
    assert (await browser.get("/api/auth/locale")).json()["locale"] == "pl"
    for bad in [{"locale": "xx"}, {"locale": 5}, {}]:
        r = await browser.post("/api/auth/locale", json=bad)
        assert r.status_code == 400 and "error" in r.json(), bad
    r = await browser.post("/api/auth/locale", content=b"{oops", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert (await browser.get("/api/auth/locale")).json()["locale"] == "pl"
    r = await browser.get("/api/auth/locale", params={"locale": "de", "redirect": "/backend"})
    assert r.status_code == 302 and r.headers["location"] == "/backend"
    assert (await browser.get("/api/auth/locale")).json()["locale"] == "de"
    assert (await browser.get("/api/auth/locale", params={"locale": "klingon"})).status_code == 400
