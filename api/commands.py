"""Commands a workflow may run through UPDATE_ENTITY: the workflow-safe allow-list. Modules contribute
theirs in their manifest (`commands=crud_commands(resource, ...)` or hand-made `WorkflowCommand`s);
the activity looks them up by id and runs them as the workflow's user, through the same service the
HTTP route uses, so they are validated, audited and evented like any other write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.crud import Resource
from api.crud import service as crud
from api.errors import ApiError, BadRequest
from api.modules.audit_logs.models import ActionLog


@dataclass
class CommandOutcome:
    result: dict[str, Any] | None
    log_entry: ActionLog | None


@dataclass(frozen=True)
class WorkflowCommand:
    command_id: str
    # Every one is required of the acting user.
    features: tuple[str, ...]
    execute: Callable[[AsyncSession, AuthContext, dict[str, Any]], Awaitable[CommandOutcome]]
    # The current state of what an earlier run wrote (by the action log's resource id), for replays.
    load: Callable[[AsyncSession, AuthContext, str], Awaitable[dict[str, Any] | None]] | None = None


class InvalidInput(BadRequest):
    """A command's input does not validate; `issues` says what, field by field."""

    def __init__(self, issues: str) -> None:
        super().__init__(f"input invalid: {issues}")
        self.issues = issues


def _model(schema: Any) -> type[BaseModel]:
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        raise TypeError("workflow commands need a resource with pydantic body schemas")
    return schema


def _validated(schema: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        issues = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(issues) from None


def crud_commands(res: Resource, actions: Iterable[str] = ("create", "update")) -> tuple[WorkflowCommand, ...]:
    """A collection's writes as `<entity>.create|update|delete`, each requiring the feature its route
    requires."""

    async def load(session: AsyncSession, ctx: AuthContext, row_id: str) -> dict[str, Any] | None:
        try:
            return crud.serialize(res, await crud.get_row(res, ctx, session, row_id, with_deleted=True))
        except ApiError:
            return None

    async def create(session: AsyncSession, ctx: AuthContext, data: dict[str, Any]) -> CommandOutcome:
        write = await crud.create(res, ctx, session, _validated(_model(res.create_schema), data))
        return CommandOutcome(crud.serialize(res, write.row), crud.entry_of(write))

    async def update(session: AsyncSession, ctx: AuthContext, data: dict[str, Any]) -> CommandOutcome:
        body = _validated(_model(res.update_schema), data)
        write = await crud.update(res, ctx, session, str(getattr(body, "id", "")), body)
        return CommandOutcome(crud.serialize(res, write.row), crud.entry_of(write))

    async def delete(session: AsyncSession, ctx: AuthContext, data: dict[str, Any]) -> CommandOutcome:
        row_id = data.get("id")
        if not isinstance(row_id, str) or not row_id:
            raise InvalidInput("id: Field required")
        write = await crud.delete(res, ctx, session, row_id)
        return CommandOutcome({"id": row_id, "ok": True}, crud.entry_of(write))

    runners = {"create": (create, res.features.create), "update": (update, res.features.update),
               "delete": (delete, res.features.delete)}
    return tuple(WorkflowCommand(f"{res.entity}.{action}", (runners[action][1],), runners[action][0], load)
                 for action in actions)
