"""The FastAPI application: every module's routes under `/api`, one error renderer."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors, manifest
from api.settings import get_settings
from console import mount as mount_console
from console.docs import mount_docs


def load_models() -> None:
    """Import every module's models so the metadata (and Alembic) sees all tables, including
    modules whose routes are not mounted yet."""
    import api.crud.tags
    import api.modules
    import api.outbox_models  # noqa: F401

    for info in pkgutil.iter_modules(api.modules.__path__):
        if (Path(api.modules.__path__[0]) / info.name / "models.py").exists():
            importlib.import_module(f"api.modules.{info.name}.models")


class BodyLimit:
    """Refuses bodies over `limit` bytes with 413, whether or not Content-Length is sent. `larger` gives
    named routes (method, path) a limit of their own: file uploads carry more than JSON bodies do."""

    def __init__(self, app: ASGIApp, limit: int, larger: dict[tuple[str, str], int] | None = None) -> None:
        self.app = app
        self.default = limit
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get((scope.get("method", ""), scope.get("path", "").rstrip("/")), self.default)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b'{"error":"Request body too large"}'
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


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
    for router in manifest.routers():
        app.include_router(router, prefix="/api")
    # The people around the engine: the browser console and the API docs, both without a CDN (docs/console.md).
    mount_docs(app)
    mount_console(app)
    settings = get_settings()
    # The upload route checks its own limit (`attachments_max_upload_bytes`, 413 with `maxBytes`); a
    # multipart body is a little larger than the file it carries.
    uploads = {("POST", "/api/attachments"): max(settings.max_body_bytes,
                                                 settings.attachments_max_upload_bytes + 64 * 1024)}
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, larger=uploads)
    return app
