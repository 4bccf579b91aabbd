"""The charge codes' import: upserted by code, all or nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.crud import service as crud
from api.errors import BadRequest
from api.modules.fms_products.models import FmsChargeCode
from api.modules.fms_products.resources import charge_codes
from api.modules.fms_products.schemas import ChargeCodeCreate, ChargeCodeUpdate
from api.spreadsheets import Table

# Accepted spellings of each column (headers compared lower-cased, spaces as underscores).
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code",),
    "charge_unit": ("charge_unit", "chargeunit", "unit"),
    "description": ("description", "desc"),
}
REQUIRED = ("code", "charge_unit")


def _headers(headers: Iterable[str]) -> dict[str, str]:
    normalized = {re.sub(r"\s+", "_", h.strip().lower()): h for h in headers if h}
    found = {key: next((normalized[a] for a in aliases if a in normalized), None) for key, aliases in COLUMNS.items()}
    missing = [key for key in REQUIRED if found[key] is None]
    if missing:
        raise BadRequest(f"Missing required column: {', '.join(missing)}",
                         [{"column": key, "message": f"Add a column named {key}"} for key in missing])
    return {key: header for key, header in found.items() if header is not None}


def _issue_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'Invalid value')}" if where else str(err.get("msg")))
    return "; ".join(parts)


async def import_table(session: AsyncSession, ctx: AuthContext, table: Table) -> dict[str, Any]:
    """Upserts the file's charge codes into the caller's organization by code (upper-cased). All or nothing:
    one bad row refuses the whole file with every row's problem listed, and nothing is written."""
    tenant_id, org_id = ctx.require_tenant(), ctx.require_org()
    cols = _headers(table.headers)
    errors: list[dict[str, Any]] = []
    checked: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for line, raw in zip(table.lines, table.rows, strict=True):
        cell = {key: raw.get(header, "").strip() for key, header in cols.items()}
        code = cell["code"].upper()
        values: dict[str, Any] = {"code": code, "chargeUnit": cell["charge_unit"].lower(),
                                  "description": cell.get("description") or None}
        try:
            ChargeCodeCreate.model_validate(values)
        except ValidationError as exc:
            errors.append({"row": line, "message": _issue_text(exc)})
            continue
        if code in seen:
            errors.append({"row": line, "message": f"Code {code} appears twice (first on row {seen[code]})"})
            continue
        seen[code] = line
        checked.append((code, values))
    total = len(table.rows)
    if errors:
        raise BadRequest(f"Import refused: {len(errors)} problem(s) in the file; nothing was imported",
                         errors, extra={"totalRows": total})
    existing = {r.code: r for r in (await session.execute(select(FmsChargeCode).where(
        FmsChargeCode.tenant_id == tenant_id, FmsChargeCode.organization_id == org_id,
        FmsChargeCode.deleted_at.is_(None)))).scalars().all()}
    created = updated = unchanged = 0
    for code, values in checked:
        current = existing.get(code)
        # An empty description cell keeps the stored one (the file may carry only codes and units).
        if current is not None and current.charge_unit == values["chargeUnit"] and \
                values["description"] in (None, current.description):
            # Nothing to change: no write, no audit entry, no event.
            unchanged += 1
            continue
        if current is None:
            await crud.create(charge_codes, ctx, session, ChargeCodeCreate.model_validate(values))
            created += 1
        else:
            change = {k: v for k, v in values.items() if v is not None}
            await crud.update(charge_codes, ctx, session, current.id,
                              ChargeCodeUpdate.model_validate({**change, "id": current.id}))
            updated += 1
    return {"chargeCodesCreated": created, "chargeCodesUpdated": updated, "chargeCodesUnchanged": unchanged,
            "errors": [], "totalRows": total}
