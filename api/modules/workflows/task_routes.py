"""`/workflows/tasks`: people's work in running instances (docs/workflows.md, "User tasks"). Lists and
details come from the SQL projection; claim and complete are Temporal Updates on the task's
instance, which checks everything authoritative (task state, permissions, the form) and answers with the
task as it left it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import ColumnElement, Select, Text, cast, exists, false, func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext, requires
from api.crud.answers import json_answer, many, shape
from api.crud.query import MAX_OFFSET
from api.db import utcnow
from api.deps import SessionDep
from api.errors import BadRequest, Conflict, NotFound
from api.idempotency import idempotent
from api.modules.workflows import instances_service as svc
from api.modules.workflows.definitions_service import tenant_of, write_scope
from api.modules.workflows.http import csv, is_true, offset_page, read_json, record_action
from api.modules.workflows.instance_routes import actor
from api.modules.workflows.models import UserTask
from api.modules.workflows.schemas import openapi_body, problems
from api.modules.workflows.task_schemas import CompleteTask
from api.modules.workflows.task_serializers import task_item
from engine.contract import UPDATE_CLAIM_TASK, UPDATE_COMPLETE_TASK, ClaimTaskInput, CompleteTaskInput, UpdateResult

# The answers' shapes (the OpenAPI document).
TASK = shape(id="string", workflowInstanceId="string", taskName="string", status="string")

router = APIRouter()

ViewTasks = Annotated[AuthContext, Depends(requires("workflows.tasks.view"))]
ClaimTasks = Annotated[AuthContext, Depends(requires("workflows.tasks.claim"))]
CompleteTasks = Annotated[AuthContext, Depends(requires("workflows.tasks.complete"))]

TASK_NOT_FOUND = "Task not found"
NOT_CLAIMABLE = "Task not found or already claimed"
NOT_COMPLETABLE = "Task not found or already completed"
OPEN = ("PENDING", "IN_PROGRESS", "ESCALATED")


def visible_tasks(ctx: AuthContext) -> Select[Any]:
    stmt = select(UserTask).where(UserTask.tenant_id == tenant_of(ctx))
    if ctx.org_scope is not None:
        stmt = stmt.where(UserTask.organization_id.in_(ctx.org_scope))
    return stmt


async def find_task(session: AsyncSession, ctx: AuthContext, task_id: str) -> UserTask:
    row = (await session.execute(visible_tasks(ctx).where(UserTask.id == task_id))).scalars().first()
    if row is None:
        raise NotFound(TASK_NOT_FOUND)
    return row


def _in_role_queue(dialect: str, roles: list[str]) -> ColumnElement[bool]:
    """`assigned_to_roles` (a JSON list) names one of `roles`, in SQL so counts and pages stay exact."""
    if dialect == "postgresql":
        return cast(UserTask.assigned_to_roles, postgresql.JSONB).has_any(postgresql.array(roles, type_=Text))
    elements = func.json_each(UserTask.assigned_to_roles).table_valued("value")
    return exists(select(1).select_from(elements).where(elements.c.value.in_(roles)))


def _mine(dialect: str, ctx: AuthContext) -> ColumnElement[bool]:
    # Role queues are declared by role name (`assignedTo: ["admin"]`), so names are what match.
    clauses: list[ColumnElement[bool]] = []
    if ctx.user_id:
        clauses.append(UserTask.assigned_to == ctx.user_id)
    if ctx.roles:
        clauses.append(_in_role_queue(dialect, list(ctx.roles)))
    return or_(*clauses) if clauses else false()


async def _record(session: AsyncSession, ctx: AuthContext, action: str, task: UserTask,
                  payload: dict[str, Any] | None = None) -> None:
    await record_action(session, ctx, command=f"workflows.tasks.{action}", kind="workflows.task",
                        resource_id=task.id, organization_id=task.organization_id,
                        label=f"{action.capitalize()} user task",
                        payload={"workflowInstanceId": task.workflow_instance_id, **(payload or {})})


def _answered(task: UserTask, result: UpdateResult) -> dict[str, Any]:
    # The workflow's answer wins: our transaction may have read the row before the update projected it.
    return {**task_item(task), **((result.extra or {}).get("task") or {})}


# --- Reads ------------------------------------------------------------------------------------------------

@router.get("/workflows/tasks", summary="List user tasks",
            description="User tasks of workflow instances, newest first, filtered by status (single or "
                        "comma-separated), assignee, instance, `overdue=true` (due date passed, still open) or "
                        "`myTasks=true` (assigned to the caller or to one of the caller's roles). Requires "
                        "features: workflows.tasks.view",
            responses=json_answer(shape(data=many(TASK), pagination="object")))
async def list_tasks(
    session: SessionDep, ctx: ViewTasks,
    status: Annotated[str | None, Query(description="A status or a comma-separated list")] = None,
    assignedTo: Annotated[str | None, Query(description="User id the task is assigned to")] = None,
    workflowInstanceId: str | None = None,
    overdue: Annotated[str | None, Query(description="`true`: open tasks past their due date")] = None,
    myTasks: Annotated[str | None, Query(description="`true`: the caller's tasks and its roles' queues")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    stmt = visible_tasks(ctx)
    if is_true(overdue):
        # Overdue overrides any status filter: only open tasks can be late.
        stmt = stmt.where(UserTask.due_date.is_not(None), UserTask.due_date < utcnow(), UserTask.status.in_(OPEN))
    else:
        statuses = csv(status)
        if statuses:
            stmt = stmt.where(UserTask.status.in_(statuses))
    if assignedTo:
        stmt = stmt.where(UserTask.assigned_to == assignedTo)
    if workflowInstanceId:
        stmt = stmt.where(UserTask.workflow_instance_id == workflowInstanceId)
    if is_true(myTasks):
        stmt = stmt.where(_mine(session.get_bind().dialect.name, ctx))
    total, rows = await offset_page(session, stmt, UserTask.created_at.desc(), UserTask.id.desc(), limit=limit,
                                    offset=offset)
    return {"data": [task_item(r) for r in rows],
            "pagination": {"total": total, "limit": limit, "offset": offset, "hasMore": offset + len(rows) < total}}


@router.get("/workflows/tasks/{id}", summary="Get user task",
            description="A user task with its form schema, assignment, claim and completion. Requires features: "
                        "workflows.tasks.view",
            responses=json_answer(shape(data=TASK)))
async def get_task(id: str, session: SessionDep, ctx: ViewTasks) -> dict[str, Any]:
    return {"data": task_item(await find_task(session, ctx, id))}


# --- Actions ----------------------------------------------------------------------------------------------

@router.post("/workflows/tasks/{id}/claim", summary="Claim user task",
             description="Take a task from its role queue: it becomes IN_PROGRESS and claimed by the caller. "
                         "Needs one of the task's roles or workflows.manage. Requires features: "
                         "workflows.tasks.claim",
             responses=json_answer(shape(data=TASK, message="string")))
async def claim_task(id: str, session: SessionDep, ctx: ClaimTasks) -> dict[str, Any]:
    write_scope(ctx)
    task = await find_task(session, ctx, id)
    # An escalated task still in its role queue can be claimed too (docs/workflows.md, "User tasks").
    if task.status not in ("PENDING", "ESCALATED") or task.claimed_by:
        raise NotFound(NOT_CLAIMABLE)
    if task.assigned_to:
        raise Conflict("Task is already assigned to a specific user")
    try:
        result = await svc.run_update(task.workflow_instance_id, UPDATE_CLAIM_TASK,
                                      ClaimTaskInput(actor=actor(ctx), task_id=task.id),
                                      failure="Failed to claim user task")
    except svc.NotRunning:
        raise NotFound(NOT_CLAIMABLE) from None
    await _record(session, ctx, "claim", task)
    return {"data": _answered(task, result), "message": "Task claimed successfully"}


@router.post("/workflows/tasks/{id}/complete", summary="Complete user task",
             description="Submit the task's form: the data is checked against its formSchema, merged into the "
                         "instance context, and the instance continues; the answer comes once it rests again. "
                         "Needs to be the assignee, the claimer, a holder of one of the task's roles, or "
                         "workflows.manage. Requires features: workflows.tasks.complete",
             openapi_extra=openapi_body(CompleteTask),
             responses=json_answer(shape(data=TASK, message="string")))
@idempotent
async def complete_task(id: str, request: Request, session: SessionDep, ctx: CompleteTasks) -> dict[str, Any]:
    write_scope(ctx)
    raw = await read_json(request, lenient=True)
    details = problems(CompleteTask, raw)
    if details:
        raise BadRequest("Invalid request body", details)
    body = CompleteTask.model_validate(raw)
    task = await find_task(session, ctx, id)
    if task.status in ("COMPLETED", "CANCELLED"):
        raise NotFound(NOT_COMPLETABLE)
    arg = CompleteTaskInput(actor=actor(ctx), task_id=task.id, form_data=dict(body.form_data),
                            comments=body.comments)
    try:
        result = await svc.run_update(task.workflow_instance_id, UPDATE_COMPLETE_TASK, arg,
                                      failure="Failed to complete user task")
    except svc.NotRunning:
        raise NotFound(NOT_COMPLETABLE) from None
    await _record(session, ctx, "complete", task, {"comments": body.comments})
    return {"data": _answered(task, result), "message": "Task completed successfully. Workflow resumed."}
