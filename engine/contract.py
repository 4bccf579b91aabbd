"""What the API and the worker agree on about a running instance: the workflow type, its input,
and the Updates and queries people and systems use. Plain dataclasses (Temporal's default
converter serializes them), no behaviour.

A running instance is one `DefinitionWorkflow` execution with workflow id == instance id, on the
task queue from settings. The API writes the instance row (status RUNNING, at the START step)
before starting it; from then on only the workflow's projection writes the instance's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WORKFLOW_TYPE = "DefinitionWorkflow"

# Updates: the validator refuses what is not allowed (ApplicationError whose `type` is one of the
# codes below), the handler applies it and returns once the instance reached its next resting
# point and projected it, so the HTTP answer shows the new state.
UPDATE_ADVANCE = "advance"
UPDATE_CANCEL = "cancel"
UPDATE_RETRY = "retry"
UPDATE_COMPLETE_TASK = "complete_task"
UPDATE_SIGNAL = "signal"
QUERY_STATE = "state"

# Stable error types (ApplicationError.type) → the API's status codes.
ERROR_STATUS: dict[str, int] = {
    "INSTANCE_NOT_FOUND": 404,
    "TASK_NOT_FOUND": 404,
    "WORKFLOW_COMPLETED": 400,
    "WORKFLOW_CANCELLED": 400,
    "WORKFLOW_FAILED": 400,
    "NO_VALID_TRANSITIONS": 400,
    "NO_VALID_TRANSITION_TO_STEP": 400,
    "TRANSITION_FAILED": 400,
    "CANNOT_CANCEL": 400,
    "CANNOT_RETRY": 400,
    "WORKFLOW_NOT_PAUSED": 409,
    "NOT_WAITING_FOR_SIGNAL": 409,
    "SIGNAL_NAME_MISMATCH": 400,
    "NO_BRANCH_AWAITING_SIGNAL": 409,
    "FORM_VALIDATION_FAILED": 400,
    "TASK_ALREADY_COMPLETED": 404,
}


@dataclass
class StartInput:
    instance_id: str
    tenant_id: str
    organization_id: str
    definition_id: str
    workflow_id: str
    version: int
    # The definition JSON pinned at start: editing the definition never changes this instance.
    definition: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict)
    correlation_key: str | None = None
    metadata: dict[str, Any] | None = None
    user_id: str | None = None
    # Set for SUB_WORKFLOW children: the parent's instance id and step.
    parent_instance_id: str | None = None
    parent_step_id: str | None = None


@dataclass
class Actor:
    user_id: str | None = None
    roles: list[str] = field(default_factory=list)
    can_manage: bool = False


@dataclass
class AdvanceInput:
    actor: Actor
    to_step_id: str | None = None
    trigger_data: dict[str, Any] | None = None
    context_updates: dict[str, Any] | None = None


@dataclass
class CompleteTaskInput:
    actor: Actor
    task_id: str
    form_data: dict[str, Any] = field(default_factory=dict)
    comments: str | None = None


@dataclass
class SignalInput:
    actor: Actor
    signal_name: str
    payload: dict[str, Any] | None = None


@dataclass
class UpdateResult:
    """The instance as the update left it (camelCase, as the API serializes instances), plus the
    reference's extra fields for the call (e.g. previousStepId, transitionFired, execution)."""

    instance: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
