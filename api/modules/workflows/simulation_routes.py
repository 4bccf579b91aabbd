"""`POST /workflows/definitions/{id}/simulate` and `POST /workflows/definitions/simulate`: a definition run
without side effects against a script (docs/workflows.md, "Simulation").

The run is the engine's (`engine.simulation`, the step machine real instances run); this shell gives it the
tenant's world read-only: business rules evaluated as dry runs (no execution log, no action), sub-workflow
definitions resolved as a start would resolve them, the `{{env.*}}` values a start would pass. Nothing is
written, apart from installing the shipped workflows' guard rules a first start would install too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext, requires
from api.db import utcnow
from api.deps import SessionDep
from api.errors import BadRequest
from api.modules.business_rules.service import execute_rule_by_rule_id
from api.modules.workflows import definitions_service as defs
from api.modules.workflows import instances_service as runs
from api.modules.workflows import shipped_rules
from api.modules.workflows.http import ensure
from api.modules.workflows.lint import check_document, warnings_of
from api.modules.workflows.simulation_schemas import SimulateDocument, SimulationResponse, SimulationScript
from engine.contract import GuardInput, GuardResult, ResolveChildInput, ResolvedChild
from engine.simulation import Subject, prepare, script_problems, simulate

router = APIRouter()

ViewDefinitions = Annotated[AuthContext, Depends(requires("workflows.definitions.view"))]
_FEATURES = "Requires features: workflows.definitions.view, workflows.instances.create"
_WHAT = ("Runs the definition with the engine's own step machine against `initialContext` and a script of "
         "`events` (task completions, signals, timer firings, advances, sub-workflow ends) and scripted "
         "`activities` outcomes, without any side effect: no instance, no activity, no rule action or execution "
         "log (guards are the tenant's business rules, evaluated as dry runs). Answers the path taken, each "
         "step's entry and exit, every transition selection with each candidate's verdict and reason, the "
         "activities that would run, the final context, what the instance waits for at the end, and which "
         "script events it did not expect (`events[i].error`, `unconsumedEvents`). `maxIterations` bounds a "
         "looping definition (`truncated: true`). 400 when the script names steps, signals or activities the "
         "definition does not have. ")


async def _run(session: AsyncSession, ctx: AuthContext, definition: Mapping[str, Any], body: SimulationScript, *,
               definition_id: str | None, workflow_id: str, version: int, organization_id: str | None,
               prefix: tuple[str | int, ...]) -> dict[str, Any]:
    tenant_id, org_id = defs.write_scope(ctx)
    script = body.script(utcnow())
    compiled = prepare(definition)
    if compiled is None:
        raise BadRequest("Workflow definition is invalid")
    problems = script_problems(compiled, script)
    if problems:
        raise BadRequest("Invalid simulation script", problems)

    async def evaluate(guard: GuardInput) -> GuardResult:
        result = await execute_rule_by_rule_id(
            session, rule_id=guard.rule_id, tenant_id=guard.tenant_id, organization_id=guard.organization_id,
            entity_type=guard.entity_type, entity_id=guard.entity_id, event_type=guard.event_type, data=guard.data,
            user_id=guard.user_id, dry_run=True)
        return GuardResult(rule_id=guard.rule_id, rule_name=result.rule_name,
                           condition_result=bool(result.condition_result), error=result.error,
                           execution_time_ms=int(result.execution_time_ms or 0), blocked=not result.allowed)

    async def resolve_child(request: ResolveChildInput) -> ResolvedChild:
        try:
            found = await runs.resolve_definition(session, tenant_id=request.tenant_id, org_scope=ctx.org_scope,
                                                  workflow_id=request.workflow_id, version=request.version)
        except runs.StartError as error:
            return ResolvedChild(error=error.error)
        return ResolvedChild(definition_id=found.definition_id, workflow_id=found.workflow_id,
                             version=found.version, definition=found.definition)

    subject = Subject(tenant_id=tenant_id, organization_id=organization_id or org_id, workflow_id=workflow_id,
                      definition_id=definition_id or "simulation", version=version, user_id=ctx.user_id)
    report = await simulate(definition, script, subject, evaluate=evaluate, resolve_child=resolve_child,
                            env=runs.interpolation_env())
    report["definition"] = {"id": definition_id, "workflowId": workflow_id, "version": version}
    report["warnings"] = warnings_of(dict(definition), prefix)
    return {"data": report}


@router.post("/workflows/definitions/simulate", summary="Simulate an inline workflow definition",
             response_model=SimulationResponse,
             description=_WHAT + "The definition comes in the body (`definition`: a create body or a bare "
                                 "definition) and is validated as create would (400 with its issues); nothing is "
                                 "stored. " + _FEATURES)
async def simulate_document(body: SimulateDocument, session: SessionDep, ctx: ViewDefinitions) -> dict[str, Any]:
    ensure(ctx, "workflows.instances.create")
    tenant_id, _ = defs.write_scope(ctx)
    report = check_document(body.definition)
    bare = "definition" not in body.definition
    if report.errors:
        raise BadRequest("Validation failed", [{**issue, "path": ["definition", *issue["path"]]} for issue in
                                               report.errors])
    document = body.definition
    definition = document if bare else document["definition"]
    workflow_id = "simulation" if bare else str(document.get("workflowId"))
    version = 1 if bare else int(document.get("version") or 1)
    await shipped_rules.ensure(tenant_id, releasing=session)
    return await _run(session, ctx, definition, body, definition_id=None, workflow_id=workflow_id, version=version,
                      organization_id=None, prefix=("definition",) if bare else ("definition", "definition"))


@router.post("/workflows/definitions/{id}/simulate", summary="Simulate a workflow definition",
             response_model=SimulationResponse,
             description=_WHAT + "`code:<workflowId>` addresses a code-defined workflow; a disabled definition "
                                 "can be simulated. 404 for a definition outside the caller's tenant and "
                                 "organizations. " + _FEATURES)
async def simulate_definition(id: str, body: SimulationScript, session: SessionDep,
                              ctx: ViewDefinitions) -> dict[str, Any]:
    ensure(ctx, "workflows.instances.create")
    tenant_id, _ = defs.write_scope(ctx)
    await shipped_rules.ensure(tenant_id, releasing=session)
    item = await defs.get_definition(session, ctx, id)
    return await _run(session, ctx, item.get("definition") or {}, body, definition_id=str(item["id"]),
                      workflow_id=str(item["workflowId"]), version=int(item.get("version") or 1),
                      organization_id=item.get("organizationId"), prefix=("definition",))
