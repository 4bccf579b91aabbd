"""The real worker, as a process the durability test can kill: worker.py's workflows and activities on a
given Temporal address and task queue, with worker.py's worker settings, against the database the
environment names (STEPWISE_DATABASE_URL). Only the Temporal worker runs here, not the outbox dispatcher:
the test counts the events EMIT_EVENT leaves in the outbox.

    python -m tests.engine.durability_worker <temporal address> <task queue>

Prints "ready" once it polls the task queue, then runs until killed.
"""

from __future__ import annotations

import asyncio
import sys

from temporalio.client import Client
from temporalio.worker import Worker

from api.app import load_models
from api.payload_converter import DATA_CONVERTER
from worker import ACTIVITIES, WORKER_OPTIONS, WORKFLOWS


async def main(address: str, task_queue: str) -> None:
    load_models()
    client = await Client.connect(address, data_converter=DATA_CONVERTER)
    # Exactly as worker.py runs it: its options (workflow task slots, cache, sandbox) are part of what survives.
    worker = Worker(client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES, **WORKER_OPTIONS)
    async with worker:
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
