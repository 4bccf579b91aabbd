"""The attachments module's rules as plain functions, and its public surface for other modules:
default partitions, tag and assignment normalisation, the URLs of files and thumbnails."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.auth import AuthContext
from api.casing import jsonable
from api.crud import service as kit
from api.db import new_id
from api.errors import ApiError, BadRequest
from api.modules.attachments import media, storage
from api.modules.attachments.media import is_image
from api.modules.attachments.models import Attachment, AttachmentPartition

# Every tenant has these two; they are created the first time a tenant lists partitions or uploads.
DEFAULT_PARTITIONS: tuple[dict[str, Any], ...] = (
    {"code": "productsMedia", "title": "Products media",
     "description": "Public media uploaded for catalog products.", "is_public": True},
    {"code": "privateAttachments", "title": "Private attachments",
     "description": "Internal attachments scoped to tenants and organizations.", "is_public": False},
)
DEFAULT_CODES = frozenset(p["code"] for p in DEFAULT_PARTITIONS)
FALLBACK_PARTITION = "privateAttachments"
# Product images go to the public partition, so storefronts can show them without signing in.
_PUBLIC_ENTITIES = {"catalog:catalog_product": "productsMedia"}
# Uploads to the library itself are assigned to nothing until the caller assigns them.
LIBRARY_ENTITY_ID = "attachments:library"
MAX_TAG_LENGTH = 100


def default_partition_code(entity_id: str | None) -> str:
    return _PUBLIC_ENTITIES.get(entity_id or "", FALLBACK_PARTITION)


async def ensure_default_partitions(session: AsyncSession, tenant_id: str) -> None:
    """Creates the tenant's default partitions that are missing. Two first requests of a tenant may
    race here: the unique (tenant, code) key keeps one row, and the loser's savepoint rolls back."""
    existing = set((await session.execute(
        select(AttachmentPartition.code).where(AttachmentPartition.tenant_id == tenant_id))).scalars())
    for seed in DEFAULT_PARTITIONS:
        if seed["code"] in existing:
            continue
        try:
            async with session.begin_nested():
                session.add(AttachmentPartition(tenant_id=tenant_id, storage_driver="local", **seed))
        except IntegrityError:
            pass


async def partition(session: AsyncSession, tenant_id: str, code: str) -> AttachmentPartition | None:
    return (await session.execute(select(AttachmentPartition).where(
        AttachmentPartition.tenant_id == tenant_id, AttachmentPartition.code == code))).scalars().first()


def normalize_tags(raw: Any) -> list[str]:
    """Trimmed, non-empty, unique tags in their first order; a comma list is accepted too."""
    values = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else []
    out: list[str] = []
    for value in values:
        tag = value.strip()[:MAX_TAG_LENGTH] if isinstance(value, str) else ""
        if tag and tag not in out:
            out.append(tag)
    return out


def normalize_assignments(raw: Any) -> list[dict[str, Any]]:
    """`[{type, id, href?, label?}]` with one entry per (type, id), the last one winning."""
    entries = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        kind, ident = _text(entry.get("type")), _text(entry.get("id"))
        if not kind or not ident:
            continue
        item: dict[str, Any] = {"type": kind, "id": ident}
        if href := _text(entry.get("href")):
            item["href"] = href
        elif "href" in entry and entry["href"] is None:
            item["href"] = None
        if label := _text(entry.get("label")):
            item["label"] = label
        found[(kind, ident)] = item
    return list(found.values())


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def upsert_assignment(assignments: Iterable[dict[str, Any]], kind: str, ident: str) -> list[dict[str, Any]]:
    return normalize_assignments([*assignments, {"type": kind, "id": ident}])


def slugify(file_name: str | None, fallback: str = "asset") -> str:
    """`Holiday Photo (1).JPG` → `holiday-photo-1.jpg`: a readable last path segment for image URLs."""
    name = (file_name or "").strip()
    if not name:
        return fallback
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    base, dash = "", False
    for ch in stem.lower():
        if ch.isascii() and ch.isalnum():
            base, dash = base + ch, False
        elif not dash and base:
            base, dash = base + "-", True
    base = base.rstrip("-") or fallback
    return f"{base}.{ext.lower()}" if ext else base


def file_url(attachment_id: str, *, download: bool = False) -> str:
    return f"/api/attachments/file/{quote(attachment_id)}" + ("?download=1" if download else "")


def image_url(attachment_id: str, *, width: int | None = None, height: int | None = None,
              slug: str | None = None, crop: str | None = None) -> str:
    params = {k: v for k, v in (("width", width), ("height", height), ("cropType", crop)) if v}
    path = f"/api/attachments/image/{quote(attachment_id)}" + (f"/{quote(slug)}" if slug else "")
    return path + (f"?{urlencode(params)}" if params else "")


def thumbnail_url(row: Attachment, size: int) -> str | None:
    if not is_image(row.mime_type):
        return None
    return image_url(row.id, width=size, height=size, slug=slugify(row.file_name))


def item(row: Attachment, *, thumbnail: int = 320, partition_title: str | None = None,
         with_partition_title: bool = False) -> dict[str, Any]:
    """An attachment as the API shows it."""
    out: dict[str, Any] = {
        "id": row.id,
        "url": row.url,
        "fileName": row.file_name,
        "fileSize": row.file_size,
        "mimeType": row.mime_type,
        "partitionCode": row.partition_code,
        "createdAt": jsonable(row.created_at),
        "content": row.content,
        "tags": normalize_tags(row.tags),
        "assignments": normalize_assignments(row.assignments),
    }
    if with_partition_title:
        out["partitionTitle"] = partition_title
    if (thumb := thumbnail_url(row, thumbnail)) is not None:
        out["thumbnailUrl"] = thumb
    return out


def partition_item(row: AttachmentPartition) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "title": row.title,
        "description": row.description,
        "storageDriver": row.storage_driver,
        "isPublic": bool(row.is_public),
        "requiresOcr": bool(row.requires_ocr),
        "ocrModel": row.ocr_model,
        "createdAt": jsonable(row.created_at),
        "updatedAt": jsonable(row.updated_at),
    }


def extract_text(data: bytes, mime: str, limit: int = 1_000_000) -> str | None:
    """The text of a text file, for partitions that keep extracted content (`requiresOcr`)."""
    if not mime.startswith("text/"):
        return None
    return data[:limit].decode("utf-8", errors="replace")


# --- storing an upload ----------------------------------------------------------------------------------

KIND = "attachments.attachment"


class StorageFailed(ApiError):
    status = 500


def snapshot(row: Attachment) -> dict[str, Any]:
    return audit.snapshot(row)


async def record(session: AsyncSession, ctx: AuthContext, action: str, row: Attachment,
                 before: dict[str, Any] | None, payload: Any = None) -> None:
    """Audit entry and domain event `attachments.attachment.<created|updated|deleted>`. Not undoable:
    a row put back without its file (or a file left without its row) would be worse than no undo."""
    await kit.record(session, ctx, kind=KIND, action=action, row=row, label="Attachment", before=before,
                     after=None if action == "delete" else snapshot(row), event=item(row), payload=payload)


@dataclass(frozen=True)
class Stored:
    """A stored upload: its row (flushed, audited, announced) and `discard`, which deletes its bytes, for a
    caller whose own writes fail after it (the transaction rolls the row back; the bytes are not in it)."""

    row: Attachment
    discard: Callable[[], Awaitable[None]]


async def store(session: AsyncSession, ctx: AuthContext, *, entity_id: str, record_id: str, data: bytes,
                file_name: str, organization_id: str | None = None, partition_code: str = "",
                tags: list[str] | None = None, assignments: list[dict[str, Any]] | None = None) -> Stored:
    """Stores `data` as an attachment of the record `entity_id`/`record_id`: in the partition asked for, else
    the entity's default, else the private fallback; the content type read from the bytes, the text extracted
    when the partition asks for it. Every module's uploads (the attachments' own route, a shipment's
    documents) go through here, so they are stored, audited and announced alike."""
    tenant_id = ctx.require_tenant()
    org_id = organization_id or ctx.require_org()
    await ensure_default_partitions(session, tenant_id)
    part = None
    for code in dict.fromkeys(c for c in (partition_code, default_partition_code(entity_id), FALLBACK_PARTITION)
                              if c):
        if (part := await partition(session, tenant_id, code)) is not None:
            break
    if part is None:
        raise BadRequest("Storage partition is not configured.")
    mime = media.sniff(data)
    attachment_id = new_id()
    key = f"{part.code}/{tenant_id}/{org_id}/{attachment_id}"
    driver = storage.driver(part.storage_driver)
    try:
        await driver.save(key, data)
    except storage.StorageError:
        raise StorageFailed("Failed to persist attachment.") from None
    if assignments is None:
        assignments = upsert_assignment([], entity_id, record_id) if entity_id != LIBRARY_ENTITY_ID else []
    row = Attachment(
        id=attachment_id, tenant_id=tenant_id, organization_id=org_id, entity_id=entity_id, record_id=record_id,
        partition_code=part.code, file_name=file_name, mime_type=mime, file_size=len(data),
        storage_driver=driver.name, storage_path=key, url=file_url(attachment_id),
        content=extract_text(data, mime) if part.requires_ocr else None,
        tags=tags or [], assignments=assignments, storage_metadata=None,
    )
    try:
        session.add(row)
        await session.flush()
        await record(session, ctx, "create", row, None,
                     {"entityId": entity_id, "recordId": record_id, "fileName": file_name})
    except BaseException:
        await driver.delete(key)
        raise
    return Stored(row, lambda: driver.delete(key))


# --- files served recently -------------------------------------------------------------------------------

# Those columns of recently served attachments, kept a few seconds: a cached thumbnail is otherwise a file
# read behind a database round trip (session, query, commit), which on a busy machine cost more than the
# rest of the request (bench/attachments.py). The access check still runs on every request. This process
# forgets an attachment when it deletes it and every entry when it updates a partition (or undoes an update of
# one); elsewhere (another API process, a partition deleted) a change shows within the TTL.
SERVED_TTL_SECONDS = 5.0
SERVED_MAX = 10_000
served_rows: dict[str, tuple[float, Any]] = {}


def forget_served(attachment_id: str | None = None) -> None:
    if attachment_id is None:
        served_rows.clear()
    else:
        served_rows.pop(attachment_id, None)


def forget_after_commit(session: AsyncSession) -> None:
    """Forget every served row now and again once `session` commits (a request in between may keep one)."""
    forget_served()
    event.listen(session.sync_session, "after_commit", lambda _s: forget_served(), once=True)
