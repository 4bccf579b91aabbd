"""`run_activity` as Temporal runs it (ActivityEnvironment): dispatch by type, WAIT and unknown types
refused, unexpected errors and timeouts turned into retryable ACTIVITY_FAILED."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import run
from activities.deps import ActivityDeps, configure
from engine.contract import RunActivityInput
from tests.activities.conftest import Recorder, activity_input


@pytest.fixture
def installed(deps: ActivityDeps) -> Iterator[ActivityDeps]:
    configure(deps)
    yield deps
    configure(None)


async def failure(inp: RunActivityInput) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(run.run_activity, inp)
    return info.value


async def test_dispatches_by_type(installed: ActivityDeps, webhook: Recorder) -> None:
    out = await ActivityEnvironment().run(run.run_activity, activity_input(
        "EXECUTE_FUNCTION", {"functionName": "math.sum", "args": {"values": [2, 3]}}))
    assert out == {"executed": True, "functionName": "math.sum", "result": 5}
    out = await ActivityEnvironment().run(run.run_activity, activity_input(
        "CALL_WEBHOOK", {"url": webhook.url("/json"), "body": {"n": 1}}, key="k-1"))
    assert out["result"]["body"] == {"n": 1} and webhook.requests[0].headers["idempotency-key"] == "k-1"


async def test_wait_and_unknown_types_never_run(installed: ActivityDeps) -> None:
    err = await failure(activity_input("WAIT", {"duration": "PT1S"}))
    assert err.message.startswith("WAIT is a durable timer run by the workflow itself") and err.non_retryable
    err = await failure(activity_input("SEND_FAX", {}))
    assert err.message == "Unknown activity type: SEND_FAX" and err.non_retryable
    assert err.type == "ACTIVITY_FAILED"


async def test_unexpected_errors_and_timeouts_are_retryable(installed: ActivityDeps,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(inp: RunActivityInput, deps: ActivityDeps) -> dict[str, Any]:
        raise KeyError("oops")

    async def slow(inp: RunActivityInput, deps: ActivityDeps) -> dict[str, Any]:
        await asyncio.sleep(5)
        return {}

    monkeypatch.setitem(run.HANDLERS, "EMIT_EVENT", broken)
    err = await failure(activity_input("EMIT_EVENT", {"eventName": "a.b"}))
    assert err.message == "EMIT_EVENT failed: KeyError: 'oops'" and not err.non_retryable
    assert err.type == "ACTIVITY_FAILED"
    monkeypatch.setitem(run.HANDLERS, "EMIT_EVENT", slow)
    err = await failure(activity_input("EMIT_EVENT", {"eventName": "a.b"}, timeout_ms=50))
    assert err.message == "Activity execution timeout after 50ms" and not err.non_retryable


async def test_http_4xx_keeps_its_type_through_temporal(installed: ActivityDeps, webhook: Recorder) -> None:
    err = await failure(activity_input("CALL_WEBHOOK", {"url": webhook.url("/status/422")}))
    assert err.type == "HTTP_4XX" and err.non_retryable
