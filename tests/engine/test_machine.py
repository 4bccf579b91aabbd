"""The step machine without a server: definitions in, events, projection and decisions out."""

from __future__ import annotations

from typing import Any

import pytest

from engine._interpolate import Scope, interpolate
from engine._machine import EngineError, Machine
from engine.contract import Actor, AdvanceInput, GuardResult
from tests.engine.memory import Fail, MemoryEffects, act, build, chain, fails, move, ok, step


async def started(definition: dict[str, Any], effects: MemoryEffects | None = None, **overrides: Any) -> Machine:
    machine = build(definition, effects or MemoryEffects(), **overrides)
    await machine.start()
    return machine


def store(machine: Machine) -> Any:
    effects = machine.effects
    assert isinstance(effects, MemoryEffects)
    return effects.store


# --- the loop -------------------------------------------------------------------------------------


async def test_start_to_end_writes_the_reference_event_sequence() -> None:
    machine = await started(chain())
    db = store(machine)
    assert db.types() == ["WORKFLOW_STARTED", "STEP_ENTERED", "STEP_EXITED", "TRANSITION_EXECUTED",
                          "WORKFLOW_COMPLETED"]
    assert db.instance["status"] == "COMPLETED" and db.instance["current_step_id"] == "end"
    assert db.instance["completed_at"] is not None
    started_event = db.events[0]
    assert started_event["event_key"] == "inst-1:WORKFLOW_STARTED" and started_event["user_id"] == "user-1"
    assert started_event["event_data"] == {"workflowId": "qa.flow", "version": 1, "startStepId": "start",
                                           "initialContext": {}, "metadata": {"initiatedBy": "user-1"}}
    # START has no step instance (the instance begins on it); END has one.
    [end] = db.steps.values()
    assert (end["step_id"], end["status"]) == ("end", "COMPLETED")
    assert end["output_data"]["stepType"] == "END" and end["output_data"]["finalContext"] == {}
    assert db.of("TRANSITION_EXECUTED") == [{
        "fromStepId": "start", "toStepId": "end", "transitionId": "start-to-end", "transitionName": None,
        "preConditionsPassed": True, "postConditionsPassed": True, "activitiesExecuted": 0,
        "activitiesSucceeded": 0, "activitiesFailed": 0}]
    assert db.of("STEP_EXITED") == [{"stepId": "end", "status": "COMPLETED", "executionTimeMs": 0, "hasOutput": True}]


async def test_three_automated_steps_run_their_activities_in_order() -> None:
    effects = MemoryEffects()
    definition = chain(*(step(f"a{i}", activities=[act(f"work_{i}")]) for i in (1, 2, 3)))
    machine = await started(definition, effects)
    db = store(machine)
    assert [c.input.activity_id for c in effects.calls] == ["work_1", "work_2", "work_3"]
    assert db.instance["status"] == "COMPLETED"
    assert [s["step_id"] for s in db.steps.values()] == ["a1", "a2", "a3", "end"]
    a1 = next(s for s in db.steps.values() if s["step_id"] == "a1")
    assert a1["output_data"]["activityResults"] == {"work_1": {"done": "work_1"}}
    assert a1["output_data"]["activityCount"] == 1
    # Step activity outputs stay in the step's output, not in the context.
    assert db.instance["context"] == {}
    assert db.types().count("TRANSITION_EXECUTED") == 4
    # Projected before each activity (the step entered is visible while it runs) and at the end.
    assert len(effects.batches) == 4
    keys = [c.input.idempotency_key for c in effects.calls]
    assert keys == ["inst-1:run-1:work_1:1", "inst-1:run-1:work_2:1", "inst-1:run-1:work_3:1"]


async def test_transition_activity_outputs_merge_into_context_by_name_and_feed_later_activities() -> None:
    effects = MemoryEffects(activities={"fetch": ok({"total": 42, "currency": "EUR"})})
    definition = chain(activities=[
        act("fetch", name="Fetch order"),
        act("mail", "SEND_EMAIL", config={"to": "{{customer.email}}", "subject": "Total {{Fetch order.total}}",
                                          "amount": "{{Fetch order.total}}", "order": "{{Fetch order}}"}),
    ])
    machine = await started(definition, effects, context={"customer": {"email": "a@b.c"}})
    mail = effects.calls[1].input
    assert mail.config == {"to": "a@b.c", "subject": "Total 42", "amount": 42,
                           "order": {"total": 42, "currency": "EUR"}}
    context = store(machine).instance["context"]
    assert context["Fetch order"] == {"total": 42, "currency": "EUR"}
    assert context["Mail"] == {"done": "mail"}


@pytest.mark.parametrize(("context", "expected"), [
    ({"amount": 500}, "big"),
    ({"amount": 5}, "small"),
    ({"amount": 50, "vip": True}, "vip"),
])
async def test_inline_conditions_choose_the_branch(context: dict[str, Any], expected: str) -> None:
    definition = {
        "steps": [step("start", "START"), step("big"), step("small"), step("vip"), step("end", "END")],
        "transitions": [
            # native condition tree
            move("start", "big", condition={"field": "amount", "operator": ">", "value": 100}),
            # JsonLogic
            move("start", "vip", priority=5, condition={"==": [{"var": "vip"}, True]}),
            move("start", "small", condition={"operator": "AND", "rules": [
                {"field": "amount", "operator": "<=", "value": 100}, {"field": "vip", "operator": "IS_EMPTY"}]}),
            move("big", "end"), move("small", "end"), move("vip", "end"),
        ],
    }
    machine = await started(definition, context=context)
    entered = [e["stepId"] for e in store(machine).of("STEP_ENTERED")]
    assert entered == [expected, "end"]


@pytest.mark.parametrize(("priorities", "expected"), [
    ((0, 0, 0), "b1"),  # ties keep definition order
    ((0, 10, 0), "b2"),  # higher priority wins
    ((3, 3, 7), "b3"),
    ((5, 9, 9), "b2"),  # tie among the highest: definition order
])
async def test_priority_and_definition_order(priorities: tuple[int, int, int], expected: str) -> None:
    definition = {
        "steps": [step("start", "START"), step("b1"), step("b2"), step("b3"), step("end", "END")],
        "transitions": [*(move("start", f"b{i}", priority=p) for i, p in enumerate(priorities, 1)),
                        *(move(f"b{i}", "end") for i in (1, 2, 3))],
    }
    machine = await started(definition)
    assert store(machine).of("STEP_ENTERED")[0]["stepId"] == expected


async def test_a_broken_condition_makes_the_transition_invalid_not_the_instance() -> None:
    definition = {
        "steps": [step("start", "START"), step("x"), step("end", "END")],
        "transitions": [move("start", "x", priority=9, condition={"field": "a", "operator": "NOPE", "value": 1}),
                        move("start", "end")],
    }
    machine = await started(definition, context={"a": 1})
    assert store(machine).instance["status"] == "COMPLETED"
    assert [e["stepId"] for e in store(machine).of("STEP_ENTERED")] == ["end"]


async def test_manual_transitions_rest_until_advanced() -> None:
    definition = chain(step("mid"), trigger="manual")
    machine = await started(definition)
    db = store(machine)
    assert (db.instance["status"], db.instance["current_step_id"]) == ("RUNNING", "start")

    with pytest.raises(EngineError) as refused:
        await machine.advance(AdvanceInput(Actor("u2"), to_step_id="does-not-exist"))
    assert refused.value.code == "NO_VALID_TRANSITION_TO_STEP"
    assert refused.value.message == "No valid transition to step 'does-not-exist'"
    assert refused.value.details == {"availableTransitions": [{"toStepId": "mid"}]}

    extra = await machine.advance(AdvanceInput(Actor("u2"), to_step_id="mid", context_updates={"advancedBy": "qa"}))
    assert extra["previousStepId"] == "start" and extra["transitionFired"] == "start-to-mid"
    assert extra["afterTransition"]["currentStepId"] == "mid"
    assert extra["afterTransition"]["context"] == {"advancedBy": "qa"}
    assert extra["execution"]["status"] == "RUNNING"
    assert db.instance["current_step_id"] == "mid" and db.instance["context"] == {"advancedBy": "qa"}
    assert db.events[-1]["user_id"] == "u2"

    extra = await machine.advance(AdvanceInput(Actor("u2")))
    assert extra["afterTransition"]["currentStepId"] == "end" and extra["transitionFired"] == "mid-to-end"
    assert extra["execution"]["status"] == "COMPLETED" and db.instance["status"] == "COMPLETED"
    with pytest.raises(EngineError) as done:
        machine.check_advance()
    assert (done.value.code, done.value.message) == ("WORKFLOW_COMPLETED", "Workflow already completed")


async def test_advance_refuses_when_every_transition_is_blocked_and_changes_nothing() -> None:
    effects = MemoryEffects(rules={"never": lambda data: False})
    definition = chain(trigger="manual", preConditions=[{"ruleId": "never"}])
    machine = await started(definition, effects)
    events_before = len(store(machine).events)
    with pytest.raises(EngineError) as refused:
        await machine.advance(AdvanceInput(Actor("u"), context_updates={"x": 1}))
    assert refused.value.code == "NO_VALID_TRANSITIONS"
    assert refused.value.details == {"currentStepId": "start",
                                     "reason": "All transitions blocked by conditions or business rules"}
    assert machine.state.context == {} and len(store(machine).events) == events_before


# --- guards -------------------------------------------------------------------------------------


async def test_pre_conditions_go_to_the_rules_service_with_the_reference_shape() -> None:
    effects = MemoryEffects(rules={"approved": lambda data: data["workflowContext"]["decision"] == "approve"})
    definition = chain(preConditions=[{"ruleId": "approved"}])
    machine = await started(definition, effects, context={"decision": "approve"})
    assert store(machine).instance["status"] == "COMPLETED"
    [guard] = effects.guards
    assert (guard.entity_type, guard.entity_id, guard.event_type) == (
        "workflow:qa.flow:transition", "start-to-end", "pre_transition")
    assert guard.data == {"workflowInstanceId": "inst-1", "workflowId": "qa.flow", "fromStepId": "start",
                          "toStepId": "end", "workflowContext": {"decision": "approve"}, "triggerData": None}
    assert (guard.tenant_id, guard.organization_id, guard.user_id, guard.dry_run) == ("tenant-1", "org-1", "user-1",
                                                                                      False)


@pytest.mark.parametrize(("required", "rule_result", "status"), [
    (True, False, "RUNNING"),  # blocked: the instance rests, it does not fail
    (False, False, "COMPLETED"),  # a non-required rule never blocks
    (True, GuardResult("r", None, False, "Rule is disabled"), "RUNNING"),
    (False, GuardResult("r", None, False, "Rule not found"), "COMPLETED"),
    (True, True, "COMPLETED"),
])
async def test_pre_condition_blocking(required: bool, rule_result: Any, status: str) -> None:
    effects = MemoryEffects(rules={"r": lambda data: rule_result})
    machine = await started(chain(preConditions=[{"ruleId": "r", "required": required}]), effects)
    db = store(machine)
    assert db.instance["status"] == status
    if status == "RUNNING":
        assert db.types() == ["WORKFLOW_STARTED"] and db.instance["error_message"] is None


async def test_the_decision_pattern_routes_on_guard_rules() -> None:
    rules = {"is_approve": lambda d: d["workflowContext"]["decision"] == "approve",
             "is_reject": lambda d: d["workflowContext"]["decision"] == "reject"}
    definition = {
        "steps": [step("start", "START"), step("approved"), step("rejected"), step("end", "END")],
        "transitions": [move("start", "approved", priority=100, preConditions=[{"ruleId": "is_approve"}]),
                        move("start", "rejected", priority=90, preConditions=[{"ruleId": "is_reject"}]),
                        move("approved", "end"), move("rejected", "end")],
    }
    machine = await started(definition, MemoryEffects(rules=rules), context={"decision": "reject"})
    assert [e["stepId"] for e in store(machine).of("STEP_ENTERED")] == ["rejected", "end"]


async def test_post_condition_failure_is_logged_and_does_not_block() -> None:
    effects = MemoryEffects(rules={"after": lambda data: False})
    machine = await started(chain(postConditions=[{"ruleId": "after", "required": False}]), effects)
    db = store(machine)
    assert db.instance["status"] == "COMPLETED"
    assert db.of("TRANSITION_POST_CONDITION_FAILED") == [{
        "fromStepId": "start", "toStepId": "end", "transitionId": "start-to-end",
        "reason": "Post-conditions failed", "failedRules": "Post-condition 'Rule after' failed"}]
    assert db.of("TRANSITION_EXECUTED")[0]["postConditionsPassed"] is False
    assert effects.guards[0].event_type == "post_transition"


async def test_a_transition_executed_without_prior_selection_logs_its_rejection() -> None:
    effects = MemoryEffects(rules={"r": lambda data: False})
    machine = build(chain(trigger="manual", preConditions=[{"ruleId": "r"}]), effects)
    machine._begin("u")
    edge = machine.compiled.edges_from("start")[0]
    outcome = await machine._transitions.execute(edge, None, pre=None, token=machine._instance.root)
    assert not outcome.ok and outcome.error == "Pre-conditions failed: r: condition failed"
    await machine.flush()
    assert store(machine).of("TRANSITION_REJECTED") == [{
        "fromStepId": "start", "toStepId": "end", "transitionId": "start-to-end", "reason": "Pre-conditions failed",
        "failedRules": "r: condition failed",
        "failedRulesDetail": [{"ruleId": "r", "ruleName": "Rule r", "error": None}]}]


# --- failures, retry, cancel --------------------------------------------------------------------


async def test_activity_failure_after_retries_fails_the_instance_and_retry_resumes() -> None:
    attempts: list[int] = []

    def flaky(_input: Any, attempt: int) -> Any:
        attempts.append(attempt)
        if len(attempts) <= 3:
            raise Fail("card declined")
        return {"paid": True}

    effects = MemoryEffects(activities={"pay": flaky})
    policy = {"maxAttempts": 3, "initialIntervalMs": 100, "backoffCoefficient": 2, "maxIntervalMs": 1000}
    definition = chain(step("mid"))
    definition["transitions"][0]["activities"] = [act("pay", name="Pay", retryPolicy=policy)]
    machine = await started(definition, effects)
    db = store(machine)
    assert db.instance["status"] == "FAILED" and db.instance["current_step_id"] == "start"
    assert db.instance["error_message"] == "Activities failed: Activity failed after 3 attempts: card declined"
    assert db.of("ACTIVITY_FAILED") == [{
        "fromStepId": "start", "toStepId": "mid", "transitionId": "start-to-mid",
        "failedActivities": [{"activityType": "EXECUTE_FUNCTION", "activityName": "Pay",
                              "error": "Activity failed after 3 attempts: card declined", "retryCount": 3}],
        "continueOnFailure": False}]
    assert db.of("WORKFLOW_FAILED") == [{"error": db.instance["error_message"]}]
    assert effects.calls[0].retry.max_attempts == 3

    with pytest.raises(EngineError) as refused:
        machine.check_advance()
    assert refused.value.message == "Workflow has failed. Use retry endpoint to retry."

    result = await machine.retry("u9")
    assert result["execution"]["status"] == "COMPLETED"
    assert db.instance["status"] == "COMPLETED" and db.instance["retry_count"] == 1
    assert db.instance["error_message"] is None
    # The re-execution is a new execution: a new idempotency key.
    assert effects.calls[0].input.idempotency_key != effects.calls[1].input.idempotency_key
    with pytest.raises(EngineError) as again:
        machine.check_retry()
    assert again.value.message == "Cannot retry workflow in COMPLETED status. Only FAILED workflows can be retried."


async def test_non_retryable_failure_stops_at_the_first_attempt() -> None:
    effects = MemoryEffects(activities={"call": fails("CALL_API request failed with status 404", retryable=False)})
    policy = {"maxAttempts": 5, "initialIntervalMs": 10, "backoffCoefficient": 1, "maxIntervalMs": 0}
    machine = await started(chain(activities=[act("call", "CALL_API", retryPolicy=policy)]), effects)
    assert store(machine).instance["error_message"] == (
        "Activities failed: Activity failed after 1 attempts: CALL_API request failed with status 404")


async def test_continue_on_activity_failure_moves_on() -> None:
    effects = MemoryEffects(activities={"bad": fails()})
    definition = chain(continueOnActivityFailure=True, activities=[act("bad"), act("never")])
    machine = await started(definition, effects)
    db = store(machine)
    assert db.instance["status"] == "COMPLETED"
    assert db.of("ACTIVITY_FAILED")[0]["continueOnFailure"] is True
    # The failing sync activity stops the list (fail fast).
    assert [c.input.activity_id for c in effects.calls] == ["bad"]
    assert db.of("TRANSITION_EXECUTED")[0]["activitiesFailed"] == 1


async def test_a_failing_automated_step_fails_the_instance_at_that_step() -> None:
    effects = MemoryEffects(activities={"w": fails("nope")})
    machine = await started(chain(step("auto", activities=[act("w", name="Work")])), effects)
    db = store(machine)
    message = "1 activity(ies) failed: Work: Activity failed after 1 attempts: nope"
    assert (db.instance["status"], db.instance["current_step_id"], db.instance["error_message"]) == (
        "FAILED", "auto", message)
    auto = next(s for s in db.steps.values() if s["step_id"] == "auto")
    assert auto["status"] == "FAILED" and auto["error_data"]["error"] == message
    assert db.types()[-2:] == ["STEP_FAILED", "WORKFLOW_FAILED"]
    # Retry resumes after the failed step (the reference does not run it again).
    effects.activities["w"] = ok()
    await machine.retry()
    assert db.instance["status"] == "COMPLETED" and len(effects.calls) == 1


async def test_iteration_guard_fails_an_endless_loop() -> None:
    definition = {"steps": [step("start", "START"), step("a"), step("b"), step("end", "END")],
                  "transitions": [move("start", "a"), move("a", "b"), move("b", "a")]}
    machine = await started(definition)
    db = store(machine)
    assert db.instance["status"] == "FAILED"
    assert db.instance["error_message"] == "Maximum execution iterations reached - possible infinite loop"
    assert db.types().count("TRANSITION_EXECUTED") == 100
    # A failed instance waits for retry or cancel.
    await machine.cancel("u")
    assert db.instance["status"] == "CANCELLED"


async def test_cancel() -> None:
    machine = await started(chain(trigger="manual"))
    await machine.cancel("u3")
    db = store(machine)
    assert db.instance["status"] == "CANCELLED" and db.instance["cancelled_at"] is not None
    assert db.types()[-1] == "WORKFLOW_CANCELLED"
    with pytest.raises(EngineError) as refused:
        machine.check_cancel()
    assert refused.value.message == ("Cannot cancel workflow in CANCELLED status. Only RUNNING or PAUSED workflows "
                                     "can be cancelled.")
    with pytest.raises(EngineError) as advance:
        machine.check_advance()
    assert advance.value.message == "Workflow is cancelled"


async def test_an_unparseable_definition_fails_the_instance() -> None:
    effects = MemoryEffects()
    machine = build(chain(), effects)
    machine.invalid_definition = "Invalid workflow definition: 1 problem(s)"
    await machine.start()
    assert store(machine).instance["status"] == "FAILED"
    assert store(machine).types() == ["WORKFLOW_STARTED", "WORKFLOW_FAILED"]


# --- async batches ------------------------------------------------------------------------------


async def test_async_batch_waits_visibly_then_moves_on() -> None:
    effects = MemoryEffects(activities={"slow": ok({"n": 1}), "fast": ok({"n": 2})}, ticks={"slow": 5, "fast": 1})
    definition = chain(step("after"))
    definition["transitions"][0]["activities"] = [act("slow", background=True), act("sync_one"),
                                                  act("fast", background=True)]
    machine = await started(definition, effects)
    db = store(machine)
    waiting = [b.instance for b in effects.batches if b.instance and b.instance["status"] == "WAITING_FOR_ACTIVITIES"]
    assert waiting, "WAITING_FOR_ACTIVITIES was never projected"
    assert waiting[-1]["current_step_id"] == "start"
    assert waiting[-1]["context"]["_pendingAsyncActivities"] == [
        {"activityId": "slow", "jobId": "inst-1:run-1:slow:1"}, {"activityId": "fast", "jobId": "inst-1:run-1:fast:1"}]
    assert waiting[-1]["pending_transition"]["toStepId"] == "after"
    assert db.instance["status"] == "COMPLETED"
    assert db.instance["context"]["slow_result"] == {"n": 1} and db.instance["context"]["fast_result"] == {"n": 2}
    assert db.instance["context"]["Sync One"] == {"done": "sync_one"}
    assert "_pendingAsyncActivities" not in db.instance["context"]
    assert db.types()[:8] == ["WORKFLOW_STARTED", "ACTIVITY_QUEUED", "ACTIVITY_QUEUED",
                              "TRANSITION_PAUSED_FOR_ACTIVITIES", "WORKFLOW_WAITING_FOR_ACTIVITIES",
                              "ACTIVITY_COMPLETED", "ACTIVITY_COMPLETED", "WORKFLOW_RESUMED"]
    # Completion order, not queue order.
    assert [e["activityId"] for e in db.of("ACTIVITY_COMPLETED")] == ["fast", "slow"]
    assert db.of("WORKFLOW_RESUMED") == [{"reason": "Async activities completed, resuming pending transition",
                                          "completedActivities": 2, "completedTransitionTo": "after"}]
    completed = db.of("ACTIVITY_COMPLETED")[0]
    assert set(completed) == {"activityId", "activityName", "async", "jobId", "attemptNumber", "executionTimeMs",
                              "output"}


async def test_async_batches_are_counted_per_batch() -> None:
    definition = chain(step("mid"))
    definition["transitions"][0]["activities"] = [act("one", background=True)]
    definition["transitions"][1]["activities"] = [act("two", background=True), act("three", background=True)]
    machine = await started(definition)
    db = store(machine)
    assert db.instance["status"] == "COMPLETED"
    assert [e["completedActivities"] for e in db.of("WORKFLOW_RESUMED")] == [1, 2]


async def test_async_failure_fails_the_instance_with_the_failed_activities() -> None:
    effects = MemoryEffects(activities={"bad": fails("smtp down")})
    machine = await started(chain(activities=[act("bad", "SEND_EMAIL", background=True)]), effects)
    db = store(machine)
    failure = {"activityId": "bad", "error": "Activity failed after 1 attempts: smtp down",
               "jobId": "inst-1:run-1:bad:1"}
    assert db.instance["status"] == "FAILED" and db.instance["error_message"] == "1 async activities failed"
    assert db.instance["error_details"] == {"failedActivities": [failure]}
    assert db.of("WORKFLOW_FAILED") == [{"reason": "Async activities failed", "failedActivities": [failure]}]
    assert db.of("ACTIVITY_FAILED")[0]["async"] is True
    assert db.instance["pending_transition"] is None


async def test_async_step_activities_wait_like_a_batch() -> None:
    effects = MemoryEffects(activities={"notify": ok({"sent": True})})
    machine = await started(chain(step("auto", activities=[act("notify", "SEND_EMAIL", background=True)])), effects)
    db = store(machine)
    assert db.instance["status"] == "COMPLETED"
    assert db.instance["context"]["notify_result"] == {"sent": True}
    assert any(b.instance and b.instance["status"] == "WAITING_FOR_ACTIVITIES" for b in effects.batches)


async def test_wait_activity_is_a_timer() -> None:
    effects = MemoryEffects()
    wait = act("pause", "WAIT", config={"duration": "PT1S"})
    machine = await started(chain(activities=[wait]), effects)
    assert effects.sleeps == [1.0] and effects.calls == []
    assert store(machine).instance["context"]["Pause"] == {"waited": True, "durationMs": 1000}


# --- compensation -------------------------------------------------------------------------------


def _saga(failing_step_activities: list[dict[str, Any]]) -> dict[str, Any]:
    undo = {"activityId": "undo_a"}
    definition = chain(step("s1"), step("s2"), step("boom", activities=failing_step_activities))
    definition["transitions"][0]["activities"] = [act("a", compensation=undo)]
    definition["transitions"][1]["activities"] = [act("b", compensation={"activityId": "undo_b"},
                                                      background=True)]
    definition["transitions"][2]["activities"] = [act("c", compensation={"activityId": "undo_c"}), act("plain")]
    definition["activities"] = [act("undo_a"), act("undo_b"), act("undo_c")]
    return definition


async def test_compensation_undoes_sync_and_async_activities_newest_first() -> None:
    effects = MemoryEffects(activities={"explode": fails("kaput")})
    machine = await started(_saga([act("explode")]), effects)
    db = store(machine)
    assert db.instance["status"] == "COMPENSATED"
    assert db.instance["error_message"].startswith("1 activity(ies) failed")
    order = [c.input.activity_id for c in effects.calls]
    assert order == ["a", "b", "c", "plain", "explode", "undo_c", "undo_b", "undo_a"]
    assert "WORKFLOW_FAILED" not in db.types()
    assert db.of("COMPENSATION_STARTED") == [{"reason": db.instance["error_message"], "continueOnError": True}]
    assert [e["originalActivityId"] for e in db.of("COMPENSATION_ACTIVITY_COMPLETED")] == ["c", "b", "a"]
    assert db.of("COMPENSATION_COMPLETED") == [{"totalActivities": 4, "compensatedActivities": 3,
                                                "failedCompensations": [], "errors": []}]


async def test_partial_compensation_leaves_the_instance_failed() -> None:
    effects = MemoryEffects(activities={"explode": fails(), "undo_b": fails("cannot undo")})
    machine = await started(_saga([act("explode")]), effects)
    db = store(machine)
    assert db.instance["status"] == "FAILED"
    [partial] = db.of("COMPENSATION_PARTIAL")
    assert partial["compensatedActivities"] == 2 and partial["failedCompensations"] == ["b"]
    assert partial["errors"] == ["Failed to compensate B: Activity failed after 1 attempts: cannot undo"]


# --- interpolation ------------------------------------------------------------------------------

SCOPE = Scope(
    context={"order": {"id": "o-1", "total": 12.5, "lines": [1, 2]}, "flag": True, "none": None, "n": 3},
    workflow={"instanceId": "inst-1", "tenantId": "t", "organizationId": "o", "currentStepId": "s",
              "workflowId": "wf", "version": 2},
    env={"APP_URL": "http://app"}, now="2026-01-01T00:00:00.000Z",
)


@pytest.mark.parametrize(("template", "expected"), [
    ("{{order.total}}", 12.5),
    ("{{context.order}}", {"id": "o-1", "total": 12.5, "lines": [1, 2]}),
    ("{{flag}}", True),
    ("{{none}}", None),
    ("{{ order.id }}", "o-1"),
    ("Order {{order.id}} = {{order.total}}", "Order o-1 = 12.5"),
    ("lines {{order.lines}} {{order}} {{flag}} {{none}}", "lines 1,2 [object Object] true null"),
    ("{{missing.path}}", "{{missing.path}}"),
    ("x {{missing}} y {{n}}", "x {{missing}} y 3"),
    ("{{workflow.version}}", 2),
    ("id={{workflow.instanceId}}", "id=inst-1"),
    ("{{workflow.nope}}", "{{workflow.nope}}"),
    ("{{env.APP_URL}}/api", "http://app/api"),
    ("{{env.SECRET}}", ""),
    ("{{now}}", "2026-01-01T00:00:00.000Z"),
    ("{{order.lines.1}}", 2),
])
def test_interpolation(template: str, expected: Any) -> None:
    assert interpolate({"v": [template]}, SCOPE) == {"v": [expected]}


# --- START pre-conditions (validate-start) --------------------------------------------------------


def _start_definition(**condition: Any) -> Any:
    from definitions import parse_definition

    return parse_definition(chain(step("mid")) | {"steps": [
        step("start", "START", preConditions=[{"ruleId": "cart_ok", **condition}]), step("mid"), step("end", "END")]})


@pytest.mark.parametrize(("condition", "verdict", "errors"), [
    ({}, True, []),
    ({}, False,
     [{"ruleId": "cart_ok", "message": "Pre-condition 'Rule cart_ok' failed", "code": "PRE_CONDITION_FAILED"}]),
    ({"validationMessage": {"en": "Cart is empty", "pl": "Koszyk jest pusty"}}, False,
     [{"ruleId": "cart_ok", "message": "Koszyk jest pusty", "code": "PRE_CONDITION_FAILED"}]),
    ({"required": False}, False, []),
    ({}, GuardResult("cart_ok", None, False, "Rule not found"),
     [{"ruleId": "cart_ok", "message": "Business rule not found: cart_ok", "code": "RULE_NOT_FOUND"}]),
    ({}, GuardResult("cart_ok", "Cart", False, "Rule is disabled"),
     [{"ruleId": "cart_ok", "message": "Business rule is disabled: Cart", "code": "RULE_DISABLED"}]),
    ({}, GuardResult("cart_ok", "Cart", False, "Rule has expired (ended 2020-01-01)"),
     [{"ruleId": "cart_ok", "message": "Rule error: Rule has expired (ended 2020-01-01)", "code": "RULE_ERROR"}]),
])
async def test_validate_start(condition: dict[str, Any], verdict: Any, errors: list[dict[str, Any]]) -> None:
    from engine.guards import validate_start

    effects = MemoryEffects(rules={"cart_ok": lambda data: verdict})
    result = await validate_start(_start_definition(**condition), workflow_id="qa.flow", context={"cart": {}},
                                  tenant_id="t", organization_id="o", evaluate=effects.evaluate_guard, locale="pl")
    assert result["canStart"] is (not errors) and result["errors"] == errors
    assert result["validatedRules"] == [{"ruleId": "cart_ok", "passed": verdict is True, "executionTime": 0}]
    [guard] = effects.guards
    assert (guard.entity_type, guard.entity_id, guard.event_type, guard.dry_run, guard.user_id) == (
        "workflow:qa.flow:start", "pre_start_validation", "validate_start", True, None)
    assert guard.data == {"workflowId": "qa.flow", "workflowContext": {"cart": {}}}
