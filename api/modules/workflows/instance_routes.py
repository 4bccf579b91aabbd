"""`/workflows/instances`: start, read and act on instances (docs/workflows.md, "Running instances"). Reads
come from the SQL projection
only; advance / cancel / retry are Temporal Updates answered once the instance reached its next rest."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext, requires
from api.crud.answers import json_answer, many, shape
from api.crud.query import MAX_OFFSET
from api.db import utcnow
from api.deps import SessionDep
from api.errors import BadRequest, NotFound
from api.idempotency import idempotent
from api.modules.workflows import instances_service as svc
from api.modules.workflows import shipped_rules
from api.modules.workflows.definitions_service import tenant_of, write_scope
from api.modules.workflows.http import csv, ensure, offset_page, read_json, record_action
from api.modules.workflows.models import WorkflowEvent, WorkflowInstance
from api.modules.workflows.schemas import AdvanceInstance, StartInstance, ValidateStart, openapi_body, problems
from api.modules.workflows.serializers import event_item, instance_item
from engine.contract import UPDATE_ADVANCE, UPDATE_CANCEL, UPDATE_RETRY, Actor, AdvanceInput, UpdateResult

# The answers' shapes (the OpenAPI document).
INSTANCE = shape(id="string", workflowId="string", status="string")
PAGINATION = shape(total="integer", limit="integer", offset="integer", hasMore="boolean")

router = APIRouter()

ViewInstances = Annotated[AuthContext, Depends(requires("workflows.instances.view"))]
CreateInstances = Annotated[AuthContext, Depends(requires("workflows.instances.create"))]
CancelInstances = Annotated[AuthContext, Depends(requires("workflows.instances.cancel"))]
RetryInstances = Annotated[AuthContext, Depends(requires("workflows.instances.retry"))]

INSTANCE_NOT_FOUND = "Workflow instance not found"
# Statuses in which no transition may be fired any more, with the reference's refusals.
ADVANCE_REFUSALS = {
    "COMPLETED": "Workflow already completed",
    "CANCELLED": "Workflow is cancelled",
    "FAILED": "Workflow has failed. Use retry endpoint to retry.",
}
FINISHED = ("COMPLETED", "CANCELLED", "COMPENSATED")


def _validated(model: Any, body: Any) -> Any:
    details = problems(model, body)
    if details:
        raise BadRequest("Validation failed", details)
    return model.model_validate(body)


def visible_instances(ctx: AuthContext) -> Select[Any]:
    stmt = select(WorkflowInstance).where(WorkflowInstance.tenant_id == tenant_of(ctx),
                                          WorkflowInstance.deleted_at.is_(None))
    if ctx.org_scope is not None:
        stmt = stmt.where(WorkflowInstance.organization_id.in_(ctx.org_scope))
    return stmt


async def find_instance(session: AsyncSession, ctx: AuthContext, instance_id: str) -> WorkflowInstance:
    row = (await session.execute(visible_instances(ctx).where(WorkflowInstance.id == instance_id))).scalars().first()
    if row is None:
        raise NotFound(INSTANCE_NOT_FOUND)
    return row


def actor(ctx: AuthContext) -> Actor:
    return Actor(user_id=ctx.user_id, roles=list(ctx.roles), can_manage=ctx.can("workflows.manage"))


def _pagination(total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"total": total, "limit": limit, "offset": offset, "hasMore": offset + limit < total}


async def _record(session: AsyncSession, ctx: AuthContext, action: str, instance: WorkflowInstance,
                  payload: dict[str, Any] | None = None) -> None:
    await record_action(session, ctx, command=f"workflows.instances.{action}", kind="workflows.instance",
                        resource_id=instance.id, organization_id=instance.organization_id,
                        label=f"{action.capitalize()} workflow instance", payload=payload)


def _merged(instance: WorkflowInstance, result: UpdateResult) -> dict[str, Any]:
    # The workflow's answer wins: our transaction may have read the row before the update projected it.
    return {**instance_item(instance), **(result.instance or {})}


# --- Reads ------------------------------------------------------------------------------------------------

@router.get("/workflows/instances", summary="List workflow instances",
            description="Get a list of workflow instances with optional filters. Supports pagination and filtering "
                        "by status, workflowId, correlationKey, etc. Requires features: workflows.instances.view",
            responses=json_answer(shape(data=many(INSTANCE), pagination=PAGINATION)))
async def list_instances(
    session: SessionDep, ctx: ViewInstances,
    workflowId: str | None = None,
    status: Annotated[str | None, Query(description="A status or a comma-separated list")] = None,
    correlationKey: str | None = None,
    entityType: Annotated[str | None, Query(description="metadata.entityType")] = None,
    entityId: Annotated[str | None, Query(description="metadata.entityId")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    stmt = visible_instances(ctx)
    if workflowId:
        stmt = stmt.where(WorkflowInstance.workflow_id == workflowId)
    statuses = csv(status)
    if statuses:
        stmt = stmt.where(WorkflowInstance.status.in_(statuses))
    if correlationKey:
        stmt = stmt.where(WorkflowInstance.correlation_key == correlationKey)
    if entityType:
        stmt = stmt.where(WorkflowInstance.metadata_json["entityType"].as_string() == entityType)
    if entityId:
        stmt = stmt.where(WorkflowInstance.metadata_json["entityId"].as_string() == entityId)
    total, rows = await offset_page(session, stmt, WorkflowInstance.created_at.desc(), WorkflowInstance.id.desc(),
                                    limit=limit, offset=offset)
    return {"data": [instance_item(r) for r in rows], "pagination": _pagination(total, limit, offset)}


@router.get("/workflows/instances/{id}", summary="Get workflow instance",
            description="Get detailed information about a specific workflow instance including current state, "
                        "context, and execution status. Requires features: workflows.instances.view",
            responses=json_answer(shape(data=INSTANCE)))
async def get_instance(id: str, session: SessionDep, ctx: ViewInstances) -> dict[str, Any]:
    return {"data": instance_item(await find_instance(session, ctx, id))}


@router.get("/workflows/instances/{id}/events", summary="Get workflow instance events",
            description="Get a chronological list of events for a workflow instance (newest first). Events track "
                        "all state changes, transitions, and activities. Requires features: "
                        "workflows.instances.view",
            responses=json_answer(shape(data=many(shape(id="string")), pagination=PAGINATION)))
async def instance_events(
    id: str, session: SessionDep, ctx: ViewInstances,
    eventType: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    instance = await find_instance(session, ctx, id)
    stmt = select(WorkflowEvent).where(WorkflowEvent.workflow_instance_id == instance.id,
                                       WorkflowEvent.tenant_id == instance.tenant_id)
    if eventType:
        stmt = stmt.where(WorkflowEvent.event_type == eventType)
    total, rows = await offset_page(session, stmt, WorkflowEvent.occurred_at.desc(), WorkflowEvent.id.desc(),
                                    limit=limit, offset=offset)
    return {"data": [event_item(r) for r in rows], "pagination": _pagination(total, limit, offset)}


# --- Start ------------------------------------------------------------------------------------------------

@router.post("/workflows/instances/validate-start", summary="Check whether a workflow can start",
             description="Evaluate the START step's pre-conditions (business rules) against a context without "
                         "starting anything. Always 200: `canStart` with the failed rules. Requires features: "
                         "workflows.instances.view", openapi_extra=openapi_body(ValidateStart),
             responses=json_answer(shape(canStart="boolean", workflowId="string")))
async def validate_start(request: Request, session: SessionDep, ctx: ViewInstances) -> dict[str, Any]:
    body = _validated(ValidateStart, await read_json(request))
    tenant_id, org_id = write_scope(ctx)
    await shipped_rules.ensure(tenant_id, releasing=session)
    return await svc.validate_start(session, tenant_id=tenant_id, organization_id=org_id, org_scope=ctx.org_scope,
                                    workflow_id=body.workflow_id, version=body.version,
                                    context=dict(body.context or {}), locale=body.locale or "en")


@router.post("/workflows/instances", status_code=201, summary="Start workflow instance",
             description="Start a new workflow instance from a workflow definition. The instance is created at its "
                         "START step and executes in the background after the response. Requires features: "
                         "workflows.instances.view, workflows.instances.create",
             openapi_extra=openapi_body(StartInstance),
             responses=json_answer(shape(data=shape(instance=INSTANCE, execution="object"), message="string"), 201))
@idempotent
async def start_instance(request: Request, session: SessionDep, ctx: ViewInstances) -> dict[str, Any]:
    ensure(ctx, "workflows.instances.create")
    tenant_id, org_id = write_scope(ctx)
    body = _validated(StartInstance, await read_json(request))
    await shipped_rules.ensure(tenant_id, releasing=session)
    definition = await svc.resolve_definition(session, tenant_id=tenant_id, org_scope=ctx.org_scope,
                                              workflow_id=body.workflow_id, version=body.version)
    svc.check_runnable(definition)
    # An instance lives where its definition does; code-defined workflows in the caller's organization.
    org_id = definition.organization_id or org_id
    context = dict(body.initial_context or {})
    check = await svc.check_preconditions(session, definition, tenant_id=tenant_id, organization_id=org_id,
                                          context=context)
    if not check.can_start:
        raise svc.preconditions_failed(definition, check)
    metadata = {**(body.metadata.model_dump(by_alias=True, exclude_unset=True) if body.metadata else {}),
                "initiatedBy": ctx.user_id}
    instance = await svc.create_instance(session, definition, tenant_id=tenant_id, organization_id=org_id,
                                         context=context, correlation_key=body.correlation_key, metadata=metadata)
    await _record(session, ctx, "start", instance, {"workflowId": definition.workflow_id})
    # The worker must find the row, so it is committed before the workflow exists.
    await session.commit()
    try:
        await svc.launch(svc.start_input(instance, definition.definition, user_id=ctx.user_id))
    except Exception as exc:  # noqa: BLE001 - any failure to start leaves the instance FAILED, never RUNNING
        await svc.mark_failed(session, instance, str(exc))
        raise svc.EngineUnavailable("Failed to start workflow",
                                    extra={"instanceId": instance.id, "message": str(exc)}) from None
    return {
        "data": {
            "instance": instance_item(instance),
            "execution": {"status": "RUNNING", "currentStep": instance.current_step_id,
                          "message": "Workflow execution started in background"},
        },
        "message": "Workflow started successfully",
    }


# --- Actions on running instances -------------------------------------------------------------------------

@router.post("/workflows/instances/{id}/advance", summary="Advance a workflow instance",
             description="Fire a transition from the instance's current step (manual or auto, the highest-priority "
                         "valid one unless `toStepId` is given), then let the instance run to its next resting "
                         "point. Requires features: workflows.instances.create",
             openapi_extra=openapi_body(AdvanceInstance),
             responses=json_answer(shape(data=shape(instance="object", execution="any"), message="string")))
@idempotent
async def advance_instance(id: str, request: Request, session: SessionDep, ctx: CreateInstances) -> dict[str, Any]:
    write_scope(ctx)
    instance = await find_instance(session, ctx, id)
    ensure(ctx, "workflows.instances.create")
    body = _validated(AdvanceInstance, await read_json(request, lenient=True))
    refusal = ADVANCE_REFUSALS.get(instance.status)
    if refusal is not None:
        raise BadRequest(refusal)
    arg = AdvanceInput(actor=actor(ctx), to_step_id=body.to_step_id, trigger_data=body.trigger_data,
                       context_updates=body.context_updates)
    try:
        result = await svc.run_update(instance.id, UPDATE_ADVANCE, arg, failure="Failed to advance workflow")
    except svc.NotRunning:
        await session.refresh(instance)
        raise BadRequest(ADVANCE_REFUSALS.get(instance.status) or
                         f"Workflow is not running (status {instance.status})") from None
    await _record(session, ctx, "advance", instance, {"toStepId": body.to_step_id})
    extra = result.extra or {}
    merged = _merged(instance, result)
    after = extra.get("afterTransition") or {
        "id": instance.id, "status": merged.get("status"), "currentStepId": merged.get("currentStepId"),
        "previousStepId": extra.get("previousStepId"), "transitionFired": extra.get("transitionFired"),
        "context": merged.get("context"),
    }
    execution = extra.get("execution") or {"status": merged.get("status"), "currentStep": merged.get("currentStepId"),
                                           "context": merged.get("context")}
    return {"data": {"instance": after, "execution": execution}, "message": "Workflow advanced successfully"}


def _cannot_cancel(status: str) -> BadRequest:
    return BadRequest(f"Cannot cancel workflow in {status} status. Only RUNNING or PAUSED workflows can be "
                      "cancelled.")


@router.post("/workflows/instances/{id}/cancel", summary="Cancel workflow instance",
             description="Cancel a running or paused workflow instance. The workflow will be marked as CANCELLED "
                         "and will not execute further; its open user tasks, timers and branches are cancelled. "
                         "Requires features: workflows.instances.cancel",
             responses=json_answer(shape(data="object", message="string")))
async def cancel_instance(id: str, session: SessionDep, ctx: CancelInstances) -> dict[str, Any]:
    write_scope(ctx)
    instance = await find_instance(session, ctx, id)
    ensure(ctx, "workflows.instances.cancel")
    if instance.status in FINISHED:
        raise _cannot_cancel(instance.status)
    try:
        result = await svc.run_update(instance.id, UPDATE_CANCEL, actor(ctx), failure="Failed to cancel workflow "
                                                                                       "instance")
        data = _merged(instance, result)
    except svc.NotRunning:
        await session.refresh(instance)
        if instance.status in FINISHED or instance.status == "FAILED":
            raise _cannot_cancel(instance.status) from None
        # The row says the instance runs, but no workflow does: only the row is left to cancel.
        instance.status = "CANCELLED"
        instance.cancelled_at = instance.updated_at = utcnow()
        session.add(WorkflowEvent(
            event_key=f"{instance.id}:CANCELLED_WITHOUT_WORKFLOW", workflow_instance_id=instance.id,
            event_type="WORKFLOW_CANCELLED", event_data={}, occurred_at=instance.cancelled_at, user_id=ctx.user_id,
            tenant_id=instance.tenant_id, organization_id=instance.organization_id))
        data = instance_item(instance)
    await _record(session, ctx, "cancel", instance)
    return {"data": data, "message": "Workflow cancelled successfully"}


@router.post("/workflows/instances/{id}/retry", summary="Retry failed workflow instance",
             description="Retry a failed workflow instance from its current step. The workflow will be reset to "
                         "RUNNING status and execution will continue. Requires features: workflows.instances.retry",
             responses=json_answer(shape(data=shape(instance="object"), message="string")))
async def retry_instance(id: str, session: SessionDep, ctx: RetryInstances) -> dict[str, Any]:
    write_scope(ctx)
    instance = await find_instance(session, ctx, id)
    ensure(ctx, "workflows.instances.retry")
    if instance.status != "FAILED":
        raise BadRequest(f"Cannot retry workflow in {instance.status} status. Only FAILED workflows can be retried.")
    try:
        result = await svc.run_update(instance.id, UPDATE_RETRY, actor(ctx),
                                      failure="Failed to retry workflow instance")
    except svc.NotRunning:
        # Its run has ended (or never began): a new run continues from where the row says it stopped.
        await session.refresh(instance)
        if instance.status != "FAILED":
            raise BadRequest(f"Cannot retry workflow in {instance.status} status. Only FAILED workflows can be "
                             "retried.") from None
        await _record(session, ctx, "retry", instance)
        await svc.restart(session, instance, user_id=ctx.user_id)
        return {"data": {"instance": instance_item(instance),
                         "execution": {"status": "RUNNING", "currentStep": instance.current_step_id,
                                       "message": "Workflow execution resumed in background"}},
                "message": "Workflow retry initiated successfully"}
    await _record(session, ctx, "retry", instance)
    merged = _merged(instance, result)
    execution = (result.extra or {}).get("execution") or {"status": merged.get("status"),
                                                          "currentStep": merged.get("currentStepId")}
    return {"data": {"instance": merged, "execution": execution}, "message": "Workflow retry initiated successfully"}
