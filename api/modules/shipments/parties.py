"""The people and companies a shipment names: customer entities of the CRM (client, shipper, consignee,
contact person) and users (creator, assignee). Shipments keep their ids; this file resolves them for
answers, checks them on writes and lists them for the screens' pickers. Customers belong to the customers
module, a business module: they are read through its public service only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import api.modules.customers.service as crm
from api.auth import AuthContext
from api.casing import camel
from api.crud.query import like_pattern
from api.modules.auth.models import User

CUSTOMER_KINDS = tuple(crm.KINDS)


def api_key(column: str) -> str:
    return camel(column)


async def find_customer(session: AsyncSession, ctx: AuthContext, entity_id: str) -> dict[str, Any] | None:
    return await crm.find_customer(session, ctx, entity_id)


def _users(ctx: AuthContext) -> Any:
    stmt = select(User).where(User.tenant_id == ctx.tenant_id, User.deleted_at.is_(None))
    return stmt if ctx.tenant_id else stmt.where(User.id.is_(None))


async def user_exists(session: AsyncSession, ctx: AuthContext, user_id: str) -> bool:
    """A live user of the caller's tenant (users of other tenants do not exist for it)."""
    return (await session.execute(_users(ctx).where(User.id == user_id))).first() is not None


def user_item(user: Any) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name}


async def users_by_id(session: AsyncSession, ctx: AuthContext, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = (await session.execute(_users(ctx).where(User.id.in_(wanted)))).scalars()
    return {u.id: user_item(u) for u in rows}


async def user_options(session: AsyncSession, ctx: AuthContext, search: str, limit: int) -> list[dict[str, Any]]:
    stmt = _users(ctx)
    if ctx.org_scope is not None:
        stmt = stmt.where(User.organization_id.in_(ctx.org_scope))
    if search:
        pattern = like_pattern(search)
        stmt = stmt.where(or_(func.lower(User.name).like(pattern, escape="\\"),
                              func.lower(User.email).like(pattern, escape="\\")))
    rows = (await session.execute(stmt.order_by(User.name, User.email, User.id).limit(limit))).scalars()
    return [user_item(u) for u in rows]


async def attach(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]], *,
                 customers: Sequence[str] = (), users: Sequence[str] = ()) -> None:
    """Puts the named parties next to their ids (`client` next to `clientId`), one query per kind of
    party whatever the number of items; an id nobody resolves (deleted, out of scope) shows as null."""
    customer_ids = {item.get(f"{k}Id") for k in customers for item in items}
    user_ids = {item.get(f"{k}Id") for k in users for item in items}
    found_customers = await crm.customers_by_id(session, ctx, {i for i in customer_ids if isinstance(i, str)})
    found_users = await users_by_id(session, ctx, {i for i in user_ids if isinstance(i, str)})
    for item in items:
        for key in customers:
            item[key] = found_customers.get(item.get(f"{key}Id") or "")
        for key in users:
            item[key] = found_users.get(item.get(f"{key}Id") or "")
