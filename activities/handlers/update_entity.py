"""UPDATE_ENTITY: an allow-listed command run through the module's own service, as the workflow's user.

Config `{commandId, input: object, statusDictionary?}`. The command must be one a module's manifest
declares (`api.commands`: the workflow-safe allow-list); the acting user (the engine's `user_id`: the
caller, else the instance's initiator) must hold the command's features within the instance's tenant
and organization. The write goes through the same service the HTTP route uses, so it is validated,
audited and evented like any other.
Output `{executed: true, commandId, result, logEntryId}`.

Exactly once: the action-log entry of the write records the idempotency key in the same transaction, and a
retry that finds it returns the earlier outcome instead of writing again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.deps import ActivityDeps
from activities.handlers.common import fail, text
from api import manifest
from api.auth import AuthContext, context_for_user
from api.commands import InvalidInput, WorkflowCommand
from api.errors import ApiError
from api.modules.audit_logs.models import ActionLog
from api.modules.auth.models import User
from api.modules.directory.models import Organization
from engine.contract import RunActivityInput


async def _narrow_to_org(session: AsyncSession, ctx: AuthContext, org_id: str) -> bool:
    """Scope the user's context to the instance's organization (and its descendants), as if the user had
    selected it; False when the user's grants do not reach it."""
    org = (await session.execute(
        select(Organization).where(Organization.id == org_id, Organization.tenant_id == ctx.tenant_id,
                                   Organization.deleted_at.is_(None))
    )).scalars().first()
    if org is None:
        return False
    unrestricted = ctx.allowed_orgs is None or ctx.is_super_admin
    if not unrestricted and org.id not in (ctx.allowed_orgs or []):
        return False
    scope = [org.id, *(org.descendant_ids or [])]
    ctx.selected_org_id = org.id
    ctx.org_scope = scope if unrestricted else [o for o in scope if o in (ctx.allowed_orgs or [])]
    return True


async def _acting_context(session: AsyncSession, inp: RunActivityInput, command: WorkflowCommand) -> AuthContext:
    user_id = (inp.user_id or "").strip()
    if not user_id and inp.initiated_by and not inp.initiated_by.startswith("trigger:"):
        user_id = inp.initiated_by
    if not user_id:
        raise fail("UPDATE_ENTITY requires an authenticated workflow user")
    user = await session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise fail("UPDATE_ENTITY requires an authenticated workflow user")
    ctx = await context_for_user(session, user)
    if ctx.tenant_id != inp.tenant_id:
        if not ctx.is_super_admin:
            raise fail("UPDATE_ENTITY command is not authorized")
        ctx.tenant_id = inp.tenant_id
    if not await _narrow_to_org(session, ctx, inp.organization_id) or not ctx.can(*command.features):
        raise fail("UPDATE_ENTITY command is not authorized", {"requiredFeatures": list(command.features)})
    return ctx


async def _earlier_run(session: AsyncSession, inp: RunActivityInput, command_id: str) -> ActionLog | None:
    return (await session.execute(
        select(ActionLog).where(
            ActionLog.tenant_id == inp.tenant_id,
            ActionLog.command_id == command_id,
            ActionLog.context_json["workflowIdempotencyKey"].as_string() == inp.idempotency_key,
        ).limit(1)
    )).scalars().first()


async def handle(inp: RunActivityInput, deps: ActivityDeps) -> dict[str, Any]:
    config = inp.config or {}
    command_id = text(config, "commandId")
    if command_id is None:
        raise fail('UPDATE_ENTITY requires "commandId" field (e.g., "sales.documents.update")')
    allowed = manifest.commands()
    command = allowed.get(command_id)
    if command is None:
        raise fail(f'UPDATE_ENTITY command is not allowed: "{command_id}" (allowed: {", ".join(sorted(allowed))})',
                   {"allowedCommands": sorted(allowed)})
    data = config.get("input")
    if not isinstance(data, dict):
        raise fail('UPDATE_ENTITY requires "input" object with entity data')
    data = dict(data)
    if data.get("statusValue") and config.get("statusDictionary"):
        # The reference resolves the value through a dictionaries module; without one the value cannot be
        # mapped to an entry id, and, as there, an unresolved value is dropped rather than written raw.
        data.pop("statusValue")

    async with deps.sessions() as session, session.begin():
        ctx = await _acting_context(session, inp, command)
        if inp.idempotency_key:
            earlier = await _earlier_run(session, inp, command_id)
            if earlier is not None:
                result = None
                if command.load is not None and earlier.resource_id:
                    result = await command.load(session, ctx, earlier.resource_id)
                return {"executed": True, "commandId": command_id, "result": result, "logEntryId": earlier.id}
        try:
            outcome = await command.execute(session, ctx, data)
        except InvalidInput as exc:
            raise fail(f"UPDATE_ENTITY input invalid: {exc.issues}") from None
        except ApiError as exc:
            raise fail(f"UPDATE_ENTITY {command_id} failed: {exc.error}", exc.body()) from None
        entry = outcome.log_entry
        if entry is not None:
            entry.context_json = {
                **(entry.context_json or {}),
                "source": "workflow",
                "workflowInstanceId": inp.instance_id,
                "activityId": inp.activity_id,
                "workflowIdempotencyKey": inp.idempotency_key,
            }
            await session.flush()
    return {"executed": True, "commandId": command_id, "result": outcome.result,
            "logEntryId": entry.id if entry is not None else None}
