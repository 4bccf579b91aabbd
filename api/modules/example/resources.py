from __future__ import annotations

from typing import Any

from api.crud import Features, Filter, Resource
from api.crud.casing import jsonable
from api.modules.example.models import Todo
from api.modules.example.schemas import TodoCreate, TodoUpdate

CUSTOM_FIELDS = ("priority", "severity", "description", "assignee", "due_at", "tags")


def todo_item(todo: Todo) -> dict[str, Any]:
    """List items are snake_case with custom fields as `cf_<key>`, as the reference serves them."""
    item = {
        "id": todo.id,
        "title": todo.title,
        "is_done": todo.is_done,
        "tenant_id": todo.tenant_id,
        "organization_id": todo.organization_id,
        "created_at": jsonable(todo.created_at),
        "updated_at": jsonable(todo.updated_at),
        "deleted_at": jsonable(todo.deleted_at),
    }
    item.update({f"cf_{name}": jsonable(getattr(todo, name)) for name in CUSTOM_FIELDS})
    return item


todos = Resource(
    path="/example/todos",
    model=Todo,
    entity="example.todo",
    create_schema=TodoCreate,
    update_schema=TodoUpdate,
    features=Features.view_manage("example.todos.view", "example.todos.manage"),
    tag="Example",
    label="Todo",
    search=("title",),
    sort=("id", "title", "is_done", "created_at", "updated_at", "due_at", "priority"),
    filters={
        "title": Filter(Todo.title, "ilike", "Title contains"),
        "isDone": Filter(Todo.is_done, "bool", "Done or not"),
        "organizationId": Filter(Todo.organization_id, "eq", "Only this organization"),
        "createdFrom": Filter(Todo.created_at, "gte", "Created at or after (ISO date)"),
        "createdTo": Filter(Todo.created_at, "lte", "Created at or before (ISO date)"),
    },
    casing="snake",
    serialize=todo_item,
)
