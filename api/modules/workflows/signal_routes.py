"""Signals to waiting instances: `/instances/{id}/signal` and `/signals` (docs/workflows.md, "Signals").
A signal is a Temporal Update on the instance's workflow: it checks that the instance waits for that signal
(at its current step or in a parallel branch) and answers once the instance rests again."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext, requires
from api.crud.answers import json_answer, shape
from api.deps import SessionDep
from api.errors import ApiError, BadRequest, Conflict
from api.idempotency import idempotent
from api.metrics import SIGNAL_DELIVERIES
from api.modules.workflows import instances_service as svc
from api.modules.workflows.definitions_service import write_scope
from api.modules.workflows.http import ensure, read_json, record_action
from api.modules.workflows.instance_routes import FINISHED, actor, find_instance, visible_instances
from api.modules.workflows.models import WorkflowInstance
from api.modules.workflows.schemas import openapi_body, problems
from api.modules.workflows.task_schemas import SendSignal, SendSignalByKey
from engine.contract import UPDATE_SIGNAL, SignalInput

router = APIRouter()

SignalInstances = Annotated[AuthContext, Depends(requires("workflows.instances.signal"))]
SendSignals = Annotated[AuthContext, Depends(requires("workflows.signals.send"))]

NOT_PAUSED = "Workflow is not paused"
# Statuses from which no signal can move an instance: `/signals` does not look for them.
WAITING = ("PAUSED", "FORKED")
# Updates in flight at once for one `/signals` call, so a popular key cannot flood the Temporal frontend.
FAN_OUT = 16


async def _body(request: Request, model: Any) -> Any:
    raw = await read_json(request, lenient=True)
    details = problems(model, raw)
    if details:
        raise BadRequest("Invalid request body", details)
    return model.model_validate(raw)


async def _record(session: AsyncSession, ctx: AuthContext, command: str, instance: WorkflowInstance,
                  signal_name: str) -> None:
    await record_action(session, ctx, command=command, kind="workflows.instance", resource_id=instance.id,
                        organization_id=instance.organization_id, label="Signal workflow instance",
                        payload={"signalName": signal_name})


@router.post("/workflows/instances/{id}/signal", summary="Send signal to workflow instance",
             description="Deliver a named signal to an instance waiting at a WAIT_FOR_SIGNAL step (or in a "
                         "parallel branch); the payload is merged into its context and the instance continues. "
                         "The answer comes once it rests again. Requires features: workflows.instances.signal",
             openapi_extra=openapi_body(SendSignal),
             responses=json_answer(shape(success="true", message="string")))
@idempotent
async def signal_instance(id: str, request: Request, session: SessionDep, ctx: SignalInstances) -> dict[str, Any]:
    write_scope(ctx)
    ensure(ctx, "workflows.instances.signal")
    body: SendSignal = await _body(request, SendSignal)
    instance = await find_instance(session, ctx, id)
    if instance.status in FINISHED:
        raise Conflict(NOT_PAUSED)
    arg = SignalInput(actor=actor(ctx), signal_name=body.signal_name, payload=body.payload)
    try:
        await svc.run_update(instance.id, UPDATE_SIGNAL, arg, failure="Failed to send signal")
    except svc.NotRunning:
        SIGNAL_DELIVERIES.labels("instance", "not_waiting").inc()
        raise Conflict(NOT_PAUSED) from None
    except ApiError as exc:
        SIGNAL_DELIVERIES.labels("instance", "failed" if exc.status >= 500 else "not_waiting").inc()
        raise
    SIGNAL_DELIVERIES.labels("instance", "delivered").inc()
    await _record(session, ctx, "workflows.instances.signal", instance, body.signal_name)
    return {"success": True, "message": "Signal sent successfully"}


@router.post("/workflows/signals", summary="Send signal by correlation key",
             description="Deliver a named signal to every waiting instance started with the correlation key. "
                         "Instances not waiting for that signal are skipped; `count` says how many received it. "
                         "Requires features: workflows.signals.send",
             openapi_extra=openapi_body(SendSignalByKey),
             responses=json_answer(shape(success="true", message="string", count="integer")))
@idempotent
async def signal_by_key(request: Request, session: SessionDep, ctx: SendSignals) -> dict[str, Any]:
    write_scope(ctx)
    ensure(ctx, "workflows.signals.send")
    body: SendSignalByKey = await _body(request, SendSignalByKey)
    stmt = visible_instances(ctx).where(WorkflowInstance.correlation_key == body.correlation_key,
                                        WorkflowInstance.status.in_(WAITING))
    instances = (await session.execute(stmt)).scalars().all()
    arg = SignalInput(actor=actor(ctx), signal_name=body.signal_name, payload=body.payload)
    gate = asyncio.Semaphore(FAN_OUT)
    engine_failures: list[ApiError] = []

    async def deliver(instance: WorkflowInstance) -> bool:
        async with gate:
            try:
                await svc.run_update(instance.id, UPDATE_SIGNAL, arg, failure="Failed to send signal")
            except svc.NotRunning:
                return False
            except ApiError as exc:
                # An instance that does not wait for this signal is skipped, as the reference does.
                if exc.status >= 500:
                    engine_failures.append(exc)
                return False
            return True

    delivered = [i for i, ok in zip(instances, await asyncio.gather(*(deliver(i) for i in instances)), strict=True)
                 if ok]
    skipped = len(instances) - len(delivered) - len(engine_failures)
    for outcome, n in (("delivered", len(delivered)), ("failed", len(engine_failures)), ("not_waiting", skipped)):
        SIGNAL_DELIVERIES.labels("correlation_key", outcome).inc(n)
    if engine_failures and not delivered:
        # Nothing got through because the engine did not answer: say so instead of "sent to 0".
        raise engine_failures[0]
    for instance in delivered:
        await _record(session, ctx, "workflows.signals.send", instance, body.signal_name)
    return {"success": True, "message": f"Signal sent to {len(delivered)} workflow(s)", "count": len(delivered)}
