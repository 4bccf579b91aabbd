"""A Temporal dev server for the run and a worker serving the index jobs' workflow and activities, registered
from the manifests as worker.py registers them; the API's client points at it for the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api import manifest
from api.db import sessionmaker
from api.outbox import DomainEvent
from api.outbox_models import OutboxEvent
from tests.temporal_env import api_talks_to, dev_server, manifest_queue


@pytest.fixture(scope="session")
async def search_temporal() -> AsyncIterator[WorkflowEnvironment]:
    async with dev_server() as env:
        yield env


@pytest.fixture(scope="session")
async def index_queue(search_temporal: WorkflowEnvironment) -> AsyncIterator[str]:
    async with manifest_queue(search_temporal, "index") as queue:
        yield queue


@pytest.fixture
def jobs(search_temporal: WorkflowEnvironment, index_queue: str) -> Iterator[WorkflowEnvironment]:
    with api_talks_to(search_temporal, index_queue) as env:
        yield env


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
