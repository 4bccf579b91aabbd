"""The validation table: one case per rule and message of the definition format, valid and invalid.

Each case is ``(id, create body, expected issues as (code, message, path))``. Shared by the validator
tests and the JSON Schema parity tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.definitions.builders import (
    activity,
    fork_join,
    graph,
    row,
    step,
    transition,
    with_activity,
    with_step,
    with_transition,
    with_trigger,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
FUTURE = "2030-01-01T00:00:00Z"
PAST = "2026-05-31T12:00:00Z"

WORKFLOW_ID_MSG = "Workflow ID must contain only lowercase letters, numbers, dots, hyphens, and underscores"
STEP_ID_MSG = "Step ID must contain only lowercase letters, numbers, hyphens, and underscores"
TRANSITION_ID_MSG = "Transition ID must contain only lowercase letters, numbers, hyphens, and underscores"
ACTIVITY_ID_MSG = "Activity ID must contain only lowercase letters, numbers, hyphens, and underscores"
TRIGGER_ID_MSG = "Trigger ID must contain only lowercase letters, numbers, hyphens, and underscores"
EVENT_PATTERN_MSG = ('Event pattern must be "*" or a dot-separated pattern with optional wildcards (e.g., '
                     '"customers.people.created", "sales.orders.*")')
DURATION_MSG = "Invalid duration. Use ISO 8601 (e.g., PT5M, PT1H, P1D) or simple format (5m, 1h, 3d)"
UNTIL_MSG = 'Invalid "until". Provide an ISO 8601 datetime string'
UNTIL_PAST_MSG = '"until" must be a future datetime'
STEP_TYPES = ('"START"|"END"|"USER_TASK"|"AUTOMATED"|"PARALLEL_FORK"|"PARALLEL_JOIN"|"SUB_WORKFLOW"|'
              '"WAIT_FOR_SIGNAL"|"WAIT_FOR_TIMER"')
ACTIVITY_TYPES = '"SEND_EMAIL"|"CALL_API"|"UPDATE_ENTITY"|"EMIT_EVENT"|"CALL_WEBHOOK"|"EXECUTE_FUNCTION"|"WAIT"'

Expected = list[tuple[str, str, list[str | int]]]
D: list[str | int] = ["definition"]
MID: list[str | int] = ["definition", "steps", 1]  # the middle step of with_step()
TR: list[str | int] = ["definition", "transitions", 0]
ACT: list[str | int] = [*TR, "activities", 0]
TRG: list[str | int] = ["definition", "triggers", 0]


def missing(path: list[str | int], expected: str = "string") -> tuple[str, str, list[str | int]]:
    return ("invalid_type", f"Invalid input: expected {expected}, received undefined", path)


def wrong(path: list[str | int], expected: str, received: str) -> tuple[str, str, list[str | int]]:
    return ("invalid_type", f"Invalid input: expected {expected}, received {received}", path)


def too_small(path: list[str | int], bound: str, origin: str = "string") -> tuple[str, str, list[str | int]]:
    unit = {"string": " characters", "array": " items"}.get(origin, "")
    verb = "to be" if origin == "number" else "to have"
    return ("too_small", f"Too small: expected {origin} {verb} {bound}{unit}", path)


def too_big(path: list[str | int], bound: str, origin: str = "string") -> tuple[str, str, list[str | int]]:
    unit = {"string": " characters", "array": " items"}.get(origin, "")
    verb = "to be" if origin == "number" else "to have"
    return ("too_big", f"Too big: expected {origin} {verb} <={bound}{unit}", path)


def custom(message: str, path: list[str | int]) -> tuple[str, str, list[str | int]]:
    return ("custom", message, path)


def fj(*messages: str) -> Expected:
    return [("custom", m, ["definition", "steps"]) for m in messages]


def timer(config: Any = ...) -> dict[str, Any]:
    return with_step(step("wait", "WAIT_FOR_TIMER") if config is ... else step("wait", "WAIT_FOR_TIMER",
                                                                                  config=config))


def wait(config: dict[str, Any]) -> dict[str, Any]:
    return with_activity(activity("pause", "WAIT", config))


def retry(**fields: Any) -> dict[str, Any]:
    return {"maxAttempts": 3, "initialIntervalMs": 1000, "backoffCoefficient": 2, "maxIntervalMs": 10000, **fields}


def user_task(**config: Any) -> dict[str, Any]:
    return with_step(step("review", "USER_TASK", userTaskConfig=config))


def _replace_transition(body: dict[str, Any], transition_id: str, **fields: Any) -> dict[str, Any]:
    for t in body["definition"]["transitions"]:
        if t["transitionId"] == transition_id:
            t.update(fields)
    return body


def _drop_transition(body: dict[str, Any], transition_id: str) -> dict[str, Any]:
    body["definition"]["transitions"] = [t for t in body["definition"]["transitions"]
                                         if t["transitionId"] != transition_id]
    return body


def _with_step_id(step_id: str) -> dict[str, Any]:
    return row(definition=graph([step("start", "START"), step("mid", "AUTOMATED", stepId=step_id), step("end", "END")],
                                [transition("start-to-end", "start", "end")]))


def _broken_fork() -> dict[str, Any]:
    """A fork/join with two unconverging branches whose fork step has no name."""
    body = _replace_transition(fork_join(), "b-to-join", toStepId="end")
    del body["definition"]["steps"][1]["stepName"]
    return body


def _renamed_branch_fork() -> dict[str, Any]:
    """Branch b renamed to an invalid id "B" that dead-ends."""
    body = _drop_transition(_replace_transition(fork_join(), "fork-to-b", toStepId="B"), "b-to-join")
    assert body["definition"]["steps"][5]["stepId"] == "b"
    body["definition"]["steps"][5]["stepId"] = "B"
    return body


CASES: list[tuple[str, Any, Expected]] = [
    # the create body
    ("row: the minimal example", row(), []),
    ("row: workflowId with dots", row(workflowId="sales.order-approval"), []),
    ("row: optional fields omitted", row(description=..., version=..., enabled=...), []),
    ("row: description null", row(description=None), []),
    ("row: metadata null", row(metadata=None), []),
    ("row: metadata", row(metadata={"tags": ["qa", "duplicate"], "category": "QA", "icon": "copy"}), []),
    ("row: unknown top-level keys are not an error", row(tenantId="t", effectiveFrom="2020-01-01"), []),
    ("row: workflowId missing", row(workflowId=...), [missing(["workflowId"])]),
    ("row: workflowId empty", row(workflowId=""),
     [too_small(["workflowId"], ">=1"), ("invalid_format", WORKFLOW_ID_MSG, ["workflowId"])]),
    ("row: workflowId uppercase", row(workflowId="QA-WF"), [("invalid_format", WORKFLOW_ID_MSG, ["workflowId"])]),
    ("row: workflowId with space", row(workflowId="qa wf"), [("invalid_format", WORKFLOW_ID_MSG, ["workflowId"])]),
    ("row: workflowId with trailing newline", row(workflowId="qa\n"),
     [("invalid_format", WORKFLOW_ID_MSG, ["workflowId"])]),
    ("row: workflowId 101 chars", row(workflowId="a" * 101), [too_big(["workflowId"], "100")]),
    ("row: workflowId 100 chars", row(workflowId="a" * 100), []),
    ("row: workflowId number", row(workflowId=5), [wrong(["workflowId"], "string", "number")]),
    ("row: workflowName missing", row(workflowName=...), [missing(["workflowName"])]),
    ("row: workflowName empty", row(workflowName=""), [too_small(["workflowName"], ">=1")]),
    ("row: workflowName 256 chars", row(workflowName="n" * 256), [too_big(["workflowName"], "255")]),
    ("row: description 2001 chars", row(description="d" * 2001), [too_big(["description"], "2000")]),
    ("row: version 0", row(version=0), [too_small(["version"], ">0", "number")]),
    ("row: version 1.5", row(version=1.5), [wrong(["version"], "int", "number")]),
    ("row: version 2.0 counts as an integer", row(version=2.0), []),
    ("row: version string", row(version="1"), [wrong(["version"], "number", "string")]),
    ("row: version boolean", row(version=True), [wrong(["version"], "number", "boolean")]),
    ("row: enabled string", row(enabled="yes"), [wrong(["enabled"], "boolean", "string")]),
    ("row: definition missing", row(definition=...), [missing(["definition"], "object")]),
    ("row: definition array", row(definition=[]), [wrong(["definition"], "object", "array")]),
    ("row: metadata string", row(metadata="x"), [wrong(["metadata"], "object", "string")]),
    ("row: metadata tag 51 chars", row(metadata={"tags": ["ok", "t" * 51]}), [too_big(["metadata", "tags", 1], "50")]),
    ("row: metadata category 101 chars", row(metadata={"category": "c" * 101}),
     [too_big(["metadata", "category"], "100")]),
    ("row: metadata icon 101 chars", row(metadata={"icon": "i" * 101}), [too_big(["metadata", "icon"], "100")]),
    ("row: metadata tags not strings", row(metadata={"tags": [1]}),
     [wrong(["metadata", "tags", 0], "string", "number")]),

    # the definition object
    ("definition: steps missing", row(definition={"transitions": []}),
     [missing([*D, "steps"], "array"),
      ("too_small", "Workflow must have at least one transition", [*D, "transitions"])]),
    ("definition: one step, no transitions (TC-WF-003c)",
     row(definition=graph([step("start", "START")], [])),
     [("too_small", "Workflow must have at least START and END steps", [*D, "steps"]),
      ("too_small", "Workflow must have at least one transition", [*D, "transitions"])]),
    ("definition: transitions missing", row(definition={"steps": row()["definition"]["steps"]}),
     [missing([*D, "transitions"], "array")]),
    ("definition: steps not an array", row(definition={"steps": {}, "transitions": []}),
     [wrong([*D, "steps"], "array", "object"), ("too_small", "Workflow must have at least one transition",
                                                 [*D, "transitions"])]),
    ("definition: too few steps is reported next to a broken step",
     row(definition=graph([{"stepId": "start"}], [transition("t", "start", "end")])),
     [missing([*D, "steps", 0, "stepName"]),
      ("invalid_value", f"Invalid option: expected one of {STEP_TYPES}", [*D, "steps", 0, "stepType"]),
      ("too_small", "Workflow must have at least START and END steps", [*D, "steps"])]),
    ("definition: triggers not an array", row(definition={**row()["definition"], "triggers": "x"}),
     [wrong([*D, "triggers"], "array", "string")]),
    ("definition: reserved arrays accept anything",
     row(definition={**row()["definition"], "queries": [1, {}], "signals": ["s"], "timers": [None]}), []),
    ("definition: queries not an array", row(definition={**row()["definition"], "queries": {}}),
     [wrong([*D, "queries"], "array", "object")]),
    ("definition: no START step is not an error (reference)",
     row(definition=graph([step("a", "AUTOMATED"), step("b", "AUTOMATED")], [transition("a-b", "a", "b")])), []),
    ("definition: unknown step references are not an error (reference)",
     row(definition=graph([step("start", "START"), step("end", "END")], [transition("x", "nowhere", "ghost")])), []),
    ("definition: duplicate step ids are not an error (reference)",
     row(definition=graph([step("start", "START"), step("start", "END")], [transition("x", "start", "start")])), []),
    ("definition: root activities", row(definition={**row()["definition"],
                                                   "activities": [activity("undo", "EMIT_EVENT")]}), []),
    ("definition: root activities are checked",
     row(definition={**row()["definition"], "activities": [activity("Undo", "EMIT_EVENT")]}),
     [("invalid_format", ACTIVITY_ID_MSG, [*D, "activities", 0, "activityId"])]),

    # steps
    ("step: stepId with a dot", with_step(step("a.b", "AUTOMATED")),
     [("invalid_format", STEP_ID_MSG, [*MID, "stepId"])]),
    ("step: stepId uppercase", with_step(step("Review", "AUTOMATED")),
     [("invalid_format", STEP_ID_MSG, [*MID, "stepId"])]),
    ("step: stepId empty", _with_step_id(""),
     [too_small([*MID, "stepId"], ">=1"), ("invalid_format", STEP_ID_MSG, [*MID, "stepId"])]),
    ("step: stepId 101 chars", _with_step_id("s" * 101), [too_big([*MID, "stepId"], "100")]),
    ("step: stepId 100 chars", _with_step_id("s" * 100), []),
    ("step: stepName empty", with_step(step("mid", "AUTOMATED", stepName="")), [too_small([*MID, "stepName"], ">=1")]),
    ("step: stepName 256 chars", with_step(step("mid", "AUTOMATED", stepName="n" * 256)),
     [too_big([*MID, "stepName"], "255")]),
    ("step: stepType unknown", with_step(step("mid", "DECISION")),
     [("invalid_value", f"Invalid option: expected one of {STEP_TYPES}", [*MID, "stepType"])]),
    ("step: stepType lowercase", with_step(step("mid", "automated")),
     [("invalid_value", f"Invalid option: expected one of {STEP_TYPES}", [*MID, "stepType"])]),
    ("step: description 1000 chars", with_step(step("mid", "AUTOMATED", description="d" * 1000)), []),
    ("step: description 1001 chars", with_step(step("mid", "AUTOMATED", description="d" * 1001)),
     [too_big([*MID, "description"], "1000")]),
    ("step: description null", with_step(step("mid", "AUTOMATED", description=None)),
     [wrong([*MID, "description"], "string", "null")]),
    ("step: config not an object", with_step(step("mid", "AUTOMATED", config="x")),
     [wrong([*MID, "config"], "record", "string")]),
    ("step: config keeps any keys", with_step(step("mid", "AUTOMATED", config={"a": {"b": [1]}})), []),
    ("step: activities not an array", with_step(step("mid", "AUTOMATED", activities={})),
     [wrong([*MID, "activities"], "array", "object")]),
    ("step: activities are checked", with_step(step("mid", "AUTOMATED", activities=[activity("x", "NOPE")])),
     [("invalid_value", f"Invalid option: expected one of {ACTIVITY_TYPES}", [*MID, "activities", 0, "activityType"])]),
    ("step: timeout", with_step(step("mid", "AUTOMATED", timeout="PT30S")), []),
    ("step: timeout in milliseconds", with_step(step("mid", "AUTOMATED", timeout="30000")), []),
    ("step: timeout not a duration", with_step(step("mid", "AUTOMATED", timeout="soon")),
     [custom(DURATION_MSG, [*MID, "timeout"])]),
    ("step: timeout zero", with_step(step("mid", "AUTOMATED", timeout="0")), [custom(DURATION_MSG, [*MID, "timeout"])]),
    ("step: timeout number", with_step(step("mid", "AUTOMATED", timeout=30)),
     [wrong([*MID, "timeout"], "string", "number")]),
    ("step: retryPolicy", with_step(step("mid", "AUTOMATED", retryPolicy={"maxAttempts": 10, "backoffMs": 0})), []),
    ("step: retryPolicy bounds", with_step(step("mid", "AUTOMATED", retryPolicy={"maxAttempts": 11, "backoffMs": -1})),
     [too_big([*MID, "retryPolicy", "maxAttempts"], "10", "number"),
      too_small([*MID, "retryPolicy", "backoffMs"], ">=0", "number")]),
    ("step: retryPolicy maxAttempts 0", with_step(step("mid", "AUTOMATED", retryPolicy={"maxAttempts": 0,
                                                                                       "backoffMs": 1})),
     [too_small([*MID, "retryPolicy", "maxAttempts"], ">=1", "number")]),
    ("step: retryPolicy incomplete", with_step(step("mid", "AUTOMATED", retryPolicy={"maxAttempts": 3})),
     [missing([*MID, "retryPolicy", "backoffMs"], "number")]),
    ("step: START preConditions", with_step(step("mid", "AUTOMATED", preConditions=[
        {"ruleId": "workflow_checkout_cart_not_empty", "validationMessage": {"en": "Empty", "pl": "Pusty"}}])), []),
    ("step: preCondition ruleId 51 chars", with_step(step("mid", "AUTOMATED", preConditions=[{"ruleId": "r" * 51}])),
     [too_big([*MID, "preConditions", 0, "ruleId"], "50")]),
    ("step: preCondition ruleId missing", with_step(step("mid", "AUTOMATED", preConditions=[{}])),
     [missing([*MID, "preConditions", 0, "ruleId"])]),
    ("step: preCondition required not boolean",
     with_step(step("mid", "AUTOMATED", preConditions=[{"ruleId": "r", "required": "yes"}])),
     [wrong([*MID, "preConditions", 0, "required"], "boolean", "string")]),
    ("step: preCondition validationMessage values are strings",
     with_step(step("mid", "AUTOMATED", preConditions=[{"ruleId": "r", "validationMessage": {"en": 1}}])),
     [wrong([*MID, "preConditions", 0, "validationMessage", "en"], "string", "number")]),
    ("step: editor position and unknown keys are kept", with_step(step("mid", "AUTOMATED",
                                                                      _editorPosition={"x": 10, "y": 20}, note=1)), []),
    ("step: timerConfig not an object", with_step(step("mid", "AUTOMATED", timerConfig=[])),
     [wrong([*MID, "timerConfig"], "record", "array")]),

    # userTaskConfig
    ("task: role queue (CLAIMABLE)", user_task(assignedTo=["admin"], formSchema={
        "properties": {"approved": {"type": "boolean"}, "comments": {"type": "string"}},
        "required": ["approved"]}), []),
    ("task: direct assignment with SLA (TC-WF-002)", user_task(assignedTo="approver", slaDuration="PT1H"), []),
    ("task: assignedTo number", user_task(assignedTo=5),
     [("invalid_union", "Invalid input", [*MID, "userTaskConfig", "assignedTo"])]),
    ("task: assignedTo array of numbers", user_task(assignedTo=[1]),
     [("invalid_union", "Invalid input", [*MID, "userTaskConfig", "assignedTo"])]),
    ("task: assignedToRoles", user_task(assignedToRoles=["admin"]), []),
    ("task: assignedToRoles not an array", user_task(assignedToRoles="admin"),
     [wrong([*MID, "userTaskConfig", "assignedToRoles"], "array", "string")]),
    ("task: assignmentRule", user_task(assignmentRule="pick_reviewer"), []),
    ("task: fields form", user_task(formSchema={"fields": [
        {"name": "approved", "type": "boolean", "label": "Approved", "required": True},
        {"name": "level", "type": "select", "label": "Level", "options": ["a", "b"]}]}), []),
    ("task: fields form item without label",
     user_task(formSchema={"fields": [{"name": "approved", "type": "boolean"}]}),
     [("invalid_union", "Invalid input", [*MID, "userTaskConfig", "formSchema"])]),
    ("task: fields without label pass when properties are present",
     user_task(formSchema={"fields": [{"name": "approved", "type": "boolean"}], "properties": {}}), []),
    ("task: fields form item with an empty name reports the near match",
     user_task(formSchema={"fields": [{"name": "", "type": "text", "label": "Name"}]}),
     [too_small([*MID, "userTaskConfig", "formSchema", "fields", 0, "name"], ">=1")]),
    ("task: JSON-schema form with a wrong type",
     user_task(formSchema={"type": "array", "properties": {}}),
     [("invalid_union", "Invalid input", [*MID, "userTaskConfig", "formSchema"])]),
    ("task: JSON-schema form with non-string required",
     user_task(formSchema={"properties": {}, "required": [1]}),
     [("invalid_union", "Invalid input", [*MID, "userTaskConfig", "formSchema"])]),
    ("task: escalation rules", user_task(slaDuration="P1D", escalationRules=[
        {"trigger": "sla_breach", "action": "reassign", "escalateTo": "manager", "notifyUsers": ["u1"]}]), []),
    ("task: escalation trigger unknown", user_task(escalationRules=[{"trigger": "late", "action": "notify"}]),
     [("invalid_value", 'Invalid option: expected one of "sla_breach"|"no_progress"|"custom"',
       [*MID, "userTaskConfig", "escalationRules", 0, "trigger"])]),
    ("task: escalation action missing", user_task(escalationRules=[{"trigger": "custom"}]),
     [("invalid_value", 'Invalid option: expected one of "reassign"|"notify"|"escalate"',
       [*MID, "userTaskConfig", "escalationRules", 0, "action"])]),
    ("task: SLA in weeks", user_task(slaDuration="P2W"), []),
    ("task: SLA in months", user_task(slaDuration="P1M"), []),
    ("task: SLA with fraction", user_task(slaDuration="PT1.5H"), []),
    ("task: SLA not a duration", user_task(slaDuration="1 day"),
     [custom(DURATION_MSG, [*MID, "userTaskConfig", "slaDuration"])]),
    ("task: userTaskConfig not an object", with_step(step("review", "USER_TASK", userTaskConfig=[])),
     [wrong([*MID, "userTaskConfig"], "object", "array")]),

    # subWorkflowConfig / signalConfig
    ("sub: config", with_step(step("child", "SUB_WORKFLOW", subWorkflowConfig={
        "subWorkflowId": "child-wf", "version": 2, "inputMapping": {"orderId": "order.id"},
        "outputMapping": {"result": "outcome"}, "timeoutMs": 60000})), []),
    ("sub: subWorkflowId missing", with_step(step("child", "SUB_WORKFLOW", subWorkflowConfig={})),
     [missing([*MID, "subWorkflowConfig", "subWorkflowId"])]),
    ("sub: subWorkflowId empty", with_step(step("child", "SUB_WORKFLOW", subWorkflowConfig={"subWorkflowId": ""})),
     [("too_small", "Sub-workflow ID is required", [*MID, "subWorkflowConfig", "subWorkflowId"])]),
    ("sub: version 0", with_step(step("child", "SUB_WORKFLOW", subWorkflowConfig={"subWorkflowId": "c", "version": 0})),
     [too_small([*MID, "subWorkflowConfig", "version"], ">0", "number")]),
    ("sub: mapping values are strings",
     with_step(step("child", "SUB_WORKFLOW", subWorkflowConfig={"subWorkflowId": "c", "inputMapping": {"a": 1}})),
     [wrong([*MID, "subWorkflowConfig", "inputMapping", "a"], "string", "number")]),
    ("sub: timeoutMs 0",
     with_step(step("child", "SUB_WORKFLOW", subWorkflowConfig={"subWorkflowId": "c", "timeoutMs": 0})),
     [too_small([*MID, "subWorkflowConfig", "timeoutMs"], ">0", "number")]),
    ("sub: the runtime's config is free-form", with_step(step("child", "SUB_WORKFLOW", config={
        "subWorkflowId": "child-wf", "inputMapping": {"x": "y"}})), []),
    ("signal: config (SIGNAL fixture)", with_step(step("wait", "WAIT_FOR_SIGNAL",
                                                       signalConfig={"signalName": "approval"})), []),
    ("signal: timeout", with_step(step("wait", "WAIT_FOR_SIGNAL",
                                       signalConfig={"signalName": "payment_confirmed", "timeout": "PT5M"})), []),
    ("signal: signalName empty", with_step(step("wait", "WAIT_FOR_SIGNAL", signalConfig={"signalName": ""})),
     [too_small([*MID, "signalConfig", "signalName"], ">=1")]),
    ("signal: signalName missing", with_step(step("wait", "WAIT_FOR_SIGNAL", signalConfig={})),
     [missing([*MID, "signalConfig", "signalName"])]),
    ("signal: timeout not a duration", with_step(step("wait", "WAIT_FOR_SIGNAL",
                                                      signalConfig={"signalName": "s", "timeout": "5 minutes"})),
     [custom(DURATION_MSG, [*MID, "signalConfig", "timeout"])]),
    ("signal: no signalConfig (the step id is the signal name)", with_step(step("wait", "WAIT_FOR_SIGNAL")), []),

    # WAIT_FOR_TIMER
    ("timer: duration (TC-WF-007)", timer({"duration": "PT5M"}), []),
    ("timer: short duration", timer({"duration": "5m"}), []),
    ("timer: duration in weeks", timer({"duration": "P1W"}), []),
    ("timer: duration placeholder", timer({"duration": "{{context.delay}}"}), []),
    ("timer: until in the future", timer({"until": FUTURE}), []),
    ("timer: until placeholder", timer({"until": "{{context.deadline}}"}), []),
    ("timer: empty duration counts as absent", timer({"duration": "", "until": FUTURE}), []),
    ("timer: null duration counts as absent", timer({"duration": None, "until": FUTURE}), []),
    ("timer: no config", timer(), [custom('WAIT_FOR_TIMER step requires "duration" or "until"', [*MID, "config"])]),
    ("timer: empty config", timer({}),
     [custom('WAIT_FOR_TIMER step requires "duration" or "until"', [*MID, "config"])]),
    ("timer: legacy timerConfig alone is not enough",
     with_step(step("wait", "WAIT_FOR_TIMER", timerConfig={"duration": "PT5M"})),
     [custom('WAIT_FOR_TIMER step requires "duration" or "until"', [*MID, "config"])]),
    ("timer: both duration and until", timer({"duration": "PT5M", "until": FUTURE}),
     [custom('WAIT_FOR_TIMER step accepts "duration" OR "until", not both', [*MID, "config"])]),
    ("timer: duration P", timer({"duration": "P"}), [custom(DURATION_MSG, [*MID, "config", "duration"])]),
    ("timer: duration PT", timer({"duration": "PT"}), [custom(DURATION_MSG, [*MID, "config", "duration"])]),
    ("timer: zero duration", timer({"duration": "PT0S"}), [custom(DURATION_MSG, [*MID, "config", "duration"])]),
    ("timer: duration words", timer({"duration": "five minutes"}),
     [custom(DURATION_MSG, [*MID, "config", "duration"])]),
    ("timer: duration number", timer({"duration": 5}), [custom(DURATION_MSG, [*MID, "config", "duration"])]),
    ("timer: until not a date", timer({"until": "next week"}), [custom(UNTIL_MSG, [*MID, "config", "until"])]),
    ("timer: until in the past", timer({"until": PAST}), [custom(UNTIL_PAST_MSG, [*MID, "config", "until"])]),
    ("timer: the rule waits for the step to be well-formed",
     with_step(step("wait", "WAIT_FOR_TIMER", stepName=5)), [wrong([*MID, "stepName"], "string", "number")]),
    ("timer: other step types ignore config.duration",
     with_step(step("mid", "AUTOMATED", config={"duration": "whenever"})), []),

    # transitions
    ("transition: all fields", with_transition(
        transitionName="Go", priority=10, continueOnActivityFailure=True,
        preConditions=[{"ruleId": "r1"}, {"ruleId": "r2", "required": False}], postConditions=[{"ruleId": "r3"}],
        condition={"field": "amount", "operator": ">", "value": 10}), []),
    ("transition: JsonLogic condition", with_transition(condition={">": [{"var": "amount"}, 10]}), []),
    ("transition: transitionId with spaces", with_transition(transitionId="start to end"),
     [("invalid_format", TRANSITION_ID_MSG, [*TR, "transitionId"])]),
    ("transition: transitionId 101 chars", with_transition(transitionId="t" * 101), [too_big([*TR, "transitionId"],
                                                                                            "100")]),
    ("transition: fromStepId empty", with_transition(fromStepId=""), [too_small([*TR, "fromStepId"], ">=1")]),
    ("transition: fromStepId may use any characters", with_transition(fromStepId="Start Step"), []),
    ("transition: toStepId 101 chars", with_transition(toStepId="e" * 101), [too_big([*TR, "toStepId"], "100")]),
    ("transition: toStepId missing", row(definition=graph(row()["definition"]["steps"], [
        {"transitionId": "t", "fromStepId": "start", "trigger": "auto"}])), [missing([*TR, "toStepId"])]),
    ("transition: transitionName 256 chars", with_transition(transitionName="n" * 256),
     [too_big([*TR, "transitionName"], "255")]),
    ("transition: trigger unknown", with_transition(trigger="event"),
     [("invalid_value", 'Invalid option: expected one of "auto"|"manual"|"signal"|"timer"', [*TR, "trigger"])]),
    ("transition: trigger manual (MANUAL fixture)", with_transition(trigger="manual"), []),
    ("transition: trigger timer", with_transition(trigger="timer"), []),
    ("transition: priority 9999", with_transition(priority=9999), []),
    ("transition: priority 10000", with_transition(priority=10000), [too_big([*TR, "priority"], "9999", "number")]),
    ("transition: priority -1", with_transition(priority=-1), [too_small([*TR, "priority"], ">=0", "number")]),
    ("transition: priority 1.5", with_transition(priority=1.5), [wrong([*TR, "priority"], "int", "number")]),
    ("transition: continueOnActivityFailure string", with_transition(continueOnActivityFailure="no"),
     [wrong([*TR, "continueOnActivityFailure"], "boolean", "string")]),
    ("transition: preCondition without ruleId", with_transition(preConditions=[{"required": True}]),
     [missing([*TR, "preConditions", 0, "ruleId"])]),
    ("transition: preCondition empty ruleId", with_transition(preConditions=[{"ruleId": ""}]),
     [too_small([*TR, "preConditions", 0, "ruleId"], ">=1")]),
    ("transition: postCondition ruleId 51 chars", with_transition(postConditions=[{"ruleId": "r" * 51}]),
     [too_big([*TR, "postConditions", 0, "ruleId"], "50")]),
    ("transition: activities not an array", with_transition(activities="x"),
     [wrong([*TR, "activities"], "array", "string")]),

    # activities
    ("activity: TC-WF-002 step activity", with_step(step("review", "USER_TASK", activities=[
        activity("review_notify", "SEND_EMAIL", {"to": "{{context.reviewer.email}}", "subject": "Review needed",
                                                 "template": "workflow_review"}, **{"async": True})])), []),
    ("activity: config keys are free-form (TC-WF-017)",
     with_activity(activity("boom", "EXECUTE_FUNCTION", {"functionId": "qa-nonexistent-function-do-not-register"})),
     []),
    ("activity: all fields", with_activity(activity(
        "charge", "CALL_WEBHOOK", {"url": "https://example.com"}, retryPolicy=retry(), timeout="PT10S",
        compensation={"activityId": "refund", "automatic": False}, timeoutMs=5000, **{"async": False})), []),
    ("activity: activityId with spaces", with_activity(activity("Notify Reviewer", "SEND_EMAIL")),
     [("invalid_format", ACTIVITY_ID_MSG, [*ACT, "activityId"])]),
    ("activity: activityId 101 chars", with_activity(activity("a" * 101, "SEND_EMAIL")),
     [too_big([*ACT, "activityId"], "100")]),
    ("activity: activityName missing", with_activity({"activityId": "x", "activityType": "SEND_EMAIL", "config": {}}),
     [missing([*ACT, "activityName"])]),
    ("activity: activityName empty", with_activity(activity("x", "SEND_EMAIL", activityName="")),
     [too_small([*ACT, "activityName"], ">=1")]),
    ("activity: activityName 256 chars", with_activity(activity("x", "SEND_EMAIL", activityName="n" * 256)),
     [too_big([*ACT, "activityName"], "255")]),
    ("activity: activityType unknown", with_activity(activity("x", "SLEEP")),
     [("invalid_value", f"Invalid option: expected one of {ACTIVITY_TYPES}", [*ACT, "activityType"])]),
    ("activity: config missing", with_activity({"activityId": "x", "activityName": "X", "activityType": "EMIT_EVENT"}),
     [missing([*ACT, "config"], "record")]),
    ("activity: config null", with_activity(activity("x", "EMIT_EVENT") | {"config": None}),
     [wrong([*ACT, "config"], "record", "null")]),
    ("activity: async string", with_activity(activity("x", "EMIT_EVENT", **{"async": "true"})),
     [wrong([*ACT, "async"], "boolean", "string")]),
    ("activity: retry coefficient below 1", with_activity(activity("x", "EMIT_EVENT",
                                                                   retryPolicy=retry(backoffCoefficient=0.5))),
     [too_small([*ACT, "retryPolicy", "backoffCoefficient"], ">=1", "number")]),
    ("activity: retry coefficient above 10", with_activity(activity("x", "EMIT_EVENT",
                                                                    retryPolicy=retry(backoffCoefficient=11))),
     [too_big([*ACT, "retryPolicy", "backoffCoefficient"], "10", "number")]),
    ("activity: retry coefficient may be fractional", with_activity(activity("x", "EMIT_EVENT",
                                                                             retryPolicy=retry(backoffCoefficient=1.5))),
     []),
    ("activity: retry interval fractional", with_activity(activity("x", "EMIT_EVENT",
                                                                   retryPolicy=retry(initialIntervalMs=1.5))),
     [wrong([*ACT, "retryPolicy", "initialIntervalMs"], "int", "number")]),
    ("activity: retry maxAttempts 11", with_activity(activity("x", "EMIT_EVENT", retryPolicy=retry(maxAttempts=11))),
     [too_big([*ACT, "retryPolicy", "maxAttempts"], "10", "number")]),
    ("activity: retry incomplete", with_activity(activity("x", "EMIT_EVENT", retryPolicy={"maxAttempts": 2})),
     [missing([*ACT, "retryPolicy", "initialIntervalMs"], "number"),
      missing([*ACT, "retryPolicy", "backoffCoefficient"], "number"),
      missing([*ACT, "retryPolicy", "maxIntervalMs"], "number")]),
    ("activity: compensation activityId empty", with_activity(activity("x", "EMIT_EVENT",
                                                                       compensation={"activityId": ""})),
     [too_small([*ACT, "compensation", "activityId"], ">=1")]),
    ("activity: compensation automatic string",
     with_activity(activity("x", "EMIT_EVENT", compensation={"activityId": "y", "automatic": "yes"})),
     [wrong([*ACT, "compensation", "automatic"], "boolean", "string")]),
    ("activity: timeout in milliseconds", with_activity(activity("x", "EMIT_EVENT", timeout="10000")), []),
    ("activity: timeout not a duration", with_activity(activity("x", "EMIT_EVENT", timeout="ten seconds")),
     [custom(DURATION_MSG, [*ACT, "timeout"])]),
    ("activity: timeoutMs 0", with_activity(activity("x", "EMIT_EVENT", timeoutMs=0)),
     [too_small([*ACT, "timeoutMs"], ">0", "number")]),

    # WAIT
    ("wait: duration (TC-WF-012)", wait({"duration": "PT1S"}), []),
    ("wait: async with duration (TC-WF-016)", with_activity(activity("async_wait", "WAIT", {"duration": "PT1S"},
                                                                     **{"async": True})), []),
    ("wait: until", wait({"until": FUTURE}), []),
    ("wait: placeholders", wait({"duration": "{{context.pause}}"}), []),
    ("wait: neither", wait({}), [custom('WAIT activity requires "duration" or "until"', [*ACT, "config"])]),
    ("wait: both", wait({"duration": "PT1S", "until": FUTURE}),
     [custom('WAIT activity accepts "duration" OR "until", not both', [*ACT, "config"])]),
    ("wait: bad duration", wait({"duration": "1 second"}), [custom(DURATION_MSG, [*ACT, "config", "duration"])]),
    ("wait: bad until", wait({"until": "2030-02-30"}), [custom(UNTIL_MSG, [*ACT, "config", "until"])]),
    ("wait: past until", wait({"until": PAST}), [custom(UNTIL_PAST_MSG, [*ACT, "config", "until"])]),
    ("wait: in step activities too",
     with_step(step("mid", "AUTOMATED", activities=[activity("pause", "WAIT", {})])),
     [custom('WAIT activity requires "duration" or "until"', [*MID, "activities", 0, "config"])]),
    ("wait: other activity types ignore config.duration", with_activity(activity("x", "EMIT_EVENT",
                                                                                 {"duration": "bad"})), []),

    # triggers
    ("trigger: minimal", with_trigger(), []),
    ("trigger: all fields", with_trigger(description=None, enabled=False, priority=5, config={
        "filterConditions": [{"field": "status", "operator": "eq", "value": "new"},
                             {"field": "x", "operator": "exists"}],
        "contextMapping": [{"targetKey": "orderId", "sourceExpression": "id", "defaultValue": None}],
        "debounceMs": 3600000, "maxConcurrentInstances": 1000, "entityType": "SalesOrder"}), []),
    ("trigger: config null", with_trigger(config=None), []),
    ("trigger: pattern *", with_trigger(eventPattern="*"), []),
    ("trigger: pattern with wildcard segment", with_trigger(eventPattern="sales.*.created"), []),
    ("trigger: pattern is case-insensitive", with_trigger(eventPattern="Customers.People.Created"), []),
    ("trigger: triggerId uppercase", with_trigger(triggerId="OnCreated"),
     [("invalid_format", TRIGGER_ID_MSG, [*TRG, "triggerId"])]),
    ("trigger: name missing", with_trigger(name=...), [missing([*TRG, "name"])]),
    ("trigger: name 256 chars", with_trigger(name="n" * 256), [too_big([*TRG, "name"], "255")]),
    ("trigger: description 2001 chars", with_trigger(description="d" * 2001), [too_big([*TRG, "description"], "2000")]),
    ("trigger: eventPattern missing", with_trigger(eventPattern=...), [missing([*TRG, "eventPattern"])]),
    ("trigger: eventPattern empty", with_trigger(eventPattern=""),
     [("too_small", "Event pattern is required", [*TRG, "eventPattern"]),
      ("invalid_format", EVENT_PATTERN_MSG, [*TRG, "eventPattern"])]),
    ("trigger: eventPattern 256 chars", with_trigger(eventPattern="e" * 256),
     [("too_big", "Event pattern must be at most 255 characters", [*TRG, "eventPattern"])]),
    ("trigger: eventPattern with empty segment", with_trigger(eventPattern="sales..created"),
     [("invalid_format", EVENT_PATTERN_MSG, [*TRG, "eventPattern"])]),
    ("trigger: eventPattern starting with a wildcard", with_trigger(eventPattern="*.created"),
     [("invalid_format", EVENT_PATTERN_MSG, [*TRG, "eventPattern"])]),
    ("trigger: eventPattern with a hyphen", with_trigger(eventPattern="sales-orders.created"),
     [("invalid_format", EVENT_PATTERN_MSG, [*TRG, "eventPattern"])]),
    ("trigger: 21 filter conditions", with_trigger(config={
        "filterConditions": [{"field": "f", "operator": "exists"}] * 21}),
     [too_big([*TRG, "config", "filterConditions"], "20", "array")]),
    ("trigger: filter operator unknown",
     with_trigger(config={"filterConditions": [{"field": "f", "operator": "like"}]}),
     [("invalid_value", 'Invalid option: expected one of "eq"|"neq"|"gt"|"gte"|"lt"|"lte"|"contains"|"startsWith"|'
                        '"endsWith"|"in"|"notIn"|"exists"|"notExists"|"regex"',
       [*TRG, "config", "filterConditions", 0, "operator"])]),
    ("trigger: filter field empty", with_trigger(config={"filterConditions": [{"field": "", "operator": "eq"}]}),
     [too_small([*TRG, "config", "filterConditions", 0, "field"], ">=1")]),
    ("trigger: 51 context mappings", with_trigger(config={
        "contextMapping": [{"targetKey": "k", "sourceExpression": "s"}] * 51}),
     [too_big([*TRG, "config", "contextMapping"], "50", "array")]),
    ("trigger: context targetKey 101 chars", with_trigger(config={
        "contextMapping": [{"targetKey": "k" * 101, "sourceExpression": "s"}]}),
     [too_big([*TRG, "config", "contextMapping", 0, "targetKey"], "100")]),
    ("trigger: context sourceExpression missing", with_trigger(config={"contextMapping": [{"targetKey": "k"}]}),
     [missing([*TRG, "config", "contextMapping", 0, "sourceExpression"])]),
    ("trigger: debounceMs too long", with_trigger(config={"debounceMs": 3600001}),
     [too_big([*TRG, "config", "debounceMs"], "3600000", "number")]),
    ("trigger: maxConcurrentInstances 0", with_trigger(config={"maxConcurrentInstances": 0}),
     [too_small([*TRG, "config", "maxConcurrentInstances"], ">=1", "number")]),
    ("trigger: enabled string", with_trigger(enabled="yes"), [wrong([*TRG, "enabled"], "boolean", "string")]),
    ("trigger: priority 10000", with_trigger(priority=10000), [too_big([*TRG, "priority"], "9999", "number")]),

    # fork / join structure
    ("fork: two branches join (TC-WF-022)", fork_join(), []),
    ("fork: three branches, longer chains", fork_join({"fork-to-a": ["a", "a2"], "fork-to-b": ["b"],
                                                      "fork-to-c": ["c", "c2", "c3"]}), []),
    ("fork: join reached through a manual transition", _replace_transition(fork_join(), "b-to-join",
                                                                           trigger="manual"), []),
    ("fork: branches may share steps", fork_join({"fork-to-a": ["a", "shared"], "fork-to-b": ["b"]},
                                                 extra_transitions=[transition("b-to-shared", "b", "shared")]), []),
    ("fork: MISSING_JOIN_STEP_ID (TC-WF-018a)", fork_join(fork_config=None),
     fj('[MISSING_JOIN_STEP_ID] PARALLEL_FORK "fork" must declare config.joinStepId',
        '[UNPAIRED_JOIN] PARALLEL_JOIN "join" is not paired with any PARALLEL_FORK')),
    ("fork: empty joinStepId", fork_join(fork_config={"joinStepId": ""}),
     fj('[MISSING_JOIN_STEP_ID] PARALLEL_FORK "fork" must declare config.joinStepId',
        '[UNPAIRED_JOIN] PARALLEL_JOIN "join" is not paired with any PARALLEL_FORK')),
    ("fork: JOIN_STEP_NOT_FOUND", fork_join(fork_config={"joinStepId": "nowhere"}),
     fj('[JOIN_STEP_NOT_FOUND] PARALLEL_FORK "fork" references missing join step "nowhere"',
        '[UNPAIRED_JOIN] PARALLEL_JOIN "join" is not paired with any PARALLEL_FORK')),
    ("fork: JOIN_STEP_WRONG_TYPE", fork_join(fork_config={"joinStepId": "a"}),
     fj('[JOIN_STEP_WRONG_TYPE] Step "a" referenced by fork "fork" is not a PARALLEL_JOIN',
        '[UNPAIRED_JOIN] PARALLEL_JOIN "join" is not paired with any PARALLEL_FORK')),
    ("fork: MISSING_FORK_STEP_ID", fork_join(join_config=None),
     fj('[MISSING_FORK_STEP_ID] PARALLEL_JOIN "join" must declare config.forkStepId')),
    ("fork: FORK_JOIN_MISMATCH", fork_join(join_config={"forkStepId": "other"}),
     fj('[FORK_JOIN_MISMATCH] PARALLEL_JOIN "join" back-reference forkStepId "other" does not match fork "fork"')),
    ("fork: FORK_TOO_FEW_BRANCHES", fork_join({"fork-to-a": ["a"]}),
     fj('[FORK_TOO_FEW_BRANCHES] PARALLEL_FORK "fork" must have at least 2 outgoing auto transitions (found 1)',
        '[JOIN_TOO_FEW_INCOMING] PARALLEL_JOIN "join" must have at least 2 incoming transitions')),
    ("fork: manual transitions are not branches", _replace_transition(fork_join(), "fork-to-b", trigger="manual"),
     fj('[FORK_TOO_FEW_BRANCHES] PARALLEL_FORK "fork" must have at least 2 outgoing auto transitions (found 1)')),
    ("fork: DUPLICATE_BRANCH_KEY", _replace_transition(fork_join(), "fork-to-b", transitionId="fork-to-a"),
     fj('[DUPLICATE_BRANCH_KEY] PARALLEL_FORK "fork" has duplicate branch key "fork-to-a"')),
    ("fork: JOIN_TOO_FEW_INCOMING and a branch reaching END (TC-WF-018c)",
     _replace_transition(fork_join(), "b-to-join", toStepId="end"),
     fj('[JOIN_TOO_FEW_INCOMING] PARALLEL_JOIN "join" must have at least 2 incoming transitions',
        '[NO_CONVERGENCE_TO_JOIN] A branch of fork "fork" reaches an END step before join "join"')),
    ("fork: NESTED_FORK_NOT_SUPPORTED (TC-WF-018b)", row(definition=graph(
        [step("start", "START"), step("fork", "PARALLEL_FORK", config={"joinStepId": "join"}),
         step("inner_fork", "PARALLEL_FORK", config={"joinStepId": "inner_join"}), step("x", "AUTOMATED"),
         step("y", "AUTOMATED"), step("inner_join", "PARALLEL_JOIN", config={"forkStepId": "inner_fork"}),
         step("b", "AUTOMATED"), step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}), step("end", "END")],
        [transition("start-to-fork", "start", "fork"), transition("fork-to-inner", "fork", "inner_fork"),
         transition("fork-to-b", "fork", "b"), transition("inner-to-x", "inner_fork", "x"),
         transition("inner-to-y", "inner_fork", "y"), transition("x-to-inner-join", "x", "inner_join"),
         transition("y-to-inner-join", "y", "inner_join"), transition("inner-join-to-join", "inner_join", "join"),
         transition("b-to-join", "b", "join"), transition("join-to-end", "join", "end")])),
     fj('[NESTED_FORK_NOT_SUPPORTED] Nested PARALLEL_FORK "inner_fork" inside fork "fork" is not supported')),
    ("fork: branch reaching a missing step", _replace_transition(fork_join(), "b-to-join", toStepId="ghost"),
     fj('[JOIN_TOO_FEW_INCOMING] PARALLEL_JOIN "join" must have at least 2 incoming transitions',
        '[NO_CONVERGENCE_TO_JOIN] A branch of fork "fork" reaches missing step "ghost" instead of join "join"')),
    ("fork: branch dead-ending", _drop_transition(fork_join(), "b-to-join"),
     fj('[JOIN_TOO_FEW_INCOMING] PARALLEL_JOIN "join" must have at least 2 incoming transitions',
        '[NO_CONVERGENCE_TO_JOIN] A branch of fork "fork" dead-ends at step "b" without reaching join "join"')),
    ("fork: branch reaching another join", _replace_transition(
        fork_join(extra_steps=[step("join2", "PARALLEL_JOIN", config={"forkStepId": "fork"})],
                  extra_transitions=[transition("join2-to-end", "join2", "end")]), "b-to-join", toStepId="join2"),
     fj('[JOIN_TOO_FEW_INCOMING] PARALLEL_JOIN "join" must have at least 2 incoming transitions',
        '[NO_CONVERGENCE_TO_JOIN] A branch of fork "fork" reaches join "join2" instead of its own join "join"',
        '[UNPAIRED_JOIN] PARALLEL_JOIN "join2" is not paired with any PARALLEL_FORK')),
    ("fork: NO_CONVERGENCE reported once per fork",
     _replace_transition(_replace_transition(fork_join(), "a-to-join", toStepId="end"), "b-to-join", toStepId="end"),
     fj('[JOIN_TOO_FEW_INCOMING] PARALLEL_JOIN "join" must have at least 2 incoming transitions',
        '[NO_CONVERGENCE_TO_JOIN] A branch of fork "fork" reaches an END step before join "join"')),
    ("fork: FORK_JOIN_CYCLE back to the fork", fork_join(extra_transitions=[transition("a-to-fork", "a", "fork",
                                                                                       "manual")]),
     fj('[FORK_JOIN_CYCLE] A branch of fork "fork" loops back to the fork before reaching join "join"')),
    ("fork: FORK_JOIN_CYCLE inside a branch", fork_join({"fork-to-a": ["a", "a2"], "fork-to-b": ["b"]},
                                                        extra_transitions=[transition("a2-to-a", "a2", "a")]),
     fj('[FORK_JOIN_CYCLE] A branch of fork "fork" contains a cycle at step "a"')),
    ("fork: UNPAIRED_JOIN without any fork", with_step(step("join", "PARALLEL_JOIN", config={"forkStepId": "x"})),
     fj('[UNPAIRED_JOIN] PARALLEL_JOIN "join" is not paired with any PARALLEL_FORK')),
    ("fork: the structure check waits for well-formed steps", _broken_fork(),
     [missing(["definition", "steps", 1, "stepName"])]),
    ("fork: the structure check runs next to format errors", _renamed_branch_fork(),
     [("invalid_format", STEP_ID_MSG, ["definition", "steps", 5, "stepId"]),
      *fj('[JOIN_TOO_FEW_INCOMING] PARALLEL_JOIN "join" must have at least 2 incoming transitions',
          '[NO_CONVERGENCE_TO_JOIN] A branch of fork "fork" dead-ends at step "B" without reaching join "join"')]),
]
