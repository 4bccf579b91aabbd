"""Query Index: coverage per searchable entity (base rows against indexed documents), the latest job, recent
errors and log lines; reindex and purge as index jobs (Temporal workflows)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext, requires
from api.crud.answers import OK, json_answer, many, shape
from api.crud.routes import read_json
from api.deps import SessionDep
from api.errors import BadRequest, Forbidden
from api.modules.query_index import service, store
from api.modules.query_index.models import IndexEntry, IndexerErrorLog, IndexerStatusLog, IndexJob

router = APIRouter(tags=["Query Index"])
STATUS_VIEW, REINDEX, PURGE = "query_index.status.view", "query_index.reindex", "query_index.purge"
Viewing = Annotated[AuthContext, Depends(requires(STATUS_VIEW))]
Reindexing = Annotated[AuthContext, Depends(requires(REINDEX))]
Purging = Annotated[AuthContext, Depends(requires(PURGE))]


async def _entity_type(request: Request) -> str:
    body = await read_json(request, empty={})
    value = body.get("entityType") if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("Missing entityType")
    return store.searchable(value.strip()).entity


async def _counts(session: AsyncSession, tenant_id: str, orgs: list[str] | None) -> dict[str, tuple[int, int]]:
    stmt = select(IndexEntry.entity_type, func.count(), func.count(IndexEntry.embedding)).where(
        IndexEntry.tenant_id == tenant_id)
    if orgs is not None:
        stmt = stmt.where(IndexEntry.organization_id.in_(orgs))
    rows = (await session.execute(stmt.group_by(IndexEntry.entity_type))).all()
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


async def _latest_jobs(session: AsyncSession, tenant_id: str) -> dict[str | None, IndexJob]:
    jobs = (await session.execute(select(IndexJob).where(
        IndexJob.tenant_id == tenant_id, IndexJob.source == "query_index")
        .order_by(IndexJob.started_at.desc()).limit(200))).scalars().all()
    latest: dict[str | None, IndexJob] = {}
    for job in jobs:
        latest.setdefault(job.entity_type, job)
    return latest


def _log_scope(model: Any, tenant_id: str, orgs: list[str] | None) -> list[Any]:
    conds = [or_(model.tenant_id == tenant_id, model.tenant_id.is_(None))]
    if orgs is not None:
        conds.append(or_(model.organization_id.is_(None), model.organization_id.in_(orgs)))
    return conds


@router.get("/query_index/status", summary="Inspect query index coverage",
            description="Returns entity counts comparing base tables with the query index along with the latest "
                        "job status. Requires features: query_index.status.view",
            responses=json_answer(shape(
                items=many(shape(entityId="string", label="string", baseCount="integer", indexCount="integer",
                                 vectorCount="integer?", vectorEnabled="boolean", fulltextCount="integer",
                                 fulltextEnabled="boolean", ok="boolean", job="any")),
                errors=many(shape(id="string", message="string?", occurredAt="string?")),
                logs=many(shape(id="string", message="string?", occurredAt="string?")))))
async def status(session: SessionDep, ctx: Viewing) -> JSONResponse:
    tenant_id = ctx.require_tenant()
    orgs = ctx.org_scope
    if orgs is not None and not orgs:
        raise Forbidden("Organization access denied")
    counts = await _counts(session, tenant_id, orgs)
    jobs = await _latest_jobs(session, tenant_id)
    items = []
    for entity, s in sorted(store.searchables().items()):
        base = await store.base_count(session, s, tenant_id, orgs)
        indexed, vectors = counts.get(entity, (0, 0))
        vector_enabled = vectors > 0
        ok = base == indexed and (not vector_enabled or vectors == base)
        job = jobs.get(entity) or jobs.get(None)
        items.append({"entityId": entity, "label": s.label or entity, "baseCount": base, "indexCount": indexed,
                      "vectorCount": vectors if vector_enabled else None, "vectorEnabled": vector_enabled,
                      "fulltextCount": indexed, "fulltextEnabled": True, "ok": ok,
                      "job": service.job_summary(job)})
    errors = (await session.execute(select(IndexerErrorLog).where(*_log_scope(IndexerErrorLog, tenant_id, orgs))
                                    .order_by(IndexerErrorLog.occurred_at.desc()).limit(100))).scalars().all()
    logs = (await session.execute(select(IndexerStatusLog).where(*_log_scope(IndexerStatusLog, tenant_id, orgs))
                                  .order_by(IndexerStatusLog.occurred_at.desc()).limit(100))).scalars().all()
    body = {
        "items": items,
        "errors": [{"id": e.id, "source": e.source, "handler": e.handler, "entityType": e.entity_type,
                    "recordId": e.record_id, "tenantId": e.tenant_id, "organizationId": e.organization_id,
                    "message": e.message, "stack": e.stack, "payload": e.payload,
                    "occurredAt": service.iso(e.occurred_at)} for e in errors],
        "logs": [{"id": g.id, "source": g.source, "handler": g.handler,
                  "level": "warn" if g.level == "warn" else "info", "entityType": g.entity_type,
                  "recordId": g.record_id, "tenantId": g.tenant_id, "organizationId": g.organization_id,
                  "message": g.message, "details": g.details, "occurredAt": service.iso(g.occurred_at)}
                 for g in logs],
    }
    response = JSONResponse(body)
    partial = next((i for i in items if i["baseCount"] != i["indexCount"]), None)
    if partial is not None:
        response.headers["x-om-partial-index"] = json.dumps({
            "type": "partial_index", "entity": partial["entityId"], "entityLabel": partial["label"],
            "baseCount": partial["baseCount"], "indexedCount": partial["indexCount"], "scope": ctx.selected_org_id})
    return response


@router.post("/query_index/reindex", summary="Trigger query index rebuild",
             description="Queues a reindex job for the specified entity type within the current tenant scope: every "
                         "live record is indexed again and entries of records that are gone are dropped. "
                         "Requires features: query_index.reindex",
             responses=json_answer(OK))
async def reindex(request: Request, session: SessionDep, ctx: Reindexing) -> dict[str, Any]:
    entity_type = await _entity_type(request)
    tenant_id = ctx.require_tenant()
    await store.log_status(session, source="query_index", handler="api:query_index.reindex",
                           message=f"Reindex requested for {entity_type}", entity_type=entity_type,
                           tenant_id=tenant_id, organization_id=ctx.write_org_id)
    await service.start_job(session, kind="reindex", source="query_index", tenant_id=tenant_id,
                            organization_id=ctx.write_org_id, entity_type=entity_type, exclusive=False)
    return {"ok": True}


@router.post("/query_index/purge", summary="Purge query index records",
             description="Queues a purge job to remove indexed records for an entity type within the active scope. "
                         "Requires features: query_index.purge",
             responses=json_answer(OK))
async def purge(request: Request, session: SessionDep, ctx: Purging) -> dict[str, Any]:
    entity_type = await _entity_type(request)
    tenant_id = ctx.require_tenant()
    await store.log_status(session, source="query_index", handler="api:query_index.purge",
                           message=f"Purge requested for {entity_type}", entity_type=entity_type,
                           tenant_id=tenant_id, organization_id=ctx.write_org_id)
    await service.start_job(session, kind="purge", source="query_index", tenant_id=tenant_id,
                            organization_id=ctx.write_org_id, entity_type=entity_type, exclusive=False)
    return {"ok": True}
