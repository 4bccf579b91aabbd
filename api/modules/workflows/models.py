"""The workflows module's tables. Definitions are written by the API; every
other table is the SQL projection of running Temporal workflows, written only by the worker's
projection activity, and read by the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, SoftDeleteMixin, TimestampMixin, utcnow


class _Scoped:
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    organization_id: Mapped[str] = mapped_column(String(36), index=True)


class WorkflowDefinition(IdMixin, TimestampMixin, SoftDeleteMixin, _Scoped, Base):
    __tablename__ = "workflow_definitions"
    # Unique per tenant (not organization), soft-deleted rows included, as in the reference.
    __table_args__ = (
        UniqueConstraint("workflow_id", "tenant_id", name="workflow_definitions_workflow_id_tenant_id_unique"),
    )

    workflow_id: Mapped[str] = mapped_column(String(100), index=True)
    code_workflow_id: Mapped[str | None] = mapped_column(String(100))
    workflow_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    definition: Mapped[dict[str, Any]] = mapped_column()
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata", default=None)
    enabled: Mapped[bool] = mapped_column(default=True, index=True)
    effective_from: Mapped[datetime | None] = mapped_column(default=None)
    effective_to: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str | None] = mapped_column(String(255))
    updated_by: Mapped[str | None] = mapped_column(String(255))


class WorkflowInstance(IdMixin, TimestampMixin, SoftDeleteMixin, _Scoped, Base):
    __tablename__ = "workflow_instances"
    __table_args__ = (
        Index("ix_workflow_instances_definition_status", "definition_id", "status"),
        Index("ix_workflow_instances_status_tenant", "status", "tenant_id"),
    )

    definition_id: Mapped[str] = mapped_column(String(36))
    workflow_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(30))
    current_step_id: Mapped[str | None] = mapped_column(String(100))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    correlation_key: Mapped[str | None] = mapped_column(String(255), index=True)
    metadata_json: Mapped[dict[str, Any] | None] = mapped_column("metadata", default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    pending_transition: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    active_fork_step_id: Mapped[str | None] = mapped_column(String(100))
    retry_count: Mapped[int] = mapped_column(Integer, default=0)
    # The projection's high-water mark: a write carrying an older sequence is a replayed retry.
    projection_seq: Mapped[int] = mapped_column(Integer, default=0)


class WorkflowBranchInstance(IdMixin, TimestampMixin, _Scoped, Base):
    __tablename__ = "workflow_branch_instances"

    workflow_instance_id: Mapped[str] = mapped_column(String(36), index=True)
    fork_step_id: Mapped[str] = mapped_column(String(100))
    join_step_id: Mapped[str | None] = mapped_column(String(100))
    branch_key: Mapped[str] = mapped_column(String(100))
    parent_branch_id: Mapped[str | None] = mapped_column(String(36))
    current_step_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30))
    context_namespace: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pending_transition: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class StepInstance(IdMixin, TimestampMixin, _Scoped, Base):
    __tablename__ = "step_instances"

    workflow_instance_id: Mapped[str] = mapped_column(String(36), index=True)
    branch_instance_id: Mapped[str | None] = mapped_column(String(36))
    step_id: Mapped[str] = mapped_column(String(100))
    step_name: Mapped[str | None] = mapped_column(String(255))
    step_type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30))
    input_data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    output_data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error_data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    exited_at: Mapped[datetime | None] = mapped_column(default=None)
    execution_time_ms: Mapped[int | None] = mapped_column(Integer)
    retry_count: Mapped[int] = mapped_column(Integer, default=0)


class UserTask(IdMixin, TimestampMixin, _Scoped, Base):
    __tablename__ = "user_tasks"
    __table_args__ = (
        Index("ix_user_tasks_status_assigned", "status", "assigned_to"),
        Index("ix_user_tasks_status_due", "status", "due_date"),
    )

    workflow_instance_id: Mapped[str] = mapped_column(String(36), index=True)
    step_instance_id: Mapped[str | None] = mapped_column(String(36))
    branch_instance_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30))
    form_schema: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    form_data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    assigned_to: Mapped[str | None] = mapped_column(String(255))
    assigned_to_roles: Mapped[list[Any] | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    due_date: Mapped[datetime | None] = mapped_column(default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    escalated_to: Mapped[str | None] = mapped_column(String(255))
    completed_by: Mapped[str | None] = mapped_column(String(255))
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    comments: Mapped[str | None] = mapped_column(Text)


class WorkflowEvent(_Scoped, Base):
    """Append-only. `event_key` makes a replayed projection write idempotent."""

    __tablename__ = "workflow_events"
    __table_args__ = (
        Index("ix_workflow_events_instance_occurred", "workflow_instance_id", "occurred_at"),
        Index("ix_workflow_events_type_occurred", "event_type", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(120), unique=True)
    workflow_instance_id: Mapped[str] = mapped_column(String(36))
    step_instance_id: Mapped[str | None] = mapped_column(String(36))
    branch_instance_id: Mapped[str | None] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(50))
    event_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[str | None] = mapped_column(String(255))
