"""The index's public surface for the API: start and cancel index jobs (Temporal workflows), summarize a
job for status views."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import temporal
from api.db import new_id, utcnow
from api.errors import ApiError, Conflict
from api.modules.query_index import store
from api.modules.query_index.models import IndexJob
from api.modules.query_index.workflow import IndexJobWorkflow

# A job whose worker has not written a heartbeat for this long is shown as stalled and no longer blocks a new one.
HEARTBEAT_STALE = timedelta(seconds=60)
ACTIVE = ("queued", "reindexing", "purging", "vectorizing")


class Unavailable(ApiError):
    status = 503


def is_stalled(job: IndexJob) -> bool:
    if job.finished_at is not None or job.status not in ACTIVE:
        return False
    last = job.heartbeat_at or job.started_at
    return bool(last is not None and utcnow() - last > HEARTBEAT_STALE)


def state(job: IndexJob) -> str:
    if job.finished_at is not None:
        return "completed" if job.status == "completed" else job.status
    return "stalled" if is_stalled(job) else job.status


async def active_job(session: AsyncSession, tenant_id: str, source: str) -> IndexJob | None:
    jobs = (await session.execute(
        select(IndexJob).where(IndexJob.tenant_id == tenant_id, IndexJob.source == source,
                               IndexJob.finished_at.is_(None), IndexJob.status.in_(ACTIVE))
        .order_by(IndexJob.started_at.desc()))).scalars().all()
    return next((j for j in jobs if not is_stalled(j)), None)


def lock_view(job: IndexJob) -> dict[str, Any]:
    started = job.started_at
    return {"type": job.source, "action": f"{job.kind}:{job.entity_type}" if job.entity_type else job.kind,
            "startedAt": started.isoformat().replace("+00:00", "Z"),
            "elapsedMinutes": round((utcnow() - started).total_seconds() / 60),
            "processedCount": job.processed_count, "totalCount": job.total_count}


async def start_job(session: AsyncSession, *, kind: str, source: str, tenant_id: str, organization_id: str | None,
                    entity_type: str | None, exclusive: bool = True) -> IndexJob:
    """Record the job and start its workflow. With `exclusive`, a running job of the same source is a 409."""
    if entity_type is not None:
        store.searchable(entity_type)
    if exclusive:
        running = await active_job(session, tenant_id, source)
        if running is not None:
            raise Conflict("A reindex operation is already in progress", extra={"lock": lock_view(running)})
    job = IndexJob(id=new_id(), kind=kind, source=source, tenant_id=tenant_id, organization_id=organization_id,
                   entity_type=entity_type, status="queued", started_at=utcnow(), heartbeat_at=utcnow())
    job.workflow_id = f"query-index-{job.id}"
    session.add(job)
    await session.flush()
    try:
        client = await temporal.get_client()
        await client.start_workflow(IndexJobWorkflow.run, job.id, id=job.workflow_id,
                                    task_queue=temporal.task_queue())
    except Exception as exc:  # noqa: BLE001 - any failure to reach Temporal is the same answer
        raise Unavailable("Index jobs are unavailable: the workflow service cannot be reached") from exc
    return job


async def cancel_jobs(session: AsyncSession, *, tenant_id: str, source: str) -> int:
    """Cancel the tenant's running jobs of `source`; returns how many were running."""
    jobs = (await session.execute(
        select(IndexJob).where(IndexJob.tenant_id == tenant_id, IndexJob.source == source,
                               IndexJob.finished_at.is_(None), IndexJob.status.in_(ACTIVE)))).scalars().all()
    for job in jobs:
        if job.workflow_id:
            try:
                client = await temporal.get_client()
                await client.get_workflow_handle(job.workflow_id).cancel()
            except Exception:  # noqa: BLE001, S110 - a finished or unknown workflow has nothing left to cancel
                pass
        job.status, job.finished_at = "cancelled", utcnow()
    return len(jobs)


def iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def job_summary(job: IndexJob | None) -> dict[str, Any]:
    if job is None:
        return {"status": "idle", "startedAt": None, "finishedAt": None, "heartbeatAt": None,
                "processedCount": None, "totalCount": None, "scope": None}
    current = state(job)
    running = current in ("reindexing", "purging", "vectorizing", "queued", "stalled")
    return {
        "status": ("reindexing" if current in ("queued", "vectorizing") else current) if running else "idle",
        "startedAt": iso(job.started_at), "finishedAt": iso(job.finished_at), "heartbeatAt": iso(job.heartbeat_at),
        "processedCount": job.processed_count, "totalCount": job.total_count,
        "scope": {"status": current, "processedCount": job.processed_count, "totalCount": job.total_count},
    }
