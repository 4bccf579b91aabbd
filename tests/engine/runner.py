"""Starting instances on the test server and reading their projection back from the test database."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from api.db import sessionmaker
from api.modules.workflows.models import StepInstance, UserTask, WorkflowEvent, WorkflowInstance
from engine.contract import ENGINE_LEVEL, WORKFLOW_TYPE, StartInput

HISTORIES = Path(__file__).parent / "histories"
# Set to record histories that are not committed yet (tests/engine/test_replay.py); committed ones are kept.
RECORD = os.environ.get("STEPWISE_RECORD_HISTORIES") == "1"


@dataclass
class Runner:
    env: WorkflowEnvironment
    queue: str
    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    organization_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def client(self) -> Client:
        return self.env.client

    async def start(self, definition: dict[str, Any], *, context: dict[str, Any] | None = None,
                    **overrides: Any) -> WorkflowHandle[Any, Any]:
        instance_id = overrides.pop("instance_id", None) or str(uuid.uuid4())
        arg = StartInput(
            instance_id=instance_id, tenant_id=self.tenant_id, organization_id=self.organization_id,
            definition_id=str(uuid.uuid4()), workflow_id="qa.engine", version=1, definition=definition,
            context=context or {}, metadata={"initiatedBy": "user-1"}, user_id="user-1",
            **{"engine_level": ENGINE_LEVEL, **overrides},
        )
        return await self.client.start_workflow(WORKFLOW_TYPE, arg, id=instance_id, task_queue=self.queue,
                                                result_type=dict)

    async def instance(self, instance_id: str) -> WorkflowInstance | None:
        async with sessionmaker()() as session:
            return await session.get(WorkflowInstance, instance_id)

    async def events(self, instance_id: str) -> list[WorkflowEvent]:
        async with sessionmaker()() as session:
            rows = await session.scalars(select(WorkflowEvent).where(WorkflowEvent.workflow_instance_id == instance_id)
                                         .order_by(WorkflowEvent.id))
            return list(rows.all())

    async def event_types(self, instance_id: str) -> list[str]:
        return [e.event_type for e in await self.events(instance_id)]

    async def steps(self, instance_id: str) -> list[StepInstance]:
        """Step instances in the order they were entered."""
        entered = [e.step_instance_id for e in await self.events(instance_id) if e.event_type == "STEP_ENTERED"]
        async with sessionmaker()() as session:
            rows = {row.id: row for row in (await session.scalars(
                select(StepInstance).where(StepInstance.workflow_instance_id == instance_id))).all()}
        return [rows[i] for i in entered if i in rows]

    async def tasks(self, instance_id: str) -> list[UserTask]:
        async with sessionmaker()() as session:
            rows = await session.scalars(select(UserTask).where(UserTask.workflow_instance_id == instance_id)
                                         .order_by(UserTask.created_at))
            return list(rows.all())

    async def wait_for(self, instance_id: str, predicate: Callable[[WorkflowInstance], bool]) -> WorkflowInstance:
        """Poll the projection, as API clients do (for up to 10 s)."""
        row = None
        try:
            async with asyncio.timeout(10):
                while True:
                    row = await self.instance(instance_id)
                    if row is not None and predicate(row):
                        return row
                    await asyncio.sleep(0.02)
        except TimeoutError:
            raise AssertionError(f"instance {instance_id} never matched; last: {row and row.status}") from None


async def record(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Keep a finished workflow's history for the replay test, when recording and only if `name` is new.

    A committed history is never overwritten: it stands for instances that may still be running on the
    old code, and replaying it is what proves a change safe for them."""
    path = HISTORIES / f"{name}.json"
    if not RECORD or path.exists():
        return
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    path.write_text(history.to_json())
