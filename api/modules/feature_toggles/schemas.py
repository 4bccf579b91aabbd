from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StringConstraints

from api.crud import Payload

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200,
                                              pattern=r"^[a-z][a-z0-9_]*$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ToggleType = Literal["boolean", "string", "number", "json"]


class ToggleCreate(Payload):
    identifier: Identifier
    name: Name
    description: str | None = None
    category: str | None = Field(default=None, max_length=200)
    type: ToggleType
    default_value: Any = None


class ToggleUpdate(Payload):
    id: str
    identifier: Identifier | None = None
    name: Name | None = None
    description: str | None = None
    category: str | None = Field(default=None, max_length=200)
    type: ToggleType | None = None
    default_value: Any = None


class OverrideChange(Payload):
    toggle_id: str = Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    is_override: StrictBool
    override_value: Any = None
