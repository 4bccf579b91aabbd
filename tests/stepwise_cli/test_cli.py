"""`stepwise` invoked as a process (`python -m stepwise_cli`) against a live API (docs/cli.md)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.modules.workflows.builders import minimal, step, transition, with_steps
from tests.fixtures import World
from tests.live import ROOT

pytestmark = pytest.mark.usefixtures("engine")
ADMIN = ["workflows.*", "business_rules.*"]


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


async def stepwise(*args: str, url: str = "", token: str = "", stdin: bytes | None = None) -> Run:
    """The CLI in a child process (asynchronously: the engine worker of this process must keep running)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEPWISE_") or k == "STEPWISE_DATA_DIR"}
    env.update({"STEPWISE_URL": url, "STEPWISE_TOKEN": token, "COLUMNS": "200", "NO_COLOR": "1"})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "stepwise_cli", *args, cwd=str(ROOT), env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(stdin), 60)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


def write(tmp_path: Path, name: str, value: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(value))
    return str(path)


async def test_every_command_has_help() -> None:
    top = await stepwise("--help")
    assert top.code == 0 and "definitions" in top.out and "--install-completion" in top.out
    for group, commands in {"definitions": ["validate", "push", "list", "diagram", "simulate"],
                            "instances": ["start", "list", "show", "watch"], "tasks": ["list", "claim", "complete"],
                            "signal": ["send"], "rules": ["test"]}.items():
        for command in commands:
            r = await stepwise(group, command, "--help")
            assert r.code == 0 and "Usage:" in r.out, (group, command, r.err)


async def test_validate_offline_prints_file_path_message_lines(tmp_path: Path) -> None:
    good = write(tmp_path, "good.json", minimal())
    broken = minimal()
    broken["definition"]["steps"][1]["stepId"] = "End"
    bad = write(tmp_path, "bad.json", broken)
    dangling = minimal()
    dangling["definition"]["transitions"][0]["toStepId"] = "nowhere"
    warn = write(tmp_path, "warn.json", dangling)
    r = await stepwise("definitions", "validate", good)
    assert r.code == 0 and r.out == ""
    r = await stepwise("definitions", "validate", good, bad)
    assert r.code == 1
    assert r.out.splitlines() == [f"{bad}:definition.steps.1.stepId: error: Step ID must contain only lowercase "
                                  "letters, numbers, hyphens, and underscores"]
    r = await stepwise("definitions", "validate", warn)
    assert r.code == 0 and f"{warn}:definition.transitions.0.toStepId: warning: " in r.out and "[UNKNOWN_STEP]" in r.out
    assert (await stepwise("definitions", "validate", "--strict", warn)).code == 1
    missing = await stepwise("definitions", "validate", str(tmp_path / "nope.json"))
    assert missing.code == 1 and "nope.json" in missing.err


async def test_push_list_diagram_start_watch_show(world: World, live_url: str, tmp_path: Path) -> None:
    me = await world.user(ADMIN)
    payload = minimal()
    file = write(tmp_path, "flow.json", payload)
    created = await stepwise("definitions", "push", file, url=live_url, token=me.token)
    assert created.code == 0, created.err
    definition_id = created.out.strip()
    assert "created successfully" in created.err
    payload["workflowName"] = "Renamed"
    write(tmp_path, "flow.json", payload)
    updated = await stepwise("definitions", "push", file, url=live_url, token=me.token)
    assert updated.code == 0 and updated.out.strip() == definition_id and "updated successfully" in updated.err
    listed = await stepwise("definitions", "list", "--search", payload["workflowId"], url=live_url, token=me.token)
    assert listed.out.split("\t")[:2] == [definition_id, payload["workflowId"]] and "Renamed" in listed.out
    svg = await stepwise("definitions", "diagram", definition_id, url=live_url, token=me.token)
    assert svg.code == 0 and svg.out.startswith("<svg") and 'data-step-id="end"' in svg.out
    mermaid = await stepwise("definitions", "diagram", definition_id, "--format", "mermaid", url=live_url,
                             token=me.token)
    assert mermaid.out.startswith("flowchart TD")

    started = await stepwise("instances", "start", payload["workflowId"], "--context", '{"orderId": "o-1"}',
                             url=live_url, token=me.token)
    assert started.code == 0, started.err
    instance = started.json()
    watched = await stepwise("instances", "watch", instance["id"], "--interval", "0.1", "--timeout", "20",
                             url=live_url, token=me.token)
    assert watched.code == 0 and watched.out.splitlines()[-1].split("\t")[1] == "COMPLETED"
    shown = await stepwise("instances", "show", instance["id"], "--events", url=live_url, token=me.token)
    data = shown.json()
    assert data["context"] == {"orderId": "o-1"} and data["events"][0]["eventType"] == "WORKFLOW_STARTED"
    listed = await stepwise("instances", "list", "--workflow-id", payload["workflowId"], url=live_url, token=me.token)
    assert listed.out.strip().split("\t")[:3] == [instance["id"], payload["workflowId"], "COMPLETED"]


async def test_tasks_and_signals(world: World, live_url: str) -> None:
    await world.setup()
    role = await world.role("clerk", ADMIN)
    me = await world.user(roles=[role])
    form = {"type": "object", "properties": {"approved": {"type": "boolean"}}, "required": ["approved"]}
    payload = with_steps(
        [step("start", "START"), step("review", "USER_TASK", userTaskConfig={"assignedTo": ["clerk"],
                                                                            "formSchema": form}),
         step("wait", "WAIT_FOR_SIGNAL", signalConfig={"signalName": "paid"}), step("end", "END")],
        [transition("t1", "start", "review"), transition("t2", "review", "wait"), transition("t3", "wait", "end")])
    r = await me.post("/api/workflows/definitions", json=payload)
    assert r.status_code == 201, r.text
    instance = (await stepwise("instances", "start", payload["workflowId"], url=live_url, token=me.token)).json()
    task_line = ""
    for _ in range(100):
        task_line = (await stepwise("tasks", "list", "--mine", "--instance", instance["id"], url=live_url,
                                    token=me.token)).out.strip()
        if task_line:
            break
        await asyncio.sleep(0.1)
    task_id, status, name = task_line.split("\t")[:3]
    assert status == "PENDING" and name == "Review"
    claimed = await stepwise("tasks", "claim", task_id, url=live_url, token=me.token)
    assert claimed.code == 0 and claimed.json()["status"] == "IN_PROGRESS", claimed.err
    refused = await stepwise("tasks", "complete", task_id, "--data", "{}", url=live_url, token=me.token)
    assert refused.code == 1 and "approved" in refused.err
    done = await stepwise("tasks", "complete", task_id, "--data", '{"approved": true}', url=live_url, token=me.token)
    assert done.code == 0, done.err
    for _ in range(100):
        shown = (await stepwise("instances", "show", instance["id"], url=live_url, token=me.token)).json()
        if shown["currentStepId"] == "wait":
            break
        await asyncio.sleep(0.1)
    both = await stepwise("signal", "send", "paid", url=live_url, token=me.token)
    assert both.code == 1 and "exactly one" in both.err
    sent = await stepwise("signal", "send", "paid", "--instance", instance["id"], "--payload", '{"ref": "p-1"}',
                          url=live_url, token=me.token)
    assert sent.code == 0, sent.err
    watched = await stepwise("instances", "watch", instance["id"], "--interval", "0.1", "--timeout", "20",
                             url=live_url, token=me.token)
    assert watched.code == 0
    shown = (await stepwise("instances", "show", instance["id"], url=live_url, token=me.token)).json()
    assert shown["context"]["approved"] is True and shown["context"]["ref"] == "p-1"


async def test_refusals_are_errors_with_exit_1(live_url: str) -> None:
    r = await stepwise("definitions", "list", url=live_url, token="not-a-token")
    assert r.code == 1 and r.err.startswith("error: HTTP 401")
    r = await stepwise("definitions", "list", url="http://127.0.0.1:9", token="x")
    assert r.code == 1 and "cannot reach" in r.err


async def test_rules_test_runs_locally(tmp_path: Path) -> None:
    rule = {"ruleId": "big", "ruleName": "Big order", "ruleType": "GUARD", "entityType": "sales.order",
            "conditionExpression": {"field": "total", "operator": ">", "value": 100},
            "successActions": [{"type": "SET_FIELD", "config": {"field": "tier", "value": "gold"}}]}
    file = write(tmp_path, "rule.json", rule)
    r = await stepwise("rules", "test", file, "--data", '{"total": 150}')
    assert r.code == 0, r.err
    result = r.json()[0]
    assert result["ruleId"] == "big" and result["passed"] is True and result["actions"]["success"] is True
    r = await stepwise("rules", "test", file, "--data", '{"total": 5}')
    assert r.json()[0]["passed"] is False


async def test_simulate_a_file_and_a_stored_definition(world: World, live_url: str, tmp_path: Path) -> None:
    me = await world.user(ADMIN + ["workflows.definitions.*"])
    review = step("review", "USER_TASK", userTaskConfig={"formSchema": {
        "type": "object", "properties": {"approved": {"type": "boolean"}}, "required": ["approved"]}})
    payload = with_steps([step("start", "START"), review, step("end", "END")],
                         [transition("t1", "start", "review"), transition("t2", "review", "end")])
    file = write(tmp_path, "flow.json", payload)
    script = write(tmp_path, "script.json", {"events": [{"type": "completeTask", "data": {"approved": True}}]})
    r = await stepwise("definitions", "simulate", file, "--script", script, "--context", '{"orderId": "o-1"}',
                       "--expect-status", "COMPLETED", url=live_url, token=me.token)
    assert r.code == 0, r.err
    report = r.json()
    assert report["path"] == ["review", "end"] and report["context"] == {"orderId": "o-1", "approved": True}
    # nothing was stored
    listed = await stepwise("definitions", "list", "--search", payload["workflowId"], url=live_url, token=me.token)
    assert listed.out == ""
    # the script stops where the instance does not expect an event: exit 1, and why
    wrong = write(tmp_path, "wrong.json", {"events": [{"type": "completeTask", "data": {}}]})
    r = await stepwise("definitions", "simulate", file, "--script", wrong, url=live_url, token=me.token)
    assert r.code == 1 and "event 0 (completeTask) not expected: Required field missing: approved" in r.err
    assert r.json()["status"] == "PAUSED"
    # a stored definition by id, and an unmet expectation
    definition_id = (await stepwise("definitions", "push", file, url=live_url, token=me.token)).out.strip()
    r = await stepwise("definitions", "simulate", definition_id, "--expect-status", "COMPLETED", url=live_url,
                       token=me.token)
    assert r.code == 1 and "ended PAUSED at review, expected COMPLETED" in r.err
    r = await stepwise("definitions", "simulate", "code:workflows.simple-approval", url=live_url, token=me.token)
    assert r.code == 0 and r.json()["waitingFor"][0]["kind"] == "USER_TASK"
    # a script naming a step the definition lacks is the API's 400, with the details
    bad = write(tmp_path, "bad.json", {"events": [{"type": "completeTask", "stepId": "nowhere"}]})
    r = await stepwise("definitions", "simulate", file, "--script", bad, url=live_url, token=me.token)
    assert r.code == 1 and "HTTP 400: Invalid simulation script" in r.err and 'Unknown step "nowhere"' in r.err
