"""The state of one instance as the workflow holds it, and its two renderings: the API's camelCase
instance (updates, the `state` query) and the projection's rows (snake_case, the models' attributes).

Everything here is plain data, so a long-lived instance's state is carried to the next run when the workflow
continues as new (`carry`, `restore`; docs/workflows.md, "Long-lived instances").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio.converter import value_to_type

from engine.contract import StartInput
from jscompat import iso_string

# Instance statuses (docs/workflows.md, "Statuses").
RUNNING = "RUNNING"
PAUSED = "PAUSED"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"
COMPENSATING = "COMPENSATING"
COMPENSATED = "COMPENSATED"
WAITING_FOR_ACTIVITIES = "WAITING_FOR_ACTIVITIES"
FORKED = "FORKED"

# Statuses after which the workflow ends: nothing can act on the instance any more.
ENDED = frozenset({COMPLETED, CANCELLED, COMPENSATED})
# FORKED and WAITING_FOR_ACTIVITIES instances can be cancelled too; a FAILED one stays open, waiting for
# retry or cancel, for its retention period, so cancel ends it as well.
CANCELLABLE = frozenset({RUNNING, PAUSED, FORKED, WAITING_FOR_ACTIVITIES, FAILED})


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass
class StepRecord:
    """One `step_instances` row."""

    id: str
    step_id: str
    step_name: str | None
    step_type: str
    status: str
    entered_at: datetime
    input_data: Any = None
    output_data: Any = None
    error_data: Any = None
    exited_at: datetime | None = None
    execution_time_ms: int | None = None
    branch_instance_id: str | None = None

    def row(self, state: InstanceState) -> dict[str, Any]:
        return {
            "id": self.id,
            "workflow_instance_id": state.instance_id,
            "branch_instance_id": self.branch_instance_id,
            "step_id": self.step_id,
            "step_name": self.step_name,
            "step_type": self.step_type,
            "status": self.status,
            "input_data": self.input_data,
            "output_data": self.output_data,
            "error_data": self.error_data,
            "entered_at": iso(self.entered_at),
            "exited_at": iso(self.exited_at),
            "execution_time_ms": self.execution_time_ms,
            "retry_count": 0,
            "tenant_id": state.tenant_id,
            "organization_id": state.organization_id,
        }


# Branch statuses: a branch is ACTIVE where the instance would be RUNNING.
ACTIVE = "ACTIVE"
BRANCH_OPEN = frozenset({ACTIVE, PAUSED, WAITING_FOR_ACTIVITIES})
# Open task statuses: an ESCALATED task can still be completed (by its escalation target, among others).
TASK_OPEN = frozenset({"PENDING", "IN_PROGRESS", "ESCALATED"})


def js_iso(moment: datetime | None) -> str | None:
    """`Date.prototype.toISOString()`: how the API writes timestamps (milliseconds, `Z`)."""
    return None if moment is None else iso_string(moment)


@dataclass
class Wait:
    """What a resting token (the instance, or one parallel branch) waits for, and until when.

    kind: USER_TASK (task_id), WAIT_FOR_SIGNAL (signal_name), WAIT_FOR_TIMER (fire_at),
    SUB_WORKFLOW (child_id). `deadline` is a signal timeout or the step's own `timeout`;
    `timeout_text` the duration as written, for the events.
    """

    kind: str
    step_id: str
    step_instance_id: str
    task_id: str | None = None
    signal_name: str | None = None
    fire_at: datetime | None = None
    job_id: str | None = None
    child_id: str | None = None
    deadline: datetime | None = None
    timeout_text: str | None = None


@dataclass
class TaskRecord:
    """One `user_tasks` row; the workflow owns every column (claims arrive as Updates too)."""

    id: str
    step_id: str
    step_instance_id: str
    task_name: str
    created_at: datetime
    branch_instance_id: str | None = None
    description: str | None = None
    status: str = "PENDING"
    form_schema: Any = None
    form_data: Any = None
    assigned_to: str | None = None
    assigned_to_roles: list[str] | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    due_date: datetime | None = None
    escalated_at: datetime | None = None
    escalated_to: str | None = None
    completed_by: str | None = None
    completed_at: datetime | None = None
    comments: str | None = None
    updated_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in TASK_OPEN

    def row(self, state: InstanceState) -> dict[str, Any]:
        return {
            "id": self.id, "workflow_instance_id": state.instance_id, "step_instance_id": self.step_instance_id,
            "branch_instance_id": self.branch_instance_id, "task_name": self.task_name,
            "description": self.description, "status": self.status, "form_schema": self.form_schema,
            "form_data": self.form_data, "assigned_to": self.assigned_to,
            "assigned_to_roles": self.assigned_to_roles, "claimed_by": self.claimed_by,
            "claimed_at": iso(self.claimed_at), "due_date": iso(self.due_date),
            "escalated_at": iso(self.escalated_at), "escalated_to": self.escalated_to,
            "completed_by": self.completed_by, "completed_at": iso(self.completed_at), "comments": self.comments,
            "tenant_id": state.tenant_id, "organization_id": state.organization_id,
            "created_at": iso(self.created_at),
        }

    def api_view(self, state: InstanceState) -> dict[str, Any]:
        """The task as the API serializes it (camelCase, `toISOString()` timestamps)."""
        return {
            "id": self.id, "workflowInstanceId": state.instance_id, "stepInstanceId": self.step_instance_id,
            "branchInstanceId": self.branch_instance_id, "taskName": self.task_name,
            "description": self.description, "status": self.status, "formSchema": self.form_schema,
            "formData": self.form_data, "assignedTo": self.assigned_to, "assignedToRoles": self.assigned_to_roles,
            "claimedBy": self.claimed_by, "claimedAt": js_iso(self.claimed_at), "dueDate": js_iso(self.due_date),
            "escalatedAt": js_iso(self.escalated_at), "escalatedTo": self.escalated_to,
            "completedBy": self.completed_by, "completedAt": js_iso(self.completed_at), "comments": self.comments,
            "tenantId": state.tenant_id, "organizationId": state.organization_id,
            "createdAt": js_iso(self.created_at), "updatedAt": js_iso(self.updated_at or self.created_at),
        }


@dataclass
class BranchRecord:
    """One parallel token (`workflow_branch_instances`): its cursor and private context namespace."""

    id: str
    fork_step_id: str
    join_step_id: str | None
    branch_key: str
    current_step_id: str | None
    started_at: datetime
    status: str = ACTIVE
    namespace: dict[str, Any] = field(default_factory=dict)
    pending_transition: dict[str, Any] | None = None
    error_message: str | None = None
    error_details: Any = None
    completed_at: datetime | None = None
    wait: Wait | None = None

    def row(self, state: InstanceState) -> dict[str, Any]:
        return {
            "id": self.id, "workflow_instance_id": state.instance_id, "fork_step_id": self.fork_step_id,
            "join_step_id": self.join_step_id, "branch_key": self.branch_key, "parent_branch_id": None,
            "current_step_id": self.current_step_id, "status": self.status,
            "context_namespace": self.namespace, "pending_transition": self.pending_transition,
            "error_message": self.error_message, "error_details": self.error_details,
            "started_at": iso(self.started_at), "completed_at": iso(self.completed_at),
            "tenant_id": state.tenant_id, "organization_id": state.organization_id,
        }


@dataclass
class CompletedActivity:
    """An activity that succeeded, in completion order: what compensation undoes, newest first."""

    activity_id: str
    activity_name: str | None


@dataclass
class InstanceState:
    instance_id: str
    tenant_id: str
    organization_id: str
    definition_id: str
    workflow_id: str
    version: int
    status: str
    current_step_id: str | None
    context: dict[str, Any]
    started_at: datetime
    correlation_key: str | None = None
    metadata: dict[str, Any] | None = None
    completed_at: datetime | None = None
    paused_at: datetime | None = None
    cancelled_at: datetime | None = None
    error_message: str | None = None
    error_details: Any = None
    pending_transition: dict[str, Any] | None = None
    active_fork_step_id: str | None = None
    retry_count: int = 0
    # The user who started the instance; executions without a caller run as them.
    user_id: str | None = None
    completed_activities: list[CompletedActivity] = field(default_factory=list)
    # Numbers activity executions for their idempotency keys; never reset within a run. The counter keys the
    # executions of instances started before position keys (engine/_activities.py, `next_key`); `executions`
    # counts, per token and activity, the executions of those started since.
    activity_counter: int = 0
    executions: dict[str, int] = field(default_factory=dict)
    # Numbers guard evaluations (business rules run as pre- or post-conditions), for theirs.
    guard_counter: int = 0
    projection_seq: int = 0
    # What the instance itself rests on (None while running, forked, or at a step left by hand).
    wait: Wait | None = None
    # Steps entered and not yet left (a task, signal, timer or child is pending), by step instance id.
    open_steps: dict[str, StepRecord] = field(default_factory=dict)
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    # The branches of the open (or last) fork, in fork order.
    branches: list[BranchRecord] = field(default_factory=list)

    @property
    def initiated_by(self) -> str | None:
        value = (self.metadata or {}).get("initiatedBy")
        return value if isinstance(value, str) else None

    def api_view(self) -> dict[str, Any]:
        """The instance as the API serializes it, minus the row-only timestamps."""
        return {
            "id": self.instance_id,
            "definitionId": self.definition_id,
            "workflowId": self.workflow_id,
            "version": self.version,
            "status": self.status,
            "currentStepId": self.current_step_id,
            "context": self.context,
            "correlationKey": self.correlation_key,
            "metadata": self.metadata,
            "startedAt": iso(self.started_at),
            "completedAt": iso(self.completed_at),
            "pausedAt": iso(self.paused_at),
            "cancelledAt": iso(self.cancelled_at),
            "errorMessage": self.error_message,
            "errorDetails": self.error_details,
            "pendingTransition": self.pending_transition,
            "activeForkStepId": self.active_fork_step_id,
            "retryCount": self.retry_count,
            "tenantId": self.tenant_id,
            "organizationId": self.organization_id,
        }

    def row(self) -> dict[str, Any]:
        """The `workflow_instances` row (attribute names of the model)."""
        return {
            "id": self.instance_id,
            "definition_id": self.definition_id,
            "workflow_id": self.workflow_id,
            "version": self.version,
            "status": self.status,
            "current_step_id": self.current_step_id,
            "context": self.context,
            "correlation_key": self.correlation_key,
            "metadata_json": self.metadata,
            "started_at": iso(self.started_at),
            "completed_at": iso(self.completed_at),
            "paused_at": iso(self.paused_at),
            "cancelled_at": iso(self.cancelled_at),
            "error_message": self.error_message,
            "error_details": self.error_details,
            "pending_transition": self.pending_transition,
            "active_fork_step_id": self.active_fork_step_id,
            "retry_count": self.retry_count,
            "tenant_id": self.tenant_id,
            "organization_id": self.organization_id,
        }


def new_state(start: StartInput, *, now: datetime, start_step_id: str | None) -> InstanceState:
    """The state a run begins with: at the START step, or at `resume_step_id` for a resumed row."""
    started_at = datetime.fromisoformat(start.started_at) if start.started_at else now
    return InstanceState(
        instance_id=start.instance_id, tenant_id=start.tenant_id, organization_id=start.organization_id,
        definition_id=start.definition_id, workflow_id=start.workflow_id, version=start.version, status=RUNNING,
        current_step_id=start.resume_step_id or start_step_id, context=dict(start.context), started_at=started_at,
        correlation_key=start.correlation_key, metadata=start.metadata, retry_count=start.retry_count,
        user_id=start.user_id, projection_seq=start.projection_seq,
    )


def carry(state: InstanceState) -> dict[str, Any]:
    """The state as the next run's input (`StartInput.carried`): its fields, datetimes left for Temporal's
    converter to write as ISO 8601. Closed tasks stay behind (their rows are written): no run reads them again,
    a claim or completion of one is refused as of a task it does not know, with the same message, and an
    instance resting for years would otherwise carry every task it ever had into every run."""
    carried = dataclasses.asdict(state)
    carried["tasks"] = {task_id: row for task_id, row in carried["tasks"].items() if state.tasks[task_id].is_open}
    return carried


def restore(carried: dict[str, Any]) -> InstanceState:
    """The state `carry` wrote, as the previous run held it (the converter reads the nested records and
    datetimes back by the dataclasses' annotations)."""
    state: InstanceState = value_to_type(InstanceState, carried)
    return state
