"""Receipts of effects that cannot share a database transaction (a message handed to SMTP, a file in
the outbox): one small JSON file per idempotency key, written after the effect, read before it, so a
retried activity returns the first attempt's output instead of doing the effect again."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from api.security import sha256


class ReceiptStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        # Hashed: keys are caller-chosen strings and must not become paths.
        return self.directory / f"{sha256(key)}.json"

    def _read(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return data.get("output") if isinstance(data, dict) and data.get("key") == key else None

    def _write(self, key: str, output: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(key)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": key, "output": output}, default=str))
        tmp.replace(path)

    async def get(self, key: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self._read, key)

    async def put(self, key: str, output: dict[str, Any]) -> None:
        await asyncio.to_thread(self._write, key, output)

    @asynccontextmanager
    async def held(self, key: str) -> AsyncIterator[None]:
        """The key's lock (an advisory lock on a file beside its receipt, so attempts in other processes
        sharing the data directory wait too). Polled rather than blocking, so waiters hold no thread."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path(key).with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(0.02)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock
