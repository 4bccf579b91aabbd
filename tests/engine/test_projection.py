"""The `project` activity against the test database: one transaction, idempotent on retry."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from activities.projection import project
from api.db import sessionmaker
from api.modules.workflows.models import StepInstance, WorkflowEvent, WorkflowInstance
from engine.contract import ProjectionBatch


def _step_id(instance_id: str) -> str:
    # Ids are 36-character UUIDs; PostgreSQL enforces the column length that SQLite ignores.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, instance_id))


def _batch(instance_id: str, seq: int, *, status: str, events: list[str], step_status: str) -> ProjectionBatch:
    at = "2026-01-01T00:00:00+00:00"
    instance = {
        "id": instance_id, "definition_id": "d", "workflow_id": "qa.flow", "version": 1, "status": status,
        "current_step_id": "end", "context": {"n": seq}, "correlation_key": None, "metadata_json": None,
        "started_at": at, "completed_at": None, "paused_at": None, "cancelled_at": None, "error_message": None,
        "error_details": None, "pending_transition": None, "active_fork_step_id": None, "retry_count": 0,
        "tenant_id": "t", "organization_id": "o",
    }
    step = {"id": _step_id(instance_id), "workflow_instance_id": instance_id, "branch_instance_id": None,
            "step_id": "end", "step_name": "End", "step_type": "END", "status": step_status, "input_data": None,
            "output_data": None, "error_data": None, "entered_at": at, "exited_at": None, "execution_time_ms": None,
            "retry_count": 0, "tenant_id": "t", "organization_id": "o"}
    return ProjectionBatch(
        tenant_id="t", organization_id="o", instance_id=instance_id, seq=seq, instance=instance, steps=[step],
        events=[{"event_key": f"{instance_id}:{key}", "event_type": key, "event_data": {}, "occurred_at": at,
                 "user_id": None, "step_instance_id": None, "branch_instance_id": None} for key in events])


async def _read(instance_id: str) -> dict[str, Any]:
    async with sessionmaker()() as session:
        row = await session.get(WorkflowInstance, instance_id)
        step = await session.get(StepInstance, _step_id(instance_id))
        events = (await session.scalars(select(WorkflowEvent.event_type).where(
            WorkflowEvent.workflow_instance_id == instance_id).order_by(WorkflowEvent.id))).all()
        count = await session.scalar(select(func.count()).select_from(WorkflowEvent).where(
            WorkflowEvent.workflow_instance_id == instance_id))
    assert row is not None and step is not None
    return {"status": row.status, "seq": row.projection_seq, "context": row.context, "step": step.status,
            "events": list(events), "count": count, "started_at": row.started_at}


async def test_batches_upsert_and_replays_change_nothing(app: FastAPI) -> None:
    instance_id = str(uuid.uuid4())
    first = _batch(instance_id, 1, status="RUNNING", events=["STEP_ENTERED"], step_status="ACTIVE")
    second = _batch(instance_id, 2, status="COMPLETED", events=["STEP_EXITED", "WORKFLOW_COMPLETED"],
                    step_status="COMPLETED")
    await project(first)
    await project(second)
    expected = {"status": "COMPLETED", "seq": 2, "context": {"n": 2}, "step": "COMPLETED",
                "events": ["STEP_ENTERED", "STEP_EXITED", "WORKFLOW_COMPLETED"], "count": 3}
    state = await _read(instance_id)
    assert {k: v for k, v in state.items() if k != "started_at"} == expected
    assert state["started_at"].tzinfo is not None
    # A retried write (same batch) and a late one (older seq) leave the projection as it is.
    await project(second)
    await project(first)
    state = await _read(instance_id)
    assert {k: v for k, v in state.items() if k != "started_at"} == expected
