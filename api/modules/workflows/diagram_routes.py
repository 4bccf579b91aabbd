"""Diagrams of definitions and instances (`.../diagram.svg`, `?format=mermaid`) and the validate endpoint:
what designers and operators look at before and while a workflow runs (docs/console.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from api.auth import AuthContext, requires
from api.crud.answers import json_answer, shape
from api.deps import SessionDep
from api.errors import NotFound
from api.modules.workflows import definitions_service as svc
from api.modules.workflows.diagram import Overlay, mermaid, svg
from api.modules.workflows.http import read_json
from api.modules.workflows.instance_routes import find_instance
from api.modules.workflows.instances_service import current_definition
from api.modules.workflows.lint import check_document
from api.modules.workflows.models import StepInstance, WorkflowBranchInstance, WorkflowEvent, WorkflowInstance

router = APIRouter()

ViewDefinitions = Annotated[AuthContext, Depends(requires("workflows.definitions.view"))]
ViewInstances = Annotated[AuthContext, Depends(requires("workflows.instances.view"))]
Format = Annotated[Literal["svg", "mermaid"], Query(description="`svg` (default) or `mermaid` (flowchart text)")]

# Instance statuses after which no step is "current" any more.
FINISHED = ("COMPLETED", "CANCELLED", "COMPENSATED")
SVG_TYPE = "image/svg+xml"
MERMAID_TYPE = "text/plain; charset=utf-8"


def _render(definition: dict[str, Any], fmt: str, overlay: Overlay | None, title: str) -> Response:
    if fmt == "mermaid":
        return Response(mermaid(definition, overlay), media_type=MERMAID_TYPE)
    return Response(svg(definition, overlay, title=title), media_type=SVG_TYPE,
                    headers={"Cache-Control": "private, no-cache"})


_DIAGRAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {SVG_TYPE: {}, "text/plain": {}}, "description": "The diagram"}}


@router.get("/workflows/definitions/{id}/diagram.svg", summary="Workflow definition diagram",
            response_class=Response, responses=_DIAGRAM_RESPONSES,
            description="The definition's steps and transitions as a layered diagram: steps drawn by type, "
                        "transitions labelled with their trigger, name, condition and guard rules, forks and joins, "
                        "sub-workflows. Deterministic: the same definition gives the same SVG. `format=mermaid` "
                        "answers a Mermaid flowchart instead. `code:<workflowId>` addresses a code-defined "
                        "workflow. Requires features: workflows.definitions.view")
async def definition_diagram(id: str, session: SessionDep, ctx: ViewDefinitions, format: Format = "svg") -> Response:
    svc.tenant_of(ctx)
    item = await svc.get_definition(session, ctx, id)
    return _render(item.get("definition") or {}, format, None, str(item.get("workflowName") or "Workflow"))


async def instance_overlay(session: SessionDep, instance: WorkflowInstance) -> Overlay:
    """Steps entered, current and failed, and transitions executed, from the SQL projection only."""
    steps = (await session.execute(select(StepInstance.step_id, StepInstance.status).where(
        StepInstance.workflow_instance_id == instance.id, StepInstance.tenant_id == instance.tenant_id))).all()
    branches = (await session.execute(select(WorkflowBranchInstance.current_step_id, WorkflowBranchInstance.status)
                                      .where(WorkflowBranchInstance.workflow_instance_id == instance.id,
                                             WorkflowBranchInstance.tenant_id == instance.tenant_id))).all()
    events = (await session.execute(select(WorkflowEvent.event_data).where(
        WorkflowEvent.workflow_instance_id == instance.id, WorkflowEvent.tenant_id == instance.tenant_id,
        WorkflowEvent.event_type == "TRANSITION_EXECUTED"))).scalars().all()
    visited = {s for s, _ in steps}
    failed = {s for s, status in steps if status == "FAILED"}
    current: set[str] = set()
    if instance.status not in FINISHED:
        current |= {s for s, status in steps if status == "ACTIVE"}
        current |= {s for s, status in branches if s and status in ("RUNNING", "ACTIVE", "WAITING")}
        if instance.current_step_id and not current:
            current.add(instance.current_step_id)
    if instance.current_step_id:
        visited.add(instance.current_step_id)
    executed = [e for e in events if isinstance(e, dict) and e.get("transitionId")]
    taken = {str(e["transitionId"]) for e in executed}
    # START and END leave no step instance behind; the transitions they took say they were passed.
    visited |= {str(e[k]) for e in executed for k in ("fromStepId", "toStepId") if e.get(k)}
    if instance.status == "FAILED" and instance.current_step_id and not failed:
        failed.add(instance.current_step_id)
    return Overlay(frozenset(visited), frozenset(current), frozenset(failed), frozenset(taken), instance.status)


@router.get("/workflows/instances/{id}/diagram.svg", summary="Workflow instance diagram",
            response_class=Response, responses=_DIAGRAM_RESPONSES,
            description="The instance's definition as a diagram with the path taken: visited steps, the current "
                        "step(s) (one per running parallel branch), failed steps and the executed transitions are "
                        "marked (CSS classes `visited`, `current`, `failed`, `taken`). `format=mermaid` answers a "
                        "Mermaid flowchart with the same marks. Requires features: workflows.instances.view")
async def instance_diagram(id: str, session: SessionDep, ctx: ViewInstances, format: Format = "svg") -> Response:
    instance = await find_instance(session, ctx, id)
    definition = await current_definition(session, instance)
    if definition is None:
        raise NotFound("Workflow definition not found")
    overlay = await instance_overlay(session, instance)
    return _render(definition, format, overlay, f"{instance.workflow_id} ({instance.status})")


@router.post("/workflows/definitions/validate", summary="Validate a workflow definition",
             description="Check a create body (`{workflowId, workflowName, definition, ...}`) or a bare definition "
                         "(`{steps, transitions, ...}`) without storing anything: `errors` are what create would "
                         "refuse (the same issues as its 400), `warnings` what it would save but will misbehave "
                         "when it runs (`{code, message, path}`: NO_END_STEP, UNKNOWN_STEP, END_UNREACHABLE, "
                         "duplicate ids, unknown compensation activity...). Requires features: "
                         "workflows.definitions.view",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object"}}}}},
             responses=json_answer(shape(valid="boolean", errors="array", warnings="array")))
async def validate_definition(request: Request, ctx: ViewDefinitions) -> dict[str, Any]:
    return check_document(await read_json(request)).to_dict()
