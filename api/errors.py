"""The API layer's one error type and its single renderer: `{"error": ..., "details"?: [...]}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("stepwise.api")


class ApiError(Exception):
    status = 400

    def __init__(self, error: str, details: list[Any] | None = None, *, extra: dict[str, Any] | None = None):
        super().__init__(error)
        self.error = error
        self.details = details
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {**self.extra, "error": self.error}
        if self.details is not None:
            body["details"] = self.details
        return body


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class TooManyRequests(ApiError):
    status = 429


def issues(exc: ValidationError | RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as zod-like issues: `{path, message, code}` without echoing input."""
    out = []
    for err in exc.errors():
        loc = [p for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        out.append({"path": list(loc), "message": err.get("msg", "Invalid value"), "code": err.get("type")})
    return out


def invalid(exc: ValidationError | RequestValidationError) -> BadRequest:
    return BadRequest("Invalid input", issues(exc))


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return JSONResponse({"error": "Invalid JSON body"}, status_code=400)
        return JSONResponse(invalid(exc).body(), status_code=400)

    @app.exception_handler(ValidationError)
    async def _pydantic(_: Request, exc: ValidationError) -> JSONResponse:
        return JSONResponse(invalid(exc).body(), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {404: "Not found", 405: "Method not allowed"}
        detail = exc.detail if isinstance(exc.detail, str) else None
        return JSONResponse(
            {"error": messages.get(exc.status_code) or detail or "Error"},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(OperationalError)
    async def _busy(_: Request, exc: OperationalError) -> JSONResponse:
        # SQLite refuses a transaction that read first and then wants to write while another one is
        # writing ("database is locked"): that is contention between two requests, not a fault.
        if "database is locked" in str(exc.orig):
            return JSONResponse({"error": "Another request is writing the same data; retry"}, status_code=409)
        log.exception("database error", exc_info=exc)
        return JSONResponse({"error": "Internal server error"}, status_code=500)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse({"error": "Internal server error"}, status_code=500)
