"""Starting instances and acting on running ones (docs/workflows.md, "Running instances").

The API resolves the definition, checks the START pre-conditions, writes the instance row and its
WORKFLOW_STARTED event, commits, and then starts `DefinitionWorkflow` with the definition pinned as input.
From then on the workflow owns the instance's rows; advance / cancel / retry reach it as Temporal Updates.
None of the start functions need an HTTP caller, so event triggers can start instances the same way.
"""

from __future__ import annotations

import asyncio
import functools
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api import temporal
from api.caches import Watched
from api.casing import js_iso
from api.db import new_id, utcnow
from api.errors import ApiError, BadRequest
from api.modules.business_rules.service import execute_rule_by_rule_id
from api.modules.workflows import shipped_rules
from api.modules.workflows.definitions_service import shipped
from api.modules.workflows.models import WorkflowDefinition, WorkflowEvent, WorkflowInstance
from api.settings import get_settings
from definitions import Definition
from engine import guards
from engine.contract import (
    ENGINE_LEVEL,
    ERROR_STATUS,
    WORKFLOW_TYPE,
    GuardInput,
    GuardResult,
    StartInput,
    UpdateResult,
    started_event_key,
)

# How long an HTTP call waits for a running instance to answer an Update.
UPDATE_TIMEOUT_SECONDS = 60.0
# Pause before sending again an Update that Temporal dropped while the instance runs on (see _update_until_answered).
UPDATE_RETRY_SECONDS = 0.2


class StartError(ApiError):
    """A start the reference refuses, with its code (DEFINITION_NOT_FOUND, ...) and status."""

    def __init__(self, kind: str, message: str, status: int, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, extra=extra)
        self.kind = kind
        self.status = status


class EngineUnavailable(ApiError):
    status = 500


class UpdateTimeout(ApiError):
    status = 504


@dataclass(frozen=True)
class ResolvedDefinition:
    definition_id: str
    workflow_id: str
    workflow_name: str
    version: int
    enabled: bool
    definition: dict[str, Any]
    created_by: str | None = None
    # The row's organization; None for a code-defined workflow (it belongs to no organization).
    organization_id: str | None = None

    @functools.cached_property
    def parsed(self) -> Definition | None:
        """The definition as the engine reads it (None when it does not parse): once per definition this process
        keeps (`_definitions`), not once per start."""
        try:
            return Definition.model_validate(self.definition)
        except ValidationError:
            return None

    @property
    def start_step_id(self) -> str | None:
        return next((s.get("stepId") for s in self.definition.get("steps") or []
                     if isinstance(s, dict) and s.get("stepType") == "START"), None)

    @property
    def start_step(self) -> dict[str, Any]:
        return next((s for s in self.definition.get("steps") or []
                     if isinstance(s, dict) and s.get("stepType") == "START"), {})


# --- Definition lookup: the tenant's row, else the shipped workflow; version and enabled checked --------

def _not_found(workflow_id: str, version: int | None) -> StartError:
    suffix = f" v{version}" if version is not None else ""
    return StartError("DEFINITION_NOT_FOUND", f"Workflow definition not found: {workflow_id}{suffix}", 404)


# Definitions this process resolved, kept a moment: the lookup (a query and the definition's JSON) was about a
# fifth of the API's CPU for a start under load (docs/benchmarks.md, "API start path"). Any write of a
# definition row by this process forgets them at once (create, update, delete, undo, reset to code alike);
# one made through another API process is seen within DEFINITION_TTL_SECONDS (docs/workflows.md, "Versions").
DEFINITION_TTL_SECONDS = 2.0
_definitions: Watched[ResolvedDefinition] = Watched(frozenset({WorkflowDefinition.__tablename__}),
                                                           ttl=lambda: DEFINITION_TTL_SECONDS)


def forget_definitions() -> None:
    _definitions.forget()


async def _definition_row(session: AsyncSession, tenant_id: str, org_scope: Sequence[str] | None,
                          workflow_id: str) -> ResolvedDefinition | None:
    async def read() -> ResolvedDefinition | None:
        stmt = select(WorkflowDefinition).where(WorkflowDefinition.tenant_id == tenant_id,
                                                WorkflowDefinition.workflow_id == workflow_id,
                                                WorkflowDefinition.deleted_at.is_(None))
        if org_scope is not None:
            stmt = stmt.where(WorkflowDefinition.organization_id.in_(list(org_scope)))
        row = (await session.execute(stmt)).scalars().first()
        return None if row is None else ResolvedDefinition(
            row.id, row.workflow_id, row.workflow_name, row.version, row.enabled, row.definition or {},
            row.created_by, row.organization_id)

    return await _definitions.load((tenant_id, workflow_id, None if org_scope is None else tuple(sorted(org_scope))),
                                   read)


async def resolve_definition(session: AsyncSession, *, tenant_id: str, org_scope: Sequence[str] | None,
                             workflow_id: str, version: int | None) -> ResolvedDefinition:
    """The tenant's row for `workflow_id` in scope, else the code-defined workflow of that id.

    A row in scope is authoritative even when disabled: a disabled customization must not quietly start
    the code version. A disabled definition is refused as disabled (400), also without a version.
    """
    found = await _definition_row(session, tenant_id, org_scope, workflow_id)
    if found is None:
        code = shipped().get(workflow_id)
        if code is None:
            raise _not_found(workflow_id, version)
        body = code.to_json()
        found = ResolvedDefinition(code.uuid, code.workflow_id, body["workflowName"], body.get("version", 1),
                                   body.get("enabled", True), body["definition"])
    if version is not None and found.version != version:
        raise _not_found(workflow_id, version)
    if not found.enabled:
        raise StartError("DEFINITION_DISABLED", f"Workflow definition is disabled: {workflow_id}", 400)
    return found


def check_runnable(definition: ResolvedDefinition) -> None:
    steps = definition.definition.get("steps") or []
    if len(steps) < 2:
        raise StartError("INVALID_DEFINITION", "Workflow definition must have at least START and END steps", 400)
    if len(definition.definition.get("transitions") or []) < 1:
        raise StartError("INVALID_DEFINITION", "Workflow definition must have at least one transition", 400)
    if definition.start_step_id is None:
        raise StartError("INVALID_DEFINITION", "Workflow definition must have a START step", 400)


# --- START pre-conditions (docs/workflows.md, "START pre-conditions") --------------------------------------

@dataclass
class StartCheck:
    errors: list[dict[str, Any]] = field(default_factory=list)
    validated_rules: list[dict[str, Any]] = field(default_factory=list)

    @property
    def can_start(self) -> bool:
        return not self.errors


async def check_preconditions(session: AsyncSession, definition: ResolvedDefinition, *, tenant_id: str,
                              organization_id: str, context: dict[str, Any], locale: str = "en") -> StartCheck:
    """Run the START step's rules as dry runs (no execution logs) against the start context: the engine's
    rules (`engine.guards.validate_start`), with the rules service called directly. A rule
    whose BLOCK_TRANSITION action fires blocks the start like a false condition, as it blocks a transition."""
    await shipped_rules.ensure(tenant_id)  # the shipped workflows' guards need their rules (shipped_rules.py)

    async def evaluate(guard: GuardInput) -> GuardResult:
        result = await execute_rule_by_rule_id(
            session, rule_id=guard.rule_id, tenant_id=guard.tenant_id, organization_id=guard.organization_id,
            entity_type=guard.entity_type, entity_id=guard.entity_id, event_type=guard.event_type, data=guard.data,
            user_id=guard.user_id, dry_run=guard.dry_run)
        return GuardResult(rule_id=guard.rule_id, rule_name=result.rule_name,
                           condition_result=bool(result.condition_result), error=result.error,
                           execution_time_ms=int(result.execution_time_ms or 0),
                           blocked=not getattr(result, "allowed", True))

    parsed = definition.parsed
    if parsed is None:
        return StartCheck(errors=[{"ruleId": "_INVALID_DEFINITION", "message": "Workflow definition is invalid",
                                   "code": "INVALID_DEFINITION"}])
    outcome = await guards.validate_start(parsed, workflow_id=definition.workflow_id, context=context,
                                          tenant_id=tenant_id, organization_id=organization_id, evaluate=evaluate,
                                          locale=locale)
    return StartCheck(errors=list(outcome["errors"]), validated_rules=list(outcome["validatedRules"]))


async def validate_start(session: AsyncSession, *, tenant_id: str, organization_id: str,
                         org_scope: Sequence[str] | None, workflow_id: str, version: int | None,
                         context: dict[str, Any], locale: str) -> dict[str, Any]:
    """The `validate-start` answer: never an error, `canStart: false` with the reasons instead."""
    try:
        definition = await resolve_definition(session, tenant_id=tenant_id, org_scope=org_scope,
                                              workflow_id=workflow_id, version=version)
    except StartError as exc:
        rule, message = (("_DEFINITION_NOT_FOUND", exc.error) if exc.kind == "DEFINITION_NOT_FOUND"
                         else ("_DEFINITION_DISABLED", f"Workflow is disabled: {workflow_id}"))
        return {"canStart": False, "workflowId": workflow_id,
                "errors": [{"ruleId": rule, "message": message, "code": exc.kind}]}
    if definition.start_step_id is None:
        return {"canStart": False, "workflowId": workflow_id, "errors": [
            {"ruleId": "_NO_START_STEP", "message": "Workflow has no START step", "code": "INVALID_DEFINITION"}]}
    check = await check_preconditions(session, definition, tenant_id=tenant_id, organization_id=organization_id,
                                      context=context, locale=locale)
    body: dict[str, Any] = {"canStart": check.can_start, "workflowId": workflow_id}
    if check.errors:
        body["errors"] = check.errors
    if check.validated_rules:
        body["validatedRules"] = check.validated_rules
    return body


def preconditions_failed(definition: ResolvedDefinition, check: StartCheck) -> StartError:
    message = "Workflow start pre-conditions failed: " + "; ".join(e["message"] for e in check.errors)
    return StartError("START_PRE_CONDITIONS_FAILED", message, 422, extra={
        "code": "START_PRE_CONDITIONS_FAILED",
        "details": {"workflowId": definition.workflow_id, "errors": check.errors,
                    "validatedRules": check.validated_rules}})


# --- Creating and launching -------------------------------------------------------------------------------

async def create_instance(session: AsyncSession, definition: ResolvedDefinition, *, tenant_id: str,
                          organization_id: str, context: dict[str, Any], correlation_key: str | None,
                          metadata: dict[str, Any] | None, instance_id: str | None = None) -> WorkflowInstance:
    """The RUNNING row at the START step and its WORKFLOW_STARTED event, added to `session`: the caller's commit
    writes them in the same flush as its audit entry (a flush of their own cost a second unit of work per start).
    `instance_id`: a caller that must not start twice (an event trigger) derives it from what it handles; a
    duplicate fails that commit."""
    now = utcnow()
    start_step = definition.start_step_id
    instance = WorkflowInstance(
        id=instance_id or new_id(), tenant_id=tenant_id, organization_id=organization_id,
        definition_id=definition.definition_id,
        workflow_id=definition.workflow_id, version=definition.version, status="RUNNING",
        current_step_id=start_step, context=context, correlation_key=correlation_key, metadata_json=metadata,
        started_at=now, created_at=now, updated_at=now, retry_count=0,
    )
    session.add(instance)
    session.add(WorkflowEvent(
        event_key=started_event_key(instance.id), workflow_instance_id=instance.id, event_type="WORKFLOW_STARTED",
        event_data={"workflowId": definition.workflow_id, "version": definition.version, "startStepId": start_step,
                    "initialContext": context, "metadata": metadata},
        occurred_at=now, user_id=(metadata or {}).get("initiatedBy"), tenant_id=tenant_id,
        organization_id=organization_id,
    ))
    return instance


def interpolation_env() -> dict[str, str]:
    """`{{env.KEY}}` values an instance may read: APP_URL and the keys listed in
    OM_WORKFLOWS_ENV_INTERPOLATION_ALLOWLIST, nothing else of the environment."""
    env = {"APP_URL": os.environ.get("APP_URL") or get_settings().app_url}
    for key in (os.environ.get("OM_WORKFLOWS_ENV_INTERPOLATION_ALLOWLIST") or "").split(","):
        key = key.strip()
        if key and key in os.environ:
            env[key] = os.environ[key]
    return env


def start_input(instance: WorkflowInstance, definition: dict[str, Any], *, user_id: str | None,
                **resume: Any) -> StartInput:
    return StartInput(
        instance_id=instance.id, tenant_id=instance.tenant_id, organization_id=instance.organization_id,
        definition_id=instance.definition_id, workflow_id=instance.workflow_id, version=instance.version,
        definition=definition, context=dict(instance.context or {}), correlation_key=instance.correlation_key,
        metadata=instance.metadata_json, user_id=user_id, env=interpolation_env(),
        started_at=js_iso(instance.started_at), engine_level=ENGINE_LEVEL, **resume,
    )


async def launch(arg: StartInput) -> None:
    client = await temporal.get_client()
    await client.start_workflow(WORKFLOW_TYPE, arg, id=arg.instance_id, task_queue=temporal.task_queue())


async def launch_once(arg: StartInput) -> bool:
    """Start the instance's workflow unless a run with its id exists or existed (within Temporal's
    retention): True when this call started it. For callers that may launch the same row again, such as an
    event trigger redelivered after a crash between commit and launch."""
    client = await temporal.get_client()
    try:
        await client.start_workflow(WORKFLOW_TYPE, arg, id=arg.instance_id, task_queue=temporal.task_queue(),
                                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
    except WorkflowAlreadyStartedError:
        return False
    return True


async def mark_failed(session: AsyncSession, instance: WorkflowInstance, error: str) -> None:
    """No workflow runs this instance: say so on the row instead of leaving it RUNNING forever."""
    now = utcnow()
    instance.status = "FAILED"
    instance.error_message = f"Failed to start workflow execution: {error}"
    instance.error_details = {"error": error}
    instance.completed_at = now
    session.add(WorkflowEvent(
        event_key=f"{instance.id}:START_FAILED:{instance.retry_count}", workflow_instance_id=instance.id,
        event_type="WORKFLOW_FAILED", event_data={"error": instance.error_message}, occurred_at=now,
        tenant_id=instance.tenant_id, organization_id=instance.organization_id,
    ))
    await session.commit()


# --- Updates to running instances -------------------------------------------------------------------------

class NotRunning(Exception):
    """The instance has no open workflow execution (it completed, failed for good, or was never started)."""


def _rendered(exc: ApplicationError, status: int) -> ApiError:
    details = exc.details[0] if exc.details and isinstance(exc.details[0], dict) else {}
    error = ApiError(exc.message, extra={k: v for k, v in details.items() if k != "error"})
    error.status = status
    return error


async def run_update(instance_id: str, update: str, arg: Any, *, failure: str) -> UpdateResult:
    """Execute `update` on the instance's workflow. The workflow's refusals (ApplicationError typed with an
    ERROR_STATUS code) become that status with `{"error": message, **details[0]}`; anything else is a 500
    `{"error": failure, "message": ...}`."""
    try:
        client = await temporal.get_client()
    except Exception as exc:  # noqa: BLE001 - whatever stops the connection, the engine is unavailable
        raise EngineUnavailable(failure, extra={"message": f"Workflow engine unavailable: {exc}"}) from None
    handle = client.get_workflow_handle(instance_id)
    try:
        return await asyncio.wait_for(_update_until_answered(handle, update, arg), UPDATE_TIMEOUT_SECONDS)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type in ERROR_STATUS:
            raise _rendered(cause, ERROR_STATUS[cause.type]) from None
        raise EngineUnavailable(failure, extra={"message": str(cause or exc)}) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise NotRunning(str(exc)) from None
        raise EngineUnavailable(failure, extra={"message": str(exc)}) from None
    except TimeoutError:
        raise UpdateTimeout("Workflow did not respond in time") from None


async def _update_until_answered(handle: WorkflowHandle[Any, Any], update: str, arg: Any) -> UpdateResult:
    """Temporal keeps an Update it has admitted but the workflow has not yet accepted only in memory: when the
    worker holding the run dies (or the run continues as new) at that moment, the Update is dropped and the
    caller gets NOT_FOUND although the instance is running. So NOT_FOUND means "not running" only when the
    instance really is not; otherwise the same Update (same id: Temporal applies an id once) is sent again."""
    update_id = str(uuid.uuid4())
    while True:
        try:
            return await handle.execute_update(update, arg, id=update_id, result_type=UpdateResult)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND or not await _running(handle):
                raise
        await asyncio.sleep(UPDATE_RETRY_SECONDS)


async def _running(handle: WorkflowHandle[Any, Any]) -> bool:
    try:
        description = await handle.describe()
    except RPCError:
        return False
    return description.status == WorkflowExecutionStatus.RUNNING


async def pinned_definition(client: Client, instance: WorkflowInstance) -> dict[str, Any] | None:
    """The definition the instance's first run was started with, from its history (None if gone)."""
    try:
        async for event in client.get_workflow_handle(instance.id).fetch_history_events():
            if event.HasField("workflow_execution_started_event_attributes"):
                payloads = event.workflow_execution_started_event_attributes.input.payloads
                values = await client.data_converter.decode(payloads, [StartInput])
                first = values[0] if values else None
                return first.definition if isinstance(first, StartInput) else None
            break
    except RPCError:
        return None
    return None


async def current_definition(session: AsyncSession, instance: WorkflowInstance) -> dict[str, Any] | None:
    row = await session.get(WorkflowDefinition, instance.definition_id)
    if row is not None:
        return row.definition
    for code in shipped().values():
        if code.uuid == instance.definition_id:
            return dict(code.to_json()["definition"])
    return None


async def restart(session: AsyncSession, instance: WorkflowInstance, *, user_id: str | None) -> None:
    """Retry of a FAILED instance whose workflow has ended: a new run continues from the persisted cursor
    with the persisted context, on the definition it started with when its history still exists."""
    client = await temporal.get_client()
    definition = await pinned_definition(client, instance) or await current_definition(session, instance)
    if definition is None:
        raise BadRequest("Workflow definition not found")
    instance.status = "RUNNING"
    instance.retry_count = (instance.retry_count or 0) + 1
    instance.error_message = None
    instance.error_details = None
    instance.completed_at = None
    instance.updated_at = utcnow()
    arg = start_input(instance, definition, user_id=user_id, resume_step_id=instance.current_step_id,
                      retry_count=instance.retry_count, projection_seq=instance.projection_seq or 0)
    await session.commit()
    try:
        await client.start_workflow(WORKFLOW_TYPE, arg, id=instance.id, task_queue=temporal.task_queue())
    except Exception as exc:  # noqa: BLE001 - any failure to start leaves the instance failed, not RUNNING
        await mark_failed(session, instance, str(exc))
        raise EngineUnavailable("Failed to retry workflow instance", extra={"message": str(exc)}) from None
