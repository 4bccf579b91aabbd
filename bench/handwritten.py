"""The hand-written contestants of bench/workflows.py, in a module of their own as a developer would
write them: the worker's sandbox re-imports a workflow's module for every instance it loads, so the
module holds the workflows and nothing else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity, workflow

ACTIVITY_TIMEOUT = timedelta(seconds=60)


@activity.defn(name="bench_noop")
async def bench_noop(index: int) -> dict[str, Any]:
    return {}


@workflow.defn(name="BenchThreeActivities")
class ThreeActivities:
    """START → 3 activities → END, by hand."""

    @workflow.run
    async def run(self) -> dict[str, Any]:
        for index in range(3):
            await workflow.execute_activity(bench_noop, index, start_to_close_timeout=ACTIVITY_TIMEOUT)
        return {"status": "COMPLETED"}


@workflow.defn(name="BenchBareUpdate")
class BareUpdate:
    """Answers an Update at once; ends when told."""

    def __init__(self) -> None:
        self.count = 0
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        return self.count

    @workflow.update(name="bump")
    async def bump(self, value: int) -> int:
        self.count += 1
        return self.count

    @workflow.signal(name="finish")
    def finish(self) -> None:
        self.done = True
