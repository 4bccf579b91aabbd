"""Workflow definitions: the tenant's rows merged with the code-defined workflows we ship (docs/workflows.md,
"Uploading and validating").

A code-defined workflow is listed as `code:<workflowId>` until the tenant saves a row with the same
workflowId in scope (a customization, `code_workflow_id` set); resetting to code hard-deletes that row.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit, manifest, outbox
from api.auth import AuthContext
from api.crud.query import like_pattern
from api.crud.service import check_updated_at
from api.db import new_id, utcnow
from api.errors import BadRequest, Conflict, NotFound
from api.modules.audit_logs.models import ActionLog
from api.modules.business_rules.service import put_rules_back
from api.modules.workflows.models import WorkflowDefinition, WorkflowInstance
from api.modules.workflows.serializers import CODE_PREFIX, code_definition_item, definition_item
from definitions import (
    DefinitionCreate,
    DefinitionUpdate,
    DefinitionValidationError,
    ShippedWorkflow,
    dump_definition,
    load_shipped,
    parse_create,
    parse_update,
)

ENTITY = "workflows.definition"
# Instances that are executing right now; resting ones (PAUSED...) run on their pinned definition anyway.
ACTIVE_STATUSES = ("RUNNING", "WAITING_FOR_ACTIVITIES")
NOT_FOUND = "Workflow definition not found"


def shipped() -> dict[str, ShippedWorkflow]:
    """The code-defined workflows the enabled modules ship (their manifests name them)."""
    wanted = manifest.shipped_workflow_ids()
    return {k: w for k, w in load_shipped().items() if w.workflow_id in wanted}


def serialize(row: WorkflowDefinition) -> dict[str, Any]:
    return definition_item(row, shipped())


# The key of a reset's snapshot that holds the guard rules it changed (`reset_to_code`).
RULES = "_rules"


def code_workflow(definition_id: str) -> ShippedWorkflow | None:
    if not definition_id.startswith(CODE_PREFIX):
        return None
    return shipped().get(definition_id[len(CODE_PREFIX):])


def tenant_of(ctx: AuthContext) -> str:
    if not ctx.tenant_id:
        raise BadRequest("Missing tenant context")
    return ctx.tenant_id


def write_scope(ctx: AuthContext) -> tuple[str, str]:
    org = ctx.write_org_id
    if not ctx.tenant_id or not org:
        raise BadRequest("Missing tenant or organization context")
    return ctx.tenant_id, org


def visible(ctx: AuthContext) -> Select[Any]:
    """Live rows of the caller's tenant in its organization scope."""
    stmt = select(WorkflowDefinition).where(WorkflowDefinition.tenant_id == tenant_of(ctx),
                                            WorkflowDefinition.deleted_at.is_(None))
    if ctx.org_scope is not None:
        stmt = stmt.where(WorkflowDefinition.organization_id.in_(ctx.org_scope))
    return stmt


# --- Reads ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListQuery:
    workflow_id: str | None = None
    enabled: bool | None = None
    search: str | None = None
    limit: int = 50
    offset: int = 0


def _matches(workflow: ShippedWorkflow, query: ListQuery) -> bool:
    if query.workflow_id and workflow.workflow_id != query.workflow_id:
        return False
    if query.enabled is not None and workflow.row.enabled != query.enabled:
        return False
    if query.search:
        needle = query.search.lower()
        return needle in workflow.workflow_id.lower() or needle in workflow.row.workflow_name.lower()
    return True


async def list_definitions(session: AsyncSession, ctx: AuthContext, query: ListQuery) -> dict[str, Any]:
    stmt = visible(ctx)
    if query.workflow_id:
        stmt = stmt.where(WorkflowDefinition.workflow_id == query.workflow_id)
    if query.enabled is not None:
        stmt = stmt.where(WorkflowDefinition.enabled.is_(query.enabled))
    if query.search:
        pattern = like_pattern(query.search)
        stmt = stmt.where(or_(func.lower(WorkflowDefinition.workflow_id).like(pattern, escape="\\"),
                              func.lower(WorkflowDefinition.workflow_name).like(pattern, escape="\\")))
    rows = (await session.execute(stmt)).scalars().all()
    code = shipped()
    # Any live row in scope hides the code version, whatever the filters: a disabled customization must
    # not make the enabled code version show up under `enabled=true`.
    shadowed = set((await session.execute(
        visible(ctx).with_only_columns(WorkflowDefinition.workflow_id)
        .where(WorkflowDefinition.workflow_id.in_(list(code)))
    )).scalars().all())
    items = [definition_item(r, code) for r in rows]
    items += [code_definition_item(w) for w in code.values() if w.workflow_id not in shadowed and _matches(w, query)]
    items.sort(key=lambda d: (str(d["workflowName"]).casefold(), str(d["workflowName"]), str(d["id"])))
    total = len(items)
    return {
        "data": items[query.offset:query.offset + query.limit],
        "pagination": {"total": total, "limit": query.limit, "offset": query.offset,
                       "hasMore": query.offset + query.limit < total},
    }


async def find_row(session: AsyncSession, ctx: AuthContext, definition_id: str) -> WorkflowDefinition:
    row = (await session.execute(visible(ctx).where(WorkflowDefinition.id == definition_id))).scalars().first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


async def get_definition(session: AsyncSession, ctx: AuthContext, definition_id: str) -> dict[str, Any]:
    if definition_id.startswith(CODE_PREFIX):
        workflow = code_workflow(definition_id)
        if workflow is None:
            raise NotFound(NOT_FOUND)
        return code_definition_item(workflow)
    row = (await session.execute(visible(ctx).where(WorkflowDefinition.id == definition_id))).scalars().first()
    if row is not None:
        return serialize(row)
    # Instances started from a code workflow carry its deterministic UUID as definitionId.
    for workflow in shipped().values():
        if workflow.uuid == definition_id:
            return code_definition_item(workflow)
    raise NotFound(NOT_FOUND)


async def active_instances(session: AsyncSession, row: WorkflowDefinition) -> int:
    return int((await session.execute(
        select(func.count()).select_from(WorkflowInstance).where(
            WorkflowInstance.definition_id == row.id, WorkflowInstance.tenant_id == row.tenant_id,
            WorkflowInstance.status.in_(ACTIVE_STATUSES), WorkflowInstance.deleted_at.is_(None))
    )).scalar_one())


# --- Validation and optimistic locking --------------------------------------------------------------------

def parse_create_body(body: Any) -> DefinitionCreate:
    try:
        return parse_create(body)
    except DefinitionValidationError as exc:
        raise BadRequest("Validation failed", [i.to_dict() for i in exc.issues]) from None


def parse_update_body(body: Any) -> DefinitionUpdate:
    try:
        return parse_update(body)
    except DefinitionValidationError as exc:
        raise BadRequest("Validation failed", [i.to_dict() for i in exc.issues]) from None


def _instant(value: Any) -> datetime | None:
    """A client-sent date as an aware datetime; None when it is empty or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def check_lock(row: WorkflowDefinition, expected: str | None) -> None:
    check_updated_at(ENTITY, row.updated_at, expected)


# --- Writes -----------------------------------------------------------------------------------------------

def _stored(model: Any) -> dict[str, Any] | None:
    return None if model is None else dump_definition(model)


async def _log(session: AsyncSession, ctx: AuthContext, action: str, row: WorkflowDefinition,
               before: dict[str, Any] | None, after: dict[str, Any] | None, *, label: str,
               payload: dict[str, Any] | None = None) -> ActionLog:
    return await audit.record(session, ctx, command_id=f"workflows.definitions.{action}", resource_kind=ENTITY,
                              resource_id=row.id, before=before, after=after, payload=payload, label=label,
                              organization_id=row.organization_id)


def _emit(session: AsyncSession, name: str, row: WorkflowDefinition, payload: dict[str, Any]) -> None:
    outbox.emit(session, name, payload, tenant_id=row.tenant_id, organization_id=row.organization_id)


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError:
        # Two creates raced past the existence check; the unique constraint decided.
        raise Conflict("Workflow definition with this ID already exists") from None


async def _existing(session: AsyncSession, tenant_id: str, workflow_id: str) -> WorkflowDefinition | None:
    """The tenant's row for `workflow_id`, soft-deleted or not, in any organization (the key is per tenant)."""
    return (await session.execute(
        select(WorkflowDefinition).where(WorkflowDefinition.tenant_id == tenant_id,
                                         WorkflowDefinition.workflow_id == workflow_id)
    )).scalars().first()


async def create(session: AsyncSession, ctx: AuthContext, body: Any) -> tuple[WorkflowDefinition, ActionLog]:
    tenant_id, org_id = write_scope(ctx)
    parsed = parse_create_body(body)
    if await _existing(session, tenant_id, parsed.workflow_id) is not None:
        raise Conflict(f'Workflow definition with ID "{parsed.workflow_id}" already exists')
    row = WorkflowDefinition(
        id=new_id(), tenant_id=tenant_id, organization_id=org_id, workflow_id=parsed.workflow_id,
        workflow_name=parsed.workflow_name, description=parsed.description, version=parsed.version,
        definition=dump_definition(parsed.definition), metadata_json=_stored(parsed.metadata),
        enabled=parsed.enabled, created_by=ctx.user_id, updated_by=ctx.user_id,
    )
    session.add(row)
    await _flush(session)
    after = audit.snapshot(row)
    entry = await _log(session, ctx, "create", row, None, after, label="Create workflow definition",
                       payload={"workflowId": row.workflow_id})
    _emit(session, "workflows.definition.created", row, serialize(row))
    await session.flush()
    return row, entry


def _apply_update(row: WorkflowDefinition, body: dict[str, Any], parsed: DefinitionUpdate) -> None:
    """Only the keys the client sent; `workflowId` is accepted and ignored, `metadata` replaced whole."""
    if "workflowName" in body:
        row.workflow_name = str(parsed.workflow_name)
    if "description" in body:
        row.description = parsed.description
    if "version" in body and parsed.version is not None:
        row.version = parsed.version
    if "definition" in body and parsed.definition is not None:
        row.definition = dump_definition(parsed.definition)
    if "metadata" in body:
        row.metadata_json = _stored(parsed.metadata)
    if "enabled" in body and parsed.enabled is not None:
        row.enabled = parsed.enabled
    if "effectiveFrom" in body:
        row.effective_from = _instant(body["effectiveFrom"])
    if "effectiveTo" in body:
        row.effective_to = _instant(body["effectiveTo"])


async def update(session: AsyncSession, ctx: AuthContext, definition_id: str, body: Any,
                 expected: str | None) -> tuple[WorkflowDefinition, ActionLog]:
    write_scope(ctx)
    parsed = parse_update_body(body)
    row = await find_row(session, ctx, definition_id)
    check_lock(row, expected)
    before = audit.snapshot(row)
    _apply_update(row, body, parsed)
    row.updated_by = ctx.user_id
    # Every successful PUT moves the lock token, even one that changed nothing.
    row.updated_at = utcnow()
    await _flush(session)
    entry = await _log(session, ctx, "update", row, before, audit.snapshot(row), label="Update workflow definition",
                       payload={k: v for k, v in body.items() if k != "definition"})
    _emit(session, "workflows.definition.updated", row, serialize(row))
    await session.flush()
    return row, entry


async def customize(session: AsyncSession, ctx: AuthContext, workflow: ShippedWorkflow, *,
                    body: dict[str, Any] | None = None, expected: str | None = None
                    ) -> tuple[WorkflowDefinition, ActionLog]:
    """Save a tenant copy of a code workflow (seeded from the code, then the keys of `body`), reviving a
    soft-deleted earlier customization rather than colliding with it."""
    tenant_id, org_id = write_scope(ctx)
    parsed = parse_update_body(body) if body is not None else None
    row = await _existing(session, tenant_id, workflow.workflow_id)
    if row is not None and row.deleted_at is None and not ctx.sees_org(row.organization_id):
        raise Conflict(f'Workflow definition with ID "{workflow.workflow_id}" already exists')
    if row is not None:
        check_lock(row, expected)
    before = audit.snapshot(row) if row is not None and row.deleted_at is None else None
    if row is None:
        row = WorkflowDefinition(id=new_id(), tenant_id=tenant_id, organization_id=org_id,
                                 workflow_id=workflow.workflow_id, created_by=ctx.user_id)
        session.add(row)
    elif row.deleted_at is not None:
        row.organization_id = org_id
        row.deleted_at = None
    code = workflow.to_json()
    row.code_workflow_id = workflow.workflow_id
    row.workflow_name = code["workflowName"]
    row.description = code.get("description")
    row.version = code.get("version", 1)
    row.definition = code["definition"]
    row.metadata_json = code.get("metadata")
    row.enabled = code.get("enabled", True)
    if body is not None and parsed is not None:
        _apply_update(row, body, parsed)
    row.updated_by = ctx.user_id
    row.updated_at = utcnow()
    await _flush(session)
    entry = await _log(session, ctx, "customize", row, before, audit.snapshot(row),
                       label="Customize workflow definition", payload={"workflowId": workflow.workflow_id})
    _emit(session, "workflows.definition.customized", row, {
        "id": row.id, "workflowId": row.workflow_id, "codeWorkflowId": row.code_workflow_id,
        "tenantId": row.tenant_id, "organizationId": row.organization_id, "userId": ctx.user_id})
    await session.flush()
    return row, entry


async def delete(session: AsyncSession, ctx: AuthContext, definition_id: str,
                 expected: str | None) -> tuple[WorkflowDefinition, ActionLog]:
    write_scope(ctx)
    row = await find_row(session, ctx, definition_id)
    check_lock(row, expected)
    active = await active_instances(session, row)
    if active:
        raise Conflict(f"Cannot delete workflow definition with {active} active instance(s)")
    before = audit.snapshot(row)
    row.deleted_at = row.updated_at = utcnow()
    await session.flush()
    entry = await _log(session, ctx, "delete", row, before, audit.snapshot(row), label="Delete workflow definition",
                       payload={"id": row.id})
    _emit(session, "workflows.definition.deleted", row, serialize(row))
    await session.flush()
    return row, entry


async def reset_to_code(session: AsyncSession, ctx: AuthContext, definition_id: str,
                        expected: str | None) -> tuple[ShippedWorkflow | None, ActionLog]:
    write_scope(ctx)
    row = await find_row(session, ctx, definition_id)
    if not row.code_workflow_id:
        raise BadRequest("This workflow definition is not a code-based override and cannot be reset")
    check_lock(row, expected)
    active = await active_instances(session, row)
    if active:
        raise Conflict(f"Cannot reset workflow definition with {active} active instance(s)")
    from api.modules.workflows import shipped_rules

    before = audit.snapshot(row)
    rules_before = await shipped_rules.states(session, row.tenant_id, row.code_workflow_id)
    workflow = shipped().get(row.code_workflow_id)
    entry = await _log(session, ctx, "reset_to_code", row, before, None, label="Reset workflow definition to code",
                       payload={"id": row.id, "workflowId": row.workflow_id})
    _emit(session, "workflows.definition.reset_to_code", row, {
        "id": row.id, "workflowId": row.workflow_id, "codeWorkflowId": row.code_workflow_id,
        "tenantId": row.tenant_id, "organizationId": row.organization_id, "userId": ctx.user_id})
    await session.delete(row)
    await session.flush()
    # The code version comes with its guard rules as shipped (shipped_rules.py). The entry keeps each rule as it was
    # and as the reset left it, so that undo puts the tenant's edits back and redo takes them again.
    await shipped_rules.install(session, row.tenant_id, workflow_id=row.code_workflow_id, reset=True)
    rules_after = await shipped_rules.states(session, row.tenant_id, row.code_workflow_id)
    entry.snapshot_before = {**before, RULES: [{"id": rule_id, "before": rules_before.get(rule_id), "after": after}
                                               for rule_id, after in sorted(rules_after.items())]}
    return workflow, entry


async def _rules_back(session: AsyncSession, row: Any, snap: dict[str, Any]) -> None:
    """`restore_extra`: undoing a reset to code puts the workflow's guard rules back as the tenant had them."""
    if isinstance(snap.get(RULES), list) and row.tenant_id:
        await put_rules_back(session, row.tenant_id, snap[RULES], to="before", now="after")


@contextlib.asynccontextmanager
async def _removing(session: AsyncSession, ctx: AuthContext, row: Any,
                    leaving: dict[str, Any] | None) -> AsyncIterator[None]:
    """Redoing a reset to code takes the guard rules to the code's version again, as the reset did."""
    yield
    if leaving is not None and isinstance(leaving.get(RULES), list) and row.tenant_id:
        await put_rules_back(session, row.tenant_id, leaving[RULES], to="after", now="before")


UNDOABLE = audit.Undoable(WorkflowDefinition, serialize=serialize, features={
    "create": "workflows.definitions.create",
    "update": "workflows.definitions.edit",
    "delete": "workflows.definitions.delete",
}, restore_extra=_rules_back, removing=_removing)
