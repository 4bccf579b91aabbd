"""Self sign-up over HTTP: the mailed link (hashed token at rest), provisioning on verify, a token
that works once and expires, refusals and throttling."""

from __future__ import annotations

import email
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.db import sessionmaker, utcnow
from api.modules.auth.models import User
from api.modules.dictionaries.models import Dictionary
from api.modules.onboarding import routes
from api.modules.onboarding.models import OnboardingRequest
from api.settings import get_settings
from tests.fixtures import World

SIGNUP = "/api/onboarding/onboarding"
VERIFY = "/api/onboarding/onboarding/verify"


@pytest.fixture(autouse=True)
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, world: World) -> Iterator[Path]:
    monkeypatch.setattr(get_settings(), "smtp_host", "")
    monkeypatch.setattr(get_settings(), "mail_outbox_dir", tmp_path)
    routes.signup_throttle.clear()
    routes.verify_throttle.clear()
    yield tmp_path
    # Verify signs the new administrator in with a cookie: the shared client must not keep it, or
    # later tests' anonymous calls would be authenticated.
    world.client.cookies.clear()


def _form(address: str, **extra: object) -> dict[str, object]:
    return {"email": address, "firstName": "Ada", "lastName": "Lovelace", "organizationName": "Engines Ltd",
            "password": "secret-pass", "confirmPassword": "secret-pass", "termsAccepted": True, **extra}


def _token(outbox: Path) -> str:
    (message,) = list(outbox.glob("*.eml"))
    body = email.message_from_bytes(message.read_bytes()).get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(r"verify\?token=([0-9a-f]+)", body.decode())
    assert match
    return match.group(1)


async def _users(address: str) -> int:
    async with sessionmaker()() as s:
        return int((await s.execute(select(func.count()).select_from(User).where(User.email == address))).scalar_one())


async def test_sign_up_verify_once(world: World, outbox: Path) -> None:
    address = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    r = await world.client.post(SIGNUP, json=_form(address))
    assert r.status_code == 201 and r.json() == {"ok": True, "email": address}
    token = _token(outbox)
    async with sessionmaker()() as s:
        row = (await s.execute(select(OnboardingRequest).where(OnboardingRequest.email == address))).scalars().one()
        assert row.token_hash != token and token not in row.token_hash and row.status == "pending"
    assert (await world.client.post(SIGNUP, json=_form(address))).status_code == 409

    r = await world.client.get(VERIFY, params={"token": token})
    assert r.status_code == 302 and r.headers["location"].endswith("/backend")
    cookie = r.cookies.get("auth_token")
    assert cookie
    me = await world.client.get("/api/dictionaries", headers={"Authorization": f"Bearer {cookie}"})
    assert me.status_code == 200 and len(me.json()["items"]) == 5
    assert await _users(address) == 1

    again = await world.client.get(VERIFY, params={"token": token})
    assert again.status_code == 302 and again.headers["location"].endswith("/onboarding?status=invalid")
    assert await _users(address) == 1
    assert (await world.client.post(SIGNUP, json=_form(address))).status_code == 409  # the account exists


async def test_expired_and_bad_tokens(world: World, outbox: Path) -> None:
    address = f"late-{uuid.uuid4().hex[:8]}@example.com"
    assert (await world.client.post(SIGNUP, json=_form(address))).status_code == 201
    token = _token(outbox)
    async with sessionmaker()() as s:
        row = (await s.execute(select(OnboardingRequest).where(OnboardingRequest.email == address))).scalars().one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        await s.commit()
    for bad in (token, "short", "f" * 64):
        r = await world.client.get(VERIFY, params={"token": bad})
        assert r.status_code == 302 and r.headers["location"].endswith("status=invalid")
    assert (await world.client.get(VERIFY)).headers["location"].endswith("status=invalid")
    assert await _users(address) == 0


async def test_invalid_forms_store_nothing(world: World, outbox: Path) -> None:
    address = f"bad-{uuid.uuid4().hex[:8]}@example.com"
    cases = {"email": _form("not-an-email"), "confirmPassword": _form(address, confirmPassword="other-pass"),
             "termsAccepted": _form(address, termsAccepted=False), "password": _form(address, password="123",
                                                                                      confirmPassword="123"),
             "firstName": _form(address, firstName="")}
    for field, body in cases.items():
        r = await world.client.post(SIGNUP, json=body)
        assert r.status_code == 400 and r.json()["ok"] is False and field in r.json()["fieldErrors"], (field, r.text)
    assert (await world.client.post(SIGNUP, content=b"nope", headers={"content-type": "application/json"})
            ).status_code == 400
    huge = await world.client.post(SIGNUP, content=b"x" * (get_settings().max_body_bytes + 1))
    assert huge.status_code == 413
    async with sessionmaker()() as s:
        assert (await s.execute(select(func.count()).select_from(OnboardingRequest)
                                .where(OnboardingRequest.email == address))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(Dictionary).where(Dictionary.tenant_id.is_(None))
                                )).scalar_one() == 0
    assert not any(p.suffix == ".eml" for p in outbox.iterdir())  # noqa: ASYNC240 - a test's temp dir


async def test_sign_ups_are_throttled(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "login_max_attempts", 2)
    for _ in range(2):
        await world.client.post(SIGNUP, json=_form("not-an-email"))
    r = await world.client.post(SIGNUP, json=_form("not-an-email"))
    assert r.status_code == 429
