"""Local activities (docs/workflows.md, "Local activities"): which definition activities run locally, that a
chain of them completes in one workflow task, and that the definition's retry policy, timeouts and its
`local` override still hold; idempotency keys name an execution's place, whatever order concurrent work
finished in. Replays of instances started under each earlier rule are in test_replay.py (histories without a
suffix: before local activities; `_local`: local by type, counter keys; `_opt_in`: local only when asked;
`_positions`: local by type, keys by position, today's rule; `_level1`: the same rule, by the run's level
instead of a patch marker; `_level2`: row and event ids by scope; `_level3`: guard keys by scope too); the ids
and guard keys of parallel branches whatever order they finish in; a worker killed in the middle of a chain of
local activities is in test_durability.py."""

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
from tests.engine.memory import Fail, MemoryEffects, act, build, chain, move, step
from tests.engine.runner import Runner


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
    definition = chain(*(step(f"a{i}", activities=[act(f"work_{i}")]) for i in (1, 2, 3)))
    handle = await runner.start(definition)
    assert (await handle.result())["status"] == "COMPLETED"
    assert [c.activity_id for c in stand_ins.calls(handle.id)] == ["work_1", "work_2", "work_3"]
    types = await history_types(handle)
    assert types.count("workflow_task_completed_event_attributes") == 1
    assert "activity_task_scheduled_event_attributes" not in types
    assert types.count("marker_recorded_event_attributes") >= 4  # three activities, the projection


async def patch_markers(handle: Any) -> list[str]:
    """The patch ids the run recorded, and whether it upserted TemporalChangeVersion for them."""
    ids = []
    for event in (await handle.fetch_history()).events:
        if event.HasField("marker_recorded_event_attributes"):
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == "core_patch":
                ids.append(marker.details["patch-data"].payloads[0].data.decode())
        if event.HasField("upsert_workflow_search_attributes_event_attributes"):
            ids.append("upsert")
    return ids


async def test_a_run_of_the_current_level_has_every_change_without_a_patch_marker(runner: Runner) -> None:
    definition = chain(*(step(f"a{i}", activities=[act(f"work_{i}")]) for i in (1, 2)))
    current = await runner.start(definition)
    level_1 = await runner.start(definition, engine_level=1)
    before_levels = await runner.start(definition, engine_level=0)
    for handle in (current, level_1, before_levels):
        assert (await handle.result())["status"] == "COMPLETED"
    assert await patch_markers(current) == []
    # A run below a change's level asks `workflow.patched` about it: a marker for the change (ids by scope, asked
    # at the first id, and for a run started before levels keys by position too, the newest of the first
    # level's changes and asked first), each with its search-attribute upsert, which the server writes to its
    # visibility store.
    [marker, upsert] = await patch_markers(level_1)
    assert "ids-by-scope" in marker and upsert == "upsert"
    [scope_marker, _, keys_marker, _] = await patch_markers(before_levels)
    assert "ids-by-scope" in scope_marker and "activity-keys-by-position" in keys_marker
    # All three have today's behaviour: local activities, keys by position (the run id in every key).
    for handle in (current, level_1, before_levels):
        keys = [c.idempotency_key for c in stand_ins.calls(handle.id)]
        assert len(keys) == 2 and all(f":{handle.result_run_id}:" in key for key in keys), keys
        assert "activity_task_scheduled_event_attributes" not in await history_types(handle)


async def test_local_false_keeps_an_activity_remote(runner: Runner) -> None:
    definition = chain(step("a1", activities=[act("work", local=False)]), step("a2", activities=[act("more")]))
    handle = await runner.start(definition)
    assert (await handle.result())["status"] == "COMPLETED"
    assert (await history_types(handle)).count("activity_task_scheduled_event_attributes") == 1


async def test_a_local_activity_gets_its_retry_policy_and_its_idempotency_key_per_execution(runner: Runner) -> None:
    policy = {"maxAttempts": 4, "initialIntervalMs": 10, "backoffCoefficient": 2, "maxIntervalMs": 40}
    definition = chain(step("a1", activities=[act("flaky", config={"failTimes": 2}, retryPolicy=policy)]))
    handle = await runner.start(definition)
    assert (await handle.result())["status"] == "COMPLETED"
    calls = stand_ins.calls(handle.id)
    assert len(calls) == 3 and len({c.idempotency_key for c in calls}) == 1
    steps = await runner.steps(handle.id)
    assert steps[0].status == "COMPLETED"


async def test_a_local_activity_that_fails_for_good_fails_the_instance_with_its_attempts(runner: Runner) -> None:
    policy = {"maxAttempts": 2, "initialIntervalMs": 10, "backoffCoefficient": 1, "maxIntervalMs": 0}
    definition = chain(step("a1", activities=[act("bad", config={"failTimes": 5, "error": "nope"},
                                                  retryPolicy=policy)]))
    handle = await runner.start(definition)
    row = await runner.wait_for(handle.id, lambda r: r.status == "FAILED")
    assert (row.error_message or "").endswith("Bad: Activity failed after 2 attempts: nope")
    assert len(stand_ins.calls(handle.id)) == 2
    await handle.terminate()


async def test_a_local_activity_over_its_timeout_fails_the_attempt(own_runner: Runner) -> None:
    gate = f"never-{uuid.uuid4()}"
    definition = chain(step("a1", activities=[act("slow", config={"gate": gate}, timeoutMs=300)]))
    handle = await own_runner.start(definition)
    row = await own_runner.wait_for(handle.id, lambda r: r.status == "FAILED")
    assert (row.error_message or "").endswith("Slow: Activity failed after 1 attempts: Activity execution timeout "
                                              "after 300ms")
    await handle.terminate()


async def test_a_cancel_sent_while_a_local_activity_runs_is_handled_once_it_finished(own_runner: Runner) -> None:
    """The request waits for the running local activity (it is not interrupted, unlike a regular one), then
    applies: the instance, resting at the task the chain reached, ends CANCELLED."""
    gate = f"cancel-{uuid.uuid4()}"
    definition = chain(step("a1", activities=[act("slow", config={"gate": gate})]),
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


def fork_of_chains() -> dict[str, Any]:
    """start → fork → branch a (a_1, a_2) and branch b (b_1, b_2), side by side → join → end."""
    steps = [step("start", "START"), step("fork", "PARALLEL_FORK", config={"joinStepId": "join"}),
             step("a", activities=[act("a_1"), act("a_2")]), step("b", activities=[act("b_1"), act("b_2")]),
             step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}), step("end", "END")]
    transitions = [move("start", "fork"), move("fork", "a"), move("fork", "b"), move("a", "join"),
                   move("b", "join"), move("join", "end")]
    return {"steps": steps, "transitions": transitions}


async def keys_when(first_done: str, run: str | None) -> dict[str, str]:
    """Each activity's idempotency key when the branches run with `first_done`'s first activity finishing first."""
    slow = "a_1" if first_done == "b" else "b_1"
    effects = MemoryEffects(ticks={slow: 5}, run=run)
    machine = build(fork_of_chains(), effects)
    await machine.start()
    assert effects.store.instance is not None and effects.store.instance["status"] == "COMPLETED"
    order = [c.input.activity_id for c in effects.calls]
    assert order.index(f"{first_done}_2") < order.index(f"{'a' if first_done == 'b' else 'b'}_2"), order
    return {c.input.activity_id: c.input.idempotency_key for c in effects.calls}


async def test_keys_name_the_execution_whatever_order_parallel_branches_finish_in() -> None:
    """A worker killed before its workflow task completes has already done its local activities' effects; the
    next worker runs them again, and its branches may finish in another order: the keys must not change."""
    b_first, a_first = await keys_when("b", "run-1"), await keys_when("a", "run-1")
    assert b_first == a_first
    assert a_first == {"a_1": "inst-1:run-1:fork-to-a/a_1:1", "a_2": "inst-1:run-1:fork-to-a/a_2:1",
                       "b_1": "inst-1:run-1:fork-to-b/b_1:1", "b_2": "inst-1:run-1:fork-to-b/b_2:1"}
    # The counter over all executions (instances started before keys by position keep it) is what swapped
    # them: the second activities took numbers in the order the first ones finished.
    old_b_first, old_a_first = await keys_when("b", None), await keys_when("a", None)
    assert old_b_first["a_2"] == "inst-1:0:a_2:4" and old_a_first["a_2"] == "inst-1:0:a_2:2"


async def ids_when(first_done: str, scoped: bool) -> dict[tuple[Any, ...], str]:
    """Each step row's id and event's key by what it is (step, branch, event type, how many such before it) when
    the branches run with `first_done`'s first activity finishing first."""
    slow = "a_1" if first_done == "b" else "b_1"
    effects = MemoryEffects(ticks={slow: 5}, scoped_ids=scoped)
    machine = build(fork_of_chains(), effects)
    await machine.start()
    store = effects.store
    assert store.instance is not None and store.instance["status"] == "COMPLETED"
    branches = {row["id"]: row["branch_key"] for row in store.branches.values()}
    steps = {row["id"]: (row["step_id"], branches.get(row["branch_instance_id"])) for row in store.steps.values()}
    named: dict[tuple[Any, ...], str] = {("step", *place): id_ for id_, place in steps.items()}
    seen: dict[tuple[Any, ...], int] = {}
    for event in store.events:
        what = (event["event_type"], steps.get(event["step_instance_id"]), branches.get(event["branch_instance_id"]))
        seen[what] = seen.get(what, 0) + 1
        named[(*what, seen[what])] = event["event_key"]
    return named


async def test_rows_and_events_are_named_the_same_whatever_order_parallel_branches_finish_in() -> None:
    """The projection a lost workflow task's local activities wrote is written again by the next worker, whose
    branches may finish in another order: each step row and event must get the id it got the first time, or
    one event is written twice and another never (the store skips a key it has)."""
    b_first, a_first = await ids_when("b", scoped=True), await ids_when("a", scoped=True)
    assert b_first == a_first
    assert a_first[("step", "a", "fork-to-a")] == "id/fork-to-a#1"
    # Drawn in turn over the whole instance (runs before level 2), the branches' ids swap.
    old_b_first, old_a_first = await ids_when("b", scoped=False), await ids_when("a", scoped=False)
    assert old_b_first.keys() == old_a_first.keys() and old_b_first != old_a_first


async def guard_keys_when(first_done: str, guard_run: str | None) -> dict[str, str]:
    """Each branch's guard key (a pre-condition on its way to the join) when `first_done`'s branch gets there
    first."""
    definition = fork_of_chains()
    for transition in definition["transitions"]:
        if transition["toStepId"] == "join":
            transition["preConditions"] = [{"ruleId": "ok"}]
    slow = "a_1" if first_done == "b" else "b_1"
    effects = MemoryEffects(ticks={slow: 5}, rules={"ok": lambda _data: True}, guard_run=guard_run)
    machine = build(definition, effects)
    await machine.start()
    assert effects.store.instance is not None and effects.store.instance["status"] == "COMPLETED"
    assert [g.data["fromStepId"] for g in effects.guards][0] == first_done
    return {g.data["fromStepId"]: g.idempotency_key or "" for g in effects.guards}


async def test_guard_keys_name_the_evaluation_whatever_order_parallel_branches_finish_in() -> None:
    """The guard activity is local, and its key finds the verdict of an evaluation that already ran: a workflow
    task run again after its worker died must key each branch's guard as the first run did, or each branch
    would get the other's verdict."""
    b_first, a_first = await guard_keys_when("b", "run-1"), await guard_keys_when("a", "run-1")
    assert b_first == a_first == {"a": "inst-1:run-1:/fork-to-a:guard:1", "b": "inst-1:run-1:/fork-to-b:guard:1"}
    # Counted over the whole instance (runs before level 3), the first branch to get there takes number 1.
    assert await guard_keys_when("b", None) == {"b": "inst-1:0:guard:1", "a": "inst-1:0:guard:2"}
    assert await guard_keys_when("a", None) == {"a": "inst-1:0:guard:1", "b": "inst-1:0:guard:2"}


async def test_every_execution_of_an_activity_gets_a_key_of_its_own() -> None:
    """Run again (here by a retry of the failed instance) it is a new execution: the count goes up."""
    runs: list[str] = []

    def job(_input: Any, _attempt: int) -> Any:
        runs.append("job")
        if len(runs) == 1:
            raise Fail("not yet")
        return {"ok": True}

    definition = {"steps": [step("start", "START"), step("work"), step("end", "END")],
                  "transitions": [move("start", "work", activities=[act("job")]), move("work", "end")]}
    effects = MemoryEffects(activities={"job": job})
    machine = build(definition, effects)
    await machine.start()
    assert effects.store.instance is not None and effects.store.instance["status"] == "FAILED"
    await machine.retry("user-1")
    assert effects.store.instance["status"] == "COMPLETED"
    assert [c.input.idempotency_key for c in effects.calls] == ["inst-1:run-1:job:1", "inst-1:run-1:job:2"]
