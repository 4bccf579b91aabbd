"""The dictionaries routes with ids in the path: list, detail, PATCH and DELETE of dictionaries, and
the nested entries. Each goes through the kit's functions (scoping, audit, undo, domain events)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext, requires
from api.crud import service, written
from api.crud.answers import OK, item, json_answer, many, shape
from api.crud.query import is_uuid, parse_bool
from api.crud.routes import read_json, validate_model
from api.deps import SessionDep
from api.errors import BadRequest, NotFound
from api.modules.dictionaries.models import Dictionary, DictionaryEntry
from api.modules.dictionaries.resources import MANAGE, TAG, VIEW, dictionaries, entries
from api.modules.dictionaries.schemas import DictionaryUpdate, EntryCreate, EntryUpdate

router = APIRouter(tags=[TAG])
Viewer = Annotated[AuthContext, Depends(requires(VIEW))]
Manager = Annotated[AuthContext, Depends(requires(MANAGE))]


def _checked(value: str, name: str) -> str:
    if not is_uuid(value):
        raise BadRequest("Invalid input", [{"path": [name], "message": "Invalid uuid", "code": "invalid_string"}])
    return value


def _dictionary(ctx: AuthContext, row: Dictionary) -> dict[str, Any]:
    item = dictionaries.fields(row)
    # Seen from a parent organization's view, a child's dictionary is not inherited; from a child's,
    # nothing is (lists show the selected organization and its descendants).
    item["isInherited"] = bool(ctx.write_org_id and row.organization_id != ctx.write_org_id)
    return item


async def _load(ctx: AuthContext, session: AsyncSession, dictionary_id: str) -> Dictionary:
    _checked(dictionary_id, "dictionaryId")
    row: Dictionary = await service.get_row(dictionaries, ctx, session, dictionary_id)
    return row


async def _load_entry(ctx: AuthContext, session: AsyncSession, dictionary_id: str,
                      entry_id: str) -> DictionaryEntry:
    dictionary = await _load(ctx, session, dictionary_id)
    _checked(entry_id, "entryId")
    entry = await session.get(DictionaryEntry, entry_id)
    if entry is None or entry.dictionary_id != dictionary.id:
        raise NotFound("Dictionary entry not found")
    return entry


@router.get("/dictionaries", summary="List dictionaries",
            description="Returns the dictionaries of the current organization and its descendants, by name; "
                        "`includeInactive=true` adds the inactive ones. Requires features: dictionaries.view",
            openapi_extra={"parameters": [{"name": "includeInactive", "in": "query", "required": False,
                                           "schema": {"type": "string"}}]},
            responses=json_answer(shape(items=many(item(dictionaries)))))
async def list_dictionaries(request: Request, session: SessionDep, ctx: Viewer) -> dict[str, Any]:
    raw = request.query_params.get("includeInactive") or ""
    include_inactive = bool(raw) and parse_bool(raw, "includeInactive", dictionaries.dialect)
    stmt = service.scoped(dictionaries, ctx).where(Dictionary.deleted_at.is_(None))
    if not include_inactive:
        stmt = stmt.where(Dictionary.is_active.is_(True))
    rows = (await session.execute(stmt.order_by(Dictionary.name, Dictionary.id))).scalars().all()
    return {"items": [_dictionary(ctx, r) for r in rows]}


@router.get("/dictionaries/{dictionaryId}", summary="Get dictionary",
            description="Returns the dictionary, with `isInherited` when it belongs to another organization "
                        "than the current one. Requires features: dictionaries.view",
            responses=json_answer(item(dictionaries)))
async def get_dictionary(dictionaryId: str, session: SessionDep, ctx: Viewer) -> dict[str, Any]:  # noqa: N803
    return _dictionary(ctx, await _load(ctx, session, dictionaryId))


@router.patch("/dictionaries/{dictionaryId}", summary="Update dictionary",
              description="Updates the key, name, description or active flag; answers the dictionary. The "
                          "currency dictionary keeps its key and stays active. Requires features: "
                          "dictionaries.manage",
              openapi_extra={"requestBody": {"content": {"application/json": {
                  "schema": {"type": "object"}, "example": {"name": "Lead sources", "isActive": True}}}}},
              responses=json_answer(item(dictionaries)))
async def update_dictionary(dictionaryId: str, request: Request, session: SessionDep,  # noqa: N803
                            ctx: Manager) -> JSONResponse:
    _checked(dictionaryId, "dictionaryId")
    body = validate_model(DictionaryUpdate, await read_json(request))
    write = await service.update(dictionaries, ctx, session, dictionaryId, body)
    return written(_dictionary(ctx, write.row), service.entry_of(write))


@router.delete("/dictionaries/{dictionaryId}", summary="Delete dictionary",
               description="Soft deletes the dictionary (its entries stay, for undo). The currency dictionary "
                           "cannot be deleted. Requires features: dictionaries.manage",
               responses=json_answer(OK))
async def delete_dictionary(dictionaryId: str, session: SessionDep, ctx: Manager) -> JSONResponse:  # noqa: N803
    _checked(dictionaryId, "dictionaryId")
    write = await service.delete(dictionaries, ctx, session, dictionaryId)
    return written({"ok": True}, service.entry_of(write))


@router.get("/dictionaries/{dictionaryId}/entries", summary="List dictionary entries",
            description="Returns every entry of the dictionary, ordered by label. "
                        "Requires features: dictionaries.view",
            responses=json_answer(shape(items=many(item(entries)))))
async def list_entries(dictionaryId: str, session: SessionDep, ctx: Viewer) -> dict[str, Any]:  # noqa: N803
    dictionary = await _load(ctx, session, dictionaryId)
    rows = (await session.execute(
        select(DictionaryEntry).where(DictionaryEntry.dictionary_id == dictionary.id)
        .order_by(DictionaryEntry.label, DictionaryEntry.id)
    )).scalars().all()
    return {"items": [entries.fields(r) for r in rows]}


@router.post("/dictionaries/{dictionaryId}/entries", status_code=201, summary="Create dictionary entry",
             description="Adds an entry: `value` (unique in the dictionary, case and spaces aside: 409 "
                         "otherwise), `label` (defaults to the value), `color` (`#rrggbb`) and `icon`. "
                         "Requires features: dictionaries.manage",
             openapi_extra={"requestBody": {"content": {"application/json": {
                 "schema": {"type": "object"},
                 "example": {"value": "vip", "label": "VIP", "color": "#3366ff", "icon": "lucide:star"}}}}},
             responses=json_answer(item(entries), 201))
async def create_entry(dictionaryId: str, request: Request, session: SessionDep,  # noqa: N803
                       ctx: Manager) -> JSONResponse:
    await _load(ctx, session, dictionaryId)
    body = validate_model(EntryCreate, await read_json(request))
    data = {**body.model_dump(exclude_unset=True), "dictionary_id": dictionaryId}
    write = await service.create(entries, ctx, session, data)
    return written(entries.fields(write.row), service.entry_of(write), 201)


@router.patch("/dictionaries/{dictionaryId}/entries/{entryId}", summary="Update dictionary entry",
              description="Updates the value, label, color or icon of the entry; answers the entry. "
                          "Requires features: dictionaries.manage",
              openapi_extra={"requestBody": {"content": {"application/json": {
                  "schema": {"type": "object"}, "example": {"color": "#22c55e", "icon": None}}}}},
              responses=json_answer(item(entries)))
async def update_entry(dictionaryId: str, entryId: str, request: Request, session: SessionDep,  # noqa: N803
                       ctx: Manager) -> JSONResponse:
    entry = await _load_entry(ctx, session, dictionaryId, entryId)
    body = validate_model(EntryUpdate, await read_json(request))
    write = await service.update(entries, ctx, session, entry.id, body.model_dump(exclude_unset=True))
    return written(entries.fields(write.row), service.entry_of(write))


@router.delete("/dictionaries/{dictionaryId}/entries/{entryId}", summary="Delete dictionary entry",
               description="Deletes the entry. Requires features: dictionaries.manage",
               responses=json_answer(OK))
async def delete_entry(dictionaryId: str, entryId: str, session: SessionDep,  # noqa: N803
                       ctx: Manager) -> JSONResponse:
    entry = await _load_entry(ctx, session, dictionaryId, entryId)
    write = await service.delete(entries, ctx, session, entry.id)
    return written({"ok": True}, service.entry_of(write))
