"""The OpenAPI a declaration produces: summaries from the declared label and plural, the features each
route needs, and the list's parameters (paging, sort, search, declared filters, export)."""

from __future__ import annotations

from typing import Any

from api.crud import Dialect, Envelope
from tests.api.crud.gadgets import gadgets, parts
from tests.api.crud.helpers import Kit


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
