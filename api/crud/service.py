"""What the CRUD kit does, as plain functions module routes can call too."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, false, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit, outbox
from api.auth import AuthContext, Forbidden
from api.crud.casing import camel, jsonable, snake
from api.crud.resource import Filter, Resource
from api.db import Base, new_id, utcnow
from api.errors import BadRequest, Conflict, NotFound
from api.modules.audit_logs.models import ActionLog

TRUE = {"true", "1", "yes", "on"}
FALSE = {"false", "0", "no", "off"}


def parse_bool(value: str, name: str) -> bool:
    token = value.strip().lower()
    if token in TRUE:
        return True
    if token in FALSE:
        return False
    raise BadRequest("Invalid input", [{"path": [name], "message": "Expected a boolean"}])


def parse_int(value: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest("Invalid input", [{"path": [name], "message": "Expected a number"}]) from None
    if number < lo or number > hi:
        raise BadRequest("Invalid input", [{"path": [name], "message": f"Must be between {lo} and {hi}"}])
    return number


def parse_datetime(value: str, name: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest("Invalid input", [{"path": [name], "message": "Expected an ISO date"}]) from None


def like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def scoped(res: Resource, ctx: AuthContext) -> Select[Any]:
    """Rows the caller may see: its tenant and the organizations in its scope."""
    stmt = select(res.model)
    model: Any = res.model
    if callable(res.scope):
        return res.scope(stmt, ctx)
    stmt = stmt.where(model.tenant_id == ctx.tenant_id) if ctx.tenant_id else stmt.where(false())
    if res.scope == "organization" and ctx.org_scope is not None:
        stmt = stmt.where(model.organization_id.in_(ctx.org_scope))
    return stmt


def serialize(res: Resource, row: Base) -> dict[str, Any]:
    if res.serialize is not None:
        return res.serialize(row)
    key = camel if res.casing == "camel" else (lambda s: s)
    return {key(c.key): jsonable(getattr(row, c.key)) for c in inspect(type(row)).column_attrs
            if c.key not in res.hidden}


def _filter(stmt: Select[Any], name: str, spec: Filter, raw: str) -> Select[Any]:
    col = spec.column
    match spec.kind:
        case "bool":
            return stmt.where(col == parse_bool(raw, name))
        case "ilike":
            return stmt.where(func.lower(col).like(like_pattern(raw), escape="\\"))
        case "gte":
            return stmt.where(col >= parse_datetime(raw, name))
        case "lte":
            return stmt.where(col <= parse_datetime(raw, name))
        case "in":
            return stmt.where(col.in_([v for v in raw.split(",") if v]))
        case _:
            return stmt.where(col == raw)


async def list_rows(res: Resource, ctx: AuthContext, session: AsyncSession,
                    params: Mapping[str, str]) -> dict[str, Any]:
    model: Any = res.model
    page = parse_int(params.get("page"), "page", 1, 1, 1_000_000)
    page_size = parse_int(params.get("pageSize"), "pageSize", 50, 1, res.max_page_size)
    stmt = scoped(res, ctx)
    if res.soft_delete and not parse_bool(params.get("withDeleted") or "false", "withDeleted"):
        stmt = stmt.where(model.deleted_at.is_(None))
    if params.get("id"):
        stmt = stmt.where(model.id == params["id"])
    if params.get("ids"):
        stmt = stmt.where(model.id.in_([i for i in params["ids"].split(",") if i]))
    search = (params.get("search") or "").strip()
    if search and res.search:
        from sqlalchemy import or_
        pattern = like_pattern(search)
        stmt = stmt.where(or_(*(func.lower(getattr(model, c)).like(pattern, escape="\\")
                                for c in res.search)))
    for name, spec in res.filters.items():
        raw = params.get(name)
        if raw not in (None, ""):
            stmt = _filter(stmt, name, spec, raw)
    sort_field = snake(params.get("sortField") or "id")
    if sort_field not in res.sort:
        raise BadRequest("Invalid input", [{"path": ["sortField"], "message": f"Cannot sort by {sort_field}"}])
    sort_dir = (params.get("sortDir") or "asc").lower()
    if sort_dir not in ("asc", "desc"):
        raise BadRequest("Invalid input", [{"path": ["sortDir"], "message": "Expected asc or desc"}])
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    column = getattr(model, sort_field)
    order = column.asc() if sort_dir == "asc" else column.desc()
    rows = (await session.execute(
        stmt.order_by(order, model.id.asc()).offset((page - 1) * page_size).limit(page_size)
    )).scalars().all()
    items = [serialize(res, r) for r in rows]
    if res.hooks.decorate is not None:
        await res.hooks.decorate(session, ctx, items)
    return {"items": items, "total": total, "page": page, "pageSize": page_size,
            "totalPages": math.ceil(total / page_size) if total else 0}


async def get_row(res: Resource, ctx: AuthContext, session: AsyncSession, row_id: str,
                  *, with_deleted: bool = False) -> Any:
    model: Any = res.model
    stmt = scoped(res, ctx).where(model.id == row_id)
    if res.soft_delete and not with_deleted:
        stmt = stmt.where(model.deleted_at.is_(None))
    row = (await session.execute(stmt)).scalars().first()
    if row is None:
        raise NotFound(f"{res.label} not found")
    return row


def _columns(res: Resource) -> set[str]:
    return {c.key for c in inspect(res.model).column_attrs}


def _data(res: Resource, body: BaseModel, *, exclude: set[str]) -> dict[str, Any]:
    fields = _columns(res) - {"id", "tenant_id", "organization_id", "created_at", "updated_at", "deleted_at"}
    dumped = body.model_dump(exclude_unset=True, by_alias=False)
    return {k: v for k, v in dumped.items() if k in fields and k not in exclude}


async def _flush(session: AsyncSession, res: Resource) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"{res.label} conflicts with an existing record") from None


async def write_log(session: AsyncSession, res: Resource, ctx: AuthContext, action: str, row: Any,
                    before: dict[str, Any] | None, after: dict[str, Any] | None,
                    payload: dict[str, Any] | None = None) -> ActionLog:
    """Audit entry and domain event for one change, in the caller's transaction."""
    past = {"create": "created", "update": "updated", "delete": "deleted"}[action]
    org_id = getattr(row, "organization_id", None)
    tenant_id = getattr(row, "tenant_id", ctx.tenant_id)
    entry = await audit.record(session, ctx, command_id=f"{res.entity}.{action}", resource_kind=res.entity,
                               resource_id=row.id, before=before, after=after, payload=payload,
                               label=f"{action.capitalize()} {res.label.lower()}", organization_id=org_id)
    outbox.emit(session, f"{res.entity}.{past}", {**serialize(res, row), "id": row.id},
                tenant_id=tenant_id, organization_id=org_id)
    await _flush(session, res)
    return entry


async def create(res: Resource, ctx: AuthContext, session: AsyncSession, body: BaseModel) -> tuple[Any, ActionLog]:
    data = _data(res, body, exclude=set())
    row: Any = res.model(id=new_id(), **data)
    cols = _columns(res)
    if "tenant_id" in cols and not callable(res.scope):
        row.tenant_id = ctx.require_tenant()
    if "organization_id" in cols and res.scope == "organization":
        wanted = getattr(body, "organization_id", None)
        if wanted:
            if not ctx.sees_org(wanted):
                raise Forbidden("Organization is outside your scope")
            row.organization_id = wanted
        else:
            row.organization_id = ctx.require_org()
    if res.hooks.before_create is not None:
        await res.hooks.before_create(session, ctx, row, data)
    session.add(row)
    await _flush(session, res)
    after = audit.snapshot(row, res.hidden)
    entry = await write_log(session, res, ctx, "create", row, None, after, payload=_payload(body))
    return row, entry


def _payload(body: BaseModel) -> dict[str, Any]:
    # Secrets never reach the audit log.
    return {k: v for k, v in json.loads(body.model_dump_json(exclude_unset=True)).items()
            if "password" not in k.lower() and "secret" not in k.lower()}


async def update(res: Resource, ctx: AuthContext, session: AsyncSession, row_id: str,
                 body: BaseModel) -> tuple[Any, ActionLog]:
    row = await get_row(res, ctx, session, row_id)
    before = audit.snapshot(row, res.hidden)
    data = _data(res, body, exclude={"id"})
    for key, value in data.items():
        setattr(row, key, value)
    if res.hooks.before_update is not None:
        await res.hooks.before_update(session, ctx, row, data)
    if "updated_at" in _columns(res):
        row.updated_at = utcnow()
    await _flush(session, res)
    entry = await write_log(session, res, ctx, "update", row, before, audit.snapshot(row, res.hidden),
                            payload=_payload(body))
    return row, entry


async def delete(res: Resource, ctx: AuthContext, session: AsyncSession, row_id: str) -> tuple[Any, ActionLog]:
    row = await get_row(res, ctx, session, row_id)
    before = audit.snapshot(row, res.hidden)
    if res.hooks.before_delete is not None:
        await res.hooks.before_delete(session, ctx, row, {})
    if res.soft_delete:
        row.deleted_at = utcnow()
        after: dict[str, Any] | None = audit.snapshot(row, res.hidden)
    else:
        await session.delete(row)
        after = None
    await _flush(session, res)
    entry = await write_log(session, res, ctx, "delete", row, before, after, payload={"id": row_id})
    return row, entry
