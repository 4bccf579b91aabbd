"""Reading the action and access logs, and undo/redo of the caller's own actions.

Who sees what: every caller sees its own entries in its tenant and organization scope (plus
tenant-level entries without an organization). Holders of `audit_logs.view_tenant` ("tenant
administrators") may also ask for another actor or for any organization their grants allow.

Undo and redo replay snapshots through `api.audit`: undo puts `snapshot_before` back, redo puts
`snapshot_after` back and records a new action. Both refuse when the record no longer looks the
way the action (or the undo) left it, so they never overwrite somebody's later change.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, false, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit, outbox
from api.access_log import list_access_type, record_access
from api.auth import AuthContext
from api.casing import jsonable
from api.crud.query import Envelope, parse_bool, parse_datetime, parse_int
from api.db import Base, utcnow
from api.errors import BadRequest, Conflict, Forbidden
from api.modules.audit_logs.models import AccessLog, ActionLog
from api.modules.auth.models import User
from api.modules.directory.models import Organization, Tenant

VIEW_TENANT = "audit_logs.view_tenant"
UNDO_UNAVAILABLE = "Invalid or unavailable undo token"
REDO_UNAVAILABLE = "Log not eligible for redo"
CHANGED_SINCE = audit.CHANGED_SINCE
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

LogModel = type[ActionLog] | type[AccessLog]


def can_view_tenant(ctx: AuthContext) -> bool:
    return ctx.can(VIEW_TENANT)


def _invalid(name: str, message: str) -> BadRequest:
    return BadRequest("Invalid input", [{"path": [name], "message": message}])


def _uuid(value: str, name: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise _invalid(name, "Expected a UUID") from None


def _count(value: str | None, name: str, default: int, hi: int) -> int:
    return parse_int(value.strip() if value else value, name, default, 1, hi)


def _instant(value: str | None, name: str) -> datetime | None:
    return parse_datetime(value, name) if value and value.strip() else None


@dataclass(frozen=True)
class Window:
    """Filters shared by both logs, parsed from the query string."""

    organization_id: str | None
    actor_user_id: str | None
    before: datetime | None
    after: datetime | None

    @classmethod
    def parse(cls, *, organization_id: str | None, actor_user_id: str | None, before: str | None,
              after: str | None) -> Window:
        return cls(
            organization_id=_uuid(organization_id.strip(), "organizationId") if organization_id else None,
            actor_user_id=_uuid(actor_user_id.strip(), "actorUserId") if actor_user_id else None,
            before=_instant(before, "before"),
            after=_instant(after, "after"),
        )


def _tenant(model: LogModel, ctx: AuthContext) -> ColumnElement[bool]:
    return model.tenant_id == ctx.tenant_id if ctx.tenant_id else model.tenant_id.is_(None)


def _org_scope(model: LogModel, ctx: AuthContext) -> ColumnElement[bool]:
    if ctx.org_scope is None:
        return true()
    # Tenant-level actions (no organization) belong to whoever may see the tenant at all.
    return or_(model.organization_id.in_(ctx.org_scope), model.organization_id.is_(None))


def _own(model: LogModel, ctx: AuthContext) -> list[ColumnElement[bool]]:
    actor = model.actor_user_id == ctx.user_id if ctx.user_id else false()
    return [_tenant(model, ctx), actor, _org_scope(model, ctx)]


async def _may_view_org(session: AsyncSession, ctx: AuthContext, org_id: str, admin: bool) -> bool:
    org = (await session.execute(
        select(Organization.id).where(Organization.id == org_id, Organization.tenant_id == ctx.tenant_id)
    )).first()
    if org is None:
        return False
    if admin:
        return ctx.is_super_admin or ctx.allowed_orgs is None or org_id in ctx.allowed_orgs
    return ctx.org_scope is None or org_id in ctx.org_scope


async def _visible(session: AsyncSession, ctx: AuthContext, model: LogModel,
                   window: Window) -> list[ColumnElement[bool]]:
    admin = can_view_tenant(ctx)
    actor = window.actor_user_id or ctx.user_id
    if actor != ctx.user_id and not admin:
        raise Forbidden("Forbidden", extra={"requiredFeatures": [VIEW_TENANT]})
    conds = [_tenant(model, ctx), model.actor_user_id == actor if actor else false()]
    if window.organization_id:
        if not await _may_view_org(session, ctx, window.organization_id, admin):
            raise Forbidden("Organization is outside your scope")
        conds.append(model.organization_id == window.organization_id)
    else:
        conds.append(_org_scope(model, ctx))
    if window.before is not None:
        conds.append(model.created_at < window.before)
    if window.after is not None:
        conds.append(model.created_at > window.after)
    return conds


async def _names(session: AsyncSession, entries: list[Any]) -> tuple[dict[str, str], ...]:
    """Display names of the actors, tenants and organizations on one page, in three queries."""
    user_ids = {e.actor_user_id for e in entries if e.actor_user_id}
    tenant_ids = {e.tenant_id for e in entries if e.tenant_id}
    org_ids = {e.organization_id for e in entries if e.organization_id}
    users = {u.id: (u.name or u.email) for u in (await session.execute(
        select(User).where(User.id.in_(user_ids)))).scalars()} if user_ids else {}
    tenants = {t.id: t.name for t in (await session.execute(
        select(Tenant).where(Tenant.id.in_(tenant_ids)))).scalars()} if tenant_ids else {}
    orgs = {o.id: o.name for o in (await session.execute(
        select(Organization).where(Organization.id.in_(org_ids)))).scalars()} if org_ids else {}
    return users, tenants, orgs


def _who(entry: Any, users: dict[str, str], tenants: dict[str, str], orgs: dict[str, str]) -> dict[str, Any]:
    """Who acted, where: ids with their display names."""
    return {
        "actorUserId": entry.actor_user_id,
        "actorUserName": users.get(entry.actor_user_id) if entry.actor_user_id else None,
        "tenantId": entry.tenant_id,
        "tenantName": tenants.get(entry.tenant_id) if entry.tenant_id else None,
        "organizationId": entry.organization_id,
        "organizationName": orgs.get(entry.organization_id) if entry.organization_id else None,
    }


def _undoable() -> list[ColumnElement[bool]]:
    return [ActionLog.execution_state == "done", ActionLog.undo_token.is_not(None),
            ActionLog.resource_kind.in_(list(audit.UNDOABLE))]


def _record_widened_read(session: AsyncSession, ctx: AuthContext, kind: str, window: Window,
                         items: list[dict[str, Any]]) -> None:
    """Reading somebody else's trail is itself worth an access-log entry (one's own is not)."""
    if not items or window.actor_user_id in (None, ctx.user_id):
        return
    access_type = list_access_type(len(items))
    fields = list(items[0])
    for item in items:
        record_access(session, ctx, kind, item["id"], access_type, fields,
                      organization_id=item["organizationId"],
                      context={"resultCount": len(items), "actorUserId": window.actor_user_id})


async def list_actions(session: AsyncSession, ctx: AuthContext, window: Window, *, undoable_only: str | None,
                       limit: str | None) -> dict[str, Any]:
    only_undoable = parse_bool(undoable_only, "undoableOnly") if undoable_only else False
    size = _count(limit, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    stmt = select(ActionLog).where(*await _visible(session, ctx, ActionLog, window))
    if only_undoable:
        stmt = stmt.where(*_undoable())
    entries = list((await session.execute(
        stmt.order_by(ActionLog.created_at.desc(), ActionLog.id.desc()).limit(size)
    )).scalars())
    users, tenants, orgs = await _names(session, entries)
    items = [{
        "id": e.id,
        "commandId": e.command_id,
        "actionLabel": e.action_label,
        "executionState": e.execution_state,
        **_who(e, users, tenants, orgs),
        "resourceKind": e.resource_kind,
        "resourceId": e.resource_id,
        "undoToken": e.undo_token,
        "createdAt": jsonable(e.created_at),
        "updatedAt": jsonable(e.updated_at),
        "snapshotBefore": e.snapshot_before,
        "snapshotAfter": e.snapshot_after,
        "changes": e.changes_json,
        "context": e.context_json,
    } for e in entries]
    _record_widened_read(session, ctx, "audit_logs.action_log", window, items)
    return {"items": items, "canViewTenant": can_view_tenant(ctx)}


async def list_access(session: AsyncSession, ctx: AuthContext, window: Window, *, resource_kind: str | None,
                      access_type: str | None, page: str | None, page_size: str | None,
                      limit: str | None) -> dict[str, Any]:
    page_no = _count(page, "page", 1, 1_000_000)
    size = _count(page_size, "pageSize", DEFAULT_LIMIT, MAX_LIMIT)
    # `limit` is the cursor-style spelling of the page size; when given it wins.
    size = _count(limit, "limit", size, MAX_LIMIT)
    stmt = select(AccessLog).where(*await _visible(session, ctx, AccessLog, window))
    if resource_kind:
        stmt = stmt.where(AccessLog.resource_kind == resource_kind)
    if access_type:
        stmt = stmt.where(AccessLog.access_type == access_type)
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    entries = list((await session.execute(
        stmt.order_by(AccessLog.created_at.desc(), AccessLog.id.desc()).offset((page_no - 1) * size).limit(size)
    )).scalars())
    users, tenants, orgs = await _names(session, entries)
    items = [{
        "id": e.id,
        "resourceKind": e.resource_kind,
        "resourceId": e.resource_id,
        "accessType": e.access_type,
        **_who(e, users, tenants, orgs),
        "fields": e.fields_json or [],
        "context": e.context_json,
        "createdAt": jsonable(e.created_at),
    } for e in entries]
    _record_widened_read(session, ctx, "audit_logs.access_log", window, items)
    return {**Envelope.PAGED.wrap(items, total, page_no, size), "canViewTenant": can_view_tenant(ctx)}


async def _latest(session: AsyncSession, ctx: AuthContext, state: str) -> ActionLog | None:
    """The caller's newest entry in `state` among undoable kinds: the only one undo (state done,
    newest action first) or redo (state undone, most recently undone first) accepts."""
    stmt = select(ActionLog).where(*_own(ActionLog, ctx), ActionLog.undo_token.is_not(None),
                                   ActionLog.execution_state == state, ActionLog.resource_id.is_not(None),
                                   ActionLog.resource_kind.in_(list(audit.UNDOABLE)))
    if state == "undone":
        stmt = stmt.order_by(ActionLog.updated_at.desc(), ActionLog.created_at.desc())
    else:
        stmt = stmt.order_by(ActionLog.created_at.desc())
    return (await session.execute(stmt.limit(1))).scalars().first()


async def _claim(session: AsyncSession, entry: ActionLog, from_state: str, to_state: str, refusal: str) -> None:
    """Move the entry's state with a conditional UPDATE, so two concurrent undos (or redos) of
    the same entry cannot both pass: the loser matches no row."""
    result = cast(CursorResult[Any], await session.execute(
        update(ActionLog).where(ActionLog.id == entry.id, ActionLog.execution_state == from_state)
        .values(execution_state=to_state, updated_at=utcnow())
    ))
    if result.rowcount != 1:
        raise BadRequest(refusal)


async def _replay(session: AsyncSession, ctx: AuthContext, entry: ActionLog, *, expect: dict[str, Any] | None,
                  target: dict[str, Any] | None) -> Base | None:
    """Turn the record from `expect` into `target` and emit the domain event that change means."""
    kind = entry.resource_kind or ""
    spec = audit.UNDOABLE[kind]
    row = await session.get(spec.model, entry.resource_id)
    was_live = audit.is_live(row)
    will_live = target is not None and target.get("deleted_at") is None
    effect = ("created" if will_live and not was_live else
              "deleted" if was_live and not will_live else "updated")
    feature = spec.features.get({"created": "create", "updated": "update", "deleted": "delete"}[effect])
    if feature and not ctx.can(feature):
        raise Forbidden("Forbidden", extra={"requiredFeatures": [feature]})
    if not audit.same_state(row, expect, spec.hidden | spec.derived) or \
            not await audit.same_extra(session, spec, row, expect):
        raise BadRequest(CHANGED_SINCE)
    if target is not None and (put_back := (entry.context_json or {}).get(audit.OWNED)):
        # Rows an earlier undo of this entry took with the record (the undo of its creation): back with it.
        target = {**target, audit.OWNED: {**put_back, **target.get(audit.OWNED, {})}}
    taken: dict[str, Any] = {}
    async with (spec.removing(session, ctx, row, expect) if row is not None and effect == "deleted" and spec.removing
                else contextlib.nullcontext()):
        row = await audit.apply_snapshot(session, kind, entry.resource_id or "", target, taken, expect)
        if taken:
            entry.context_json = {**(entry.context_json or {}), audit.OWNED: taken}
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict("The record conflicts with an existing record") from None
    if row is not None:
        outbox.emit(session, f"{kind}.{effect}", spec.payload(row),
                    tenant_id=getattr(row, "tenant_id", entry.tenant_id),
                    organization_id=getattr(row, "organization_id", entry.organization_id))
    return row


async def undo(session: AsyncSession, ctx: AuthContext, token: str) -> ActionLog:
    target = (await session.execute(
        select(ActionLog).where(_tenant(ActionLog, ctx), ActionLog.undo_token == token)
    )).scalars().first()
    latest = await _latest(session, ctx, "done")
    if target is None or latest is None or latest.id != target.id:
        raise BadRequest(UNDO_UNAVAILABLE)
    await _claim(session, target, "done", "undone", UNDO_UNAVAILABLE)
    await _replay(session, ctx, target, expect=target.snapshot_after, target=target.snapshot_before)
    return target


async def redo(session: AsyncSession, ctx: AuthContext, log_id: str) -> ActionLog:
    """Re-apply the caller's most recently undone action; returns the new action's entry. The
    undone entry becomes `redone`, so the same undo can never be redone twice."""
    target = (await session.execute(
        select(ActionLog).where(_tenant(ActionLog, ctx), ActionLog.id == log_id)
    )).scalars().first()
    latest = await _latest(session, ctx, "undone")
    if target is None or latest is None or latest.id != target.id:
        raise BadRequest(REDO_UNAVAILABLE)
    await _claim(session, target, "undone", "redone", REDO_UNAVAILABLE)
    row = await _replay(session, ctx, target, expect=target.snapshot_before, target=target.snapshot_after)
    spec = audit.UNDOABLE[target.resource_kind or ""]
    after = audit.snapshot(row, spec.hidden) if row is not None and target.snapshot_after is not None else None
    entry = await audit.record(session, ctx, command_id=target.command_id,
                               resource_kind=target.resource_kind or "", resource_id=target.resource_id or "",
                               before=target.snapshot_before, after=after, payload=target.command_payload,
                               label=target.action_label, organization_id=target.organization_id)
    entry.context_json = {**(entry.context_json or {}), "redoOf": target.id}
    await session.flush()
    return entry
