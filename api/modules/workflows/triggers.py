"""Event triggers: domain events start workflow instances (docs/workflows.md, "Event triggers").

The worker's outbox dispatcher hands every event to `start_workflows_for_event` (registered in `events.py`).
For the event's tenant and organization it loads the enabled triggers of the enabled definition rows and of
the code-defined workflows no row of theirs shadows, keeps those whose pattern and filters match
(`trigger_match`), and starts one instance per trigger the way `POST /workflows/instances` does, minus HTTP.

Delivery is at least once, so a start must happen at most once per (event, trigger): the instance id is
derived from both, a redelivery finds the row, and launches its workflow only if it never ran (a crash
between commit and launch). `maxConcurrentInstances` and `debounceMs` are answered from the instance rows,
so they hold across worker restarts and scaled-out workers.

A trigger that cannot start (definition gone or disabled, START pre-conditions failing, a refused start) is
logged and skipped: one bad trigger must not hold up every later event. Infrastructure failures (database
or Temporal unreachable) are raised instead; the dispatcher then retries the event, and the derived id
makes the retry safe.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.service import RPCError, RPCStatusCode

from api import temporal
from api.db import sessionmaker, utcnow
from api.modules.workflows import definitions_service
from api.modules.workflows import instances_service as svc
from api.modules.workflows.models import WorkflowDefinition, WorkflowInstance
from api.modules.workflows.trigger_match import (
    TriggerSpec,
    actor_user_id,
    by_priority,
    matching,
    start_context,
    start_metadata,
    strict_equal,
    triggers_of,
    wants_event,
)
from api.outbox import DomainEvent
from rules import MISSING

log = logging.getLogger("stepwise.workflows.triggers")

# Loaded triggers are reused while the tenant's definition rows are unchanged (checked on every event, so
# a saved definition counts from the next event on); the TTL only bounds memory of idle tenants.
CACHE_TTL_SECONDS = 300.0
# Instances that count against `maxConcurrentInstances`: executing ones, not those resting or finished.
CONCURRENT_STATUSES = ("RUNNING", "WAITING_FOR_ACTIVITIES", "FORKED")
# Instance ids of trigger starts: uuid5(namespace, "<eventId>:<trigger id>"). Never change it: a
# redelivered event would then start its instances again.
INSTANCE_NAMESPACE = uuid.UUID("5d0c1a4e-8f3b-4f8e-9a57-3c6f1e2b7d90")
_INFRASTRUCTURE_RPC = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED,
                                 RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.ABORTED, RPCStatusCode.INTERNAL,
                                 RPCStatusCode.UNKNOWN, RPCStatusCode.CANCELLED})


class EngineUnreachable(Exception):
    """No Temporal client: the event is retried rather than its instances marked failed."""


def is_infrastructure(exc: BaseException) -> bool:
    if isinstance(exc, EngineUnreachable | OperationalError | InterfaceError | DisconnectionError | PoolTimeout
                  | OSError | TimeoutError):
        return True
    return isinstance(exc, RPCError) and exc.status in _INFRASTRUCTURE_RPC


def instance_id_for(event_id: str, trigger: TriggerSpec) -> str:
    return str(uuid.uuid5(INSTANCE_NAMESPACE, f"{event_id}:{trigger.id}"))


# --- Loading ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Cached:
    stamp: tuple[Any, ...]
    loaded_at: float
    triggers: list[TriggerSpec]


_cache: dict[str, _Cached] = {}


def clear_cache() -> None:
    _cache.clear()


async def _stamp(session: AsyncSession, tenant_id: str, organization_id: str) -> tuple[Any, ...]:
    """Changes whenever a definition row of the organization is created, saved, deleted or reset to code:
    every write moves `updated_at`, a hard delete lowers the count."""
    count, latest = (await session.execute(
        select(func.count(WorkflowDefinition.id), func.max(WorkflowDefinition.updated_at))
        .where(WorkflowDefinition.tenant_id == tenant_id, WorkflowDefinition.organization_id == organization_id)
    )).one()
    return int(count), latest


async def _load(session: AsyncSession, tenant_id: str, organization_id: str) -> list[TriggerSpec]:
    rows = (await session.execute(
        select(WorkflowDefinition.id, WorkflowDefinition.workflow_id, WorkflowDefinition.version,
               WorkflowDefinition.enabled, WorkflowDefinition.definition)
        .where(WorkflowDefinition.tenant_id == tenant_id, WorkflowDefinition.organization_id == organization_id,
               WorkflowDefinition.deleted_at.is_(None))
        .order_by(WorkflowDefinition.created_at, WorkflowDefinition.id)
    )).all()
    found: list[TriggerSpec] = []
    for row in rows:
        if row.enabled and isinstance(row.definition, dict):
            found += triggers_of(row.definition, id_prefix=row.id, definition_id=row.id,
                                 workflow_id=row.workflow_id, version=row.version, source="embedded")
    # A row of the organization, even a disabled one, replaces the code workflow of the same id.
    present = {row.workflow_id for row in rows}
    for workflow in definitions_service.shipped().values():
        if workflow.workflow_id in present or not workflow.row.enabled:
            continue
        body = workflow.to_json()
        found += triggers_of(body["definition"], id_prefix=f"code:{workflow.workflow_id}",
                             definition_id=workflow.uuid, workflow_id=workflow.workflow_id,
                             version=int(body.get("version") or 1), source="code")
    return by_priority(found)


async def load_triggers(session: AsyncSession, tenant_id: str, organization_id: str) -> list[TriggerSpec]:
    """The organization's enabled triggers, highest priority first."""
    key = f"{tenant_id}:{organization_id}"
    stamp = await _stamp(session, tenant_id, organization_id)
    cached = _cache.get(key)
    if cached is not None and cached.stamp == stamp and time.monotonic() - cached.loaded_at < CACHE_TTL_SECONDS:
        return cached.triggers
    triggers = await _load(session, tenant_id, organization_id)
    _cache[key] = _Cached(stamp, time.monotonic(), triggers)
    return triggers


# --- Guards -----------------------------------------------------------------------------------------------

async def _at_capacity(session: AsyncSession, trigger: TriggerSpec, tenant_id: str, organization_id: str) -> bool:
    limit = trigger.max_concurrent_instances
    if not limit:
        return False
    running = (await session.execute(
        select(func.count()).select_from(WorkflowInstance).where(
            WorkflowInstance.definition_id == trigger.definition_id, WorkflowInstance.tenant_id == tenant_id,
            WorkflowInstance.organization_id == organization_id, WorkflowInstance.deleted_at.is_(None),
            WorkflowInstance.status.in_(CONCURRENT_STATUSES))
    )).scalar_one()
    return int(running) >= limit


async def _debounced(session: AsyncSession, trigger: TriggerSpec, tenant_id: str, organization_id: str,
                     payload: dict[str, Any], now: datetime) -> bool:
    """Leading edge: the first event starts and opens the window; repeats inside it are skipped. The window
    is per trigger and per entity (the payload's `id`), so one record's burst of updates starts one
    instance while other records still start theirs."""
    window = trigger.debounce_ms
    if not window:
        return False
    labels = WorkflowInstance.metadata_json[("labels", "trigger_id")].as_string()
    entity_column = WorkflowInstance.metadata_json["entityId"].as_string()
    stmt = select(WorkflowInstance.metadata_json).where(
        WorkflowInstance.definition_id == trigger.definition_id, WorkflowInstance.tenant_id == tenant_id,
        WorkflowInstance.organization_id == organization_id,
        WorkflowInstance.started_at > now - timedelta(milliseconds=window), labels == trigger.id)
    entity = payload.get("id", MISSING)
    if isinstance(entity, str):
        return (await session.execute(stmt.where(entity_column == entity).limit(1))).first() is not None
    if entity is MISSING or entity is None:
        return (await session.execute(stmt.where(entity_column.is_(None)).limit(1))).first() is not None
    # A numeric (or other JSON) id: compared as the reference compares it, in Python.
    return any(strict_equal((m or {}).get("entityId", MISSING), entity)
               for m in (await session.execute(stmt)).scalars())


# --- Starting ---------------------------------------------------------------------------------------------

async def _launch(session: AsyncSession, instance: WorkflowInstance, definition: dict[str, Any],
                  user_id: str | None) -> bool:
    """Start the row's workflow (at most once). A refused start marks the row FAILED, as the HTTP start
    does; an unreachable engine is raised so the event is retried and the row launched then."""
    try:
        await temporal.get_client()
    except Exception as exc:  # noqa: BLE001 - whatever stops the connection, the engine is unreachable
        raise EngineUnreachable(str(exc)) from exc
    try:
        return await svc.launch_once(svc.start_input(instance, definition, user_id=user_id))
    except Exception as exc:
        if is_infrastructure(exc):
            raise
        await svc.mark_failed(session, instance, str(exc))
        raise


async def _relaunch(session: AsyncSession, instance: WorkflowInstance, user_id: str | None) -> str:
    """A redelivered event found its instance: nothing to do, unless the row was committed and its
    workflow never started (nothing projected yet), in which case it is started now."""
    if instance.status != "RUNNING" or (instance.projection_seq or 0) > 0:
        return "already started"
    definition = await svc.current_definition(session, instance)
    if definition is None:
        return "already started"
    return "launched" if await _launch(session, instance, definition, user_id) else "already started"


async def fire(trigger: TriggerSpec, event: DomainEvent, *, now: datetime | None = None) -> str:
    """Start the instance `trigger` asks for on `event`; answers what happened (for the log)."""
    tenant_id, organization_id = str(event.tenant_id), str(event.organization_id)
    payload = event.payload
    now = now or utcnow()
    instance_id = instance_id_for(event.id, trigger)
    user_id = actor_user_id(payload)
    async with sessionmaker()() as session:
        existing = await session.get(WorkflowInstance, instance_id)
        if existing is not None:
            return await _relaunch(session, existing, user_id)
        if await _at_capacity(session, trigger, tenant_id, organization_id):
            return "skipped: max concurrent instances reached"
        if await _debounced(session, trigger, tenant_id, organization_id, payload, now):
            return "skipped: debounced"
        definition = await svc.resolve_definition(session, tenant_id=tenant_id, org_scope=[organization_id],
                                                  workflow_id=trigger.workflow_id, version=trigger.version)
        if definition.definition_id != trigger.definition_id:
            return "skipped: definition replaced"
        svc.check_runnable(definition)
        context = start_context(trigger, event.name, payload, now)
        check = await svc.check_preconditions(session, definition, tenant_id=tenant_id,
                                              organization_id=organization_id, context=context)
        if not check.can_start:
            raise svc.preconditions_failed(definition, check)
        try:
            instance = await svc.create_instance(
                session, definition, tenant_id=tenant_id, organization_id=organization_id, context=context,
                correlation_key=None, metadata=start_metadata(trigger, event.name, payload), instance_id=instance_id)
            # The worker must find the row, so it is committed before the workflow exists.
            await session.commit()
        except IntegrityError:
            # Another delivery of this event inserted the instance first.
            await session.rollback()
            return "already started"
        await _launch(session, instance, definition.definition, user_id)
        return f"started {instance_id}"


async def start_workflows_for_event(event: DomainEvent) -> None:
    """The outbox subscriber: every matching trigger of the event's organization, highest priority first."""
    if not wants_event(event.name, event.tenant_id, event.organization_id):
        return
    async with sessionmaker()() as session:
        triggers = await load_triggers(session, str(event.tenant_id), str(event.organization_id))
    for trigger in matching(triggers, event.name, event.payload):
        try:
            outcome = await fire(trigger, event)
        except Exception as exc:
            if is_infrastructure(exc):
                raise
            log.warning("trigger %s (%s) did not start %s for event %s (%s): %s", trigger.id, trigger.name,
                        trigger.workflow_id, event.name, event.id, exc)
            continue
        log.info("trigger %s on event %s (%s): %s", trigger.id, event.name, event.id, outcome)
