"""The CRUD kit's own test world: the throwaway tables (created once on the session's database, next to
the migrated ones), and per test a small app of its own that serves exactly the resources the test
declares, reached over real HTTP with callers of the test's own tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api import errors
from api.db import get_engine
from tests.api.crud.gadgets import KitBase
from tests.api.crud.helpers import Kit


@pytest.fixture(scope="session")
async def kit_tables(app: FastAPI) -> AsyncIterator[None]:
    """`app` migrated the database and pointed the process at it; the gadget tables join it for the session."""
    async with get_engine().begin() as conn:
        await conn.run_sync(KitBase.metadata.create_all)
    yield
    async with get_engine().begin() as conn:
        await conn.run_sync(KitBase.metadata.drop_all)


@pytest.fixture
async def kit(kit_tables: None, client: httpx.AsyncClient) -> AsyncIterator[Kit]:
    app = FastAPI()
    errors.install(app)
    # A failing route answers 500 as it would to a real client, instead of raising into the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as own:
        yield Kit(app, own, client)
