"""Python functions EXECUTE_FUNCTION activities may call by name.

A module registers its own at import time::

    from activities.functions import FunctionContext, register

    @register("sales.quote_total")
    def quote_total(args: dict[str, Any], ctx: FunctionContext) -> Any:
        ...

A function receives the activity's `args` and a `FunctionContext`, may be sync or async, and returns a
JSON-serializable value (the activity's `result`). It raises `FunctionError` for a call that can never
succeed (bad arguments: not retried); any other exception is retried per the activity's retry policy.
Functions with external effects should use `ctx.idempotency_key` so a retry does the effect once."""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FunctionContext:
    instance_id: str
    tenant_id: str
    organization_id: str
    user_id: str | None
    activity_id: str
    activity_name: str
    idempotency_key: str
    # The activity context: instance context plus earlier activities' outputs.
    context: dict[str, Any] = field(default_factory=dict)


WorkflowFunction = Callable[[dict[str, Any], FunctionContext], Any | Awaitable[Any]]

REGISTRY: dict[str, WorkflowFunction] = {}


class FunctionError(Exception):
    """A call that fails the same way every time (bad arguments)."""


def register(name: str) -> Callable[[WorkflowFunction], WorkflowFunction]:
    def decorate(fn: WorkflowFunction) -> WorkflowFunction:
        if name in REGISTRY and REGISTRY[name] is not fn:
            raise ValueError(f"Workflow function {name!r} is already registered")
        REGISTRY[name] = fn
        return fn

    return decorate


def get(name: str) -> WorkflowFunction | None:
    """The built-in functions above, else the ones modules declare in their manifests."""
    found = REGISTRY.get(name)
    if found is None:
        from api import manifest
        found = manifest.functions().get(name)
    return found


@register("noop")
def noop(args: dict[str, Any], ctx: FunctionContext) -> dict[str, Any]:
    """Does nothing; handy for benchmarks and for trying a definition out."""
    return {}


@register("math.sum")
def math_sum(args: dict[str, Any], ctx: FunctionContext) -> int | float:
    """`{values: [numbers]}` → their sum."""
    values = args.get("values")
    if not isinstance(values, list):
        raise FunctionError('"values" must be a list of numbers')
    total: int | float = 0
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise FunctionError(f'"values" must be a list of numbers, got {value!r}')
        total += value
    return total


_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


def _lookup(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


@register("text.template")
def text_template(args: dict[str, Any], ctx: FunctionContext) -> str:
    """`{template, data?}` → the template with each `{{path}}` replaced from `data` (default: the activity
    context); unknown paths become empty."""
    template = args.get("template")
    if not isinstance(template, str):
        raise FunctionError('"template" must be a string')
    data = args.get("data", ctx.context)

    def value(match: re.Match[str]) -> str:
        found = _lookup(data, match.group(1))
        return "" if found is None else str(found)

    return _PLACEHOLDER.sub(value, template)
