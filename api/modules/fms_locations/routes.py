"""The locations routes that are not the kit's: one port or terminal by path id, the grid configuration
and the spreadsheet import. (No `from __future__ import annotations`: the path routes are built in a
function, and FastAPI must see their dependencies' real types.)"""


from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from api.auth import AuthContext, requires
from api.crud.answers import json_answer, many, shape
from api.crud.table_config import TableHints, table_config_route
from api.deps import SessionDep
from api.modules.fms_locations import service
from api.modules.fms_locations.models import TYPES, FmsLocation
from api.modules.fms_locations.resources import (
    IMPORT,
    VIEW_PORTS,
)
from api.spreadsheets import UPLOAD_BODY, read_upload

router = APIRouter(tags=["FMS Locations"])
Importing = Annotated[AuthContext, Depends(requires(IMPORT))]

HINTS = TableHints(hidden=("port_id", "created_by", "updated_by"),
                   renderers={"type": "TypeRenderer", "code": "CodeRenderer"}, dropdowns={"type": TYPES})


table_config_route(router, "/fms_locations/table-config", FmsLocation, "fms_location", features=(VIEW_PORTS,),
                   label="locations", hints=HINTS)


IMPORT_RESULT = shape(locationsCreated="integer", locationsUpdated="integer", locationsUnchanged="integer",
                      errors=many(shape(row="integer", message="string")), totalRows="integer")


@router.post("/fms_locations/import", summary="Import ports and terminals",
             description="Upserts ports and terminals by code from an uploaded table (multipart `file`: .csv, "
                         ".xlsx or .xls) with the columns `code`, `name`, `type` (port or terminal) and optionally "
                         "`lat`, `lng`, `locode`, `port_code` (a terminal's port, in the file or already stored), "
                         "`city`, `country`. Rows matching a stored code update it unless they change nothing "
                         "(`locationsUnchanged`, not written). All or nothing: any bad row answers 400 listing "
                         f"every problem by row, and nothing is written. Requires features: {IMPORT}",
             openapi_extra=UPLOAD_BODY, responses=json_answer(IMPORT_RESULT))
async def import_locations(request: Request, session: SessionDep, ctx: Importing) -> dict[str, Any]:
    return await service.import_table(session, ctx, await read_upload(request))
