"""An instance that fails: FAILED with its error, or first the saga: every completed activity that
declares a compensation is undone, newest first (docs/workflows.md, "Retries, timeouts, failure and
compensation")."""

from __future__ import annotations

from typing import Any

from engine import _state as st
from engine._activities import Activities
from engine._instance import Instance
from engine._interpolate import interpolate


class Failure:
    def __init__(self, instance: Instance, activities: Activities) -> None:
        self.instance = instance
        self.activities = activities

    async def fail(self, error: str, *, details: Any = None, event_data: dict[str, Any] | None = None,
                   compensate: bool = True) -> None:
        instance, state = self.instance, self.instance.state
        instance.errors.append(error)
        state.error_message = error
        state.error_details = details
        if compensate and instance.compiled.has_compensation:
            await self._compensate()
            return
        state.status = st.FAILED
        state.completed_at = instance.effects.now()
        if event_data is None:
            event_data = {"error": error}
            if details is not None:
                event_data["details"] = details
        instance.journal.log("WORKFLOW_FAILED", event_data)

    async def _compensate(self) -> None:
        """Undo every completed activity that declares a compensation, newest first, sync and async alike;
        continue past failures."""
        instance, state = self.instance, self.instance.state
        compiled, journal = instance.compiled, instance.journal
        state.status = st.COMPENSATING
        journal.log("COMPENSATION_STARTED", {"reason": state.error_message, "continueOnError": True},
                    user=instance.user)
        completed = list(reversed(state.completed_activities))
        compensated, failed_ids, errors = 0, [], []
        for done in completed:
            original = compiled.find_activity(done.activity_id)
            if original is None or original.compensation is None or not original.compensation.activity_id:
                continue
            compensation_id = original.compensation.activity_id
            compensation = compiled.find_activity(compensation_id)
            if compensation is None:
                failed_ids.append(done.activity_id)
                continue
            journal.log("COMPENSATION_ACTIVITY_STARTED", {
                "originalActivityId": done.activity_id, "compensationActivityId": compensation_id,
                "compensationActivityName": compensation.activity_name}, user=instance.user)
            await journal.flush()
            context = dict(state.context)
            config = interpolate(compensation.config, self.activities.scope(context, instance.root))
            result = await self.activities.execute(compensation, config, context,
                                                   self.activities.next_key(compensation), step_id=None,
                                                   transition_id=None, is_async=False)
            if result.success:
                compensated += 1
                journal.log("COMPENSATION_ACTIVITY_COMPLETED", {
                    "originalActivityId": done.activity_id, "compensationActivityId": compensation_id,
                    "output": result.output, "executionTimeMs": result.execution_time_ms}, user=instance.user)
            else:
                failed_ids.append(done.activity_id)
                errors.append(f"Failed to compensate {done.activity_name}: {result.error}")
                journal.log("COMPENSATION_ACTIVITY_FAILED", {
                    "originalActivityId": done.activity_id, "compensationActivityId": compensation_id,
                    "error": result.error}, user=instance.user)
        # Compensated work must not be undone twice if the instance is retried and fails again.
        state.completed_activities = []
        outcome = "COMPLETED" if not failed_ids else ("PARTIAL" if compensated else "FAILED")
        state.status = st.COMPENSATED if outcome == "COMPLETED" else st.FAILED
        journal.log(f"COMPENSATION_{outcome}", {
            "totalActivities": len(completed), "compensatedActivities": compensated,
            "failedCompensations": failed_ids, "errors": errors}, user=instance.user)
