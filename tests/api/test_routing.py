"""The path check in front of the module routers (api/routing.py) changes which routers are asked, never the
answer: every route's path, with every method, resolves as FastAPI alone resolves it."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match

from api.app import create_app


def _resolve(app: FastAPI, method: str, path: str, root_path: str = "") -> tuple[Any, ...]:
    """What the app's top level picks: the first full match, else the first partial one (a 405)."""
    scope = {"type": "http", "method": method, "path": path, "root_path": root_path, "query_string": b"",
             "headers": []}
    partial = None
    for index, route in enumerate(app.router.routes):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return ("full", index)
        if match == Match.PARTIAL and partial is None:
            partial = ("partial", index)
    return partial or ("none",)


def _requests(app: FastAPI) -> list[tuple[str, str]]:
    paths: set[str] = set()
    for route in app.router.routes:
        for inner in getattr(getattr(route, "original_router", None), "routes", []):
            if isinstance(inner, APIRoute):
                prefix = route.include_context.prefix  # type: ignore[attr-defined]
                paths.add(prefix + re.sub(r"\{[^}]+\}", "p-1", inner.path))
    paths |= {f"{p}/" for p in list(paths)} | {"/api/nowhere", "/api", "/", "/api/workflows/nowhere/x"}
    return [(m, p) for p in sorted(paths) for m in ("GET", "POST", "PUT", "PATCH", "DELETE")]


def test_every_path_and_method_resolves_as_fastapi_alone_resolves_it() -> None:
    app = create_app()
    checked = [route for route in app.router.routes if "matches" in vars(route)]
    assert len(checked) > 50  # the module routers
    requests = _requests(app)
    assert len(requests) > 1500
    with_check = [_resolve(app, m, p) for m, p in requests]
    for route in checked:
        del route.matches  # type: ignore[attr-defined]
    alone = [_resolve(app, m, p) for m, p in requests]
    assert with_check == alone
    assert {r[0] for r in alone} == {"full", "partial", "none"}
