from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api import audit
from api.auth import AuthContext, requires
from api.crud.routes import delete_id
from api.deps import SessionDep
from api.features import declare
from api.modules.api_keys import service
from api.modules.api_keys.models import ApiKey
from api.modules.api_keys.resources import CREATE, DELETE, VIEW, api_keys, key_item
from api.modules.api_keys.schemas import ApiKeyCreate

declare("api_keys", "API Keys", {
    VIEW: "View API keys",
    CREATE: "Create API keys",
    DELETE: "Delete API keys",
})
audit.register(api_keys.entity, ApiKey, api_keys.hidden, serialize=key_item,
               features={"create": CREATE, "update": CREATE, "delete": DELETE})

router = APIRouter(tags=["API Keys"])


def _query(name: str, description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": {"type": "string"},
            "description": description}


@router.get("/api_keys/keys", summary="List API keys",
            description="Returns paginated API keys visible to the current user, including per-key role "
                        "assignments and organization context. Requires features: api_keys.view",
            openapi_extra={"parameters": [
                _query("page", "1-based page number (default 1)"),
                _query("pageSize", "Items per page (default 50, at most 200)"),
                _query("search", "Name or key prefix contains"),
            ]})
async def list_keys(request: Request, session: SessionDep,
                    ctx: Annotated[AuthContext, Depends(requires(VIEW))]) -> dict[str, Any]:
    return await service.list_keys(session, ctx, request.query_params)


@router.post("/api_keys/keys", status_code=201, summary="Create API key",
             description="Creates a new API key, returning the one-time secret value together with the generated "
                         "key prefix and scope details. Requires features: api_keys.create")
async def create_key(body: ApiKeyCreate, session: SessionDep,
                     ctx: Annotated[AuthContext, Depends(requires(CREATE))]) -> JSONResponse:
    issued = await service.create_key(session, ctx, body)
    out = JSONResponse(issued.body(), status_code=201)
    audit.operation_header(out, issued.entry)
    return out


@router.delete("/api_keys/keys", summary="Delete API key",
               description="Removes an API key by identifier. The key must belong to the current tenant and fall "
                           "within the requester organization scope. Requires features: api_keys.delete",
               openapi_extra={"parameters": [_query("id", "Id of the key to revoke", required=True)]})
async def delete_key(ctx: Annotated[AuthContext, Depends(requires(DELETE))],
                     key_id: Annotated[str, Depends(delete_id)], session: SessionDep) -> JSONResponse:
    entry = await service.delete_key(session, ctx, key_id)
    # The reference answers this delete with the CRUD factory's default body.
    out = JSONResponse({"success": True})
    audit.operation_header(out, entry)
    return out
