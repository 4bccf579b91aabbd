"""Configuration routes: cache overview and purge, the system status, one-off upgrade actions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.auth import AuthContext, requires
from api.crud.answers import json_answer, shape
from api.crud.routes import read_json
from api.deps import SessionDep
from api.errors import BadRequest, NotFound
from api.modules.configs import service

CACHE_VIEW = "configs.cache.view"
CACHE_MANAGE = "configs.cache.manage"
STATUS_VIEW = "configs.system_status.view"
MANAGE = "configs.manage"
SCOPE_REQUIRED = "Select an organization and tenant to apply this upgrade."

# The answers' shapes (the OpenAPI document).
CACHE_STATS = shape(generatedAt="string", totalKeys="integer", segments="array")

router = APIRouter(tags=["Configuration"])


CacheViewer = Annotated[AuthContext, Depends(requires(CACHE_VIEW))]
CacheManager = Annotated[AuthContext, Depends(requires(CACHE_MANAGE))]
StatusViewer = Annotated[AuthContext, Depends(requires(STATUS_VIEW))]
Manager = Annotated[AuthContext, Depends(requires(MANAGE))]


@router.get("/configs/cache", summary="Cache overview",
            description="The API's in-process caches (one segment per cache a module declares) with their "
                        "entry counts: `{generatedAt, totalKeys, segments[]}`. Requires features: configs.cache.view",
            responses=json_answer(CACHE_STATS))
async def cache_overview(ctx: CacheViewer) -> dict[str, Any]:
    return service.cache_stats()


@router.post("/configs/cache", status_code=201, summary="Purge caches",
             description="`{action: \"purgeAll\"}` (the default) empties every cache; `{action: \"purgeSegment\", "
                         "segment}` one of them. Answers what was purged and the new stats. "
                         "Requires features: configs.cache.manage",
             openapi_extra={"requestBody": {"content": {"application/json": {
                 "schema": {"type": "object"}, "example": {"action": "purgeSegment", "segment": "auth.callers"}}}}},
             responses=json_answer(shape("segment", action="string", segment="string", deleted="integer",
                                         stats="object"), 201))
async def purge_cache(request: Request, ctx: CacheManager) -> JSONResponse:
    body = await read_json(request, empty={})
    action = body.get("action") if isinstance(body, dict) and isinstance(body.get("action"), str) else "purgeAll"
    if action == "purgeSegment":
        name = body.get("segment") if isinstance(body.get("segment"), str) else ""
        if not name.strip():
            raise BadRequest("Failed to purge cache segment.", [{"path": ["segment"], "message": "Required"}])
        segment = service.cache_segment(name.strip())
        if segment is None:
            raise NotFound("Cache segment not found")
        deleted = segment.purge()
        return JSONResponse({"action": "purgeSegment", "segment": segment.id, "deleted": deleted,
                             "stats": service.cache_stats()}, status_code=201)
    if action != "purgeAll":
        raise BadRequest("Unknown cache action", [{"path": ["action"], "message": "purgeAll or purgeSegment"}])
    deleted = service.purge_all()
    return JSONResponse({"action": "purgeAll", "deleted": deleted, "stats": service.cache_stats()}, status_code=201)


@router.get("/configs/system-status", summary="System status",
            description="Health of the database, Temporal, the workers (their heartbeats) and the outbox "
                        "(pending events and lag), and the settings in effect (secrets only as set/unset). "
                        "Requires features: configs.system_status.view",
            responses=json_answer(shape(generatedAt="string", version="string", runtimeMode="string",
                                         healthy="boolean", health="object", categories="array")))
async def system_status(session: SessionDep, ctx: StatusViewer) -> dict[str, Any]:
    return await service.status(session)


@router.post("/configs/system-status", status_code=201, summary="Clear caches",
             description="Empties every in-process cache: `{cleared: true, deleted}`. "
                         "Requires features: configs.manage",
             responses=json_answer(shape(cleared="true", deleted="integer"), 201))
async def clear_caches(ctx: Manager) -> dict[str, Any]:
    return {"cleared": True, "deleted": service.purge_all()}


def _scope(ctx: AuthContext) -> tuple[str, str]:
    if not ctx.tenant_id or not ctx.write_org_id:
        raise BadRequest(SCOPE_REQUIRED)
    return ctx.tenant_id, ctx.write_org_id


@router.get("/configs/upgrade-actions", summary="Pending upgrade actions",
            description="The next one-off action of this version the current organization has not run: "
                        "`{version, actions[]}`. Requires features: configs.manage",
            responses=json_answer(shape(version="string", actions="array")))
async def upgrade_actions(session: SessionDep, ctx: Manager) -> dict[str, Any]:
    tenant_id, org_id = _scope(ctx)
    pending = await service.pending_actions(session, tenant_id=tenant_id, organization_id=org_id)
    return {"version": service.VERSION, "actions": [a.describe() for a in pending[:1]]}


@router.post("/configs/upgrade-actions", status_code=201, summary="Run an upgrade action",
             description="Runs `{actionId}` for the current organization and records it, once: `status` is "
                         "`completed`, or `already_completed` when it ran before. Requires features: configs.manage",
             openapi_extra={"requestBody": {"content": {"application/json": {
                 "schema": {"type": "object"}, "example": {"actionId": "configs.install_default_dictionaries"}}}}},
             responses=json_answer(shape(status="string", message="string?", version="string"), 201))
async def run_upgrade_action(request: Request, session: SessionDep,
                             ctx: Manager) -> dict[str, Any]:
    tenant_id, org_id = _scope(ctx)
    body = await read_json(request, empty={})
    action_id = body.get("actionId") if isinstance(body, dict) else None
    if not isinstance(action_id, str) or not action_id.strip():
        raise BadRequest("Invalid request body", [{"path": ["actionId"], "message": "action id required"}])
    action = next((a for a in service.UPGRADE_ACTIONS if a.id == action_id.strip()), None)
    if action is None:
        raise NotFound("Upgrade action not found")
    status = await service.run_action(session, action, tenant_id=tenant_id, organization_id=org_id)
    return {"status": status, "message": action.success_message, "version": service.VERSION}
