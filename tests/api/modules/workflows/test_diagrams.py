"""Diagrams (`.../diagram.svg`, `?format=mermaid`), lint warnings on create/update and
`POST /api/workflows/definitions/validate` (docs/console.md)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.api.modules.workflows.builders import DEFINITIONS, INSTANCES, minimal, step, transition, with_steps
from tests.api.modules.workflows.test_scenarios import define, poll, start
from tests.fixtures import World

SNAPSHOTS = Path(__file__).parent / "snapshots"
VIEW = ["workflows.definitions.view"]
ADMIN = ["workflows.*"]


def forked() -> dict[str, Any]:
    return with_steps(
        [step("start", "START"), step("fork", "PARALLEL_FORK", config={"joinStepId": "join"}),
         step("left", "AUTOMATED"), step("right", "USER_TASK", userTaskConfig={"assignedTo": ["clerk"]}),
         step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}),
         step("child", "SUB_WORKFLOW", config={"subWorkflowId": "other.flow"}),
         step("wait", "WAIT_FOR_SIGNAL", signalConfig={"signalName": "paid"}), step("end", "END")],
        [transition("start-to-fork", "start", "fork"), transition("fork-to-left", "fork", "left"),
         transition("fork-to-right", "fork", "right"), transition("left-to-join", "left", "join"),
         transition("right-to-join", "right", "join"), transition("join-to-child", "join", "child"),
         transition("child-to-wait", "child", "wait",
                    condition={"field": "amount", "operator": ">", "value": 100}),
         transition("wait-to-end", "wait", "end", "signal", preConditions=[{"ruleId": "big-order"}])])


async def test_definition_diagram_is_deterministic_svg_with_every_step_and_transition(world: World) -> None:
    me = await world.user(ADMIN)
    row = await define(me, forked())
    r = await me.get(f"{DEFINITIONS}/{row['id']}/diagram.svg")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/svg+xml")
    body = r.text
    assert body.startswith("<svg") and "http://" not in body.replace("http://www.w3.org/2000/svg", "")
    for s in ("start", "fork", "left", "right", "join", "child", "wait", "end"):
        assert f'data-step-id="{s}"' in body
    assert body.count('class="transition"') == 8
    assert "type-parallel-fork" in body and "type-sub-workflow" in body and "runs other.flow" in body
    assert "amount &gt; 100" in body and "rules: big-order" in body and "signal" in body
    again = await me.get(f"{DEFINITIONS}/{row['id']}/diagram.svg")
    assert again.text == body


async def test_shipped_workflow_diagram_matches_its_snapshot(world: World) -> None:
    me = await world.user(VIEW)
    r = await me.get(f"{DEFINITIONS}/code:workflows.checkout-demo/diagram.svg")
    assert r.status_code == 200, r.text
    snapshot = SNAPSHOTS / "checkout-demo.svg"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.write_text(r.text)
    assert r.text == snapshot.read_text()


async def test_mermaid_format(world: World) -> None:
    me = await world.user(VIEW)
    r = await me.get(f"{DEFINITIONS}/code:workflows.simple-approval/diagram.svg", params={"format": "mermaid"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert lines[0] == "flowchart TD"
    assert any(re.fullmatch(r'    s\d+\(\("[^"]+"\)\)', line) for line in lines)  # START as a circle
    assert any("-->|" in line for line in lines)
    bad = await me.get(f"{DEFINITIONS}/code:workflows.simple-approval/diagram.svg", params={"format": "png"})
    assert bad.status_code == 400


async def test_unknown_steps_are_drawn_and_warned(world: World) -> None:
    me = await world.user(ADMIN)
    payload = with_steps([step("start", "START"), step("end", "END")], [transition("t1", "start", "nowhere")])
    r = await me.post(DEFINITIONS, json=payload)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["message"] == "Workflow definition created successfully" and body["data"]["workflowId"]
    codes = [(w["code"], w["path"]) for w in body["warnings"]]
    assert ("UNKNOWN_STEP", ["definition", "transitions", 0, "toStepId"]) in codes
    assert "END_UNREACHABLE" in [c for c, _ in codes]
    svg = (await me.get(f"{DEFINITIONS}/{body['data']['id']}/diagram.svg")).text
    assert 'data-step-id="nowhere"' in svg and "shape missing" in svg
    fixed = {"definition": minimal()["definition"]}
    r = await me.put(f"{DEFINITIONS}/{body['data']['id']}", json=fixed)
    assert r.status_code == 200 and r.json()["warnings"] == []
    ok = await me.post(DEFINITIONS, json=minimal())
    assert ok.status_code == 201 and ok.json()["warnings"] == []


async def test_validate_reports_errors_and_warnings_and_stores_nothing(world: World) -> None:
    me = await world.user(VIEW)
    good = minimal()
    r = await me.post(f"{DEFINITIONS}/validate", json=good)
    assert r.status_code == 200 and r.json() == {"valid": True, "errors": [], "warnings": []}
    broken = minimal()
    broken["definition"]["steps"][0]["stepId"] = "Bad Id"
    r = await me.post(f"{DEFINITIONS}/validate", json=broken)
    body = r.json()
    assert r.status_code == 200 and body["valid"] is False and body["warnings"] == []
    assert body["errors"][0]["path"] == ["definition", "steps", 0, "stepId"]
    assert "lowercase letters" in body["errors"][0]["message"]
    bare = {"steps": [step("start", "START"), step("end", "END")], "transitions": [transition("t", "start", "x")]}
    r = await me.post(f"{DEFINITIONS}/validate", json=bare)
    assert r.json()["valid"] is True
    assert ["transitions", 0, "toStepId"] in [w["path"] for w in r.json()["warnings"]]
    assert (await me.post(f"{DEFINITIONS}/validate", content=b"{nope")).status_code == 400
    listed = await me.get(DEFINITIONS, params={"workflowId": good["workflowId"]})
    assert listed.json()["pagination"]["total"] == 0


async def test_features_and_tenancy(world: World, client: Any) -> None:
    me = await world.user(ADMIN)
    row = await define(me, minimal())
    url = f"{DEFINITIONS}/{row['id']}/diagram.svg"
    assert (await client.get(url)).status_code == 401
    assert (await client.post(f"{DEFINITIONS}/validate", json=minimal())).status_code == 401
    nobody = await world.user([])
    r = await nobody.get(url)
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["workflows.definitions.view"]
    r = await nobody.post(f"{DEFINITIONS}/validate", json=minimal())
    assert r.status_code == 403
    r = await nobody.get(f"{INSTANCES}/{row['id']}/diagram.svg")
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["workflows.instances.view"]
    stranger = await World(world.client).user(ADMIN)
    assert (await stranger.get(url)).status_code == 404
    assert (await stranger.get(f"{INSTANCES}/{row['id']}/diagram.svg")).status_code == 404


@pytest.mark.usefixtures("engine")
async def test_instance_diagram_marks_the_path_taken(world: World) -> None:
    me = await world.user(ADMIN)
    payload = with_steps(
        [step("start", "START"), step("review", "USER_TASK", userTaskConfig={"assignedTo": ["clerk"]}),
         step("skipped", "AUTOMATED"), step("end", "END")],
        [transition("start-to-review", "start", "review"), transition("review-to-end", "review", "end"),
         transition("start-to-skipped", "start", "skipped", "manual"), transition("skipped-to-end", "skipped", "end")])
    instance = await start(me, (await define(me, payload))["workflowId"])
    await poll(me, instance["id"], "PAUSED", "WAITING", "RUNNING", step_id="review")
    svg = ""
    for _ in range(50):
        svg = (await me.get(f"{INSTANCES}/{instance['id']}/diagram.svg")).text
        if 'class="step type-user-task current visited"' in svg:
            break
    assert 'class="step type-user-task current visited" data-step-id="review"' in svg, svg
    assert 'class="step type-start visited" data-step-id="start"' in svg
    assert 'class="step type-automated" data-step-id="skipped"' in svg
    assert 'class="transition taken" data-transition-id="start-to-review"' in svg
    assert 'class="transition" data-transition-id="start-to-skipped"' in svg
    text = (await me.get(f"{INSTANCES}/{instance['id']}/diagram.svg", params={"format": "mermaid"})).text
    assert "classDef current" in text and "linkStyle 0 " in text
