"""Pieces of `test_durability_waits.py`: the definitions whose instances rest (at a task, a signal, a timer,
inside parallel branches, in a child workflow), a webhook receiver that counts every delivery, and readers
of the SQL projection.

Every definition calls the receiver before its instances rest ("before") and after they move on again
("after", and in the branches "work" / "ping", in the child "child-done"): each call carries the instance and
the activity, and its `Idempotency-Key` header, so the test sees both an activity run a second time by the
engine (a second key for the same instance and activity) and one delivered twice (a key counted twice).
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from sqlalchemy import select

from api.db import sessionmaker
from api.modules.workflows.models import WorkflowEvent
from tests.http_server import reply, serving

# The kinds of resting instances, and the definition of the children the `parent` kind starts.
TASK, SIGNAL, TIMER, FORK, PARENT, CHILD = "task", "signal", "timer", "fork", "parent", "child"
KINDS = (TASK, SIGNAL, TIMER, FORK, PARENT)
ROLE = "qa-reviewers"
SIGNAL_NAME = "qa-go"
# Which receiver calls an instance of each kind makes, once each, in a complete run.
HOOKS: dict[str, list[str]] = {
    TASK: ["before", "after"], SIGNAL: ["before", "after"], TIMER: ["before", "after"],
    FORK: ["before", "work", "ping", "after"], PARENT: ["before", "after"], CHILD: ["child-done"],
}
RETRY = {"maxAttempts": 5, "initialIntervalMs": 200, "backoffCoefficient": 1, "maxIntervalMs": 1000}
APPROVAL_FORM = {"properties": {"approved": {"type": "boolean"}}, "required": ["approved"]}
APPROVER_FORM = {"properties": {"approver": {"type": "string"}}, "required": ["approver"]}


# --- Definitions ----------------------------------------------------------------------------------------------

def _step(step_id: str, step_type: str, **extra: Any) -> dict[str, Any]:
    return {"stepId": step_id, "stepName": step_id.replace("-", " ").title(), "stepType": step_type, **extra}


def _move(source: str, target: str) -> dict[str, Any]:
    return {"transitionId": f"{source}-to-{target}", "fromStepId": source, "toStepId": target, "trigger": "auto"}


def _chain(*step_ids: str) -> list[dict[str, Any]]:
    return [_move(a, b) for a, b in zip(step_ids, step_ids[1:], strict=False)]


def _calling(step_id: str, url: str) -> dict[str, Any]:
    """An AUTOMATED step whose one activity calls the receiver (activityId = the step id)."""
    hook = {"activityId": step_id, "activityName": f"Hook {step_id}", "activityType": "CALL_WEBHOOK",
            "config": {"url": url, "body": {"instanceId": "{{workflow.instanceId}}", "activity": step_id}},
            "timeout": "PT5S", "retryPolicy": RETRY}
    return _step(step_id, "AUTOMATED", activities=[hook])


def _review() -> dict[str, Any]:
    return _step("review", "USER_TASK", userTaskConfig={"assignedTo": [ROLE], "formSchema": APPROVAL_FORM})


def _wait() -> dict[str, Any]:
    return _step("wait", "WAIT_FOR_SIGNAL", signalConfig={"signalName": SIGNAL_NAME})


def _nap() -> dict[str, Any]:
    # The instance says how long (`initialContext.nap`): some timers come due while the worker is down,
    # others after it is back.
    return _step("nap", "WAIT_FOR_TIMER", config={"duration": "{{context.nap}}"})


def _definition(name: str, steps: list[dict[str, Any]], transitions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"workflowId": name, "workflowName": name, "version": 1,
            "definition": {"steps": steps, "transitions": transitions}}


def definitions(url: str) -> dict[str, dict[str, Any]]:
    """The definitions by kind (CHILD first: PARENT names it), with fresh workflow ids."""
    stamp = uuid.uuid4().hex[:8]

    def name(kind: str) -> str:
        return f"qa-dw-{kind}-{stamp}"

    def around(kind: str, resting: dict[str, Any]) -> dict[str, Any]:
        """START → before → <resting step> → after → END."""
        steps = [_step("start", "START"), _calling("before", url), resting, _calling("after", url),
                 _step("end", "END")]
        return _definition(name(kind), steps, _chain("start", "before", resting["stepId"], "after", "end"))

    child = _definition(name(CHILD), [
        _step("start", "START"),
        _step("approve", "USER_TASK", userTaskConfig={"assignedTo": [ROLE], "formSchema": APPROVER_FORM}),
        _calling("child-done", url), _step("end", "END"),
    ], _chain("start", "approve", "child-done", "end"))
    sub = _step("sub", "SUB_WORKFLOW", config={"subWorkflowId": name(CHILD), "inputMapping": {"order": "orderId"},
                                               "outputMapping": {"approvedBy": "approver"}})
    # Four branches: a task, a signal, a timer followed by an activity (both after the restart), and an
    # activity done before the worker dies.
    fork = _definition(name(FORK), [
        _step("start", "START"), _calling("before", url), _step("fork", "PARALLEL_FORK", config={"joinStepId": "join"}),
        _review(), _wait(), _nap(), _calling("ping", url), _calling("work", url),
        _step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}), _calling("after", url), _step("end", "END"),
    ], [*_chain("start", "before", "fork"), _move("fork", "review"), _move("review", "join"), _move("fork", "wait"),
        _move("wait", "join"), *_chain("fork", "nap", "ping", "join"), *_chain("fork", "work", "join"),
        *_chain("join", "after", "end")])
    return {CHILD: child, TASK: around(TASK, _review()), SIGNAL: around(SIGNAL, _wait()),
            TIMER: around(TIMER, _nap()), FORK: fork, PARENT: around(PARENT, sub)}


# --- The webhook receiver -------------------------------------------------------------------------------------

@dataclass
class Hooks:
    """Every delivery, by Idempotency-Key; answers at once."""

    port: int = 0
    deliveries: Counter[str] = field(default_factory=Counter)
    # Key → (instance id, activity id) of its first delivery.
    owner: dict[str, tuple[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def keys(self) -> dict[tuple[str, str], list[str]]:
        """(instance, activity) → the keys it was called with."""
        with self.lock:
            out: dict[tuple[str, str], list[str]] = {}
            for key, who in self.owner.items():
                out.setdefault(who, []).append(key)
            return out

    def calls(self, instance_id: str) -> set[str]:
        with self.lock:
            return {activity for owner, activity in self.owner.values() if owner == instance_id}


def _handler(hooks: Hooks) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            key = self.headers.get("Idempotency-Key") or ""
            with hooks.lock:
                hooks.deliveries[key] += 1
                hooks.owner.setdefault(key, (str(body.get("instanceId")), str(body.get("activity"))))
            reply(self, 200, json.dumps({"accepted": True}).encode())

    return Handler


@contextlib.contextmanager
def receiving() -> Iterator[Hooks]:
    hooks = Hooks()
    with serving(_handler(hooks)) as port:
        hooks.port = port
        yield hooks


# --- The projection -------------------------------------------------------------------------------------------

async def rows(model: Any, tenant_id: str) -> list[Any]:
    async with sessionmaker()() as s:
        return list((await s.execute(select(model).where(model.tenant_id == tenant_id))).scalars())


def by_instance(items: list[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for item in items:
        out.setdefault(item.workflow_instance_id, []).append(item)
    return out


def shape(event: WorkflowEvent) -> tuple[str, str | None]:
    """What an event is about, independent of ids and times: its type and its step, transition target,
    branch or signal."""
    data = event.event_data or {}
    about = data.get("stepId") or data.get("toStepId") or data.get("branchKey") or data.get("signalName") \
        or data.get("taskName")
    return event.event_type, None if about is None else str(about)
