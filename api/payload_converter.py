"""Temporal's JSON payload converter, cheaper for the engine's dataclasses (`engine.contract`); same JSON.

The SDK's converter encodes a dataclass with `dataclasses.asdict` (a deep copy of every nested dict and list
before `json.dumps` walks them again) and decodes one by calling `typing.get_type_hints` on its class and
walking every value of every `dict[str, Any]` field, for each payload: ~0.4 ms per `RunActivityInput`, paid
three times per three-step instance in the worker (docs/benchmarks.md, "cheaper payloads"). Here a dataclass encodes
as a shallow dict of its fields (`json.dumps` reaches nested ones through `default`, the same output), and a
dataclass type hint decodes through a plan worked out once per class: nested dataclasses (also optional or in
lists) are built field by field, and a field whose type JSON already yields (`str`, `int`, `bool`, `float`,
`Any`, `dict[str, Any]`, lists and optionals of those) is taken as parsed. Any other hint goes to the SDK's
`value_to_type` (so do dataclasses with `init=False` fields), so decoding gives what the SDK's converter gives
for what the engine sends.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    AdvancedJSONEncoder,
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)
from temporalio.converter import value_to_type as sdk_value_to_type

_AS_PARSED = {str, int, float, bool, type(None), Any, object}


class _ShallowEncoder(AdvancedJSONEncoder):
    def default(self, o: Any) -> Any:
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return {field.name: getattr(o, field.name) for field in dataclasses.fields(o)}
        return super().default(o)


def _identity(value: Any) -> Any:
    return value


def _as_parsed(hint: Any) -> bool:
    """Whether JSON parsing already yields a value of `hint` (nothing to build)."""
    if hint in _AS_PARSED:
        return True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (dict, list) or origin in (typing.Union, types.UnionType):
        if origin is dict and args and args[0] is not str:
            return False
        return all(_as_parsed(arg) for arg in args)
    return False


@cache
def _converter(hint: Any) -> Callable[[Any], Any]:
    """How to turn the parsed JSON into a value of `hint` (worked out once per hint)."""
    if _as_parsed(hint):
        return _identity
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and all(f.init for f in dataclasses.fields(hint)):
        return _dataclass_converter(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = _converter(next(arg for arg in args if arg is not type(None)))
        return lambda value: None if value is None else inner(value)
    if origin is list and len(args) == 1:
        item = _converter(args[0])
        return lambda value: [item(v) for v in value]
    return lambda value: sdk_value_to_type(hint, value, [])


def _dataclass_converter(cls: type[Any]) -> Callable[[Any], Any]:
    hints = typing.get_type_hints(cls)
    fields = [(field.name, _converter(hints[field.name])) for field in dataclasses.fields(cls)]
    if any(converter is not _identity for _, converter in fields):
        def build(value: Any) -> Any:
            if not isinstance(value, dict):
                raise TypeError(f"Cannot convert to dataclass {cls}, value is {type(value)} not dict")
            return cls(**{name: convert(value[name]) for name, convert in fields if name in value})
        return build

    names = [name for name, _ in fields]

    def build_flat(value: Any) -> Any:
        if not isinstance(value, dict):
            raise TypeError(f"Cannot convert to dataclass {cls}, value is {type(value)} not dict")
        return cls(**{name: value[name] for name in names if name in value})
    return build_flat


class _JSONConverter(JSONPlainPayloadConverter):
    def __init__(self) -> None:
        super().__init__(encoder=_ShallowEncoder)

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        if type_hint is None:
            return super().from_payload(payload, type_hint)
        try:
            value = json.loads(payload.data)
        except json.JSONDecodeError as err:
            raise RuntimeError("Failed parsing") from err
        return _converter(type_hint)(value)


class PayloadConverter(CompositePayloadConverter):
    """The SDK's default converters, JSON's replaced by the one above (still the last: it takes anything)."""

    def __init__(self) -> None:
        super().__init__(*[_JSONConverter() if isinstance(c, JSONPlainPayloadConverter) else c
                           for c in DefaultPayloadConverter.default_encoding_payload_converters])


# For every Client of the API, the worker, their tests and the benchmarks (encoding is the SDK's JSON either way).
DATA_CONVERTER = dataclasses.replace(DataConverter.default, payload_converter_class=PayloadConverter)
