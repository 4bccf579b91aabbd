"""The shipments module's routes besides the kit's collections (`/shipments`, and the lists of containers and
tasks across shipments): a shipment by path id, a shipment's containers, documents and tasks, the pickers
(dictionaries, users and customers), the grid configuration and the spreadsheet import. Writes go through the
kit's functions, so they are audited and evented.

The reference leaves the features of most of these routes undeclared while its code requires a signed-in
caller; here every route requires the natural `shipments.*` feature: `view` to read, `edit` to change a
shipment's containers, documents and tasks, `delete` to delete, `import` to import (docs/shipments.md)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

import api.modules.customers.service as crm
from api.auth import AuthContext, requires
from api.crud import service as crud
from api.crud import written
from api.crud.answers import deleted_answer, item, json_answer, many, shape, with_keys
from api.crud.query import is_uuid, parse_int
from api.crud.routes import deleted, read_json, validate_model
from api.crud.table_config import TableHints, table_config_route
from api.deps import SessionDep
from api.errors import BadRequest, NotFound, PayloadTooLarge
from api.modules.dictionaries import service as dictionaries
from api.modules.shipments import parties, service
from api.modules.shipments.models import (
    CONTAINER_TYPES,
    INCOTERMS,
    MODES,
    SHIPMENT_STATUSES,
    Shipment,
    ShipmentContainer,
    ShipmentDocument,
    ShipmentTask,
)
from api.modules.shipments.resources import EDIT, IMPORT, TAG, VIEW, containers, shipments, tasks
from api.modules.shipments.schemas import ContainerUpdate, TaskCreate, TaskUpdate
from api.settings import get_settings
from api.spreadsheets import UPLOAD_BODY, read_upload

router = APIRouter(tags=[TAG])
Viewing = Annotated[AuthContext, Depends(requires(VIEW))]
Editing = Annotated[AuthContext, Depends(requires(EDIT))]
Importing = Annotated[AuthContext, Depends(requires(IMPORT))]

# The answers' shapes (the OpenAPI document).
TASK_ITEM = with_keys(item(tasks), assignedTo={"type": ["object", "null"]})
ATTACHMENT = {"type": ["object", "null"]}
DOCUMENT = shape(id="string", shipmentId="string", attachmentId="string", extractedData="any",
                 processedAt="string?", createdAt="string", updatedAt="string", attachment=ATTACHMENT,
                 tenantId="string?", organizationId="string?")
OPTION = {"type": "object", "additionalProperties": True,
          "properties": {"id": {"type": "string"}}, "required": ["id"]}
IMPORTED = shape(shipmentsCreated="integer", containersCreated="integer", clientsCreated="integer",
                 shipmentIds=many({"type": "string"}), fieldsDetected=many({"type": "string"}),
                 columnMappings=many(shape(original="string", mapped="string?")),
                 metadata=shape(totalRows="integer", fileName="string?"))

PICKER_KINDS = ("user", *parties.CUSTOMER_KINDS)


def _shipment_id(value: str) -> str:
    if not is_uuid(value):
        raise BadRequest("Invalid shipment id")
    return value


# --- containers ------------------------------------------------------------------------------------------

@router.put("/shipments/containers/{id}", summary="Update container",
            description="Changes a container's number, type, cargo, status, location or tracking dates; keys "
                        "left out keep their values. Answers the container. Requires features: "
                        f"{EDIT}",
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": ContainerUpdate.model_json_schema(by_alias=True),
                "example": {"status": "LOADED", "loadedOnVesselDate": "2026-01-20T08:00:00Z"}}}}},
            responses=json_answer(item(containers)))
async def update_container(id: str, request: Request, session: SessionDep, ctx: Editing) -> JSONResponse:
    body: Any = validate_model(ContainerUpdate, await read_json(request))
    nulls = [k for k in ("container_type",) if k in body.model_fields_set and getattr(body, k) is None]
    if nulls:
        raise BadRequest("Invalid input", [{"path": ["containerType"], "message": "Container type cannot be cleared"}])
    write = await crud.update(containers, ctx, session, id, body)
    return written(service.container_item(write.row), crud.entry_of(write))


# --- pickers and configuration --------------------------------------------------------------------------

@router.get("/shipments/dictionaries/{key}", summary="List dictionary entries",
            description="Entries of the organization's dictionary `key` (its own, else the nearest ancestor's), "
                        "by label, filtered by `search` (value or label), at most `limit` (100, up to 500): "
                        f"`{{items: [{{id, value, label, color, icon}}]}}`. Requires features: {VIEW}",
            openapi_extra={"parameters": [
                {"name": "search", "in": "query", "required": False, "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}}]},
            responses=json_answer(shape(items=many(shape(id="string", value="string", label="string",
                                                         color="string?", icon="string?")))))
async def dictionary_entries(key: str, request: Request, session: SessionDep, ctx: Viewing) -> dict[str, Any]:
    limit = parse_int(request.query_params.get("limit"), "limit", 100, 1, 500)
    search = (request.query_params.get("search") or "").strip().lower()
    tenant_id, org_id = ctx.require_tenant(), ctx.require_org()
    if await dictionaries.find_dictionary(session, tenant_id=tenant_id, organization_id=org_id, key=key) is None:
        raise NotFound("Dictionary not found")
    entries = await dictionaries.entries(session, tenant_id=tenant_id, organization_id=org_id, key=key)
    found = [e for e in entries if not search or search in e.value.lower() or search in (e.label or "").lower()]
    return {"items": [{"id": e.id, "value": e.value, "label": e.label, "color": e.color, "icon": e.icon}
                      for e in found[:limit]]}


@router.get("/shipments/entities/{kind}", summary="List picker options",
            description="Options of the shipment form's pickers: `kind=user` lists the users of the caller's "
                        "tenant (`{id, name, email}`); `company` or `person` the customers of that kind the "
                        "caller sees (`{id, displayName, primaryEmail, status}`). Filtered by `search` (name or "
                        f"e-mail), at most `limit` (100, up to 500). Requires features: {VIEW}",
            openapi_extra={"parameters": [
                {"name": "search", "in": "query", "required": False, "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}}]},
            responses=json_answer(shape(items=many(OPTION))))
async def picker_options(kind: str, request: Request, session: SessionDep, ctx: Viewing) -> dict[str, Any]:
    if kind not in PICKER_KINDS:
        raise BadRequest("Invalid input", [{"path": ["kind"], "message": f"Expected one of {', '.join(PICKER_KINDS)}"}])
    limit = parse_int(request.query_params.get("limit"), "limit", 100, 1, 500)
    search = (request.query_params.get("search") or "").strip()
    if kind == "user":
        return {"items": await parties.user_options(session, ctx, search, limit)}
    return {"items": await crm.customer_options(session, ctx, kind, search, limit)}


GRID_HINTS = TableHints(hidden=("client_id", "shipper_id", "consignee_id", "contact_person_id", "created_by_id",
                                 "assigned_to_id"),
                         renderers={"status": "StatusRenderer"},
                         dropdowns={"status": SHIPMENT_STATUSES, "container_type": CONTAINER_TYPES, "mode": MODES,
                                    "incoterms": INCOTERMS})


table_config_route(router, "/shipments/table-config", Shipment, "shipment", features=(VIEW,), label="shipments",
                   hints=GRID_HINTS)


# --- import ----------------------------------------------------------------------------------------------

@router.post("/shipments/shipments/import", status_code=201, summary="Import shipments",
             description="Creates shipments (and their containers) from an uploaded table, multipart field "
                         "`file`: CSV, XLSX or XLS, the first row naming the columns. Columns are recognised by "
                         "name (see docs/shipments.md); statuses, container types, modes, incoterms and "
                         "carriers by their usual spellings; clients by the name of a customer company. All or "
                         "nothing: any bad row refuses the file with a 400 listing every problem by line. "
                         f"Requires features: {IMPORT}",
             openapi_extra=UPLOAD_BODY, responses=json_answer(IMPORTED, 201))
async def import_shipments(request: Request, session: SessionDep, ctx: Importing) -> JSONResponse:
    result = await service.import_shipments(session, ctx, await read_upload(request))
    return JSONResponse(result, status_code=201)


async def _upload(request: Request, limit: int, missing: str) -> tuple[bytes, str, str | None]:
    """The multipart field `file`: its bytes, cleaned name and content type."""
    if "multipart/form-data" not in request.headers.get("content-type", "").lower():
        raise BadRequest("Expected multipart/form-data with a file")
    try:
        form = await request.form(max_files=1, max_fields=20)
    except Exception:
        raise BadRequest("Invalid multipart body") from None
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise BadRequest(missing)
        data = await file.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge("The file is too large", extra={"maxBytes": limit})
        if not data:
            raise BadRequest("The file is empty.")
        name = re.sub(r"[^A-Za-z0-9._-]", "_", (file.filename or "").strip())[-255:].lstrip(".") or "file"
        return data, name, file.content_type
    finally:
        await form.close()


# --- a shipment by path id -------------------------------------------------------------------------------




@router.get("/shipments/{id}/containers", summary="List a shipment's containers",
            description=f"The shipment's containers, oldest first: `{{items}}`. Requires features: {VIEW}",
            responses=json_answer(shape(items=many(item(containers)))))
async def shipment_containers(id: str, session: SessionDep, ctx: Viewing) -> dict[str, Any]:
    shipment = await service.get_shipment(session, ctx, _shipment_id(id))
    rows = (await session.execute(crud.scoped(containers, ctx).where(ShipmentContainer.shipment_id == shipment.id)
                                  .order_by(ShipmentContainer.created_at, ShipmentContainer.id))).scalars()
    return {"items": [service.container_item(r) for r in rows]}


# --- documents -------------------------------------------------------------------------------------------

@router.get("/shipments/{id}/documents", summary="List a shipment's documents",
            description="The shipment's documents, newest first, each with its file (`attachment`: id, file "
                        "name, type, size, URL) and `extractedData` (null: documents are stored, not read). "
                        f"`{{ok, items, total}}`. Requires features: {VIEW}",
            responses=json_answer(shape(ok="true", items=many(DOCUMENT), total="integer")))
async def shipment_documents(id: str, session: SessionDep, ctx: Viewing) -> dict[str, Any]:
    shipment = await service.get_shipment(session, ctx, _shipment_id(id))
    rows = list((await session.execute(
        select(ShipmentDocument).where(ShipmentDocument.shipment_id == shipment.id)
        .order_by(ShipmentDocument.created_at.desc(), ShipmentDocument.id))).scalars())
    items = await service.document_items(session, rows)
    return {"ok": True, "items": items, "total": len(items)}


@router.post("/shipments/{id}/documents", status_code=201, summary="Upload a shipment document",
             description="Stores the multipart field `file` as an attachment of the shipment and lists it among "
                         "its documents: `{ok, item}`. The file is not read, so `extractedData` stays null. Files "
                         f"over the attachments' upload limit get 413. Requires features: {EDIT}",
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"],
                 "properties": {"file": {"type": "string", "format": "binary"}}}}}}},
             responses=json_answer(shape(ok="true", item=DOCUMENT), 201))
async def upload_document(id: str, request: Request, session: SessionDep, ctx: Editing) -> JSONResponse:
    shipment = await service.get_shipment(session, ctx, _shipment_id(id))
    data, file_name, _ = await _upload(request, get_settings().attachments_max_upload_bytes, "No file provided")
    document = await service.store_document(session, ctx, shipment, data=data, file_name=file_name)
    return JSONResponse({"ok": True, "item": document}, status_code=201)


@router.get("/shipments/{id}/documents/{document_id}", summary="Get a shipment document",
            description=f"One document of the shipment with its file: `{{ok, item}}`. Requires features: {VIEW}",
            responses=json_answer(shape(ok="true", item=DOCUMENT)))
async def shipment_document(id: str, document_id: str, session: SessionDep, ctx: Viewing) -> dict[str, Any]:
    shipment = await service.get_shipment(session, ctx, _shipment_id(id))
    row = (await session.execute(select(ShipmentDocument).where(
        ShipmentDocument.id == document_id, ShipmentDocument.shipment_id == shipment.id))).scalars().first()
    if row is None:
        raise NotFound("Document not found")
    return {"ok": True, "item": (await service.document_items(session, [row]))[0]}


# --- tasks -----------------------------------------------------------------------------------------------

TASK_EXAMPLE = {"title": "Send the bill of lading", "description": None, "status": "TODO", "assignedToId": None}


@router.get("/shipments/{id}/tasks", summary="List a shipment's tasks",
            description=f"The shipment's tasks, newest first, with their assignees: `{{ok, items}}`. Requires "
                        f"features: {VIEW}",
            responses=json_answer(shape(ok="true", items=many(TASK_ITEM))))
async def shipment_tasks(id: str, session: SessionDep, ctx: Viewing) -> dict[str, Any]:
    shipment = await service.get_shipment(session, ctx, _shipment_id(id))
    rows = list((await session.execute(crud.scoped(tasks, ctx).where(ShipmentTask.shipment_id == shipment.id)
                                       .order_by(ShipmentTask.created_at.desc(), ShipmentTask.id))).scalars())
    return {"ok": True, "items": await service.task_items(session, ctx, rows)}


@router.post("/shipments/{id}/tasks", status_code=201, summary="Create a shipment task",
             description="Adds a task (`title` required; `status` TODO unless given) to the shipment: "
                         f"`{{ok, item}}`. Requires features: {EDIT}",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": TaskCreate.model_json_schema(by_alias=True), "example": TASK_EXAMPLE}}}},
             responses=json_answer(shape(ok="true", item=TASK_ITEM), 201))
async def create_task(id: str, request: Request, session: SessionDep, ctx: Editing) -> JSONResponse:
    shipment = await service.get_shipment(session, ctx, _shipment_id(id))
    body: Any = validate_model(TaskCreate, await read_json(request))
    values = {**body.model_dump(by_alias=False), "shipment_id": shipment.id}
    write = await crud.create(tasks, ctx, session, values)
    task = (await service.task_items(session, ctx, [write.row]))[0]
    return written({"ok": True, "item": task}, crud.entry_of(write), 201)


@router.put("/shipments/{id}/tasks/{task_id}", summary="Update a shipment task",
            description="Changes a task's title, description, status or assignee; keys left out keep their "
                        f"values: `{{ok, item}}`. Requires features: {EDIT}",
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": TaskUpdate.model_json_schema(by_alias=True), "example": {"status": "DONE"}}}}},
            responses=json_answer(shape(ok="true", item=TASK_ITEM)))
async def update_task(id: str, task_id: str, request: Request, session: SessionDep, ctx: Editing) -> JSONResponse:
    row = await service.own_task(session, ctx, _shipment_id(id), task_id)
    body: Any = validate_model(TaskUpdate, await read_json(request))
    write = await crud.update(tasks, ctx, session, row.id, body)
    task = (await service.task_items(session, ctx, [write.row]))[0]
    return written({"ok": True, "item": task}, crud.entry_of(write))


@router.delete("/shipments/{id}/tasks/{task_id}", summary="Delete a shipment task",
               description=f"Removes a task of the shipment; answers 204. Requires features: {EDIT}",
               status_code=204, response_class=Response, responses=deleted_answer(shipments))
async def delete_task(id: str, task_id: str, session: SessionDep, ctx: Editing) -> Response:
    row = await service.own_task(session, ctx, _shipment_id(id), task_id)
    write = await crud.delete(tasks, ctx, session, row.id)
    return deleted(shipments, crud.entry_of(write))

