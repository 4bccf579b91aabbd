"""Request bodies of the perspectives module."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StrictStr, StringConstraints

from api.crud import Payload
from api.modules.auth.schemas import Id

ColumnId = Annotated[StrictStr, StringConstraints(min_length=1, max_length=200)]
Name = Annotated[StrictStr, StringConstraints(min_length=1, max_length=120)]


class SortColumn(Payload):
    id: ColumnId
    desc: StrictBool | None = None


class PerspectiveSettings(Payload):
    """A table's view: column order and visibility, filters, sorting, page size and search text.
    Keys not listed here are dropped, so stored settings keep one shape."""

    column_order: Annotated[list[ColumnId], Field(max_length=120)] | None = None
    column_visibility: dict[ColumnId, StrictBool] | None = None
    filters: dict[ColumnId, Any] | None = None
    sorting: Annotated[list[SortColumn], Field(max_length=20)] | None = None
    page_size: Annotated[StrictInt, Field(gt=0, le=500)] | None = None
    search_value: Annotated[StrictStr, StringConstraints(max_length=200, strip_whitespace=False)] | None = None

    def stored(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


RoleIds = Annotated[list[Id], Field(max_length=200), AfterValidator(_unique)]


class PerspectiveSave(Payload):
    perspective_id: Id | None = None
    name: Name
    settings: PerspectiveSettings
    is_default: StrictBool | None = None
    apply_to_roles: RoleIds | None = None
    clear_role_ids: RoleIds | None = None
    # Whether the copies given to `applyToRoles` become those roles' default view.
    set_role_default: StrictBool | None = None
