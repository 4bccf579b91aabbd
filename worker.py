"""Composition root of the worker process: the Temporal worker (workflow interpreter and
activities, registered by `engine`/`activities` as they exist) and the domain-event dispatcher."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.children import resolve_sub_workflow
from activities.guards import evaluate_guard
from activities.projection import project, run_activity_with_projection
from api import manifest, temporal
from api.app import load_models
from api.db import sessionmaker
from api.heap import settle
from api.metrics import serve_worker_metrics
from api.modules.configs.service import heartbeat
from api.outbox import Dispatcher
from api.payload_converter import DATA_CONVERTER
from api.settings import get_settings
from engine.workflow import DefinitionWorkflow

log = logging.getLogger("stepwise.worker")

# The workflow classes and activity functions this worker serves on the task queue. `project` and
# `evaluate_guard` run as local activities, which are registered like any other. `run_activity` is
# `activities.run`'s, wrapped to write the projection batch a step hands its activity first.
WORKFLOWS: list[type[Any]] = [DefinitionWorkflow]
ACTIVITIES: list[Any] = [run_activity_with_projection, project, evaluate_guard, resolve_sub_workflow]
# Worker settings (shared with bench/workflows.py, which measures them; docs/benchmarks.md, "Worker options"):
# - workflow task slots: a chain of local activities holds its workflow task while they run, so 20 slots
#   (enough when every activity was a regular one) capped how many instances progress at once; still
#   bounded, so a replay storm after a restart stays in check;
# - the cache keeps running instances' state in memory, so a step does not replay the history.
# The workflow itself runs outside Temporal's sandbox (engine/workflow.py says why).
WORKER_OPTIONS: dict[str, Any] = {
    "max_concurrent_workflow_tasks": 100, "max_cached_workflows": 1000,
}


def worker_options() -> dict[str, Any]:
    """WORKER_OPTIONS plus the sticky-queue timeout from the settings (what recovery after a crash waits for)."""
    sticky = timedelta(seconds=get_settings().worker_sticky_queue_timeout_seconds)
    return {**WORKER_OPTIONS, "sticky_queue_schedule_to_start_timeout": sticky}


async def connect(address: str, namespace: str, stop: asyncio.Event, attempts: int = 60) -> Client | None:
    """The dev server may still be starting when the worker does: retry for a while, but give up
    at once when asked to stop (None)."""
    for attempt in range(attempts):
        try:
            return await Client.connect(address, namespace=namespace, data_converter=DATA_CONVERTER)
        except Exception as exc:  # noqa: BLE001 - any connection failure is retried the same way
            if attempt == attempts - 1:
                raise
            log.info("waiting for Temporal at %s: %s", address, exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=1)
                return None
            except TimeoutError:
                pass
    raise RuntimeError("unreachable")


async def main() -> None:
    settings = get_settings()
    load_models()
    dispatcher = Dispatcher(sessionmaker(), poll_seconds=settings.outbox_poll_seconds,
                            handlers=manifest.subscribers())
    # Activities, steps, instance lifecycle, guards and outbox dispatch are measured here (docs/operations.md).
    stop_metrics = serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    tasks = [asyncio.create_task(dispatcher.run(), name="outbox-dispatcher"),
             # A row touched every few seconds: /api/configs/system-status reports workers by it.
             asyncio.create_task(heartbeat(sessionmaker(), stop), name="heartbeat")]
    client = await connect(settings.temporal_address, settings.temporal_namespace, stop)
    if client is not None:
        # Event triggers start instances from the dispatcher through the API's client: share this one.
        temporal.set_client(client, task_queue=settings.temporal_task_queue)
    if client is not None and (WORKFLOWS or ACTIVITIES):
        worker = Worker(client, task_queue=settings.temporal_task_queue,
                        workflows=[*WORKFLOWS, *manifest.temporal_workflows()],
                        activities=[*ACTIVITIES, *manifest.activities()], **worker_options())
        tasks.append(asyncio.create_task(worker.run(), name="temporal-worker"))
    settle()  # what the process set itself up with stays out of every later collection (api/heap.py)
    log.info("worker ready: temporal %s, task queue %s", settings.temporal_address, settings.temporal_task_queue)
    await stop.wait()
    dispatcher.stop()
    for task in tasks:
        if task.get_name() == "temporal-worker":
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if stop_metrics is not None:
        stop_metrics()
    log.info("worker stopped")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(main())
