"""Typed views of the free-form `config` objects of steps and activities.

A step's or activity's `config` is stored as posted (any JSON object); its keys depend on the type.
These models document them for the JSON Schema (editor completion) and let the engine and the activities
read a config with types: ``check_value(CallWebhookConfig, config)`` gives the reference's run-time
issues, ``CallWebhookConfig.model_validate(config)`` the typed object. Unknown keys are kept, so configs
such as TC-WF-002's EMIT_EVENT with `eventType` survive untouched.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from definitions.model import ActivityType, DefinitionModel, Messages, StepType

__all__ = [
    "ACTIVITY_CONFIGS", "STEP_CONFIGS", "CallApiConfig", "CallWebhookConfig", "EmitEventConfig",
    "ExecuteFunctionConfig", "ForkConfig", "JoinConfig", "SendEmailConfig", "SubWorkflowStepConfig",
    "TimerConfig", "UpdateEntityConfig", "WaitConfig",
]

_DURATION_OR_TEMPLATE = "An ISO 8601 (`PT5M`, `P1D`) or short (`5m`, `3d`) duration, or a `{{...}}` placeholder."
_UNTIL = "An ISO 8601 datetime in the future, or a `{{...}}` placeholder."


class TimerConfig(DefinitionModel):
    """WAIT_FOR_TIMER: wait for `duration` or until `until` (exactly one of them)."""

    duration: str | None = Field(default=None, description=_DURATION_OR_TEMPLATE)
    until: str | None = Field(default=None, description=_UNTIL)


class ForkConfig(DefinitionModel):
    """PARALLEL_FORK: every outgoing auto transition starts a branch; branches meet at the join."""

    join_step_id: str | None = Field(default=None, description="stepId of the paired PARALLEL_JOIN.")


class JoinConfig(DefinitionModel):
    """PARALLEL_JOIN: waits for every branch; their contexts land in `context.branches.<transitionId>`."""

    fork_step_id: str | None = Field(default=None, description="stepId of the paired PARALLEL_FORK.")
    output_mapping: dict[str, str] | None = Field(
        default=None, description="Context key → dot path evaluated on the joined context.")


class SubWorkflowStepConfig(DefinitionModel):
    """SUB_WORKFLOW: runs another workflow as a child instance."""

    sub_workflow_id: str | None = Field(default=None, description="workflowId of the child workflow.")
    version: int | None = Field(default=None, description="Child version; latest enabled when omitted.")
    input_mapping: dict[str, str] | None = Field(
        default=None, description="Child context key → dot path in the parent context.")
    output_mapping: dict[str, str] | None = Field(
        default=None, description="Parent context key → dot path in the child's final context.")


class SendEmailConfig(DefinitionModel):
    """SEND_EMAIL: `to` and `subject` are required when it runs."""

    to: str | list[str] | None = Field(default=None, description="Recipient address(es).")
    subject: str | None = Field(default=None, description="Subject line.")
    template: str | None = Field(default=None, description="Template name.")
    template_data: dict[str, Any] | None = Field(default=None, description="Values for the template.")
    body: str | None = Field(default=None, description="Plain body when no template is used.")


class CallApiConfig(DefinitionModel):
    """CALL_API: calls this application's own `/api/*` with the initiator's roles."""

    endpoint: str | None = Field(default=None, description="Path starting with /api/ (required).")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] | None = Field(
        default=None, description="HTTP method; GET when omitted.")
    headers: dict[str, str] | None = Field(default=None, description="Extra request headers.")
    body: Any = Field(default=None, description="JSON body.")
    validate_tenant_match: bool | None = Field(
        default=None, description="Fail when the response's tenantId is another tenant's (default true).")


class CallWebhookConfig(DefinitionModel):
    """CALL_WEBHOOK: an external HTTP call; private and loopback addresses are refused."""

    url: Annotated[str, Field(min_length=1), Messages(min="Webhook URL is required")] = Field(
        description="http(s) URL.")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(default="POST", description="HTTP method.")
    headers: dict[str, str] | None = Field(default=None, description="Request headers.")
    body: Any = Field(default=None, description="JSON body.")


class UpdateEntityConfig(DefinitionModel):
    """UPDATE_ENTITY: runs an allow-listed command (e.g. `sales.orders.update`) as the initiator."""

    command_id: str | None = Field(default=None, description="Command id (required).")
    input: dict[str, Any] | None = Field(default=None, description="Command input (required).")
    status_dictionary: str | None = Field(
        default=None, description="Dictionary used to resolve `input.statusValue` into `input.statusEntryId`.")


class EmitEventConfig(DefinitionModel):
    """EMIT_EVENT: publishes a domain event."""

    event_name: str | None = Field(default=None, description="Event name (required).")
    payload: dict[str, Any] | None = Field(default=None, description="Event payload.")


class ExecuteFunctionConfig(DefinitionModel):
    """EXECUTE_FUNCTION: calls a registered Python function."""

    function_name: str | None = Field(default=None, description="Registered function name (required).")
    args: dict[str, Any] | None = Field(default=None, description="Arguments passed to the function.")


class WaitConfig(DefinitionModel):
    """WAIT: pause for `duration` or until `until` (exactly one of them)."""

    duration: str | None = Field(default=None, description=_DURATION_OR_TEMPLATE)
    until: str | None = Field(default=None, description=_UNTIL)


STEP_CONFIGS: dict[StepType, type[DefinitionModel]] = {
    "WAIT_FOR_TIMER": TimerConfig,
    "PARALLEL_FORK": ForkConfig,
    "PARALLEL_JOIN": JoinConfig,
    "SUB_WORKFLOW": SubWorkflowStepConfig,
}

ACTIVITY_CONFIGS: dict[ActivityType, type[DefinitionModel]] = {
    "SEND_EMAIL": SendEmailConfig,
    "CALL_API": CallApiConfig,
    "CALL_WEBHOOK": CallWebhookConfig,
    "UPDATE_ENTITY": UpdateEntityConfig,
    "EMIT_EVENT": EmitEventConfig,
    "EXECUTE_FUNCTION": ExecuteFunctionConfig,
    "WAIT": WaitConfig,
}
