"""Console tests: over HTTP in-process (the `client` fixture), and in a real browser (Debian's chromium driven
by Playwright) against a live API backed by the test run's Temporal server and engine worker."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from api import temporal
from tests.api.modules.workflows.conftest import engine_queue, temporal_env  # noqa: F401 - fixtures
from tests.live import live_server

# Debian's package; `.ci/run` installs it. Playwright drives it through `executable_path` (no browser download).
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).exists()), None)


@pytest.fixture(scope="session")
async def live_url(app: FastAPI, temporal_env: WorkflowEnvironment, engine_queue: str) -> AsyncIterator[str]:  # noqa: F811
    address = temporal_env.client.service_client.config.target_host
    async with live_server(temporal_address=address, task_queue=engine_queue) as url:
        yield url


@pytest.fixture
def engine(temporal_env: WorkflowEnvironment, engine_queue: str) -> Iterator[WorkflowEnvironment]:  # noqa: F811
    temporal.set_client(temporal_env.client, task_queue=engine_queue)
    yield temporal_env
    temporal.set_client(None)
