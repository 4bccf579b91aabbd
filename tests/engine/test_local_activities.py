"""Local activities (docs/workflows.md, "Local activities"): which definition activities run locally, that a
chain of them completes in one workflow task, and that the definition's retry policy, timeouts and its
`local` override still hold. Replays of instances started before the change are in test_replay.py (the
histories without `_local`); a worker killed mid-flight is in test_durability.py (EMIT_EVENT and
UPDATE_ENTITY run locally there)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from definitions import parse_definition
from definitions.model import LOCAL_ACTIVITY_TYPES
from engine._activities import runs_locally
from engine.contract import UPDATE_CANCEL, Actor, UpdateResult
from tests.engine import stand_ins
from tests.engine.memory import act, chain, step
from tests.engine.runner import Runner


def local_act(name: str, **extra: Any) -> Any:
    """An activity that asks to run locally: since the opt-in patch, new instances run an activity locally
    only when its definition says so (the type alone no longer decides)."""
    return act(name, **{"local": True, **extra})


def activity(activity_type: str = "EXECUTE_FUNCTION", **extra: Any) -> Any:
    definition = parse_definition(chain(step("only", activities=[act("x", activity_type, **extra)])))
    found = definition.steps[1].activities
    assert found
    return found[0]


@pytest.mark.parametrize("activity_type", ["EXECUTE_FUNCTION", "EMIT_EVENT", "UPDATE_ENTITY", "SEND_EMAIL"])
def test_short_activity_types_run_locally_when_sync(activity_type: str) -> None:
    assert activity_type in LOCAL_ACTIVITY_TYPES
    assert runs_locally(activity(activity_type))
    assert not runs_locally(activity(activity_type, background=True))


@pytest.mark.parametrize("activity_type", ["CALL_API", "CALL_WEBHOOK"])
def test_calls_to_other_systems_run_remotely(activity_type: str) -> None:
    assert not runs_locally(activity(activity_type))
    assert runs_locally(activity(activity_type, local=True))


def test_the_definition_overrides_the_type_within_the_local_limit() -> None:
    assert not runs_locally(activity(local=False))
    assert runs_locally(activity(background=True, local=True))
    assert runs_locally(activity(timeoutMs=60_000))
    # Longer attempts than a local activity may take, or a timer: never local, whatever the definition says.
    assert not runs_locally(activity(timeoutMs=60_001, local=True))
    assert not runs_locally(activity(timeout="PT2M"))
    assert not runs_locally(activity("WAIT", config={"duration": "PT1S"}, local=True))


async def history_types(handle: Any) -> list[str]:
    return [event.WhichOneof("attributes") for event in (await handle.fetch_history()).events]


async def test_a_chain_of_local_activities_completes_in_one_workflow_task(runner: Runner) -> None:
    definition = chain(*(step(f"a{i}", activities=[local_act(f"work_{i}")]) for i in (1, 2, 3)))
    handle = await runner.start(definition)
    assert (await handle.result())["status"] == "COMPLETED"
    assert [c.activity_id for c in stand_ins.calls(handle.id)] == ["work_1", "work_2", "work_3"]
    types = await history_types(handle)
    assert types.count("workflow_task_completed_event_attributes") == 1
    assert "activity_task_scheduled_event_attributes" not in types
    assert types.count("marker_recorded_event_attributes") >= 4  # the patch, three activities, the projection


async def test_local_false_keeps_an_activity_remote(runner: Runner) -> None:
    definition = chain(step("a1", activities=[act("work", local=False)]), step("a2", activities=[local_act("more")]))
    handle = await runner.start(definition)
    assert (await handle.result())["status"] == "COMPLETED"
    assert (await history_types(handle)).count("activity_task_scheduled_event_attributes") == 1


async def test_a_local_activity_gets_its_retry_policy_and_its_idempotency_key_per_execution(runner: Runner) -> None:
    policy = {"maxAttempts": 4, "initialIntervalMs": 10, "backoffCoefficient": 2, "maxIntervalMs": 40}
    definition = chain(step("a1", activities=[local_act("flaky", config={"failTimes": 2}, retryPolicy=policy)]))
    handle = await runner.start(definition)
    assert (await handle.result())["status"] == "COMPLETED"
    calls = stand_ins.calls(handle.id)
    assert len(calls) == 3 and len({c.idempotency_key for c in calls}) == 1
    steps = await runner.steps(handle.id)
    assert steps[0].status == "COMPLETED"


async def test_a_local_activity_that_fails_for_good_fails_the_instance_with_its_attempts(runner: Runner) -> None:
    policy = {"maxAttempts": 2, "initialIntervalMs": 10, "backoffCoefficient": 1, "maxIntervalMs": 0}
    definition = chain(step("a1", activities=[local_act("bad", config={"failTimes": 5, "error": "nope"},
                                                  retryPolicy=policy)]))
    handle = await runner.start(definition)
    row = await runner.wait_for(handle.id, lambda r: r.status == "FAILED")
    assert (row.error_message or "").endswith("Bad: Activity failed after 2 attempts: nope")
    assert len(stand_ins.calls(handle.id)) == 2
    await handle.terminate()


async def test_a_local_activity_over_its_timeout_fails_the_attempt(own_runner: Runner) -> None:
    gate = f"never-{uuid.uuid4()}"
    definition = chain(step("a1", activities=[local_act("slow", config={"gate": gate}, timeoutMs=300)]))
    handle = await own_runner.start(definition)
    row = await own_runner.wait_for(handle.id, lambda r: r.status == "FAILED")
    assert (row.error_message or "").endswith("Slow: Activity failed after 1 attempts: Activity execution timeout "
                                              "after 300ms")
    await handle.terminate()


async def test_a_cancel_sent_while_a_local_activity_runs_is_handled_once_it_finished(own_runner: Runner) -> None:
    """The request waits for the running local activity (it is not interrupted, unlike a regular one), then
    applies: the instance, resting at the task the chain reached, ends CANCELLED."""
    gate = f"cancel-{uuid.uuid4()}"
    definition = chain(step("a1", activities=[local_act("slow", config={"gate": gate})]),
                       step("review", "USER_TASK", userTaskConfig={"assignedTo": ["admin"]}))
    handle = await own_runner.start(definition)
    for _ in range(500):  # until the activity runs (the projection is not written before it ends)
        if stand_ins.calls(handle.id):
            break
        await asyncio.sleep(0.02)
    cancel = asyncio.ensure_future(handle.execute_update(UPDATE_CANCEL, Actor("user-3"), result_type=UpdateResult))
    await asyncio.sleep(0.5)
    assert not cancel.done()
    stand_ins.gate(gate).set()
    result = await cancel
    assert result.instance["status"] == "CANCELLED"
    assert len(stand_ins.calls(handle.id)) == 1
    steps = await own_runner.steps(handle.id)
    assert [(s.step_id, s.status) for s in steps][0] == ("a1", "COMPLETED")
