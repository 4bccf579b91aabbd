"""Files made on the spot for the attachments tests."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

from tests.fixtures import Caller


def image_bytes(size: tuple[int, int] = (64, 48), fmt: str = "PNG", color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


async def upload(caller: Caller, data: bytes, *, name: str = "photo.png", entity: str = "sales:order",
                 record: str = "SO-1", content_type: str = "application/octet-stream",
                 **fields: str) -> httpx.Response:
    form: dict[str, Any] = {"entityId": entity, "recordId": record, **fields}
    return await caller.post("/api/attachments", data=form, files={"file": (name, data, content_type)})


async def uploaded(caller: Caller, data: bytes | None = None, **kw: Any) -> dict[str, Any]:
    r = await upload(caller, image_bytes() if data is None else data, **kw)
    assert r.status_code == 200, r.text
    item: dict[str, Any] = r.json()["item"]
    return item
