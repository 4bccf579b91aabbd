"""The step machine's resting steps without a server: user tasks, signals, timers, sub-workflows,
parallel branches, and what cancel, timeouts and SLAs do to them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine._machine import EngineError, Machine
from engine.contract import Actor, AdvanceInput, ClaimTaskInput, CompleteTaskInput, SignalInput
from tests.engine.memory import Fail, MemoryEffects, act, build, chain, fails, move, step

ADMIN = Actor(user_id="user-1", roles=["admin"], can_manage=False)
MANAGER = Actor(user_id="boss", roles=[], can_manage=True)
STRANGER = Actor(user_id="nobody", roles=["guest"], can_manage=False)


async def started(definition: dict[str, Any], effects: MemoryEffects | None = None, **overrides: Any) -> Machine:
    machine = build(definition, effects or MemoryEffects(), **overrides)
    await machine.start()
    return machine


def db(machine: Machine) -> Any:
    assert isinstance(machine.effects, MemoryEffects)
    return machine.effects.store


def only_task(machine: Machine, status: str | None = None) -> dict[str, Any]:
    tasks = [t for t in db(machine).tasks.values() if status is None or t["status"] == status]
    assert len(tasks) == 1, tasks
    return tasks[0]


def fork_join(*branches: tuple[str, dict[str, Any]], after_join: list[dict[str, Any]] | None = None,
              **fork_transition: Any) -> dict[str, Any]:
    """start → fork → one step per branch → join → (after_join) → end."""
    steps = [step("start", "START"), step("fork", "PARALLEL_FORK", config={"joinStepId": "join"})]
    transitions = [move("start", "fork")]
    for name, spec in branches:
        steps.append(step(name, **spec))
        transitions += [move("fork", name, **fork_transition.get(name, {})), move(name, "join")]
    steps.append(step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}))
    chain_after = after_join or []
    steps += chain_after
    ids = ["join", *[s["stepId"] for s in chain_after], "end"]
    transitions += [move(a, b) for a, b in zip(ids, ids[1:], strict=False)]
    steps.append(step("end", "END"))
    return {"steps": steps, "transitions": transitions}


# --- USER_TASK ---------------------------------------------------------------------------------------

ROLE_TASK = step("review", "USER_TASK", description="Please review", userTaskConfig={
    "assignedTo": ["admin"], "slaDuration": "P1DT2H30M",
    "formSchema": {"properties": {"approved": {"type": "boolean"}, "note": {"type": "string"}},
                   "required": ["approved"]}})


async def test_a_role_task_pauses_and_completing_it_merges_the_form_and_finishes() -> None:
    machine = await started(chain(ROLE_TASK), context={"orderId": "o-1"})
    task = only_task(machine)
    assert db(machine).instance["status"] == "PAUSED" and db(machine).instance["current_step_id"] == "review"
    assert (task["status"], task["assigned_to"], task["assigned_to_roles"]) == ("PENDING", None, ["admin"])
    assert task["task_name"] == "Review" and task["description"] == "Please review"
    # A full ISO-8601 duration (days, hours and minutes), added exactly.
    assert task["due_date"] == (machine.effects.now() + timedelta(days=1, hours=2, minutes=30)).isoformat()
    assert db(machine).of("USER_TASK_CREATED")[0]["assignedToRoles"] == ["admin"]

    result = await machine.complete_task(CompleteTaskInput(ADMIN, task["id"], {"approved": True}, "ok"))
    assert result["task"]["status"] == "COMPLETED" and result["task"]["completedBy"] == "user-1"
    assert result["task"]["comments"] == "ok"
    assert db(machine).instance["status"] == "COMPLETED"
    assert db(machine).instance["context"] == {"orderId": "o-1", "approved": True}
    review = next(s for s in db(machine).steps.values() if s["step_id"] == "review")
    assert review["status"] == "COMPLETED" and review["output_data"] == {"userTaskId": task["id"],
                                                                         "formData": {"approved": True}}
    assert db(machine).of("USER_TASK_COMPLETED")[0]["formData"] == {"approved": True}


@pytest.mark.parametrize(("form", "message"), [
    ({}, "Required field missing: approved"),
    ({"approved": None}, "Required field missing: approved"),
    ({"approved": "yes"}, "Invalid value for field approved: expected boolean"),
    ({"approved": True, "note": 3}, "Invalid value for field note: expected string"),
])
async def test_form_data_is_checked_against_the_json_schema(form: dict[str, Any], message: str) -> None:
    machine = await started(chain(ROLE_TASK))
    task = only_task(machine)
    with pytest.raises(EngineError) as refused:
        machine.check_complete(CompleteTaskInput(ADMIN, task["id"], form))
    assert (refused.value.code, refused.value.message) == ("FORM_VALIDATION_FAILED", message)


async def test_fields_shaped_forms_are_checked_too() -> None:
    fields = step("fill", "USER_TASK", userTaskConfig={"formSchema": {"fields": [
        {"name": "amount", "type": "number", "label": "Amount", "required": True},
        {"name": "kind", "type": "select", "label": "Kind", "options": ["a", "b"]}]}})
    machine = await started(chain(fields))
    task = only_task(machine)
    cases: list[tuple[dict[str, Any], str]] = [({}, "Required field missing: amount"),
                          ({"amount": "1"}, "Invalid value for field amount: expected number"),
                          ({"amount": 1, "kind": "c"}, "Invalid value for field kind: must be one of ['a', 'b']")]
    for form, message in cases:
        with pytest.raises(EngineError) as refused:
            machine.check_complete(CompleteTaskInput(ADMIN, task["id"], form))
        assert refused.value.message == message
    await machine.complete_task(CompleteTaskInput(ADMIN, task["id"], {"amount": 2, "kind": "a"}))
    assert db(machine).instance["status"] == "COMPLETED"


async def test_claim_rules_follow_the_reference_and_decisions() -> None:
    machine = await started(chain(ROLE_TASK))
    task_id = only_task(machine)["id"]
    with pytest.raises(EngineError) as refused:
        machine.check_claim(ClaimTaskInput(STRANGER, task_id))
    assert refused.value.code == "TASK_FORBIDDEN"
    claimed = await machine.claim_task(ClaimTaskInput(ADMIN, task_id))
    assert (claimed["task"]["status"], claimed["task"]["claimedBy"]) == ("IN_PROGRESS", "user-1")
    assert db(machine).of("USER_TASK_STARTED") == [{"taskId": task_id, "taskName": "Review", "claimedBy": "user-1"}]
    with pytest.raises(EngineError) as again:
        machine.check_claim(ClaimTaskInput(ADMIN, task_id))
    assert (again.value.code, again.value.message) == ("TASK_NOT_FOUND", "Task not found or already claimed")
    with pytest.raises(EngineError) as other:
        machine.check_complete(CompleteTaskInput(STRANGER, task_id, {"approved": True}))
    assert other.value.code == "TASK_FORBIDDEN"
    await machine.complete_task(CompleteTaskInput(MANAGER, task_id, {"approved": False}))
    with pytest.raises(EngineError) as done:
        machine.check_complete(CompleteTaskInput(ADMIN, task_id, {"approved": True}))
    assert (done.value.code, done.value.message) == ("TASK_NOT_FOUND", "Task not found or already completed")


async def test_a_directly_assigned_task_cannot_be_claimed() -> None:
    machine = await started(chain(step("review", "USER_TASK", userTaskConfig={"assignedTo": "user-7"})))
    task = only_task(machine)
    assert (task["assigned_to"], task["assigned_to_roles"]) == ("user-7", None)
    with pytest.raises(EngineError) as refused:
        machine.check_claim(ClaimTaskInput(ADMIN, task["id"]))
    assert refused.value.code == "TASK_ALREADY_ASSIGNED"
    await machine.complete_task(CompleteTaskInput(Actor(user_id="user-7"), task["id"], {}))
    assert db(machine).instance["status"] == "COMPLETED"


async def test_sla_breach_escalates_reassigns_and_notifies() -> None:
    effects = MemoryEffects()
    task_step = step("review", "USER_TASK", userTaskConfig={
        "assignedTo": ["clerk"], "slaDuration": "PT4H", "escalationRules": [
            {"trigger": "sla_breach", "action": "reassign", "escalateTo": "manager-1"},
            {"trigger": "sla_breach", "action": "notify", "notifyUsers": ["ops-1"]}]})
    machine = await started(chain(task_step), effects)
    due = machine.next_deadline()
    assert due == effects.now() + timedelta(hours=4)
    effects.clock = due
    await machine.fire_due()
    task = only_task(machine)
    assert (task["status"], task["assigned_to"], task["escalated_to"]) == ("ESCALATED", "manager-1", "manager-1")
    assert task["escalated_at"] == due.isoformat()
    [escalated] = db(machine).of("USER_TASK_ESCALATED")
    assert escalated["notifyUsers"] == ["ops-1"] and escalated["actions"] == ["reassign", "notify"]
    [notice] = effects.calls
    assert notice.input.activity_type == "EMIT_EVENT"
    assert notice.input.config["eventName"] == "workflows.task.escalated"
    assert machine.next_deadline() is None  # escalates once
    await machine.complete_task(CompleteTaskInput(Actor(user_id="manager-1"), task["id"], {}))
    assert db(machine).instance["status"] == "COMPLETED"


# --- WAIT_FOR_SIGNAL ---------------------------------------------------------------------------------

SIGNAL_STEP = step("wait", "WAIT_FOR_SIGNAL", signalConfig={"signalName": "approval"})


async def test_a_signal_resumes_with_its_payload_merged() -> None:
    machine = await started(chain(SIGNAL_STEP))
    assert db(machine).instance["status"] == "PAUSED"
    assert db(machine).of("SIGNAL_AWAITING") == [{"signalName": "approval", "timeout": None, "description": None}]
    with pytest.raises(EngineError) as mismatch:
        machine.check_signal(SignalInput(ADMIN, "nope"))
    assert mismatch.value.code == "SIGNAL_NAME_MISMATCH"
    assert mismatch.value.details == {"expected": "approval", "received": "nope"}
    await machine.signal(SignalInput(ADMIN, "approval", {"decidedBy": "qa"}))
    context = db(machine).instance["context"]
    assert context["decidedBy"] == "qa" and context["signal_approval_payload"] == {"decidedBy": "qa"}
    assert "signal_approval_receivedAt" in context
    assert db(machine).instance["status"] == "COMPLETED"
    with pytest.raises(EngineError) as late:
        machine.check_signal(SignalInput(ADMIN, "approval"))
    assert late.value.code == "WORKFLOW_NOT_PAUSED"


async def test_a_signal_to_a_task_step_is_refused() -> None:
    machine = await started(chain(ROLE_TASK))
    with pytest.raises(EngineError) as refused:
        machine.check_signal(SignalInput(ADMIN, "approval"))
    assert refused.value.code == "NOT_WAITING_FOR_SIGNAL"


async def test_a_signal_timeout_follows_the_timer_transition() -> None:
    effects = MemoryEffects()
    definition = {
        "steps": [step("start", "START"), step("wait", "WAIT_FOR_SIGNAL",
                                               signalConfig={"signalName": "go", "timeout": "PT2H"}),
                  step("late", "AUTOMATED"), step("end", "END")],
        "transitions": [move("start", "wait"), move("wait", "end"), move("wait", "late", trigger="timer"),
                        move("late", "end")],
    }
    machine = await started(definition, effects)
    assert db(machine).of("SIGNAL_AWAITING")[0]["timeout"] == 7_200_000
    effects.clock = machine.next_deadline()  # type: ignore[assignment]
    await machine.fire_due()
    assert db(machine).of("SIGNAL_TIMEOUT") == [{"signalName": "go", "stepId": "wait", "timeout": "PT2H"}]
    assert db(machine).instance["status"] == "COMPLETED"
    assert [e["toStepId"] for e in db(machine).of("TRANSITION_EXECUTED")] == ["wait", "late", "end"]


async def test_a_signal_timeout_without_a_timer_transition_fails_the_instance() -> None:
    effects = MemoryEffects()
    machine = await started(chain(step("wait", "WAIT_FOR_SIGNAL", signalConfig={"signalName": "go",
                                                                                "timeout": "P2D"})), effects)
    effects.clock += timedelta(days=2)
    await machine.fire_due()
    assert db(machine).instance["status"] == "FAILED"
    assert db(machine).instance["error_message"] == 'Signal "go" timed out after P2D'


# --- WAIT_FOR_TIMER ----------------------------------------------------------------------------------

async def test_a_timer_step_rests_until_its_time() -> None:
    effects = MemoryEffects()
    machine = await started(chain(step("nap", "WAIT_FOR_TIMER", config={"duration": "PT5M"})), effects)
    [awaiting] = db(machine).of("TIMER_AWAITING")
    assert awaiting["jobId"] and awaiting["fireAt"] == "2026-01-01T00:05:00.000Z"
    assert db(machine).instance["status"] == "PAUSED"
    effects.clock += timedelta(minutes=4)
    await machine.fire_due()
    assert db(machine).instance["status"] == "PAUSED"
    effects.clock += timedelta(minutes=1)
    await machine.fire_due()
    assert db(machine).instance["status"] == "COMPLETED"
    assert db(machine).of("TIMER_FIRED")[0]["stepId"] == "nap"


async def test_a_timer_in_the_past_fires_at_once_and_a_bad_one_fails() -> None:
    machine = await started(chain(step("nap", "WAIT_FOR_TIMER", config={"until": "2020-01-01T00:00:00Z"})))
    assert db(machine).instance["status"] == "COMPLETED"
    nap = next(s for s in db(machine).steps.values() if s["step_id"] == "nap")
    assert nap["output_data"]["timerFiredImmediately"] is True
    broken = await started(chain(step("nap", "WAIT_FOR_TIMER", config={"until": "{{context.when}}"})),
                           context={"when": "not a date"})
    assert db(broken).instance["status"] == "FAILED"
    assert db(broken).instance["error_message"] == 'WAIT_FOR_TIMER invalid "until" datetime: not a date'


# --- SUB_WORKFLOW ------------------------------------------------------------------------------------

async def test_a_child_runs_with_mapped_input_and_its_output_is_merged() -> None:
    effects = MemoryEffects()
    effects.definitions["child.flow"] = chain()
    sub = step("sub", "SUB_WORKFLOW", config={"subWorkflowId": "child.flow", "inputMapping": {"order.id": "orderId"},
                                              "outputMapping": {"childTotal": "total"}})
    machine = await started(chain(sub), effects, context={"orderId": "o-9"}, metadata={"initiatedBy": "user-1"})
    [child] = effects.children
    assert child.context == {"order": {"id": "o-9"}} and child.parent_instance_id == "inst-1"
    assert child.metadata["labels"]["parentStepId"] == "sub"  # type: ignore[index]
    assert db(machine).instance["status"] == "PAUSED"
    await machine.child_finished(child.instance_id, {"status": "COMPLETED", "context": {"total": 42}})
    assert db(machine).instance["status"] == "COMPLETED"
    assert db(machine).instance["context"] == {"orderId": "o-9", "childTotal": 42}
    assert db(machine).of("SUB_WORKFLOW_COMPLETED")[0]["outputData"] == {"childTotal": 42}


async def test_a_failed_child_fails_the_parent_and_a_missing_one_fails_at_once() -> None:
    effects = MemoryEffects()
    effects.definitions["child.flow"] = chain()
    machine = await started(chain(step("sub", "SUB_WORKFLOW", subWorkflowConfig={"subWorkflowId": "child.flow"})),
                            effects)
    [child] = effects.children
    await machine.child_finished(child.instance_id, {"status": "FAILED", "errorMessage": "boom"})
    assert db(machine).instance["status"] == "FAILED"
    assert db(machine).instance["error_message"] == "Sub-workflow failed: boom"
    missing = await started(chain(step("sub", "SUB_WORKFLOW", config={"subWorkflowId": "nope"})))
    assert db(missing).instance["error_message"] == ("Sub-workflow execution failed: Workflow definition not found: "
                                                     "nope")


# --- PARALLEL_FORK / PARALLEL_JOIN --------------------------------------------------------------------

async def test_branches_run_concurrently_into_their_namespaces_and_join() -> None:
    effects = MemoryEffects(ticks={"work_a": 3, "work_b": 1})
    definition = fork_join(("a", {"activities": [act("work_a")]}), ("b", {"activities": [act("work_b")]}))
    definition["steps"][-2]["config"]["outputMapping"] = {"fromA": "branches.fork-to-a.answer"}
    definition["transitions"][1]["activities"] = [act("tag", config={"functionName": "tag"}, name="answer")]
    effects.activities["tag"] = lambda _i, _a: {"x": 1}
    machine = await started(definition, effects)
    instance = db(machine).instance
    assert instance["status"] == "COMPLETED"
    assert set(instance["context"]["branches"]) == {"fork-to-a", "fork-to-b"}
    assert instance["context"]["branches"]["fork-to-a"] == {"answer": {"x": 1}}
    assert instance["context"]["fromA"] == {"x": 1}
    # b's activity started before a's finished: both ran at once.
    timeline = effects.timeline
    assert timeline.index(("start", "work_b")) < timeline.index(("end", "work_a"))
    branches = list(db(machine).branches.values())
    assert sorted(b["status"] for b in branches) == ["COMPLETED", "COMPLETED"]
    types = db(machine).types()
    assert types.count("PARALLEL_BRANCH_COMPLETED") == 2 and "PARALLEL_JOIN_COMPLETED" in types
    assert db(machine).of("PARALLEL_FORK_OPENED")[0]["branchKeys"] == ["fork-to-a", "fork-to-b"]


async def test_a_task_in_a_branch_keeps_the_fork_open_until_completed() -> None:
    definition = fork_join(("auto_branch", {}), ("task_branch", {"stepType": "USER_TASK",
                                                                 "userTaskConfig": {"assignedTo": "admin"}}),
                           after_join=[step("review", "USER_TASK", userTaskConfig={"assignedTo": ["admin"]})])
    machine = await started(definition)
    assert db(machine).instance["status"] == "FORKED"
    task = only_task(machine, "PENDING")
    assert task["branch_instance_id"] is not None
    await machine.complete_task(CompleteTaskInput(ADMIN, task["id"], {"approved": True}))
    assert db(machine).instance["context"]["branches"]["fork-to-task_branch"] == {"approved": True}
    assert "approved" not in db(machine).instance["context"]
    assert db(machine).instance["status"] == "PAUSED" and db(machine).instance["current_step_id"] == "review"
    review = only_task(machine, "PENDING")
    await machine.complete_task(CompleteTaskInput(ADMIN, review["id"], {}))
    assert db(machine).instance["status"] == "COMPLETED"


async def test_signals_and_timers_inside_branches() -> None:
    effects = MemoryEffects()
    definition = fork_join(("wait", {"stepType": "WAIT_FOR_SIGNAL", "signalConfig": {"signalName": "go"}}),
                           ("nap", {"stepType": "WAIT_FOR_TIMER", "config": {"duration": "PT1H"}}))
    machine = await started(definition, effects)
    assert db(machine).instance["status"] == "FORKED"
    with pytest.raises(EngineError) as refused:
        machine.check_signal(SignalInput(ADMIN, "other"))
    assert refused.value.code == "NO_BRANCH_AWAITING_SIGNAL"
    await machine.signal(SignalInput(ADMIN, "go", {"v": 1}))
    assert db(machine).instance["status"] == "FORKED"
    effects.clock += timedelta(hours=1)
    await machine.fire_due()
    instance = db(machine).instance
    assert instance["status"] == "COMPLETED"
    assert instance["context"]["branches"]["fork-to-wait"]["v"] == 1


async def test_a_failed_branch_cancels_its_siblings_and_their_tasks() -> None:
    effects = MemoryEffects(activities={"boom": fails("no such function", retryable=False)})
    definition = fork_join(("task_branch", {"stepType": "USER_TASK", "userTaskConfig": {"assignedTo": "admin"}}),
                           ("failing_step", {}), failing_step={"activities": [act("boom")]})
    machine = await started(definition, effects)
    instance = db(machine).instance
    assert instance["status"] == "FAILED"
    assert only_task(machine)["status"] == "CANCELLED"
    assert db(machine).of("PARALLEL_BRANCH_CANCELLED") == [{"branchKey": "fork-to-task_branch",
                                                            "reason": "sibling-failed"}]
    assert db(machine).of("PARALLEL_FORK_FAILED")[0]["failedBranchKey"] == "fork-to-failing_step"


async def test_an_async_branch_waits_for_its_activities() -> None:
    effects = MemoryEffects()
    definition = fork_join(("slow", {}), ("quick", {}),
                           slow={"activities": [act("async_wait", "WAIT", background=True,
                                                    config={"duration": "PT1S"})]})
    machine = await started(definition, effects)
    assert db(machine).instance["status"] == "COMPLETED"
    assert effects.sleeps == [1.0]


# --- cancel and advance ------------------------------------------------------------------------------

async def test_cancel_cleans_up_tasks_branches_timers_and_children() -> None:
    effects = MemoryEffects()
    effects.definitions["child.flow"] = chain()
    definition = fork_join(("task_branch", {"stepType": "USER_TASK", "userTaskConfig": {"assignedTo": ["admin"]}}),
                           ("sub", {"stepType": "SUB_WORKFLOW", "config": {"subWorkflowId": "child.flow"}}),
                           ("nap", {"stepType": "WAIT_FOR_TIMER", "config": {"duration": "P1D"}}))
    machine = await started(definition, effects)
    assert machine.next_deadline() is not None
    await machine.cancel("user-1")
    assert db(machine).instance["status"] == "CANCELLED"
    assert only_task(machine)["status"] == "CANCELLED"
    assert sorted(b["status"] for b in db(machine).branches.values()) == ["CANCELLED"] * 3
    assert effects.cancelled_children == [effects.children[0].instance_id]
    assert machine.next_deadline() is None
    assert db(machine).types().count("USER_TASK_CANCELLED") == 1


async def test_advancing_away_from_a_task_cancels_it() -> None:
    definition = chain(ROLE_TASK)
    definition["transitions"].append(move("review", "end", trigger="manual") | {"transitionId": "skip"})
    machine = await started(definition)
    await machine.advance(AdvanceInput(ADMIN, to_step_id="end"))
    assert db(machine).instance["status"] == "COMPLETED"
    assert only_task(machine)["status"] == "CANCELLED"


async def test_retrying_a_failed_fork_opens_it_anew() -> None:
    attempts = {"n": 0}

    def flaky(_input: Any, _attempt: int) -> Any:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise Fail("down", retryable=False)
        return {"ok": True}

    effects = MemoryEffects(activities={"work": flaky})
    machine = await started(fork_join(("a", {"activities": [act("work")]}), ("b", {})), effects)
    assert db(machine).instance["status"] == "FAILED"
    with pytest.raises(EngineError) as refused:
        machine.check_advance()
    assert refused.value.code == "WORKFLOW_FAILED"
    await machine.retry("user-1")
    instance = db(machine).instance
    assert instance["status"] == "COMPLETED" and instance["retry_count"] == 1
    assert db(machine).types().count("PARALLEL_FORK_OPENED") == 2
    assert set(instance["context"]["branches"]) == {"fork-to-a", "fork-to-b"}


async def test_a_forked_instance_cannot_be_advanced_by_hand() -> None:
    machine = await started(fork_join(("wait", {"stepType": "WAIT_FOR_SIGNAL"}), ("b", {})))
    assert db(machine).instance["status"] == "FORKED"
    with pytest.raises(EngineError) as refused:
        await machine.advance(AdvanceInput(ADMIN))
    assert refused.value.code == "NO_VALID_TRANSITIONS"
    assert refused.value.details["reason"] == "Parallel branches are running"


async def test_a_task_step_timeout_cancels_the_task_and_follows_the_timer_transition() -> None:
    effects = MemoryEffects()
    definition = {
        "steps": [step("start", "START"), step("review", "USER_TASK", timeout="PT8H",
                                                 userTaskConfig={"assignedTo": ["admin"]}),
                  step("auto_reject", "AUTOMATED"), step("end", "END")],
        "transitions": [move("start", "review"), move("review", "end"),
                        move("review", "auto_reject", trigger="timer"), move("auto_reject", "end")],
    }
    machine = await started(definition, effects)
    effects.clock += timedelta(hours=8)
    await machine.fire_due()
    assert db(machine).instance["status"] == "COMPLETED"
    assert only_task(machine)["status"] == "CANCELLED"
    review = next(s for s in db(machine).steps.values() if s["step_id"] == "review")
    assert review["status"] == "FAILED" and review["error_data"]["error"] == 'Step "review" timed out after PT8H'
    assert [e["toStepId"] for e in db(machine).of("TRANSITION_EXECUTED")] == ["review", "auto_reject", "end"]


async def test_an_automated_step_timeout_bounds_its_activities() -> None:
    effects = MemoryEffects(ticks={"slow": 5})
    slow = await started(chain(step("work", timeout="PT1S", activities=[act("slow")])), effects)
    assert db(slow).instance["status"] == "FAILED"
    assert db(slow).instance["error_message"] == 'Step "work" timed out after PT1S'
    quick = await started(chain(step("work", timeout="PT1S", activities=[act("quick")])))
    assert db(quick).instance["status"] == "COMPLETED"
