"""What every part of the step machine works on: the compiled definition, the instance's state, the
effects, the projection journal, and the operation in progress (who it runs as, what failed in it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine import _state as st
from engine._definition import CompiledDefinition
from engine._journal import Journal
from engine._ports import Effects
from engine._state import BranchRecord, InstanceState
from engine._token import Token


class Instance:
    def __init__(self, compiled: CompiledDefinition, state: InstanceState, effects: Effects,
                 env: dict[str, str]) -> None:
        self.compiled = compiled
        self.state = state
        self.effects = effects
        self.env = env
        self.journal = Journal(state, effects)
        self.root = Token(state, self.journal, effects.now)
        # The operation in progress: who it runs as, the errors it met, when it began.
        self.user: str | None = None
        self.errors: list[str] = []
        self.started: datetime | None = None
        # Told of every transition selection (source step, triggers, candidates); the simulator
        # (engine/simulation.py) reports from it why each transition was or was not taken. None in the workflow.
        self.on_select: Callable[[str | None, frozenset[str] | None, list[Any]], None] | None = None

    def begin(self, user_id: str | None) -> None:
        """A new operation, run as `user_id`; without one, as the user who started the instance (unless a
        trigger did)."""
        initiated = self.state.initiated_by
        fallback = initiated if initiated and not initiated.startswith("trigger:") else None
        self.user = user_id or fallback
        self.journal.begin()
        self.errors = []
        self.started = self.effects.now()

    def token(self, branch: BranchRecord | None) -> Token:
        return Token(self.state, self.journal, self.effects.now, branch)

    def branch_token(self, branch_id: str | None) -> Token:
        """The token of the branch `branch_id` (a task's or an event's); the instance's for None."""
        if branch_id is None:
            return self.root
        return self.token(next((b for b in self.state.branches if b.id == branch_id), None))

    def open_tokens(self) -> list[Token]:
        """The instance and its branches that can still move or wait."""
        return [self.root, *[self.token(b) for b in self.state.branches if b.status in st.BRANCH_OPEN]]
