"""The token: what moves through a definition, either the instance itself or one of its parallel
branches. A step or transition works on a token and never needs to know which one it has.

They differ in three ways (docs/workflows.md, "Parallel branches"): a branch reads the instance context
with its own writes on top and writes into a private namespace; a branch is ACTIVE where the instance is
RUNNING; and a changed branch is a branch row for the projection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine import _state as st
from engine._journal import Journal
from engine._state import BranchRecord, InstanceState, Wait


class Token:
    def __init__(self, state: InstanceState, journal: Journal, now: Callable[[], datetime],
                 branch: BranchRecord | None = None) -> None:
        self.state = state
        self.branch = branch
        self._journal = journal
        self._now = now

    @property
    def id(self) -> str | None:
        """The branch's id (events and rows carry it as `branch_instance_id`); None for the instance."""
        return self.branch.id if self.branch is not None else None

    @property
    def in_branch(self) -> bool:
        return self.branch is not None

    @property
    def current_step_id(self) -> str | None:
        return self.state.current_step_id if self.branch is None else self.branch.current_step_id

    def context(self) -> dict[str, Any]:
        """What the token reads: the instance context, with a branch's own writes on top."""
        if self.branch is None:
            return self.state.context
        return {**self.state.context, **self.branch.namespace}

    def merge(self, updates: dict[str, Any]) -> None:
        """What the token writes: the instance context, or a branch's private namespace."""
        if not updates:
            return
        if self.branch is None:
            self.state.context = {**self.state.context, **updates}
        else:
            self.branch.namespace = {**self.branch.namespace, **updates}
            self._changed()

    def drop(self, key: str) -> None:
        if self.branch is None:
            self.state.context = {k: v for k, v in self.state.context.items() if k != key}
        else:
            self.branch.namespace = {k: v for k, v in self.branch.namespace.items() if k != key}
            self._changed()

    def move(self, step_id: str) -> None:
        if self.branch is None:
            self.state.current_step_id = step_id
        else:
            self.branch.current_step_id = step_id
            self._changed()

    def set_status(self, status: str) -> None:
        """RUNNING / PAUSED / WAITING_FOR_ACTIVITIES of the instance; ACTIVE stands for RUNNING in a branch."""
        if self.branch is None:
            self.state.status = status
        else:
            self.branch.status = st.ACTIVE if status == st.RUNNING else status
            self._changed()

    def activate(self) -> None:
        """A token that moves on is running again (PAUSED and WAITING_FOR_ACTIVITIES end when it does)."""
        if self.branch is None:
            self.state.status = st.RUNNING
        else:
            self.branch.status = st.ACTIVE
            self._changed()

    @property
    def wait(self) -> Wait | None:
        return self.state.wait if self.branch is None else self.branch.wait

    def set_wait(self, wait: Wait | None) -> None:
        if self.branch is None:
            self.state.wait = wait
        else:
            self.branch.wait = wait
            self._changed()

    def pause(self, wait: Wait) -> None:
        """Rest on `wait` (PAUSED); the instance records when it paused."""
        self.set_wait(wait)
        self.set_status(st.PAUSED)
        if self.branch is None:
            self.state.paused_at = self._now()

    def set_pending_transition(self, pending: dict[str, Any] | None) -> None:
        """The transition waiting for its async batch, as the API shows it (`pendingTransition`)."""
        if self.branch is None:
            self.state.pending_transition = pending
        else:
            self.branch.pending_transition = pending

    def _changed(self) -> None:
        assert self.branch is not None
        self._journal.branch(self.branch)
