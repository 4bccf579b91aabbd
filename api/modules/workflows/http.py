"""Small request helpers shared by the workflows routes."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.auth import AuthContext
from api.crud import routes as crud_routes
from api.crud.query import csv_values
from api.errors import BadRequest, Forbidden


async def read_json(request: Request, *, lenient: bool = False) -> Any:
    """The JSON body (None when empty). `lenient`: unreadable JSON counts as `{}`, as the reference's
    advance endpoint treats it."""
    try:
        return await crud_routes.read_json(request, empty={} if lenient else None)
    except BadRequest:
        if lenient:
            return {}
        raise


def ensure(ctx: AuthContext, feature: str) -> None:
    """The handlers' second, more specific feature check, after the router's: 403 "Insufficient permissions"."""
    if not ctx.can(feature):
        raise Forbidden("Insufficient permissions")


def is_true(value: str | None) -> bool | None:
    """A present boolean query parameter: `true` (or 1/yes/on) is true, anything else false."""
    if value is None:
        return None
    return value.strip().lower() in ("true", "1", "yes", "on")


def csv(value: str | None) -> list[str]:
    """A single value or a comma-separated list (`status=PENDING,IN_PROGRESS`)."""
    return csv_values(value or "")


async def offset_page(session: AsyncSession, stmt: Select[Any], *order: Any, limit: int,
                      offset: int) -> tuple[int, list[Any]]:
    """The total of `stmt` and one `limit`/`offset` page of it, as the module's lists answer."""
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = (await session.execute(stmt.order_by(*order).offset(offset).limit(limit))).scalars().all()
    return total, list(rows)


async def record_action(session: AsyncSession, ctx: AuthContext, *, command: str, kind: str, resource_id: str,
                        organization_id: str, label: str, payload: dict[str, Any] | None = None) -> None:
    """Actions on running instances and their tasks go to the action log too (not undoable: a workflow
    cannot be rewound)."""
    await audit.record(session, ctx, command_id=command, resource_kind=kind, resource_id=resource_id, before=None,
                       after=None, payload=payload, label=label, organization_id=organization_id)
