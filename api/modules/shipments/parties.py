"""The people and companies a shipment names: customer entities of the CRM (client, shipper, consignee,
contact person) and users (creator, assignee). Shipments keep their ids; this file resolves them for
answers, checks them on writes and lists them for the screens' pickers.

Customers belong to the customers module, a business module: single records are read through its public
`find_customer`. Its public surface has no list or name lookup of customers yet, so the pickers, the
import's client names and the parties of a page read its `customers.company` / `customers.person`
collections as the kit declares them (found in the manifests, scoped to the caller exactly as
`/api/customers/companies` and `/api/customers/people` are), never its models or helpers. Once the
customers service offers such a lookup, `_customer_collection` is the one place to change."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import api.modules.customers.service as crm
from api import manifest
from api.auth import AuthContext
from api.casing import camel
from api.crud import Resource
from api.crud import service as crud
from api.crud.query import like_pattern
from api.modules.auth.models import User

# Customer kind -> the customers module's collection of that kind.
CUSTOMER_COLLECTIONS = {"company": "customers.company", "person": "customers.person"}
CUSTOMER_KINDS = tuple(CUSTOMER_COLLECTIONS)


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


def _customer_collection(kind: str) -> Resource:
    entity = CUSTOMER_COLLECTIONS[kind]
    for module in manifest.modules():
        for res in module.resources:
            if res.entity == entity:
                return res
    raise LookupError(f"No collection {entity}: the customers module is not installed")


def customer_item(row: Any) -> dict[str, Any]:
    return {"id": row.id, "displayName": row.display_name, "primaryEmail": row.primary_email, "status": row.status}


async def customers_by_id(session: AsyncSession, ctx: AuthContext, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Live customers among `ids` the caller sees: one query per kind whatever the number of ids."""
    wanted = {i for i in ids if i}
    found: dict[str, dict[str, Any]] = {}
    for kind in CUSTOMER_KINDS:
        if not wanted - set(found):
            break
        res = _customer_collection(kind)
        model: Any = res.model
        rows = await session.execute(crud.scoped(res, ctx).where(model.id.in_(wanted - set(found)),
                                                                 model.deleted_at.is_(None)))
        found.update({r.id: customer_item(r) for r in rows.scalars()})
    return found


async def customer_options(session: AsyncSession, ctx: AuthContext, kind: str, search: str,
                           limit: int) -> list[dict[str, Any]]:
    """Live customers of `kind` the caller sees, by name, filtered by name or e-mail."""
    res = _customer_collection(kind)
    model: Any = res.model
    stmt = crud.scoped(res, ctx).where(model.deleted_at.is_(None))
    if search:
        pattern = like_pattern(search)
        stmt = stmt.where(or_(func.lower(model.display_name).like(pattern, escape="\\"),
                              func.lower(model.primary_email).like(pattern, escape="\\")))
    rows = (await session.execute(stmt.order_by(model.display_name, model.id).limit(limit))).scalars()
    return [customer_item(r) for r in rows]


async def companies_named(session: AsyncSession, ctx: AuthContext, names: Iterable[str]) -> dict[str, str]:
    """`{lower-cased name: id}` of the live companies the caller sees whose display name is one of
    `names` (case aside); when two share a name, the oldest wins, so a re-run picks the same one."""
    wanted = {n.strip().lower() for n in names if n.strip()}
    if not wanted:
        return {}
    res = _customer_collection("company")
    model: Any = res.model
    rows = (await session.execute(
        crud.scoped(res, ctx).with_only_columns(model.id, model.display_name)
        .where(model.deleted_at.is_(None), func.lower(model.display_name).in_(wanted))
        .order_by(model.created_at, model.id))).all()
    found: dict[str, str] = {}
    for row in rows:
        found.setdefault(row.display_name.strip().lower(), row.id)
    return found


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
    found_customers = await customers_by_id(session, ctx, {i for i in customer_ids if isinstance(i, str)})
    found_users = await users_by_id(session, ctx, {i for i in user_ids if isinstance(i, str)})
    for item in items:
        for key in customers:
            item[key] = found_customers.get(item.get(f"{key}Id") or "")
        for key in users:
            item[key] = found_users.get(item.get(f"{key}Id") or "")
