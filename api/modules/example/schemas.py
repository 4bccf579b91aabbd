from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, Field, StrictBool

from api.crud import Payload


def _cf(name: str) -> Any:
    # The reference posts custom fields as `cf_<key>`; plain names are accepted too.
    return Field(default=None, validation_alias=AliasChoices(f"cf_{name}", name))


class TodoFields(Payload):
    is_done: StrictBool | None = None
    priority: str | None = _cf("priority")
    severity: str | None = _cf("severity")
    description: str | None = _cf("description")
    assignee: str | None = _cf("assignee")
    due_at: datetime | None = Field(default=None, validation_alias=AliasChoices("cf_due_at", "dueAt", "due_at"))
    tags: list[str] | None = _cf("tags")
    organization_id: str | None = None


class TodoCreate(TodoFields):
    title: str = Field(min_length=1, max_length=500)


class TodoUpdate(TodoFields):
    id: str
    title: str | None = Field(default=None, min_length=1, max_length=500)
