from __future__ import annotations

from typing import Self

from pydantic import Field, StrictBool, model_validator

from api.crud import Payload


class NotNull(Payload):
    """Optional on update, but an explicit `null` would blank a required column: refuse it."""

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        for name in ("name", "is_active"):
            if name in self.model_fields_set and getattr(self, name, "") is None:
                raise ValueError(f"{name} cannot be null")
        return self


class TenantCreate(Payload):
    name: str = Field(min_length=1, max_length=200)
    is_active: StrictBool = True


class TenantUpdate(NotNull):
    id: str = Field(min_length=1)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    is_active: StrictBool | None = None


class OrganizationCreate(Payload):
    name: str = Field(min_length=1, max_length=200)
    is_active: StrictBool = True
    parent_id: str | None = None
    # The organizations that become this one's children.
    child_ids: list[str] | None = None


class OrganizationUpdate(NotNull):
    id: str = Field(min_length=1)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    is_active: StrictBool | None = None
    # Omitted: unchanged; `null`: the organization becomes a root.
    parent_id: str | None = None
    # Omitted: unchanged; a list: exactly these are the children (the others become roots).
    child_ids: list[str] | None = None
