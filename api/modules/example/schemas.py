from __future__ import annotations

from pydantic import ConfigDict, Field, StrictBool

from api.crud import Payload


class TodoFields(Payload):
    # Custom fields (`cf_<key>` or `customFields`) are extra keys the kit validates against the
    # definitions; keeping them on the model lets workflow commands pass them through too.
    model_config = ConfigDict(extra="allow")

    is_done: StrictBool | None = None
    organization_id: str | None = None


class TodoCreate(TodoFields):
    title: str = Field(min_length=1, max_length=500)


class TodoUpdate(TodoFields):
    id: str
    title: str | None = Field(default=None, min_length=1, max_length=500)
