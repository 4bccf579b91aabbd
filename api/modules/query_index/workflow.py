"""The index job as a Temporal workflow: plan, then batches per entity type, then finish. Deterministic: all
I/O is in the activities (`api/modules/query_index/activities.py`, called by name); cancelling the workflow
stops between batches and records the job as cancelled."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

PLAN = "query_index.plan_job"
BATCH = "query_index.run_batch"
FINISH = "query_index.finish_job"

# The API inserts the job row in its request's transaction and starts the workflow; the plan retries until
# that row is committed.
_PLAN_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), backoff_coefficient=2.0,
                          maximum_interval=timedelta(seconds=5), maximum_attempts=12)
_BATCH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=5)


@workflow.defn(name="query_index.IndexJob")
class IndexJobWorkflow:
    @workflow.run
    async def run(self, job_id: str) -> dict[str, Any]:
        processed = 0
        try:
            entity_types: list[str] = await workflow.execute_activity(
                PLAN, job_id, start_to_close_timeout=timedelta(minutes=2), retry_policy=_PLAN_RETRY)
            for entity_type in entity_types:
                after = ""
                while True:
                    step: dict[str, Any] = await workflow.execute_activity(
                        BATCH, args=[job_id, entity_type, after], start_to_close_timeout=timedelta(minutes=10),
                        heartbeat_timeout=timedelta(minutes=2), retry_policy=_BATCH_RETRY)
                    processed += int(step.get("processed", 0))
                    if step.get("done"):
                        break
                    after = str(step["after"])
        except asyncio.CancelledError:
            # Cancellation reaches the workflow between (or during) batches; record it, then end cancelled.
            await workflow.execute_activity(FINISH, args=[job_id, "cancelled", None],
                                            start_to_close_timeout=timedelta(minutes=1))
            raise
        except ActivityError as exc:
            cause = exc.cause if exc.cause is not None else exc
            await workflow.execute_activity(FINISH, args=[job_id, "failed", str(cause)],
                                            start_to_close_timeout=timedelta(minutes=1))
            return {"status": "failed", "processed": processed}
        await workflow.execute_activity(FINISH, args=[job_id, "completed", None],
                                        start_to_close_timeout=timedelta(minutes=1))
        return {"status": "completed", "processed": processed}
