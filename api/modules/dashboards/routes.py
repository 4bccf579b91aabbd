"""Dashboards: the caller's layout, role and user widget allow-lists, and the widget catalogue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response

from api import audit
from api.auth import AuthContext, requires
from api.crud.answers import OK, json_answer, many, shape
from api.deps import SessionDep
from api.errors import BadRequest
from api.modules.dashboards import service
from api.modules.dashboards.schemas import Layout, LayoutItemPatch, RoleWidgets, UserWidgets

TAG = "Dashboards"
router = APIRouter(tags=[TAG])

View = Annotated[AuthContext, Depends(requires(service.VIEW))]
Configure = Annotated[AuthContext, Depends(requires(service.CONFIGURE))]
Assign = Annotated[AuthContext, Depends(requires(service.ASSIGN))]
ScopeParam = Annotated[str | None, Query(description="Must be the caller's tenant when given")]
OrgParam = Annotated[str | None, Query(description="An organization of the caller's scope")]


def _header(response: Response, entry: Any) -> None:
    if entry is not None:
        audit.operation_header(response, entry)


@router.get("/dashboards/layout", summary="Load the current dashboard layout",
            description="Returns the saved widget layout together with the widgets the current user is allowed to "
                        "place. On the first visit the layout is created from the widgets enabled by default; items "
                        "of widgets the user may no longer place are dropped. Requires features: dashboards.view",
            responses=json_answer(shape(layout=shape(items="array"), allowedWidgetIds="array", canConfigure="boolean",
                                         context="object")))
async def get_layout(session: SessionDep, ctx: View) -> dict[str, Any]:
    return await service.layout_state(session, ctx)


@router.put("/dashboards/layout", summary="Persist dashboard layout changes",
            description="Saves the provided widget ordering, sizes, and settings for the current user. Items are "
                        "ordered by `order` and renumbered; items of widgets the user may not place are left out. "
                        "Requires features: dashboards.configure",
            responses=json_answer(OK))
async def put_layout(body: Layout, response: Response, session: SessionDep, ctx: Configure) -> dict[str, Any]:
    _header(response, await service.save_layout(session, ctx, body))
    return {"ok": True}


@router.patch("/dashboards/layout/{itemId}", summary="Update a dashboard layout item",
              description="Adjusts the size or settings for a single widget within the dashboard layout. "
                          "Requires features: dashboards.configure",
              responses=json_answer(OK))
async def patch_item(itemId: str, response: Response, session: SessionDep, ctx: Configure,
                     body: Annotated[Any, Body()] = None) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("Invalid payload")
    patch = LayoutItemPatch.model_validate(body)
    _header(response, await service.patch_item(session, ctx, itemId, patch))
    return {"ok": True}


@router.get("/dashboards/roles/widgets", summary="Fetch widget assignments for a role",
            description="Returns the widgets explicitly assigned to the given role together with the evaluation "
                        "scope (the row for `organizationId` when there is one, else the tenant-wide one). "
                        "Requires features: dashboards.admin.assign-widgets",
            responses=json_answer(shape(widgetIds="array", hasCustom="boolean", scope="object")))
async def get_role_widgets(session: SessionDep, ctx: Assign, roleId: str | None = None,
                           tenantId: ScopeParam = None, organizationId: OrgParam = None) -> dict[str, Any]:
    role_id = service.id_param("roleId", roleId, required=True)
    assert role_id is not None
    return await service.role_widgets(session, ctx, role_id, service.id_param("tenantId", tenantId, required=False),
                                      service.id_param("organizationId", organizationId, required=False))


@router.put("/dashboards/roles/widgets", summary="Update widgets assigned to a role",
            description="Persists the widget list for a role within the caller's tenant, for one organization "
                        "(`organizationId`) or all of them. An empty list removes the assignment; unknown widget ids "
                        "are refused. Requires features: dashboards.admin.assign-widgets",
            responses=json_answer(shape(ok="true", widgetIds="array")))
async def put_role_widgets(body: RoleWidgets, response: Response, session: SessionDep,
                           ctx: Assign) -> dict[str, Any]:
    result, entry = await service.set_role_widgets(session, ctx, body)
    _header(response, entry)
    return result


@router.get("/dashboards/users/widgets", summary="Read widget overrides for a user",
            description="Returns the widgets inherited and explicitly configured for the requested user within the "
                        "current scope (by default the organization the user signs in to). "
                        "Requires features: dashboards.admin.assign-widgets",
            responses=json_answer(shape(mode="string", widgetIds="array", hasCustom="boolean",
                                         effectiveWidgetIds="array", scope="object")))
async def get_user_widgets(session: SessionDep, ctx: Assign, userId: str | None = None,
                           tenantId: ScopeParam = None, organizationId: OrgParam = None) -> dict[str, Any]:
    user_id = service.id_param("userId", userId, required=True)
    assert user_id is not None
    return await service.user_widgets(session, ctx, user_id, service.id_param("tenantId", tenantId, required=False),
                                      service.id_param("organizationId", organizationId, required=False))


@router.put("/dashboards/users/widgets", summary="Update user-specific dashboard widgets",
            description="Sets the widget override mode and allowed widgets for a user. Passing `mode: inherit` "
                        "clears overrides. Requires features: dashboards.admin.assign-widgets",
            responses=json_answer(shape("mode", ok="true", mode="string", widgetIds="array")))
async def put_user_widgets(body: UserWidgets, response: Response, session: SessionDep,
                           ctx: Assign) -> dict[str, Any]:
    result, entry = await service.set_user_widgets(session, ctx, body)
    _header(response, entry)
    return result


@router.get("/dashboards/widgets/catalog", summary="List available dashboard widgets",
            description="Returns the catalog of widgets that modules expose, including defaults and feature "
                        "requirements. Requires features: dashboards.admin.assign-widgets",
            responses=json_answer(shape(items=many(shape(id="string")))))
async def catalog(ctx: Assign) -> dict[str, Any]:
    return service.catalogue_items()
