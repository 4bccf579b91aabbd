"""Grid column configurations (`GET …/table-config`) read off a model's columns.

The freight modules' screens are spreadsheet-like grids; their `table-config` endpoints describe one
column per editable field: `{columns: [{data, title, width, type?, dateFormat?, source?, readOnly?,
renderer?}], meta: {entity, totalColumns, generatedAt}}`. The columns come from the SQLAlchemy table
(keys camelCased, titles from the name, type and width from the column type) plus a module's `TableHints`,
so a column added to a model shows up in its grid without another edit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import Boolean, Date, DateTime, Enum, Float, Integer, Numeric, inspect

from api.auth import AuthContext, requires
from api.casing import camel
from api.crud.answers import json_answer, many, shape

# Never in a grid: keys, tenancy, soft deletion, and the custom-field document (its fields have their own UI).
ALWAYS_HIDDEN = frozenset({"id", "tenant_id", "organization_id", "deleted_at", "custom_values"})
WIDTHS = {"date": 120, "numeric": 100, "checkbox": 80, "dropdown": 130, "text": 150}


@dataclass(frozen=True)
class TableHints:
    """What the columns alone do not say: fields to leave out (foreign keys are left out anyway), fields
    the grid may not edit, named cell renderers, and the choices of dropdown fields. Field names may be
    given as attributes (snake_case) or as their camelCase keys."""

    hidden: Sequence[str] = ()
    read_only: Sequence[str] = ("created_at", "updated_at")
    renderers: dict[str, str] = field(default_factory=dict)
    dropdowns: dict[str, Sequence[str]] = field(default_factory=dict)


def _kind(column: Any) -> str:
    kind = getattr(column.type, "impl_instance", column.type)  # a TypeDecorator by what it stores
    if isinstance(kind, Enum):
        return "dropdown"
    if isinstance(kind, Boolean):
        return "checkbox"
    if isinstance(kind, Integer | Numeric | Float):
        return "numeric"
    if isinstance(kind, Date | DateTime):
        return "date"
    return "text"


def _title(name: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in name.split("_"))


def _hint(hints: dict[str, Any], name: str, key: str) -> Any:
    return hints.get(name, hints.get(key))


def columns(model: type, hints: TableHints = TableHints()) -> list[dict[str, Any]]:
    """The grid columns of `model`'s mapped columns, in declaration order."""
    hidden = ALWAYS_HIDDEN | set(hints.hidden)
    read_only = set(hints.read_only)
    out: list[dict[str, Any]] = []
    mapper: Any = inspect(model)
    for attr in mapper.column_attrs:
        name = attr.key
        key = camel(name)
        column = attr.columns[0]
        if name in hidden or key in hidden or column.primary_key or column.foreign_keys:
            continue
        kind = _kind(column)
        source = _hint(hints.dropdowns, name, key)
        if source is None and isinstance(column.type, Enum):
            source = list(column.type.enums)
        if source is not None:
            kind = "dropdown"
        entry: dict[str, Any] = {"data": key, "title": _title(name), "width": WIDTHS[kind]}
        if kind != "text":
            entry["type"] = kind
        if kind == "date":
            entry["dateFormat"] = "dd/MM/yyyy"
        if source is not None:
            entry["source"] = list(source)
        if name in read_only or key in read_only:
            entry["readOnly"] = True
        renderer = _hint(hints.renderers, name, key)
        if renderer:
            entry["renderer"] = renderer
        out.append(entry)
    return out


def table_config(model: type, entity: str, hints: TableHints = TableHints()) -> dict[str, Any]:
    cols = columns(model, hints)
    return {"columns": cols, "meta": {"entity": entity, "totalColumns": len(cols),
                                      "generatedAt": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")}}


TABLE_CONFIG = shape(
    columns=many(shape("type", "dateFormat", "source", "readOnly", "renderer", data="string", title="string",
                       width="integer", type={"enum": ["numeric", "date", "dropdown", "checkbox"]},
                       dateFormat="string", source=many({"type": "string"}), readOnly="boolean", renderer="string")),
    meta=shape(entity="string", totalColumns="integer", generatedAt="string"),
)


def table_config_route(router: APIRouter, path: str, model: type, entity: str, *, features: Sequence[str],
                       label: str, hints: TableHints = TableHints()) -> None:
    """Adds `GET {path}` to `router`: the grid configuration of `model`, for callers holding `features`."""
    # A default rather than an `Annotated` alias: this module postpones annotations, and FastAPI resolves
    # them from the module's globals, where an alias local to this function does not exist.
    async def get_table_config(ctx: AuthContext = Depends(requires(*features))) -> dict[str, Any]:
        return table_config(model, entity, hints)

    router.add_api_route(
        path, get_table_config, methods=["GET"], summary=f"Get {label} table configuration",
        description=f"The grid columns of {label}: key, title, width, type, dropdown choices and which are "
                    f"read-only, generated from the stored fields. Requires features: {', '.join(features)}",
        responses=json_answer(TABLE_CONFIG), operation_id=f"table_config_{entity.replace('.', '_')}")
