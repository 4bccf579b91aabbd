"""Resting steps on the time-skipping test server: timers, SLAs and signal timeouts where days pass in
milliseconds, task and signal Updates, sub-workflows as child workflows, and branches."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.db import sessionmaker
from api.modules.workflows.models import WorkflowDefinition
from engine.contract import (
    UPDATE_CANCEL,
    UPDATE_CLAIM_TASK,
    UPDATE_COMPLETE_TASK,
    UPDATE_RETRY,
    UPDATE_SIGNAL,
    Actor,
    ClaimTaskInput,
    CompleteTaskInput,
    SignalInput,
    UpdateResult,
)
from tests.engine import stand_ins
from tests.engine.memory import act, chain, move, step
from tests.engine.runner import Runner, record

ADMIN = Actor(user_id="user-1", roles=["admin"])


async def update(handle: Any, name: str, arg: Any) -> UpdateResult:
    result: UpdateResult = await handle.execute_update(name, arg, result_type=UpdateResult)
    return result


async def open_task(runner: Runner, instance_id: str) -> Any:
    await runner.wait_for(instance_id, lambda r: r.status in ("PAUSED", "FORKED"))
    tasks = [t for t in await runner.tasks(instance_id) if t.status in ("PENDING", "IN_PROGRESS")]
    assert len(tasks) == 1
    return tasks[0]


async def test_a_three_day_timer_fires_in_milliseconds(runner: Runner) -> None:
    handle = await runner.start(chain(step("nap", "WAIT_FOR_TIMER", config={"duration": "P3D"})))
    row = await runner.wait_for(handle.id, lambda r: r.status == "PAUSED")
    assert row.current_step_id == "nap"
    result = await handle.result()  # the test server skips the three days
    assert result["status"] == "COMPLETED"
    events = await runner.events(handle.id)
    [awaiting] = [e.event_data for e in events if e.event_type == "TIMER_AWAITING"]
    [fired] = [e.event_data for e in events if e.event_type == "TIMER_FIRED"]
    assert awaiting["jobId"] and awaiting["fireAt"] and fired["jobId"] == awaiting["jobId"]
    await record(handle, "timer_step")


async def test_tasks_are_claimed_and_completed_through_updates(runner: Runner) -> None:
    task_step = step("review", "USER_TASK", userTaskConfig={
        "assignedTo": ["admin"], "formSchema": {"properties": {"approved": {"type": "boolean"}},
                                                "required": ["approved"]}})
    handle = await runner.start(chain(task_step), context={"orderId": "o-1"})
    task = await open_task(runner, handle.id)
    assert (task.status, task.assigned_to_roles, task.tenant_id) == ("PENDING", ["admin"], runner.tenant_id)

    with pytest.raises(WorkflowUpdateFailedError) as forbidden:
        await update(handle, UPDATE_CLAIM_TASK, ClaimTaskInput(Actor("user-9", ["guest"]), task.id))
    assert isinstance(forbidden.value.cause, ApplicationError) and forbidden.value.cause.type == "TASK_FORBIDDEN"

    claimed = await update(handle, UPDATE_CLAIM_TASK, ClaimTaskInput(ADMIN, task.id))
    assert claimed.extra["task"]["status"] == "IN_PROGRESS" and claimed.extra["task"]["claimedBy"] == "user-1"

    with pytest.raises(WorkflowUpdateFailedError) as invalid:
        await update(handle, UPDATE_COMPLETE_TASK, CompleteTaskInput(ADMIN, task.id, {}))
    cause = invalid.value.cause
    assert isinstance(cause, ApplicationError)
    assert (cause.type, cause.message) == ("FORM_VALIDATION_FAILED", "Required field missing: approved")

    done = await update(handle, UPDATE_COMPLETE_TASK, CompleteTaskInput(ADMIN, task.id, {"approved": True}))
    assert done.extra["task"]["status"] == "COMPLETED" and done.instance["status"] == "COMPLETED"
    assert done.instance["context"] == {"orderId": "o-1", "approved": True}
    [row] = await runner.tasks(handle.id)
    assert (row.status, row.claimed_by, row.completed_by, row.form_data) == (
        "COMPLETED", "user-1", "user-1", {"approved": True})
    await record(handle, "user_task")


async def test_sla_breach_escalates_after_the_due_date(runner: Runner) -> None:
    task_step = step("review", "USER_TASK", userTaskConfig={
        "assignedTo": ["clerk"], "slaDuration": "P2D",
        "escalationRules": [{"trigger": "sla_breach", "action": "escalate", "escalateTo": "manager-1"},
                            {"trigger": "sla_breach", "action": "notify", "notifyUsers": ["ops-1"]}]})
    handle = await runner.start(chain(task_step))
    task = await open_task(runner, handle.id)
    assert task.due_date is not None
    await runner.env.sleep(2 * 24 * 3600 + 60)
    escalated = None
    for _ in range(200):
        [escalated] = await runner.tasks(handle.id)
        if escalated.status == "ESCALATED":
            break
        await runner.env.sleep(1)
    assert escalated is not None and escalated.status == "ESCALATED" and escalated.escalated_to == "manager-1"
    assert "USER_TASK_ESCALATED" in await runner.event_types(handle.id)
    # The escalation target may now complete it.
    done = await update(handle, UPDATE_COMPLETE_TASK, CompleteTaskInput(Actor("manager-1"), task.id, {}))
    assert done.instance["status"] == "COMPLETED"
    # The notify rule's notice went out as an EMIT_EVENT activity.
    assert [c.activity_type for c in stand_ins.calls(handle.id)] == ["EMIT_EVENT"]
    await record(handle, "sla_escalation")
    await record(handle, "sla_escalation_local")
    await record(handle, "sla_escalation_positions")
    await record(handle, "sla_escalation_level3")


async def test_a_signal_resumes_and_an_unanswered_one_times_out(runner: Runner) -> None:
    waiting = chain(step("wait", "WAIT_FOR_SIGNAL", signalConfig={"signalName": "approval", "timeout": "P1D"}))
    handle = await runner.start(waiting)
    await runner.wait_for(handle.id, lambda r: r.status == "PAUSED")
    with pytest.raises(WorkflowUpdateFailedError) as mismatch:
        await update(handle, UPDATE_SIGNAL, SignalInput(ADMIN, "other"))
    assert isinstance(mismatch.value.cause, ApplicationError)
    assert mismatch.value.cause.type == "SIGNAL_NAME_MISMATCH"
    result = await update(handle, UPDATE_SIGNAL, SignalInput(ADMIN, "approval", {"decidedBy": "qa"}))
    assert result.instance["status"] == "COMPLETED" and result.instance["context"]["decidedBy"] == "qa"
    await record(handle, "signal")

    ignored = await runner.start(waiting)
    await runner.wait_for(ignored.id, lambda r: r.status == "PAUSED")
    await runner.env.sleep(24 * 3600 + 5)
    row = await runner.wait_for(ignored.id, lambda r: r.status == "FAILED")
    assert row.error_message == 'Signal "approval" timed out after P1D'
    assert "SIGNAL_TIMEOUT" in await runner.event_types(ignored.id)
    await update(ignored, UPDATE_CANCEL, ADMIN)
    assert (await ignored.result())["status"] == "CANCELLED"
    await record(ignored, "signal_timeout")


async def _child_definition(runner: Runner, workflow_id: str, definition: dict[str, Any]) -> None:
    async with sessionmaker()() as session:
        session.add(WorkflowDefinition(id=str(uuid.uuid4()), tenant_id=runner.tenant_id,
                                       organization_id=runner.organization_id, workflow_id=workflow_id,
                                       workflow_name=workflow_id, version=1, definition=definition, enabled=True))
        await session.commit()


async def test_a_waiting_child_makes_its_parent_wait_and_its_output_is_merged(runner: Runner) -> None:
    child_id = f"qa.child.{uuid.uuid4().hex[:8]}"
    await _child_definition(runner, child_id, chain(step("approve", "USER_TASK",
                                                         userTaskConfig={"assignedTo": ["admin"]})))
    sub = step("sub", "SUB_WORKFLOW", config={"subWorkflowId": child_id, "inputMapping": {"order": "orderId"},
                                              "outputMapping": {"approvedBy": "approver"}})
    parent = await runner.start(chain(sub), context={"orderId": "o-7"})
    row = await runner.wait_for(parent.id, lambda r: r.status == "PAUSED")
    assert row.current_step_id == "sub"
    started = [e.event_data for e in await runner.events(parent.id) if e.event_type == "SUB_WORKFLOW_STARTED"]
    child_instance = started[0]["childInstanceId"]
    child_row = await runner.wait_for(child_instance, lambda r: r.status == "PAUSED")
    assert child_row.context == {"order": "o-7"} and child_row.workflow_id == child_id
    assert child_row.metadata_json["labels"]["parentInstanceId"] == parent.id  # type: ignore[index]
    task = await open_task(runner, child_instance)
    child = runner.client.get_workflow_handle(child_instance)
    await update(child, UPDATE_COMPLETE_TASK, CompleteTaskInput(ADMIN, task.id, {"approver": "ann"}))
    result = await parent.result()
    assert result["status"] == "COMPLETED" and result["context"] == {"orderId": "o-7", "approvedBy": "ann"}
    await record(parent, "sub_workflow")


async def test_cancelling_a_parent_cancels_its_child(own_runner: Runner) -> None:
    # A server of its own: the test server stops skipping time while a child's cancellation is outstanding.
    runner = own_runner
    child_id = f"qa.child.{uuid.uuid4().hex[:8]}"
    await _child_definition(runner, child_id, chain(step("wait", "WAIT_FOR_SIGNAL")))
    parent = await runner.start(chain(step("sub", "SUB_WORKFLOW", config={"subWorkflowId": child_id})))
    await runner.wait_for(parent.id, lambda r: r.status == "PAUSED")
    child_instance = [e.event_data for e in await runner.events(parent.id)
                      if e.event_type == "SUB_WORKFLOW_STARTED"][0]["childInstanceId"]
    await runner.wait_for(child_instance, lambda r: r.status == "PAUSED")
    await update(parent, UPDATE_CANCEL, ADMIN)
    await runner.wait_for(child_instance, lambda r: r.status == "CANCELLED")
    assert (await parent.result())["status"] == "CANCELLED"
    await record(parent, "sub_workflow_cancelled")


async def test_branches_wait_for_a_signal_and_a_timer_then_join(runner: Runner) -> None:
    definition = {
        "steps": [step("start", "START"), step("fork", "PARALLEL_FORK", config={"joinStepId": "join"}),
                  step("wait", "WAIT_FOR_SIGNAL", signalConfig={"signalName": "go"}),
                  step("nap", "WAIT_FOR_TIMER", config={"duration": "PT6H"}),
                  step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}), step("end", "END")],
        "transitions": [move("start", "fork"), move("fork", "wait"), move("fork", "nap"), move("wait", "join"),
                        move("nap", "join"), move("join", "end")],
    }
    handle = await runner.start(definition)
    await runner.wait_for(handle.id, lambda r: r.status == "FORKED")
    signalled = await update(handle, UPDATE_SIGNAL, SignalInput(ADMIN, "go", {"v": 1}))
    assert signalled.instance["status"] == "FORKED"
    result = await handle.result()
    assert result["status"] == "COMPLETED"
    assert sorted(result["context"]["branches"]) == ["fork-to-nap", "fork-to-wait"]
    await record(handle, "fork_signal_timer")


async def test_an_automated_step_gives_up_at_its_timeout(runner: Runner) -> None:
    wait = {"activityId": "long_wait", "activityName": "Long wait", "activityType": "WAIT",
            "config": {"duration": "PT1H"}}
    handle = await runner.start(chain(step("work", timeout="PT10M", activities=[wait])))
    await runner.env.sleep(11 * 60)
    row = await runner.wait_for(handle.id, lambda r: r.status == "FAILED")
    assert row.error_message == 'Step "work" timed out after PT10M'
    await update(handle, UPDATE_CANCEL, ADMIN)
    assert (await handle.result())["status"] == "CANCELLED"
    await record(handle, "automated_step_timeout")


def _fork_join(*branches: dict[str, Any]) -> dict[str, Any]:
    """start → fork → one step per branch → join → end."""
    names = [b["stepId"] for b in branches]
    return {
        "steps": [step("start", "START"), step("fork", "PARALLEL_FORK", config={"joinStepId": "join"}), *branches,
                  step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}), step("end", "END")],
        "transitions": [move("start", "fork"), *[move("fork", n) for n in names], *[move(n, "join") for n in names],
                        move("join", "end")],
    }


async def test_a_task_in_a_branch_is_completed_into_the_branch_namespace(runner: Runner) -> None:
    task_step = step("review", "USER_TASK", userTaskConfig={"assignedTo": ["admin"]})
    handle = await runner.start(_fork_join(task_step, step("work", activities=[act("work")])))
    task = await open_task(runner, handle.id)
    assert task.branch_instance_id is not None
    done = await update(handle, UPDATE_COMPLETE_TASK, CompleteTaskInput(ADMIN, task.id, {"approved": True}))
    assert done.instance["status"] == "COMPLETED"
    branches = done.instance["context"]["branches"]
    assert branches == {"fork-to-review": {"approved": True}, "fork-to-work": {}}
    await record(handle, "fork_user_task")
    await record(handle, "fork_user_task_local")
    await record(handle, "fork_user_task_positions")
    await record(handle, "fork_user_task_level3")


async def test_a_failed_branch_cancels_its_sibling_and_retry_opens_the_fork_anew(runner: Runner) -> None:
    task_step = step("review", "USER_TASK", userTaskConfig={"assignedTo": ["admin"]})
    failing = step("work", activities=[act("work", config={"failTimes": 1, "error": "down"})])
    handle = await runner.start(_fork_join(task_step, failing))
    row = await runner.wait_for(handle.id, lambda r: r.status == "FAILED")
    assert row.error_message == 'Parallel branch "fork-to-work" failed: 1 activity(ies) failed: ' \
                                'Work: Activity failed after 1 attempts: down'
    [cancelled] = await runner.tasks(handle.id)
    assert cancelled.status == "CANCELLED"
    retried = await update(handle, UPDATE_RETRY, ADMIN)
    assert retried.instance["status"] == "FORKED"
    task = await open_task(runner, handle.id)
    done = await update(handle, UPDATE_COMPLETE_TASK, CompleteTaskInput(ADMIN, task.id, {}))
    assert done.instance["status"] == "COMPLETED" and done.instance["retryCount"] == 1
    await record(handle, "fork_failure_retry")
    await record(handle, "fork_failure_retry_local")
    await record(handle, "fork_failure_retry_positions")
    await record(handle, "fork_failure_retry_level3")
