"""Fixtures of the tracking registration tests: a local HTTP server answering like Freighttech's references API,
and a Temporal dev server with a worker serving the manifests' code workflows and activities, as worker.py
registers them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.http_server import reply, serving
from tests.temporal_env import api_talks_to, dev_server, manifest_queue


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
    async with dev_server() as env:
        yield env


@pytest.fixture(scope="session")
async def tracking_queue(tracking_temporal: WorkflowEnvironment) -> AsyncIterator[str]:
    async with manifest_queue(tracking_temporal, "tracking") as queue:
        yield queue


@pytest.fixture
def registrar(tracking_temporal: WorkflowEnvironment, tracking_queue: str) -> Iterator[WorkflowEnvironment]:
    """The API's Temporal client pointed at the dev server whose worker makes the registrations."""
    with api_talks_to(tracking_temporal, tracking_queue) as env:
        yield env
