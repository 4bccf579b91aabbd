from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictBool, field_validator

from api.crud import Payload

Code = Annotated[str, Field(pattern=r"^[a-z0-9\-_]+$", max_length=150)]


class ChannelFields(Payload):
    description: str | None = Field(default=None, max_length=4000)
    status_entry_id: str | None = Field(default=None, max_length=36)
    is_active: StrictBool | None = None
    organization_id: str | None = None

    @field_validator("code", mode="before", check_fields=False)
    @classmethod
    def _code(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class ChannelCreate(ChannelFields):
    name: str = Field(min_length=1, max_length=255)
    code: Code | None = None


class ChannelUpdate(ChannelFields):
    id: str
    name: str | None = Field(default=None, min_length=1, max_length=255)
    code: Code | None = None
