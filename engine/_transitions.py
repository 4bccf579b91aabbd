"""Transitions: choosing the one to take out of a step (inline condition, then pre-conditions, in
priority order) and taking it: its activities, the move, the target step, post-conditions
(docs/workflows.md, "Transitions" and "Guards: business rules and conditions").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from engine import _state as st
from engine._activities import Activities, ActivityRun
from engine._definition import Edge
from engine._durations import js_iso
from engine._guards import (
    POST_TRANSITION,
    PRE_TRANSITION,
    GuardOutcome,
    evaluate_transition_rules,
    rejected_details,
    transition_entity_type,
)
from engine._instance import Instance
from engine._ports import ScopeCounts
from engine._steps import Steps
from engine._token import Token
from engine.contract import GuardInput, GuardResult

# A token takes at most this many transitions in one operation; beyond, it is presumed to loop forever.
MAX_ITERATIONS = 100


@dataclass
class Candidate:
    edge: Edge
    valid: bool
    reason: str | None = None
    guards: GuardOutcome | None = None


@dataclass
class TransitionOutcome:
    ok: bool
    error: str | None = None
    # True once the instance is committed to the transition (the cursor moved, or an async batch
    # ran): a failure from there on fails the instance even when a person asked for the transition.
    committed: bool = False
    error_details: Any = None
    event_data: dict[str, Any] | None = None


class Transitions:
    def __init__(self, instance: Instance, activities: Activities, steps: Steps) -> None:
        self.instance = instance
        self.activities = activities
        self.steps = steps
        # Guard evaluations so far in this run, by scope (_evaluate_guard).
        self._guards_in = ScopeCounts()

    def _guard_base(self, edge: Edge, event_type: str, context: dict[str, Any], trigger_data: Any) -> GuardInput:
        state, transition = self.instance.state, edge.transition
        return GuardInput(
            tenant_id=state.tenant_id, organization_id=state.organization_id, rule_id="",
            entity_type=transition_entity_type(state.workflow_id),
            entity_id=transition.transition_id or f"{transition.from_step_id}->{transition.to_step_id}",
            event_type=event_type,
            data={"workflowInstanceId": state.instance_id, "workflowId": state.workflow_id,
                  "fromStepId": transition.from_step_id, "toStepId": transition.to_step_id,
                  "workflowContext": context, "triggerData": trigger_data},
            user_id=self.instance.user,
        )

    async def _evaluate_guard(self, guard: GuardInput) -> GuardResult:
        """One rule through the rules service, with the evaluation's idempotency key (contract.GuardInput): the
        run, the scope (the instance or a parallel branch, ID_SCOPE) and the count of evaluations in that scope,
        so a workflow task run again after a worker died evaluates each guard under the key it had, whatever
        order the branches finish in this time; the key finds the verdict of an evaluation that already ran."""
        state = self.instance.state
        run = self.instance.effects.guard_key_run()
        if run is None:  # an instance started before guard keys by scope
            state.guard_counter += 1
            key = f"{state.instance_id}:{state.retry_count}:guard:{state.guard_counter}"
        else:
            scope, count = self._guards_in.next()
            key = f"{state.instance_id}:{run}:{scope}:guard:{count}"
        return await self.instance.effects.evaluate_guard(replace(guard, idempotency_key=key))

    async def _evaluate(self, edge: Edge, context: dict[str, Any], trigger_data: Any) -> Candidate:
        instance = self.instance
        if edge.condition is not None:
            data = {**context, "triggerData": trigger_data}
            rule_context: dict[str, Any] = {"entityType": "workflow:transition", "entityId": instance.state.instance_id}
            if instance.user:
                rule_context["user"] = {"id": instance.user}
            try:
                holds = edge.condition(data, rule_context, now=instance.effects.now())
            except Exception as error:  # noqa: BLE001 - a broken condition makes the transition invalid
                return Candidate(edge, False, f"Condition evaluation error: {error}")
            if not holds:
                return Candidate(edge, False, "Transition condition evaluated to false")
        refs = edge.transition.pre_conditions
        if not refs:
            return Candidate(edge, True)
        guards = await evaluate_transition_rules(refs, post=False, evaluate=self._evaluate_guard,
                                                 base=self._guard_base(edge, PRE_TRANSITION, context, trigger_data))
        if not guards.allowed:
            failed = ", ".join(r.rule_id for r in guards.failed())
            return Candidate(edge, False, f"Pre-conditions failed: {failed}", guards)
        return Candidate(edge, True, None, guards)

    async def select(self, step_id: str | None, triggers: frozenset[str] | None, context: dict[str, Any],
                     trigger_data: Any, *, first_only: bool) -> list[Candidate]:
        """Outgoing transitions in selection order, each checked (inline condition, then pre-
        conditions). With `first_only` evaluation stops at the first valid one, so rules of
        lower-priority transitions are not executed needlessly."""
        out: list[Candidate] = []
        for edge in self.instance.compiled.edges_from(step_id, triggers=triggers):
            candidate = await self._evaluate(edge, context, trigger_data)
            out.append(candidate)
            if first_only and candidate.valid:
                break
        if self.instance.on_select is not None:
            self.instance.on_select(step_id, triggers, out)
        return out

    async def execute(self, edge: Edge, trigger_data: Any, *, pre: GuardOutcome | None,
                      token: Token) -> TransitionOutcome:
        """Pre-conditions (unless the caller's selection just evaluated them), activities, the move,
        the target step, post-conditions."""
        instance, transition = self.instance, edge.transition
        state, journal = instance.state, instance.journal
        from_id, to_id = transition.from_step_id, transition.to_step_id
        transition_id = transition.transition_id or f"{from_id}->{to_id}"
        branch_id = token.id
        if pre is None and transition.pre_conditions:
            pre = await evaluate_transition_rules(
                transition.pre_conditions, post=False, evaluate=self._evaluate_guard,
                base=self._guard_base(edge, PRE_TRANSITION, token.context(), trigger_data))
        if pre is not None and not pre.allowed:
            details = rejected_details(pre)
            journal.log("TRANSITION_REJECTED", {
                "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
                "reason": "Pre-conditions failed", "failedRules": details,
                "failedRulesDetail": [{"ruleId": r.rule_id, "ruleName": r.rule_name, "error": r.error}
                                      for r in pre.failed()],
            }, user=instance.user, branch_instance_id=branch_id)
            return TransitionOutcome(False, f"Pre-conditions failed: {details}")

        run = ActivityRun()
        if transition.activities:
            run = await self.activities.run(transition.activities, dict(token.context()), step_id=None,
                                            transition_id=transition_id, token=token)
            failures = run.sync_failures
            if failures:
                journal.log("ACTIVITY_FAILED", {
                    "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
                    "failedActivities": [{"activityType": f.activity.activity_type,
                                          "activityName": f.activity.activity_name, "error": f.error,
                                          "retryCount": f.retry_count} for f in failures],
                    "continueOnFailure": transition.continue_on_activity_failure,
                }, user=instance.user, branch_instance_id=branch_id)
                if not transition.continue_on_activity_failure:
                    await self.activities.drain(run, token)
                    return TransitionOutcome(False, "Activities failed: " + ", ".join(str(f.error) for f in failures))

        if run.pending:
            outcome = await self._wait_for_batch(edge, run, transition_id, token)
            if outcome is not None:
                return outcome
        else:
            token.move(to_id)
            token.merge(run.outputs)
        if not token.in_branch and state.status == st.PAUSED:
            state.status = st.RUNNING  # moving on means running again

        # A branch that reaches its join has arrived: the join step runs once, when all have.
        if token.branch is None or to_id != token.branch.join_step_id:
            step_outcome = await self.steps.execute(to_id, trigger_data, token)
            if step_outcome.status == "FAILED":
                return TransitionOutcome(False, step_outcome.error or "Step execution failed", committed=True)

        post_allowed = True
        if transition.post_conditions:
            post = await evaluate_transition_rules(
                transition.post_conditions, post=True, evaluate=self._evaluate_guard,
                base=self._guard_base(edge, POST_TRANSITION, token.context(), trigger_data))
            post_allowed = post.allowed
            if not post.allowed:
                journal.log("TRANSITION_POST_CONDITION_FAILED", {
                    "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
                    "reason": "Post-conditions failed",
                    "failedRules": ", ".join(post.errors) or "Unknown post-condition failure",
                }, user=instance.user, branch_instance_id=branch_id)
        results = run.results
        journal.log("TRANSITION_EXECUTED", {
            "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
            "transitionName": transition.transition_name, "preConditionsPassed": True,
            "postConditionsPassed": post_allowed, "activitiesExecuted": len(results),
            "activitiesSucceeded": sum(1 for r in results if r.success),
            "activitiesFailed": sum(1 for r in results if not r.success),
        }, user=instance.user, branch_instance_id=branch_id,
            trail_data={"fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id})
        return TransitionOutcome(True, committed=True)

    async def _wait_for_batch(self, edge: Edge, run: ActivityRun, transition_id: str,
                              token: Token) -> TransitionOutcome | None:
        """A transition with async activities: WAITING_FOR_ACTIVITIES until the whole batch is done, then
        the move (docs/workflows.md, "Activities"); None when it succeeded."""
        instance, transition = self.instance, edge.transition
        journal = instance.journal
        from_id, to_id = transition.from_step_id, transition.to_step_id
        branch_id = token.id
        pending_ids = [{"activityId": r.activity.activity_id, "jobId": r.job_id} for r, _ in run.pending]
        token.set_pending_transition({
            "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
            "activityResults": [r.as_json() for r in run.results], "timestamp": js_iso(instance.effects.now()),
        })
        token.merge({**run.outputs, "_pendingAsyncActivities": pending_ids})
        token.set_status(st.WAITING_FOR_ACTIVITIES)
        journal.log("TRANSITION_PAUSED_FOR_ACTIVITIES", {
            "fromStepId": from_id, "toStepId": to_id, "transitionId": transition_id,
            "pendingActivities": pending_ids}, user=instance.user, branch_instance_id=branch_id)
        journal.log("WORKFLOW_WAITING_FOR_ACTIVITIES", {
            "pendingActivities": [r.as_json() for r, _ in run.pending],
            "pausedAtTransition": {"fromStepId": from_id, "toStepId": to_id}}, branch_instance_id=branch_id)
        finished = await self.activities.await_batch(run, token)
        token.set_pending_transition(None)
        token.drop("_pendingAsyncActivities")
        failed = [r for r in finished if not r.success]
        if failed:
            failures = [{"activityId": r.activity.activity_id, "error": r.error, "jobId": r.job_id} for r in failed]
            return TransitionOutcome(False, f"{len(failed)} async activities failed", committed=True,
                                     error_details={"failedActivities": failures},
                                     event_data={"reason": "Async activities failed", "failedActivities": failures})
        token.merge({f"{r.activity.activity_id}_result": r.output for r in finished if r.output is not None})
        token.move(to_id)
        token.set_status(st.RUNNING)
        journal.log("WORKFLOW_RESUMED", {
            "reason": "Async activities completed, resuming pending transition",
            "completedActivities": len(finished), "completedTransitionTo": to_id}, branch_instance_id=branch_id)
        return None
