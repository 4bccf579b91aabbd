"""A guard whose database is unreachable: the instance waits for the database, it does not take the outage for
the rule's answer (docs/workflows.md, "Guards: business rules and conditions").

The worker of these tests runs in this process, so pointing the process at a database URL that cannot be
opened (a SQLite file in a directory that does not exist, or a PostgreSQL port nobody listens on) is exactly a
worker whose database went away; pointing it back is the database returning.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowUpdateStage

from api.db import get_engine, make_engine, sessionmaker, set_engine, sqlite_twin
from api.modules.business_rules.models import BusinessRule, RuleExecutionLog
from api.settings import get_settings
from engine.contract import UPDATE_ADVANCE, UPDATE_CANCEL, Actor, AdvanceInput, UpdateResult
from tests.engine.memory import move, step
from tests.engine.runner import Runner

RULE = "qa_outage_approved"


def _unreachable_url() -> str:
    if get_settings().db_url.startswith("postgresql"):
        return "postgresql+asyncpg://nobody:nothing@127.0.0.1:9/none"
    return f"sqlite+aiosqlite:///{get_settings().data_dir / 'no-such-dir' / 'gone.db'}"


class Outage:
    """Counts the connections tried while the database is down."""

    def __init__(self) -> None:
        self.tries = 0
        self._changed = asyncio.Event()

    def tried(self, *_: Any) -> None:
        self.tries += 1
        self._changed.set()

    async def until(self, tries: int, seconds: float = 20) -> None:
        async with asyncio.timeout(seconds):
            while self.tries < tries:
                self._changed.clear()
                await self._changed.wait()


@asynccontextmanager
async def database_down() -> AsyncIterator[Outage]:
    """The process's database is unreachable inside the block."""
    healthy: AsyncEngine = get_engine()
    broken = make_engine(_unreachable_url())
    outage = Outage()
    event.listen(broken.sync_engine, "do_connect", outage.tried)
    twin = sqlite_twin(broken)  # the projection's writes on SQLite (activities/projection.py)
    if twin is not None:
        event.listen(twin, "do_connect", outage.tried)
    set_engine(broken)
    try:
        yield outage
    finally:
        set_engine(healthy)
        await broken.dispose()


async def _add_rule(runner: Runner) -> None:
    async with sessionmaker()() as session, session.begin():
        session.add(BusinessRule(
            rule_id=RULE, rule_name="Order approved", rule_type="GUARD",
            entity_type="workflow:qa.engine:transition", event_type="pre_transition",
            condition_expression={"field": "workflowContext.decision", "operator": "=", "value": "approve"},
            tenant_id=runner.tenant_id, organization_id=runner.organization_id))


async def _logs(runner: Runner, instance_id: str) -> int:
    """The rule's execution logs for this instance (only the test's own tenant: other tests' logs may carry
    no data at all)."""
    async with sessionmaker()() as session:
        rows = await session.scalars(select(RuleExecutionLog.input_context)
                                     .where(RuleExecutionLog.tenant_id == runner.tenant_id))
        return sum(1 for ctx in rows.all() if ((ctx or {}).get("data") or {}).get("workflowInstanceId") == instance_id)


def guarded(trigger: str) -> dict[str, Any]:
    """START → approved (only when the rule holds) → END; otherwise START → held, the lower-priority way out."""
    return {
        "steps": [step("start", "START"), step("approved"), step("held"), step("end", "END")],
        "transitions": [move("start", "approved", trigger, priority=100, preConditions=[{"ruleId": RULE}]),
                        move("start", "held", trigger, priority=10), move("approved", "end"), move("held", "end")],
    }


async def test_an_automatic_guard_waits_for_the_database_instead_of_saying_no(runner: Runner) -> None:
    await _add_rule(runner)
    async with database_down() as outage:
        handle = await runner.start(guarded("auto"), context={"decision": "approve"})
        # Before: three attempts, then the workflow run failed and the instance stayed RUNNING at START.
        await outage.until(4)
    result = await asyncio.wait_for(handle.result(), 30)
    assert result["status"] == "COMPLETED"
    assert [s.step_id for s in await runner.steps(handle.id)] == ["approved", "end"]
    # The rule ran once, when the database was back (its log is the guard's idempotency record).
    assert await _logs(runner, handle.id) == 1


async def test_a_manual_advance_waits_for_the_database_too(runner: Runner) -> None:
    await _add_rule(runner)
    handle = await runner.start(guarded("manual"), context={"decision": "approve"})
    await runner.wait_for(handle.id, lambda r: r.projection_seq > 0)
    async with database_down() as outage:
        update = asyncio.ensure_future(handle.execute_update(
            UPDATE_ADVANCE, AdvanceInput(Actor("user-2")), result_type=UpdateResult))
        await outage.until(4)
        assert not update.done()  # neither NO_VALID_TRANSITIONS nor a move to `held`
    result = await asyncio.wait_for(update, 30)
    assert result.extra["transitionFired"] == "start-to-approved"
    assert result.instance["status"] == "COMPLETED"
    async with sessionmaker()() as session:
        assert await session.scalar(select(func.count()).select_from(RuleExecutionLog)
                                    .where(RuleExecutionLog.tenant_id == runner.tenant_id)) == 1


async def test_cancel_stops_a_guard_waiting_for_the_database(runner: Runner) -> None:
    await _add_rule(runner)
    async with database_down() as outage:
        handle = await runner.start(guarded("auto"), context={"decision": "approve"})
        await outage.until(3)
        # Accepted once the workflow task running the guard's attempts hands it over; the cancellation is
        # written once the database is back.
        cancel = await handle.start_update(UPDATE_CANCEL, Actor("user-2"), result_type=UpdateResult,
                                           wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        await outage.until(outage.tries + 2)
    result = await asyncio.wait_for(cancel.result(), 30)
    assert result.instance["status"] == "CANCELLED"
    assert (await asyncio.wait_for(handle.result(), 30))["status"] == "CANCELLED"
    assert await _logs(runner, handle.id) == 0
