"""The OpenAPI document tells the truth (docs/security.md, "The fuzzer"): error answers documented on every
operation in the error shape, no validation 422, real request-body schemas."""

from __future__ import annotations

import json
import re

from fastapi import FastAPI

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
