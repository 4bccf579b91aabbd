"""The charge codes' routes that are not the kit's: one code by path id, the grid configuration and the
spreadsheet import. (No `from __future__ import annotations`: FastAPI must see the dependencies' real types.)"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile

from api.auth import AuthContext, requires
from api.crud.answers import json_answer, many, shape
from api.crud.table_config import TableHints, table_config_route
from api.deps import SessionDep
from api.errors import BadRequest
from api.modules.fms_products import service
from api.modules.fms_products.models import CHARGE_UNITS, FmsChargeCode
from api.modules.fms_products.resources import IMPORT, MANAGE, VIEW
from api.spreadsheets import MAX_BYTES, read_table

router = APIRouter(tags=["Fms Products"])
Viewer = Annotated[AuthContext, Depends(requires(VIEW))]
Manager = Annotated[AuthContext, Depends(requires(MANAGE))]
Importing = Annotated[AuthContext, Depends(requires(IMPORT))]
HINTS = TableHints(hidden=("field_schema", "created_by", "updated_by"),
                   renderers={"code": "CodeRenderer", "charge_unit": "ChargeUnitRenderer"},
                   dropdowns={"charge_unit": CHARGE_UNITS})


table_config_route(router, "/fms_products/table-config", FmsChargeCode, "fms_charge_code", features=(VIEW,),
                   label="charge codes", hints=HINTS)


UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "A .csv, .xlsx or .xls file; the first row names the columns"}}}}}}}
IMPORT_RESULT = shape(chargeCodesCreated="integer", chargeCodesUpdated="integer",
                      chargeCodesUnchanged="integer", errors=many(shape(row="integer", message="string")),
                      totalRows="integer")


async def _read_upload(request: Request) -> tuple[bytes, str | None, str | None]:
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


@router.post("/fms_products/charge-codes/import", summary="Import charge codes",
             description="Upserts charge codes by code from an uploaded table (multipart `file`: .csv, .xlsx or "
                         ".xls) with the columns `code`, `charge_unit` (per_container, per_piece or one_time) and "
                         "optionally `description`. Rows matching a stored code update it (`chargeCodesUpdated`) "
                         "unless they change nothing (`chargeCodesUnchanged`, not written). All or nothing: any "
                         "bad row answers 400 listing every problem by row, and nothing is written. Requires "
                         f"features: {IMPORT}",
             openapi_extra=UPLOAD_BODY, responses=json_answer(IMPORT_RESULT))
async def import_charge_codes(request: Request, session: SessionDep, ctx: Importing) -> dict[str, Any]:
    content, filename, content_type = await _read_upload(request)
    return await service.import_table(session, ctx, read_table(content, filename, content_type))
