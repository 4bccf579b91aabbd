"""The attachments routes that are not plain CRUD: multipart upload, file streaming and image resizing,
the record list, the media library, transfers, and the partitions' list and update."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from api.auth import AuthContext, OptionalAuthDep, requires
from api.crud import service as kit
from api.crud.answers import OK, file_answer, json_answer, many, page, shape, with_keys
from api.crud.query import fetch_page, is_uuid, list_parameters
from api.crud.routes import read_json, validate_model
from api.deps import SessionDep
from api.errors import BadRequest, NotFound, PayloadTooLarge, Unauthorized
from api.modules.attachments import media, service, storage
from api.modules.attachments.models import Attachment, AttachmentPartition
from api.modules.attachments.resources import MANAGE, PARTITION_ANSWER, VIEW, library, partitions
from api.modules.attachments.schemas import LibraryPatch, Transfer
from api.settings import get_settings

# The answers' shapes (the OpenAPI document).
ATTACHMENT = shape(id="string", url="string", fileName="string", fileSize="integer", mimeType="string?")

router = APIRouter(tags=["Attachments"])
Viewing = Annotated[AuthContext, Depends(requires(VIEW))]
Managing = Annotated[AuthContext, Depends(requires(MANAGE))]


# --- reading rows ------------------------------------------------------------------------------------

async def _own(session: AsyncSession, ctx: AuthContext, attachment_id: str) -> Attachment:
    """An attachment of the caller's tenant and organizations; any other id is a 404."""
    if not attachment_id or not is_uuid(attachment_id):
        raise NotFound("Attachment not found")
    row = (await session.execute(kit.scoped(library, ctx).where(Attachment.id == attachment_id))).scalars().first()
    if row is None:
        raise NotFound("Attachment not found")
    return row  # type: ignore[no-any-return]


# What serving a file needs of an attachment and its partition (columns only: not the extracted text).
_SERVED = (Attachment.id, Attachment.tenant_id, Attachment.organization_id, Attachment.file_name,
           Attachment.mime_type, Attachment.file_size, Attachment.storage_driver, Attachment.storage_path,
           AttachmentPartition.id.label("partition_id"), AttachmentPartition.is_public)


async def _served_row(session: AsyncSession, attachment_id: str) -> Any | None:
    now = time.monotonic()
    kept = service.served_rows.get(attachment_id)
    if kept is not None and kept[0] > now:
        return kept[1]
    row = (await session.execute(
        select(*_SERVED).outerjoin(AttachmentPartition, and_(
            AttachmentPartition.tenant_id == Attachment.tenant_id,
            AttachmentPartition.code == Attachment.partition_code))
        .where(Attachment.id == attachment_id))).first() if is_uuid(attachment_id) else None
    if row is not None and row.partition_id is not None:
        if len(service.served_rows) >= service.SERVED_MAX:
            service.served_rows.clear()
        service.served_rows[attachment_id] = (now + service.SERVED_TTL_SECONDS, row)
    return row


async def _served(session: AsyncSession, ctx: AuthContext | None, attachment_id: str) -> Any:
    """An attachment the caller may download (with its partition's `is_public`): anyone's for a public
    partition, else only a signed-in caller's of the same tenant and organizations. Another tenant's file
    is a 404, whatever its partition, so ids of other tenants cannot be probed."""
    row = await _served_row(session, attachment_id)
    if row is None:
        raise NotFound("Attachment not found")
    public = row.partition_id is not None and bool(row.is_public)
    if ctx is None:
        if not public:
            raise Unauthorized("Unauthorized")
    elif ctx.tenant_id != row.tenant_id or not (ctx.is_super_admin or ctx.sees_org(row.organization_id)):
        raise NotFound("Attachment not found")
    if row.partition_id is None:
        raise NotFound("Attachment not found")
    return row


async def _remove(session: AsyncSession, ctx: AuthContext, row: Attachment, tasks: BackgroundTasks) -> None:
    before = service.snapshot(row)
    service.forget_served(row.id)
    await session.delete(row)
    await session.flush()
    await service.record(session, ctx, "delete", row, before, {"id": row.id})
    # The bytes go once the row's deletion is committed (the session commits before the response is
    # sent, background tasks run after it): a failed commit leaves the file in place.
    tasks.add_task(_drop_files, row.storage_driver, row.storage_path, row.tenant_id or "", row.id)


async def _drop_files(driver_name: str, key: str, tenant_id: str, attachment_id: str) -> None:
    service.forget_served(attachment_id)  # again: a request may have kept the row between the delete and its commit
    try:
        await storage.driver(driver_name).delete(key)
    except (storage.StorageError, OSError):
        pass
    await storage.clear_thumbnails(tenant_id, attachment_id)


# --- record attachments ------------------------------------------------------------------------------

@router.get("/attachments", summary="List attachments for a record",
            description="Returns uploaded attachments for the given entity record, ordered by newest first. "
                        "Requires features: attachments.view",
            openapi_extra={"parameters": [
                {"name": "entityId", "in": "query", "required": True, "schema": {"type": "string"}},
                {"name": "recordId", "in": "query", "required": True, "schema": {"type": "string"}}]},
            responses=json_answer(shape(items=many(ATTACHMENT))))
async def list_for_record(request: Request, session: SessionDep, ctx: Viewing) -> dict[str, Any]:
    entity_id = request.query_params.get("entityId") or ""
    record_id = request.query_params.get("recordId") or ""
    if not entity_id or not record_id:
        raise BadRequest("entityId and recordId are required")
    rows = (await session.execute(kit.scoped(library, ctx).where(
        Attachment.entity_id == entity_id, Attachment.record_id == record_id,
    ).order_by(Attachment.created_at.desc(), Attachment.id).limit(1000))).scalars().all()
    return {"items": [service.item(r) for r in rows]}


def _form_text(form: Any, key: str, limit: int = 200) -> str:
    value = form.get(key)
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if len(value) > limit:
        raise BadRequest(f"{key} is too long")
    return value


def _form_json(raw: str) -> Any:
    import json
    try:
        return json.loads(raw)
    except ValueError:
        return raw


async def _read_upload(file: UploadFile, limit: int) -> bytes:
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge("Attachment is too large", extra={"maxBytes": limit})
    return data


def _safe_name(name: str | None) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", (name or "").strip())[-255:].lstrip(".")
    return cleaned or "file"


@router.post("/attachments", summary="Upload attachment",
             description="Uploads a new attachment using multipart form-data (`entityId`, `recordId`, `file`; "
                         "optional `partitionCode`, `tags` as a JSON array or comma list, `assignments` as "
                         "JSON) and stores metadata for later retrieval. The content type is read from the "
                         "file's bytes. Files over the upload limit get 413. "
                         "Requires features: attachments.manage",
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["entityId", "recordId", "file"],
                 "properties": {"entityId": {"type": "string"}, "recordId": {"type": "string"},
                                "file": {"type": "string", "format": "binary"},
                                "partitionCode": {"type": "string"}, "tags": {"type": "string"},
                                "assignments": {"type": "string"}}}}}}},
             responses=json_answer(shape(ok="true", item=ATTACHMENT)))
async def upload(request: Request, session: SessionDep, ctx: Managing) -> dict[str, Any]:
    if "multipart/form-data" not in request.headers.get("content-type", "").lower():
        raise BadRequest("Expected multipart/form-data")
    limit = get_settings().attachments_max_upload_bytes
    try:
        form = await request.form(max_files=1, max_fields=20)
    except Exception:
        raise BadRequest("Invalid multipart body") from None
    try:
        entity_id, record_id = _form_text(form, "entityId"), _form_text(form, "recordId")
        file = form.get("file")
        if not entity_id or not record_id or not isinstance(file, UploadFile):
            raise BadRequest("entityId, recordId and file are required")
        data = await _read_upload(file, limit)
        file_name = _safe_name(file.filename)
        override = re.sub(r"[^A-Za-z0-9_-]", "", _form_text(form, "partitionCode", 60))
        tags = service.normalize_tags(_form_json(_form_text(form, "tags", 10_000)))
        raw_assignments = _form_json(_form_text(form, "assignments", 100_000))
    finally:
        # Spooled temporary files of the parsed form go now, not when the garbage collector runs.
        await form.close()
    assignments = service.normalize_assignments(raw_assignments)
    if entity_id != service.LIBRARY_ENTITY_ID:
        assignments = service.upsert_assignment(assignments, entity_id, record_id)

    stored = await service.store(session, ctx, entity_id=entity_id, record_id=record_id, data=data,
                                 file_name=file_name, partition_code=override, tags=tags, assignments=assignments)
    return {"ok": True, "item": service.item(stored.row)}


@router.delete("/attachments", summary="Delete attachment",
               description="Removes an uploaded attachment (`?id=`) and deletes the stored file and its "
                           "thumbnails. Requires features: attachments.manage",
               openapi_extra={"parameters": [{"name": "id", "in": "query", "required": True,
                                              "schema": {"type": "string"}}]},
               responses=json_answer(OK))
async def delete_attachment(request: Request, session: SessionDep, ctx: Managing,
                            tasks: BackgroundTasks) -> dict[str, Any]:
    attachment_id = request.query_params.get("id") or ""
    if not attachment_id:
        raise BadRequest("Attachment id is required")
    await _remove(session, ctx, await _own(session, ctx, attachment_id), tasks)
    return {"ok": True}


# --- serving files -----------------------------------------------------------------------------------

def _cache_control(public: bool, max_age: int) -> str:
    return f"public, max-age={max_age}" if public else "private, max-age=60"


@router.get("/attachments/file/{id}", summary="Download an attachment",
            description="Streams the stored file. `?download=1` asks the browser to save it. Files of public "
                        "partitions are served to anyone and may be cached by shared caches for a day; "
                        "others need a signed-in caller of the same tenant and organizations (401 without "
                        "one; another tenant's id is a 404).",
            responses=file_answer("application/octet-stream", "The file, in its own media type"),
            response_class=Response)
async def file(id: str, request: Request, session: SessionDep, ctx: OptionalAuthDep) -> Response:
    row = await _served(session, ctx, id)
    driver = storage.driver(row.storage_driver)
    if not await driver.exists(row.storage_path):
        raise NotFound("File not available")
    headers = {"Cache-Control": _cache_control(row.is_public, 86400), "Content-Length": str(row.file_size),
               # The type was sniffed on upload; browsers must not guess another one (HTML, script).
               "X-Content-Type-Options": "nosniff"}
    if request.query_params.get("download") == "1":
        headers["Content-Disposition"] = f"attachment; filename=\"{row.file_name}\"; " \
                                         f"filename*=UTF-8''{quote(row.file_name)}"
    chunks: AsyncIterator[bytes] = driver.stream(row.storage_path)
    return StreamingResponse(chunks, media_type=row.mime_type or "application/octet-stream", headers=headers)


def _size(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= media.MAX_DIMENSION:
        raise BadRequest("Invalid size parameters")
    return int(raw)


async def image(id: str, request: Request, session: SessionDep, ctx: OptionalAuthDep) -> Response:
    width, height = _size(request, "width"), _size(request, "height")
    crop = request.query_params.get("cropType") or "cover"
    if crop not in ("cover", "contain"):
        raise BadRequest("Invalid size parameters")
    row = await _served(session, ctx, id)
    if not media.is_image(row.mime_type):
        raise BadRequest("Unsupported media type")
    headers = {"Cache-Control": _cache_control(row.is_public, 3600), "X-Content-Type-Options": "nosniff"}
    driver = storage.driver(row.storage_driver)
    if not width and not height:
        try:
            original = await driver.read(row.storage_path)
        except storage.StorageError:
            raise NotFound("File not available") from None
        return Response(original, media_type=row.mime_type, headers=headers)
    out_mime = media.output_mime(row.mime_type)
    cached = storage.thumbnail_path(row.tenant_id or "", row.id, f"w{width or 'auto'}-h{height or 'auto'}-c{crop}")
    if (hit := storage.read_small(cached)) is not None:
        return Response(hit, media_type=out_mime, headers=headers)
    try:
        original = await driver.read(row.storage_path)
    except storage.StorageError:
        raise NotFound("File not available") from None
    try:
        rendered = await asyncio.to_thread(media.render, original, width, height, crop, out_mime)
    except media.NotAnImage:
        raise BadRequest("Unsupported media type") from None
    await storage.save_thumbnail(cached, rendered)
    return Response(rendered, media_type=out_mime, headers=headers)


_IMAGE_DOC = ("Renders an image attachment resized to `width`×`height` (1–4000 px each; either may be left "
              "out to keep the aspect ratio; neither gives the original). `cropType=cover` (default) fills the "
              "box and crops the overflow, `contain` fits the whole image and pads. Each size is rendered once "
              "and kept on disk. Access as for `file/{id}`; the slug is only a readable name and is ignored.")
router.add_api_route("/attachments/image/{id}/{slug}", image, methods=["GET"], summary="Render a resized image",
                     description=_IMAGE_DOC, response_class=Response,
                     responses=file_answer("image/*", "The image, resized (its own media type)"))
router.add_api_route("/attachments/image/{id}", image, methods=["GET"], summary="Render a resized image",
                     description=_IMAGE_DOC, include_in_schema=False)


# --- the media library -------------------------------------------------------------------------------

@router.get("/attachments/library", summary="List the media library",
            description="Every attachment of the caller's organizations, newest first: `page`, `pageSize` "
                        "(at most 25), `search` (file name), `partition` (code), `tags` (comma list, all "
                        "of), `mimeType` (prefix), `sortField` (`fileName`, `fileSize`, `createdAt`) and "
                        "`sortDir`. Also answers the tags in use (`availableTags`) and the partitions. "
                        "Requires features: attachments.view",
            openapi_extra={"parameters": list_parameters(kit.list_spec(library))},
            responses=json_answer(with_keys(page(library.envelope, ATTACHMENT), availableTags="array",
                                             partitions=many(shape(code="string", title="string")))))
async def library_list(request: Request, session: SessionDep, ctx: Viewing) -> dict[str, Any]:
    stmt, query = await kit.list_query(library, ctx, session, request.query_params)
    rows, total = await fetch_page(session, stmt, query)
    parts = (await session.execute(select(AttachmentPartition).where(
        AttachmentPartition.tenant_id == ctx.tenant_id).order_by(AttachmentPartition.title))).scalars().all()
    titles = {p.code: p.title for p in parts}
    items = [service.item(r, thumbnail=200, partition_title=titles.get(r.partition_code), with_partition_title=True)
             for (r,) in rows]
    used = (await session.execute(kit.scoped(library, ctx).with_only_columns(Attachment.tags))).scalars().all()
    available = sorted({t for tags in used for t in service.normalize_tags(tags)})
    return {**library.envelope.wrap(items, total, query.page, query.size), "availableTags": available,
            "partitions": [{"code": p.code, "title": p.title, "description": p.description,
                            "isPublic": bool(p.is_public)} for p in parts]}


@router.get("/attachments/library/{id}", summary="Get a library attachment",
            description="One attachment with its tags, assignments and partition title, as `{item}`. "
                        "Requires features: attachments.view",
            responses=json_answer(shape(item=ATTACHMENT)))
async def library_get(id: str, session: SessionDep, ctx: Viewing) -> dict[str, Any]:
    row = await _own(session, ctx, id)
    part = await service.partition(session, row.tenant_id or "", row.partition_code)
    return {"item": service.item(row, partition_title=part.title if part else None, with_partition_title=True)}


@router.patch("/attachments/library/{id}", summary="Update a library attachment",
              description="Replaces the attachment's `tags` (strings) and/or `assignments` "
                          "(`[{type, id, href?, label?}]`); keys left out keep their values. "
                          "Requires features: attachments.manage",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": {"type": "object"},
                  "example": {"tags": ["invoice"], "assignments": [{"type": "sales:order", "id": "SO-1"}]}}}}},
              responses=json_answer(shape(ok="true", item=shape(id="string", tags="any", assignments="any"))))
async def library_patch(id: str, request: Request, session: SessionDep, ctx: Managing) -> JSONResponse:
    body = validate_model(LibraryPatch, await read_json(request))
    assert isinstance(body, LibraryPatch)
    row = await _own(session, ctx, id)
    before = service.snapshot(row)
    if body.tags is not None:
        row.tags = service.normalize_tags(body.tags)
    if body.assignments is not None:
        row.assignments = service.normalize_assignments([a.model_dump(exclude_unset=True) for a in body.assignments])
    await session.flush()
    await service.record(session, ctx, "update", row, before, body)
    return JSONResponse({"ok": True, "item": {"id": row.id, "tags": row.tags, "assignments": row.assignments}})


@router.delete("/attachments/library/{id}", summary="Delete a library attachment",
               description="Deletes the attachment, its stored file and its thumbnails. "
                           "Requires features: attachments.manage",
               responses=json_answer(OK))
async def library_delete(id: str, session: SessionDep, ctx: Managing, tasks: BackgroundTasks) -> dict[str, Any]:
    await _remove(session, ctx, await _own(session, ctx, id), tasks)
    return {"ok": True}


@router.post("/attachments/transfer", summary="Transfer attachments to a record",
             description="Moves attachments uploaded for a draft (`fromRecordId`, optional) to the saved record "
                         "`toRecordId` of `entityId`, updating their assignments. Answers how many moved; 404 "
                         "when none of `attachmentIds` matched. Requires features: attachments.manage",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object"},
                 "example": {"entityId": "sales:order", "attachmentIds": ["00000000-0000-4000-8000-000000000000"],
                             "fromRecordId": "draft-1", "toRecordId": "SO-1"}}}}},
             responses=json_answer(shape(ok="true", updated="integer")))
async def transfer(request: Request, session: SessionDep, ctx: Managing) -> dict[str, Any]:
    body = validate_model(Transfer, await read_json(request))
    assert isinstance(body, Transfer)
    bad = [i for i, v in enumerate(body.attachment_ids) if not is_uuid(v)]
    if bad:
        raise BadRequest("Invalid input", [{"path": ["attachmentIds", i], "message": "Invalid uuid"} for i in bad])
    stmt = kit.scoped(library, ctx).where(Attachment.id.in_(body.attachment_ids),
                                          Attachment.entity_id == body.entity_id)
    if body.from_record_id:
        stmt = stmt.where(Attachment.record_id == body.from_record_id)
    rows = (await session.execute(stmt)).scalars().all()
    if not rows:
        raise NotFound("Attachments not found")
    for row in rows:
        before = service.snapshot(row)
        previous = body.from_record_id or row.record_id
        row.record_id = body.to_record_id
        row.assignments = service.normalize_assignments([
            {**a, "id": body.to_record_id} if a.get("type") == body.entity_id and a.get("id") == previous else a
            for a in service.normalize_assignments(row.assignments)])
        await session.flush()
        await service.record(session, ctx, "update", row, before, body)
    return {"ok": True, "updated": len(rows)}


# --- partitions: list and update (create and delete are the kit's) -----------------------------------

@router.get("/attachments/partitions", summary="List storage partitions",
            description="The tenant's storage partitions, oldest first; the default ones (`productsMedia`, "
                        "public, and `privateAttachments`) are created on first use. "
                        "Requires features: attachments.manage",
            responses=json_answer(shape(items=many(PARTITION_ANSWER["properties"]["item"]))))
async def partitions_list(session: SessionDep, ctx: Managing) -> dict[str, Any]:
    tenant_id = ctx.require_tenant()
    await service.ensure_default_partitions(session, tenant_id)
    rows = (await session.execute(kit.scoped(partitions, ctx).order_by(
        AttachmentPartition.created_at, AttachmentPartition.code))).scalars().all()
    return {"items": [service.partition_item(r) for r in rows]}
