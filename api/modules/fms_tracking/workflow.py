"""One Freighttech registration as a code workflow: the activity (tracking.py) makes the call, retried with
backoff while Freighttech cannot answer. Deterministic: the call and the database are the activity's, called by
name, so this module imports nothing but Temporal."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

REGISTER = "fms_tracking.register_reference"
MAX_ATTEMPTS = 10
# 1 s, 2 s, 4 s ... capped at 2 min: about nine minutes of Freighttech being unreachable before giving up.
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=2), maximum_attempts=MAX_ATTEMPTS)


@workflow.defn(name="fms_tracking.RegisterTracking")
class RegisterTrackingWorkflow:
    @workflow.run
    async def run(self, row_id: str) -> str:
        status: str = await workflow.execute_activity(REGISTER, row_id, start_to_close_timeout=timedelta(seconds=30),
                                                      retry_policy=RETRY)
        return status
