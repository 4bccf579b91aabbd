from __future__ import annotations

from api.crud import Features, Fields, Filter, Resource, Sort
from api.modules.example.models import Todo
from api.modules.example.schemas import TodoCreate, TodoUpdate

# Stored as columns here; the reference serves them as custom fields, `cf_<key>` on list items.
CUSTOM_FIELDS = ("priority", "severity", "description", "assignee", "due_at", "tags")

todos = Resource(
    path="/example/todos",
    model=Todo,
    entity="example.todo",
    create_schema=TodoCreate,
    update_schema=TodoUpdate,
    features=Features.view_manage("example.todos.view", "example.todos.manage"),
    tag="Example",
    label="Todo",
    search=(Todo.title,),
    sort=Sort((Todo.title, Todo.is_done, Todo.created_at, Todo.updated_at, Todo.due_at, Todo.priority)),
    filters={
        "title": Filter.contains(Todo.title, "Title contains"),
        "isDone": Filter.eq(Todo.is_done, "Done or not"),
        "organizationId": Filter.eq(Todo.organization_id, "Only this organization"),
        "createdFrom": Filter.min(Todo.created_at, "Created at or after (ISO date)"),
        "createdTo": Filter.max(Todo.created_at, "Created at or before (ISO date)"),
    },
    fields=Fields("id", "title", "is_done", "tenant_id", "organization_id", "created_at", "updated_at",
                  "deleted_at", *CUSTOM_FIELDS, casing="snake", rename={f: f"cf_{f}" for f in CUSTOM_FIELDS}),
)
