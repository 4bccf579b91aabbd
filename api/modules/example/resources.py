from __future__ import annotations

from api.crud import CustomFields, Features, FieldDef, Fields, Filter, Resource, Sort
from api.modules.example.models import Todo
from api.modules.example.schemas import TodoCreate, TodoUpdate

LEVELS = [{"value": v, "label": v.capitalize()} for v in ("low", "medium", "high")]

# The module's shipped custom fields of `example:todo`: every tenant has them without seeding;
# a tenant may change, hide (delete) or add to them through /api/entities/definitions.
TODO_FIELDS = CustomFields("example:todo", shipped=(
    FieldDef("priority", "select", {"label": "Priority", "options": LEVELS, "filterable": True, "priority": 1}),
    FieldDef("severity", "select", {"label": "Severity", "options": LEVELS, "filterable": True, "priority": 2}),
    FieldDef("description", "multiline", {"label": "Description", "editor": "markdown", "priority": 3}),
    FieldDef("assignee", "relation", {"label": "Assignee", "relatedEntityId": "auth:user",
                                      "optionsUrl": "/api/example/assignees", "filterable": True, "priority": 4}),
    FieldDef("due_at", "datetime", {"label": "Due at", "filterable": True, "priority": 5}),
    FieldDef("tags", "text", {"label": "Tags", "multi": True, "input": "tags", "optionsUrl": "/api/example/tags",
                              "filterable": True, "priority": 6}),
))

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
    sort=Sort((Todo.title, Todo.is_done, Todo.created_at, Todo.updated_at)),
    filters={
        "title": Filter.contains(Todo.title, "Title contains"),
        "isDone": Filter.eq(Todo.is_done, "Done or not"),
        "organizationId": Filter.eq(Todo.organization_id, "Only this organization"),
        "createdFrom": Filter.min(Todo.created_at, "Created at or after (ISO date)"),
        "createdTo": Filter.max(Todo.created_at, "Created at or before (ISO date)"),
    },
    fields=Fields("id", "title", "is_done", "tenant_id", "organization_id", "created_at", "updated_at",
                  "deleted_at", casing="snake"),
    # Items carry `cf_priority`, `cf_tags`, ...; lists filter and sort by them (`cf_priority=high`).
    custom_fields=TODO_FIELDS,
)
