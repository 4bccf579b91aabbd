"""A simulation and a real run of the same script agree (docs/workflows.md, "Simulation"): each shipped
workflow, and a definition with a timer and a failing activity, run on the time-skipping server with the real
projection and guard activities, and through `engine.simulation` with the same script and the same tenant's
rules (dry runs); path, steps, transitions, statuses, events and final context are compared."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from api.db import sessionmaker
from api.modules.business_rules.service import execute_rule_by_rule_id, install_rules
from api.modules.workflows.shipped_rules import rules_of
from definitions import load_shipped
from engine.contract import (
    UPDATE_ADVANCE,
    UPDATE_COMPLETE_TASK,
    UPDATE_SIGNAL,
    Actor,
    AdvanceInput,
    CompleteTaskInput,
    GuardInput,
    GuardResult,
    SignalInput,
    UpdateResult,
)
from engine.simulation import (
    ActivityScript,
    Advance,
    CompleteTask,
    Event,
    FireTimer,
    Script,
    SendSignal,
    Subject,
    simulate,
)
from tests.engine.memory import act, step
from tests.engine.runner import Runner

ACTOR = Actor(user_id="user-1", roles=["admin"], can_manage=True)
CART = {"cart": {"items": [{"sku": "A-1", "quantity": 2}], "itemCount": 2, "total": 120},
        "order": {"id": "o-1", "total": 120}}
ENDED = ("COMPLETED", "FAILED", "CANCELLED", "COMPENSATED")


def shipped(workflow_id: str) -> dict[str, Any]:
    return dict(load_shipped()[workflow_id].to_json()["definition"])


def timer_then_failure() -> dict[str, Any]:
    failing = act("charge", retryPolicy={"maxAttempts": 2, "initialIntervalMs": 1000, "backoffCoefficient": 2,
                                         "maxIntervalMs": 0}, config={"failTimes": 9, "error": "card declined"})
    return {"steps": [step("start", "START"), step("cool", "WAIT_FOR_TIMER", timerConfig={"duration": "PT10M"}),
                      step("charge_step", activities=[act("quote", config={"result": {"price": 9}}), failing]),
                      step("end", "END")],
            "transitions": [{"transitionId": "start-to-cool", "fromStepId": "start", "toStepId": "cool",
                             "trigger": "auto", "activities": [act("hello", config={"result": {"hi": 1}})]},
                            {"transitionId": "cool-to-charge", "fromStepId": "cool", "toStepId": "charge_step",
                             "trigger": "auto"},
                            {"transitionId": "charge-to-end", "fromStepId": "charge_step", "toStepId": "end",
                             "trigger": "auto"}]}


# (name, definition, initial context, events, activity outcomes the stand-in gives besides {"done": id})
SCENARIOS: list[tuple[str, dict[str, Any], dict[str, Any], Sequence[Event], dict[str, ActivityScript]]] = [
    ("simple-approval", shipped("workflows.simple-approval"), {"requestId": "r-1"},
     [CompleteTask("approval", {"approved": True, "comments": "ok"}), Advance()], {}),
    ("checkout-demo", shipped("workflows.checkout-demo"), CART,
     [CompleteTask("customer_info", {"fullName": "Ann Lee", "email": "ann@example.com"}),
      SendSignal("payment_confirmed", {"paymentId": "p-1"})], {}),
    ("order-approval-approve", shipped("sales.order-approval"), {"orderId": "o-1", "total": 120},
     [CompleteTask("pending_approval", {"decision": "approve"})], {}),
    ("order-approval-reject", shipped("sales.order-approval"), {"orderId": "o-2", "total": 90},
     [CompleteTask("pending_approval", {"decision": "reject", "comments": "no"})], {}),
    ("order-approval-undecided", shipped("sales.order-approval"), {"orderId": "o-3"}, [], {}),
    ("timer-then-failure", timer_then_failure(), {"n": 1}, [FireTimer()],
     {"quote": ActivityScript(output={"price": 9}), "hello": ActivityScript(output={"hi": 1}),
      "charge": ActivityScript(ok=False, error="card declined")}),
]


async def install_shipped_rules(runner: Runner) -> None:
    async def root() -> str:
        return runner.organization_id

    async with sessionmaker()() as session:
        await install_rules(session, tenant_id=runner.tenant_id, organization_id=root, rules=rules_of())
        await session.commit()


async def dry_run(guard: GuardInput) -> GuardResult:
    """As the API's simulate endpoint asks the rules: the tenant's rules, read and evaluated, not executed."""
    async with sessionmaker()() as session:
        result = await execute_rule_by_rule_id(
            session, rule_id=guard.rule_id, tenant_id=guard.tenant_id, organization_id=guard.organization_id,
            entity_type=guard.entity_type, entity_id=guard.entity_id, event_type=guard.event_type, data=guard.data,
            user_id=guard.user_id, dry_run=guard.dry_run)
    return GuardResult(guard.rule_id, result.rule_name, bool(result.condition_result), result.error,
                       blocked=not result.allowed)


async def update(handle: Any, name: str, arg: Any) -> UpdateResult:
    result: UpdateResult = await handle.execute_update(name, arg, result_type=UpdateResult)
    return result


async def real_run(runner: Runner, definition: dict[str, Any], context: dict[str, Any],
                   events: Sequence[Event]) -> dict[str, Any]:
    handle = await runner.start(definition, context=context)
    resting = ("PAUSED", "RUNNING", *ENDED)
    await runner.wait_for(handle.id, lambda r: r.status in ("PAUSED", *ENDED))
    for event in events:
        if isinstance(event, CompleteTask):
            steps = {s.id: s.step_id for s in await runner.steps(handle.id)}
            [task] = [t for t in await runner.tasks(handle.id)
                      if t.status == "PENDING" and steps.get(t.step_instance_id or "") == event.step_id]
            await update(handle, UPDATE_COMPLETE_TASK, CompleteTaskInput(ACTOR, task.id, dict(event.data)))
        elif isinstance(event, SendSignal):
            await update(handle, UPDATE_SIGNAL, SignalInput(ACTOR, event.name, dict(event.payload or {})))
        elif isinstance(event, Advance):
            await update(handle, UPDATE_ADVANCE, AdvanceInput(ACTOR))
        elif isinstance(event, FireTimer):
            before = await runner.event_types(handle.id)
            await runner.env.sleep(3600)  # past every timer of the scenarios: the test server skips it
            await runner.wait_for(handle.id, lambda r: r.status in resting and r.current_step_id != "cool")
            assert "TIMER_FIRED" not in before
    row = await runner.wait_for(handle.id, lambda r: r.status in resting)
    events_rows = await runner.events(handle.id)
    steps = await runner.steps(handle.id)
    return {
        "status": row.status, "currentStepId": row.current_step_id, "context": row.context,
        "errorMessage": row.error_message,
        "path": [s.step_id for s in steps], "stepStatuses": [s.status for s in steps],
        "taken": [e.event_data["transitionId"] for e in events_rows if e.event_type == "TRANSITION_EXECUTED"],
        "eventTypes": Counter(e.event_type for e in events_rows),
    }


def normalized(context: dict[str, Any]) -> dict[str, Any]:
    # When a signal arrived is the server's clock in one, the virtual clock in the other.
    return {k: ("<time>" if k.endswith("_receivedAt") else v) for k, v in context.items()}


@pytest.mark.parametrize("name", [s[0] for s in SCENARIOS])
async def test_a_simulation_and_a_real_run_agree(runner: Runner, name: str) -> None:
    _, definition, context, events, outcomes = next(s for s in SCENARIOS if s[0] == name)
    await install_shipped_rules(runner)
    real = await real_run(runner, definition, context, events)

    # What the stand-in activity answers: its config's `result`, else {"done": <activityId>}.
    activities = {a["activityId"]: [ActivityScript(output={"done": a["activityId"]})]
                  for a in _activities(definition)}
    activities.update({k: [v] for k, v in outcomes.items()})
    script = Script(start_at=datetime(2026, 1, 1, tzinfo=UTC), context=context, events=events,
                    activities=activities)
    subject = Subject(tenant_id=runner.tenant_id, organization_id=runner.organization_id, workflow_id="qa.engine",
                      user_id="user-1")
    report = await simulate(definition, script, subject, evaluate=dry_run)

    assert report["scriptConsumed"] is True, report["events"]
    assert (report["status"], report["currentStepId"]) == (real["status"], real["currentStepId"])
    assert report["errorMessage"] == real["errorMessage"]
    assert report["path"] == real["path"]
    assert [s["status"] for s in report["steps"]] == real["stepStatuses"]
    assert [t["transitionId"] for t in report["transitionsTaken"]] == real["taken"]
    assert Counter(e["eventType"] for e in report["log"]) == real["eventTypes"]
    assert normalized(report["context"]) == normalized(real["context"])


def _activities(definition: dict[str, Any]) -> list[dict[str, Any]]:
    found = [a for t in definition.get("transitions", []) for a in t.get("activities") or []]
    found += [a for s in definition.get("steps", []) for a in s.get("activities") or []]
    return found
