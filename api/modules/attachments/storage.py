"""Where attachment bytes live. A partition names a storage driver; the driver keeps bytes under keys
the module builds from ids only (`<partition>/<tenant>/<organization>/<attachment id>`), so nothing a
client sends ever becomes part of a path. `local` keeps them on disk under the attachments directory;
another driver (an S3-compatible bucket, say) implements `StorageDriver` and joins `DRIVERS`."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from api.settings import get_settings

# Keys are made of ids and partition codes: anything else is a bug, refused before touching the disk.
_KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")
CHUNK = 64 * 1024


class StorageError(Exception):
    """The driver could not store or find the bytes (a full disk, a missing file)."""


class StorageDriver(Protocol):
    name: str

    async def save(self, key: str, data: bytes) -> None: ...

    async def read(self, key: str) -> bytes: ...

    def stream(self, key: str) -> AsyncIterator[bytes]: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...


def root() -> Path:
    settings = get_settings()
    return settings.attachments_dir or settings.data_dir / "attachments"


def _inside(base: Path, key: str) -> Path:
    if not _KEY.fullmatch(key) or ".." in key.split("/"):
        raise StorageError(f"invalid storage key {key!r}")
    path = (base / key).resolve()
    if not path.is_relative_to(base.resolve()):
        raise StorageError(f"storage key {key!r} leaves the storage root")
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    """Readers see the whole file or none of it: written beside, then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LocalDriver:
    """Files on the local disk under `base` (the attachments directory by default)."""

    name = "local"

    def __init__(self, base: Path | None = None) -> None:
        self._base = base

    @property
    def base(self) -> Path:
        return self._base or root() / "files"

    async def save(self, key: str, data: bytes) -> None:
        try:
            await asyncio.to_thread(_write_atomically, _inside(self.base, key), data)
        except OSError as exc:
            raise StorageError(str(exc)) from exc

    async def read(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(_inside(self.base, key).read_bytes)
        except OSError as exc:
            raise StorageError(str(exc)) from exc

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        path = _inside(self.base, key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except OSError as exc:
            raise StorageError(str(exc)) from exc
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(_inside(self.base, key).is_file)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(_inside(self.base, key).unlink, True)


DRIVERS: dict[str, StorageDriver] = {"local": LocalDriver()}


def driver(name: str | None) -> StorageDriver:
    found = DRIVERS.get(name or "local")
    if found is None:
        raise StorageError(f"unknown storage driver {name!r}")
    return found


# --- thumbnails: rendered once per size, kept on the local disk whatever the partition's driver -------

def _thumbnail_dir(tenant_id: str, attachment_id: str) -> Path:
    # Ids only (checked by the key pattern), so the path cannot leave the thumbnails directory; no
    # `resolve()` here: this runs on every cached thumbnail request and symlink resolution costs syscalls.
    key = f"{tenant_id}/{attachment_id}"
    if not _KEY.fullmatch(key) or ".." in key.split("/"):
        raise StorageError(f"invalid storage key {key!r}")
    return root() / "thumbnails" / key


def thumbnail_path(tenant_id: str, attachment_id: str, variant: str) -> Path:
    return _thumbnail_dir(tenant_id, attachment_id) / variant


def read_small(path: Path) -> bytes | None:
    """A cached thumbnail's bytes, or None. Read on the event loop on purpose: thumbnails are a few
    kilobytes in the page cache, and a thread hand-off costs more than the read (bench/attachments.py)."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


async def save_thumbnail(path: Path, data: bytes) -> None:
    await asyncio.to_thread(_write_atomically, path, data)


async def clear_thumbnails(tenant_id: str, attachment_id: str) -> None:
    await asyncio.to_thread(shutil.rmtree, _thumbnail_dir(tenant_id, attachment_id), True)
