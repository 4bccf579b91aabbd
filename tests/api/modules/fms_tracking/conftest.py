"""Fixtures of the tracking registration tests: a local HTTP server answering like Freighttech's references API,
and a Temporal dev server with a worker serving the manifests' code workflows and activities, as worker.py
registers them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api import manifest, temporal
from tests.http_server import reply, serving


@dataclass
class Freighttech:
    """What the server answers to `POST /v1/references`, one mode per call in turn (the last one repeats):
    `ok` (201 with a reference), `down` (503), `refuse` (400 with a message). Records every call."""

    modes: list[str] = field(default_factory=lambda: ["ok"])
    calls: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler(state: Freighttech) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - the http.server protocol
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            state.calls.append({"path": self.path, "apiKey": self.headers.get("X-Api-Key"), "body": body})
            mode = state.modes[min(len(state.calls), len(state.modes)) - 1]
            if self.path != "/v1/references":
                reply(self, 404, b'{"message": "not found"}')
            elif mode == "down":
                reply(self, 503, b"<html>Service Unavailable</html>", "text/html")
            elif mode == "refuse":
                reply(self, 400, b'{"message": "unknown carrier code"}')
            else:
                reference = {"id": f"ref-{len(state.calls)}", "active": True, "carrier_code": body.get("carrier_code"),
                             "container_id": body.get("container_id"), "booking_number": body.get("booking_number")}
                reply(self, 201, json.dumps({"message": "created", "reference": reference}).encode())

    return Handler


@pytest.fixture
def freighttech() -> Iterator[Freighttech]:
    state = Freighttech()
    with serving(_handler(state)) as port:
        state.port = port
        yield state


@pytest.fixture(scope="session")
async def tracking_temporal() -> AsyncIterator[WorkflowEnvironment]:
    binary = Path(sys.executable).parent / "temporal"
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=str(binary))
    yield env
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(env.shutdown(), 10)


@pytest.fixture(scope="session")
async def tracking_queue(tracking_temporal: WorkflowEnvironment) -> AsyncIterator[str]:
    queue = f"tracking-{uuid.uuid4()}"
    worker = Worker(tracking_temporal.client, task_queue=queue, workflows=manifest.temporal_workflows(),
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
def registrar(tracking_temporal: WorkflowEnvironment, tracking_queue: str) -> Iterator[WorkflowEnvironment]:
    """The API's Temporal client pointed at the dev server whose worker makes the registrations."""
    temporal.set_client(tracking_temporal.client, task_queue=tracking_queue)
    yield tracking_temporal
    temporal.set_client(None)
