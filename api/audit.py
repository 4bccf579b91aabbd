"""The action log: every write records before/after snapshots and an undo token, and a registry of
resource kinds tells undo and redo how to put a row back."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import Response
from sqlalchemy import DateTime, inspect
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.db import Base, utcnow
from api.modules.audit_logs.models import ActionLog


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(row: Base, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Column values by attribute name, JSON-safe."""
    mapper = inspect(type(row))
    return {c.key: _plain(getattr(row, c.key)) for c in mapper.column_attrs if c.key not in hidden}


def restore(row: Base, snap: dict[str, Any]) -> None:
    """Write a snapshot's values back onto `row` (the inverse of `snapshot`)."""
    mapper = inspect(type(row))
    for attr in mapper.column_attrs:
        if attr.key not in snap or attr.key == "id":
            continue
        value = snap[attr.key]
        column = attr.columns[0]
        if value is not None and isinstance(column.type, DateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        setattr(row, attr.key, value)


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    before, after = before or {}, after or {}
    out = {}
    for key in sorted(set(before) | set(after)):
        if key in ("updated_at", "created_at"):
            continue
        if before.get(key) != after.get(key):
            out[key] = {"from": before.get(key), "to": after.get(key)}
    return out


@dataclass(frozen=True)
class Undoable:
    """How undo and redo find and rebuild rows of one resource kind."""

    model: type[Base]
    hidden: frozenset[str] = frozenset()


UNDOABLE: dict[str, Undoable] = {}


def register(kind: str, model: type[Base], hidden: frozenset[str] = frozenset()) -> None:
    UNDOABLE[kind] = Undoable(model, hidden)


async def record(session: AsyncSession, auth: AuthContext, *, command_id: str, resource_kind: str,
                 resource_id: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
                 payload: dict[str, Any] | None = None, label: str | None = None,
                 organization_id: str | None = None) -> ActionLog:
    entry = ActionLog(
        tenant_id=auth.tenant_id,
        organization_id=organization_id or auth.write_org_id,
        actor_user_id=auth.user_id,
        command_id=command_id,
        action_label=label,
        resource_kind=resource_kind,
        resource_id=resource_id,
        execution_state="done",
        undo_token=secrets.token_urlsafe(24) if resource_kind in UNDOABLE else None,
        command_payload=payload,
        snapshot_before=before,
        snapshot_after=after,
        changes_json=changes(before, after),
        context_json={"isApiKey": auth.is_api_key, "keyId": auth.key_id} if auth.is_api_key else None,
    )
    session.add(entry)
    return entry


def operation_header(response: Response, entry: ActionLog) -> None:
    """`x-om-operation` tells clients which undo token belongs to the mutation they just made."""
    if entry.undo_token is None:
        return
    response.headers["x-om-operation"] = json.dumps({
        "id": entry.id,
        "undoToken": entry.undo_token,
        "commandId": entry.command_id,
        "actionLabel": entry.action_label,
        "resourceKind": entry.resource_kind,
        "resourceId": entry.resource_id,
        "executedAt": (entry.created_at or utcnow()).isoformat(),
    }, separators=(",", ":"))


async def apply_snapshot(session: AsyncSession, kind: str, resource_id: str,
                         snap: dict[str, Any] | None) -> Base:
    """Make the row look like `snap`; a `None` snapshot means the row must not exist (soft-deleted
    when the model supports it)."""
    spec = UNDOABLE[kind]
    row = await session.get(spec.model, resource_id)
    if snap is None:
        if row is not None:
            if hasattr(row, "deleted_at"):
                row.deleted_at = utcnow()  # type: ignore[attr-defined]
            else:
                await session.delete(row)
        return row  # type: ignore[return-value]
    if row is None:
        row = spec.model(id=resource_id)
        session.add(row)
    restore(row, snap)
    return row
