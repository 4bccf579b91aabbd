"""The OpenAPI document tells the truth (docs/security.md, "The fuzzer"): error answers documented on every
operation in the error shape, no validation 422, real request-body schemas, and success answers with schemas
the fuzzer's conformance check holds the answers to (docs/modules.md, "Answers")."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from api import manifest

METHODS = ("get", "put", "post", "delete", "patch")


def test_every_operation_documents_its_error_answers(app: FastAPI) -> None:
    doc = app.openapi()
    assert doc["components"]["schemas"]["ErrorResponse"]["required"] == ["error"]
    assert "HTTPValidationError" not in json.dumps(doc)
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            responses = item[method]["responses"]
            for code in ("400", "401", "403", "404", "409", "413"):
                assert code in responses, (method, path, code)
            assert "HTTPValidationError" not in json.dumps(responses.get("422", {})), (method, path)
            declared = {p["name"] for p in item[method].get("parameters", []) if p["in"] == "path"}
            assert declared >= set(re.findall(r"\{(\w+)", path)), (method, path)


def test_request_bodies_of_rules_and_definitions_have_schemas(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    rule = paths["/api/business_rules/rules"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"ruleId", "ruleName", "ruleType", "entityType", "conditionExpression"} <= set(rule["properties"])
    assert rule["properties"]["priority"] == {"type": "integer"}
    update = paths["/api/business_rules/rules"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert update["required"] == ["id"]
    definition = paths["/api/workflows/definitions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert definition["$ref"] == "#/components/schemas/DefinitionCreate"
    assert "workflowId" in app.openapi()["components"]["schemas"]["DefinitionCreate"]["properties"]


def _resolved(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _vague(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Says nothing a conformance check could hold an answer to: `{}`, or any object whatsoever."""
    said = {k: v for k, v in _resolved(doc, schema).items()
            if k not in ("title", "description", "additionalProperties")}
    return said in ({}, {"type": "object"})


def _successes(doc: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in METHODS:
            for code, response in item.get(method, {}).get("responses", {}).items():
                if code.startswith("2"):
                    yield method, path, code, response


def _pages(doc: dict[str, Any], schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The item schemas of the list envelopes (`{items: [...]}`) a schema describes."""
    schema = _resolved(doc, schema)
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from _pages(doc, branch)
    items = schema.get("properties", {}).get("items")
    if items is not None and _resolved(doc, items).get("type") == "array":
        yield _resolved(doc, items).get("items", {})


def test_every_success_answer_has_a_schema_or_its_media_type(app: FastAPI) -> None:
    """A route returning `dict[str, Any]` documents "an object": it declares its shape instead
    (docs/modules.md, "Answers in the OpenAPI document")."""
    doc = app.openapi()
    empty, bodiless = [], []
    for method, path, code, response in _successes(doc):
        content = response.get("content", {})
        if code == "204":
            bodiless += [(method, path)] if content else []
        elif "application/json" not in content:  # a file, a feed, a picture: its media type says what it is
            empty += [] if content else [(method, path, code)]
        elif _vague(doc, content["application/json"].get("schema", {})):  # `{}`, or "some object"
            empty.append((method, path, code))
    assert not empty, empty
    assert not bodiless, bodiless


def test_list_items_are_described(app: FastAPI) -> None:
    doc = app.openapi()
    pages = [(method, path, item) for method, path, _, response in _successes(doc)
             for item in _pages(doc, response.get("content", {}).get("application/json", {}).get("schema", {}))]
    assert len(pages) > 50  # every kit list and the hand-written ones that document their envelope
    assert not [(method, path) for method, path, item in pages if _vague(doc, item)]


def test_kit_answers_say_what_they_hold(app: FastAPI) -> None:
    """A resource whose hooks answer their own bodies declares their shape (`created_schema`, `updated_schema`);
    the kit documents everything else from the declaration."""
    doc = app.openapi()
    method_of = {"list": "get", "create": "post", "update": "put", "delete": "delete"}
    vague = []
    for module in manifest.modules():
        for res in module.resources:
            for op in res.operations & set(method_of):
                if op in ("create", "update") and getattr(res, f"{op}_schema") is None:
                    continue
                operation = doc["paths"]["/api" + res.path][method_of[op]]
                for code, response in operation["responses"].items():
                    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                    if code.startswith("2") and code != "204" and _vague(doc, schema):  # 204: no body
                        vague.append((op, res.path))
    assert not vague, vague
