"""Request bodies of the user-task and signal endpoints (docs/workflows.md, "User tasks" and "Signals").

Definition-style models, like `schemas.py`, so problems are reported as the reference's zod issues; the
routes answer them with `400 {"error": "Invalid request body", "details": [...]}`. Unknown keys are ignored.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from definitions.model import DefinitionModel, Messages

SignalName = Annotated[str, Field(min_length=1), Messages(min="Signal name required")]


class CompleteTask(DefinitionModel):
    """Body of `POST /workflows/tasks/{id}/complete`."""

    form_data: dict[str, Any] = Field(description="The answers, checked against the task's formSchema and "
                                                  "merged into the instance context.")
    comments: str | None = Field(default=None, description="Free text kept on the task.")


class SendSignal(DefinitionModel):
    """Body of `POST /workflows/instances/{id}/signal`."""

    signal_name: SignalName = Field(description="Must match the signal the instance waits for.")
    payload: dict[str, Any] | None = Field(default=None, description="Merged into the instance context.")


class SendSignalByKey(DefinitionModel):
    """Body of `POST /workflows/signals`."""

    correlation_key: Annotated[str, Field(min_length=1, max_length=255),
                               Messages(min="Correlation key required")] = Field(
        description="Every waiting instance started with this correlationKey gets the signal.")
    signal_name: SignalName = Field(description="Must match the signal the instances wait for.")
    payload: dict[str, Any] | None = Field(default=None, description="Merged into each instance's context.")
