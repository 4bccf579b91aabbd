"""The OpenAPI document tells the truth about errors: one pass over every operation after FastAPI built the
document. Every operation may answer 400/401/403/404/409/413 in the error shape (the body reader, the auth
dependency, scoped lookups, conflicts and the body limit apply to all of them), FastAPI's validation 422
(which the API never sends: errors.py answers 400) is removed, and schemas that carry their own `$defs`
(pydantic models and the definitions' JSON Schema placed by `openapi_extra`) have them moved into
`components/schemas`, where `$ref`s of an OpenAPI document point."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ERROR = "ErrorResponse"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "details": {}},
    "required": ["error"],
    "description": "`{\"error\": message, \"details\"?: [...]}`; some routes add keys (`requiredFeatures`, `ok`).",
}
ERRORS = {
    "400": "Invalid input (`details` lists the problems) or a body the reader refuses",
    "401": "Not signed in, or the token or API key is invalid",
    "403": "Missing features (`requiredFeatures`) or not allowed",
    "404": "Not found, or not in the caller's tenant",
    "409": "Conflict with the current state",
    "413": "Request body too large",
}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _hoist(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with nested `$defs` moved into `defs` and `#/$defs/X` refs pointed at the components."""
    if isinstance(node, dict):
        for name, schema in (node.pop("$defs", None) or {}).items():
            defs.setdefault(name, _hoist(schema, defs))
        node.pop("$schema", None)
        out = {k: _hoist(v, defs) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out["$ref"] = "#/components/schemas/" + ref.removeprefix("#/$defs/")
        return out
    if isinstance(node, list):
        return [_hoist(v, defs) for v in node]
    return node


def truthful(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    defs: dict[str, Any] = {}
    for path, path_item in document.get("paths", {}).items():
        for method in _METHODS:
            op = path_item.get(method)
            if not isinstance(op, dict):
                continue
            declared = {p.get("name") for p in op.get("parameters", []) if p.get("in") == "path"}
            for name in re.findall(r"\{(\w+)(?::\w+)?\}", path):
                if name not in declared:  # a route added by hand (add_api_route) whose handler ignores it
                    op.setdefault("parameters", []).append(
                        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
            if "requestBody" in op:
                op["requestBody"] = _hoist(op["requestBody"], defs)
            responses = op.setdefault("responses", {})
            if "422" in responses and "HTTPValidationError" in json.dumps(responses["422"]):
                del responses["422"]
            for code, description in ERRORS.items():
                responses.setdefault(code, {"description": description, "content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{ERROR}"}}}})
            for response in responses.values():
                if isinstance(response, dict) and "content" in response:
                    response["content"] = _hoist(response["content"], defs)
    for name, schema in defs.items():
        schemas.setdefault(name, schema)
    schemas[ERROR] = ERROR_SCHEMA
    text = json.dumps(document)
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}" not in text:
            schemas.pop(unused, None)
    return document


def install(app: FastAPI) -> None:
    """`app.openapi()` answers the corrected document (built once, as FastAPI caches its own)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if not getattr(app.state, "truthful_openapi", None):
            app.state.truthful_openapi = truthful(build())
        return app.state.truthful_openapi  # type: ignore[no-any-return]

    app.openapi = openapi  # type: ignore[method-assign]
