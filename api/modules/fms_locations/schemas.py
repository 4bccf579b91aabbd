from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.crud import Payload

# Letters, digits, underscores and hyphens; stored upper-cased, so `gdn` and `GDN` are one code.
CODE_PATTERN = r"^[A-Za-z0-9_-]+$"


class LocationFields(Payload):
    organization_id: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    city: str | None = Field(default=None, max_length=255)
    country: str | None = Field(default=None, max_length=100)


class PortCreate(LocationFields):
    type: Literal["port"] | None = None
    code: str = Field(min_length=1, max_length=50, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=255)
    locode: str = Field(min_length=1, max_length=10)


class PortUpdate(LocationFields):
    id: str
    code: str | None = Field(default=None, min_length=1, max_length=50, pattern=CODE_PATTERN)
    name: str | None = Field(default=None, min_length=1, max_length=255)
    locode: str | None = Field(default=None, min_length=1, max_length=10)


class TerminalCreate(LocationFields):
    type: Literal["terminal"] | None = None
    code: str = Field(min_length=1, max_length=50, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=255)
    locode: str | None = Field(default=None, max_length=10)
    port_id: str | None = None


class TerminalUpdate(LocationFields):
    id: str
    code: str | None = Field(default=None, min_length=1, max_length=50, pattern=CODE_PATTERN)
    name: str | None = Field(default=None, min_length=1, max_length=255)
    locode: str | None = Field(default=None, max_length=10)
    port_id: str | None = None
