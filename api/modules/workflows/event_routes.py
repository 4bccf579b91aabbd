"""`/workflows/events`: the append-only event log of every instance in scope (docs/workflows.md, "Reading")."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext, requires
from api.crud.answers import json_answer, page, shape
from api.crud.query import MAX_PAGE, Envelope, parse_datetime
from api.deps import SessionDep
from api.errors import NotFound
from api.modules.workflows.definitions_service import shipped, tenant_of
from api.modules.workflows.http import ensure
from api.modules.workflows.models import WorkflowDefinition, WorkflowEvent, WorkflowInstance
from api.modules.workflows.serializers import event_detail, log_item

router = APIRouter()

ViewInstances = Annotated[AuthContext, Depends(requires("workflows.instances.view"))]
SORTABLE = {
    "occurredAt": WorkflowEvent.occurred_at,
    "eventType": WorkflowEvent.event_type,
    "workflowInstanceId": WorkflowEvent.workflow_instance_id,
    "userId": WorkflowEvent.user_id,
    "id": WorkflowEvent.id,
}


def visible_events(ctx: AuthContext) -> Select[Any]:
    stmt = select(WorkflowEvent).where(WorkflowEvent.tenant_id == tenant_of(ctx))
    if ctx.org_scope is not None:
        stmt = stmt.where(WorkflowEvent.organization_id.in_(ctx.org_scope))
    return stmt


async def _workflow_names(session: AsyncSession, instances: list[WorkflowInstance]) -> dict[str, str]:
    """Definition names by definitionId (rows, deleted ones too, and code-defined workflows)."""
    ids = {i.definition_id for i in instances}
    names = {w.uuid: w.row.workflow_name for w in shipped().values() if w.uuid in ids}
    if ids:
        rows = (await session.execute(select(WorkflowDefinition.id, WorkflowDefinition.workflow_name)
                                      .where(WorkflowDefinition.id.in_(ids)))).all()
        names.update({row_id: name for row_id, name in rows})
    return names


def _instant(value: str | None, name: str) -> datetime | None:
    return parse_datetime(value, name) if value else None


@router.get("/workflows/events", summary="List all workflow events",
            description="Get a paginated list of all workflow events with filtering options. Requires features: "
                        "workflows.instances.view",
            responses=json_answer(page(Envelope.PAGED, shape(id="string"))))
async def list_events(
    session: SessionDep, ctx: ViewInstances,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    pageSize: Annotated[int, Query(ge=1, le=100)] = 50,
    eventType: str | None = None,
    workflowInstanceId: str | None = None,
    userId: str | None = None,
    occurredAtFrom: Annotated[str | None, Query(description="ISO date-time, inclusive")] = None,
    occurredAtTo: Annotated[str | None, Query(description="ISO date-time, inclusive")] = None,
    sortField: Literal["occurredAt", "eventType", "workflowInstanceId", "userId", "id"] = "occurredAt",
    sortDir: Literal["asc", "desc"] = "desc",
) -> dict[str, Any]:
    ensure(ctx, "workflows.instances.view")
    stmt = visible_events(ctx)
    if eventType:
        stmt = stmt.where(WorkflowEvent.event_type == eventType)
    if workflowInstanceId:
        stmt = stmt.where(WorkflowEvent.workflow_instance_id == workflowInstanceId)
    if userId:
        stmt = stmt.where(WorkflowEvent.user_id == userId)
    start, end = _instant(occurredAtFrom, "occurredAtFrom"), _instant(occurredAtTo, "occurredAtTo")
    if start is not None:
        stmt = stmt.where(WorkflowEvent.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(WorkflowEvent.occurred_at <= end)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    column = SORTABLE[sortField]
    order: list[Any] = [column.asc() if sortDir == "asc" else column.desc()]
    if sortField != "id":
        order.append(WorkflowEvent.id.asc() if sortDir == "asc" else WorkflowEvent.id.desc())
    rows = (await session.execute(stmt.order_by(*order).offset((page - 1) * pageSize).limit(pageSize))
            ).scalars().all()
    instance_ids = {r.workflow_instance_id for r in rows}
    instances = {i.id: i for i in (await session.execute(
        select(WorkflowInstance).where(WorkflowInstance.id.in_(instance_ids))
    )).scalars().all()} if instance_ids else {}
    names = await _workflow_names(session, list(instances.values()))
    items = []
    for row in rows:
        instance = instances.get(row.workflow_instance_id)
        items.append(log_item(row, instance, names.get(instance.definition_id) if instance else None))
    return {"items": items, "total": total, "page": page, "pageSize": pageSize,
            "totalPages": math.ceil(total / pageSize) if total else 0}


@router.get("/workflows/events/{id}", summary="Get workflow event by ID",
            description="Get detailed information about a specific workflow event. Requires features: "
                        "workflows.instances.view",
            responses=json_answer(shape(id="string", workflowInstance={"type": ["object", "null"]})))
async def get_event(id: str, session: SessionDep, ctx: ViewInstances) -> dict[str, Any]:
    ensure(ctx, "workflows.instances.view")
    if not id.isdigit() or len(id) > 18:
        raise NotFound("Workflow event not found")
    row = (await session.execute(visible_events(ctx).where(WorkflowEvent.id == int(id)))).scalars().first()
    if row is None:
        raise NotFound("Workflow event not found")
    instance = await session.get(WorkflowInstance, row.workflow_instance_id)
    return event_detail(row, instance)
