from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from sqlalchemy import func, literal_column, select, true

from api.auth import AuthContext, requires
from api.crud.answers import json_answer, many, shape
from api.crud.query import like_pattern
from api.crud.service import scoped
from api.deps import SessionDep
from api.modules.auth.models import User
from api.modules.directory.models import Organization
from api.modules.example.models import Todo
from api.modules.example.resources import todos

router = APIRouter(tags=["Example"])
ViewTodos = Annotated[AuthContext, Depends(requires("example.todos.view"))]


@router.get("/example/assignees", summary="List example assignees",
            description="Users of the caller's tenant as picker options, filtered by `q`. "
                        "Requires features: example.todos.view",
            responses=json_answer(shape(items=many(shape(value="string", label="string")))))
async def assignees(session: SessionDep, ctx: ViewTodos, q: str | None = None) -> dict[str, Any]:
    stmt = select(User).where(User.tenant_id == ctx.tenant_id, User.deleted_at.is_(None)).order_by(User.email)
    if q:
        from sqlalchemy import func, or_
        pattern = like_pattern(q)
        stmt = stmt.where(or_(func.lower(User.email).like(pattern, escape="\\"),
                              func.lower(User.name).like(pattern, escape="\\")))
    users = (await session.execute(stmt.limit(100))).scalars().all()
    return {"items": [{"value": u.id, "label": u.name or u.email} for u in users]}


@router.get("/example/tags", summary="List example tags",
            description="Tags used on the caller's todos. Requires features: example.todos.view",
            responses=json_answer(shape(items=many(shape(value="string", label="string")))))
async def tags(session: SessionDep, ctx: ViewTodos) -> dict[str, Any]:
    # Each tag of each live todo (a tag stored as a single value counts too), distinct and sorted.
    if session.get_bind().dialect.name == "postgresql":
        each = func.jsonb_path_query(Todo.custom_values, literal_column("'$.tags[*]'")) \
            .table_valued("value").render_derived()
        tag: Any = each.c.value.op("#>>")(literal_column("'{}'"))
    else:
        each = func.json_each(Todo.custom_values, literal_column("'$.tags'")).table_valued("value")
        tag = each.c.value
    live = scoped(todos, ctx).where(Todo.deleted_at.is_(None), Todo.custom_values.is_not(None))
    found = (await session.execute(live.join(each, true()).with_only_columns(tag, maintain_column_froms=True)
                                   .where(tag.is_not(None)).distinct().order_by(tag))).scalars().all()
    return {"items": [{"value": t, "label": t} for t in found]}


@router.get("/example/organizations", summary="Resolve organization labels",
            description="Names of the given organization ids (comma-separated `ids`) within the caller's "
                        "tenant. Requires features: example.todos.view",
            responses=json_answer(shape(items=many(shape(value="string", label="string")))))
async def organizations(session: SessionDep, ctx: ViewTodos, ids: str | None = None) -> dict[str, Any]:
    stmt = select(Organization).where(Organization.tenant_id == ctx.tenant_id,
                                      Organization.deleted_at.is_(None))
    if ids:
        stmt = stmt.where(Organization.id.in_([i for i in ids.split(",") if i]))
    orgs = (await session.execute(stmt.order_by(Organization.name))).scalars().all()
    return {"items": [{"value": o.id, "label": o.name} for o in orgs]}


# The reference's placeholder "blog" endpoints: an authenticated echo of the identifier (its route declares
# auth and example.todos.view, as here), kept as the smallest demo of a feature-checked non-CRUD route.
@router.get("/example/blog/{id}", summary="Fetch demo blog payload",
            description="Demo endpoint: returns a placeholder blog record carrying the identifier. "
                        "Requires features: example.todos.view",
            responses=json_answer(shape(id="string", method={"enum": ["GET"]})))
async def blog_get(id: Annotated[str, Path(max_length=255)], ctx: ViewTodos) -> dict[str, Any]:
    return {"id": id, "method": "GET"}


@router.post("/example/blog/{id}", summary="Create demo blog payload",
             description="Demo endpoint: echoes the identifier as a placeholder write; stores nothing. "
                         "Requires features: example.todos.view",
             responses=json_answer(shape(id="string", method={"enum": ["POST"]})))
async def blog_post(id: Annotated[str, Path(max_length=255)], ctx: ViewTodos) -> dict[str, Any]:
    return {"id": id, "method": "POST"}
