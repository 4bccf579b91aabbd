"""The JSON Schema accepts what the validator accepts and rejects what it can see is wrong."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from definitions import dump_definition, json_schema, load_shipped, parse_create, validate_create
from definitions.registry import SHIPPED_DIR
from tests.definitions.builders import MIN_ROW, TC_WF_002_DEFINITION, fork_join, row, step, with_step
from tests.definitions.cases import CASES

Validator = jsonschema.Draft202012Validator

# Invalid bodies the schema cannot recognise: the fork/join graph, the clock, a zero-length duration, calendar
# validity, and Python's `$` (jsonschema runs patterns with Python's `re`, where `$` matches before a final
# newline; editors use JavaScript regexes, where it does not).
SCHEMA_CANNOT_TELL = {
    "row: workflowId with trailing newline", "timer: zero duration", "timer: until in the past", "wait: bad until",
    "wait: past until", "fork: JOIN_STEP_NOT_FOUND", "fork: JOIN_STEP_WRONG_TYPE", "fork: FORK_JOIN_MISMATCH",
    "fork: FORK_TOO_FEW_BRANCHES", "fork: manual transitions are not branches", "fork: DUPLICATE_BRANCH_KEY",
    "fork: JOIN_TOO_FEW_INCOMING and a branch reaching END (TC-WF-018c)",
    "fork: NESTED_FORK_NOT_SUPPORTED (TC-WF-018b)",
    "fork: branch reaching a missing step", "fork: branch dead-ending", "fork: branch reaching another join",
    "fork: NO_CONVERGENCE reported once per fork", "fork: FORK_JOIN_CYCLE back to the fork",
    "fork: FORK_JOIN_CYCLE inside a branch", "fork: UNPAIRED_JOIN without any fork",
}


def _validator(root: str = "row") -> jsonschema.protocols.Validator:
    return Validator(json_schema(root=root), format_checker=Validator.FORMAT_CHECKER)  # type: ignore[arg-type]


@pytest.mark.parametrize("root", ["row", "definition"])
def test_schema_is_valid_draft_2020_12(root: str) -> None:
    schema = json_schema(root=root)  # type: ignore[arg-type]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Validator.check_schema(schema)
    json.dumps(schema)  # serialisable as served


def test_schema_accepts_the_spec_example() -> None:
    assert _validator().is_valid(MIN_ROW)
    assert _validator("definition").is_valid(MIN_ROW["definition"])


@pytest.mark.parametrize("path", sorted(SHIPPED_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_schema_accepts_the_shipped_definitions(path: Any) -> None:
    raw = json.loads(path.read_text())
    errors = [e.message for e in _validator().iter_errors(raw)]
    assert errors == []
    assert _validator("definition").is_valid(raw["definition"])


def test_schema_accepts_the_round_trip_fixture() -> None:
    assert _validator().is_valid(row(definition=TC_WF_002_DEFINITION))


@pytest.mark.parametrize(("case_id", "body", "expected"), [pytest.param(i, b, e, id=i) for i, b, e in CASES])
def test_schema_agrees_with_the_validator(case_id: str, body: Any, expected: list[Any]) -> None:
    schema_valid = _validator().is_valid(body)
    if expected == []:
        assert schema_valid, [e.message for e in _validator().iter_errors(body)]
    else:
        assert schema_valid is (case_id in SCHEMA_CANNOT_TELL)


def test_schema_blind_spots_are_real_cases() -> None:
    assert SCHEMA_CANNOT_TELL <= {i for i, _, _ in CASES}


@pytest.mark.parametrize("body", [
    row(definition={"steps": MIN_ROW["definition"]["steps"]}),
    with_step(step("wait", "WAIT_FOR_TIMER", config={"duration": "PT5M", "until": "2030-01-01"})),
    with_step(step("wait", "WAIT_FOR_TIMER", config={"duration": "in five minutes"})),
    with_step(step("mid", "AUTOMATED", timeout="30 seconds")),
    fork_join(fork_config={}),
    fork_join(join_config={"outputMapping": {}}),
])
def test_schema_rejects(body: dict[str, Any]) -> None:
    assert not _validator().is_valid(body)


def test_schema_documents_fields_for_editors() -> None:
    schema = json_schema()
    step_def = schema["$defs"]["Step"]
    assert step_def["properties"]["stepId"]["pattern"] == "^[a-z0-9_-]+$"
    assert step_def["properties"]["stepType"]["enum"][0] == "START"
    assert all("description" in p for p in step_def["properties"].values())
    transition = schema["$defs"]["Transition"]["properties"]
    assert transition["priority"]["default"] == 0 and transition["priority"]["maximum"] == 9999
    activity = schema["$defs"]["Activity"]
    assert activity["properties"]["async"]["default"] is False
    send_email = next(r["then"]["properties"]["config"] for r in activity["allOf"]
                      if r["if"]["properties"]["activityType"]["const"] == "SEND_EMAIL")
    assert {"to", "subject", "template", "templateData", "body"} <= set(send_email["properties"])
    assert schema["$defs"]["DefinitionCreate"]["required"] == ["workflowId", "workflowName", "definition"]


def test_json_schema_returns_a_fresh_copy() -> None:
    first = json_schema()
    first["$defs"].clear()
    assert json_schema()["$defs"]


def test_shipped_workflows_load() -> None:
    assert set(load_shipped()) == {"workflows.simple-approval", "workflows.checkout-demo", "sales.order-approval"}


def test_activity_local_is_an_optional_boolean_the_reference_omits() -> None:
    """Our own field (docs/workflows.md, "Local activities"): documented for editors, never required, and a
    definition without it (every reference definition) is stored exactly as posted."""
    activity = json_schema()["$defs"]["Activity"]
    assert activity["properties"]["local"]["type"] == "boolean"
    assert "local" in activity["properties"]["local"]["description"]
    assert "local" not in activity.get("required", [])
    body = with_step(step("work", "AUTOMATED", activities=[
        {"activityId": "emit", "activityName": "Emit", "activityType": "EMIT_EVENT", "config": {}, "local": False}]))
    _validator().validate(body)
    assert validate_create(body) == []
    body["definition"]["steps"][1]["activities"][0]["local"] = "no"
    assert not Validator(json_schema()).is_valid(body)
    assert [i.path[-1] for i in validate_create(body)] == ["local"]
    del body["definition"]["steps"][1]["activities"][0]["local"]
    stored = dump_definition(parse_create(body).definition)
    assert "local" not in stored["steps"][1]["activities"][0]
