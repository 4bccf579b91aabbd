"""The API process's one Temporal client, connected on first use from settings (address, namespace).

Tests and tools point it elsewhere with `set_client(client, task_queue=...)`.
"""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from api.payload_converter import DATA_CONVERTER
from api.settings import get_settings

_client: Client | None = None
_task_queue: str | None = None
_lock: asyncio.Lock | None = None


async def get_client() -> Client:
    global _client, _lock
    if _client is not None:
        return _client
    if _lock is None:
        _lock = asyncio.Lock()
    async with _lock:
        # Concurrent first requests share one connection attempt.
        if _client is None:
            settings = get_settings()
            _client = await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace,
                                           data_converter=DATA_CONVERTER)
    return _client


def set_client(client: Client | None, *, task_queue: str | None = None) -> None:
    """Use `client` (None: reconnect from settings on next use) and optionally another task queue."""
    global _client, _task_queue
    _client = client
    _task_queue = task_queue


def task_queue() -> str:
    return _task_queue or get_settings().temporal_task_queue
