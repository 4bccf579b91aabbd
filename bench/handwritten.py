"""The hand-written contestants of bench/workflows.py, in a module of their own as a developer would
write them: the worker's sandbox re-imports a workflow's module for every instance it loads, so the
module holds the workflows and nothing else."""

from __future__ import annotations

import asyncio
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


@workflow.defn(name="BenchThreeLocalActivities")
class ThreeLocalActivities:
    """The same three activities as local activities: one workflow task for the whole instance, the
    practical limit of an engine that runs its steps' activities locally on this server."""

    @workflow.run
    async def run(self) -> dict[str, Any]:
        for index in range(3):
            await workflow.execute_local_activity(bench_noop, index, start_to_close_timeout=ACTIVITY_TIMEOUT)
        return {"status": "COMPLETED"}


@workflow.defn(name="BenchNoActivity")
class NoActivity:
    """START → END with nothing in between: the least a Temporal workflow costs the server and the worker (one
    workflow task, its start and its end). No engine that runs its steps' activities in Temporal can pass it:
    the ceiling the other contestants are read against."""

    @workflow.run
    async def run(self) -> dict[str, Any]:
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


@workflow.defn(name="BenchRestingWorkflow")
class RestingWorkflow:
    """What a developer would write for "wait for a person's answer (or a signal)": the baseline of the task
    and signal round trips. Each Update records its data and returns; the workflow ends after `waits` of
    them (1: the Update ends it; 2: it waits again after the first)."""

    def __init__(self) -> None:
        self.context: dict[str, Any] = {}
        self.received = 0

    @workflow.run
    async def run(self, waits: int) -> dict[str, Any]:
        await workflow.wait_condition(lambda: self.received >= waits)
        return {"status": "COMPLETED", "context": self.context}

    @workflow.update(name="resume")
    async def resume(self, data: dict[str, Any]) -> dict[str, Any]:
        self.context.update(data)
        self.received += 1
        return {"received": self.received, "context": self.context}


@activity.defn(name="bench_sleep")
async def bench_sleep(milliseconds: int) -> dict[str, Any]:
    """An activity with a fixed cost, so that running four at once shows."""
    await asyncio.sleep(milliseconds / 1000)
    return {}


@workflow.defn(name="BenchFourActivities")
class FourActivities:
    """Four `bench_sleep` activities, one after the other (`parallel` False: the baseline of the fork/join
    benchmark) or all at once (True: what the fork could at best achieve)."""

    @workflow.run
    async def run(self, milliseconds: int, parallel: bool) -> dict[str, Any]:
        if parallel:
            await asyncio.gather(*(workflow.execute_activity(bench_sleep, milliseconds,
                                                             start_to_close_timeout=ACTIVITY_TIMEOUT)
                                   for _ in range(4)))
        else:
            for _ in range(4):
                await workflow.execute_activity(bench_sleep, milliseconds, start_to_close_timeout=ACTIVITY_TIMEOUT)
        return {"status": "COMPLETED"}
