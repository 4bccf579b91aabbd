"""The module to copy: one collection declared for the kit, a few lookups, a workflow command."""

from __future__ import annotations

from api.commands import crud_commands
from api.manifest import Module, NavEntry, Searchable
from api.modules.example.models import Todo
from api.modules.example.resources import todos
from api.modules.example.routes import router

module = Module(
    id="example",
    title="Example",
    features={
        "example.todos.view": "View todos",
        "example.todos.manage": "Manage todos",
    },
    resources=(todos,),
    routers=(router,),
    navigation=(NavEntry("/backend/todos", "Todos", group_id="example", group_name="Example",
                         features=("example.todos.view",), order=10, group_order=500),),
    # Workflows may create and update todos through UPDATE_ENTITY.
    commands=crud_commands(todos, ("create", "update")),
    search=(Searchable("example.todo", Todo, fields=("title",), title="title", url="/backend/todos/{id}",
                       label="Todo"),),
)
