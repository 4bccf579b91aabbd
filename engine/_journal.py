"""The projection journal: what the machine recorded since it last wrote the projection (events, and the
step, task and branch rows that changed), the trail of the running operation, and the write itself.

The API reads instances from SQL only, so every resting point and every side effect is preceded by a
`flush`. Event keys come from `Effects.new_id` (deterministic in the workflow), so a retried write is
idempotent.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from engine._ports import Effects
from engine._state import BranchRecord, InstanceState, StepRecord, TaskRecord
from engine.contract import ProjectionBatch


class Journal:
    def __init__(self, state: InstanceState, effects: Effects) -> None:
        self.state = state
        self.effects = effects
        self._events: list[dict[str, Any]] = []
        self._steps: dict[str, StepRecord] = {}
        self._tasks: dict[str, TaskRecord] = {}
        self._branches: dict[str, BranchRecord] = {}
        self._projected: dict[str, Any] | None = None
        # The events of the running operation, for its ExecutionResult.
        self.trail: list[dict[str, Any]] = []
        # Parallel branches write the projection one batch at a time, in order (a later batch that
        # landed first would make the store skip an earlier one's rows as stale).
        self._flush_lock = asyncio.Lock()
        # How many forks are running their branches concurrently right now.
        self.concurrent = 0

    def begin(self) -> None:
        """A new operation: a new trail."""
        self.trail = []

    def log(self, event_type: str, data: dict[str, Any], *, user: str | None = None,
            step_instance_id: str | None = None, branch_instance_id: str | None = None, key: str | None = None,
            at: datetime | None = None, trail_data: dict[str, Any] | None = None) -> None:
        occurred = at or self.effects.now()
        self._events.append({
            "event_key": key or self.effects.new_id(), "event_type": event_type, "event_data": data,
            "occurred_at": occurred.isoformat(), "user_id": user, "step_instance_id": step_instance_id,
            "branch_instance_id": branch_instance_id,
        })
        entry: dict[str, Any] = {"eventType": event_type, "occurredAt": occurred.isoformat()}
        if trail_data is not None:
            entry["data"] = trail_data
        self.trail.append(entry)

    def step(self, record: StepRecord) -> None:
        """`record` changed: its row goes with the next write."""
        self._steps[record.id] = record

    def task(self, record: TaskRecord) -> None:
        self._tasks[record.id] = record

    def branch(self, record: BranchRecord) -> None:
        self._branches[record.id] = record

    async def flush(self, *, before_activity: bool = False) -> None:
        """Write what changed since the last write, in one local activity call (or, `before_activity`, with
        the sync activity the machine runs next, if the shell prefers)."""
        async with self._flush_lock:
            row = self.state.row()
            if not self._events and not self._steps and not self._tasks and not self._branches \
                    and row == self._projected:
                return
            self.state.projection_seq += 1
            events, steps, tasks, branches = self._events, self._steps, self._tasks, self._branches
            self._events, self._steps, self._tasks, self._branches = [], {}, {}, {}
            batch = ProjectionBatch(
                tenant_id=self.state.tenant_id, organization_id=self.state.organization_id,
                instance_id=self.state.instance_id, seq=self.state.projection_seq, instance=row,
                steps=[record.row(self.state) for record in steps.values()], events=events,
                tasks=[task.row(self.state) for task in tasks.values()],
                branches=[branch.row(self.state) for branch in branches.values()],
                # Concurrent branches write through the local activity only: a batch carried by one
                # branch's activity could land after a later batch of another branch.
                before_activity=before_activity and not self.concurrent,
            )
            try:
                await self.effects.project(batch)
            except BaseException:
                # Not written (or not known to be): keep it for the next write; the write is idempotent.
                self._events = events + self._events
                self._steps = {**steps, **self._steps}
                self._tasks = {**tasks, **self._tasks}
                self._branches = {**branches, **self._branches}
                raise
            # A copy: the next comparison must see later changes of the context (always replaced, never
            # changed in place, but a shallow copy keeps this honest).
            self._projected = {**row, "context": dict(row["context"])}
