"""The step machine's boundary with the shell that runs it: the effects it asks for (`Effects`, with the
activity call and outcome it exchanges), and the refusal it raises (`EngineError`).

The Temporal shell (engine/_effects.py) and the in-memory double of the tests implement `Effects`; the
machine itself never touches the clock, ids, activities or the projection any other way.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from engine.contract import (
    GuardInput,
    GuardResult,
    ProjectionBatch,
    ResolveChildInput,
    ResolvedChild,
    RunActivityInput,
    StartInput,
)


class EngineError(Exception):
    """A refused or failed request; `code` is one of contract.ERROR_STATUS, `details` extra body fields."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


@dataclass(frozen=True)
class RetrySpec:
    """An activity's retryPolicy; without one, a single attempt (docs/workflows.md, "Retries, timeouts,
    failure and compensation")."""

    max_attempts: int = 1
    initial_interval_ms: int = 0
    backoff_coefficient: float = 1.0
    max_interval_ms: int = 0


@dataclass(frozen=True)
class ActivityCall:
    input: RunActivityInput
    retry: RetrySpec
    timeout_ms: int | None
    # Run as a local activity (docs/workflows.md, "Local activities"); the shell may still run it remotely
    # (an instance that started before local activities existed keeps running them remotely).
    local: bool = False
    # `local` comes from the activity's type, not from the definition's `local: true`.
    local_by_default: bool = False


@dataclass(frozen=True)
class ActivityOutcome:
    """How an activity execution ended, after all its attempts. `error` is the handler's message."""

    ok: bool
    output: Any = None
    error: str | None = None
    attempts: int = 1


# The part of the instance the running code works for: "" for the instance itself, "/<branch key>" in a parallel
# branch (Branches sets it in each branch's own task). Code of one scope runs one thing after another, while
# scopes run side by side in an order that can change when a workflow task is run again, so `Effects.new_id`
# numbers ids within a scope.
ID_SCOPE: ContextVar[str] = ContextVar("engine_id_scope", default="")


class ScopeCounts:
    """How many of something (ids, guard evaluations) each scope has had so far in a run."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def next(self) -> tuple[str, int]:
        """The running code's scope and the number of the next one in it (from 1)."""
        scope = ID_SCOPE.get()
        count = self._counts[scope] = self._counts.get(scope, 0) + 1
        return scope, count


class Effects(Protocol):
    def now(self) -> datetime: ...

    def new_id(self) -> str:
        """An id for a new row or event, the same on every replay; in the workflow, for runs from level 2 on,
        also on every re-run of a workflow task whatever order parallel branches finish in (by ID_SCOPE)."""

    def key_run(self) -> str | None:
        """The run the instance's activity executions are keyed by (`Activities.next_key`); None for an
        instance started before keys by position, which keeps its counter keys."""

    def guard_key_run(self) -> str | None:
        """The run the instance's guard evaluations are keyed by, with their scope and count in it
        (`Transitions._evaluate_guard`); None for an instance started before guard keys by scope (engine level
        3), which keeps its counter over the whole instance."""

    async def run_activity(self, call: ActivityCall) -> ActivityOutcome: ...

    async def sleep(self, seconds: float) -> None: ...

    async def evaluate_guard(self, guard: GuardInput) -> GuardResult: ...

    async def project(self, batch: ProjectionBatch) -> None: ...

    async def resolve_child(self, request: ResolveChildInput) -> ResolvedChild: ...

    async def start_child(self, start: StartInput) -> None:
        """Start a SUB_WORKFLOW child; its end arrives later through `Machine.child_finished`."""

    def cancel_child(self, child_id: str) -> None: ...

    def cancelled(self, error: BaseException) -> bool:
        """Whether `error` is what an await raises when its task was cancelled."""
