"""Checking a user task's `formData` against its `formSchema` (a JSON Schema or a list of fields).

The reference only checked `required` of the JSON-Schema shape; we check both shapes, required fields
and value types, and name the first offending field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Field types of the "fields" shape that carry a JSON type; other types (select, date, ...) take strings
# or whatever their options list, and are only checked for presence.
_FIELD_TYPES = {
    "text": "string", "textarea": "string", "string": "string", "email": "string", "url": "string",
    "password": "string", "number": "number", "integer": "integer", "boolean": "boolean", "checkbox": "boolean",
    "switch": "boolean", "object": "object", "array": "array", "multiselect": "array",
}


def _is_type(value: Any, expected: str) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, float) and value.is_integer())
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected == "object":
        return isinstance(value, Mapping)
    if expected == "array":
        return isinstance(value, list)
    if expected == "null":
        return value is None
    return True


def _expected(spec: Any) -> list[str]:
    kind = spec.get("type") if isinstance(spec, Mapping) else None
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    return []


def form_error(schema: Any, data: Mapping[str, Any]) -> str | None:
    """The first problem of `data` under `schema`, or None when it is acceptable (or there is no schema)."""
    if not isinstance(schema, Mapping):
        return None
    if isinstance(schema.get("properties"), Mapping):
        properties: Mapping[str, Any] = schema["properties"]
        for name in schema.get("required") or []:
            if data.get(name) is None:
                return f"Required field missing: {name}"
        for name, spec in properties.items():
            value = data.get(name)
            if value is None:
                continue
            kinds = _expected(spec)
            if kinds and not any(_is_type(value, kind) for kind in kinds):
                return f"Invalid value for field {name}: expected {' or '.join(kinds)}"
            options = spec.get("enum") if isinstance(spec, Mapping) else None
            if isinstance(options, list) and value not in options:
                return f"Invalid value for field {name}: must be one of {options}"
        return None
    fields = schema.get("fields")
    if isinstance(fields, list):
        for item in fields:
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                continue
            name = item["name"]
            value = data.get(name)
            if value is None or value == "":
                if item.get("required"):
                    return f"Required field missing: {name}"
                continue
            kind = _FIELD_TYPES.get(str(item.get("type", "")).lower())
            if kind and not _is_type(value, kind):
                return f"Invalid value for field {name}: expected {kind}"
            options = item.get("options")
            if isinstance(options, list) and options and kind not in ("array", "boolean"):
                allowed = [o.get("value") if isinstance(o, Mapping) else o for o in options]
                if value not in allowed:
                    return f"Invalid value for field {name}: must be one of {allowed}"
    return None
