"""The FastAPI application: every module's routes under `/api`, one error renderer."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi import FastAPI

from api import errors, manifest, metrics, openapi, routing, spreadsheets, storage_checks
from api.body import BodyGuard
from api.settings import get_settings
from console import mount as mount_console
from console.docs import mount_docs


def load_models() -> None:
    """Import every module's models so the metadata (and Alembic) sees all tables, including
    modules whose routes are not mounted yet."""
    import api.crud.tags
    import api.idempotency
    import api.modules
    import api.outbox_models  # noqa: F401

    for info in pkgutil.iter_modules(api.modules.__path__):
        if (Path(api.modules.__path__[0]) / info.name / "models.py").exists():
            importlib.import_module(f"api.modules.{info.name}.models")


def create_app() -> FastAPI:
    load_models()
    app = FastAPI(
        title="Stepwise API",
        version="0.1.0",
        description="Workflow and business-rules engine with the platform's CRUD modules.",
        openapi_url="/api/docs/openapi.json",
        docs_url=None,  # served from local assets by console.docs
        redoc_url=None,
    )
    errors.install(app)
    storage_checks.install()
    for router in manifest.routers():
        app.include_router(router, prefix="/api")
    # The people around the engine: the browser console and the API docs, both without a CDN (docs/console.md).
    mount_docs(app)
    mount_console(app)
    # Prometheus' /metrics, outside /api like the console (docs/operations.md).
    app.include_router(metrics.router)
    routing.prefilter(app)
    settings = get_settings()
    # The upload route checks its own limit (`attachments_max_upload_bytes`, 413 with `maxBytes`); a
    # multipart body is a little larger than the file it carries.
    attachment = max(settings.max_body_bytes, settings.attachments_max_upload_bytes + 64 * 1024)
    uploads = {("POST", "/api/attachments"): attachment, ("POST", "/api/shipments/{id}/documents"): attachment}
    # The imports read their file with api/spreadsheets.py, which refuses a larger one with a clear 400.
    imports = max(settings.max_body_bytes, spreadsheets.MAX_BYTES + 64 * 1024)
    uploads |= {("POST", path): imports for path in (
        "/api/fms_locations/import", "/api/fms_products/charge-codes/import", "/api/shipments/shipments/import")}
    app.add_middleware(BodyGuard, limit=settings.max_body_bytes, larger=uploads)
    # Outside the body guard, so a refused (413) request is timed and counted too.
    app.add_middleware(metrics.HttpMetrics, prefixes=("/api",), routes=app.router.routes)
    openapi.install(app)
    return app
