from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints, model_validator

from api.crud import Payload

# Keys are slugs: they name a dictionary in code (`sales.order_status` is a system key, seeded; the
# ones people create are plain slugs).
Key = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=100,
                                       pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text150 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]
Color = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^#[0-9a-fA-F]{6}$")]
Icon = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class DictionaryCreate(Payload):
    key: Key
    name: Name
    description: str | None = Field(default=None, max_length=2000)
    is_system: StrictBool | None = None
    is_active: StrictBool | None = None


class DictionaryUpdate(Payload):
    key: Key | None = None
    name: Name | None = None
    description: str | None = Field(default=None, max_length=2000)
    is_active: StrictBool | None = None

    @model_validator(mode="after")
    def _something(self) -> DictionaryUpdate:
        if not self.model_fields_set:
            raise ValueError("Provide at least one field to update.")
        return self


class EntryCreate(Payload):
    value: Text150
    label: Text150 | None = None
    color: Color | None = None
    icon: Icon | None = None


class EntryUpdate(Payload):
    value: Text150 | None = None
    label: Text150 | None = None
    color: Color | None = None
    icon: Icon | None = None

    @model_validator(mode="after")
    def _something(self) -> EntryUpdate:
        if not self.model_fields_set:
            raise ValueError("Provide at least one field to update.")
        return self
