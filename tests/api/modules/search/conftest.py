"""A Temporal dev server for the run and a worker serving the index jobs' workflow and activities, registered
from the manifests as worker.py registers them; the API's client points at it for the test."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api import manifest, temporal
from api.db import sessionmaker
from api.outbox import DomainEvent
from api.outbox_models import OutboxEvent


@pytest.fixture(scope="session")
async def search_temporal() -> AsyncIterator[WorkflowEnvironment]:
    binary = Path(sys.executable).parent / "temporal"
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(binary))
    yield env
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(env.shutdown(), 10)


@pytest.fixture(scope="session")
async def index_queue(search_temporal: WorkflowEnvironment) -> AsyncIterator[str]:
    queue = f"index-{uuid.uuid4()}"
    worker = Worker(search_temporal.client, task_queue=queue, workflows=manifest.temporal_workflows(),
                    activities=manifest.activities())
    task = asyncio.create_task(worker.run())
    yield queue
    try:
        await asyncio.wait_for(worker.shutdown(), 10)
    except TimeoutError:
        task.cancel()
    with contextlib.suppress(BaseException):
        await task


@pytest.fixture
def jobs(search_temporal: WorkflowEnvironment, index_queue: str) -> Iterator[WorkflowEnvironment]:
    temporal.set_client(search_temporal.client, task_queue=index_queue)
    yield search_temporal
    temporal.set_client(None)


async def deliver(tenant_id: str) -> int:
    """Hand the tenant's domain events to the manifests' subscribers, as the worker's dispatcher does (only this
    tenant's, so other tests' events are left alone)."""
    async with sessionmaker()() as s:
        rows = (await s.execute(select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id)
                                .order_by(OutboxEvent.seq))).scalars().all()
        events = [DomainEvent(r.id, r.seq, r.name, r.tenant_id, r.organization_id, dict(r.payload), r.created_at)
                  for r in rows]
    mine = [h for p, h in manifest.subscribers() if h.__module__.startswith(("api.modules.query_index",
                                                                             "api.modules.search"))]
    for event in events:
        for handler in mine:
            await handler(event)
    return len(events)
