"""The locations routes that are not the kit's: one port or terminal by path id, the grid configuration
and the spreadsheet import. (No `from __future__ import annotations`: the path routes are built in a
function, and FastAPI must see their dependencies' real types.)"""


from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile

from api.auth import AuthContext, requires
from api.crud.answers import json_answer, many, shape
from api.crud.table_config import TableHints, table_config_route
from api.deps import SessionDep
from api.errors import BadRequest
from api.modules.fms_locations import service
from api.modules.fms_locations.models import TYPES, FmsLocation
from api.modules.fms_locations.resources import (
    IMPORT,
    VIEW_PORTS,
)
from api.spreadsheets import MAX_BYTES, read_table

router = APIRouter(tags=["FMS Locations"])
Importing = Annotated[AuthContext, Depends(requires(IMPORT))]

UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "A .csv, .xlsx or .xls file; the first row names the columns"}}}}}}}


async def read_upload(request: Request) -> tuple[bytes, str | None, str | None]:
    """The multipart `file` field: its bytes, name and content type (400 when it is missing)."""
    if "multipart/form-data" not in request.headers.get("content-type", "").lower():
        raise BadRequest("No file uploaded", [{"path": ["file"], "message": "Send the file as multipart/form-data"}])
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception:
        raise BadRequest("Invalid multipart body") from None
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise BadRequest("No file uploaded", [{"path": ["file"], "message": "Required"}])
        # One byte over the reader's limit is enough for it to refuse the file by size.
        return await file.read(MAX_BYTES + 1), file.filename, file.content_type
    finally:
        await form.close()


HINTS = TableHints(hidden=("port_id", "created_by", "updated_by"),
                   renderers={"type": "TypeRenderer", "code": "CodeRenderer"}, dropdowns={"type": TYPES})
ViewPorts = Annotated[AuthContext, Depends(requires(VIEW_PORTS))]


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
    content, filename, content_type = await read_upload(request)
    return await service.import_table(session, ctx, read_table(content, filename, content_type))
