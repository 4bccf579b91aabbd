"""Definitions of the reference platform's waiting scenarios (TC-WF-013, 015-017, 020-022) and
of the sub-workflow, cancel, saga and correlation-key scenarios built on them, as payload builders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.api.modules.workflows.builders import step, transition, with_steps

# A function nobody registers: EXECUTE_FUNCTION activities calling it fail on their first attempt.
UNKNOWN_FUNCTION = "qa-nonexistent-function-do-not-register"


def chain(*steps: dict[str, Any], suffix: str = "", **fields: Any) -> dict[str, Any]:
    """`steps` in a row, each left by one auto transition `<from>-to-<to>`."""
    transitions = [transition(f"{a['stepId']}-to-{b['stepId']}", a["stepId"], b["stepId"])
                   for a, b in zip(steps, steps[1:], strict=False)]
    return with_steps(list(steps), transitions, suffix, **fields)


def activity(activity_id: str, activity_type: str, config: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"activityId": activity_id, "activityName": activity_id.replace("_", " ").title(),
            "activityType": activity_type, "config": config, **extra}


def timer_step(step_id: str = "wait_for_timer", duration: str = "PT1S") -> dict[str, Any]:
    return step(step_id, "WAIT_FOR_TIMER", config={"duration": duration})


def task_step(step_id: str, assigned_to: str | list[str] = "admin", **config: Any) -> dict[str, Any]:
    return step(step_id, "USER_TASK", userTaskConfig={"assignedTo": assigned_to, **config})


def signal_step(step_id: str, signal_name: str) -> dict[str, Any]:
    return step(step_id, "WAIT_FOR_SIGNAL", signalConfig={"signalName": signal_name})


def timer(duration: str = "PT1S") -> dict[str, Any]:
    """TC-WF-013: start → `wait_for_timer` (WAIT_FOR_TIMER) → end."""
    return chain(step("start", "START"), timer_step(duration=duration), step("end", "END"), suffix="-timer")


def waiting_for(signal_name: str = "approval") -> dict[str, Any]:
    """SIGNAL: start → `wait` (WAIT_FOR_SIGNAL) → end."""
    return chain(step("start", "START"), signal_step("wait", signal_name), step("end", "END"), suffix="-signal")


@dataclass
class Branch:
    """One branch of a fork: transitions `fork-to-<key>` (carrying `activities`) and `<key>-to-join`."""

    key: str
    step: dict[str, Any]
    activities: list[dict[str, Any]] = field(default_factory=list)


def fork_join(*branches: Branch, after: tuple[dict[str, Any], ...] = (), suffix: str = "-fork") -> dict[str, Any]:
    """start → `fork` → one step per branch → `join` → `after` steps → end (all auto), as the reference's
    parallel fixtures are built."""
    steps = [step("start", "START"), step("fork", "PARALLEL_FORK", config={"joinStepId": "join"}),
             *[b.step for b in branches], step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}), *after,
             step("end", "END")]
    transitions = [transition("start-to-fork", "start", "fork")]
    for b in branches:
        extra: dict[str, Any] = {"activities": b.activities} if b.activities else {}
        transitions.append(transition(f"fork-to-{b.key}", "fork", b.step["stepId"], **extra))
    transitions += [transition(f"{b.key}-to-join", b.step["stepId"], "join") for b in branches]
    tail = ["join", *[s["stepId"] for s in after], "end"]
    transitions += [transition(f"{a}-to-{b}", a, b) for a, b in zip(tail, tail[1:], strict=False)]
    return with_steps(steps, transitions, suffix)


def two_automated(after: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """TC-WF-020/021/022: branches `branch_a`, `branch_b` (AUTOMATED) through `fork-to-a`, `fork-to-b`."""
    return fork_join(Branch("a", step("branch_a", "AUTOMATED")), Branch("b", step("branch_b", "AUTOMATED")),
                     after=after)


def sub_parent(child_workflow_id: str, **config: Any) -> dict[str, Any]:
    """start → `sub` (SUB_WORKFLOW running `child_workflow_id`, `config` keys next to subWorkflowId) → end."""
    return chain(step("start", "START"), step("sub", "SUB_WORKFLOW", config={"subWorkflowId": child_workflow_id,
                                                                             **config}),
                 step("end", "END"), suffix="-parent")
