"""A stand-in for `run_activity`, registered under the real name (the real one is tested in
tests/activities). The activity's config says what it does:

- `result`: the output (default `{"done": <activityId>}`);
- `failTimes`: fail that many executions-or-attempts of this activity in this instance first;
- `http4xx`: fail as a 4xx answer (never retried);
- `gate`: wait until the test opens the gate of that name.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from engine.contract import ACTIVITY_FAILED, ACTIVITY_RUN, HTTP_4XX, RunActivityInput

CALLS: list[RunActivityInput] = []
GATES: dict[str, asyncio.Event] = {}
_FAILURES: Counter[tuple[str, str]] = Counter()


def gate(name: str) -> asyncio.Event:
    return GATES.setdefault(name, asyncio.Event())


def calls(instance_id: str) -> list[RunActivityInput]:
    return [c for c in CALLS if c.instance_id == instance_id]


@activity.defn(name=ACTIVITY_RUN)
async def run_activity(inp: RunActivityInput) -> dict[str, Any]:
    CALLS.append(inp)
    config = inp.config
    if config.get("http4xx"):
        raise ApplicationError("CALL_API request failed with status 404 (non-retriable): {}", type=HTTP_4XX,
                               non_retryable=True)
    key = (inp.instance_id, inp.activity_id)
    if _FAILURES[key] < int(config.get("failTimes", 0)):
        _FAILURES[key] += 1
        raise ApplicationError(str(config.get("error", "boom")), {"attempt": activity.info().attempt},
                               type=ACTIVITY_FAILED)
    if "gate" in config:
        await gate(str(config["gate"])).wait()
    result: dict[str, Any] = config.get("result") or {"done": inp.activity_id}
    return result
