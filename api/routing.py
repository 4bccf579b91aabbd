"""A path check in front of each module router, so a request is matched against its own module's routes only.

FastAPI matches a request by asking every included router in turn, and each of those tries every route it
holds (a regular expression each), then matches the chosen router once more to handle the request: with ~550
routes that was ~15 % of the API's CPU for a `POST /api/workflows/instances` (docs/benchmarks.md, "Outside
the sandbox, API start path"). A route's path always begins with its text before the first `{`, so a router
none of whose routes' texts the path begins with cannot match it, not even partly (a 405 needs the path to
match): it answers "no" at once. Everything else (the order, partial matches, slash redirects, the answer) is
FastAPI's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

Matcher = Callable[[Scope], tuple[Match, Scope]]


def prefilter(app: FastAPI) -> int:
    """Puts the check in front of every included router made of plain API routes; answers how many."""
    done = 0
    for route in app.router.routes:
        original = getattr(route, "original_router", None)
        prefix = getattr(getattr(route, "include_context", None), "prefix", None)
        routes = getattr(original, "routes", None)
        if not isinstance(prefix, str) or not routes or not all(isinstance(r, APIRoute) for r in routes):
            continue  # not a router of API routes (a mount, a nested include): left as FastAPI has it
        starts = tuple(sorted({prefix + r.path.split("{", 1)[0] for r in routes}))
        route.matches = _checked(route.matches, starts)  # type: ignore[method-assign,assignment]
        done += 1
    return done


def _checked(matches: Matcher, starts: tuple[str, ...]) -> Matcher:
    def check(scope: Scope) -> tuple[Match, Scope]:
        # With a root path, which part of the path a route sees is Starlette's business: not short-cut.
        if scope.get("root_path") or str(scope.get("path", "")).startswith(starts):
            return matches(scope)
        none: dict[str, Any] = {}
        return Match.NONE, none
    return check
