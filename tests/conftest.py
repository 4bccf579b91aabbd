"""Test world: one migrated database per run (SQLite in a temp dir, or PostgreSQL when
STEPWISE_TEST_DATABASE_URL is set). Each test builds its own tenant with `world`, so tests never
see each other's rows: tenancy is the isolation, exactly as in production."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="stepwise-test-"))
os.environ["STEPWISE_DATA_DIR"] = str(_TMP)
os.environ.setdefault("STEPWISE_JWT_SECRET", "test-secret-" + "x" * 40)
os.environ["STEPWISE_DATABASE_URL"] = os.environ.get("STEPWISE_TEST_DATABASE_URL") or \
    f"sqlite+aiosqlite:///{_TMP / 'test.db'}"
# Login throttling is tested explicitly; everywhere else it must not get in the way.
os.environ.setdefault("STEPWISE_LOGIN_MAX_ATTEMPTS", "1000")

import httpx  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from sqlalchemy import text  # noqa: E402

from api import security  # noqa: E402
from api.db import make_engine, set_engine  # noqa: E402
from api.settings import get_settings  # noqa: E402
from tests.fixtures import World  # noqa: E402


async def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
async def app() -> AsyncIterator[FastAPI]:
    url = get_settings().db_url
    if url.startswith("postgresql"):
        await _reset_postgres(url)
    import asyncio

    from api.cli import migrate
    await asyncio.to_thread(migrate)
    engine = make_engine(url)
    set_engine(engine)
    from api.app import create_app

    yield create_app()
    await engine.dispose()


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    # The client is shared by the session: a sign-in cookie an earlier test left would answer for this one's
    # anonymous requests (tests that sign in use a client of their own, `browser`; this keeps a slip harmless).
    client.cookies.clear()
    return World(client)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still Argon2, with the smallest cost: these tests hash and verify passwords by the dozen, and the
    production parameters take a few hundred milliseconds each on a small machine."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(security, "_hasher", cheap)
    monkeypatch.setattr(security, "_DUMMY_HASH", cheap.hash("not-a-real-password"))
