"""Real local servers for the activity handlers: an HTTP server that records what it receives (webhook
target), an HTTPS variant with a certificate for a made-up name, and the app itself served by uvicorn
on a free port (CALL_API target), on the test event loop so it shares the test database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from activities.deps import ActivityDeps, Resolver, resolve_host
from api.db import sessionmaker
from api.settings import get_settings
from engine.contract import RunActivityInput
from tests.http_server import serving


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """A local HTTP(S) server and every request it received."""

    port: int
    scheme: str = "http"
    requests: list[Received] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: bytes, content_type: str = "application/json",
                   extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorder.requests.append(Received(self.command, self.path, {k.lower(): v for k, v in
                                                                        self.headers.items()}, body))
            path = self.path.split("?", 1)[0]
            if path == "/json":
                echo = {"method": self.command, "path": self.path,
                        "body": json.loads(body) if body else None}
                self._reply(200, json.dumps(echo).encode())
            elif path == "/text":
                self._reply(200, b"plain words", "text/plain; charset=utf-8")
            elif path == "/redirect":
                self._reply(302, b"", "text/plain", {"Location": "http://127.0.0.1:1/elsewhere"})
            elif path == "/redirect-bare":
                self._reply(301, b"", "text/plain")
            elif path.startswith("/status/"):
                status = int(path.rsplit("/", 1)[1])
                self._reply(status, json.dumps({"error": f"status {status}"}).encode())
            elif path == "/big":
                self._reply(200, b"x" * (2 * 1024 * 1024), "text/plain")
            elif path == "/slow":
                time.sleep(2)
                self._reply(200, b"{}")
            else:
                self._reply(404, b'{"error":"not found"}')

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

    return Handler


@contextlib.contextmanager
def _serve(recorder_scheme: str, context: ssl.SSLContext | None = None) -> Iterator[Recorder]:
    recorder = Recorder(port=0, scheme=recorder_scheme)
    with serving(_handler(recorder), context) as port:
        recorder.port = port
        yield recorder


@pytest.fixture(scope="session")
def http_server() -> Iterator[Recorder]:
    with _serve("http") as recorder:
        yield recorder


@pytest.fixture
def webhook(http_server: Recorder) -> Recorder:
    http_server.requests.clear()
    return http_server


TLS_NAME = "pinned.test"


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", f"/CN={TLS_NAME}", "-addext",
                    f"subjectAltName=DNS:{TLS_NAME}"], check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="session")
def https_server(tls_files: tuple[Path, Path]) -> Iterator[Recorder]:
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with _serve("https", context) as recorder:
        yield recorder


def static_resolver(names: dict[str, list[str]]) -> Resolver:
    """Real resolution, except for the given names (so tests can point a made-up name anywhere)."""

    async def resolve(host: str, port: int) -> list[str]:
        if host in names:
            return names[host]
        return await resolve_host(host, port)

    return resolve


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # Ctrl-C belongs to pytest, not to this embedded server.
        yield


@pytest.fixture(scope="session")
async def live_app(app: FastAPI) -> AsyncIterator[str]:
    """The app on a real socket, as CALL_API reaches it; returns its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
    sock.close()


@pytest.fixture
def deps(app: FastAPI, tmp_path: Path) -> ActivityDeps:
    """Handler dependencies on the test database; private webhook targets allowed (tests that check the
    SSRF guard turn it back off)."""
    settings = get_settings().model_copy(update={"webhook_allow_private": True, "data_dir": tmp_path})
    return ActivityDeps(settings=settings, sessions=sessionmaker(), http_timeout_seconds=5)


def activity_input(activity_type: str, config: dict[str, Any], *, tenant_id: str = "", organization_id: str = "",
                   user_id: str | None = None, key: str | None = None, **extra: Any) -> RunActivityInput:
    return RunActivityInput(
        instance_id=extra.pop("instance_id", str(uuid.uuid4())), tenant_id=tenant_id or str(uuid.uuid4()),
        organization_id=organization_id or str(uuid.uuid4()), user_id=user_id,
        activity_id=extra.pop("activity_id", "act-1"), activity_type=activity_type,
        activity_name=extra.pop("activity_name", activity_type.lower()), config=config,
        context=extra.pop("context", {}), idempotency_key=key if key is not None else str(uuid.uuid4()), **extra,
    )
