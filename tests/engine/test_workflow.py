"""DefinitionWorkflow on the time-skipping test server: the projection it writes, its Updates, retries,
async batches, compensation and pinned definitions."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.db import sessionmaker
from api.modules.business_rules.models import BusinessRule
from engine.contract import UPDATE_ADVANCE, UPDATE_CANCEL, UPDATE_RETRY, Actor, AdvanceInput, UpdateResult
from tests.engine import stand_ins
from tests.engine.memory import act, chain, move, step
from tests.engine.runner import Runner, record


async def advance(handle: Any, **kwargs: Any) -> UpdateResult:
    result: UpdateResult = await handle.execute_update(UPDATE_ADVANCE, AdvanceInput(Actor("user-2"), **kwargs),
                                                       result_type=UpdateResult)
    return result


async def refused(call: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await call
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_three_automated_steps_complete_and_are_projected(runner: Runner) -> None:
    definition = chain(*(step(f"a{i}", activities=[act(f"work_{i}")]) for i in (1, 2, 3)))
    handle = await runner.start(definition, context={"orderId": "o-1"})
    result = await handle.result()
    assert result["status"] == "COMPLETED"

    row = await runner.instance(handle.id)
    assert row is not None
    assert (row.status, row.current_step_id, row.context) == ("COMPLETED", "end", {"orderId": "o-1"})
    assert row.completed_at is not None and row.tenant_id == runner.tenant_id
    steps = await runner.steps(handle.id)
    assert [(s.step_id, s.step_type, s.status) for s in steps] == [
        ("a1", "AUTOMATED", "COMPLETED"), ("a2", "AUTOMATED", "COMPLETED"), ("a3", "AUTOMATED", "COMPLETED"),
        ("end", "END", "COMPLETED")]
    assert (steps[0].output_data or {})["activityResults"] == {"work_1": {"done": "work_1"}}
    assert await runner.event_types(handle.id) == [
        "WORKFLOW_STARTED",
        "STEP_ENTERED", "STEP_EXITED", "TRANSITION_EXECUTED",
        "STEP_ENTERED", "STEP_EXITED", "TRANSITION_EXECUTED",
        "STEP_ENTERED", "STEP_EXITED", "TRANSITION_EXECUTED",
        "STEP_ENTERED", "STEP_EXITED", "TRANSITION_EXECUTED",
        "WORKFLOW_COMPLETED"]
    events = await runner.events(handle.id)
    assert events[1].step_instance_id == steps[0].id and events[1].user_id == "user-1"
    assert [c.activity_id for c in stand_ins.calls(handle.id)] == ["work_1", "work_2", "work_3"]
    await record(handle, "automated_chain")
    await record(handle, "automated_chain_local")
    await record(handle, "automated_chain_positions")
    await record(handle, "automated_chain_level3")


async def test_conditions_priorities_and_ties_choose_the_path(runner: Runner) -> None:
    definition = {
        "steps": [step("start", "START"), step("big"), step("small"), step("first"), step("second"),
                  step("end", "END")],
        "transitions": [
            move("start", "big", priority=10, condition={"field": "amount", "operator": ">", "value": 100}),
            move("start", "small", priority=10, condition={"<=": [{"var": "amount"}, 100]}),
            move("big", "first"), move("big", "second"),  # a tie: definition order wins
            move("small", "second", priority=1), move("small", "first"),
            move("first", "end"), move("second", "end"),
        ],
    }
    paths = {}
    for amount in (500, 5):
        handle = await runner.start(definition, context={"amount": amount})
        await handle.result()
        paths[amount] = [s.step_id for s in await runner.steps(handle.id)]
        if amount == 500:
            await record(handle, "conditions")
    assert paths == {500: ["big", "first", "end"], 5: ["small", "second", "end"]}


async def test_manual_transitions_through_the_advance_update(runner: Runner) -> None:
    handle = await runner.start(chain(step("mid"), trigger="manual"))
    await runner.wait_for(handle.id, lambda r: r.status == "RUNNING" and r.projection_seq > 0)

    cause = await refused(advance(handle, to_step_id="does-not-exist"))
    assert cause.type == "NO_VALID_TRANSITION_TO_STEP"
    assert cause.message == "No valid transition to step 'does-not-exist'"
    assert cause.details[0] == {"availableTransitions": [{"toStepId": "mid"}]}

    result = await advance(handle, to_step_id="mid", context_updates={"advancedBy": "qa"})
    assert result.extra["transitionFired"] == "start-to-mid" and result.extra["previousStepId"] == "start"
    assert result.instance["currentStepId"] == "mid" and result.instance["context"] == {"advancedBy": "qa"}
    # The answer comes once the projection shows it.
    row = await runner.instance(handle.id)
    assert row is not None and (row.current_step_id, row.context) == ("mid", {"advancedBy": "qa"})

    result = await advance(handle)
    assert result.extra["afterTransition"]["currentStepId"] == "end"
    assert result.instance["status"] == "COMPLETED" and result.extra["execution"]["status"] == "COMPLETED"
    assert (await handle.result())["status"] == "COMPLETED"
    events = await runner.events(handle.id)
    assert [e.user_id for e in events if e.event_type == "TRANSITION_EXECUTED"] == ["user-2", "user-2"]
    await record(handle, "manual_advance")


async def test_cancel_a_resting_instance(runner: Runner) -> None:
    handle = await runner.start(chain(trigger="manual"))
    result: UpdateResult = await handle.execute_update(UPDATE_CANCEL, Actor("user-3"), result_type=UpdateResult)
    assert result.instance["status"] == "CANCELLED" and result.instance["cancelledAt"]
    assert (await handle.result())["status"] == "CANCELLED"
    assert (await runner.event_types(handle.id))[-1] == "WORKFLOW_CANCELLED"
    await record(handle, "cancel")


async def test_cancel_stops_a_waiting_async_batch(own_runner: Runner) -> None:
    runner = own_runner
    gate = f"never-{uuid.uuid4()}"
    definition = chain(activities=[act("slow", config={"gate": gate}, background=True)])
    handle = await runner.start(definition)
    await runner.wait_for(handle.id, lambda r: r.status == "WAITING_FOR_ACTIVITIES")
    result: UpdateResult = await handle.execute_update(UPDATE_CANCEL, Actor("user-3"), result_type=UpdateResult)
    assert result.instance["status"] == "CANCELLED"
    assert (await handle.result())["status"] == "CANCELLED"
    row = await runner.instance(handle.id)
    assert row is not None and row.status == "CANCELLED"
    assert "ACTIVITY_COMPLETED" not in await runner.event_types(handle.id)


async def test_failure_after_retries_then_the_retry_update_completes(runner: Runner) -> None:
    policy = {"maxAttempts": 3, "initialIntervalMs": 10, "backoffCoefficient": 2, "maxIntervalMs": 50}
    definition = chain(step("mid"))
    definition["transitions"][0]["activities"] = [
        act("charge", name="Charge", config={"failTimes": 3, "error": "card declined"}, retryPolicy=policy)]
    handle = await runner.start(definition)
    row = await runner.wait_for(handle.id, lambda r: r.status == "FAILED")
    assert row.error_message == "Activities failed: Activity failed after 3 attempts: card declined"
    assert row.current_step_id == "start"
    assert len(stand_ins.calls(handle.id)) == 3

    cause = await refused(advance(handle))
    assert (cause.type, cause.message) == ("WORKFLOW_FAILED", "Workflow has failed. Use retry endpoint to retry.")

    result: UpdateResult = await handle.execute_update(UPDATE_RETRY, Actor("user-4"), result_type=UpdateResult)
    assert result.instance["status"] == "COMPLETED" and result.instance["retryCount"] == 1
    assert result.extra["execution"]["status"] == "COMPLETED"
    assert (await handle.result())["status"] == "COMPLETED"
    final = await runner.instance(handle.id)
    assert final is not None and (final.status, final.retry_count, final.error_message) == ("COMPLETED", 1, None)
    await record(handle, "failure_and_retry")
    await record(handle, "failure_and_retry_local")
    await record(handle, "failure_and_retry_positions")
    await record(handle, "failure_and_retry_level3")


async def test_a_4xx_is_not_retried_and_a_failed_instance_ends_after_its_retention(runner: Runner) -> None:
    policy = {"maxAttempts": 5, "initialIntervalMs": 10, "backoffCoefficient": 1, "maxIntervalMs": 0}
    definition = chain(activities=[act("call", "CALL_API", config={"http4xx": True}, retryPolicy=policy)])
    handle = await runner.start(definition, failed_retention_seconds=3600)
    result = await handle.result()  # the test server skips the retention hour
    assert result["status"] == "FAILED"
    assert result["errorMessage"] == ("Activities failed: Activity failed after 1 attempts: CALL_API request failed "
                                      "with status 404 (non-retriable): {}")
    assert len(stand_ins.calls(handle.id)) == 1


async def test_async_batch_shows_waiting_then_completes(runner: Runner) -> None:
    gate = f"batch-{uuid.uuid4()}"
    definition = chain(step("after"))
    definition["transitions"][0]["activities"] = [
        act("notify", "SEND_EMAIL", config={"gate": gate, "result": {"sent": True}}, background=True),
        act("emit", "EMIT_EVENT", config={"result": {"emitted": True}}, background=True),
    ]
    handle = await runner.start(definition)
    waiting = await runner.wait_for(handle.id, lambda r: r.status == "WAITING_FOR_ACTIVITIES")
    assert waiting.current_step_id == "start" and (waiting.pending_transition or {})["toStepId"] == "after"
    stand_ins.gate(gate).set()
    assert (await handle.result())["status"] == "COMPLETED"
    row = await runner.instance(handle.id)
    assert row is not None and row.context == {"notify_result": {"sent": True}, "emit_result": {"emitted": True}}
    types = await runner.event_types(handle.id)
    assert types[:5] == ["WORKFLOW_STARTED", "ACTIVITY_QUEUED", "ACTIVITY_QUEUED", "TRANSITION_PAUSED_FOR_ACTIVITIES",
                         "WORKFLOW_WAITING_FOR_ACTIVITIES"]
    assert types.count("ACTIVITY_COMPLETED") == 2 and "WORKFLOW_RESUMED" in types
    await record(handle, "async_batch")


async def test_compensation_runs_newest_first(runner: Runner) -> None:
    definition = chain(step("s1"), step("boom", activities=[act("explode", config={"failTimes": 1})]))
    definition["transitions"][0]["activities"] = [act("reserve", compensation={"activityId": "release"})]
    definition["transitions"][1]["activities"] = [act("charge", compensation={"activityId": "refund"},
                                                      background=True)]
    definition["activities"] = [act("release"), act("refund")]
    handle = await runner.start(definition)
    result = await handle.result()
    assert result["status"] == "COMPENSATED"
    assert [c.activity_id for c in stand_ins.calls(handle.id)] == ["reserve", "charge", "explode", "refund",
                                                                    "release"]
    types = await runner.event_types(handle.id)
    assert types[-1] == "COMPENSATION_COMPLETED" and "WORKFLOW_FAILED" not in types
    await record(handle, "compensation")
    await record(handle, "compensation_local")
    await record(handle, "compensation_positions")
    await record(handle, "compensation_level3")


async def test_guards_go_through_the_business_rules_service(runner: Runner) -> None:
    async with sessionmaker()() as session, session.begin():
        for rule_id, decision in (("qa_is_approve", "approve"), ("qa_is_reject", "reject")):
            session.add(BusinessRule(
                rule_id=rule_id, rule_name=f"Decision is {decision}", rule_type="GUARD",
                entity_type="workflow:qa.engine:transition", event_type="pre_transition",
                condition_expression={"field": "workflowContext.decision", "operator": "=", "value": decision},
                tenant_id=runner.tenant_id, organization_id=runner.organization_id))
    definition = {
        "steps": [step("start", "START"), step("approved"), step("rejected"), step("end", "END")],
        "transitions": [move("start", "approved", priority=100, preConditions=[{"ruleId": "qa_is_approve"}]),
                        move("start", "rejected", priority=90, preConditions=[{"ruleId": "qa_is_reject"}]),
                        move("approved", "end"), move("rejected", "end")],
    }
    handle = await runner.start(definition, context={"decision": "reject"})
    assert (await handle.result())["status"] == "COMPLETED"
    assert [s.step_id for s in await runner.steps(handle.id)] == ["rejected", "end"]
    await record(handle, "guards")
    await record(handle, "guards_level3")

    blocked = await runner.start(definition, context={"decision": "maybe"})
    row = await runner.wait_for(blocked.id, lambda r: r.projection_seq > 0)
    # No rule holds: the instance waits at START, it does not fail.
    assert (row.status, row.current_step_id) == ("RUNNING", "start")
    await blocked.execute_update(UPDATE_CANCEL, Actor(None), result_type=UpdateResult)


async def test_a_running_instance_keeps_the_definition_it_started_with(runner: Runner) -> None:
    original = chain(step("mid"), trigger="manual")
    handle = await runner.start(original)
    await runner.wait_for(handle.id, lambda r: r.projection_seq > 0)
    # The definition is edited afterwards (mid removed); instances started now follow the new one.
    original["steps"] = [s for s in original["steps"] if s["stepId"] != "mid"]
    original["transitions"] = [move("start", "end", trigger="manual")]
    newer = await runner.start(original)

    result = await advance(handle)
    assert result.instance["currentStepId"] == "mid"
    result = await advance(newer)
    assert result.instance["currentStepId"] == "end" and result.instance["status"] == "COMPLETED"
    await advance(handle)
    assert (await handle.result())["status"] == "COMPLETED"


async def test_updates_are_refused_with_the_reference_messages(runner: Runner) -> None:
    handle = await runner.start(chain(trigger="manual", preConditions=[{"ruleId": "qa_missing_rule"}]))
    await runner.wait_for(handle.id, lambda r: r.projection_seq > 0)
    cause = await refused(advance(handle))
    assert (cause.type, cause.message) == ("NO_VALID_TRANSITIONS", "No valid transitions available")
    assert cause.details[0] == {"currentStepId": "start",
                                "reason": "All transitions blocked by conditions or business rules"}
    cause = await refused(handle.execute_update(UPDATE_RETRY, Actor(None), result_type=UpdateResult))
    assert cause.type == "CANNOT_RETRY"
    assert cause.message == "Cannot retry workflow in RUNNING status. Only FAILED workflows can be retried."
    await handle.execute_update(UPDATE_CANCEL, Actor(None), result_type=UpdateResult)
    assert (await handle.result())["status"] == "CANCELLED"


async def test_concurrent_updates_are_serialized(runner: Runner) -> None:
    definition = chain(step("b"), step("c"), trigger="manual")
    handle = await runner.start(definition)
    first, second = await asyncio.gather(advance(handle), advance(handle))
    assert {first.extra["transitionFired"], second.extra["transitionFired"]} == {"start-to-b", "b-to-c"}


async def test_a_cancellation_from_temporal_itself_is_recorded(runner: Runner) -> None:
    handle = await runner.start(chain(trigger="manual"))
    await runner.wait_for(handle.id, lambda r: r.projection_seq > 0)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    row = await runner.wait_for(handle.id, lambda r: r.status == "CANCELLED")
    assert row.cancelled_at is not None
    assert (await runner.event_types(handle.id))[-1] == "WORKFLOW_CANCELLED"
