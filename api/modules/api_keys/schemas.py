from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.crud import Payload


class ApiKeyCreate(Payload):
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=1000)
    # Role ids or names of the caller's tenant (or global roles).
    roles: list[str] = Field(default_factory=list)
    expires_at: datetime | None = None
    organization_id: str | None = None
