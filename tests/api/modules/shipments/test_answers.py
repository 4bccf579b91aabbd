"""Every route's real answer, with data in it, conforms to the schema the OpenAPI document gives it (the
fuzzer checks conformance too, but mostly sees 404s and empty lists for lack of data)."""

from __future__ import annotations

from typing import Any

import jsonschema
from fastapi import FastAPI

from tests.api.modules.shipments.helpers import ALL, company
from tests.fixtures import World

PDF = b"%PDF-1.4\n%%EOF\n"


def conforms(doc: dict[str, Any], path: str, method: str, answer: Any, code: str = "200") -> None:
    schema = doc["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]
    jsonschema.validate(answer, {**schema, "components": doc["components"]}, cls=jsonschema.Draft202012Validator)


async def test_answers_match_their_documentation(world: World, app: FastAPI) -> None:
    doc = app.openapi()
    me = await world.user(ALL)
    client_id = await company(me)
    r = await me.post("/api/shipments/shipments/import", files={"file": (
        "a.csv", b"Reference,Client,Containers,Size,ETA,Weight\nR-1,Acme Freight,MSKU1234567,40HC,2026-01-02,12.5\n",
        "text/csv")})
    conforms(doc, "/api/shipments/shipments/import", "post", r.json(), "201")
    sid = r.json()["shipmentIds"][0]
    r = await me.post("/api/shipments", json={"internalReference": "R-2", "clientId": client_id})
    conforms(doc, "/api/shipments", "post", r.json(), "201")
    conforms(doc, "/api/shipments", "get", (await me.get("/api/shipments")).json())
    conforms(doc, "/api/shipments/{id}", "get", (await me.get(f"/api/shipments/{sid}")).json())
    conforms(doc, "/api/shipments/{id}", "put", (await me.put(f"/api/shipments/{sid}", json={"mode": "SEA"})).json())
    conforms(doc, "/api/shipments", "put", (await me.put("/api/shipments", json={"id": sid, "mode": "AIR"})).json())
    containers = (await me.get(f"/api/shipments/{sid}/containers")).json()
    conforms(doc, "/api/shipments/{id}/containers", "get", containers)
    cid = containers["items"][0]["id"]
    r = await me.put(f"/api/shipments/containers/{cid}", json={"status": "LOADED"})
    conforms(doc, "/api/shipments/containers/{id}", "put", r.json())
    conforms(doc, "/api/shipments/containers", "get", (await me.get("/api/shipments/containers")).json())
    r = await me.post(f"/api/shipments/{sid}/tasks", json={"title": "T", "assignedToId": me.user_id})
    conforms(doc, "/api/shipments/{id}/tasks", "post", r.json(), "201")
    tid = r.json()["item"]["id"]
    r = await me.put(f"/api/shipments/{sid}/tasks/{tid}", json={"status": "DONE"})
    conforms(doc, "/api/shipments/{id}/tasks/{task_id}", "put", r.json())
    conforms(doc, "/api/shipments/{id}/tasks", "get", (await me.get(f"/api/shipments/{sid}/tasks")).json())
    conforms(doc, "/api/shipments/tasks", "get", (await me.get("/api/shipments/tasks")).json())
    r = await me.post(f"/api/shipments/{sid}/documents", files={"file": ("a.pdf", PDF, "application/pdf")})
    conforms(doc, "/api/shipments/{id}/documents", "post", r.json(), "201")
    did = r.json()["item"]["id"]
    conforms(doc, "/api/shipments/{id}/documents", "get", (await me.get(f"/api/shipments/{sid}/documents")).json())
    conforms(doc, "/api/shipments/{id}/documents/{document_id}", "get",
             (await me.get(f"/api/shipments/{sid}/documents/{did}")).json())
    conforms(doc, "/api/shipments/entities/{kind}", "get", (await me.get("/api/shipments/entities/company")).json())
    conforms(doc, "/api/shipments/entities/{kind}", "get", (await me.get("/api/shipments/entities/user")).json())
    conforms(doc, "/api/shipments/table-config", "get", (await me.get("/api/shipments/table-config")).json())
    assert (await me.delete(f"/api/shipments/{sid}/tasks/{tid}")).status_code == 204
    assert (await me.delete(f"/api/shipments/{sid}")).status_code == 204
    did = (await me.post("/api/dictionaries", json={"key": "lanes", "name": "Lanes"})).json()["id"]
    await me.post(f"/api/dictionaries/{did}/entries", json={"value": "asia", "label": "Asia", "color": "#112233"})
    entries = (await me.get("/api/shipments/dictionaries/lanes")).json()
    assert entries["items"][0]["color"] == "#112233"
    conforms(doc, "/api/shipments/dictionaries/{key}", "get", entries)
