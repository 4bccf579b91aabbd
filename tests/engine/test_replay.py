"""Replays the committed histories of finished instances (tests/engine/histories/*.json) against the
current interpreter: a change that would break a running instance on its next replay fails here.

Never re-record a committed history: it stands for instances already running on the old code. A change of
behaviour goes behind `workflow.patched("<change-id>")`, so these still replay. To cover a step kind or path
no history covers yet, add a new one: call `record(handle, "<new name>")` at the end of a test in
tests/engine/test_workflow*.py and run just that test with
`STEPWISE_RECORD_HISTORIES=1 .venv/bin/python -m pytest tests/engine/test_workflow_waits.py -k <test>`;
`record` writes only histories whose file does not exist yet.
"""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

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
