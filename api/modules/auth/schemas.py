"""Request bodies of the auth module. Passwords keep their whitespace: it is part of the secret."""

from __future__ import annotations

import uuid
from typing import Annotated, ClassVar

from pydantic import (
    AfterValidator,
    EmailStr,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    model_validator,
)

from api.crud import Payload


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("Expected a UUID") from None


def is_uuid(value: str | None) -> bool:
    try:
        uuid.UUID(value or "")
    except ValueError:
        return False
    return True


Id = Annotated[StrictStr, AfterValidator(_uuid)]
Password = Annotated[str, StringConstraints(strip_whitespace=False, min_length=6, max_length=1024)]
Email = Annotated[EmailStr, Field(max_length=320)]
RoleToken = Annotated[StrictStr, StringConstraints(min_length=1, max_length=100)]
RoleName = Annotated[StrictStr, StringConstraints(min_length=2, max_length=100)]
DisplayName = Annotated[StrictStr, StringConstraints(max_length=200)]


class PartialUpdate(Payload):
    """An update where leaving a key out keeps the value, and `null` is refused for the keys that
    cannot be empty (it would otherwise look like a change that silently did nothing)."""

    NOT_NULL: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_nulls(self) -> PartialUpdate:
        nulls = sorted(f for f in self.NOT_NULL if f in self.model_fields_set and getattr(self, f) is None)
        if nulls:
            raise ValueError(f"May not be null: {', '.join(nulls)}")
        return self


class UserCreate(Payload):
    email: Email
    password: Password
    organization_id: Id
    tenant_id: Id | None = None
    name: DisplayName | None = None
    # Role names (or ids); `rolesCsv` is the login-form friendly alternative.
    roles: list[RoleToken] | None = None
    roles_csv: StrictStr | None = None


class UserUpdate(PartialUpdate):
    NOT_NULL = frozenset({"email", "password", "organization_id", "roles", "roles_csv"})

    id: Id
    email: Email | None = None
    password: Password | None = None
    organization_id: Id | None = None
    name: DisplayName | None = None
    roles: list[RoleToken] | None = None
    roles_csv: StrictStr | None = None


class RoleCreate(Payload):
    name: RoleName
    # Omitted: the caller's tenant; null: a global role (super administrators only).
    tenant_id: Id | None = None


class RoleUpdate(PartialUpdate):
    NOT_NULL = frozenset({"name"})

    id: Id
    name: RoleName | None = None
    tenant_id: Id | None = None


FeatureList = Annotated[list[StrictStr], Field(max_length=2000)]


class RoleAclUpdate(Payload):
    role_id: Id
    features: FeatureList | None = None
    is_super_admin: StrictBool | None = None
    organizations: list[StrictStr] | None = None
    tenant_id: Id | None = None


class UserAclUpdate(Payload):
    user_id: Id
    features: FeatureList | None = None
    is_super_admin: StrictBool | None = None
    organizations: list[StrictStr] | None = None


class FeatureCheck(Payload):
    features: FeatureList


SidebarKey = Annotated[StrictStr, StringConstraints(min_length=1, max_length=300)]
SidebarLabel = Annotated[StrictStr, StringConstraints(min_length=1, max_length=120)]


class SidebarPreferencesInput(Payload):
    version: Annotated[StrictInt, Field(gt=0)] | None = None
    group_order: Annotated[list[SidebarKey], Field(max_length=200)] | None = None
    group_labels: dict[SidebarKey, SidebarLabel] | None = None
    item_labels: dict[SidebarKey, SidebarLabel] | None = None
    hidden_items: Annotated[list[SidebarKey], Field(max_length=500)] | None = None
    apply_to_roles: list[Id] | None = None
    clear_role_ids: list[Id] | None = None


class LocaleInput(Payload):
    locale: StrictStr
