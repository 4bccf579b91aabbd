"""The locations module's rules for imports: ports and terminals upserted by code, all or nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.crud import service as crud
from api.errors import BadRequest
from api.modules.fms_locations.models import PORT, TERMINAL, TYPES, FmsLocation
from api.modules.fms_locations.resources import locations, ports, terminals
from api.modules.fms_locations.schemas import PortCreate, PortUpdate, TerminalCreate, TerminalUpdate
from api.spreadsheets import Table

# Accepted spellings of each column (headers are compared lower-cased, spaces as underscores).
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code",),
    "name": ("name",),
    "type": ("type",),
    "lat": ("lat", "latitude"),
    "lng": ("lng", "lon", "longitude"),
    "locode": ("locode", "un_locode", "unlocode", "un/locode"),
    "port_code": ("port_code", "portcode", "parent_code"),
    "city": ("city",),
    "country": ("country",),
}
REQUIRED = ("code", "name", "type")


def header_map(headers: Iterable[str], columns: dict[str, tuple[str, ...]],
               required: Iterable[str]) -> dict[str, str]:
    """Our field → the file's header for it; a missing required column refuses the whole file."""
    normalized = {re.sub(r"\s+", "_", h.strip().lower()): h for h in headers if h}
    found = {key: next((normalized[a] for a in aliases if a in normalized), None) for key, aliases in columns.items()}
    missing = [key for key in required if found[key] is None]
    if missing:
        raise BadRequest(f"Missing required column: {', '.join(missing)}",
                         [{"column": key, "message": f"Add a column named {key}"} for key in missing])
    return {key: header for key, header in found.items() if header is not None}


def issue_text(exc: ValidationError) -> str:
    """A row's validation errors in one line: `lat: Input should be less than or equal to 90`."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'Invalid value')}" if where else str(err.get("msg")))
    return "; ".join(parts)


@dataclass
class Row:
    line: int
    kind: str
    code: str
    values: dict[str, Any]
    port_code: str | None = None


@dataclass
class Plan:
    rows: list[Row] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _number(raw: str) -> float | str | None:
    """A coordinate cell: empty is none, a decimal comma is accepted (spreadsheets in many locales)."""
    if raw == "":
        return None
    for text in (raw, raw.replace(",", ".")):
        try:
            return float(text)
        except ValueError:
            continue
    return raw  # left for the schema to refuse with its message


def plan(table: Table) -> Plan:
    """Every row read and checked on its own (type, code, name, coordinates...), before anything is written."""
    cols = header_map(table.headers, COLUMNS, REQUIRED)
    out = Plan()
    seen: dict[str, int] = {}
    for line, raw in zip(table.lines, table.rows, strict=True):
        cell = {key: raw.get(header, "").strip() for key, header in cols.items()}
        kind = cell["type"].lower()
        if kind not in TYPES:
            out.errors.append({"row": line, "message": f"type must be one of: {', '.join(TYPES)}"})
            continue
        values: dict[str, Any] = {
            "code": cell["code"], "name": cell["name"], "lat": _number(cell.get("lat", "")),
            "lng": _number(cell.get("lng", "")), "locode": cell.get("locode") or None,
            "city": cell.get("city") or None, "country": cell.get("country") or None}
        schema: type[BaseModel] = PortCreate if kind == PORT else TerminalCreate
        try:
            schema.model_validate(values)
        except ValidationError as exc:
            out.errors.append({"row": line, "message": issue_text(exc)})
            continue
        code = values["code"].upper()
        if code in seen:
            out.errors.append({"row": line, "message": f"Code {code} appears twice (first on row {seen[code]})"})
            continue
        seen[code] = line
        port_code = (cell.get("port_code") or "").upper() or None
        out.rows.append(Row(line, kind, code, values, port_code if kind == TERMINAL else None))
    return out


async def _existing(session: AsyncSession, tenant_id: str, org_id: str) -> dict[str, FmsLocation]:
    rows = (await session.execute(select(FmsLocation).where(
        FmsLocation.tenant_id == tenant_id, FmsLocation.organization_id == org_id,
        FmsLocation.deleted_at.is_(None)))).scalars().all()
    return {r.code.upper(): r for r in rows}


async def import_table(session: AsyncSession, ctx: AuthContext, table: Table) -> dict[str, Any]:
    """Upserts the file's ports, then its terminals, into the caller's organization by code. All or
    nothing: one bad row refuses the whole file with every row's problem listed, and nothing is written."""
    tenant_id, org_id = ctx.require_tenant(), ctx.require_org()
    checked = plan(table)
    errors = checked.errors
    existing = await _existing(session, tenant_id, org_id)
    known_ports = {code for code, row in existing.items() if row.type == PORT}
    known_ports |= {r.code for r in checked.rows if r.kind == PORT}
    for r in checked.rows:
        current = existing.get(r.code)
        if current is not None and current.type != r.kind:
            errors.append({"row": r.line, "message": f"Code {r.code} is already a {current.type}"})
        if r.port_code and r.port_code not in known_ports:
            errors.append({"row": r.line, "message": f'Port with code "{r.port_code}" not found'})
    total = len(table.rows)
    if errors:
        errors.sort(key=lambda e: e["row"])
        raise BadRequest(f"Import refused: {len(errors)} problem(s) in the file; nothing was imported",
                         errors, extra={"totalRows": total})
    created = updated = unchanged = 0
    port_ids = {code: row.id for code, row in existing.items() if row.type == PORT}
    # Ports first: terminals of the same file resolve their `port_code` to them.
    for r in sorted(checked.rows, key=lambda r: r.kind != PORT):
        values = {k: v for k, v in r.values.items() if v is not None}
        values["code"] = r.code
        if r.port_code:
            values["portId"] = port_ids[r.port_code]
        current = existing.get(r.code)
        res = ports if r.kind == PORT else terminals
        if current is not None and _same(current, values):
            # Nothing to change: no write, no audit entry, no event (re-uploading a file is cheap and quiet).
            unchanged += 1
            continue
        if current is None:
            body: BaseModel = (PortCreate if r.kind == PORT else TerminalCreate).model_validate(values)
            write = await crud.create(res, ctx, session, body)
            created += 1
        else:
            body = (PortUpdate if r.kind == PORT else TerminalUpdate).model_validate({**values, "id": current.id})
            write = await crud.update(res, ctx, session, current.id, body)
            updated += 1
        if r.kind == PORT:
            port_ids[r.code] = write.row.id
    return {"locationsCreated": created, "locationsUpdated": updated, "locationsUnchanged": unchanged, "errors": [],
            "totalRows": total}


def _same(row: FmsLocation, values: dict[str, Any]) -> bool:
    """Whether the row already holds every value the file gives it."""
    column = {"portId": "port_id"}
    wanted = {k: v.upper() if k == "locode" and isinstance(v, str) else v for k, v in values.items()}
    return all(getattr(row, column.get(k, k)) == v for k, v in wanted.items())


async def locations_by_id(session: AsyncSession, ctx: AuthContext, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Live ports and terminals among `ids` the caller sees, as `{id: {id, locode, name, city, country}}` in
    one query: for other modules naming locations in their answers (a quote's ports)."""
    wanted = {i for i in ids if isinstance(i, str) and i}
    if not wanted:
        return {}
    rows = (await session.execute(crud.scoped(locations, ctx).where(
        FmsLocation.id.in_(wanted), FmsLocation.deleted_at.is_(None)))).scalars()
    return {r.id: {"id": r.id, "locode": r.locode, "name": r.name, "city": r.city, "country": r.country}
            for r in rows}
