"""Workflows: definitions (tenant rows and code-defined workflows), instances and their event log."""

from __future__ import annotations

from fastapi import APIRouter

from api.features import declare
from api.modules.auth import nav
from api.modules.workflows import definition_routes, event_routes, instance_routes, signal_routes, task_routes

TAG = "Workflows"

declare("workflows", "Workflows", {
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
})

nav.register("/backend/definitions", "Workflow Definitions", group_id="workflows", group_name="Workflows",
             features=("workflows.definitions.view",), order=10, group_order=400)
nav.register("/backend/instances", "Workflow Instances", group_id="workflows", group_name="Workflows",
             features=("workflows.instances.view",), order=20, group_order=400)
nav.register("/backend/tasks", "User Tasks", group_id="workflows", group_name="Workflows",
             features=("workflows.tasks.view",), order=30, group_order=400)
nav.register("/backend/events", "Workflow Events", group_id="workflows", group_name="Workflows",
             features=("workflows.instances.view",), order=40, group_order=400)

router = APIRouter(tags=[TAG])
router.include_router(definition_routes.router)
router.include_router(instance_routes.router)
router.include_router(event_routes.router)
router.include_router(task_routes.router)
router.include_router(signal_routes.router)
