"""A user task's `formSchema` (a JSON Schema object or a list of fields) as HTML form fields, and the
submitted form back as typed `formData`."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData


@dataclass
class Field:
    name: str
    label: str
    kind: str  # text, textarea, number, integer, boolean, select, date, email
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)  # (JSON-encoded value, label)
    default: Any = None
    help: str | None = None

    def encoded_default(self) -> str:
        return json.dumps(self.default) if self.default is not None else ""


_KINDS = {"string": "text", "number": "number", "integer": "integer", "boolean": "boolean", "textarea": "textarea",
          "checkbox": "boolean", "switch": "boolean", "select": "select", "date": "date", "email": "email",
          "text": "text"}


def _options(values: Any) -> list[tuple[str, str]]:
    out = []
    for value in values if isinstance(values, list) else []:
        if isinstance(value, Mapping) and "value" in value:
            out.append((json.dumps(value["value"]), str(value.get("label", value["value"]))))
        else:
            out.append((json.dumps(value), str(value)))
    return out


def fields_of(schema: Any) -> list[Field]:
    if not isinstance(schema, Mapping):
        return []
    if isinstance(schema.get("properties"), Mapping):
        required = set(schema.get("required") or [])
        out = []
        for name, spec in schema["properties"].items():
            spec = spec if isinstance(spec, Mapping) else {}
            kind = str(spec["type"]) if isinstance(spec.get("type"), str) else "string"
            ui = _KINDS.get(kind, "text")
            if spec.get("format") in ("date", "email"):
                ui = spec["format"]
            if kind == "string" and (spec.get("maxLength") or 0) > 200:
                ui = "textarea"
            options = _options(spec.get("enum"))
            out.append(Field(str(name), str(spec.get("title") or name), "select" if options else ui, name in required,
                             options, spec.get("default"), spec.get("description")))
        return out
    out = []
    for item in schema.get("fields") or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        kind = _KINDS.get(str(item.get("type", "text")).lower(), "text")
        options = _options(item.get("options"))
        out.append(Field(item["name"], str(item.get("label") or item["name"]), "select" if options else kind,
                         bool(item.get("required")), options, item.get("default"), item.get("description")))
    return out


def form_data(fields: list[Field], form: FormData) -> dict[str, Any]:
    """Typed values of the submitted form; empty inputs are left out (the API says if they were required),
    and text that does not parse as the field's type is sent as is (the API says what is wrong with it)."""
    data: dict[str, Any] = {}
    for f in fields:
        raw = form.get(f"field.{f.name}")
        if f.kind == "boolean":
            data[f.name] = raw == "on"
            continue
        if not isinstance(raw, str) or raw.strip() == "":
            continue
        value: Any = raw
        if f.kind == "select":
            try:
                value = json.loads(raw)
            except ValueError:
                value = raw
        elif f.kind in ("number", "integer"):
            try:
                number = float(raw)
                value = int(number) if f.kind == "integer" or number.is_integer() else number
            except ValueError:
                value = raw
        data[f.name] = value
    return data


_FIELD_IN_MESSAGE = re.compile(r"(?:missing: |for field )([^\s:]+)")


def field_of_error(message: str) -> str | None:
    """The field an API form error names (`Required field missing: x`, `Invalid value for field x: ...`)."""
    match = _FIELD_IN_MESSAGE.search(message)
    return match.group(1) if match else None
