"""`{{path}}` placeholders in activity configs (docs/workflows.md, "Interpolation").

A string that is exactly one placeholder becomes the raw value (number, object, ... keep their type);
in a longer string each placeholder is replaced by the value's JavaScript `String()`. Unresolved
placeholders stay as they were written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jscompat import js_string

_PLACEHOLDER = re.compile(r"\{\{([^{}]+)\}\}")
_MISSING: Any = object()


@dataclass(frozen=True)
class Scope:
    """What placeholders can see: the activity context (instance context plus earlier outputs),
    `workflow.*` fields, the allowed `env.*` values and the time of `now` (ISO 8601)."""

    context: Mapping[str, Any]
    workflow: Mapping[str, Any]
    env: Mapping[str, str]
    now: str


def _lookup(data: Any, path: str) -> Any:
    current = data
    for segment in path.split("."):
        if isinstance(current, Mapping):
            if segment not in current:
                return _MISSING
            current = current[segment]
        elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            current = current[int(segment)]
        else:
            return _MISSING
    return current


def lookup(data: Any, path: str) -> tuple[bool, Any]:
    """A dot path's value in `data` (objects and list indexes): (found, value)."""
    value = _lookup(data, path.strip())
    return (False, None) if value is _MISSING else (True, value)


def assign(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dot path in `data`, creating the objects on the way (replacing non-objects)."""
    keys = path.strip().split(".")
    current = data
    for key in keys[:-1]:
        nxt = current.get(key)
        if not isinstance(nxt, dict):
            nxt = current[key] = {}
        current = nxt
    current[keys[-1]] = value


def resolve(path: str, scope: Scope) -> Any:
    """The value of one placeholder path, or the module's missing marker."""
    path = path.strip()
    if path == "now":
        return scope.now
    if path.startswith("workflow."):
        return scope.workflow.get(path[len("workflow."):], _MISSING)
    if path.startswith("env."):
        # Keys outside the allow-list read as empty: never the process environment.
        return scope.env.get(path[len("env."):], "")
    if path.startswith("context."):
        path = path[len("context."):]
    return _lookup(scope.context, path)


def _interpolate_string(text: str, scope: Scope) -> Any:
    if "{{" not in text:
        return text
    whole = _PLACEHOLDER.fullmatch(text)
    if whole:
        value = resolve(whole.group(1), scope)
        return text if value is _MISSING else value

    def replace(match: re.Match[str]) -> str:
        value = resolve(match.group(1), scope)
        return match.group(0) if value is _MISSING else js_string(value)

    return _PLACEHOLDER.sub(replace, text)


def interpolate(value: Any, scope: Scope) -> Any:
    """`value` with every string leaf interpolated, through nested objects and arrays."""
    if isinstance(value, str):
        return _interpolate_string(value, scope)
    if isinstance(value, Mapping):
        return {key: interpolate(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, scope) for item in value]
    return value
