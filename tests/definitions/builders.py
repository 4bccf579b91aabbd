"""Builders of definition JSON for the definitions tests."""

from __future__ import annotations

import copy
from typing import Any

MIN_ROW: dict[str, Any] = {
    "workflowId": "qa-wf-123",
    "workflowName": "QA Workflow 123",
    "description": "Minimal definition used by most tests",
    "version": 1,
    "enabled": True,
    "definition": {
        "steps": [
            {"stepId": "start", "stepName": "Start", "stepType": "START"},
            {"stepId": "end", "stepName": "End", "stepType": "END"},
        ],
        "transitions": [{"transitionId": "start-to-end", "fromStepId": "start", "toStepId": "end", "trigger": "auto"}],
    },
}


def row(**fields: Any) -> dict[str, Any]:
    """`MIN_ROW` (a minimal valid create body) with top-level fields replaced (a value of ...
    removes the key)."""
    out = copy.deepcopy(MIN_ROW)
    for key, value in fields.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def step(step_id: str, step_type: str, **extra: Any) -> dict[str, Any]:
    return {"stepId": step_id, "stepName": step_id.replace("_", " ").title(), "stepType": step_type, **extra}


def transition(transition_id: str, source: str, target: str, trigger: str = "auto", **extra: Any) -> dict[str, Any]:
    return {"transitionId": transition_id, "fromStepId": source, "toStepId": target, "trigger": trigger, **extra}


def activity(activity_id: str, activity_type: str, config: dict[str, Any] | None = None, /,
             **extra: Any) -> dict[str, Any]:
    return {"activityId": activity_id, "activityName": activity_id.title(), "activityType": activity_type,
            "config": {} if config is None else config, **extra}


def graph(steps: list[dict[str, Any]], transitions: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"steps": steps, "transitions": transitions, **extra}


def with_step(middle: dict[str, Any]) -> dict[str, Any]:
    """A row start → <middle> → end."""
    return row(definition=graph(
        [step("start", "START"), middle, step("end", "END")],
        [transition("start-to-mid", "start", middle["stepId"]), transition("mid-to-end", middle["stepId"], "end")],
    ))


def with_transition(**extra: Any) -> dict[str, Any]:
    """A row whose only transition start → end carries ``extra``."""
    return row(definition=graph([step("start", "START"), step("end", "END")],
                                [transition("start-to-end", "start", "end", **extra)]))


def with_activity(act: dict[str, Any]) -> dict[str, Any]:
    return with_transition(activities=[act])


def with_trigger(**fields: Any) -> dict[str, Any]:
    trigger = {"triggerId": "on-created", "name": "On created", "eventPattern": "sales.orders.created", **fields}
    trigger = {k: v for k, v in trigger.items() if v is not ...}
    out = row()
    out["definition"]["triggers"] = [trigger]
    return out


def fork_join(branches: dict[str, list[str]] | None = None, *, fork_config: Any = ...,
              join_config: Any = ..., extra_steps: list[dict[str, Any]] | None = None,
              extra_transitions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """start → fork → branches → join → end. ``branches`` maps a branch key to the steps of that branch."""
    branches = {"fork-to-a": ["a"], "fork-to-b": ["b"]} if branches is None else branches
    steps = [step("start", "START"),
             step("fork", "PARALLEL_FORK", config={"joinStepId": "join"} if fork_config is ... else fork_config),
             step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"} if join_config is ... else join_config),
             step("end", "END")]
    transitions = [transition("start-to-fork", "start", "fork")]
    for key, chain in branches.items():
        transitions.append(transition(key, "fork", chain[0]))
        for i, step_id in enumerate(chain):
            steps.append(step(step_id, "AUTOMATED"))
            target = chain[i + 1] if i + 1 < len(chain) else "join"
            transitions.append(transition(f"{step_id}-to-{target}", step_id, target))
    transitions.append(transition("join-to-end", "join", "end"))
    if fork_config is None:
        steps[1].pop("config")
    if join_config is None:
        steps[2].pop("config")
    steps += extra_steps or []
    transitions += extra_transitions or []
    return row(definition=graph(steps, transitions))


# TC-WF-002: every defaultable field given explicitly, so the stored definition must deep-equal the body.
TC_WF_002_DEFINITION: dict[str, Any] = {
    "steps": [
        {"stepId": "start", "stepName": "Start", "stepType": "START"},
        {"stepId": "review", "stepName": "Review", "stepType": "USER_TASK",
         "userTaskConfig": {"assignedTo": "approver", "slaDuration": "PT1H"},
         "activities": [{"activityId": "review_notify", "activityName": "Notify reviewer", "activityType": "SEND_EMAIL",
                         "config": {"to": "{{context.reviewer.email}}", "subject": "Review needed",
                                    "template": "workflow_review"},
                         "async": True}]},
        {"stepId": "end", "stepName": "End", "stepType": "END"},
    ],
    "transitions": [
        {"transitionId": "start_to_review", "fromStepId": "start", "toStepId": "review", "trigger": "auto",
         "activities": [{"activityId": "emit_review_requested", "activityName": "Emit review requested",
                         "activityType": "EMIT_EVENT",
                         "config": {"eventType": "qa.workflow.review.requested",
                                    "payload": {"workflow": "{{workflow.instanceId}}"}},
                         "async": True}],
         "continueOnActivityFailure": True, "priority": 10},
        {"transitionId": "review_to_end", "fromStepId": "review", "toStepId": "end", "trigger": "manual",
         "continueOnActivityFailure": True, "priority": 20},
    ],
}
