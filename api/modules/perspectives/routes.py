"""Perspectives: saved table views per user, with role defaults."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from api import audit
from api.auth import AuthContext, requires
from api.crud.answers import json_answer, shape
from api.deps import SessionDep
from api.errors import BadRequest
from api.modules.auth.schemas import is_uuid
from api.modules.perspectives import service
from api.modules.perspectives.schemas import PerspectiveSave

TAG = "Perspectives"
router = APIRouter(tags=[TAG])

Use = Annotated[AuthContext, Depends(requires(service.USE))]
RoleDefaults = Annotated[AuthContext, Depends(requires(service.ROLE_DEFAULTS))]


def _uuid(value: str) -> str:
    if not is_uuid(value.strip()):
        raise BadRequest("Invalid parameters")
    return value.strip().lower()


@router.get("/perspectives/{tableId}", summary="Load perspectives for a table",
            description="Returns personal perspectives and available role defaults for the requested table "
                        "identifier: the caller's saved views (newest first) and its default, the views its roles "
                        "offer, and the roles it may give views to. Requires features: perspectives.use",
            responses=json_answer(shape(tableId="string", perspectives="array", defaultPerspectiveId="string?")))
async def load(tableId: str, session: SessionDep, ctx: Use) -> dict[str, Any]:
    return await service.state(session, ctx, service.table_id(tableId))


@router.post("/perspectives/{tableId}", summary="Create or update a perspective",
             description="Saves a personal perspective (by `perspectiveId`, else by name: saving under an existing "
                         "name updates it) and optionally applies the same configuration to selected roles "
                         "(`applyToRoles`, with `setRoleDefault`) or clears theirs (`clearRoleIds`); both need "
                         "perspectives.role_defaults. `isDefault: true` makes it the caller's default view of the "
                         "table. Requires features: perspectives.use",
             responses=json_answer(shape(perspective="object", rolePerspectives="array")))
async def save(tableId: str, body: PerspectiveSave, response: Response, session: SessionDep,
               ctx: Use) -> dict[str, Any]:
    result, entry = await service.save(session, ctx, service.table_id(tableId), body)
    audit.operation_header(response, entry)
    return result


@router.delete("/perspectives/{tableId}/roles/{roleId}", summary="Clear role perspectives for a table",
               description="Removes all role-level perspectives associated with the provided role identifier for "
                           "the table, in the caller's tenant. Requires features: perspectives.role_defaults",
               responses=json_answer(shape(success="true")))
async def clear_role(tableId: str, roleId: str, session: SessionDep, ctx: RoleDefaults) -> dict[str, Any]:
    table = service.table_id(tableId)
    role = await service.role_in_scope(session, ctx, _uuid(roleId))
    await service.clear_roles(session, ctx, table, [role.id])
    return {"success": True}


@router.delete("/perspectives/{tableId}/{perspectiveId}", summary="Delete a personal perspective",
               description="Removes a perspective owned by the current user for the given table. "
                           "Requires features: perspectives.use",
               responses=json_answer(shape(success="true")))
async def delete(tableId: str, perspectiveId: str, response: Response, session: SessionDep,
                 ctx: Use) -> dict[str, Any]:
    table = service.table_id(tableId)
    entry = await service.delete(session, ctx, table, _uuid(perspectiveId))
    audit.operation_header(response, entry)
    return {"success": True}
