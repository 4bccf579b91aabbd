"""The one body reader of the API: every request body passes `BodyGuard` (size, encoding, nesting, NUL)
before any route sees it, and routes that read JSON themselves call `read_json`. FastAPI's own parsing of
pydantic-typed bodies comes after the guard, so the limits hold for those routes too (docs/security.md)."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BadRequest

# Deeper JSON than this is refused. Our documents (definitions, rules, form schemas) stay far below it,
# and every recursive walk over a body (validation, audit snapshots, rules) stays far from Python's limit.
MAX_JSON_DEPTH = 64

_BRACKETS = bytes(range(256)).translate(None, b"[]{}")  # every byte but the brackets: deleted to count them
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
# `\u0000` inside a JSON string (an odd number of backslashes before `u0000`): PostgreSQL stores NUL in
# neither text nor jsonb, so it is refused at the door instead of failing at the database.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_NUL_FORM = re.compile(rb"%00")


class BodyError(BadRequest):
    pass


def depth_of(raw: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not count)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be too deep: skip the scan for the ordinary body
    brackets = _STRINGS.sub(b"", raw).translate(None, _BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in (0x5B, 0x7B) else -1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_JSON_DEPTH:
                break
    return deepest


def check_json(raw: bytes) -> None:
    """Refuses what no route may receive: invalid UTF-8, nesting deeper than `MAX_JSON_DEPTH`, NUL."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("Invalid JSON body", [{"path": [], "message": "The body is not valid UTF-8",
                                               "code": "invalid_utf8"}]) from None
    if depth_of(raw) > MAX_JSON_DEPTH:
        raise BodyError("Invalid JSON body", [{"path": [], "message": f"Nested deeper than {MAX_JSON_DEPTH} levels",
                                               "code": "too_deep"}])
    if b"\\u0000" in raw and _NUL_ESCAPE.search(raw):
        raise BodyError("Invalid JSON body", [{"path": [], "message": "Text may not contain NUL characters",
                                               "code": "nul_character"}])


def parse_json(raw: bytes) -> Any:
    """A JSON body, checked (`check_json`) then parsed; `Invalid JSON body` when it does not parse."""
    check_json(raw)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise BodyError("Invalid JSON body") from None


async def read_json(request: Request, *, empty: Any = ...) -> Any:
    """The request's JSON; `Invalid JSON body` when it does not parse (or is empty, unless `empty`)."""
    raw = await request.body()
    if not raw.strip():
        if empty is not ...:
            return empty
        raise BodyError("Invalid JSON body")
    return parse_json(raw)


def _media_type(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


class BodyGuard:
    """Reads every request body once, before the app: over `limit` bytes (declared or counted, chunked or
    not) is a 413; a body read as JSON (any media type but forms and multipart: several routes parse JSON
    whatever the header says) must pass `check_json`; a form may not carry NUL (`%00`), nor may the query
    string. Then the app gets the body as one message. `larger` gives named routes (method, path) a limit of
    their own: file uploads carry more than JSON bodies do. A path may name a segment as `{id}`, which matches
    any one segment."""

    def __init__(self, app: ASGIApp, limit: int, larger: dict[tuple[str, str], int] | None = None) -> None:
        self.app = app
        self.default = limit
        self.larger = {key: size for key, size in (larger or {}).items() if "{" not in key[1]}
        self.templates = [(method, re.compile(re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(path)) + "$"), size)
                          for (method, path), size in (larger or {}).items() if "{" in path]

    def limit_for(self, method: str, path: str) -> int:
        path = path.rstrip("/")
        if (method, path) in self.larger:
            return self.larger[(method, path)]
        for verb, pattern, size in self.templates:
            if verb == method and pattern.match(path):
                return size
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _NUL_FORM.search(scope.get("query_string") or b"") or _NUL_FORM.search(scope.get("raw_path") or b""):
            await _answer(send, 400, BodyError("Invalid query parameters", [
                {"path": [], "message": "Text may not contain NUL characters", "code": "nul_character"}]).body())
            return
        limit = self.limit_for(scope.get("method", ""), scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                await _too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        media = _media_type(scope)
        try:
            if body.strip() and media == "application/x-www-form-urlencoded":
                if _NUL_FORM.search(body):
                    raise BodyError("Invalid form body", [{"path": [], "message": "Text may not contain NUL characters",
                                                           "code": "nul_character"}])
            elif body.strip() and not media.startswith("multipart/"):
                check_json(body)
        except BodyError as exc:
            await _answer(send, 400, exc.body())
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _answer(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Send) -> None:
    await _answer(send, 413, {"error": "Request body too large"})
