"""The example module's public surface: what other modules (the CRM's todo links) may do with todos,
through the same kit functions its routes use, so every write is validated, audited and evented."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.crud import service as crud
from api.crud.query import like_pattern
from api.modules.example.models import Todo
from api.modules.example.resources import todos
from api.modules.example.schemas import TodoCreate

SOURCE = "example:todo"
# Custom fields other modules show beside a todo's title.
DETAIL_FIELDS = ("priority", "severity", "description", "due_at")


async def create_todo(session: AsyncSession, ctx: AuthContext, *, title: str, is_done: bool | None = None,
                      organization_id: str | None = None, custom: Mapping[str, Any] | None = None) -> str:
    """Creates a todo as the caller would through `POST /api/example/todos`; returns its id."""
    body = TodoCreate.model_validate({"title": title, "isDone": is_done, "organizationId": organization_id})
    write = await crud.create(todos, ctx, session, body, custom=dict(custom or {}))
    return str(write.row.id)


async def visible_todo(session: AsyncSession, ctx: AuthContext, todo_id: str) -> str:
    """The id of a live todo the caller may see (NotFound otherwise)."""
    return str((await crud.get_row(todos, ctx, session, todo_id)).id)


async def todo_details(session: AsyncSession, tenant_id: str | None, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Title, done flag, organization and the detail custom fields (those set) of each live todo, in one
    query whatever the number of ids."""
    if not ids or not tenant_id:
        return {}
    rows = (await session.execute(
        select(Todo.id, Todo.title, Todo.is_done, Todo.organization_id, Todo.custom_values)
        .where(Todo.tenant_id == tenant_id, Todo.id.in_(ids), Todo.deleted_at.is_(None)))).all()
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        doc = r.custom_values or {}
        out[r.id] = {"title": r.title, "isDone": r.is_done, "organizationId": r.organization_id,
                     "custom": {k: doc[k] for k in DETAIL_FIELDS if doc.get(k) is not None}}
    return out


def ids_titled(text: str) -> Select[Any]:
    """Ids of todos whose title contains `text` (case aside): a subquery for other modules' filters."""
    return select(Todo.id).where(func.lower(Todo.title).like(like_pattern(text), escape="\\"))


def ids_done(done: bool) -> Select[Any]:
    return select(Todo.id).where(Todo.is_done.is_(done))
