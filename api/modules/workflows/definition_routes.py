"""`/workflows/definitions`: the tenant's definitions and the code-defined workflows (docs/workflows.md,
"Uploading and validating")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from api import audit
from api.auth import AuthContext, requires
from api.crud.answers import file_answer, json_answer, many, shape
from api.crud.query import MAX_OFFSET
from api.crud.service import LOCK_HEADER
from api.deps import SessionDep
from api.errors import BadRequest, NotFound
from api.modules.workflows import definitions_service as svc
from api.modules.workflows.http import ensure, is_true, read_json
from api.modules.workflows.lint import warnings_of
from api.modules.workflows.serializers import code_definition_item
from definitions import json_schema

# The answers' shapes (the OpenAPI document).
DEFINITION = shape(id="string", workflowId="string")
PAGINATION = shape(total="integer", limit="integer", offset="integer", hasMore="boolean")

router = APIRouter()

ViewDefinitions = Annotated[AuthContext, Depends(requires("workflows.definitions.view"))]
EditDefinitions = Annotated[AuthContext, Depends(requires("workflows.definitions.edit"))]
ExpectedUpdatedAt = Annotated[str | None, Header(alias=LOCK_HEADER, include_in_schema=True,
                                                 description="Optimistic lock: the updatedAt the client saw.")]



def _without_conditionals(node: Any) -> Any:
    # The OpenAPI copy leaves out `if`/`then`/`else` (type-specific step rules), which OpenAPI tools and
    # fuzzers do not generate from; the validator still applies them, and schema.json keeps them.
    if isinstance(node, dict):
        return {k: _without_conditionals(v) for k, v in node.items() if k not in ("if", "then", "else")}
    if isinstance(node, list):
        return [_without_conditionals(v) for v in node]
    return node


# The definition's own JSON Schema (served whole at `/api/workflows/definitions/schema.json`).
_ROW_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": _without_conditionals(json_schema())}}}}


@router.get("/workflows/definitions", summary="List workflow definitions",
            description="Get a list of workflow definitions with optional filters. Supports pagination and search. "
                        "Code-defined workflows are listed too (`source: \"code\"`) unless the tenant customized "
                        "them. Requires features: workflows.definitions.view",
            responses=json_answer(shape(data=many(DEFINITION), pagination=PAGINATION)))
async def list_definitions(
    session: SessionDep, ctx: ViewDefinitions,
    workflowId: Annotated[str | None, Query(description="Exact workflowId")] = None,
    enabled: Annotated[str | None, Query(description="`true` or `false`")] = None,
    search: Annotated[str | None, Query(description="Part of the workflowId or name")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    query = svc.ListQuery(workflow_id=workflowId or None, enabled=is_true(enabled),
                          search=(search or "").strip() or None, limit=limit, offset=offset)
    return await svc.list_definitions(session, ctx, query)


@router.post("/workflows/definitions", status_code=201, summary="Create workflow definition",
             description="Create a new workflow definition. The definition must include at least START and END "
                         "steps with at least one transition connecting them. Requires features: "
                         "workflows.definitions.view, workflows.definitions.create",
             openapi_extra=_ROW_BODY,
             responses=json_answer(shape(data=DEFINITION, message="string"), 201))
async def create_definition(request: Request, response: Response, session: SessionDep,
                            ctx: ViewDefinitions) -> dict[str, Any]:
    ensure(ctx, "workflows.definitions.create")
    row, entry = await svc.create(session, ctx, await read_json(request))
    audit.operation_header(response, entry)
    # Saved as the reference saves it, with what will misbehave at run time said beside it.
    return {"data": svc.serialize(row), "message": "Workflow definition created successfully",
            "warnings": warnings_of(row.definition)}


# Registered before `/definitions/{id}`, which would otherwise take `schema.json` for an id.
@router.get("/workflows/definitions/schema.json", summary="Workflow definition JSON Schema",
            description="JSON Schema (draft 2020-12) of a workflow definition (the create body), for validation "
                        "and completion in editors. Public: it describes the format, not tenant data.",
            responses=file_answer("application/schema+json", "The JSON Schema",
                                  {"type": "object", "properties": {"$schema": {"type": "string"}}}),
            response_class=Response)
async def definition_schema() -> JSONResponse:
    return JSONResponse(json_schema(), media_type="application/schema+json")


@router.get("/workflows/definitions/{id}", summary="Get workflow definition",
            description="Get a single workflow definition by ID. Returns the complete workflow structure including "
                        "steps and transitions (with embedded activities). `code:<workflowId>` addresses a "
                        "code-defined workflow. Requires features: workflows.definitions.view",
            responses=json_answer(shape(data=DEFINITION)))
async def get_definition(id: str, session: SessionDep, ctx: ViewDefinitions) -> dict[str, Any]:
    svc.tenant_of(ctx)
    return {"data": await svc.get_definition(session, ctx, id)}


@router.put("/workflows/definitions/{id}", summary="Update workflow definition",
            description="Update an existing workflow definition. Supports partial updates - only provided fields "
                        "will be updated. On `code:<workflowId>` it saves a customization of the code-defined "
                        "workflow. Requires features: workflows.definitions.view, workflows.definitions.edit",
            openapi_extra=_ROW_BODY,
            responses=json_answer(shape(data=DEFINITION, message="string")))
async def update_definition(id: str, request: Request, response: Response, session: SessionDep,
                            ctx: ViewDefinitions, expected: ExpectedUpdatedAt = None) -> dict[str, Any]:
    ensure(ctx, "workflows.definitions.edit")
    body = await read_json(request)
    svc.write_scope(ctx)
    svc.parse_update_body(body)
    if id.startswith(svc.CODE_PREFIX):
        workflow = svc.code_workflow(id)
        if workflow is None:
            raise NotFound(svc.NOT_FOUND)
        row, entry = await svc.customize(session, ctx, workflow, body=body, expected=expected)
        message = "Workflow definition customized successfully"
    else:
        row, entry = await svc.update(session, ctx, id, body, expected)
        message = "Workflow definition updated successfully"
    audit.operation_header(response, entry)
    return {"data": svc.serialize(row), "message": message, "warnings": warnings_of(row.definition)}


@router.delete("/workflows/definitions/{id}", summary="Delete workflow definition",
               description="Soft delete a workflow definition. Cannot be deleted if there are active workflow "
                           "instances (RUNNING or WAITING status) using this definition. Requires features: "
                           "workflows.definitions.view, workflows.definitions.delete",
               responses=json_answer(shape(message="string")))
async def delete_definition(id: str, response: Response, session: SessionDep, ctx: ViewDefinitions,
                            expected: ExpectedUpdatedAt = None) -> dict[str, Any]:
    ensure(ctx, "workflows.definitions.delete")
    _, entry = await svc.delete(session, ctx, id, expected)
    audit.operation_header(response, entry)
    return {"message": "Workflow definition deleted successfully"}


@router.post("/workflows/definitions/{id}/customize", summary="Customize a code-defined workflow",
             description="Save an editable copy of the code-defined workflow `code:<workflowId>` for the tenant "
                         "(reviving an earlier, deleted customization). Requires features: "
                         "workflows.definitions.edit",
             responses=json_answer(shape(data=DEFINITION, message="string")))
async def customize_definition(id: str, response: Response, session: SessionDep, ctx: EditDefinitions,
                               expected: ExpectedUpdatedAt = None) -> dict[str, Any]:
    if not id.startswith(svc.CODE_PREFIX):
        raise BadRequest("Customize is only supported for code-based workflow definitions")
    workflow = svc.code_workflow(id)
    if workflow is None:
        raise NotFound(svc.NOT_FOUND)
    row, entry = await svc.customize(session, ctx, workflow, expected=expected)
    audit.operation_header(response, entry)
    return {"data": svc.serialize(row), "message": "Workflow definition customized successfully"}


@router.post("/workflows/definitions/{id}/reset-to-code", summary="Reset a customization to the code version",
             description="Delete the tenant's customization of a code-defined workflow, so the code version "
                         "applies again. Requires features: workflows.definitions.edit",
             responses=json_answer(shape("data", data=DEFINITION, message="string")))
async def reset_definition(id: str, response: Response, session: SessionDep, ctx: EditDefinitions,
                           expected: ExpectedUpdatedAt = None) -> dict[str, Any]:
    ensure(ctx, "workflows.definitions.edit")
    workflow, entry = await svc.reset_to_code(session, ctx, id, expected)
    audit.operation_header(response, entry)
    if workflow is None:
        return {"message": "Workflow definition reset to code version (code definition no longer registered)",
                "data": None}
    return {"data": code_definition_item(workflow), "message": "Workflow definition reset to code version"}
