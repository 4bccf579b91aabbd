"""The index job's side effects, as Temporal activities run by the worker: plan (count what there is to do),
one batch at a time (progress and heartbeat written to the job row), finish."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from temporalio import activity
from temporalio.exceptions import ApplicationError

from api.db import sessionmaker, utcnow
from api.modules.query_index import store
from api.modules.query_index.models import IndexEntry, IndexJob
from api.modules.query_index.text import build

BATCH_SIZE = 500
VECTOR_BATCH_SIZE = 64
RUNNING = {"reindex": "reindexing", "purge": "purging", "vectorize": "vectorizing"}


async def _job(session: Any, job_id: str) -> IndexJob:
    job = await session.get(IndexJob, job_id)
    if job is None:
        # Not committed yet (or never): retried by the workflow's plan policy.
        raise ApplicationError(f"Index job {job_id} not found")
    return job  # type: ignore[no-any-return]


@activity.defn(name="query_index.plan_job")
async def plan_job(job_id: str) -> list[str]:
    async with sessionmaker()() as session:
        job = await _job(session, job_id)
        if job.status in ("cancelled", "completed", "failed"):
            return []
        types = [job.entity_type] if job.entity_type else sorted(store.searchables())
        known = store.searchables()
        types = [t for t in types if t in known]
        total = 0
        for t in types:
            if job.kind == "reindex":
                total += await store.base_count(session, known[t], job.tenant_id or "", None)
            else:
                total += int((await session.execute(
                    select(func.count()).select_from(IndexEntry)
                    .where(IndexEntry.tenant_id == job.tenant_id, IndexEntry.entity_type == t))).scalar_one())
        job.status, job.total_count, job.heartbeat_at = RUNNING[job.kind], total, utcnow()
        await session.commit()
        return types


async def _reindex_batch(session: Any, job: IndexJob, entity_type: str, after: str) -> tuple[int, str | None]:
    s = store.searchable(entity_type)
    model: Any = s.model
    rows = (await session.execute(store.base_query(s, job.tenant_id or "").where(model.id > after)
                                  .order_by(model.id).limit(BATCH_SIZE))).scalars().all()
    if rows:
        await store.upsert(session, [build(s, r) for r in rows])
        return len(rows), str(rows[-1].id)
    # Done: entries indexed before this job started belong to records that are gone.
    stale = (await session.execute(select(IndexEntry.record_id).where(
        IndexEntry.tenant_id == job.tenant_id, IndexEntry.entity_type == entity_type,
        IndexEntry.indexed_at < job.started_at))).scalars().all()
    for record_id in stale:
        await store.remove(session, entity_type, record_id)
    return 0, None


async def _vectorize_batch(session: Any, job: IndexJob, entity_type: str, after: str) -> tuple[int, str | None]:
    from api.modules.search import embeddings

    entries = (await session.execute(select(IndexEntry).where(
        IndexEntry.tenant_id == job.tenant_id, IndexEntry.entity_type == entity_type, IndexEntry.id > after)
        .order_by(IndexEntry.id).limit(VECTOR_BATCH_SIZE))).scalars().all()
    if not entries:
        return 0, None
    try:
        await embeddings.embed_entries(session, job.tenant_id or "", list(entries))
    except embeddings.NotConfigured as exc:
        raise ApplicationError(str(exc), non_retryable=True) from exc
    return len(entries), str(entries[-1].id)


@activity.defn(name="query_index.run_batch")
async def run_batch(job_id: str, entity_type: str, after: str) -> dict[str, Any]:
    async with sessionmaker()() as session:
        job = await _job(session, job_id)
        if job.status == "cancelled":
            return {"done": True, "processed": 0}
        if job.kind == "purge":
            if job.source == "vector":
                await session.execute(update(IndexEntry).where(
                    IndexEntry.tenant_id == job.tenant_id, IndexEntry.entity_type == entity_type)
                    .values(embedding=None, embedding_model=None, vectorized_at=None))
                count = 0
            else:
                count = await store.purge(session, tenant_id=job.tenant_id or "", entity_types=[entity_type])
            processed, last = count, None
        elif job.kind == "vectorize":
            processed, last = await _vectorize_batch(session, job, entity_type, after)
        else:
            processed, last = await _reindex_batch(session, job, entity_type, after)
        job.processed_count = (job.processed_count or 0) + processed
        job.heartbeat_at = utcnow()
        await session.commit()
    activity.heartbeat(processed)
    return {"done": last is None, "after": last, "processed": processed}


@activity.defn(name="query_index.finish_job")
async def finish_job(job_id: str, status: str, error: str | None) -> None:
    async with sessionmaker()() as session:
        job = await session.get(IndexJob, job_id)
        if job is None:
            return
        job.status, job.error, job.finished_at = status, error, job.finished_at or utcnow()
        what = f"{job.kind} of {job.entity_type or 'all entities'}"
        await store.log_status(session, source=job.source, handler=f"worker:{job.source}.{job.kind}",
                               message=f"{what.capitalize()} {status} ({job.processed_count} records)",
                               tenant_id=job.tenant_id, organization_id=job.organization_id,
                               entity_type=job.entity_type, level="warn" if status == "failed" else "info",
                               details={"jobId": job.id, "error": error} if error else {"jobId": job.id})
        if error:
            await store.log_error(session, source=job.source, handler=f"worker:{job.source}.{job.kind}",
                                  error=error, tenant_id=job.tenant_id, organization_id=job.organization_id,
                                  entity_type=job.entity_type, payload={"jobId": job.id})
        await session.commit()


ACTIVITIES = (plan_job, run_batch, finish_job)
