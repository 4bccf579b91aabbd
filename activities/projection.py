"""`project`: writes a running instance's SQL projection (spec workflows.md §2) for the API to read.

The workflow calls it as a local activity with everything that changed since its last call, and it is
applied in one transaction. Retries are harmless: rows are upserted by the ids the workflow generated,
events whose `event_key` exists are skipped, and an instance write older than the row's
`projection_seq` is ignored.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import DateTime
from temporalio import activity

from api.db import Base, sessionmaker
from api.modules.workflows.models import (
    StepInstance,
    UserTask,
    WorkflowBranchInstance,
    WorkflowEvent,
    WorkflowInstance,
)
from engine.contract import ACTIVITY_PROJECT, ProjectionBatch


@cache
def _datetime_attributes(model: type[Base]) -> frozenset[str]:
    def is_datetime(column_type: Any) -> bool:
        return isinstance(getattr(column_type, "impl", column_type), DateTime)

    return frozenset(attr.key for attr in inspect(model).column_attrs if is_datetime(attr.columns[0].type))


def _values(model: type[Base], row: dict[str, Any]) -> dict[str, Any]:
    """The row with its ISO timestamps parsed (the workflow sends JSON-safe values only)."""
    dates = _datetime_attributes(model)
    return {key: datetime.fromisoformat(value) if key in dates and isinstance(value, str) else value
            for key, value in row.items()}


async def _upsert(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    id_column = model.__table__.c.id  # type: ignore[attr-defined]
    found = (await session.scalars(select(model).where(id_column.in_([r["id"] for r in rows])))).all()
    existing: dict[str, Any] = {getattr(row, "id"): row for row in found}  # noqa: B009 - Base declares no id
    for raw in rows:
        values = _values(model, raw)
        current = existing.get(values["id"])
        if current is None:
            current = model(**values)
            session.add(current)
            existing[values["id"]] = current
        else:
            for key, value in values.items():
                setattr(current, key, value)


async def _instance(session: AsyncSession, batch: ProjectionBatch) -> bool:
    """Write the instance row; False when a newer batch already landed (this one is a late retry)."""
    row = (await session.scalars(select(WorkflowInstance).where(WorkflowInstance.id == batch.instance_id)
                                 .with_for_update())).first()
    if row is not None and (row.projection_seq or 0) > batch.seq:
        return False
    if batch.instance is None:
        return True
    values = _values(WorkflowInstance, batch.instance)
    if row is None:
        session.add(WorkflowInstance(**values, projection_seq=batch.seq))
        return True
    for key, value in values.items():
        setattr(row, key, value)
    row.projection_seq = batch.seq
    return True


async def _events(session: AsyncSession, batch: ProjectionBatch) -> None:
    if not batch.events:
        return
    keys = [event["event_key"] for event in batch.events]
    seen = set((await session.scalars(select(WorkflowEvent.event_key).where(WorkflowEvent.event_key.in_(keys)))).all())
    for event in batch.events:
        if event["event_key"] in seen:
            continue
        seen.add(event["event_key"])
        session.add(WorkflowEvent(**_values(WorkflowEvent, event), workflow_instance_id=batch.instance_id,
                                  tenant_id=batch.tenant_id, organization_id=batch.organization_id))


async def apply(session: AsyncSession, batch: ProjectionBatch) -> None:
    """Apply one batch in `session` (the caller commits). A late batch only adds the events it has that
    are missing; rows it carries are older than what is stored. Events are added in batch order, so
    their ids keep the order they happened in when timestamps tie."""
    if await _instance(session, batch):
        await _upsert(session, StepInstance, batch.steps)
        await _upsert(session, WorkflowBranchInstance, batch.branches)
        await _upsert(session, UserTask, batch.tasks)
    await _events(session, batch)


@activity.defn(name=ACTIVITY_PROJECT)
async def project(batch: ProjectionBatch) -> None:
    async with sessionmaker()() as session, session.begin():
        await apply(session, batch)
