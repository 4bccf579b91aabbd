"""engine/simulation.py: the step machine run against a script, without a server or a database (the
agreement with real runs is tests/engine/test_simulation_agreement.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from definitions import load_shipped
from engine.contract import GuardInput, GuardResult, ResolveChildInput, ResolvedChild
from engine.simulation import (
    ActivityScript,
    Advance,
    CompleteTask,
    EndChild,
    FireTimer,
    Script,
    SendSignal,
    Subject,
    simulate,
)
from tests.engine.memory import act, chain, move, step

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SUBJECT = Subject(tenant_id="t-1", organization_id="o-1", workflow_id="qa.sim", user_id="u-1")


def rules(verdicts: Mapping[str, bool]) -> Any:
    """Guards answered from a table (the API asks the tenant's business rules instead)."""
    asked: list[GuardInput] = []

    async def evaluate(guard: GuardInput) -> GuardResult:
        asked.append(guard)
        if guard.rule_id not in verdicts:
            return GuardResult(guard.rule_id, None, False, "Rule not found")
        return GuardResult(guard.rule_id, f"Rule {guard.rule_id}", verdicts[guard.rule_id])

    evaluate.asked = asked  # type: ignore[attr-defined]
    return evaluate


async def run(definition: dict[str, Any], *events: Any, verdicts: Mapping[str, bool] | None = None,
              **script: Any) -> dict[str, Any]:
    return await simulate(definition, Script(start_at=T0, events=events, **script), SUBJECT,
                          evaluate=rules(verdicts or {}))


def shipped(workflow_id: str) -> dict[str, Any]:
    return dict(load_shipped()[workflow_id].to_json()["definition"])


async def test_simple_approval_runs_to_the_end_with_a_task_and_an_advance() -> None:
    report = await run(shipped("workflows.simple-approval"),
                       CompleteTask("approval", {"approved": True, "comments": "fine"}), Advance())
    assert report["status"] == "COMPLETED" and report["scriptConsumed"] is True
    assert report["path"] == ["approval", "end"]
    assert [t["transitionId"] for t in report["transitionsTaken"]] == ["start_to_approval", "approval_to_end"]
    assert report["context"]["approved"] is True and report["context"]["comments"] == "fine"
    assert [(e["type"], e["consumed"], e["status"]) for e in report["events"]] == [
        ("completeTask", True, "RUNNING"), ("advance", True, "COMPLETED")]
    advanced = report["decisions"][-1]
    assert (advanced["stepId"], advanced["kind"], advanced["firstValid"]) == ("approval", "advance", "approval_to_end")
    # without the advance the instance rests at `approval`, and says why
    rests = await run(shipped("workflows.simple-approval"), CompleteTask("approval", {"approved": False}))
    assert rests["status"] == "RUNNING" and rests["scriptConsumed"] is True
    assert rests["waitingFor"] == [{"kind": "ADVANCE", "stepId": "approval",
                                    "reason": "Only manual transitions leave this step"}]
    # activities ran (async e-mails and events), answered by default with no output
    assert {a["activityId"] for a in report["activities"]} >= {"notify_approver", "notify_requester"}
    assert report["steps"][0]["status"] == "COMPLETED" and report["steps"][0]["stepType"] == "USER_TASK"


async def test_guards_decide_and_every_candidate_says_why() -> None:
    evaluate = rules({"workflow_order_approval_check_approved": False, "workflow_order_approval_check_rejected": True})
    script = Script(start_at=T0, events=[CompleteTask(data={"decision": "reject"})])
    report = await simulate(shipped("sales.order-approval"), script, SUBJECT, evaluate=evaluate)
    assert report["status"] == "COMPLETED" and report["path"] == ["pending_approval", "rejected", "end"]
    decision = next(d for d in report["decisions"] if d["stepId"] == "pending_approval" and d["firstValid"])
    approved, rejected = decision["candidates"]
    assert approved["valid"] is False and approved["reason"].startswith("Pre-conditions failed: ")
    assert approved["rules"][0]["ruleId"] == "workflow_order_approval_check_approved"
    assert approved["rules"][0]["passed"] is False
    assert rejected["valid"] is True and decision["firstValid"] == "pending_approval_to_rejected"
    # rules are asked as dry runs (no log, no action), with the data a real run gives them
    asked = evaluate.asked[-1]
    assert asked.dry_run is True and asked.idempotency_key is None and asked.event_type == "pre_transition"
    assert asked.data["workflowContext"]["decision"] == "reject" and asked.data["toStepId"] == "rejected"


async def test_lower_priorities_are_not_evaluated_once_one_is_valid() -> None:
    definition = {"steps": [step("start", "START"), step("big"), step("small"), step("end", "END")],
                  "transitions": [move("start", "big", priority=10,
                                       condition={"field": "amount", "operator": ">", "value": 100}),
                                  move("start", "small", priority=5),
                                  move("big", "end"), move("small", "end")]}
    report = await run(definition, context={"amount": 500})
    first = report["decisions"][0]
    assert [(c["transitionId"], c["evaluated"], c["valid"]) for c in first["candidates"]] == [
        ("start-to-big", True, True), ("start-to-small", False, None)]
    assert first["candidates"][1]["reason"] == "Not evaluated: a transition of higher priority was valid"
    report = await run(definition, context={"amount": 5})
    assert report["path"] == ["small", "end"]
    assert report["decisions"][0]["candidates"][0]["reason"] == "Transition condition evaluated to false"


async def test_an_event_the_instance_does_not_expect_stops_the_script_and_says_what_it_waits_for() -> None:
    report = await run(shipped("workflows.simple-approval"), SendSignal("paid"), Advance())
    assert report["status"] == "PAUSED" and report["scriptConsumed"] is False
    assert report["unconsumedEvents"] == [0, 1]
    refused = {"code": "NOT_WAITING_FOR_SIGNAL", "message": "Workflow is not waiting for signal"}
    assert report["events"] == [{"index": 0, "type": "signal", "consumed": False, "status": "PAUSED",
                                 "currentStepId": "approval", "error": refused}]
    assert report["waitingFor"] == [{"kind": "USER_TASK", "stepId": "approval",
                                     "taskId": report["tasks"][0]["taskId"]}]
    report = await run(shipped("workflows.simple-approval"), CompleteTask("end"))
    assert report["events"][0]["error"]["code"] == "NOT_EXPECTED"
    assert report["events"][0]["error"]["message"] == (
        'No open task at step "end"; the instance (PAUSED) waits for the task of step "approval"')


async def test_a_form_the_task_refuses_is_reported_not_raised() -> None:
    report = await run(shipped("sales.order-approval"), CompleteTask(data={"decision": "maybe"}))
    assert report["events"][0]["consumed"] is False
    assert report["events"][0]["error"]["code"] == "FORM_VALIDATION_FAILED"
    assert report["status"] == "PAUSED"


async def test_activity_outcomes_come_from_the_script() -> None:
    definition = chain(step("work", activities=[act("fetch"), act("charge", retryPolicy={
        "maxAttempts": 3, "initialIntervalMs": 1000, "backoffCoefficient": 2, "maxIntervalMs": 0})]))
    report = await run(definition, activities={"fetch": [ActivityScript(output={"price": 12})]})
    assert report["status"] == "COMPLETED" and report["context"] == {}
    assert report["steps"][0]["output"]["activityResults"] == {"fetch": {"price": 12}}
    report = await run(definition, activities={"fetch": [ActivityScript(output={"price": 12})],
                                               "charge": [ActivityScript(ok=False, error="card declined")]})
    assert report["status"] == "FAILED" and "card declined" in report["errorMessage"]
    charge = report["activities"][-1]
    assert (charge["outcome"], charge["attempts"], charge["error"]) == ("failure", 3, "card declined")
    # two retries waited 1 s and 2 s of virtual time
    assert report["endedAt"] == "2026-03-01T09:00:03.000Z"
    # a 4xx-like failure is tried once
    report = await run(definition, activities={"charge": [ActivityScript(ok=False, retryable=False)]})
    assert report["activities"][-1]["attempts"] == 1 and report["endedAt"] == "2026-03-01T09:00:00.000Z"


async def test_outputs_per_execution_and_the_last_one_repeats() -> None:
    definition = {"steps": [step("start", "START"), step("poll"), step("end", "END")],
                  "transitions": [move("start", "poll", activities=[act("check")]),
                                  move("poll", "end", priority=10,
                                       condition={"field": "Check.ready", "operator": "=", "value": True}),
                                  move("poll", "poll", trigger="manual", activities=[act("check")])]}
    outcomes = [ActivityScript(output={"ready": False}), ActivityScript(output={"ready": True})]
    report = await run(definition, Advance(to_step_id="poll"), activities={"check": outcomes})
    assert report["path"] == ["poll", "poll", "end"] and report["status"] == "COMPLETED"


async def test_timers_signals_and_timeouts_on_the_virtual_clock() -> None:
    definition = {"steps": [step("start", "START"), step("cool", "WAIT_FOR_TIMER", timerConfig={"duration": "PT15M"}),
                            step("paid", "WAIT_FOR_SIGNAL", signalConfig={"signalName": "paid", "timeout": "PT1H"}),
                            step("late"), step("end", "END")],
                  "transitions": [move("start", "cool"), move("cool", "paid"), move("paid", "end"),
                                  move("paid", "late", trigger="timer"), move("late", "end")]}
    report = await run(definition, FireTimer(), SendSignal("paid", {"ref": "p-1"}))
    assert report["status"] == "COMPLETED" and report["path"] == ["cool", "paid", "end"]
    assert report["context"]["ref"] == "p-1" and report["endedAt"] == "2026-03-01T09:15:00.000Z"
    report = await run(definition, FireTimer("cool"), FireTimer("paid"))
    assert report["path"] == ["cool", "paid", "late", "end"] and report["endedAt"] == "2026-03-01T10:15:00.000Z"
    timeout = next(d for d in report["decisions"] if d["kind"] == "timeout")
    assert timeout["firstValid"] == "paid-to-late"
    report = await run(definition, FireTimer("paid"))
    assert report["events"][0]["error"]["message"] == (
        'Step "paid" is not waiting for time; the instance (PAUSED) waits for its timer at step "cool"')


async def test_concurrent_waits_fire_in_the_order_of_their_moments() -> None:
    # The step's 5-minute timeout comes before its 1-hour WAIT: the step fails, as on a real server.
    definition = chain(step("slow", timeout="PT5M", activities=[act("pause", "WAIT", config={"duration": "PT1H"})]))
    report = await run(definition)
    assert report["status"] == "FAILED" and 'timed out after PT5M' in report["errorMessage"]
    assert report["endedAt"] == "2026-03-01T09:05:00.000Z"
    # Two branches wait 10 minutes and 1 hour at once: both are done one hour later, not 70 minutes.
    definition = {
        "steps": [step("start", "START"), step("fork", "PARALLEL_FORK", config={"joinStepId": "join"}),
                  step("a", activities=[act("wait_a", "WAIT", config={"duration": "PT10M"})]),
                  step("b", activities=[act("wait_b", "WAIT", config={"duration": "PT1H"})]),
                  step("join", "PARALLEL_JOIN"), step("end", "END")],
        "transitions": [move("start", "fork"), move("fork", "a"), move("fork", "b"), move("a", "join"),
                        move("b", "join"), move("join", "end")]}
    report = await run(definition)
    assert report["status"] == "COMPLETED" and report["endedAt"] == "2026-03-01T10:00:00.000Z"
    assert {s["stepId"]: s.get("branchKey") for s in report["steps"]}["a"] == "fork-to-a"


async def test_a_looping_definition_is_stopped() -> None:
    definition = {"steps": [step("start", "START"), step("ping"), step("pong"), step("end", "END")],
                  "transitions": [move("start", "ping"), move("ping", "pong"), move("pong", "ping")]}
    # the engine's own limit per operation, as in a real run
    report = await run(definition)
    assert report["status"] == "FAILED" and "possible infinite loop" in report["errorMessage"]
    assert report["truncated"] is False
    # the simulation's limit, before it
    report = await run(definition, Advance(), max_iterations=10)
    assert report["truncated"] is True and len(report["decisions"]) == 10
    assert report["scriptConsumed"] is False and report["unconsumedEvents"] == [0]


async def test_sub_workflows_are_resolved_not_run_and_the_script_ends_them() -> None:
    definition = chain(step("child", "SUB_WORKFLOW", config={"subWorkflowId": "qa.child",
                                                              "outputMapping": {"total": "sum"}}))

    async def resolve(request: ResolveChildInput) -> ResolvedChild:
        return ResolvedChild(definition_id="d-child", workflow_id=request.workflow_id, definition={"steps": []})

    script = Script(start_at=T0, context={"n": 2}, events=[EndChild("child", context={"sum": 42})])
    report = await simulate(definition, script, SUBJECT, evaluate=rules({}), resolve_child=resolve)
    assert report["status"] == "COMPLETED" and report["context"] == {"n": 2, "total": 42}
    assert report["subWorkflows"][0]["workflowId"] == "qa.child" and report["subWorkflows"][0]["context"] == {"n": 2}
    report = await simulate(definition, Script(start_at=T0), SUBJECT, evaluate=rules({}))
    assert report["status"] == "FAILED" and "Workflow definition not found: qa.child" in report["errorMessage"]


async def test_start_pre_conditions_are_checked_first() -> None:
    definition = shipped("workflows.checkout-demo")
    report = await run(definition, verdicts={"workflow_checkout_cart_not_empty": False})
    assert report["status"] == "NOT_STARTED" and report["start"]["canStart"] is False
    assert report["start"]["errors"][0]["ruleId"] == "workflow_checkout_cart_not_empty"


async def test_the_same_script_gives_the_same_report() -> None:
    definition = shipped("workflows.checkout-demo")
    events = (CompleteTask(data={"fullName": "Ann", "email": "ann@example.com"}), SendSignal("payment_confirmed"))
    verdicts = {"workflow_checkout_cart_not_empty": True}
    first = await run(definition, *events, verdicts=verdicts)
    assert first["status"] == "COMPLETED", first["errorMessage"]
    assert first == await run(definition, *events, verdicts=verdicts)
