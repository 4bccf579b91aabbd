"""Uploading, listing, streaming, resizing and deleting attachments over HTTP."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import func, select

from api.db import sessionmaker
from api.modules.attachments import storage
from api.modules.attachments.models import Attachment
from api.settings import get_settings
from tests.api.modules.attachments.helpers import image_bytes, upload, uploaded
from tests.fixtures import World

ALL = ["attachments.view", "attachments.manage"]


async def _count(tenant_id: str) -> int:
    async with sessionmaker()() as s:
        return int((await s.execute(select(func.count()).select_from(Attachment)
                                    .where(Attachment.tenant_id == tenant_id))).scalar_one())


async def test_upload_lists_streams_and_deletes(world: World) -> None:
    caller = await world.user(ALL)
    data = image_bytes()
    r = await upload(caller, data, name="Holiday Photo (1).PNG", tags='["trip", "2024"]')
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True
    item = body["item"]
    assert item["fileName"] == "Holiday_Photo__1_.PNG"
    assert item["fileSize"] == len(data)
    assert item["mimeType"] == "image/png"
    assert item["partitionCode"] == "privateAttachments"
    assert item["url"] == f"/api/attachments/file/{item['id']}"
    assert item["thumbnailUrl"] == f"/api/attachments/image/{item['id']}/holiday-photo-1.png?width=320&height=320"
    assert item["tags"] == ["trip", "2024"]
    assert item["assignments"] == [{"type": "sales:order", "id": "SO-1"}]

    listed = await caller.get("/api/attachments", params={"entityId": "sales:order", "recordId": "SO-1"})
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["items"]] == [item["id"]]
    assert listed.json()["items"][0]["createdAt"]
    other_record = await caller.get("/api/attachments", params={"entityId": "sales:order", "recordId": "SO-2"})
    assert other_record.json() == {"items": []}

    f = await caller.get(item["url"])
    assert f.status_code == 200
    assert f.content == data
    assert f.headers["content-type"] == "image/png"
    assert f.headers["cache-control"] == "private, max-age=60"
    assert f.headers["x-content-type-options"] == "nosniff"
    assert "content-disposition" not in f.headers
    d = await caller.get(item["url"], params={"download": "1"})
    assert d.headers["content-disposition"].startswith('attachment; filename="Holiday_Photo__1_.PNG"')

    gone = await caller.delete("/api/attachments", params={"id": item["id"]})
    assert gone.status_code == 200 and gone.json() == {"ok": True}
    assert (await caller.get(item["url"])).status_code == 404
    assert not list((storage.root() / "files").rglob(item["id"]))
    again = await caller.delete("/api/attachments", params={"id": item["id"]})
    assert again.status_code == 404 and again.json() == {"error": "Attachment not found"}


async def test_the_type_comes_from_the_bytes_and_the_disk_sees_only_ids(world: World) -> None:
    caller = await world.user(ALL)
    png = await uploaded(caller, image_bytes(), name="../../etc/passwd.html", content_type="text/html")
    assert png["mimeType"] == "image/png"
    assert "/" not in png["fileName"] and not png["fileName"].startswith(".")
    text = await uploaded(caller, b"<script>alert(1)</script>", name="page.html", content_type="text/html")
    assert text["mimeType"] == "text/plain"
    blob = await uploaded(caller, bytes(range(256)) * 4, name="x.png", content_type="image/png")
    assert blob["mimeType"] == "application/octet-stream"
    async with sessionmaker()() as s:
        row = await s.get(Attachment, png["id"])
        assert row is not None
        assert row.storage_path == f"privateAttachments/{world.tenant_id}/{world.org_id}/{png['id']}"
    files = [p.name for p in (storage.root() / "files").rglob("*") if p.is_file()]
    assert not any("passwd" in n or "page" in n for n in files)
    served = await caller.get(text["url"])
    assert served.headers["content-type"].startswith("text/plain")


async def test_text_is_extracted_when_the_partition_asks_for_it(world: World) -> None:
    caller = await world.user(ALL)
    r = await caller.post("/api/attachments/partitions", json={"code": "ocrDocs", "title": "OCR", "requiresOcr": True})
    assert r.status_code == 201, r.text
    item = await uploaded(caller, b"hello world\n", name="notes.txt", partitionCode="ocrDocs")
    assert item["partitionCode"] == "ocrDocs" and item["content"] == "hello world\n"
    plain = await uploaded(caller, b"hello world\n", name="notes.txt")
    assert plain["content"] is None


async def test_uploads_over_the_limit_get_413_and_store_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    caller = await world.user(ALL)
    monkeypatch.setattr(get_settings(), "attachments_max_upload_bytes", 1000)
    r = await upload(caller, b"x" * 1001)
    assert r.status_code == 413, r.text
    assert r.json()["error"] == "Attachment is too large" and r.json()["maxBytes"] == 1000
    assert await _count(world.tenant_id) == 0
    assert (await upload(caller, b"x" * 1000)).status_code == 200


@pytest.mark.parametrize(("kind", "expected"), [
    ("json", "Expected multipart/form-data"),
    ("no-file", "entityId, recordId and file are required"),
    ("no-record", "entityId, recordId and file are required"),
])
async def test_bad_uploads_are_400_and_store_nothing(world: World, kind: str, expected: str) -> None:
    caller = await world.user(ALL)
    if kind == "json":
        r = await caller.post("/api/attachments", json={"entityId": "a:b", "recordId": "1"})
    elif kind == "no-file":
        r = await caller.post("/api/attachments", data={"entityId": "a:b", "recordId": "1"},
                              files={"other": ("a.txt", b"x", "text/plain")})
    else:
        r = await caller.post("/api/attachments", data={"entityId": "a:b"}, files={"file": ("a.txt", b"x")})
    assert r.status_code == 400, r.text
    assert r.json() == {"error": expected}
    assert await _count(world.tenant_id) == 0


async def test_list_needs_entity_and_record(world: World) -> None:
    caller = await world.user(ALL)
    r = await caller.get("/api/attachments", params={"entityId": "sales:order"})
    assert r.status_code == 400 and r.json() == {"error": "entityId and recordId are required"}
    r = await caller.delete("/api/attachments")
    assert r.status_code == 400 and r.json() == {"error": "Attachment id is required"}


def _decoded(content: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(content))
    img.load()
    return img


async def test_images_are_resized_once_and_then_served_from_the_cache(world: World) -> None:
    caller = await world.user(ALL)
    item = await uploaded(caller, image_bytes((400, 200), "JPEG"), name="wide.jpg")
    base = f"/api/attachments/image/{item['id']}/wide.jpg"

    cover = await caller.get(base, params={"width": 100, "height": 100})
    assert cover.status_code == 200, cover.text
    assert cover.headers["content-type"] == "image/jpeg"
    assert cover.headers["cache-control"] == "private, max-age=60"
    assert _decoded(cover.content).size == (100, 100)
    cached = storage.thumbnail_path(world.tenant_id, item["id"], "w100-h100-ccover")
    assert cached.is_file()
    assert cached.read_bytes() == cover.content
    # Later requests are answered from the cache, not rendered again: a planted file is what they get.
    planted = image_bytes((7, 7), "JPEG")
    cached.write_bytes(planted)
    assert (await caller.get(base, params={"width": 100, "height": 100})).content == planted

    contain = await caller.get(base, params={"width": 100, "height": 100, "cropType": "contain"})
    assert _decoded(contain.content).size == (100, 100)
    only_width = await caller.get(f"/api/attachments/image/{item['id']}", params={"width": 200})
    assert _decoded(only_width.content).size == (200, 100)
    original = await caller.get(base)
    assert _decoded(original.content).size == (400, 200)

    assert (await caller.delete(f"/api/attachments/library/{item['id']}")).status_code == 200
    assert not cached.exists()


@pytest.mark.parametrize("query", [{"width": "0"}, {"width": "4001"}, {"height": "-5"}, {"width": "abc"},
                                   {"width": "99999999999999999999"}, {"width": "10", "cropType": "stretch"}])
async def test_absurd_sizes_are_400(world: World, query: dict[str, str]) -> None:
    caller = await world.user(ALL)
    item = await uploaded(caller)
    r = await caller.get(f"/api/attachments/image/{item['id']}/x.png", params=query)
    assert r.status_code == 400 and r.json() == {"error": "Invalid size parameters"}


async def test_only_images_are_resized(world: World) -> None:
    caller = await world.user(ALL)
    item = await uploaded(caller, b"just text", name="a.txt")
    assert "thumbnailUrl" not in item
    r = await caller.get(f"/api/attachments/image/{item['id']}/a.txt", params={"width": 10})
    assert r.status_code == 400 and r.json() == {"error": "Unsupported media type"}


async def test_a_file_gone_from_storage_is_404_not_500(world: World) -> None:
    caller = await world.user(ALL)
    item = await uploaded(caller)
    async with sessionmaker()() as s:
        row = await s.get(Attachment, item["id"])
        assert row is not None
        key = row.storage_path
    await storage.driver("local").delete(key)
    r = await caller.get(item["url"])
    assert r.status_code == 404 and r.json() == {"error": "File not available"}


async def test_public_partitions_serve_anonymous_callers_private_ones_do_not(world: World) -> None:
    caller = await world.user(ALL)
    private = await uploaded(caller)
    public = await uploaded(caller, partitionCode="productsMedia")
    assert public["partitionCode"] == "productsMedia"
    product = await uploaded(caller, entity="catalog:catalog_product", record="P-1")
    assert product["partitionCode"] == "productsMedia"

    anon = world.client
    r = await anon.get(private["url"])
    assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}
    assert (await anon.get(f"/api/attachments/image/{private['id']}/a.png", params={"width": 8})).status_code == 401
    r = await anon.get(public["url"])
    assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=86400"
    r = await anon.get(f"/api/attachments/image/{public['id']}/a.png", params={"width": 8})
    assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=3600"
    assert (await anon.get("/api/attachments/file/not-a-uuid")).status_code == 404


async def test_uploads_may_exceed_the_api_body_limit_up_to_their_own(world: World) -> None:
    """The API-wide body limit (2 MiB) would cut uploads short; the upload route has its own."""
    caller = await world.user(ALL)
    data = b"plain text line\n" * (3 * 1024 * 1024 // 16)
    assert len(data) > get_settings().max_body_bytes
    r = await upload(caller, data, name="big.txt")
    assert r.status_code == 200, r.text[:200]
    assert r.json()["item"]["fileSize"] == len(data)
    # Any other route keeps the API-wide limit.
    r = await caller.post("/api/example/todos", content=b"x" * (get_settings().max_body_bytes + 1),
                          headers={"Content-Type": "application/json"})
    assert r.status_code == 413


async def test_serving_follows_deletes_and_visibility_changes_at_once(world: World) -> None:
    """Served attachments are remembered a few seconds (service.served_rows); this process's own changes
    are seen by the very next request."""
    caller = await world.user([*ALL, "audit_logs.*"])
    public = await uploaded(caller, partitionCode="productsMedia")
    thumbnail = f"/api/attachments/image/{public['id']}/a.png"
    anon = world.client
    assert (await anon.get(thumbnail, params={"width": 8})).status_code == 200
    assert (await anon.get(thumbnail, params={"width": 8})).status_code == 200  # the remembered row
    media = next(p for p in (await caller.get("/api/attachments/partitions")).json()["items"]
                 if p["code"] == "productsMedia")
    r = await caller.put("/api/attachments/partitions", json={"id": media["id"], "code": "productsMedia",
                                                              "title": media["title"], "isPublic": False})
    assert r.status_code == 200, r.text
    assert (await anon.get(thumbnail, params={"width": 8})).status_code == 401
    assert (await caller.get(thumbnail, params={"width": 8})).status_code == 200
    # Undone, the partition is public again for the very next request too.
    undo = await caller.post("/api/audit_logs/audit-logs/actions/undo",
                             json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    assert (await anon.get(thumbnail, params={"width": 8})).status_code == 200
    assert (await caller.delete("/api/attachments", params={"id": public["id"]})).status_code == 200
    assert (await caller.get(thumbnail, params={"width": 8})).status_code == 404
    assert (await caller.get(public["url"])).status_code == 404
