"""`run_activity`: the one Temporal activity that performs a definition activity's side effect.

The workflow calls it for SEND_EMAIL, CALL_API, CALL_WEBHOOK, UPDATE_ENTITY, EMIT_EVENT and
EXECUTE_FUNCTION with the config already interpolated; each type's handler lives in
`activities/handlers/<type>.py` as `async def handle(inp, deps) -> dict` (the activity's output).

WAIT never reaches this activity: it is a durable timer the workflow runs itself (`workflow.sleep` with the
delay from `definitions.parse_duration` / `parse_iso_datetime`), so it survives worker restarts without
holding an activity slot. A WAIT arriving here is refused as a non-retryable error.

Failures are `ApplicationError`s: type ACTIVITY_FAILED (retried per the activity's retry policy unless
marked non-retryable: bad config and missing permissions are, transient faults are not) or HTTP_4XX (a 4xx
answer from CALL_API / CALL_WEBHOOK, never retried). Messages keep the reference platform's wording; the
"Activities" section of docs/workflows.md quotes them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deps import ActivityDeps, get_deps
from activities.handlers import call_api, call_webhook, emit_event, execute_function, send_email, update_entity
from activities.handlers.common import fail
from api.metrics import ACTIVITY_DURATION
from engine.contract import RunActivityInput

Handler = Callable[[RunActivityInput, ActivityDeps], Awaitable[dict[str, Any]]]

HANDLERS: dict[str, Handler] = {
    "SEND_EMAIL": send_email.handle,
    "CALL_API": call_api.handle,
    "CALL_WEBHOOK": call_webhook.handle,
    "UPDATE_ENTITY": update_entity.handle,
    "EMIT_EVENT": emit_event.handle,
    "EXECUTE_FUNCTION": execute_function.handle,
}


async def execute(inp: RunActivityInput, deps: ActivityDeps) -> dict[str, Any]:
    """Run one activity's handler, outside Temporal as well (tests, tools); each attempt is timed
    (`stepwise_activity_duration_seconds`, docs/operations.md)."""
    started = time.perf_counter()
    outcome = "failure"
    try:
        output = await _execute(inp, deps)
        outcome = "success"
        return output
    finally:
        kind = inp.activity_type if inp.activity_type in HANDLERS else "unknown"
        ACTIVITY_DURATION.labels(kind, outcome).observe(time.perf_counter() - started)


async def _execute(inp: RunActivityInput, deps: ActivityDeps) -> dict[str, Any]:
    if inp.activity_type == "WAIT":
        raise fail("WAIT is a durable timer run by the workflow itself; it never reaches run_activity")
    handler = HANDLERS.get(inp.activity_type)
    if handler is None:
        raise fail(f"Unknown activity type: {inp.activity_type}")
    try:
        if inp.timeout_ms and inp.timeout_ms > 0:
            # Temporal's start-to-close timeout ends the attempt on the server; this ends the work too.
            async with asyncio.timeout(inp.timeout_ms / 1000):
                return await handler(inp, deps)
        return await handler(inp, deps)
    except ApplicationError:
        raise
    except TimeoutError as exc:
        if not inp.timeout_ms:
            raise fail(f"{inp.activity_type} failed: timed out", retryable=True) from exc
        raise fail(f"Activity execution timeout after {inp.timeout_ms}ms", retryable=True) from None
    except Exception as exc:
        # A database hiccup or a bug: let the retry policy decide, with a message that says what broke.
        raise fail(f"{inp.activity_type} failed: {type(exc).__name__}: {exc}", retryable=True) from exc


@activity.defn(name="run_activity")
async def run_activity(inp: RunActivityInput) -> dict[str, Any]:
    return await execute(inp, get_deps())
