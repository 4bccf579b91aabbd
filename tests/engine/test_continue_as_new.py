"""Long-lived instances continue as new (docs/workflows.md, "Long-lived instances"): on the time-skipping test
server with a low threshold, an instance with parallel branches, an open task with an SLA, a pending timer and
a signal it takes again and again passes the threshold several times, then completes as if it had one run."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from temporalio.client import WorkflowHandle
from temporalio.converter import DataConverter

from api.db import sessionmaker
from api.modules.workflows.instances_service import pinned_definition
from api.modules.workflows.models import WorkflowBranchInstance
from engine._state import BranchRecord, InstanceState, StepRecord, TaskRecord, Wait, carry, restore
from engine.contract import (
    QUERY_STATE,
    UPDATE_COMPLETE_TASK,
    UPDATE_SIGNAL,
    Actor,
    CompleteTaskInput,
    SignalInput,
    StartInput,
    UpdateResult,
)
from tests.engine.memory import chain, move, step
from tests.engine.runner import Runner, record
from tests.engine.test_workflow_waits import _child_definition

ADMIN = Actor(user_id="user-1", roles=["admin"])
THRESHOLD = 40
PINGS = 30


def long_lived() -> dict[str, Any]:
    """A fork: `listen` takes `ping` signals until one says stop, `nap` sleeps two days, `review` is a task
    escalated after one day; they join, then the instance ends."""
    review = step("review", "USER_TASK", userTaskConfig={
        "assignedTo": ["admin"], "slaDuration": "P1D",
        "escalationRules": [{"trigger": "sla_breach", "action": "escalate", "escalateTo": "manager-1"}]})
    return {
        "steps": [step("start", "START"), step("fork", "PARALLEL_FORK", config={"joinStepId": "join"}),
                  step("listen", "WAIT_FOR_SIGNAL", signalConfig={"signalName": "ping"}),
                  step("nap", "WAIT_FOR_TIMER", config={"duration": "P2D"}), review,
                  step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}), step("end", "END")],
        "transitions": [move("start", "fork"), move("fork", "listen"), move("fork", "nap"), move("fork", "review"),
                        move("listen", "join", priority=100,
                             condition={"field": "stop", "operator": "=", "value": True}),
                        {**move("listen", "listen", priority=10), "transitionId": "listen-again"},
                        move("nap", "join"), move("review", "join"), move("join", "end")],
    }


async def update(handle: WorkflowHandle[Any, Any], name: str, arg: Any) -> UpdateResult:
    result: UpdateResult = await handle.execute_update(name, arg, result_type=UpdateResult)
    return result


async def runs(runner: Runner, workflow_id: str) -> list[WorkflowHandle[Any, Any]]:
    """The instance's runs, first to latest, each a handle bound to its run."""
    found: list[WorkflowHandle[Any, Any]] = []
    run_id: str | None = (await runner.client.get_workflow_handle(workflow_id).describe()).run_id
    while run_id:
        handle = runner.client.get_workflow_handle(workflow_id, run_id=run_id)
        found.insert(0, handle)
        first = (await handle.fetch_history()).events[0]
        run_id = first.workflow_execution_started_event_attributes.continued_execution_run_id or None
    return found


async def test_a_long_lived_instance_continues_as_new_and_completes(runner: Runner) -> None:
    handle = await runner.start(long_lived(), continue_as_new_events=THRESHOLD)
    await runner.wait_for(handle.id, lambda r: r.status == "FORKED")
    [task] = await runner.tasks(handle.id)
    for i in range(PINGS - 10):
        answer = await update(handle, UPDATE_SIGNAL, SignalInput(ADMIN, "ping", {"n": i}))
        assert answer.instance["status"] == "FORKED"
    # Ten at once: each is answered by the run that accepted it, none is lost to a run ending under it.
    answers = await asyncio.gather(*(update(handle, UPDATE_SIGNAL, SignalInput(ADMIN, "ping", {"n": i}))
                                     for i in range(PINGS - 10, PINGS)))
    assert {a.instance["status"] for a in answers} == {"FORKED"}

    # Several runs, none of which grew far past the threshold (a run ends once the Updates it accepted are
    # answered: a burst carries it a little further); the instance is the same one.
    before = await runs(runner, handle.id)
    assert len(before) >= 3
    for run in before:
        assert len((await run.fetch_history()).events) <= 2 * THRESHOLD
    state = await handle.query(QUERY_STATE)
    assert (state["id"], state["status"], state["startedAt"]) == (handle.id, "FORKED", state["startedAt"])
    row = await runner.instance(handle.id)
    assert row is not None and row.status == "FORKED"
    async with sessionmaker()() as session:
        branches = {b.branch_key: b for b in (await session.scalars(select(WorkflowBranchInstance).where(
            WorkflowBranchInstance.workflow_instance_id == handle.id))).all()}
    assert sorted(branches) == ["fork-to-listen", "fork-to-nap", "fork-to-review"]
    assert branches["fork-to-listen"].context_namespace["n"] in range(PINGS - 10, PINGS)
    assert {b.status for b in branches.values()} == {"PAUSED"}
    # The API reads the pinned definition from the latest run's input (a retry after the workflow ended).
    assert await pinned_definition(runner.client, row) == long_lived()
    [still_open] = await runner.tasks(handle.id)
    assert (still_open.id, still_open.status) == (task.id, "PENDING")

    # The last ping stops the loop; two days pass: the SLA escalates the task after one, the timer set by the
    # first run fires after two, each once and on time.
    await update(handle, UPDATE_SIGNAL, SignalInput(ADMIN, "ping", {"stop": True}))
    await runner.env.sleep(2 * 24 * 3600 + 60)
    for _ in range(200):
        types = await runner.event_types(handle.id)
        if "TIMER_FIRED" in types and "USER_TASK_ESCALATED" in types:
            break
        await runner.env.sleep(1)
    done = await update(handle, UPDATE_COMPLETE_TASK, CompleteTaskInput(Actor("manager-1"), task.id, {"ok": True}))
    assert done.instance["status"] == "COMPLETED"
    result = await handle.result()  # follows the runs to the last one
    assert result["status"] == "COMPLETED"
    assert result["context"]["branches"]["fork-to-review"] == {"ok": True}

    events = await runner.events(handle.id)
    counts = Counter(e.event_type for e in events)
    assert counts["WORKFLOW_STARTED"] == 1 and counts["WORKFLOW_COMPLETED"] == 1
    assert counts["SIGNAL_RECEIVED"] == PINGS + 1 and counts["TIMER_FIRED"] == 1
    assert counts["USER_TASK_ESCALATED"] == 1 and counts["USER_TASK_COMPLETED"] == 1
    [awaiting] = [e.event_data for e in events if e.event_type == "TIMER_AWAITING"]
    [fired] = [e for e in events if e.event_type == "TIMER_FIRED"]
    fire_at = datetime.fromisoformat(awaiting["fireAt"].replace("Z", "+00:00"))
    assert timedelta(0) <= fired.occurred_at - fire_at < timedelta(minutes=1)
    # Whether the last two days' events cross the threshold once more depends on where the last run started.
    after = await runs(runner, handle.id)
    assert len(after) >= len(before) >= 3
    await record(after[0], "continue_as_new_first_run")
    await record(after[-1], "continue_as_new_last_run")
    await record(after[0], "continue_as_new_first_run_level3")
    await record(after[-1], "continue_as_new_last_run_level3")


async def test_a_run_waiting_for_a_child_continues_as_new_only_after_the_child_ended(runner: Runner) -> None:
    # A child reports its end to the run that started it (and is asked to cancel when that run closes).
    child_id = f"qa.child.{uuid.uuid4().hex[:8]}"
    await _child_definition(runner, child_id, chain(step("wait", "WAIT_FOR_SIGNAL", signalConfig={"signalName": "go"})))
    definition = long_lived()
    definition["steps"][4] = step("review", "SUB_WORKFLOW", config={"subWorkflowId": child_id,
                                                                   "outputMapping": {"went": "went"}})
    handle = await runner.start(definition, continue_as_new_events=THRESHOLD)
    await runner.wait_for(handle.id, lambda r: r.status == "FORKED")
    for i in range(15):
        await update(handle, UPDATE_SIGNAL, SignalInput(ADMIN, "ping", {"n": i}))
    assert len((await runner.client.get_workflow_handle(handle.id).fetch_history()).events) > THRESHOLD
    assert len(await runs(runner, handle.id)) == 1
    child = [e.event_data for e in await runner.events(handle.id) if e.event_type == "SUB_WORKFLOW_STARTED"]
    child_handle = runner.client.get_workflow_handle(child[0]["childInstanceId"])
    await update(child_handle, UPDATE_SIGNAL, SignalInput(ADMIN, "go", {"went": True}))
    for _ in range(200):
        if "SUB_WORKFLOW_COMPLETED" in await runner.event_types(handle.id):
            break
        await asyncio.sleep(0.05)
    for i in range(15, 20):
        await update(handle, UPDATE_SIGNAL, SignalInput(ADMIN, "ping", {"n": i}))
    assert len(await runs(runner, handle.id)) >= 2
    await update(handle, UPDATE_SIGNAL, SignalInput(ADMIN, "ping", {"stop": True}))
    result = await handle.result()
    assert result["status"] == "COMPLETED" and result["context"]["branches"]["fork-to-review"] == {"went": True}


async def test_the_carried_state_reads_back_as_it_was_written() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    wait = Wait(kind="WAIT_FOR_TIMER", step_id="nap", step_instance_id="s1", fire_at=now + timedelta(days=2),
                deadline=now, timeout_text="P2D")
    state = InstanceState(
        instance_id="i", tenant_id="t", organization_id="o", definition_id="d", workflow_id="w", version=3,
        status="FORKED", current_step_id="fork", context={"a": [1, {"b": None}]}, started_at=now,
        metadata={"initiatedBy": "u"}, activity_counter=7, guard_counter=2, projection_seq=40,
        open_steps={"s1": StepRecord(id="s1", step_id="nap", step_name="Nap", step_type="WAIT_FOR_TIMER",
                                     status="ACTIVE", entered_at=now, input_data={"x": 1})},
        tasks={"k": TaskRecord(id="k", step_id="review", step_instance_id="s2", task_name="Review", created_at=now,
                               assigned_to_roles=["admin"], due_date=now + timedelta(days=1))},
        branches=[BranchRecord(id="b", fork_step_id="fork", join_step_id="join", branch_key="fork-to-nap",
                               current_step_id="nap", started_at=now, status="PAUSED", namespace={"n": 1},
                               wait=wait)],
    )
    start = StartInput(instance_id="i", tenant_id="t", organization_id="o", definition_id="d", workflow_id="w",
                       version=3, definition={}, carried=carry(state))
    # Through Temporal's own converter, as the next run's input travels.
    [decoded] = await DataConverter.default.decode(await DataConverter.default.encode([start]), [StartInput])
    assert decoded.carried is not None
    assert restore(decoded.carried) == state


def test_closed_tasks_are_not_carried_into_the_next_run() -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    tasks = {status: TaskRecord(id=status, step_id="review", step_instance_id="s", task_name="Review", created_at=now,
                                status=status) for status in ("PENDING", "IN_PROGRESS", "ESCALATED", "COMPLETED",
                                                              "CANCELLED")}
    state = InstanceState(instance_id="i", tenant_id="t", organization_id="o", definition_id="d", workflow_id="w",
                          version=1, status="RUNNING", current_step_id="review", context={}, started_at=now,
                          tasks=tasks)
    assert sorted(restore(carry(state)).tasks) == ["ESCALATED", "IN_PROGRESS", "PENDING"]
    assert len(state.tasks) == 5  # the running run keeps them
