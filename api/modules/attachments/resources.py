"""The collections of the attachments module, as declarations for the kit.

`partitions` is served by the kit for create and delete; its list (which creates the tenant's default
partitions first) and its update (which answers the updated partition) are module routes that call the
kit's functions. `library` is never mounted as is: attachments are written by multipart uploads and
their files must go with their rows, so every route of it is the module's own (`routes.py`); the
declaration gives those routes the kit's list parsing (paging, sorting, search, filters) and scoping."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, String, cast, func, select

from api.crud import Dialect, Envelope, Features, Fields, Filter, Hooks, Resource, Sort, Write, shape
from api.crud.query import csv_values
from api.errors import BadRequest, Conflict
from api.modules.attachments import service
from api.modules.attachments.models import Attachment, AttachmentPartition
from api.modules.attachments.schemas import PartitionCreate, PartitionUpdate

MANAGE = "attachments.manage"
VIEW = "attachments.view"


async def _before_create_partition(write: Write) -> None:
    code = write.values["code"]
    if await service.partition(write.session, write.ctx.require_tenant(), code) is not None:
        raise Conflict("Partition code already exists.")
    write.values["storage_driver"] = "local"
    write.values["ocr_model"] = write.values.get("ocr_model") or None


async def _before_delete_partition(write: Write) -> None:
    row: AttachmentPartition = write.row
    if row.code in service.DEFAULT_CODES:
        raise BadRequest("Default partitions cannot be removed.")
    used = (await write.session.execute(select(func.count()).select_from(Attachment).where(
        Attachment.tenant_id == row.tenant_id, Attachment.partition_code == row.code))).scalar_one()
    if used:
        raise Conflict("Partition is in use and cannot be removed.")


async def _before_update_partition(write: Write) -> None:
    if write.body.code != write.row.code:
        raise BadRequest("Partition code cannot be changed.")
    if "ocr_model" in write.values and not write.values["ocr_model"]:
        write.values["ocr_model"] = None


async def _forget_served(session: Any) -> None:
    # Its visibility may have changed: the files served recently are forgotten now and once committed.
    service.forget_after_commit(session)


async def _partition_changed(write: Write) -> None:
    await _forget_served(write.session)


# `{item}` of a partition's create and update (`service.partition_item`).
PARTITION_ANSWER = shape(item=shape(id="string", code="string", title="string", description="string?",
                                    storageDriver="string", isPublic="boolean", requiresOcr="boolean",
                                    ocrModel="string?", createdAt="string", updatedAt="string"))

partitions = Resource(
    path="/attachments/partitions",
    model=AttachmentPartition,
    entity="attachments.partition",
    create_schema=PartitionCreate,
    update_schema=PartitionUpdate,
    features=Features(MANAGE, MANAGE, MANAGE, MANAGE),
    tag="Attachments",
    label="Partition",
    # The list (`{items}`, unpaged, with the default partitions made on first read) is served by routes.py.
    operations=frozenset({"create", "update", "delete"}),
    descriptions={
        "create": "Creates a storage partition of the tenant (`code`: 2–60 letters, digits, `-` or `_`; "
                  "`isPublic` files are served to anonymous callers). Answers `{item}`.",
        "update": "Updates a partition by the `id` in the body (title, description, `isPublic`, `requiresOcr`, "
                  "`ocrModel`); its `code` must be sent unchanged. Answers `{item}`.",
        "delete": "Deletes a partition by `?id=`. The default partitions cannot be removed (400) and "
                  "partitions holding attachments neither (409).",
    },
    scope="tenant",
    soft_delete=False,
    dialect=Dialect(invalid_delete_id=True),
    fields=Fields(),
    hooks=Hooks(before_create=_before_create_partition, before_update=_before_update_partition,
                after_update=_partition_changed, before_delete=_before_delete_partition,
                after_undo=lambda session, row, left: _forget_served(session),
                created_body=lambda write: {"item": service.partition_item(write.row)},
                updated_body=lambda write: {"item": service.partition_item(write.row)}),
    created_schema=PARTITION_ANSWER,
    updated_schema=PARTITION_ANSWER,
)


def _with_tags(stmt: Select[Any], raw: str) -> Select[Any]:
    """Attachments carrying every listed tag. Tags are a JSON array; each tag is looked up as its
    JSON-encoded string inside the array's text, which reads the same on SQLite and PostgreSQL."""
    text = cast(Attachment.tags, String)
    for tag in service.normalize_tags(csv_values(raw)):
        needle = json.dumps(tag).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(text.like(f"%{needle}%", escape="\\"))
    return stmt


library = Resource(
    path="/attachments/library",
    model=Attachment,
    entity="attachments.attachment",
    create_schema=None,
    update_schema=None,
    features=Features.view_manage(VIEW, MANAGE),
    tag="Attachments",
    label="Attachment",
    operations=frozenset(),
    search=(Attachment.file_name,),
    sort=Sort((Attachment.file_name, Attachment.file_size, Attachment.created_at),
              default=Attachment.created_at, direction="desc"),
    filters={
        "partition": Filter.eq(Attachment.partition_code, "Only this partition (code)"),
        "tags": Filter.using(_with_tags, "Comma-separated tags the attachment carries (all of)"),
        "mimeType": Filter.prefix(Attachment.mime_type, "MIME type starts with (`image/`)"),
    },
    envelope=Envelope.PAGED,
    # The library pages by 25 at most, as the reference's media library does.
    max_page_size=25,
    soft_delete=False,
    exportable=False,
    fields=Fields(),
)
