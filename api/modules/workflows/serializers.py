"""How the workflows module's rows look on the wire (docs/workflows.md): camelCase, timestamps as
ISO-8601 in UTC with milliseconds (`2026-01-15T10:00:00.000Z`), as the reference's clients read them."""

from __future__ import annotations

from typing import Any

from api.casing import js_iso
from api.crud.fields import Fields
from api.modules.workflows.models import WorkflowDefinition, WorkflowEvent, WorkflowInstance
from definitions import ShippedWorkflow

CODE_PREFIX = "code:"


def definition_item(row: WorkflowDefinition, shipped: dict[str, ShippedWorkflow]) -> dict[str, Any]:
    code = shipped.get(row.code_workflow_id) if row.code_workflow_id else None
    return {
        "id": row.id,
        "workflowId": row.workflow_id,
        "workflowName": row.workflow_name,
        "description": row.description,
        "version": row.version,
        "definition": row.definition,
        "metadata": row.metadata_json,
        "enabled": row.enabled,
        "effectiveFrom": js_iso(row.effective_from),
        "effectiveTo": js_iso(row.effective_to),
        "tenantId": row.tenant_id,
        "organizationId": row.organization_id,
        "createdBy": row.created_by,
        "updatedBy": row.updated_by,
        "createdAt": js_iso(row.created_at),
        "updatedAt": js_iso(row.updated_at),
        "deletedAt": js_iso(row.deleted_at),
        "source": "code_override" if row.code_workflow_id else "user",
        "isCodeBased": bool(row.code_workflow_id),
        "codeModuleId": code.module_id if code is not None else None,
    }


def code_definition_item(workflow: ShippedWorkflow) -> dict[str, Any]:
    body = workflow.to_json()
    return {
        "id": CODE_PREFIX + workflow.workflow_id,
        "workflowId": workflow.workflow_id,
        "workflowName": body["workflowName"],
        "description": body.get("description"),
        "version": body.get("version", 1),
        "definition": body["definition"],
        "metadata": body.get("metadata"),
        "enabled": body.get("enabled", True),
        "effectiveFrom": None,
        "effectiveTo": None,
        "tenantId": None,
        "organizationId": None,
        "createdBy": None,
        "updatedBy": None,
        "createdAt": None,
        "updatedAt": None,
        "deletedAt": None,
        "source": "code",
        "isCodeBased": True,
        "codeModuleId": workflow.module_id,
    }


def instance_item(row: WorkflowInstance) -> dict[str, Any]:
    return {
        "id": row.id,
        "definitionId": row.definition_id,
        "workflowId": row.workflow_id,
        "version": row.version,
        "status": row.status,
        "currentStepId": row.current_step_id,
        "context": row.context,
        "correlationKey": row.correlation_key,
        "metadata": row.metadata_json,
        "startedAt": js_iso(row.started_at),
        "completedAt": js_iso(row.completed_at),
        "pausedAt": js_iso(row.paused_at),
        "cancelledAt": js_iso(row.cancelled_at),
        "errorMessage": row.error_message,
        "errorDetails": row.error_details,
        "pendingTransition": row.pending_transition,
        "activeForkStepId": row.active_fork_step_id,
        "retryCount": row.retry_count,
        "tenantId": row.tenant_id,
        "organizationId": row.organization_id,
        "createdAt": js_iso(row.created_at),
        "updatedAt": js_iso(row.updated_at),
        "deletedAt": js_iso(row.deleted_at),
    }


_EVENT = ("workflow_instance_id", "step_instance_id", "event_type", "event_data", "occurred_at", "user_id")
EVENT_FIELDS = Fields(*_EVENT, "tenant_id", "organization_id", timestamps="js")
LOG_FIELDS = Fields(*_EVENT, timestamps="js")


def _event(row: WorkflowEvent, fields: Fields) -> dict[str, Any]:
    # Ids are bigints, sent as strings as the reference does.
    return {"id": str(row.id), **fields(row)}


def event_item(row: WorkflowEvent) -> dict[str, Any]:
    """An entry of `GET /instances/{id}/events`."""
    return {**_event(row, EVENT_FIELDS), "branchInstanceId": row.branch_instance_id}


def log_item(row: WorkflowEvent, instance: WorkflowInstance | None, workflow_name: str | None) -> dict[str, Any]:
    """An entry of the global `GET /events` log."""
    return {
        **_event(row, LOG_FIELDS),
        "workflowInstance": None if instance is None else {
            "id": instance.id,
            "workflowId": instance.workflow_id,
            "workflowName": workflow_name or instance.workflow_id,
            "status": instance.status,
        },
    }


def event_detail(row: WorkflowEvent, instance: WorkflowInstance | None) -> dict[str, Any]:
    """`GET /events/{id}`: not wrapped in `data`."""
    return {
        **_event(row, EVENT_FIELDS),
        "workflowInstance": None if instance is None else {
            "id": instance.id,
            "workflowId": instance.workflow_id,
            "version": instance.version,
            "status": instance.status,
            "currentStepId": instance.current_step_id,
            "correlationKey": instance.correlation_key,
            "startedAt": js_iso(instance.started_at),
            "completedAt": js_iso(instance.completed_at),
            "context": instance.context,
        },
    }
