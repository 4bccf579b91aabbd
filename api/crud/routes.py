"""Builds the routes of a `Resource`. (No `from __future__ import annotations` here: the route
signatures close over each resource's schemas and FastAPI must see the real classes.)"""

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError, create_model
from pydantic.json_schema import SkipJsonSchema

from api import audit
from api.auth import AuthContext, requires
from api.body import read_json
from api.casing import camel
from api.crud import answers, custom_fields, service
from api.crud.export import export_response
from api.crud.query import is_uuid, list_parameters, query_param
from api.crud.resource import Body, Resource
from api.deps import SessionDep
from api.errors import BadRequest, invalid
from api.modules.audit_logs.models import ActionLog

F = TypeVar("F", bound=Callable[..., Any])


def written(body: dict[str, Any], entry: ActionLog | None, status_code: int = 200) -> JSONResponse:
    """A mutation's answer, with the `x-om-operation` header that offers its undo."""
    out = JSONResponse(body, status_code=status_code)
    if entry is not None:
        audit.operation_header(out, entry)
    return out


def deleted(res: Resource, entry: ActionLog | None, write: service.Write | None = None) -> Response:
    """A delete's answer: `hooks.deleted_body` of the write, the resource's `deleted_body`, or 204 with no body
    when it has neither."""
    if res.hooks.deleted_body is not None and write is not None:
        return written(res.hooks.deleted_body(write), entry)
    if res.deleted_body is not None:
        return written(dict(res.deleted_body), entry)
    out = Response(status_code=204)
    if entry is not None:
        audit.operation_header(out, entry)
    return out


def _no_content(empty: bool) -> dict[str, Any]:
    return {"status_code": 204, "response_class": Response} if empty else {}


async def delete_id(request: Request, *, param: str = "id", missing: str = "id is required") -> str:
    """The id of a DELETE: `?id=` or a JSON body `{"id": ...}`."""
    if value := request.query_params.get(param):
        return value
    raw = await read_json(request, empty=None)
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]:
        return str(raw["id"])
    raise BadRequest(missing)


def _describe(res: Resource, op: str, default: str, feature: str) -> str:
    return f"{res.descriptions.get(op, default)} Requires features: {feature}"


def schema_of(example: Any) -> dict[str, Any]:
    """A JSON Schema read off an example body: each key typed as its example value (`null`: any type), so
    the document names the fields a `Body` parser takes; the parser stays the judge of values."""
    if isinstance(example, bool):
        return {"type": "boolean"}
    if isinstance(example, int):
        return {"type": "integer"}
    if isinstance(example, float):
        return {"type": "number"}
    if isinstance(example, str):
        return {"type": "string"}
    if isinstance(example, list):
        return {"type": "array", "items": schema_of(example[0]) if example else {}}
    if isinstance(example, dict):
        return {"type": "object", "properties": {k: schema_of(v) for k, v in example.items()}}
    return {}


def _body_openapi(schema: Body, with_id: bool) -> dict[str, Any]:
    example = {"id": "00000000-0000-4000-8000-000000000000", **schema.example} if with_id else dict(schema.example)
    body = schema_of(example)
    if with_id:
        body["required"] = ["id"]
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body, "example": example}}}}


async def _custom_body(request: Request, schema: Body, *, partial: bool) -> tuple[Any, dict[str, Any]]:
    raw = await read_json(request)
    if partial and schema.missing_id and (not isinstance(raw, dict) or not raw.get("id")):
        raise BadRequest(schema.missing_id)
    return raw, schema.parse(raw, partial)


def _when(condition: bool, decorator: Callable[[F], F]) -> Callable[[F], F]:
    """Registers a route only for the operations a resource offers."""
    return decorator if condition else (lambda fn: fn)


def _remover(res: Resource) -> Callable[[Any, Any, dict[str, Any] | None], Awaitable[dict[str, Any]]]:
    """Undo of a create and redo of a delete remove what goes with the record (`service.before_remove`)."""
    async def remove(session: Any, row: Any, leaving: dict[str, Any] | None) -> dict[str, Any]:
        return await service.before_remove(res, session, row, leaving)

    return remove


def crud_router(res: Resource) -> APIRouter:
    """list (GET), detail (GET /{id}, when declared), create (POST), update (PUT, id in the body) and
    delete (DELETE, `?id=` or `{id}` in the body) of one collection."""
    router = APIRouter(tags=[res.tag])
    audit.register(res.entity, res.model, res.hidden, res.hooks.after_undo,
                   serialize=lambda row: service.describe(res, row), derived=res.derived,
                   features={"create": res.features.create, "update": res.features.update,
                             "delete": res.features.delete},
                   restore_extra=(lambda session, row, snap: service.restore_extra(res, session, row, snap))
                   if res.custom is not None or res.owns or res.hooks.restore_extra or res.exclusive else None,
                   extra_state=(lambda session, row: service.extra_state(res, session, row))
                   if res.hooks.restore_extra or res.exclusive else None,
                   before_remove=_remover(res) if res.owns or res.exclusive else None,
                   removing=(lambda session, ctx, row, leaving: service.removing(res, session, ctx, row))
                   if res.hooks.authorize or res.hooks.before_delete or res.hooks.after_delete else None)
    label, plural = res.label.lower(), res.plural_label.lower()
    missing_id = f"{res.label} id is required"
    Listing = Annotated[AuthContext, Depends(requires(res.features.list))]  # noqa: N806 - a type
    Creating = Annotated[AuthContext, Depends(requires(res.features.create))]  # noqa: N806
    Updating = Annotated[AuthContext, Depends(requires(res.features.update))]  # noqa: N806
    Deleting = Annotated[AuthContext, Depends(requires(res.features.delete))]  # noqa: N806

    ops = res.operations

    async def _presented(session: Any, ctx: AuthContext, row: Any) -> dict[str, Any]:
        """The record as the detail route answers it, with what `hooks.present` adds."""
        record = service.describe(res, row, public=True)
        if res.hooks.present is not None:
            await res.hooks.present(session, ctx, [record])
        return record

    def _submitted(raw: Any) -> dict[str, Any] | None:
        return custom_fields.submitted(raw) if res.custom is not None else None

    async def _raw_custom(request: Request) -> dict[str, Any] | None:
        # FastAPI validated the body already; its raw JSON (cached) still holds the custom values.
        return _submitted(await read_json(request)) if res.custom is not None else None

    @_when("list" in ops, router.get(res.path, summary=f"List {plural}",
                description=_describe(res, "list", f"Returns a paginated list of {plural} in the current scope.",
                                      res.features.list),
                openapi_extra={"parameters": list_parameters(service.list_spec(res))
                               + [query_param(alias, "string", f"Same as `{name}`")
                                  for alias, name in res.dialect.aliases]
                               + ([query_param(res.parent.param, "string", f"Id of the parent "
                                               f"{res.parent.resource.label.lower()}",
                                               required=res.parent.required_on_list)] if res.parent else [])},
                responses=answers.list_answer(res)))
    async def list_items(request: Request, session: SessionDep, ctx: Listing) -> Any:
        params = request.query_params
        stmt, query = await service.list_query(res, ctx, session, params)
        if query.export:
            return export_response(stmt, query, lambda s, rows: service.items_of(res, ctx, s, rows),
                                   name=res.entity.replace(".", "_"), columns=res.fields.keys(res.model, res.hidden))
        return await service.page_of(res, ctx, session, stmt, query)

    if res.detail:
        @router.get(res.path + "/{id}", summary=f"Get {label}",
                    description=_describe(res, "detail", f"Returns one {label} by id.", res.features.list),
                    responses=answers.detail_answer(res))
        async def get_item(id: str, session: SessionDep, ctx: Listing) -> dict[str, Any]:
            if not is_uuid(id):
                raise BadRequest(f"Invalid {label} id")
            return await _presented(session, ctx, await service.get_row(res, ctx, session, id))

    create_schema = res.create_schema
    if "create" not in ops:
        create_schema = None
    if isinstance(create_schema, Body):
        custom_create = create_schema

        @router.post(res.path, status_code=201, summary=f"Create {label}",
                     description=_describe(res, "create", f"Creates a {label}.", res.features.create),
                     openapi_extra=_body_openapi(custom_create, False), responses=answers.created_answer(res))
        async def create_custom(request: Request, session: SessionDep, ctx: Creating) -> JSONResponse:
            raw, data = await _custom_body(request, custom_create, partial=False)
            return _created(await service.create(res, ctx, session, data, custom=_submitted(raw)))
    elif create_schema is not None and res.upsert_by:
        Upsert: Any = create_schema  # noqa: N806 - a class
        keys = " and ".join(f"`{camel(column.key)}`" for column in res.upsert_by)
        upsert_text = (f"Sets the {label} of the {keys} in the body: creates it when there is none, otherwise "
                       "changes the keys sent.")

        @router.post(res.path, status_code=201, summary=f"Create {label}",
                     description=_describe(res, "create", upsert_text, res.features.create),
                     responses=answers.created_answer(res))
        async def upsert_created(body: Upsert, request: Request, session: SessionDep,
                                 ctx: Creating) -> JSONResponse:
            return _created(await service.upsert(res, ctx, session, body, custom=await _raw_custom(request)))

        @_when("update" in ops, router.put(res.path, summary=f"Update {label}",
                    description=_describe(res, "update", upsert_text, res.features.update),
                    responses=answers.updated_answer(res)))
        async def upsert_updated(body: Upsert, request: Request, session: SessionDep,
                                 ctx: Updating) -> JSONResponse:
            return _updated(await service.upsert(res, ctx, session, body, custom=await _raw_custom(request)))
    elif create_schema is not None:
        Create: Any = create_schema  # noqa: N806 - a class

        @router.post(res.path, status_code=201, summary=f"Create {label}",
                     description=_describe(res, "create", f"Creates a {label}.", res.features.create),
                     responses=answers.created_answer(res))
        async def create_item(body: Create, request: Request, session: SessionDep, ctx: Creating) -> JSONResponse:
            return _created(await service.create(res, ctx, session, body, custom=await _raw_custom(request)))

    def _updated(write: service.Write) -> JSONResponse:
        body = res.hooks.updated_body(write) if res.hooks.updated_body else dict(res.updated_body)
        return written(body, service.entry_of(write))

    def _created(write: service.Write) -> JSONResponse:
        body = res.hooks.created_body(write) if res.hooks.created_body else {"id": write.row.id}
        return written(body, service.entry_of(write), 201)

    update_schema = res.update_schema
    update_text = f"Updates a {label} by the id in the body; keys left out keep their values."
    if res.lock:
        update_text += (f" Send `{service.LOCK_HEADER}` with the `updatedAt` you read to refuse overwriting "
                        "a newer change (409).")
    if "update" not in ops or res.upsert_by:  # an upsert's PUT is registered with its POST
        update_schema = None
    if isinstance(update_schema, Body):
        custom_update = update_schema

        @router.put(res.path, summary=f"Update {label}",
                    description=_describe(res, "update", update_text, res.features.update),
                    openapi_extra=_body_openapi(custom_update, True), responses=answers.updated_answer(res))
        async def update_custom(request: Request, session: SessionDep, ctx: Updating) -> JSONResponse:
            raw, data = await _custom_body(request, custom_update, partial=True)
            write = await service.update(res, ctx, session, data.pop("id", raw.get("id")), data,
                                         expected_updated_at=request.headers.get(service.LOCK_HEADER),
                                         custom=_submitted(raw))
            return _updated(write)
    elif update_schema is not None:
        Update: Any = update_schema  # noqa: N806 - a class

        @router.put(res.path, summary=f"Update {label}",
                    description=_describe(res, "update", update_text, res.features.update),
                    responses=answers.updated_answer(res))
        async def update_item(body: Update, request: Request, session: SessionDep,
                              ctx: Updating) -> JSONResponse:
            write = await service.update(res, ctx, session, body.id, body,
                                         expected_updated_at=request.headers.get(service.LOCK_HEADER),
                                         custom=await _raw_custom(request))
            return _updated(write)

    @_when("delete" in ops, router.delete(res.path, summary=f"Delete {label}",
                   description=_describe(res, "delete", f"Deletes a {label} by `?{res.delete_id_param}=` "
                                                        f"(or `{{\"id\"}}` in the body).", res.features.delete),
                   openapi_extra={"parameters": [query_param(res.delete_id_param, "string",
                                                             f"Id of the {label}")]},
                   responses=answers.deleted_answer(res), **_no_content(res.deleted_body is None)))
    async def delete_item(request: Request, ctx: Deleting, session: SessionDep) -> Response:
        # Who may delete is decided before what is deleted: 401/403 come before a 400 about the id.
        row_id = await delete_id(request, param=res.delete_id_param, missing=missing_id)
        if res.dialect.invalid_delete_id and not is_uuid(row_id):
            raise BadRequest(f"Invalid {label} id")
        write = await service.delete(res, ctx, session, row_id,
                                     expected_updated_at=request.headers.get(service.LOCK_HEADER))
        return deleted(res, service.entry_of(write), write)

    def _path_id(id: str) -> str:
        if not is_uuid(id):
            raise BadRequest(f"Invalid {label} id")
        return id

    async def _record(write: service.Write) -> JSONResponse:
        return written(await _presented(write.session, write.ctx, write.row), service.entry_of(write))

    by_id_text = f"Updates the {label} named by the path; keys left out keep their values. Answers the {label}."
    by_id_schema = res.update_schema if "update" in res.by_id else None
    if isinstance(by_id_schema, Body):
        custom_by_id = by_id_schema

        @router.put(res.path + "/{id}", summary=f"Update {label} by id",
                    description=_describe(res, "update_by_id", by_id_text, res.features.update),
                    openapi_extra=_body_openapi(custom_by_id, True), responses=answers.detail_answer(res))
        async def update_custom_by_id(id: str, request: Request, session: SessionDep,
                                      ctx: Updating) -> JSONResponse:
            raw = await read_json(request)
            data = custom_by_id.parse({**raw, "id": _path_id(id)} if isinstance(raw, dict) else raw, True)
            data.pop("id", None)
            return await _record(await service.update(res, ctx, session, id, data,
                                                expected_updated_at=request.headers.get(service.LOCK_HEADER),
                                                custom=_submitted(raw)))
    elif by_id_schema is not None:
        UpdateById: Any = _without_id(by_id_schema)  # noqa: N806 - a class

        @router.put(res.path + "/{id}", summary=f"Update {label} by id",
                    description=_describe(res, "update_by_id", by_id_text, res.features.update),
                    responses=answers.detail_answer(res))
        async def update_item_by_id(id: str, body: UpdateById, request: Request, session: SessionDep,
                                    ctx: Updating) -> JSONResponse:
            if "id" in type(body).model_fields:
                body.id = _path_id(id)  # hooks read the id off the body, as on the collection's PUT
            return await _record(await service.update(res, ctx, session, _path_id(id), body,
                                                expected_updated_at=request.headers.get(service.LOCK_HEADER),
                                                custom=await _raw_custom(request)))

    @_when("delete" in res.by_id, router.delete(
        res.path + "/{id}", summary=f"Delete {label} by id",
        description=_describe(res, "delete_by_id", f"Deletes the {label} named by the path.", res.features.delete),
        responses=answers.deleted_answer(res), **_no_content(res.deleted_body is None)))
    async def delete_item_by_id(id: str, request: Request, ctx: Deleting, session: SessionDep) -> Response:
        write = await service.delete(res, ctx, session, _path_id(id),
                                     expected_updated_at=request.headers.get(service.LOCK_HEADER))
        return deleted(res, service.entry_of(write), write)

    return router


@cache
def _without_id(model: type[BaseModel]) -> type[BaseModel]:
    """An update schema whose body need not carry the id (the path does), nor documents it."""
    if "id" not in model.model_fields:
        return model
    return create_model(f"{model.__name__}ById", __base__=model,
                        id=(Annotated[str | None, SkipJsonSchema()], Field(default=None, exclude=True)))


def validate_model(model: type[BaseModel], raw: Any) -> BaseModel:
    """A pydantic body validated outside FastAPI's parameter handling, with the API's 400."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise invalid(exc) from None
