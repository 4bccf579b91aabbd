"""`resolve_sub_workflow`: the definition a SUB_WORKFLOW step starts as its child instance, resolved as
`POST /workflows/instances` resolves one (the tenant's row in the parent's organization, else the
code-defined workflow; disabled or unrunnable definitions refused with the API's message). A local
activity: one short read. The child pins what this returns, like any instance pins its definition."""

from __future__ import annotations

from temporalio import activity

from api.db import sessionmaker
from api.errors import ApiError
from api.modules.workflows.instances_service import check_runnable, resolve_definition
from engine.contract import ACTIVITY_RESOLVE_CHILD, ResolveChildInput, ResolvedChild


@activity.defn(name=ACTIVITY_RESOLVE_CHILD)
async def resolve_sub_workflow(request: ResolveChildInput) -> ResolvedChild:
    async with sessionmaker()() as session:
        try:
            found = await resolve_definition(session, tenant_id=request.tenant_id,
                                             org_scope=[request.organization_id], workflow_id=request.workflow_id,
                                             version=request.version)
            check_runnable(found)
        except ApiError as error:
            return ResolvedChild(error=error.error)
    return ResolvedChild(definition_id=found.definition_id, workflow_id=found.workflow_id, version=found.version,
                         definition=found.definition)
