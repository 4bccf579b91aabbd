from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from api import audit
from api.auth import AuthContext, requires
from api.crud.answers import json_answer, many, page, shape, with_keys
from api.crud.query import Envelope
from api.deps import SessionDep
from api.modules.audit_logs import service
from api.modules.audit_logs.schemas import RedoRequest, UndoRequest
from api.modules.audit_logs.service import Window

router = APIRouter(tags=["Audit & Action Logs"])
ViewSelf = Annotated[AuthContext, Depends(requires("audit_logs.view_self"))]
UndoSelf = Annotated[AuthContext, Depends(requires("audit_logs.undo_self"))]
RedoSelf = Annotated[AuthContext, Depends(requires("audit_logs.redo_self"))]


def _q(alias: str, description: str) -> Any:
    return Query(alias=alias, description=description)


OrganizationId = Annotated[str | None, _q(
    "organizationId", "Only this organization (tenant administrators: any organization they may see)")]
ActorUserId = Annotated[str | None, _q(
    "actorUserId", "Entries of this actor; another actor than the caller needs audit_logs.view_tenant")]
Before = Annotated[str | None, _q("before", "Only entries created before this ISO-8601 timestamp")]
After = Annotated[str | None, _q("after", "Only entries created after this ISO-8601 timestamp")]
Limit = Annotated[str | None, _q("limit", "Maximum number of entries (default 50, at most 200)")]


@router.get("/audit_logs/audit-logs/access", summary="Retrieve access logs",
            description="Fetches paginated access audit logs scoped to the authenticated user. Tenant "
                        "administrators can optionally expand the search to other actors or organizations. "
                        "Requires features: audit_logs.view_self",
            responses={**json_answer(with_keys(page(Envelope.PAGED, shape(
                 id="string", resourceKind="string", resourceId="string?", accessType="string", createdAt="string")),
                 canViewTenant="boolean")),
             400: {"description": "Invalid filters supplied"}})
async def access_logs(
    session: SessionDep, ctx: ViewSelf, organization_id: OrganizationId = None,
    actor_user_id: ActorUserId = None,
    resource_kind: Annotated[str | None, _q("resourceKind", "Only reads of this resource kind")] = None,
    access_type: Annotated[str | None, _q("accessType", "Only this access type (read, read:list, …)")] = None,
    page: Annotated[str | None, _q("page", "1-based page number (default 1)")] = None,
    page_size: Annotated[str | None, _q("pageSize", "Entries per page (default 50, at most 200)")] = None,
    limit: Limit = None, before: Before = None, after: After = None,
) -> dict[str, Any]:
    window = Window.parse(organization_id=organization_id, actor_user_id=actor_user_id, before=before, after=after)
    return await service.list_access(session, ctx, window, resource_kind=resource_kind, access_type=access_type,
                                     page=page, page_size=page_size, limit=limit)


@router.get("/audit_logs/audit-logs/actions", summary="Fetch action logs",
            description="Returns recent action audit log entries. Tenant administrators can widen the scope to "
                        "other actors or organizations, and callers can optionally restrict results to undoable "
                        "actions. Requires features: audit_logs.view_self",
            responses={**json_answer(shape(items=many(shape(id="string", commandId="string", resourceKind="string?")),
                                    canViewTenant="boolean")),
             400: {"description": "Invalid filter values"}})
async def action_logs(
    session: SessionDep, ctx: ViewSelf, organization_id: OrganizationId = None,
    actor_user_id: ActorUserId = None,
    undoable_only: Annotated[str | None, _q("undoableOnly", "true: only actions that can be undone")] = None,
    limit: Limit = None, before: Before = None, after: After = None,
) -> dict[str, Any]:
    window = Window.parse(organization_id=organization_id, actor_user_id=actor_user_id, before=before, after=after)
    return await service.list_actions(session, ctx, window, undoable_only=undoable_only, limit=limit)


@router.post("/audit_logs/audit-logs/actions/redo", summary="Redo by action log id",
             description="Redoes the latest undone command owned by the caller. Requires the action to still be "
                         "eligible for redo within tenant and organization scope. "
                         "Requires features: audit_logs.redo_self",
             responses={**json_answer(shape(ok="true", logId="string", undoToken="string?")),
              400: {"description": "Log not eligible for redo"}})
async def redo(body: RedoRequest, session: SessionDep, ctx: RedoSelf) -> JSONResponse:
    entry = await service.redo(session, ctx, body.log_id)
    out = JSONResponse({"ok": True, "logId": entry.id, "undoToken": entry.undo_token})
    audit.operation_header(out, entry)
    return out


@router.post("/audit_logs/audit-logs/actions/undo", summary="Undo action by token",
             description="Replays the undo handler registered for a command. The provided undo token must match "
                         "the latest undoable log entry accessible to the caller. "
                         "Requires features: audit_logs.undo_self",
             responses={**json_answer(shape(ok="true", logId="string")),
              400: {"description": "Invalid or unavailable undo token"}})
async def undo(body: UndoRequest, session: SessionDep, ctx: UndoSelf) -> dict[str, Any]:
    entry = await service.undo(session, ctx, body.undo_token)
    return {"ok": True, "logId": entry.id}
