"""The locations routes that are not the kit's: one port or terminal by path id, the grid configuration
and the spreadsheet import. (No `from __future__ import annotations`: the path routes are built in a
function, and FastAPI must see their dependencies' real types.)"""


from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from api import audit
from api.auth import AuthContext, requires
from api.crud import Resource, written
from api.crud import service as crud
from api.crud.answers import json_answer, many, record, shape
from api.crud.query import is_uuid
from api.crud.routes import read_json, validate_model
from api.crud.table_config import TableHints, table_config_route
from api.deps import SessionDep
from api.errors import BadRequest
from api.modules.fms_locations import service
from api.modules.fms_locations.models import TYPES, FmsLocation
from api.modules.fms_locations.resources import (
    IMPORT,
    MANAGE_PORTS,
    MANAGE_TERMINALS,
    VIEW_PORTS,
    VIEW_TERMINALS,
    ports,
    terminals,
)
from api.modules.fms_locations.schemas import PortUpdate, TerminalUpdate
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


def _id(res: Resource, id: str) -> str:
    if not is_uuid(id):
        raise BadRequest(f"Invalid {res.label.lower()} id")
    return id


def _path_routes(res: Resource, view: str, manage: str, update_schema: Any) -> None:
    """`GET|PUT|DELETE {path}/{id}`: the record, a partial update answering the record, a soft delete
    answering 204; each through the kit's functions, so writes are audited and evented as the collection's."""
    Viewer = Annotated[AuthContext, Depends(requires(view))]
    Manager = Annotated[AuthContext, Depends(requires(manage))]
    name = res.label.lower()
    kind = res.entity.replace(".", "_")

    async def get_one(id: str, session: SessionDep, ctx: Viewer) -> dict[str, Any]:
        row = await crud.get_row(res, ctx, session, _id(res, id))
        return crud.describe(res, row, public=True)

    async def put_one(id: str, request: Request, session: SessionDep, ctx: Manager) -> JSONResponse:
        raw = await read_json(request)
        if not isinstance(raw, dict):
            raise BadRequest("Invalid input", [{"path": [], "message": "Expected an object"}])
        body = validate_model(update_schema, {**raw, "id": _id(res, id)})
        write = await crud.update(res, ctx, session, id, body)
        return written(crud.describe(res, write.row, public=True), crud.entry_of(write))

    async def delete_one(id: str, session: SessionDep, ctx: Manager) -> Response:
        write = await crud.delete(res, ctx, session, _id(res, id))
        out = Response(status_code=204)
        audit.operation_header(out, crud.entry_of(write))
        return out

    path = f"{res.path}/{{id}}"
    router.add_api_route(path, get_one, methods=["GET"], summary=f"Get {name}",
                         description=f"One {name} of the caller's organizations by id (404 otherwise). "
                                     f"Requires features: {view}",
                         responses=json_answer(record(res)), operation_id=f"get_{kind}")
    router.add_api_route(path, put_one, methods=["PUT"], summary=f"Update {name}",
                         description=f"Changes the given fields of the {name} and answers the updated record. "
                                     f"Requires features: {manage}",
                         openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"type": "object"}, "example": {"name": "Port of Gdansk"}}}}},
                         responses=json_answer(record(res)), operation_id=f"update_{kind}")
    router.add_api_route(path, delete_one, methods=["DELETE"], status_code=204, response_class=Response,
                         summary=f"Delete {name}",
                         description=f"Soft-deletes the {name} (undoable from the action log). "
                                     f"Requires features: {manage}",
                         responses={204: {"description": "Deleted"}}, operation_id=f"delete_{kind}")


_path_routes(ports, VIEW_PORTS, MANAGE_PORTS, PortUpdate)
_path_routes(terminals, VIEW_TERMINALS, MANAGE_TERMINALS, TerminalUpdate)

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
