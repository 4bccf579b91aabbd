"""What the activity handlers need from the outside world, in one object, so tests can point them at
local servers and a test database. The worker uses the defaults (`get_deps()`); a composition root or a
test may install its own with `configure(...)`."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db import sessionmaker
from api.settings import Settings, get_settings

# host, port → the addresses it resolves to (as strings, in resolver order).
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve_host(host: str, port: int) -> list[str]:
    """getaddrinfo blocks; keep it off the event loop. Raises `socket.gaierror` when the name does not resolve."""
    infos = await asyncio.to_thread(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


@dataclass
class ActivityDeps:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    resolve: Resolver = resolve_host
    # TLS verification for CALL_WEBHOOK (tests install a context that trusts their local certificate).
    verify: ssl.SSLContext | bool = True
    # Used when an activity carries no timeout of its own.
    http_timeout_seconds: float = 30.0
    # Responses are kept in the workflow's history; a larger one is refused rather than truncated.
    max_response_bytes: int = 1024 * 1024
    _app_client: httpx.AsyncClient | None = field(default=None, repr=False)

    def app_client(self) -> httpx.AsyncClient:
        """One pooled client for CALL_API (always the app itself, so pooling by origin is safe)."""
        if self._app_client is None or self._app_client.is_closed:
            self._app_client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        return self._app_client

    async def aclose(self) -> None:
        if self._app_client is not None:
            await self._app_client.aclose()
            self._app_client = None


_current: ActivityDeps | None = None


def get_deps() -> ActivityDeps:
    global _current
    if _current is None:
        _current = ActivityDeps(settings=get_settings(), sessions=sessionmaker())
    return _current


def configure(deps: ActivityDeps | None) -> None:
    """Install the dependencies `run_activity` uses (None: back to the defaults, built on next use)."""
    global _current
    _current = deps
