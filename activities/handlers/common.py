"""Helpers every activity handler shares: the failure types the engine understands, config reading,
and bounded HTTP response reading."""

from __future__ import annotations

import json
from typing import Any

import httpx
from temporalio.exceptions import ApplicationError

# Stable ApplicationError types. Temporal retries ACTIVITY_FAILED according to the activity's retry
# policy unless the error is marked non-retryable; HTTP_4XX is never retried (the request itself is wrong).
ACTIVITY_FAILED = "ACTIVITY_FAILED"
HTTP_4XX = "HTTP_4XX"


def fail(message: str, *details: Any, retryable: bool = False, type: str = ACTIVITY_FAILED) -> ApplicationError:
    """The error to raise. Non-retryable by default: most failures (bad config, missing permission)
    would fail the same way on every attempt; transient ones pass `retryable=True`."""
    return ApplicationError(message, *details, type=type, non_retryable=not retryable or type == HTTP_4XX)


def text(config: dict[str, Any], key: str) -> str | None:
    """A config value the way the reference's `if (!value)` reads it: absent, null, "" and 0 are missing;
    other scalars are taken as their string form (interpolation may have produced a number)."""
    value = config.get(key)
    if value is None or value is False or value == "" or value == 0:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


# Framing and routing headers are the client's business; a definition setting them could desynchronize the
# request or aim it at another virtual host.
RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "te", "upgrade",
                              "keep-alive", "proxy-connection", "trailer"})


def header_problem(name: str, value: str) -> str | None:
    if not name or any(c in name for c in "\r\n\0:") or any(c in value for c in "\r\n\0"):
        return "Invalid header"
    if name.lower() in RESERVED_HEADERS:
        return "Header is set by the client"
    return None


class ResponseTooLarge(Exception):
    pass


async def read_limited(response: httpx.Response, limit: int) -> bytes:
    """The body of a streamed response, refusing more than `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge(f"response body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_body(response: httpx.Response, raw: bytes) -> Any:
    """Parsed JSON when the server says it is JSON (and it parses), else the text."""
    charset = response.charset_encoding or "utf-8"
    try:
        body_text = raw.decode(charset, errors="replace")
    except LookupError:
        body_text = raw.decode("utf-8", errors="replace")
    if "application/json" in (response.headers.get("content-type") or "").lower():
        try:
            return json.loads(body_text) if body_text.strip() else None
        except ValueError:
            return body_text
    return body_text


def timeout_seconds(timeout_ms: int | None, default: float) -> float:
    return timeout_ms / 1000 if timeout_ms and timeout_ms > 0 else default


def timeout_message(timeout_ms: int | None, default: float) -> str:
    ms = timeout_ms if timeout_ms and timeout_ms > 0 else int(default * 1000)
    return f"Activity execution timeout after {ms}ms"
