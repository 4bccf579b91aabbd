"""The kit's answers in the OpenAPI document, read off the declaration (docs/modules.md, "Answers"): a list
is its envelope around items typed by the serializer's columns, a create `{id}` (or the resource's
`created_schema`), an update and a delete their fixed bodies (or `updated_schema`). Items stay open
(`additionalProperties`): custom fields (`cf_<key>`) and `decorate` hooks add keys the declaration does not
name, while the envelope and the declared columns are exact, so the fuzzer's conformance check can fail."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import TypeDecorator, inspect
from sqlalchemy.orm import ColumnProperty

from api.crud.fields import Fields
from api.crud.query import PAGINATION, Envelope
from api.crud.resource import Answer, Resource

# Export formats other than JSON, as `api.crud.export` streams them.
EXPORT_MEDIA = ("text/csv", "application/xml", "text/markdown")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    return {**schema, "type": [kind, "null"]} if isinstance(kind, str) else schema


def column_schema(model: type[Any], attr: str) -> dict[str, Any]:
    """The JSON type a column's values serialize to (`api.casing.jsonable`: instants, dates and decimals
    as strings); `{}` for what the column type does not pin down (JSON columns, properties)."""
    prop = inspect(model).attrs.get(attr)
    if not isinstance(prop, ColumnProperty) or len(prop.columns) != 1:
        return {}
    column: Any = prop.columns[0]
    kind = column.type
    if isinstance(kind, TypeDecorator):  # UTCDateTime and the like serialize as their storage type does
        kind = kind.impl_instance
    try:
        python = kind.python_type
    except NotImplementedError:
        return {}
    if issubclass(python, bool):
        schema: dict[str, Any] = {"type": "boolean"}
    elif issubclass(python, int) and not issubclass(python, enum.Enum):
        schema = {"type": "integer"}
    elif issubclass(python, float):
        schema = {"type": "number"}
    elif issubclass(python, str | datetime | date | time | Decimal | uuid.UUID | enum.Enum):
        schema = {"type": "string"}
    else:
        return {}
    return _nullable(schema) if getattr(column, "nullable", True) else schema


def item_schema(res: Resource, fields: Fields) -> dict[str, Any]:
    """One serialized row: every declared key (always present), open to custom fields and decorations."""
    model = res.model
    properties = {fields.key(a): column_schema(model, a) for a in fields.attributes(model, res.hidden)}
    properties.update({key: {} for key in fields.computed})
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": True}


def page(envelope: Envelope, item: Mapping[str, Any]) -> dict[str, Any]:
    """A page in `envelope` (every key present, counts as integers) around items of the `item` schema."""
    count = {"type": "integer", "minimum": 0}

    def schema(key: str) -> dict[str, Any]:
        if key == "items":
            return many(item)
        if key == "ok":
            return {"type": "boolean", "const": True}
        if key == "pagination":
            return {"type": "object", "required": list(PAGINATION), "properties": {k: count for k in PAGINATION}}
        return count

    return {"type": "object", "required": list(envelope.keys), "properties": {k: schema(k) for k in envelope.keys}}


def list_schema(res: Resource) -> dict[str, Any]:
    item = item_schema(res, res.fields)
    envelope = page(res.envelope, item)
    # `format=json` exports the items as a bare array under the same media type.
    return {"anyOf": [envelope, {"type": "array", "items": item}]} if res.exportable else envelope


def fixed_schema(body: Mapping[str, Any]) -> dict[str, Any]:
    """A fixed answer (`{"ok": true}`): exactly these keys with these values."""
    return {"type": "object", "required": list(body),
            "properties": {k: {"enum": [v]} if v is None or isinstance(v, bool | int | float | str) else {}
                           for k, v in body.items()}}


def shape(*optional: str, **properties: str | Mapping[str, Any]) -> dict[str, Any]:
    """A declared answer in one line: `shape(id="string", orderId="string?")` is an object with these keys,
    present unless named in `optional`; a string names the JSON type (`?`: or null, `any`: anything, `true`:
    the constant), a mapping is the key's own schema."""
    def one(spec: str | Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(spec, str):
            return dict(spec)
        if spec in ("any", "true"):
            return {} if spec == "any" else {"enum": [True]}
        kind = spec.rstrip("?")
        return {"type": [kind, "null"]} if spec.endswith("?") else {"type": kind}
    return {"type": "object", "required": [k for k in properties if k not in optional],
            "properties": {k: one(v) for k, v in properties.items()}}


def with_keys(schema: Mapping[str, Any], **more: str | Mapping[str, Any]) -> dict[str, Any]:
    """An object schema with more keys, all present (typed as in `shape`): a page with extra keys, say."""
    extra = shape(**more)
    return {**schema, "required": [*schema.get("required", []), *extra["required"]],
            "properties": {**schema.get("properties", {}), **extra["properties"]}}


def many(schema: Mapping[str, Any]) -> dict[str, Any]:
    """An array of `schema`."""
    return {"type": "array", "items": dict(schema)}


# The answer of most actions: `{"ok": true}`.
OK = shape(ok="true")


def item(res: Resource) -> dict[str, Any]:
    """One list item of a resource, for routes of a module that answer its items."""
    return item_schema(res, res.fields)


def record(res: Resource) -> dict[str, Any]:
    """The full record as the detail route and the domain events serialize it."""
    return item_schema(res, res.event_fields)


def answer_schema(answer: Answer, res: Resource) -> dict[str, Any]:
    """A declared answer: a pydantic model's serialization schema (its `$defs` are hoisted into the
    document's components by `api.openapi`), a JSON Schema as written, or one worked out from the resource."""
    if isinstance(answer, type) and issubclass(answer, BaseModel):
        return answer.model_json_schema(mode="serialization")
    if isinstance(answer, Mapping):
        return dict(answer)
    worked_out: Callable[[Resource], Mapping[str, Any]] = answer  # type: ignore[assignment]  # the one left
    return dict(worked_out(res))


def json_answer(schema: dict[str, Any], status: int = 200,
                others: Mapping[str, dict[str, Any]] | None = None) -> dict[int | str, Any]:
    """`responses=` of a route documenting its JSON answer (FastAPI merges it into the answer it documents
    itself) without a `response_model`, which would filter what the route returns."""
    content = {"application/json": {"schema": schema}, **{m: {"schema": s} for m, s in (others or {}).items()}}
    return {status: {"content": content}}


def file_answer(media: str, description: str, schema: Mapping[str, Any] | None = None,
                status: int = 200) -> dict[int | str, Any]:
    """`responses=` of a route answering something other than JSON (a file, a feed, a picture); the route also
    says `response_class=Response`, so FastAPI does not document a JSON answer besides."""
    body = dict(schema) if schema is not None else {"type": "string", "format": "binary"}
    return {status: {"description": description, "content": {media: {"schema": body}}}}


def list_answer(res: Resource) -> dict[int | str, Any]:
    exports = {m: {"type": "string"} for m in EXPORT_MEDIA} if res.exportable else {}
    return json_answer(list_schema(res), 200, exports)


def created_answer(res: Resource) -> dict[int | str, Any]:
    if res.created_schema is not None:
        return json_answer(answer_schema(res.created_schema, res), 201)
    if res.hooks.created_body is not None:  # undeclared: tests/api/test_openapi.py names the resource
        return json_answer({"type": "object"}, 201)
    return json_answer({"type": "object", "required": ["id"], "properties": {"id": column_schema(res.model, "id")}},
                       201)


def updated_answer(res: Resource) -> dict[int | str, Any]:
    if res.updated_schema is not None:
        return json_answer(answer_schema(res.updated_schema, res))
    if res.hooks.updated_body is not None:
        return json_answer({"type": "object"})
    return json_answer(fixed_schema(res.updated_body))


def deleted_answer(res: Resource) -> dict[int | str, Any]:
    if res.deleted_schema is not None:
        return json_answer(answer_schema(res.deleted_schema, res))
    if res.hooks.deleted_body is not None:
        return json_answer({"type": "object"})
    if res.deleted_body is None:
        return {204: {"description": f"The {res.label} is deleted"}}
    return json_answer(fixed_schema(res.deleted_body))


def detail_answer(res: Resource) -> dict[int | str, Any]:
    return json_answer(record(res))
