"""The scheduled rate fetch as a code workflow: one activity does the fetch for the config the schedule
belongs to. Deterministic: all I/O is in the activity (activities.py), called by name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

FETCH = "currencies.fetch_scheduled_rates"

# A provider that is down is recorded as a failed sync, not retried; retries cover our own database.
_RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), backoff_coefficient=2.0,
                     maximum_interval=timedelta(minutes=1), maximum_attempts=5)


@workflow.defn(name="currencies.FetchRates")
class FetchRatesWorkflow:
    @workflow.run
    async def run(self, config_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await workflow.execute_activity(
            FETCH, config_id, start_to_close_timeout=timedelta(minutes=2), retry_policy=_RETRY)
        return result
