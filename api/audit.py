"""The action log: every write records before/after snapshots and an undo token, and a registry of
resource kinds tells undo and redo how to put a row back."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fastapi import Response
from sqlalchemy import Date, DateTime, Numeric, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator

from api.auth import AuthContext
from api.casing import jsonable
from api.db import Base, utcnow
from api.modules.audit_logs.models import ActionLog

# The key of a delete's snapshot that holds the rows deleted with the record (`api.crud.resource.Owned`): what
# its undo brings back. Not a column, so restoring and comparing columns pass it by.
OWNED = "_owned"
# Undo's and redo's refusal when the record (or state of it a module puts back) no longer looks as the entry left it.
CHANGED_SINCE = "The record has changed since this action"


def snapshot(row: Base, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Column values by attribute name, JSON-safe. A row's custom-field document is left out: the kit
    snapshots its values as `cf_<key>` without the encrypted ones (api/crud/custom_fields.py)."""
    mapper = inspect(type(row))
    return {c.key: jsonable(getattr(row, c.key)) for c in mapper.column_attrs
            if c.key not in hidden and c.key != "custom_values"}


def _column_value(column_type: Any, value: Any) -> Any:
    """A snapshot value (JSON-safe) back as the Python value its column holds."""
    if not isinstance(value, str):
        return value
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    if isinstance(column_type, Numeric) and column_type.asdecimal:
        return Decimal(value)
    return value


def restore(row: Base, snap: dict[str, Any], keep: frozenset[str] = frozenset()) -> None:
    """Write a snapshot's values back onto `row` (the inverse of `snapshot`), but for the columns in `keep`."""
    mapper = inspect(type(row))
    for attr in mapper.column_attrs:
        if attr.key not in snap or attr.key == "id" or attr.key in keep:
            continue
        setattr(row, attr.key, _column_value(attr.columns[0].type, snap[attr.key]))


def _comparable(column_type: Any, value: Any) -> Any:
    value = _column_value(column_type, value)
    # SQLite hands back naive datetimes for values stored as UTC; snapshots taken before the
    # round trip are aware. Both mean the same instant.
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def is_live(row: Base | None) -> bool:
    """The row exists and is not soft-deleted."""
    return row is not None and getattr(row, "deleted_at", None) is None


def same_state(row: Base | None, snap: dict[str, Any] | None, ignore: frozenset[str] = frozenset()) -> bool:
    """Whether `row` still looks exactly like `snap`, so putting another snapshot in its place
    overwrites nobody's later change. A `None` snapshot means "absent or soft-deleted";
    `updated_at` and the `ignore`d columns are not compared: every write (undo included) moves
    the former, and the latter are derived from other rows."""
    if snap is None:
        return not is_live(row)
    if row is None:
        return False
    mapper = inspect(type(row))
    for attr in mapper.column_attrs:
        if attr.key in ignore or attr.key == "updated_at" or attr.key not in snap:
            continue
        column_type = attr.columns[0].type
        if _comparable(column_type, getattr(row, attr.key)) != _comparable(column_type, snap[attr.key]):
            return False
    return True


async def same_extra(session: AsyncSession, spec: Undoable, row: Base | None, snap: dict[str, Any] | None) -> bool:
    """Whether the live `row`'s state outside its columns (`Undoable.extra_state`) is still what `snap` recorded."""
    if spec.extra_state is None or snap is None or not is_live(row):
        return True
    assert row is not None
    current = await spec.extra_state(session, row)
    return all(json.loads(json.dumps(value, default=str)) == snap[key] for key, value in current.items() if key in snap)


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    before, after = before or {}, after or {}
    out = {}
    for key in sorted(set(before) | set(after)):
        if key in ("updated_at", "created_at") or key.startswith("_"):  # `_owned`, `_marked`: the kit's bookkeeping
            continue
        if before.get(key) != after.get(key):
            out[key] = {"from": before.get(key), "to": after.get(key)}
    return out


@dataclass(frozen=True)
class Undoable:
    """How undo and redo find and rebuild rows of one resource kind."""

    model: type[Base]
    hidden: frozenset[str] = frozenset()
    # Runs after a row was put back, for state derived across rows (e.g. the organization tree).
    after_apply: Callable[[AsyncSession, Base, dict[str, Any] | None], Awaitable[None]] | None = None
    # The payload of the domain event undo/redo emit, so it looks like the original write's.
    serialize: Callable[[Any], dict[str, Any]] | None = None
    # Feature a caller needs to create / update / delete rows of this kind: undo and redo are
    # writes too, so a caller who lost the right since the original action cannot replay it.
    features: Mapping[str, str] = field(default_factory=dict)
    # Columns recomputed from other rows (by `after_apply`), or moved by what is no edit (a login): they drift
    # without anyone editing this row, so undo/redo neither treat a difference there as a later change nor put
    # the old value back.
    derived: frozenset[str] = frozenset()
    # Puts back state a snapshot holds beyond the row's columns (the CRUD kit's custom field values),
    # after the columns were restored.
    restore_extra: Callable[[AsyncSession, Base, dict[str, Any]], Awaitable[None]] | None = None
    # Runs before a live row is deleted or soft-deleted by undo or redo (the undo of its creation, the redo of its
    # deletion), with the snapshot of the entry it leaves: removes what goes with it, as a delete does, and answers
    # what it took (an `OWNED` value) so that putting the row back later brings that back too.
    before_remove: Callable[[AsyncSession, Base, dict[str, Any] | None], Awaitable[dict[str, Any]]] | None = None
    # The row's state outside its columns that `restore_extra` puts back (keys of its snapshot): undo and redo
    # compare it as they compare columns, so they overwrite nobody's later change of it either.
    extra_state: Callable[[AsyncSession, Base], Awaitable[dict[str, Any]]] | None = None
    # Wraps undo's or redo's removal of a live row (the undo of its creation, the redo of its deletion) in what a
    # delete of it runs: its checks first (a refusal refuses the undo, nothing written), what it does beside after
    # (trees rebuilt, totals recalculated). Gets the snapshot the row leaves. Without it, removing a row skips checks
    # a delete makes.
    removing: Callable[[AsyncSession, AuthContext, Base, dict[str, Any] | None], AbstractAsyncContextManager[None]] \
        | None = None

    def payload(self, row: Base) -> dict[str, Any]:
        body = self.serialize(row) if self.serialize is not None else snapshot(row, self.hidden)
        return {**body, "id": getattr(row, "id", None)}


UNDOABLE: dict[str, Undoable] = {}


def register(kind: str, model: type[Base], hidden: frozenset[str] = frozenset(),
             after_apply: Callable[[AsyncSession, Base, dict[str, Any] | None], Awaitable[None]] | None = None, *,
             serialize: Callable[[Any], dict[str, Any]] | None = None,
             features: Mapping[str, str] | None = None, derived: frozenset[str] = frozenset(),
             restore_extra: Callable[[AsyncSession, Base, dict[str, Any]], Awaitable[None]] | None = None,
             before_remove: Callable[[AsyncSession, Base, dict[str, Any] | None], Awaitable[dict[str, Any]]]
             | None = None,
             extra_state: Callable[[AsyncSession, Base], Awaitable[dict[str, Any]]] | None = None,
             removing: Callable[[AsyncSession, AuthContext, Base, dict[str, Any] | None],
                                AbstractAsyncContextManager[None]] | None = None) -> None:
    UNDOABLE[kind] = Undoable(model, hidden, after_apply, serialize, dict(features or {}), derived, restore_extra,
                              before_remove, extra_state, removing)


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
                         snap: dict[str, Any] | None, taken: dict[str, Any] | None = None,
                         leaving: dict[str, Any] | None = None) -> Base | None:
    """Make the row look like `snap`; a `None` snapshot means the row must not exist (soft-deleted
    when the model supports it). `updated_at` becomes now: putting old values back is a write. Removing a live
    row (`leaving`: the snapshot it has now), what `before_remove` took goes into `taken`."""
    spec = UNDOABLE[kind]
    row = await session.get(spec.model, resource_id)
    if row is not None and spec.before_remove is not None and is_live(row) and \
            (snap is None or snap.get("deleted_at") is not None):
        removed = await spec.before_remove(session, row, leaving)
        if taken is not None:
            taken.update(removed)
    if snap is None:
        if row is not None:
            if hasattr(row, "deleted_at"):
                if row.deleted_at is None:  # type: ignore[attr-defined]
                    row.deleted_at = utcnow()  # type: ignore[attr-defined]
            else:
                await session.delete(row)
    else:
        if row is None:
            row = spec.model(id=resource_id)
            session.add(row)
            restore(row, snap)
        else:
            # Derived columns keep what they hold now: they follow other rows (`after_apply` recomputes them) or
            # events that are no edit (a login's time), and an old value put back would be wrong.
            restore(row, snap, keep=spec.derived)
        if hasattr(row, "updated_at"):
            row.updated_at = utcnow()  # type: ignore[attr-defined]
        if spec.restore_extra is not None:
            await session.flush()
            await spec.restore_extra(session, row, snap)
    if row is not None and spec.after_apply is not None:
        await spec.after_apply(session, row, leaving)
    return row
