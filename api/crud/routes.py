"""Builds the routes of a `Resource`. (No `from __future__ import annotations` here: the route
signatures close over each resource's schemas and FastAPI must see the real classes.)"""

import json
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from api import audit
from api.auth import AuthContext, requires
from api.crud import service
from api.crud.resource import Resource
from api.deps import SessionDep
from api.errors import BadRequest, invalid

COMMON_PARAMS: list[tuple[str, str, str]] = [
    ("page", "integer", "1-based page number (default 1)"),
    ("pageSize", "integer", "Items per page (default 50, at most 100)"),
    ("sortField", "string", "Field to sort by"),
    ("sortDir", "string", "asc or desc"),
    ("search", "string", "Case-insensitive text search"),
    ("id", "string", "Only the row with this id"),
    ("ids", "string", "Comma-separated ids"),
    ("withDeleted", "boolean", "Include soft-deleted rows"),
]


def _param(name: str, kind: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind},
            "description": description}


class DeleteBody(BaseModel):
    id: str


async def delete_id(request: Request) -> str:
    """The id of a DELETE comes from `?id=` or from a JSON body `{"id": ...}`."""
    if request.query_params.get("id"):
        return request.query_params["id"]
    raw = await request.body()
    if raw.strip():
        try:
            return DeleteBody.model_validate(json.loads(raw)).id
        except json.JSONDecodeError:
            raise BadRequest("Invalid JSON body") from None
        except ValidationError as exc:
            raise invalid(exc) from None
    raise BadRequest("id is required")


def crud_router(res: Resource) -> APIRouter:
    router = APIRouter(tags=[res.tag])
    audit.register(res.entity, res.model, res.hidden, serialize=partial(service.serialize, res),
                   features={"create": res.features.create, "update": res.features.update,
                             "delete": res.features.delete})
    Create = res.create_schema  # noqa: N806 - a class
    Update = res.update_schema  # noqa: N806
    plural = res.label.lower() + "s"
    filters = [_param(n, "string", f.description or f"Filter by {n}") for n, f in res.filters.items()]

    @router.get(res.path, summary=f"List {plural}",
                description=f"Returns a paginated list of {plural} in the current scope. "
                            f"Requires features: {res.features.list}",
                openapi_extra={"parameters": [_param(*p) for p in COMMON_PARAMS] + filters})
    async def list_items(request: Request, session: SessionDep,
                         ctx: Annotated[AuthContext, Depends(requires(res.features.list))]) -> dict[str, Any]:
        return await service.list_rows(res, ctx, session, request.query_params)

    @router.post(res.path, status_code=201, summary=f"Create {res.label.lower()}",
                 description=f"Creates a {res.label.lower()}. Requires features: {res.features.create}")
    async def create_item(body: Create, response: Response, session: SessionDep,  # type: ignore[valid-type]
                          ctx: Annotated[AuthContext, Depends(requires(res.features.create))]) -> JSONResponse:
        row, entry = await service.create(res, ctx, session, body)
        out = JSONResponse({"id": row.id}, status_code=201)
        audit.operation_header(out, entry)
        return out

    @router.put(res.path, summary=f"Update {res.label.lower()}",
                description=f"Updates a {res.label.lower()} by the id in the body. "
                            f"Requires features: {res.features.update}")
    async def update_item(body: Update, session: SessionDep,  # type: ignore[valid-type]
                          ctx: Annotated[AuthContext, Depends(requires(res.features.update))]) -> JSONResponse:
        _, entry = await service.update(res, ctx, session, body.id, body)  # type: ignore[attr-defined]
        out = JSONResponse({"ok": True})
        audit.operation_header(out, entry)
        return out

    @router.delete(res.path, summary=f"Delete {res.label.lower()}",
                   description=f"Deletes a {res.label.lower()} by `?id=` (or `{{\"id\"}}` in the body). "
                               f"Requires features: {res.features.delete}",
                   openapi_extra={"parameters": [_param("id", "string", "Id of the row to delete")]})
    async def delete_item(ctx: Annotated[AuthContext, Depends(requires(res.features.delete))],
                          row_id: Annotated[str, Depends(delete_id)], session: SessionDep) -> JSONResponse:
        # `ctx` comes first: FastAPI resolves dependencies in order, and who may delete is
        # decided before what is deleted (401/403 before a 400 about the id).
        _, entry = await service.delete(res, ctx, session, row_id)
        out = JSONResponse({"ok": True})
        audit.operation_header(out, entry)
        return out

    return router
