"""The entities module's routes: custom field definitions, custom entities, encryption maps, record
writes (the list is the kit's, resources.py), relation options and sidebar entries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func

from api.auth import AuthContext, AuthDep, requires
from api.crud import custom_fields
from api.crud import service as crud
from api.crud.answers import json_answer, many, shape
from api.crud.query import is_uuid, like_pattern
from api.crud.routes import read_json, written
from api.deps import SessionDep
from api.errors import BadRequest, NotFound
from api.modules.entities import service
from api.modules.entities.models import CustomEntityRecord
from api.modules.entities.resources import records

router = APIRouter(tags=["Entities"])
ManageDefinitions = Annotated[AuthContext, Depends(requires("entities.definitions.manage"))]
ViewDefinitions = Annotated[AuthContext, Depends(requires("entities.definitions.view"))]
ManageRecords = Annotated[AuthContext, Depends(requires("entities.records.manage"))]
OK = {"ok": True}
RESERVED_VALUES = ("id", "created_at", "createdAt", "updated_at", "updatedAt", "deleted_at", "deletedAt")
SENTINELS = ("create", "new", "null", "undefined")


async def _object(request: Request) -> dict[str, Any]:
    raw = await read_json(request)
    if not isinstance(raw, dict):
        raise BadRequest("Invalid input", [{"path": [], "message": "Expected an object"}])
    return raw


async def _entity_and_key(request: Request) -> tuple[str, str]:
    params = request.query_params
    raw = await read_json(request, empty={})
    body = raw if isinstance(raw, dict) else {}
    entity, key = params.get("entityId") or body.get("entityId"), params.get("key") or body.get("key")
    if not isinstance(entity, str) or not entity or not isinstance(key, str) or not key:
        raise BadRequest("entityId and key are required")
    return entity, key


# --- definitions -----------------------------------------------------------------------------------------

@router.get("/entities/definitions", summary="List active custom field definitions",
            description="Returns active custom field definitions for the supplied entity ids (`entityId`, or a "
                        "comma-separated `entityIds`), the modules' shipped ones overlaid by the tenant's; "
                        "`fieldset` keeps the fields of one fieldset. Requires authentication.",
            responses=json_answer(shape(items=many(shape(key="string", kind="string", entityId="string")))))
async def list_definitions(request: Request, session: SessionDep, ctx: AuthDep) -> dict[str, Any]:
    params = request.query_params
    wanted = [params["entityId"]] if params.get("entityId") else []
    wanted += [e.strip() for e in (params.get("entityIds") or "").split(",") if e.strip()]
    if not wanted:
        raise BadRequest("entityId is required")
    fieldset = params.get("fieldset")
    items: list[dict[str, Any]] = []
    for entity in dict.fromkeys(wanted):
        for d in (await service.effective(session, ctx, entity)).values():
            if fieldset and d.config.get("fieldset") != fieldset:
                continue
            items.append(d.public(entity))
    return {"items": items}


@router.post("/entities/definitions", summary="Upsert custom field definition",
             description="Creates or updates a custom field definition of the caller's tenant: `{entityId, key, "
                         "kind, configJson?, isActive?}`; `label`, `options`, `multi`, `required`, ... may also be "
                         "sent flat. Requires features: entities.definitions.manage",
             responses=json_answer(shape(ok="true", item=shape(id="string", key="string", kind="string",
                                                                 configJson="any"))))
async def save_definition(request: Request, session: SessionDep, ctx: ManageDefinitions) -> dict[str, Any]:
    body = await _object(request)
    entity = body.get("entityId")
    if not isinstance(entity, str) or not entity.strip():
        raise service.invalid("entityId", "Required")
    key, kind, config, active = service.parse_definition(body)
    row = await service.upsert_definition(session, ctx, entity.strip(), key, kind, config, active)
    return {"ok": True, "item": {"id": row.id, "key": row.key, "kind": row.kind, "configJson": row.config_json}}


@router.delete("/entities/definitions", summary="Soft delete custom field definition",
               description="Marks the definition `{entityId, key}` (body or query) inactive for the caller's tenant "
                           "(a tombstone, which also hides a module's shipped field); stored values are kept. "
                           "Requires features: entities.definitions.manage",
               responses=json_answer(shape(ok="true")))
async def delete_definition(request: Request, session: SessionDep, ctx: ManageDefinitions) -> dict[str, Any]:
    entity, key = await _entity_and_key(request)
    await service.delete_definition(session, ctx, entity, key)
    return OK


@router.post("/entities/definitions.batch", summary="Save multiple custom field definitions",
             description="Creates or updates the definitions of one entity in one transaction; their order in "
                         "`definitions` becomes their display order (`configJson.priority`). Nothing is saved when "
                         "one is invalid. Requires features: entities.definitions.manage",
             responses=json_answer(shape(ok="true")))
async def save_definitions(request: Request, session: SessionDep, ctx: ManageDefinitions) -> dict[str, Any]:
    body = await _object(request)
    entity = body.get("entityId")
    if not isinstance(entity, str) or not entity.strip():
        raise service.invalid("entityId", "Required")
    given = body.get("definitions")
    if not isinstance(given, list):
        raise service.invalid("definitions", "Expected a list")
    parsed = [service.parse_definition(raw, n) for n, raw in enumerate(given)]
    keys = [p[0] for p in parsed]
    if len(set(keys)) != len(keys):
        raise service.invalid("definitions", "Keys must be unique")
    for position, (key, kind, config, active) in enumerate(parsed):
        await service.upsert_definition(session, ctx, entity.strip(), key, kind, {**config, "priority": position},
                                        active)
    return OK


@router.get("/entities/definitions.manage", summary="Get management snapshot",
            description="The definitions of `entityId` that apply to the caller's tenant (shipped ones not "
                        "overridden have a null id) and `deletedKeys`, the tombstoned keys. "
                        "Requires features: entities.definitions.manage",
            responses=json_answer(shape(items=many(shape(key="string", kind="string")), deletedKeys="array")))
async def manage_definitions(request: Request, session: SessionDep, ctx: ManageDefinitions) -> dict[str, Any]:
    entity = request.query_params.get("entityId")
    if not entity:
        raise BadRequest("entityId is required")
    return await service.management_snapshot(session, ctx, entity)


@router.post("/entities/definitions.restore", summary="Restore definition",
             description="Reactivates a soft-deleted definition `{entityId, key}` of the caller's tenant. "
                         "Requires features: entities.definitions.manage",
             responses=json_answer(shape(ok="true")))
async def restore_definition(request: Request, session: SessionDep, ctx: ManageDefinitions) -> dict[str, Any]:
    entity, key = await _entity_and_key(request)
    await service.restore_definition(session, ctx, entity, key)
    return OK


# --- encryption ----------------------------------------------------------------------------------------

@router.get("/entities/encryption", summary="Fetch encryption map",
            description="The fields of `entityId` the caller's tenant stores encrypted, each with its optional "
                        "lookup hash. Requires features: entities.definitions.manage",
            responses=json_answer(shape(entityId="string", fields="array")))
async def get_encryption(request: Request, session: SessionDep, ctx: ManageDefinitions) -> dict[str, Any]:
    entity = request.query_params.get("entityId")
    if not entity:
        raise BadRequest("entityId is required")
    row = await service.encryption_map(session, ctx, entity)
    return {"entityId": entity, "fields": list(row.fields_json) if row and row.is_active else []}


@router.post("/entities/encryption", summary="Upsert encryption map",
             description="Sets which custom fields of `entityId` are encrypted at rest (AES-GCM under the tenant's "
                         "data key) and which keep a deterministic lookup hash (`hashField`, making them "
                         "filterable); stored values are rewritten to follow the map. The tenant is the caller's. "
                         "Requires features: entities.definitions.manage",
             responses=json_answer(shape(ok="true")))
async def save_encryption(request: Request, session: SessionDep, ctx: ManageDefinitions) -> dict[str, Any]:
    body = await _object(request)
    entity = body.get("entityId")
    if not isinstance(entity, str) or not entity.strip():
        raise service.invalid("entityId", "Required")
    await service.save_encryption(session, ctx, entity.strip(), service.parse_fields(body.get("fields")))
    return OK


# --- custom entities -------------------------------------------------------------------------------------

@router.get("/entities/entities", summary="List available entities",
            description="Entities with custom fields: the modules' (`source: code`) and the tenant's custom "
                        "entities (`source: custom`), each with its number of active fields. "
                        "Requires authentication.",
            responses=json_answer(shape(items=many(shape(entityId="string", source="string", label="string?",
                                                                count="integer")))))
async def list_entities(session: SessionDep, ctx: AuthDep) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for entity in sorted(service.code_entities()):
        count = len(await service.effective(session, ctx, entity))
        items.append({"entityId": entity, "source": "code", "label": entity, "count": count})
    for row in await service.visible_entities(session, ctx):
        count = len(await service.effective(session, ctx, row.entity_id))
        items.append({**service.entity_item(row), "source": "custom", "count": count})
    return {"items": items}


@router.post("/entities/entities", summary="Upsert custom entity",
             description="Creates or updates a custom entity of the caller's tenant: `{entityId: "
                         "'<module>:<entity>', label, description?, labelField?, defaultEditor?, showInSidebar?, "
                         "isActive?}`. Requires features: entities.definitions.manage",
             responses=json_answer(shape(ok="true", item=shape(id="string", entityId="string", label="string?"))))
async def save_entity(request: Request, session: SessionDep, ctx: ManageDefinitions) -> dict[str, Any]:
    row = await service.upsert_entity(session, ctx, await _object(request))
    return {"ok": True, "item": {"id": row.id, "entityId": row.entity_id, "label": row.label}}


@router.delete("/entities/entities", summary="Soft delete custom entity",
               description="Marks the custom entity `{entityId}` (body or query) inactive; its records are kept. "
                           "Requires features: entities.definitions.manage",
               responses=json_answer(shape(ok="true")))
async def delete_entity(request: Request, session: SessionDep, ctx: ManageDefinitions) -> dict[str, Any]:
    raw = await read_json(request, empty={})
    entity = request.query_params.get("entityId") or (raw.get("entityId") if isinstance(raw, dict) else None)
    if not isinstance(entity, str) or not entity:
        raise BadRequest("entityId is required")
    await service.delete_entity(session, ctx, entity)
    return OK


@router.get("/entities/sidebar-entities", summary="Get sidebar entities",
            description="Custom entities flagged `showInSidebar`, with the link to their records. "
                        "Requires authentication.",
            responses=json_answer(shape(items=many(shape(entityId="string", href="string")))))
async def sidebar_entities(session: SessionDep, ctx: AuthDep) -> dict[str, Any]:
    return {"items": [{"entityId": r.entity_id, "label": r.label,
                       "href": f"/backend/entities/user/{r.entity_id}/records"}
                      for r in await service.visible_entities(session, ctx) if r.show_in_sidebar]}


# --- records -------------------------------------------------------------------------------------------

async def _record_body(request: Request, ctx: AuthContext, session: SessionDep,
                       *, record_required: bool) -> tuple[str, str, dict[str, Any]]:
    body = await _object(request)
    entity, record_id, values = body.get("entityId"), body.get("recordId"), body.get("values", {})
    if not isinstance(entity, str) or not entity:
        raise service.invalid("entityId", "Required")
    if record_required and (not isinstance(record_id, str) or not record_id):
        raise BadRequest("entityId and recordId are required")
    if record_id is not None and not isinstance(record_id, str):
        raise service.invalid("recordId", "Expected a string")
    if not isinstance(values, dict):
        raise service.invalid("values", "Expected an object")
    if entity in service.code_entities():
        raise BadRequest("Records are available for custom entities only")
    if await service.find_entity(session, ctx, entity) is None:
        raise NotFound("Entity not found")
    values = {(k[3:] if k.startswith("cf_") else k): v for k, v in values.items() if k not in RESERVED_VALUES}
    return entity, (record_id or "").strip(), values


def _new_id(record_id: str) -> str | None:
    return record_id if record_id and record_id.lower() not in SENTINELS and is_uuid(record_id) else None


@router.post("/entities/records", summary="Create record",
             description="Creates a record of the custom entity `entityId` with `values` (validated against its "
                         "field definitions); a `recordId` that is a UUID becomes its id, anything else is replaced "
                         "by a generated one. Answers `{ok, item: {entityId, recordId}}`. "
                         "Requires features: entities.records.manage",
             responses=json_answer(shape(ok="true", item=shape(entityId="string", recordId="string"))))
async def create_record(request: Request, session: SessionDep, ctx: ManageRecords) -> JSONResponse:
    entity, record_id, values = await _record_body(request, ctx, session, record_required=False)
    write = await crud.create(records, ctx, session, {"entityId": entity, "recordId": _new_id(record_id)},
                              custom=values)
    return written({"ok": True, "item": {"entityId": entity, "recordId": write.row.id}}, crud.entry_of(write))


@router.put("/entities/records", summary="Update record",
            description="Updates the given `values` of record `recordId` of `entityId` (others keep theirs). A "
                        "`recordId` that is not a UUID creates the record instead. Send "
                        f"`{crud.LOCK_HEADER}` to refuse overwriting a newer change (409). "
                        "Requires features: entities.records.manage",
            responses=json_answer(shape(ok="true", item=shape(entityId="string", recordId="string"))))
async def update_record(request: Request, session: SessionDep, ctx: ManageRecords) -> JSONResponse:
    entity, record_id, values = await _record_body(request, ctx, session, record_required=True)
    if _new_id(record_id) is None:
        write = await crud.create(records, ctx, session, {"entityId": entity}, custom=values)
    else:
        row = await crud.get_row(records, ctx, session, record_id)
        if row.entity_id != entity:
            raise NotFound("Record not found")
        write = await crud.update(records, ctx, session, record_id, {}, custom=values,
                                  expected_updated_at=request.headers.get(crud.LOCK_HEADER))
    return written({"ok": True, "item": {"entityId": entity, "recordId": write.row.id}}, crud.entry_of(write))


@router.delete("/entities/records", summary="Delete record",
               description="Soft deletes record `recordId` of `entityId` (query or body). "
                           "Requires features: entities.records.manage",
               responses=json_answer(shape(ok="true")))
async def delete_record(request: Request, session: SessionDep, ctx: ManageRecords) -> JSONResponse:
    params = request.query_params
    raw = await read_json(request, empty={})
    body = raw if isinstance(raw, dict) else {}
    entity = params.get("entityId") or body.get("entityId")
    record_id = params.get("recordId") or body.get("recordId")
    if not isinstance(entity, str) or not entity or not isinstance(record_id, str) or not record_id:
        raise BadRequest("entityId and recordId are required")
    row = await crud.get_row(records, ctx, session, record_id)
    if row.entity_id != entity:
        raise NotFound("Record not found")
    write = await crud.delete(records, ctx, session, record_id,
                              expected_updated_at=request.headers.get(crud.LOCK_HEADER))
    return written(OK, crud.entry_of(write))


# --- relation options ----------------------------------------------------------------------------------

@router.get("/entities/relations/options", summary="List relation options",
            description="Up to 50 `{value, label}` records of the custom entity `entityId` for relation pickers: "
                        "the label is `labelField` (else the entity's label field, else its first text field); "
                        "`q` keeps labels containing it. Requires features: entities.definitions.view",
            responses=json_answer(shape(items=many(shape(value="string", label="string")))))
async def relation_options(request: Request, session: SessionDep, ctx: ViewDefinitions) -> dict[str, Any]:
    params = request.query_params
    entity = params.get("entityId")
    if not entity:
        raise BadRequest("entityId is required")
    defs = await service.effective(session, ctx, entity)
    registered = await service.find_entity(session, ctx, entity)
    label_field = params.get("labelField") or (registered.label_field if registered else None)
    if not label_field or label_field not in defs:
        label_field = next((k for k, d in defs.items() if d.kind in ("text", "select") and not d.multi), None)
    stmt = crud.scoped(records, ctx).where(CustomEntityRecord.entity_id == entity,
                                           CustomEntityRecord.deleted_at.is_(None))
    q = (params.get("q") or "").strip()
    secret = await custom_fields.encrypted_fields(session, entity, ctx.tenant_id)
    if q and label_field and label_field not in secret:
        label = custom_fields.text_value(CustomEntityRecord.custom_values, label_field,
                                         session.get_bind().dialect.name)
        stmt = stmt.where(func.lower(label).like(like_pattern(q), escape="\\"))
    elif q:
        stmt = stmt.where(func.lower(CustomEntityRecord.id).like(like_pattern(q), escape="\\"))
    rows = list((await session.execute(stmt.order_by(CustomEntityRecord.created_at, CustomEntityRecord.id)
                                       .limit(50))).scalars())
    await crud.load_custom(records, ctx, session, rows)
    out = []
    for row in rows:
        loaded = custom_fields.state(row)
        value = loaded.values.get(label_field) if loaded and label_field else None
        out.append({"value": row.id, "label": str(value) if value not in (None, "", []) else row.id})
    return {"items": out}
