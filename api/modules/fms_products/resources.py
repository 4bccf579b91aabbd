from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select

from api.crud import Envelope, Features, Fields, Filter, Hooks, Resource, Sort
from api.crud.query import like_pattern
from api.crud.service import Write
from api.errors import BadRequest, Conflict
from api.modules.fms_products.models import CHARGE_UNITS, FmsChargeCode
from api.modules.fms_products.schemas import ChargeCodeCreate, ChargeCodeUpdate

VIEW, MANAGE, IMPORT = ("fms_products.charge_codes.view", "fms_products.charge_codes.manage",
                        "fms_products.charge_codes.import")


def _q(stmt: Select[Any], raw: str) -> Select[Any]:
    """The reference's `q`: code or description contains the text, case aside."""
    text = raw.strip()
    if not text:
        return stmt
    pattern = like_pattern(text)
    return stmt.where(or_(func.lower(FmsChargeCode.code).like(pattern, escape="\\"),
                          func.lower(FmsChargeCode.description).like(pattern, escape="\\")))


async def _code_taken(write: Write, code: str) -> bool:
    row = write.row
    return (await write.session.execute(select(FmsChargeCode.id).where(
        FmsChargeCode.tenant_id == row.tenant_id, FmsChargeCode.organization_id == row.organization_id,
        FmsChargeCode.code == code, FmsChargeCode.deleted_at.is_(None), FmsChargeCode.id != row.id
    ).limit(1))).first() is not None


async def _before_create(write: Write) -> None:
    values = write.values
    values["created_by"] = values["updated_by"] = write.ctx.user_id
    if values.get("is_active") is None:
        values["is_active"] = True
    if await _code_taken(write, values["code"]):
        raise Conflict(f"A charge code {values['code']} already exists")


async def _before_update(write: Write) -> None:
    values = write.values
    code = values.pop("code", None)
    if code is not None and code != write.row.code:
        raise BadRequest("Invalid input", [{"path": ["code"], "message": "The code of a charge cannot change"}])
    for key in ("charge_unit", "is_active"):
        if key in values and values[key] is None:
            raise BadRequest("Invalid input", [{"path": [key], "message": "Required"}])
    values["updated_by"] = write.ctx.user_id


def _field_schema(values: dict[str, Any]) -> None:
    """Stored as plain JSON: each validated spec without the keys nobody set."""
    spec = values.get("field_schema")
    if isinstance(spec, dict):
        values["field_schema"] = {key: {f: v for f, v in dict(field).items() if v is not None}
                                  for key, field in spec.items()}


async def _create(write: Write) -> None:
    _field_schema(write.values)
    await _before_create(write)


async def _update(write: Write) -> None:
    _field_schema(write.values)
    await _before_update(write)


charge_codes = Resource(
    path="/fms_products/charge-codes",
    model=FmsChargeCode,
    entity="fms_products.charge_code",
    create_schema=ChargeCodeCreate,
    update_schema=ChargeCodeUpdate,
    features=Features.view_manage(VIEW, MANAGE),
    tag="Fms Products",
    label="Charge code",
    envelope=Envelope.LIMIT,
    search=(FmsChargeCode.code, FmsChargeCode.description),
    sort=Sort((FmsChargeCode.code, FmsChargeCode.description, FmsChargeCode.charge_unit, FmsChargeCode.is_active,
               FmsChargeCode.created_at, FmsChargeCode.updated_at), default=FmsChargeCode.code),
    filters={
        "q": Filter.using(_q, "Code or description contains (case aside)"),
        "chargeUnit": Filter.eq(FmsChargeCode.charge_unit, "per_container, per_piece or one_time",
                                choices=CHARGE_UNITS),
        "isActive": Filter.eq(FmsChargeCode.is_active, "Active or not"),
    },
    # Items as the reference lists them: camelCase fields beside snake_case scope and timestamps.
    fields=Fields("id", "code", "description", "charge_unit", "field_schema", "is_active", "organization_id",
                  "tenant_id", "created_at", "updated_at",
                  rename={k: k for k in ("organization_id", "tenant_id", "created_at", "updated_at")}),
    # The record (`GET …/{id}`, events, audit): every column in camelCase, as the reference's entity serializes.
    detail_fields=Fields("id", "organization_id", "tenant_id", "code", "description", "charge_unit",
                         "field_schema", "is_active", "created_at", "created_by", "updated_at", "updated_by",
                         "deleted_at"),
    detail=True,
    by_id=frozenset({"update", "delete"}),
    deleted_body=None,  # the reference answers its deletes 204
    hooks=Hooks(before_create=_create, before_update=_update),
)
