"""The charge codes' routes that are not the kit's: one code by path id, the grid configuration and the
spreadsheet import. (No `from __future__ import annotations`: FastAPI must see the dependencies' real types.)"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from api.auth import AuthContext, requires
from api.crud.answers import json_answer, many, shape
from api.crud.table_config import TableHints, table_config_route
from api.deps import SessionDep
from api.modules.fms_products import service
from api.modules.fms_products.models import CHARGE_UNITS, FmsChargeCode
from api.modules.fms_products.resources import IMPORT, VIEW
from api.spreadsheets import UPLOAD_BODY, read_upload

router = APIRouter(tags=["Fms Products"])
Importing = Annotated[AuthContext, Depends(requires(IMPORT))]
HINTS = TableHints(hidden=("field_schema", "created_by", "updated_by"),
                   renderers={"code": "CodeRenderer", "charge_unit": "ChargeUnitRenderer"},
                   dropdowns={"charge_unit": CHARGE_UNITS})


table_config_route(router, "/fms_products/table-config", FmsChargeCode, "fms_charge_code", features=(VIEW,),
                   label="charge codes", hints=HINTS)


IMPORT_RESULT = shape(chargeCodesCreated="integer", chargeCodesUpdated="integer",
                      chargeCodesUnchanged="integer", errors=many(shape(row="integer", message="string")),
                      totalRows="integer")


@router.post("/fms_products/charge-codes/import", summary="Import charge codes",
             description="Upserts charge codes by code from an uploaded table (multipart `file`: .csv, .xlsx or "
                         ".xls) with the columns `code`, `charge_unit` (per_container, per_piece or one_time) and "
                         "optionally `description`. Rows matching a stored code update it (`chargeCodesUpdated`) "
                         "unless they change nothing (`chargeCodesUnchanged`, not written). All or nothing: any "
                         "bad row answers 400 listing every problem by row, and nothing is written. Requires "
                         f"features: {IMPORT}",
             openapi_extra=UPLOAD_BODY, responses=json_answer(IMPORT_RESULT))
async def import_charge_codes(request: Request, session: SessionDep, ctx: Importing) -> dict[str, Any]:
    return await service.import_table(session, ctx, await read_upload(request))
