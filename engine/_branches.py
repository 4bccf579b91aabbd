"""Parallel branches: running every ACTIVE branch of the open fork concurrently until each rests, then
the wait-all join, or the fork's failure when one branch failed (docs/workflows.md, "Parallel branches").
"""

from __future__ import annotations

import asyncio
from typing import Any

from engine import _state as st
from engine._definition import AUTO
from engine._failure import Failure
from engine._guards import GuardOutcome
from engine._instance import Instance
from engine._interpolate import lookup
from engine._ports import ID_SCOPE
from engine._state import BranchRecord
from engine._steps import Steps
from engine._tasks import Tasks
from engine._transitions import MAX_ITERATIONS, Transitions
from engine._waits import Waits


class Branches:
    def __init__(self, instance: Instance, transitions: Transitions, steps: Steps, failure: Failure,
                 waits: Waits, tasks: Tasks) -> None:
        self.instance = instance
        self.transitions = transitions
        self.steps = steps
        self.failure = failure
        self.waits = waits
        self.tasks = tasks

    async def run_fork(self) -> str:
        """Advance every ACTIVE branch concurrently until each rests; then join, fail, or wait
        ("joined" | "failed" | "waiting")."""
        instance = self.instance
        state = instance.state
        active = [b for b in state.branches if b.status == st.ACTIVE]
        if active:
            tasks = [asyncio.ensure_future(self._branch_loop(b)) for b in active]
            pending: set[asyncio.Future[None]] = set(tasks)
            instance.journal.concurrent += 1
            try:
                while pending:
                    _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    if pending and any(b.status == st.FAILED for b in state.branches):
                        # A failed branch stops its siblings (their activities are cancelled too).
                        for task in pending:
                            task.cancel()
                        await asyncio.wait(pending)
                        pending = set()
            except BaseException:
                for task in tasks:
                    task.cancel()
                raise
            finally:
                instance.journal.concurrent -= 1
            for task in tasks:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        failed = next((b for b in state.branches if b.status == st.FAILED), None)
        if failed is not None:
            self.cancel_all("sibling-failed")
            instance.journal.log("PARALLEL_FORK_FAILED", {"forkStepId": state.active_fork_step_id,
                                                          "failedBranchKey": failed.branch_key})
            await self.failure.fail(f'Parallel branch "{failed.branch_key}" failed: {failed.error_message}',
                                    details={"branchKey": failed.branch_key, "error": failed.error_message,
                                             "details": failed.error_details})
            return "failed"
        if state.branches and all(b.status == st.COMPLETED for b in state.branches):
            await self._join()
            return "joined"
        return "waiting"

    async def _branch_loop(self, branch: BranchRecord) -> None:
        instance = self.instance
        token = instance.token(branch)
        scope = ID_SCOPE.set(f"{ID_SCOPE.get()}/{branch.branch_key}")
        try:
            for _ in range(MAX_ITERATIONS):
                if branch.status != st.ACTIVE or branch.wait is not None:
                    return
                at = branch.current_step_id
                if at == branch.join_step_id:
                    branch.status = st.COMPLETED
                    branch.completed_at = instance.effects.now()
                    instance.journal.branch(branch)
                    instance.journal.log("PARALLEL_BRANCH_COMPLETED", {"branchKey": branch.branch_key,
                                                                       "joinStepId": branch.join_step_id},
                                         branch_instance_id=branch.id)
                    return
                pre: GuardOutcome | None = None
                if at == branch.fork_step_id:
                    edge = next((e for e in instance.compiled.edges_from(at) if e.transition_id == branch.branch_key),
                                None)
                    if edge is None:
                        self.branch_failed(branch, f'Branch "{branch.branch_key}" has no transition from the fork')
                        return
                else:
                    candidates = await self.transitions.select(at, AUTO, token.context(), None, first_only=True)
                    chosen = next((c for c in candidates if c.valid), None)
                    if chosen is None:
                        self.branch_failed(branch, f'Branch "{branch.branch_key}" has no valid transition from '
                                                   f'"{at}"')
                        return
                    edge, pre = chosen.edge, chosen.guards
                outcome = await self.transitions.execute(edge, None, pre=pre, token=token)
                if not outcome.ok:
                    self.branch_failed(branch, outcome.error or "Transition failed", outcome.error_details)
                    return
            self.branch_failed(branch, "Maximum execution iterations reached - possible infinite loop")
        except BaseException as error:
            if instance.effects.cancelled(error) and branch.status != st.FAILED:
                return  # a sibling failed, or the instance is being cancelled: the caller marks it
            raise
        finally:
            ID_SCOPE.reset(scope)

    def branch_failed(self, branch: BranchRecord, error: str, details: Any = None) -> None:
        instance = self.instance
        branch.status = st.FAILED
        branch.error_message = error
        branch.error_details = details
        branch.completed_at = instance.effects.now()
        branch.wait = None
        instance.journal.branch(branch)
        instance.errors.append(error)
        instance.journal.log("PARALLEL_BRANCH_FAILED", {"branchKey": branch.branch_key, "error": error},
                             branch_instance_id=branch.id)

    def cancel_all(self, reason: str) -> None:
        """Cancel every open branch, with what it waits for and its open tasks."""
        instance = self.instance
        for branch in instance.state.branches:
            if branch.status not in st.BRANCH_OPEN:
                continue
            if branch.wait is not None:
                self.waits.abandon(instance.token(branch), branch.wait, reason)
            for task in instance.state.tasks.values():
                if task.branch_instance_id == branch.id and task.is_open:
                    self.tasks.cancel(task, reason)
            branch.status = st.CANCELLED
            branch.completed_at = instance.effects.now()
            instance.journal.branch(branch)
            instance.journal.log("PARALLEL_BRANCH_CANCELLED", {"branchKey": branch.branch_key, "reason": reason},
                                 branch_instance_id=branch.id)

    async def _join(self) -> None:
        """Wait-all join: each branch's namespace under `context.branches.<branchKey>`, then the join's
        outputMapping; the instance continues from the join step."""
        instance = self.instance
        state = instance.state
        branches = state.branches
        fork_id = state.active_fork_step_id
        join_id = branches[0].join_step_id
        merged = dict(state.context.get("branches") or {}) if isinstance(state.context.get("branches"), dict) else {}
        merged.update({b.branch_key: b.namespace for b in branches})
        context = {**state.context, "branches": merged}
        join = instance.compiled.step(join_id)
        mapping = (join.config or {}).get("outputMapping") if join else None
        if isinstance(mapping, dict):
            for key, path in mapping.items():
                if key == "branches":
                    continue
                found, value = lookup(context, str(path))
                if found:
                    context[key] = value
        state.context = context
        state.status = st.RUNNING
        state.active_fork_step_id = None
        state.current_step_id = join_id
        await self.steps.execute(join_id or "", None, instance.root)
        instance.journal.log("PARALLEL_JOIN_COMPLETED", {"forkStepId": fork_id, "joinStepId": join_id,
                                                         "mergedBranchKeys": [b.branch_key for b in branches],
                                                         "afterJoinStepId": join_id})
