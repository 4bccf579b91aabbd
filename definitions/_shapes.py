"""Reads the definition models into plain shapes that the validator and the JSON Schema share.

Only the vocabulary the models use is understood: str, int, float, bool, Literal, list, dict[str, X], Any,
nested models, unions, ``X | None`` for "may be omitted", pydantic's length/bound/pattern constraints and
the ``Messages`` / ``DurationText`` markers. Anything else is a programming error and fails loudly.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from definitions.model import DefinitionModel, DurationText, Messages


@dataclass(frozen=True)
class Shape:
    kind: str  # string | int | number | bool | enum | list | record | any | object | union
    minimum: float | None = None  # min length (string, list) or lower bound (int, number)
    maximum: float | None = None
    exclusive_minimum: bool = False
    pattern: str | None = None
    messages: Messages = Messages()
    duration: DurationText | None = None
    values: tuple[Any, ...] = ()  # enum
    item: Shape | None = None  # list item, record value
    options: tuple[Shape, ...] = ()  # union
    model: type[DefinitionModel] | None = None  # object


@dataclass(frozen=True)
class FieldShape:
    name: str
    alias: str
    shape: Shape
    required: bool
    nullable: bool
    description: str | None
    default: Any = field(default=None)


def _flatten(metadata: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            out.extend(item.metadata)
        else:
            out.append(item)
    return out


def _constraints(metadata: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, Messages):
            found["messages"] = item
            continue
        if isinstance(item, DurationText):
            found["duration"] = item
            continue
        for attr, key in (("min_length", "minimum"), ("ge", "minimum"), ("max_length", "maximum"),
                          ("le", "maximum"), ("pattern", "pattern")):
            value = getattr(item, attr, None)
            if value is not None:
                found[key] = value
        if getattr(item, "gt", None) is not None:
            found["minimum"] = item.gt
            found["exclusive_minimum"] = True
    return found


def shape_of(annotation: Any, metadata: tuple[Any, ...] = ()) -> Shape:
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *meta = get_args(annotation)
        return shape_of(inner, (*metadata, *meta))
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return shape_of(args[0], metadata)
        return Shape("union", options=tuple(shape_of(a) for a in args))
    found = _constraints(_flatten(metadata))
    if annotation is Any:
        return Shape("any")
    if annotation is str:
        return Shape("string", **found)
    if annotation is bool:
        return Shape("bool")
    if annotation is int:
        return Shape("int", **found)
    if annotation is float:
        return Shape("number", **found)
    if origin is Literal:
        return Shape("enum", values=get_args(annotation))
    if origin is list:
        (item,) = get_args(annotation)
        return Shape("list", item=shape_of(item), **found)
    if origin is dict:
        _, value = get_args(annotation)
        return Shape("record", item=shape_of(value))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        assert issubclass(annotation, DefinitionModel), annotation
        return Shape("object", model=annotation)
    raise TypeError(f"definitions: unsupported annotation {annotation!r}")


@cache
def fields_of(model: type[DefinitionModel]) -> tuple[FieldShape, ...]:
    out = []
    for name, info in model.model_fields.items():
        assert info.alias is not None
        shape = shape_of(info.annotation, tuple(info.metadata))
        out.append(FieldShape(name=name, alias=info.alias, shape=shape, required=info.is_required(),
                              nullable=name in model.nullable_fields, description=info.description,
                              default=None if info.is_required() else info.default))
    return tuple(out)
