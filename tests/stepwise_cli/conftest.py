"""The CLI runs against a live API (tests/live.py) backed by the test run's Temporal server and engine worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from api import temporal
from tests.api.modules.workflows.conftest import engine_queue, temporal_env  # noqa: F401 - fixtures
from tests.live import live_server


@pytest.fixture(scope="session")
async def live_url(app: FastAPI, temporal_env: WorkflowEnvironment, engine_queue: str) -> AsyncIterator[str]:  # noqa: F811
    address = temporal_env.client.service_client.config.target_host
    async with live_server(temporal_address=address, task_queue=engine_queue) as url:
        yield url


@pytest.fixture
def engine(temporal_env: WorkflowEnvironment, engine_queue: str) -> Iterator[WorkflowEnvironment]:  # noqa: F811
    """The in-process API (the `client` fixture) talks to the same engine as the live one."""
    temporal.set_client(temporal_env.client, task_queue=engine_queue)
    yield temporal_env
    temporal.set_client(None)
