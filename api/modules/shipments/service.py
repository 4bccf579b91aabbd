"""The shipments module's rules as plain functions, and its public surface for other modules: reading a
shipment, importing a table of shipments, storing a shipment's documents. Every write goes through the
kit's functions (`api.crud.service`), so it is scoped, audited and evented like the routes' own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import api.modules.customers.service as crm
from api import outbox
from api.auth import AuthContext
from api.crud import service as crud
from api.errors import BadRequest, NotFound
from api.modules.attachments import service as attachments
from api.modules.attachments.models import Attachment
from api.modules.shipments import importing, parties
from api.modules.shipments.models import Shipment, ShipmentContainer, ShipmentDocument, ShipmentTask
from api.modules.shipments.resources import containers, documents, shipments, tasks
from api.spreadsheets import Table

# Documents are attachments of this record kind (the attachments module lists them by it, too).
DOCUMENT_ENTITY = "shipments:shipment"


# --- shipments -----------------------------------------------------------------------------------------

async def get_shipment(session: AsyncSession, ctx: AuthContext, shipment_id: str) -> Shipment:
    """A shipment the caller sees (404 otherwise, whatever the id looks like)."""
    row: Shipment = await crud.get_row(shipments, ctx, session, shipment_id, custom=False)
    return row


# --- containers and tasks ---------------------------------------------------------------------------------

def container_item(row: ShipmentContainer) -> dict[str, Any]:
    return crud.serialize(containers, row)


async def task_items(session: AsyncSession, ctx: AuthContext, rows: Sequence[ShipmentTask]) -> list[dict[str, Any]]:
    items = [crud.serialize(tasks, r) for r in rows]
    await parties.attach(session, ctx, items, users=("assignedTo",))
    return items


async def own_task(session: AsyncSession, ctx: AuthContext, shipment_id: str, task_id: str) -> ShipmentTask:
    """A task of shipment `shipment_id` the caller sees; a task of another shipment is a 404 here."""
    await get_shipment(session, ctx, shipment_id)
    row: ShipmentTask = await crud.get_row(tasks, ctx, session, task_id, custom=False)
    if row.shipment_id != shipment_id:
        raise NotFound("Task not found")
    return row


# --- documents -------------------------------------------------------------------------------------------

def attachment_summary(row: Attachment | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"id": row.id, "fileName": row.file_name, "mimeType": row.mime_type, "fileSize": row.file_size,
            "url": row.url}


async def document_items(session: AsyncSession, rows: Sequence[ShipmentDocument]) -> list[dict[str, Any]]:
    """Documents with their files' names, types, sizes and URLs (one query for the files)."""
    ids = {r.attachment_id for r in rows}
    files = {a.id: a for a in (await session.execute(select(Attachment).where(Attachment.id.in_(ids)))).scalars()} \
        if ids else {}
    return [{**crud.serialize(documents, r), "attachment": attachment_summary(files.get(r.attachment_id))}
            for r in rows]


async def store_document(session: AsyncSession, ctx: AuthContext, shipment: Shipment, *, data: bytes,
                         file_name: str) -> dict[str, Any]:
    """Stores an uploaded file as an attachment of the shipment and records it as one of its documents.
    Nothing reads the file's content here, so `extractedData` and `processedAt` stay null."""
    stored = await attachments.store(session, ctx, entity_id=DOCUMENT_ENTITY, record_id=shipment.id, data=data,
                                     file_name=file_name, organization_id=shipment.organization_id)
    try:
        write = await crud.create(documents, ctx, session, {"shipment_id": shipment.id,
                                                            "attachment_id": stored.row.id})
    except BaseException:
        # The request's transaction rolls back; the bytes must not outlive it.
        await stored.discard()
        raise
    return (await document_items(session, [write.row]))[0]


# --- import ----------------------------------------------------------------------------------------------

def _refused(errors: list[dict[str, Any]], rows: int) -> BadRequest:
    shown = errors[:importing.MAX_REPORTED_ERRORS]
    lines = len({e["line"] for e in errors})
    more = f" (the first {len(shown)} problems are listed)" if len(errors) > len(shown) else ""
    return BadRequest(f"Nothing was imported: {lines} of {rows} rows have errors{more}", shown)


async def import_shipments(session: AsyncSession, ctx: AuthContext, table: Table) -> dict[str, Any]:
    """Creates one shipment per row of `table` (and one container per container number), all or nothing:
    every row is read and checked first, and one bad row refuses the whole file with every problem
    listed by line, so a corrected file can be imported again without duplicating what went in."""
    columns = importing.map_columns(table.headers)
    read: list[importing.Row] = []
    errors: list[dict[str, Any]] = []
    for cells, line in zip(table.rows, table.lines, strict=True):
        row, problems = importing.read_row(cells, line, columns)
        errors.extend(problems)
        if row is not None:
            read.append(row)
    if not table.rows:
        raise BadRequest("The file has no rows to import")
    # Clients are named, not created: the name must be a company of the CRM the caller sees. Every row's
    # name is checked, so one answer lists all of a file's problems.
    client_column = next((c.header for c in columns if c.field == "clientName"), None)
    names = {line: (cells.get(client_column) or "").strip() for cells, line in zip(table.rows, table.lines,
                                                                                   strict=True)} \
        if client_column else {}
    companies = await crm.companies_named(session, ctx, [n for n in names.values() if n])
    for line, name in names.items():
        if name and name.lower() not in companies:
            errors.append({"line": line, "column": client_column, "field": "clientName",
                           "message": f"No customer company is named '{name}'"})
    if errors:
        errors.sort(key=lambda e: e["line"])
        raise _refused(errors, len(table.rows))

    created: list[str] = []
    container_count = 0
    for r in read:
        body = r.shipment.model_copy(update={"client_id": companies[r.client_name.strip().lower()]}) \
            if r.client_name else r.shipment
        write = await crud.create(shipments, ctx, session, body)
        created.append(write.row.id)
        for number in r.containers:
            await crud.create(containers, ctx, session, {"shipment_id": write.row.id, "container_number": number,
                                                         "container_type": r.shipment.container_type})
            container_count += 1
    org_id = ctx.require_org()
    outbox.emit(session, "shipments.imported", {"shipmentIds": created, "shipmentsCreated": len(created),
                                                "containersCreated": container_count, "fileName": table.filename,
                                                "actorUserId": ctx.user_id},
                tenant_id=ctx.tenant_id, organization_id=org_id)
    await session.flush()
    return {
        "shipmentsCreated": len(created),
        "containersCreated": container_count,
        "clientsCreated": 0,
        "shipmentIds": created,
        "fieldsDetected": [h for h in table.headers if h],
        "columnMappings": [{"original": c.header, "mapped": c.field} for c in columns],
        "metadata": {"totalRows": len(table.rows), "fileName": table.filename},
    }
