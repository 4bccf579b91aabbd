"""Request bodies of the instance endpoints (docs/workflows.md, "Running instances").

They are definition-style models so `definitions.check_value` reports problems as the reference's zod
issues (`400 {"error": "Validation failed", "details": [...]}`), like the definition bodies themselves.
Unknown keys are ignored, as the reference's non-strict schemas do.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from definitions import Issue, check_value
from definitions.model import DefinitionModel

PositiveInt = Annotated[int, Field(gt=0)]


class StartMetadata(DefinitionModel):
    """What the instance is about and who started it."""

    entity_type: Annotated[str, Field(max_length=100)] | None = Field(default=None, description="Entity kind.")
    entity_id: Annotated[str, Field(max_length=255)] | None = Field(default=None, description="Entity id.")
    initiated_by: Annotated[str, Field(max_length=255)] | None = Field(
        default=None, description="Ignored: always the caller's user id.")
    labels: dict[str, str] | None = Field(default=None, description="Free labels.")


class StartInstance(DefinitionModel):
    """Body of `POST /workflows/instances`."""

    workflow_id: Annotated[str, Field(min_length=1)] = Field(description="workflowId of the definition.")
    version: PositiveInt | None = Field(default=None, description="Version; latest enabled when omitted.")
    correlation_key: str | None = Field(default=None, max_length=255, description="Key for signals by correlation.")
    initial_context: dict[str, Any] | None = Field(default=None, description="The instance's starting context.")
    metadata: StartMetadata | None = Field(default=None, description="Entity and labels.")


class ValidateStart(DefinitionModel):
    """Body of `POST /workflows/instances/validate-start`."""

    workflow_id: Annotated[str, Field(min_length=1)] = Field(description="workflowId of the definition.")
    version: PositiveInt | None = Field(default=None, description="Version; latest enabled when omitted.")
    context: dict[str, Any] | None = Field(default=None, description="The context the instance would start with.")
    locale: str | None = Field(default=None, description="Locale of the validation messages (default en).")


class AdvanceInstance(DefinitionModel):
    """Body of `POST /workflows/instances/{id}/advance`."""

    to_step_id: str | None = Field(default=None, description="Target step; the best valid transition if omitted.")
    trigger_data: dict[str, Any] | None = Field(default=None, description="Data handed to the transition.")
    context_updates: dict[str, Any] | None = Field(default=None, description="Merged into the context first.")


def problems(model: type[DefinitionModel], raw: Any) -> list[dict[str, Any]]:
    issues: list[Issue] = check_value(model, raw)
    return [issue.to_dict() for issue in issues]


def openapi_body(model: type[DefinitionModel]) -> dict[str, Any]:
    """`openapi_extra` for routes that read and validate their JSON body themselves."""
    schema = model.model_json_schema(by_alias=True)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
