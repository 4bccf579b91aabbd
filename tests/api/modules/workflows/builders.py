"""The reference platform's integration-test fixtures for workflows, as payload builders."""

from __future__ import annotations

import uuid
from typing import Any

DEFINITIONS = "/api/workflows/definitions"
INSTANCES = "/api/workflows/instances"
EVENTS = "/api/workflows/events"
LOCK = "x-om-ext-optimistic-lock-expected-updated-at"
NIL = "00000000-0000-0000-0000-000000000000"


def ts() -> str:
    return uuid.uuid4().hex[:10]


def step(step_id: str, step_type: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"stepId": step_id, "stepName": name or step_id.replace("_", " ").title(), "stepType": step_type, **extra}


def transition(transition_id: str, source: str, target: str, trigger: str = "auto", **extra: Any) -> dict[str, Any]:
    return {"transitionId": transition_id, "fromStepId": source, "toStepId": target, "trigger": trigger, **extra}


def minimal(suffix: str = "", *, stamp: str | None = None, **fields: Any) -> dict[str, Any]:
    """MIN(ts, suffix): START → END through one auto transition."""
    stamp = stamp or ts()
    return {
        "workflowId": f"qa-wf{suffix}-{stamp}",
        "workflowName": f"QA Workflow{suffix} {stamp}",
        "description": "Minimal workflow used by the API tests",
        "version": 1,
        "enabled": True,
        "definition": {
            "steps": [step("start", "START", "Start"), step("end", "END", "End")],
            "transitions": [transition("start-to-end", "start", "end")],
        },
        **fields,
    }


def manual(suffix: str = "") -> dict[str, Any]:
    """MANUAL(ts, suffix): start → mid (AUTOMATED) → end, both transitions manual."""
    stamp = ts()
    return {
        "workflowId": f"qa-wf-advance{suffix}-{stamp}",
        "workflowName": f"QA Advance{suffix} {stamp}",
        "version": 1,
        "enabled": True,
        "definition": {
            "steps": [step("start", "START", "Start"), step("mid", "AUTOMATED", "Mid"), step("end", "END", "End")],
            "transitions": [transition("start-to-mid", "start", "mid", "manual"),
                            transition("mid-to-end", "mid", "end", "manual")],
        },
    }


def with_steps(steps: list[dict[str, Any]], transitions: list[dict[str, Any]], suffix: str = "",
               **fields: Any) -> dict[str, Any]:
    return minimal(suffix, definition={"steps": steps, "transitions": transitions}, **fields)
