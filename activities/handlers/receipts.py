"""Receipts of effects that cannot share a database transaction (a message handed to SMTP, a file in
the outbox): one small JSON file per idempotency key, written after the effect, read before it, so a
retried activity returns the first attempt's output instead of doing the effect again."""

from __future__ import annotations

import asyncio
import json
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
