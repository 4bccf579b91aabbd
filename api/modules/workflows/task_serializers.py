"""How user tasks look on the wire (docs/workflows.md, "User tasks"): camelCase, timestamps as ISO-8601 in UTC with
milliseconds, in the reference's field order. The engine answers claim and complete with the same shape."""

from __future__ import annotations

from typing import Any

from api.casing import js_iso
from api.modules.workflows.models import UserTask


def task_item(row: UserTask) -> dict[str, Any]:
    return {
        "id": row.id,
        "workflowInstanceId": row.workflow_instance_id,
        "stepInstanceId": row.step_instance_id,
        "branchInstanceId": row.branch_instance_id,
        "taskName": row.task_name,
        "description": row.description,
        "status": row.status,
        "formSchema": row.form_schema,
        "formData": row.form_data,
        "assignedTo": row.assigned_to,
        "assignedToRoles": row.assigned_to_roles,
        "claimedBy": row.claimed_by,
        "claimedAt": js_iso(row.claimed_at),
        "dueDate": js_iso(row.due_date),
        "escalatedAt": js_iso(row.escalated_at),
        "escalatedTo": row.escalated_to,
        "completedBy": row.completed_by,
        "completedAt": js_iso(row.completed_at),
        "comments": row.comments,
        "tenantId": row.tenant_id,
        "organizationId": row.organization_id,
        "createdAt": js_iso(row.created_at),
        "updatedAt": js_iso(row.updated_at),
    }
