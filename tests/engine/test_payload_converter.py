"""`api.payload_converter` against the SDK's own JSON converter: the same bytes out, the same values back, for
the payloads the committed histories carry (instance starts, `run_activity` inputs, Update arguments)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter

from api.payload_converter import DATA_CONVERTER
from engine.contract import ACTIVITY_RUN, Actor, ProjectionBatch, RunActivityInput, StartInput, UpdateResult
from engine.workflow import DefinitionWorkflow
from tests.engine.runner import HISTORIES

SDK = DataConverter.default.payload_converter
OURS = DATA_CONVERTER.payload_converter
UPDATES = workflow._Definition.must_from_class(DefinitionWorkflow).updates


def _payloads(history: WorkflowHistory) -> list[tuple[str, list[Payload], list[Any]]]:
    """(what, payloads, type hints) of every typed input in the history."""
    out: list[tuple[str, list[Payload], list[Any]]] = []
    for event in history.events:
        if event.HasField("workflow_execution_started_event_attributes"):
            out.append(("start", list(event.workflow_execution_started_event_attributes.input.payloads),
                        [StartInput]))
        elif event.HasField("activity_task_scheduled_event_attributes"):
            scheduled = event.activity_task_scheduled_event_attributes
            if scheduled.activity_type.name == ACTIVITY_RUN:
                out.append((ACTIVITY_RUN, list(scheduled.input.payloads), [RunActivityInput]))
        elif event.HasField("workflow_execution_update_accepted_event_attributes"):
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request.input
            hints = UPDATES[request.name].arg_types
            assert hints is not None
            out.append((request.name, list(request.args.payloads), list(hints)))
    return out


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
def test_same_values_and_bytes_as_the_sdk_converter(path: Any) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    cases = _payloads(history)
    assert cases
    for what, payloads, hints in cases:
        expected = SDK.from_payloads(payloads, hints)
        assert OURS.from_payloads(payloads, hints) == expected, what
        assert [p.data for p in OURS.to_payloads(expected)] == [p.data for p in SDK.to_payloads(expected)], what


def test_nested_and_optional_dataclasses() -> None:
    batch = ProjectionBatch(tenant_id="t", organization_id="o", instance_id="i", seq=2,
                            instance={"status": "RUNNING", "context": {"n": [1, {"x": None}]}},
                            events=[{"event_key": "k", "event_data": {"a": 1}}], before_activity=True)
    run = RunActivityInput(instance_id="i", tenant_id="t", organization_id="o", user_id=None, activity_id="a",
                           activity_type="EXECUTE_FUNCTION", activity_name="n", config={"functionName": "noop"},
                           context={"a": 1.5}, idempotency_key="k", projection=batch)
    result = UpdateResult(instance={"status": "RUNNING"}, extra={"execution": {"errors": []}})
    for value, hint in [(run, RunActivityInput), (dataclasses.replace(run, projection=None), RunActivityInput),
                        (result, UpdateResult), (Actor(user_id="u", roles=["r"]), Actor)]:
        payloads = SDK.to_payloads([value])
        assert [p.data for p in OURS.to_payloads([value])] == [p.data for p in payloads]
        decoded = OURS.from_payloads(payloads, [hint])[0]
        assert decoded == value
        assert type(decoded) is hint


def test_a_dataclass_from_anything_but_an_object_is_refused() -> None:
    with pytest.raises(TypeError):
        OURS.from_payloads(SDK.to_payloads([["not", "an", "object"]]), [RunActivityInput])


@dataclasses.dataclass
class _Derived:
    name: str
    size: int = dataclasses.field(init=False, default=0)


def test_other_hints_decode_as_the_sdk_decodes_them() -> None:
    derived = _Derived("a")
    derived.size = 3
    cases: list[tuple[Any, Any]] = [(derived, _Derived), ([derived], list[_Derived]),
                                    ({"k": derived}, dict[str, _Derived]),
                                    ("2026-12-04T10:00:00+00:00", datetime), (None, datetime | None)]
    for value, hint in cases:
        payloads = SDK.to_payloads([value])
        assert OURS.from_payloads(payloads, [hint]) == SDK.from_payloads(payloads, [hint]), hint
