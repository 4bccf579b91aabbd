"""A CRUD resource is a declaration; `api.crud.routes` turns it into list/create/update/delete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from api.auth import AuthContext
from api.db import Base

FilterKind = Literal["eq", "bool", "ilike", "gte", "lte", "in"]


@dataclass(frozen=True)
class Filter:
    """A list query parameter mapped onto one column."""

    column: InstrumentedAttribute[Any]
    kind: FilterKind = "eq"
    description: str = ""


@dataclass(frozen=True)
class Features:
    list: str
    create: str
    update: str
    delete: str

    @classmethod
    def view_manage(cls, view: str, manage: str) -> Features:
        return cls(view, manage, manage, manage)


Scope = Callable[[Select[Any], AuthContext], Select[Any]]
# Hooks see the session, the caller and the row; they raise ApiError to refuse.
WriteHook = Callable[[AsyncSession, AuthContext, Any, dict[str, Any]], Awaitable[None]]
Serializer = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Hooks:
    before_create: WriteHook | None = None
    before_update: WriteHook | None = None
    before_delete: WriteHook | None = None
    # Add fields to list items (names resolved in one query for the whole page).
    decorate: Callable[[AsyncSession, AuthContext, list[dict[str, Any]]], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Resource:
    path: str
    model: type[Base]
    # `<module>.<entity>`: the domain events' prefix, the audit log's resource kind.
    entity: str
    create_schema: type[BaseModel]
    update_schema: type[BaseModel]
    features: Features
    tag: str
    label: str
    search: tuple[str, ...] = ()
    sort: tuple[str, ...] = ("id", "created_at", "updated_at")
    filters: dict[str, Filter] = field(default_factory=dict)
    casing: Literal["camel", "snake"] = "camel"
    hidden: frozenset[str] = frozenset()
    scope: Literal["organization", "tenant"] | Scope = "organization"
    soft_delete: bool = True
    hooks: Hooks = Hooks()
    serialize: Serializer | None = None
    max_page_size: int = 100
