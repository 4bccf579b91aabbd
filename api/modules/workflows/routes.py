"""Workflows: definitions (tenant rows and code-defined workflows), instances and their event log."""

from __future__ import annotations

from fastapi import APIRouter

from api.modules.workflows import (
    definition_routes,
    diagram_routes,
    event_routes,
    instance_routes,
    signal_routes,
    simulation_routes,
    task_routes,
)

TAG = "Workflows"

router = APIRouter(tags=[TAG])
# Before definition_routes: `/definitions/validate` and `.../diagram.svg` are not ids.
router.include_router(diagram_routes.router)
router.include_router(simulation_routes.router)
router.include_router(definition_routes.router)
router.include_router(instance_routes.router)
router.include_router(event_routes.router)
router.include_router(task_routes.router)
router.include_router(signal_routes.router)
