"""Grid configurations come from the model's columns: keys camelCased, types and widths by column type,
keys, tenancy and foreign keys left out, hints for dropdowns, renderers and read-only fields."""

from __future__ import annotations

from api.crud.table_config import TableHints, columns, table_config
from api.modules.example.models import Todo


def test_columns_follow_the_model() -> None:
    cols = {c["data"]: c for c in columns(Todo)}
    assert "id" not in cols and "tenantId" not in cols and "organizationId" not in cols
    assert "deletedAt" not in cols and "customValues" not in cols
    assert cols["title"] == {"data": "title", "title": "Title", "width": 150}
    assert cols["isDone"] == {"data": "isDone", "title": "Is Done", "width": 80, "type": "checkbox"}
    assert cols["createdAt"] == {"data": "createdAt", "title": "Created At", "width": 120, "type": "date",
                                 "dateFormat": "dd/MM/yyyy", "readOnly": True}


def test_hints_add_dropdowns_renderers_and_hide_fields() -> None:
    hints = TableHints(hidden=("isDone",), read_only=("title",), renderers={"title": "LinkRenderer"},
                       dropdowns={"title": ("low", "high")})
    cols = {c["data"]: c for c in columns(Todo, hints)}
    assert "isDone" not in cols
    assert cols["title"]["readOnly"] is True and cols["title"]["renderer"] == "LinkRenderer"
    assert "readOnly" not in cols["createdAt"]
    assert cols["title"]["type"] == "dropdown" and cols["title"]["source"] == ["low", "high"]


def test_meta_counts_the_columns() -> None:
    config = table_config(Todo, "example.todo")
    assert config["meta"]["entity"] == "example.todo"
    assert config["meta"]["totalColumns"] == len(config["columns"])
    assert config["meta"]["generatedAt"].endswith("Z")


async def test_the_route_documents_itself_and_checks_features() -> None:
    from fastapi import APIRouter, FastAPI
    from httpx import ASGITransport, AsyncClient

    from api.crud.table_config import table_config_route
    from api.errors import install

    router = APIRouter()
    table_config_route(router, "/example/table-config", Todo, "example.todo", features=("example.todos.view",),
                       label="todos")
    app = FastAPI()
    install(app)
    app.include_router(router, prefix="/api")
    operation = app.openapi()["paths"]["/api/example/table-config"]["get"]
    assert operation["description"].endswith("Requires features: example.todos.view")
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/api/example/table-config")).status_code == 401
