"""The attachments module's rules as plain functions, and its public surface for other modules:
default partitions, tag and assignment normalisation, the URLs of files and thumbnails."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.casing import jsonable
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
