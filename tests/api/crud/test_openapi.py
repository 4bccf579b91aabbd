"""The OpenAPI a declaration produces: summaries from the declared label and plural, the features each
route needs, the list's parameters (paging, sort, search, declared filters, export), and the answers' schemas
(envelope, items typed by their columns, create/update/delete bodies), which real answers conform to."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from api.crud import Dialect, Envelope, Hooks, shape
from tests.api.crud.gadgets import gadgets, parts
from tests.api.crud.helpers import GADGETS, Kit
from tests.api.crud.test_custom_fields import FIELDS
from tests.api.crud.test_custom_fields import Create as WithCustom
from tests.api.crud.test_custom_fields import Update as UpdateCustom


def _params(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in operation.get("parameters", [])}


async def test_summaries_descriptions_and_tags(kit: Kit) -> None:
    kit.serve(gadgets.but(detail=True, lock=True, descriptions={"list": "Every gadget of the caller."}))
    paths = kit.app.openapi()["paths"]
    collection, item = paths["/api/crudkit/gadgets"], paths["/api/crudkit/gadgets/{id}"]
    assert {m: op["summary"] for m, op in collection.items()} == {
        "get": "List gadgetry", "post": "Create gadget", "put": "Update gadget", "delete": "Delete gadget"}
    assert item["get"]["summary"] == "Get gadget"
    assert collection["get"]["description"] == "Every gadget of the caller. Requires features: crudkit.gadgets.view"
    assert collection["post"]["description"].endswith("Requires features: crudkit.gadgets.manage")
    assert "x-om-ext-optimistic-lock-expected-updated-at" in collection["put"]["description"]
    assert {tag for op in collection.values() for tag in op["tags"]} == {"CRUD kit"}
    assert _params(collection["delete"])["id"]["in"] == "query"


async def test_plural_defaults_to_the_label_with_an_s(kit: Kit) -> None:
    kit.serve(gadgets.but(plural=""))
    assert kit.app.openapi()["paths"]["/api/crudkit/gadgets"]["get"]["summary"] == "List gadgets"


async def test_list_parameters_include_the_declared_filters(kit: Kit) -> None:
    kit.serve(gadgets)
    params = _params(kit.app.openapi()["paths"]["/api/crudkit/gadgets"]["get"])
    assert set(gadgets.filters) <= set(params)
    assert {"page", "pageSize", "sortField", "sortDir", "id", "ids", "search", "withDeleted", "format",
            "exportScope"} <= set(params)
    types = {name: p["schema"]["type"] for name, p in params.items()}
    assert {k: types[k] for k in ("quantity", "price", "minQuantity", "maxPrice", "isActive", "hasNote",
                                  "untagged", "name", "kinds", "quantities", "madeOn", "seenFrom", "ownerId")} == {
        "quantity": "number", "price": "number", "minQuantity": "number", "maxPrice": "number",
        "isActive": "boolean", "hasNote": "boolean", "untagged": "boolean", "name": "string", "kinds": "string",
        "quantities": "string", "madeOn": "string", "seenFrom": "string", "ownerId": "string"}
    assert params["kind"]["description"] == "tool or toy" and params["quantity"]["description"] == \
        "Filter by quantity"
    assert params["sortField"]["description"] == "Field to sort by: name, quantity, price, createdAt"
    assert params["search"]["description"] == "Case-insensitive text search in name, note"
    assert params["pageSize"]["description"] == "Items per page (default 50, at most 100)"
    assert not any(p["required"] for p in params.values())


async def test_list_parameters_follow_the_declaration(kit: Kit) -> None:
    kit.serve(gadgets.but(envelope=Envelope.LIMIT, search=(), soft_delete=False, exportable=False, filters={},
                          dialect=Dialect(unknown_sort="default")), parts)
    paths = kit.app.openapi()["paths"]
    params = _params(paths["/api/crudkit/gadgets"]["get"])
    assert set(params) == {"page", "limit", "sortField", "sortDir", "id", "ids"}
    child = _params(paths["/api/crudkit/parts"]["get"])
    assert child["gadgetId"]["required"] is True and child["gadgetId"]["description"] == "Id of the parent gadget"


async def test_operations_limit_the_documented_routes(kit: Kit) -> None:
    kit.serve(gadgets.but(operations=frozenset({"list", "delete"})))
    assert set(kit.app.openapi()["paths"]["/api/crudkit/gadgets"]) == {"get", "delete"}


def _answer(doc: dict[str, Any], path: str, method: str, code: str = "200",
            media: str = "application/json") -> dict[str, Any]:
    return doc["paths"][path][method]["responses"][code]["content"][media]["schema"]  # type: ignore[no-any-return]


def _holds(doc: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    """`value` conforms to `schema` as the fuzzer's conformance check reads it (refs into the document)."""
    jsonschema.validate(value, {**schema, "components": doc["components"]},
                        cls=jsonschema.Draft202012Validator)


async def test_answers_are_read_off_the_declaration(kit: Kit) -> None:
    kit.serve(gadgets.but(detail=True), parts.but(envelope=Envelope.LIMIT, exportable=False))
    doc = kit.app.openapi()
    listing = _answer(doc, "/api/crudkit/gadgets", "get")
    page, exported = listing["anyOf"]
    assert page["required"] == ["items", "total", "page", "pageSize", "totalPages"]
    assert exported["type"] == "array"  # format=json
    item = page["properties"]["items"]["items"]
    types = {k: v.get("type") for k, v in item["properties"].items()}
    assert {k: types[k] for k in ("id", "name", "quantity", "price", "isActive", "seenAt", "madeOn", "note")} == {
        "id": "string", "name": "string", "quantity": "integer", "price": "string", "isActive": "boolean",
        "seenAt": ["string", "null"], "madeOn": ["string", "null"], "note": ["string", "null"]}
    assert "pinHash" not in item["properties"] and item["additionalProperties"] is True
    assert set(item["required"]) == set(item["properties"])
    assert _answer(doc, "/api/crudkit/gadgets", "get", media="text/csv") == {"type": "string"}
    assert _answer(doc, "/api/crudkit/gadgets/{id}", "get")["properties"] == item["properties"]
    assert _answer(doc, "/api/crudkit/gadgets", "post", "201") == {
        "type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    assert _answer(doc, "/api/crudkit/gadgets", "put") == {
        "type": "object", "required": ["ok"], "properties": {"ok": {"enum": [True]}}}
    assert _answer(doc, "/api/crudkit/gadgets", "delete")["properties"] == {"ok": {"enum": [True]}}
    child = _answer(doc, "/api/crudkit/parts", "get")
    assert "anyOf" not in child and child["required"] == ["items", "total", "page", "limit", "totalPages"]


async def test_hook_answers_are_documented_by_their_declared_shape(kit: Kit) -> None:
    class Renamed(BaseModel):
        id: str
        renamed: bool

    kit.serve(gadgets.but(
        hooks=Hooks(created_body=lambda w: {"id": w.row.id, "name": w.row.name},
                    updated_body=lambda w: {"id": w.row.id, "renamed": "name" in w.values}),
        created_schema=shape(id="string", name="string"), updated_schema=Renamed, deleted_body={"success": True}))
    doc = kit.app.openapi()
    created = _answer(doc, "/api/crudkit/gadgets", "post", "201")
    assert created == {"type": "object", "required": ["id", "name"],
                       "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}
    assert _answer(doc, "/api/crudkit/gadgets", "put")["required"] == ["id", "renamed"]
    assert _answer(doc, "/api/crudkit/gadgets", "delete")["properties"] == {"success": {"enum": [True]}}
    me = await kit.user()
    r = await me.post(GADGETS, json={"name": "a"})
    _holds(doc, created, r.json())
    r = await me.put(GADGETS, json={"id": r.json()["id"], "name": "b"})
    _holds(doc, _answer(doc, "/api/crudkit/gadgets", "put"), r.json())
    with pytest.raises(jsonschema.ValidationError):  # the check can fail: an answer without `renamed`
        _holds(doc, _answer(doc, "/api/crudkit/gadgets", "put"), {"id": r.json()["id"]})


async def test_real_answers_conform_to_the_documented_ones(kit: Kit) -> None:
    kit.serve(gadgets.but(detail=True, custom_fields=FIELDS, create_schema=WithCustom, update_schema=UpdateCustom))
    doc = kit.app.openapi()
    me = await kit.user()
    created = await me.post(GADGETS, json={"name": "g", "quantity": 3, "price": "2.50",
                                           "seenAt": "2024-05-01T10:00:00Z", "cf_serial": "S1"})
    assert created.status_code == 201, created.text
    _holds(doc, _answer(doc, "/api/crudkit/gadgets", "post", "201"), created.json())
    gadget_id = created.json()["id"]
    await me.post(GADGETS, json={"name": "h", "cf_serial": "S2"})  # nulls where the first has values
    listed = await me.get(GADGETS)
    assert listed.json()["items"][0]["cf_serial"] == "S1", listed.json()
    _holds(doc, _answer(doc, "/api/crudkit/gadgets", "get"), listed.json())
    _holds(doc, _answer(doc, "/api/crudkit/gadgets", "get"), (await me.get(GADGETS, params={"format": "json"})).json())
    _holds(doc, _answer(doc, "/api/crudkit/gadgets/{id}", "get"), (await me.get(f"{GADGETS}/{gadget_id}")).json())
    updated = await me.put(GADGETS, json={"id": gadget_id, "quantity": 4})
    _holds(doc, _answer(doc, "/api/crudkit/gadgets", "put"), updated.json())
    deleted = await me.delete(GADGETS, params={"id": gadget_id})
    _holds(doc, _answer(doc, "/api/crudkit/gadgets", "delete"), deleted.json())
    # The schemas are not vacuous: a page with a mistyped column or without its total breaks them.
    wrong = {**listed.json(), "items": [{**listed.json()["items"][0], "quantity": "3"}]}
    for bad in (wrong, {k: v for k, v in listed.json().items() if k != "total"}):
        with pytest.raises(jsonschema.ValidationError):
            _holds(doc, _answer(doc, "/api/crudkit/gadgets", "get"), bad)
