"""UPDATE_ENTITY: an allow-listed command run through the module's own service, as the workflow's user.

Config `{commandId, input: object, statusDictionary?}`; with `statusDictionary`, `input.statusValue` is
resolved to that dictionary's entry and sent as `statusEntryId`. The command must be one a module's manifest
declares (`api.commands`: the workflow-safe allow-list); the acting user (the engine's `user_id`: the
caller, else the instance's initiator) must hold the command's features within the instance's tenant
and organization. The write goes through the same service the HTTP route uses, so it is validated,
audited and evented like any other.
Output `{executed: true, commandId, result, logEntryId}`.

Exactly once: the action-log entry of the write records the idempotency key in the same transaction, and a
retry that finds it returns the earlier outcome instead of writing again. Attempts of one execution can
overlap (one outlives its timeout while the next starts): they take turns from the check to the commit."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from activities.deps import ActivityDeps
from activities.handlers.common import fail, text
from api import manifest
from api.auth import AuthContext, context_for_user
from api.commands import InvalidInput, WorkflowCommand
from api.errors import ApiError
from api.modules.audit_logs.models import ActionLog
from api.modules.auth.models import User
from api.modules.dictionaries import service as dictionaries
from api.modules.directory.models import Organization
from engine.contract import RunActivityInput

log = logging.getLogger(__name__)


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


async def _one_attempt_at_a_time(session: AsyncSession, key: str) -> None:
    """Hold, until the transaction ends, what another attempt with the same key must wait for before its check.

    Attempts overlap when one outlives its timeout: the next starts (the local activity's retry, or the
    server's retry of a regular activity) while the first still writes, and both checks found nothing: a
    worker killed under load wrote a todo twice that way. PostgreSQL: an advisory lock on the key. SQLite:
    its driver opens the transaction only at the first write, so the check ran outside any transaction; a
    write that changes nothing takes the database's write lock first (the command writes anyway)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
    elif dialect == "sqlite":
        await session.execute(update(ActionLog).where(false()).values(id=ActionLog.id)
                              .execution_options(synchronize_session=False))


async def _earlier_run(session: AsyncSession, inp: RunActivityInput, command_id: str) -> ActionLog | None:
    return (await session.execute(
        select(ActionLog).where(
            ActionLog.tenant_id == inp.tenant_id,
            ActionLog.command_id == command_id,
            ActionLog.context_json["workflowIdempotencyKey"].as_string() == inp.idempotency_key,
        ).limit(1)
    )).scalars().first()


async def _resolve_status(session: AsyncSession, inp: RunActivityInput, dictionary_key: str,
                          data: dict[str, Any]) -> None:
    """`statusValue` becomes `statusEntryId`: the entry of `dictionary_key` with that value, as the instance's
    organization sees the dictionary (its own, else an ancestor's). An organization that has never used
    the default dictionaries gets them first. A value the dictionary lacks is dropped, not written raw (the
    reference does the same): the rest of the input is still applied."""
    value = str(data.pop("statusValue"))
    tenant_id, org_id = inp.tenant_id, inp.organization_id
    if await dictionaries.find_dictionary(session, tenant_id=tenant_id, organization_id=org_id,
                                          key=dictionary_key) is None:
        await dictionaries.ensure_defaults(session, tenant_id=tenant_id, organization_id=org_id)
    entry = await dictionaries.resolve_entry(session, tenant_id=tenant_id, organization_id=org_id,
                                             key=dictionary_key, value=value)
    if entry is None:
        log.warning("UPDATE_ENTITY: no entry %r in dictionary %s; status left unchanged", value, dictionary_key)
        return
    data["statusEntryId"] = entry.id


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
    status_dictionary = text(config, "statusDictionary")

    async with deps.sessions() as session, session.begin():
        if inp.idempotency_key:
            await _one_attempt_at_a_time(session, inp.idempotency_key)
        ctx = await _acting_context(session, inp, command)
        if inp.idempotency_key:
            earlier = await _earlier_run(session, inp, command_id)
            if earlier is not None:
                result = None
                if command.load is not None and earlier.resource_id:
                    result = await command.load(session, ctx, earlier.resource_id)
                return {"executed": True, "commandId": command_id, "result": result, "logEntryId": earlier.id}
        if data.get("statusValue") and status_dictionary:
            await _resolve_status(session, inp, status_dictionary, data)
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
