"""Search: global search across the searchable entities, strategy settings, the embedding provider, index
listing and purge, and reindex jobs (Temporal workflows of the query index) with cancel."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext, requires
from api.crud.answers import json_answer, many, shape
from api.crud.routes import read_json, validate_model
from api.db import utcnow
from api.deps import SessionDep
from api.errors import BadRequest, Conflict
from api.modules.query_index import fulltext, service, store
from api.modules.query_index.models import IndexEntry
from api.modules.search import config, embeddings, strategies
from api.modules.search.strategies import Scope

router = APIRouter(tags=["Search"])
VIEW, MANAGE, REINDEX = "search.view", "search.manage", "search.reindex"
EMBED_VIEW, EMBED_MANAGE = "search.embeddings.view", "search.embeddings.manage"
Viewing = Annotated[AuthContext, Depends(requires(VIEW))]
Managing = Annotated[AuthContext, Depends(requires(MANAGE))]
Reindexing = Annotated[AuthContext, Depends(requires(REINDEX))]
EmbedViewing = Annotated[AuthContext, Depends(requires(EMBED_VIEW))]
EmbedManaging = Annotated[AuthContext, Depends(requires(EMBED_MANAGE))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class GlobalSearchSettings(_Strict):
    enabledStrategies: list[Literal["fulltext", "vector", "tokens"]] = Field(min_length=1)


class EmbeddingConfig(_Strict):
    providerId: Literal["openai", "google", "mistral", "cohere", "bedrock", "ollama"]
    model: str = Field(min_length=1, max_length=200)
    dimension: int = Field(gt=0, le=20000)
    outputDimensionality: int | None = Field(default=None, gt=0, le=20000)
    baseUrl: str | None = Field(default=None, max_length=500)


class EmbeddingsUpdate(_Strict):
    autoIndexingEnabled: bool | None = None
    embeddingConfig: EmbeddingConfig | None = None


class ReindexBody(_Strict):
    action: Literal["reindex", "clear", "recreate"] = "reindex"
    entityId: str | None = Field(default=None, max_length=100)
    useQueue: bool = True


class VectorReindexBody(_Strict):
    entityId: str | None = Field(default=None, max_length=100)
    purgeFirst: bool = False


def _limit(value: str | None, default: int, cap: int) -> int:
    try:
        parsed = int(value) if value else default
    except ValueError:
        return default
    return min(parsed, cap) if parsed > 0 else default


def _entity(value: str | None) -> str | None:
    return store.searchable(value).entity if value else None


def _scope_orgs(ctx: AuthContext) -> list[str] | None:
    return None if ctx.org_scope is None else list(ctx.org_scope)


# --- global search ----------------------------------------------------------------------------------------

@router.get("/search/search/global", summary="Global search",
            description="Searches every searchable entity of the caller's tenant (within the caller's "
                        "organizations) with the strategies the global-search settings enable, merged by rank. "
                        "`q` (required), `limit` (default 50, at most 100), `entityTypes` (comma list). "
                        "Requires features: search.view",
            responses=json_answer(shape(
                results=many(shape(entityId="string", recordId="string", score="number", source="string",
                                   presenter="object", url="string?", metadata="object")),
                strategiesUsed="array", strategiesEnabled="array", timing="integer", query="string", limit="integer")))
async def global_search(session: SessionDep, ctx: Viewing, q: str | None = None, limit: str | None = None,
                        entityTypes: str | None = None) -> JSONResponse:  # noqa: N803 - the reference's name
    query = (q or "").strip()
    if not query:
        raise BadRequest("Missing query")
    if len(query) > 500:
        raise BadRequest("Query is too long")
    tenant_id = ctx.require_tenant()
    size = _limit(limit, 50, 100)
    types = [t.strip() for t in (entityTypes or "").split(",") if t.strip()] or None
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        # A search only reads: statements without a transaction spare the BEGIN and COMMIT round trips,
        # half of a search's round trips on PostgreSQL (bench/search.py).
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    enabled = await config.strategies(session, tenant_id)
    started = time.perf_counter()
    scope = Scope(tenant_id=tenant_id, orgs=_scope_orgs(ctx), entity_types=types, limit=size)
    lists = []
    for strategy in enabled:
        try:
            lists.append(await strategies.RUNNERS[strategy](session, query, scope))
        except embeddings.ProviderError:
            # A provider that fails leaves the other strategies' results standing.
            lists.append([])
    merged = strategies.merge(lists)
    entries = await strategies.presenters(session, tenant_id, merged)
    labels = {s.entity: s.label or s.entity for s in store.searchables().values()}
    results = []
    for r in merged:
        entry = entries.get((r.entity_id, r.record_id))
        if entry is None:
            continue  # indexed by a strategy but no longer in the index
        presenter: dict[str, Any] = {"title": entry.title or r.record_id, "badge": labels.get(r.entity_id)}
        if entry.subtitle:
            presenter["subtitle"] = entry.subtitle
        results.append({"entityId": r.entity_id, "recordId": r.record_id, "score": round(r.score, 6),
                        "source": r.source, "presenter": presenter, "url": entry.url,
                        "metadata": {"sources": sorted(r.sources), "organizationId": entry.organization_id}})
        if len(results) >= size:
            break
    # A JSONResponse of plain JSON values: FastAPI would otherwise walk the whole answer again through
    # jsonable_encoder before rendering it, the same bytes at a cost on every search.
    return JSONResponse({"results": results, "strategiesUsed": sorted({r["source"] for r in results}),
                         "strategiesEnabled": enabled, "timing": round((time.perf_counter() - started) * 1000),
                         "query": query, "limit": size})


# --- settings ---------------------------------------------------------------------------------------------

async def _strategy_list(session: AsyncSession, tenant_id: str) -> list[dict[str, Any]]:
    vector_ok = await strategies.vector_available(session, tenant_id)
    return [{"id": sid, "name": name, "priority": priority, "available": sid != "vector" or vector_ok}
            for sid, (name, priority) in strategies.NAMES.items()]


async def _lock(session: AsyncSession, tenant_id: str, source: str) -> dict[str, Any] | None:
    job = await service.active_job(session, tenant_id, source)
    return service.lock_view(job) if job is not None else None


@router.get("/search/settings", summary="Search settings",
            description="The strategies and whether each is available, full-text index statistics, the strategies "
                        "global search uses and running reindex jobs. Requires features: search.view",
            responses=json_answer(shape(settings="object")))
async def settings_view(session: SessionDep, ctx: Viewing) -> dict[str, Any]:
    tenant_id = ctx.require_tenant()
    counts = await fulltext.counts(session, tenant_id)
    fulltext_lock = await _lock(session, tenant_id, "fulltext")
    vector_lock = await _lock(session, tenant_id, "vector")
    return {"settings": {
        "strategies": await _strategy_list(session, tenant_id),
        "fulltextConfigured": True,
        "fulltextStats": {"numberOfDocuments": sum(counts.values()), "isIndexing": fulltext_lock is not None,
                          "fieldDistribution": counts},
        "vectorConfigured": bool(embeddings.configured_providers()),
        "tokensEnabled": True,
        "defaultStrategies": await config.strategies(session, tenant_id),
        "reindexLock": fulltext_lock or vector_lock,
        "fulltextReindexLock": fulltext_lock,
        "vectorReindexLock": vector_lock,
    }}


@router.get("/search/settings/fulltext", summary="Full-text search configuration",
            description="Which database full-text engine serves the full-text strategy. Requires features: "
                        "search.view",
            responses=json_answer(shape(driver="string", configured="boolean")))
async def fulltext_settings(session: SessionDep, ctx: Viewing) -> dict[str, Any]:
    postgres = fulltext.dialect(session) == "postgresql"
    return {"driver": "postgresql" if postgres else "sqlite-fts5", "configured": True, "envVars": {},
            "optionalEnvVars": {},
            "description": "PostgreSQL tsvector with a GIN index" if postgres else
            "SQLite FTS5 index beside the database file"}


@router.get("/search/settings/vector-store", summary="Vector store configuration",
            description="Where embeddings are kept: in the query index of the application's own database. "
                        "Requires features: search.view",
            responses=json_answer(shape(currentDriver="string", configured="boolean", drivers="array")))
async def vector_store_settings(ctx: Viewing) -> dict[str, Any]:
    return {"currentDriver": "database", "configured": True, "drivers": [{
        "id": "database", "name": "Application database (query index)", "configured": True, "implemented": True,
        "envVars": [{"name": "STEPWISE_DATABASE_URL", "set": True, "hint": "The application's database"}]}]}


@router.get("/search/settings/global-search", summary="Global search strategies",
            description="The strategies global search uses. Requires features: search.view",
            responses=json_answer(shape(enabledStrategies=many({"type": "string"}))))
async def global_search_settings(session: SessionDep, ctx: Viewing) -> dict[str, Any]:
    return {"enabledStrategies": await config.strategies(session, ctx.require_tenant())}


@router.post("/search/settings/global-search", status_code=201, summary="Choose global search strategies",
             description="Saves `enabledStrategies` (at least one of `fulltext`, `vector`, `tokens`) for the "
                         "caller's tenant. Requires features: search.manage",
             responses=json_answer(shape(ok="true", enabledStrategies=many({"type": "string"})), 201))
async def save_global_search_settings(request: Request, session: SessionDep, ctx: Managing) -> dict[str, Any]:
    raw = await read_json(request)
    try:
        body = GlobalSearchSettings.model_validate(raw)
    except ValueError:
        raise BadRequest("Invalid strategies configuration") from None
    enabled = list(dict.fromkeys(body.enabledStrategies))
    await config.put(session, ctx.require_tenant(), config.GLOBAL_STRATEGIES, enabled)
    return {"ok": True, "enabledStrategies": enabled}


# --- embeddings -------------------------------------------------------------------------------------------

async def _indexed_dimension(session: AsyncSession, tenant_id: str) -> int | None:
    vector = (await session.execute(select(IndexEntry.embedding).where(
        IndexEntry.tenant_id == tenant_id, IndexEntry.embedding.is_not(None)).limit(1))).scalar()
    return len(vector) if isinstance(vector, list) else None


async def _embedding_settings(session: AsyncSession, tenant_id: str, *, reindex_required: bool | None = None,
                              ) -> dict[str, Any]:
    cfg = await config.embedding_config(session, tenant_id)
    indexed = await _indexed_dimension(session, tenant_id)
    documents = int((await session.execute(select(func.count()).select_from(IndexEntry).where(
        IndexEntry.tenant_id == tenant_id, IndexEntry.embedding.is_not(None)))).scalar_one())
    if reindex_required is None:
        reindex_required = bool(indexed and cfg and embeddings.effective_dimension(cfg) != indexed)
    return {"settings": {
        "openaiConfigured": "openai" in embeddings.configured_providers(),
        "autoIndexingEnabled": await config.auto_indexing(session, tenant_id),
        "autoIndexingLocked": False, "lockReason": None,
        "embeddingConfig": cfg, "configuredProviders": embeddings.configured_providers(),
        "indexedDimension": indexed, "reindexRequired": reindex_required, "documentCount": documents,
    }}


@router.get("/search/embeddings", summary="Embedding settings",
            description="The tenant's embedding provider, the providers this installation has keys for, "
                        "auto-indexing and the vector index's size. Requires features: search.embeddings.view",
            responses=json_answer(shape(settings="object")))
async def embeddings_view(session: SessionDep, ctx: EmbedViewing) -> dict[str, Any]:
    return await _embedding_settings(session, ctx.require_tenant())


@router.post("/search/embeddings", status_code=201, summary="Update embedding settings",
             description="`autoIndexingEnabled` and/or `embeddingConfig` `{providerId, model, dimension, "
                         "outputDimensionality?, baseUrl?}`. The provider must be configured on this installation. "
                         "A different model or dimension drops the stored vectors (a vector reindex builds them "
                         "again). Requires features: search.embeddings.manage",
             responses=json_answer(shape(settings="object"), 201))
async def embeddings_update(request: Request, session: SessionDep, ctx: EmbedManaging) -> dict[str, Any]:
    body = validate_model(EmbeddingsUpdate, await read_json(request))
    assert isinstance(body, EmbeddingsUpdate)
    tenant_id = ctx.require_tenant()
    reindex_required = False
    if body.embeddingConfig is not None:
        new = body.embeddingConfig
        info = embeddings.PROVIDERS[new.providerId]
        if new.providerId not in embeddings.configured_providers():
            raise BadRequest(f"Provider {info.name} is not configured. Set {info.setting}.")
        old = await config.embedding_config(session, tenant_id)
        cfg = {**new.model_dump(exclude_none=True), "updatedAt": service.iso(utcnow())}
        if old is None or embeddings.model_key(old) != embeddings.model_key(cfg):
            # Vectors of another model or size cannot be compared with the new ones.
            await session.execute(update(IndexEntry).where(IndexEntry.tenant_id == tenant_id)
                                  .values(embedding=None, embedding_model=None, vectorized_at=None))
            reindex_required = True
        await config.put(session, tenant_id, config.EMBEDDING, cfg)
    if body.autoIndexingEnabled is not None:
        await config.put(session, tenant_id, config.AUTO_INDEXING, body.autoIndexingEnabled)
    return await _embedding_settings(session, tenant_id, reindex_required=reindex_required)


@router.post("/search/embeddings/reindex", status_code=201, summary="Rebuild the vector index",
             description="Starts a job (a Temporal workflow) computing the embeddings of every indexed record (or "
                         "of `entityId`'s), optionally dropping the stored ones first (`purgeFirst`). 409 while "
                         "another vector job runs. Requires features: search.embeddings.manage",
             responses=json_answer(shape(ok="true", jobId="string"), 201))
async def embeddings_reindex(request: Request, session: SessionDep, ctx: EmbedManaging) -> dict[str, Any]:
    body = validate_model(VectorReindexBody, await read_json(request, empty={}))
    assert isinstance(body, VectorReindexBody)
    tenant_id = ctx.require_tenant()
    entity = _entity(body.entityId)
    try:
        embeddings.provider_for(await config.embedding_config(session, tenant_id))
    except embeddings.NotConfigured as exc:
        raise BadRequest(str(exc)) from None
    if body.purgeFirst:
        stmt = update(IndexEntry).where(IndexEntry.tenant_id == tenant_id)
        if entity:
            stmt = stmt.where(IndexEntry.entity_type == entity)
        await session.execute(stmt.values(embedding=None, embedding_model=None, vectorized_at=None))
    job = await service.start_job(session, kind="vectorize", source="vector", tenant_id=tenant_id,
                                  organization_id=ctx.write_org_id, entity_type=entity)
    await store.log_status(session, source="vector", handler="api:search.embeddings.reindex",
                           message=f"Vector reindex requested for {entity or 'all entities'}", entity_type=entity,
                           tenant_id=tenant_id, organization_id=ctx.write_org_id, details={"jobId": job.id})
    return {"ok": True, "jobId": job.id, "recordsIndexed": 0, "jobsEnqueued": 1,
            "entitiesProcessed": 1 if entity else len(store.searchables())}


@router.post("/search/embeddings/reindex/cancel", status_code=201, summary="Cancel the vector reindex",
             description="Cancels the tenant's running vector jobs. Requires features: search.embeddings.manage",
             responses=json_answer(shape(ok="true", jobsRemoved="integer"), 201))
async def embeddings_reindex_cancel(session: SessionDep, ctx: EmbedManaging) -> dict[str, Any]:
    tenant_id = ctx.require_tenant()
    removed = await service.cancel_jobs(session, tenant_id=tenant_id, source="vector")
    await store.log_status(session, source="vector", handler="api:search.embeddings.reindex.cancel",
                           message=f"Cancelled vector reindex operation ({removed} jobs removed)",
                           tenant_id=tenant_id, organization_id=ctx.write_org_id)
    return {"ok": True, "jobsRemoved": removed}


# --- the index --------------------------------------------------------------------------------------------

@router.get("/search/index", summary="List indexed documents",
            description="The tenant's indexed documents within the caller's organizations (`entityId` filter, "
                        "`limit` ≤ 200, `offset`), with whether each has an embedding. Requires features: "
                        "search.view",
            responses=json_answer(shape(entries="array", limit="integer", offset="integer", total="integer")))
async def index_list(session: SessionDep, ctx: Viewing, entityId: str | None = None,  # noqa: N803
                     limit: str | None = None, offset: str | None = None) -> dict[str, Any]:
    tenant_id = ctx.require_tenant()
    size = _limit(limit, 50, 200)
    try:
        start = max(int(offset), 0) if offset else 0
    except ValueError:
        start = 0
    stmt = select(IndexEntry).where(IndexEntry.tenant_id == tenant_id)
    if entityId:
        stmt = stmt.where(IndexEntry.entity_type == entityId)
    if ctx.org_scope is not None:
        stmt = stmt.where(IndexEntry.organization_id.is_(None) | IndexEntry.organization_id.in_(ctx.org_scope))
    total = int((await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one())
    rows = (await session.execute(stmt.order_by(IndexEntry.entity_type, IndexEntry.record_id)
                                  .offset(start).limit(size))).scalars().all()
    entries: list[dict[str, Any]] = [{
                "id": e.id, "entityId": e.entity_type, "recordId": e.record_id, "tenantId": e.tenant_id,
                "organizationId": e.organization_id, "checksum": e.checksum, "url": e.url,
                "presenter": {"title": e.title, **({"subtitle": e.subtitle} if e.subtitle else {})},
                "links": [], "payload": e.doc, "vectorized": e.embedding is not None,
                "embeddingModel": e.embedding_model, "createdAt": service.iso(e.indexed_at),
                "updatedAt": service.iso(e.vectorized_at or e.indexed_at)} for e in rows]
    return {"entries": entries, "limit": size, "offset": start, "total": total}


@router.delete("/search/index", status_code=204, summary="Purge the vector index",
               description="Drops the stored embeddings of `entityId`, or of every entity with `confirmAll=true`. "
                           "Requires features: search.embeddings.manage")
async def index_purge(session: SessionDep, ctx: EmbedManaging, entityId: str | None = None,  # noqa: N803
                      confirmAll: str | None = Query(default=None)) -> Response:  # noqa: N803
    tenant_id = ctx.require_tenant()
    if not entityId and confirmAll != "true":
        raise BadRequest("Purging all entities requires confirmAll=true parameter.")
    entity = _entity(entityId)
    stmt = update(IndexEntry).where(IndexEntry.tenant_id == tenant_id)
    if entity:
        stmt = stmt.where(IndexEntry.entity_type == entity)
    await session.execute(stmt.values(embedding=None, embedding_model=None, vectorized_at=None))
    await store.log_status(session, source="vector", handler="api:search.index.purge",
                           message=f"Vector purge completed for {entity or 'all entities'}", entity_type=entity,
                           tenant_id=tenant_id, organization_id=ctx.write_org_id)
    return Response(status_code=204)


# --- full-text reindex ------------------------------------------------------------------------------------

@router.post("/search/reindex", status_code=201, summary="Rebuild the search index",
             description="`{action: reindex|clear|recreate, entityId?}`: `reindex` starts a job (a Temporal "
                         "workflow) indexing every live record again; `clear` drops the tenant's indexed documents "
                         "(of `entityId`); `recreate` drops them and starts a reindex. 409 while another reindex "
                         "runs. Requires features: search.reindex",
             responses=json_answer(shape("cleared", "useQueue", "jobId", "result", "stats", ok="true", action="string",
                                          entityId="string?", cleared="any", useQueue="boolean", jobId="string",
                                          result="any", stats="object"), 201))
async def reindex(request: Request, session: SessionDep, ctx: Reindexing) -> JSONResponse:
    body = validate_model(ReindexBody, await read_json(request, empty={}))
    assert isinstance(body, ReindexBody)
    tenant_id = ctx.require_tenant()
    entity = _entity(body.entityId)
    running = await service.active_job(session, tenant_id, "fulltext")
    if running is not None:
        raise Conflict("A reindex operation is already in progress",
                               extra={"lock": service.lock_view(running)})
    out: dict[str, Any] = {"ok": True, "action": body.action, "entityId": entity}
    if body.action in ("clear", "recreate"):
        removed = await store.purge(session, tenant_id=tenant_id, entity_types=[entity] if entity else None)
        out["cleared"] = removed
        await store.log_status(session, source="fulltext", handler="api:search.reindex",
                               message=f"Cleared {removed} documents of {entity or 'all entities'}",
                               entity_type=entity, tenant_id=tenant_id, organization_id=ctx.write_org_id)
    if body.action in ("reindex", "recreate"):
        job = await service.start_job(session, kind="reindex", source="fulltext", tenant_id=tenant_id,
                                      organization_id=ctx.write_org_id, entity_type=entity)
        await store.log_status(session, source="fulltext", handler="api:search.reindex",
                               message=f"Reindex started for {entity or 'all entities'}", entity_type=entity,
                               tenant_id=tenant_id, organization_id=ctx.write_org_id, details={"jobId": job.id})
        out.update({"useQueue": True, "jobId": job.id, "result": {
            "entitiesProcessed": 1 if entity else len(store.searchables()), "recordsIndexed": 0, "jobsEnqueued": 1}})
    counts = await fulltext.counts(session, tenant_id)
    out["stats"] = {"fulltext": {"numberOfDocuments": sum(counts.values()), "fieldDistribution": counts}}
    return JSONResponse(out, status_code=201)


@router.post("/search/reindex/cancel", status_code=201, summary="Cancel the search reindex",
             description="Cancels the tenant's running reindex jobs. Requires features: search.reindex",
             responses=json_answer(shape(ok="true", jobsRemoved="integer"), 201))
async def reindex_cancel(session: SessionDep, ctx: Reindexing) -> dict[str, Any]:
    tenant_id = ctx.require_tenant()
    removed = await service.cancel_jobs(session, tenant_id=tenant_id, source="fulltext")
    await store.log_status(session, source="fulltext", handler="api:search.reindex.cancel",
                           message=f"Cancelled fulltext reindex operation ({removed} jobs removed)",
                           tenant_id=tenant_id, organization_id=ctx.write_org_id)
    return {"ok": True, "jobsRemoved": removed}
