"""Workflows: definitions (tenant rows and code-defined workflows), instances, tasks, signals, events
and the event triggers that start instances."""

from __future__ import annotations

from api.caches import CacheSegment
from api.manifest import Module, NavEntry, Searchable, Widget
from api.modules.workflows import instances_service, metrics, shipped_rules
from api.modules.workflows.definitions_service import ENTITY, UNDOABLE
from api.modules.workflows.models import WorkflowDefinition
from api.modules.workflows.routes import router
from api.modules.workflows.triggers import start_workflows_for_event


def _entry(href: str, title: str, feature: str, order: int) -> NavEntry:
    return NavEntry(href, title, group_id="workflows", group_name="Workflows", features=(feature,), order=order,
                    group_order=400)


module = Module(
    id="workflows",
    title="Workflows",
    features={
        "workflows.view": "View workflows",
        "workflows.manage": "Manage workflows (act on any user task)",
        "workflows.view_logs": "View workflow logs",
        "workflows.view_tasks": "View workflow tasks",
        "workflows.definitions.view": "View workflow definitions",
        "workflows.definitions.create": "Create workflow definitions",
        "workflows.definitions.edit": "Edit workflow definitions",
        "workflows.definitions.delete": "Delete workflow definitions",
        "workflows.instances.view": "View workflow instances",
        "workflows.instances.create": "Start and advance workflow instances",
        "workflows.instances.cancel": "Cancel workflow instances",
        "workflows.instances.retry": "Retry failed workflow instances",
        "workflows.instances.signal": "Send signals to workflow instances",
        "workflows.tasks.view": "View user tasks",
        "workflows.tasks.claim": "Claim user tasks",
        "workflows.tasks.complete": "Complete user tasks",
        "workflows.signals.send": "Send signals by correlation key",
        "workflows.events.view": "View workflow events",
    },
    routers=(router,),
    navigation=(
        _entry("/backend/definitions", "Workflow Definitions", "workflows.definitions.view", 10),
        _entry("/backend/instances", "Workflow Instances", "workflows.instances.view", 20),
        _entry("/backend/tasks", "User Tasks", "workflows.tasks.view", 30),
        _entry("/backend/events", "Workflow Events", "workflows.instances.view", 40),
    ),
    # Dashboard widgets read the module's own lists: open tasks (`GET /api/workflows/tasks?myTasks=true`) and
    # instance totals per status (`GET /api/workflows/instances?status=...`).
    widgets=(
        Widget("workflows.dashboard.my-tasks", "My tasks", ("dashboards.view", "workflows.tasks.view"),
               description="Open user tasks assigned to you or to your roles' queues, newest first.",
               default_settings={"pageSize": 5}, icon="check-square", supports_refresh=True),
        Widget("workflows.dashboard.instances-by-status", "Workflow instances by status",
               ("dashboards.view", "workflows.instances.view"),
               description="How many workflow instances are in each status.", default_size="sm",
               icon="bar-chart", supports_refresh=True),
    ),
    # Domain events start the instances whose triggers match.
    # A tenant's first organization brings the shipped workflows' guard rules (shipped_rules.py).
    subscribers=(("*", start_workflows_for_event),
                 ("directory.organization.created", shipped_rules.install_for_new_organization)),
    undoable={ENTITY: UNDOABLE},
    caches=(CacheSegment("workflows.definitions", "Definitions looked up to start instances (kept a few seconds)",
                         size=lambda: len(instances_service._definitions), clear=instances_service.forget_definitions,
                         stats=lambda: {"ttlSeconds": instances_service.DEFINITION_TTL_SECONDS}),),
    # Open and overdue tasks by queue, open instances by definition: read at each /metrics scrape.
    metrics=(metrics.task_gauges, metrics.instance_gauges),
    workflows=("workflows.simple-approval", "workflows.checkout-demo"),
    search=(Searchable(ENTITY, WorkflowDefinition, fields=("workflow_id", "workflow_name", "description"),
                       title="workflow_name", subtitle="workflow_id", url="/backend/definitions/{id}",
                       label="Workflow definition"),),
)
