"""Replays the committed histories of finished instances (tests/engine/histories/*.json) against the
current interpreter: a change that would break a running instance on its next replay fails here.

Never re-record a committed history: it stands for instances already running on the old code. A change of
behaviour gets a change id: runs already going ask `workflow.patched("<change-id>")`, so these still replay, and
runs started from then on have it by their level (`engine._effects.CHANGE_LEVELS`; `_levelN` histories). To
cover a step kind or path no history covers yet, add a new one: call `record(handle, "<new name>")` at the end
of a test in tests/engine/test_workflow*.py and run just that test with
`STEPWISE_RECORD_HISTORIES=1 .venv/bin/python -m pytest tests/engine/test_workflow_waits.py -k <test>`;
`record` writes only histories whose file does not exist yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import (
    Interceptor,
    Replayer,
    StartActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from engine.contract import ACTIVITY_RUN, RunActivityInput
from engine.workflow import DefinitionWorkflow
from tests.engine.runner import HISTORIES

FILES = sorted(HISTORIES.glob("*.json"))


def test_histories_are_committed() -> None:
    assert len(FILES) >= 5


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_replay(path: object) -> None:
    assert hasattr(path, "read_text")
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # type: ignore[attr-defined]
    result = await Replayer(workflows=[DefinitionWorkflow]).replay_workflow(history)
    assert result.replay_failure is None


class _Keys(Interceptor):
    """Collects the idempotency key of every definition activity the replayed code schedules."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        keys = self.keys

        class Outbound(WorkflowOutboundInterceptor):
            def start_activity(self, input: StartActivityInput) -> Any:
                if input.activity == ACTIVITY_RUN:
                    keys.append(input.args[0].idempotency_key)
                return super().start_activity(input)

        class Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(Outbound(outbound))

        return Inbound


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


async def recorded_keys(history: WorkflowHistory) -> list[str]:
    """The keys of the definition activities the history scheduled (as regular activities: a local activity's
    input is not kept)."""
    keys = []
    for event in history.events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            scheduled = event.activity_task_scheduled_event_attributes
            if scheduled.activity_type.name == ACTIVITY_RUN:
                [arg] = await DataConverter.default.decode(scheduled.input.payloads, [RunActivityInput])
                keys.append(arg.idempotency_key)
    return keys


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_replay_computes_the_keys_the_history_has(path: Path) -> None:
    """An instance started on older code keeps its idempotency keys: what a worker killed mid-flight runs again
    must be recognized as the same execution. The replayer compares commands, not their inputs, so the keys
    are compared here."""
    history = load(path)
    collector = _Keys()
    result = await Replayer(workflows=[DefinitionWorkflow], interceptors=[collector]).replay_workflow(history)
    assert result.replay_failure is None
    assert collector.keys == await recorded_keys(history)
