from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool

from api.crud import Payload

CODE = r"^[A-Za-z0-9_-]+$"


class PartitionCreate(Payload):
    code: str = Field(min_length=2, max_length=60, pattern=CODE)
    title: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=500)
    is_public: StrictBool = False
    requires_ocr: StrictBool = False
    ocr_model: str | None = Field(default=None, max_length=50)


class PartitionUpdate(PartitionCreate):
    """The whole partition, as the settings form sends it; the code identifies it and cannot change."""

    id: str


class Assignment(Payload):
    type: str = Field(min_length=1, max_length=200)
    id: str = Field(min_length=1, max_length=200)
    href: str | None = Field(default=None, max_length=2000)
    label: str | None = Field(default=None, max_length=500)


class LibraryPatch(Payload):
    tags: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=100)
    assignments: list[Assignment] | None = Field(default=None, max_length=200)


class Transfer(Payload):
    entity_id: str = Field(min_length=1, max_length=200)
    attachment_ids: list[str] = Field(min_length=1, max_length=500)
    from_record_id: str | None = Field(default=None, min_length=1, max_length=200)
    to_record_id: str = Field(min_length=1, max_length=200)
