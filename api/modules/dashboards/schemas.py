"""Request bodies of the dashboards module."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, StrictStr, StringConstraints

from api.crud import Payload
from api.modules.auth.schemas import Id

WidgetId = Annotated[StrictStr, StringConstraints(min_length=1, max_length=200)]
Size = Literal["sm", "md", "lg"]
# A dashboard holds a screenful of widgets; the bound keeps one request from storing an unbounded list.
MAX_ITEMS = 100
WidgetIds = Annotated[list[WidgetId], Field(max_length=500)]


class LayoutItem(Payload):
    id: Id
    widget_id: WidgetId
    order: Annotated[StrictInt, Field(ge=0)]
    priority: Annotated[StrictInt, Field(ge=0)] | None = None
    size: Size | None = None
    settings: Any = None


class Layout(Payload):
    items: Annotated[list[LayoutItem], Field(max_length=MAX_ITEMS)]


class LayoutItemPatch(Payload):
    size: Size | None = None
    settings: Any = None


class RoleWidgets(Payload):
    role_id: Id
    tenant_id: Id | None = None
    organization_id: Id | None = None
    widget_ids: WidgetIds


class UserWidgets(Payload):
    user_id: Id
    tenant_id: Id | None = None
    organization_id: Id | None = None
    mode: Literal["inherit", "override"] = "inherit"
    widget_ids: WidgetIds = []
