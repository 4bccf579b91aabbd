from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.crud import Payload

ChargeUnit = Literal["per_container", "per_piece", "one_time"]
# Uppercase letters and underscores (GFRT, GBAF_PIECE): the codes quotes and invoices print.
CODE_PATTERN = r"^[A-Z_]+$"


class FieldOption(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str
    label: str


class FieldSpec(BaseModel):
    """One type-specific field a product of the charge carries."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["string", "integer", "number", "boolean", "date"]
    required: StrictBool
    label: str
    description: str | None = None
    unit: str | None = None
    options: list[FieldOption] | None = None


class ChargeCodeFields(Payload):
    organization_id: str | None = None
    description: str | None = Field(default=None, max_length=1000)
    field_schema: dict[str, FieldSpec] | None = None
    is_active: StrictBool | None = None


class ChargeCodeCreate(ChargeCodeFields):
    code: str = Field(min_length=1, max_length=50, pattern=CODE_PATTERN)
    charge_unit: ChargeUnit


class ChargeCodeUpdate(ChargeCodeFields):
    id: str
    # A code is the charge's identity (imports and quotes match by it): it cannot change, but a grid
    # sending the whole row back with the same code is fine.
    code: str | None = None
    charge_unit: ChargeUnit | None = None
