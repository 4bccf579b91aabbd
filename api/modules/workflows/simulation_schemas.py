"""Request and response bodies of the simulate endpoints (docs/workflows.md, "Simulation"). Our own endpoints
(the reference has none), so ordinary strict pydantic models: unknown keys are refused, problems are 400
`{"error", "details": [{path, message, code}]}`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from engine.simulation import (
    DEFAULT_MAX_ITERATIONS,
    MAX_ITERATIONS_LIMIT,
    ActivityScript,
    Advance,
    CompleteTask,
    EndChild,
    Event,
    FireTimer,
    Script,
    SendSignal,
)

MAX_EVENTS = 500


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# --- the script --------------------------------------------------------------------------------------------


class CompleteTaskEvent(_Model):
    """A person completes the open task of `stepId` (of the only open task when omitted) with `data`, checked
    against the step's formSchema as a real completion is."""

    type: Literal["completeTask"]
    step_id: str | None = Field(default=None, description="The USER_TASK step whose task is completed.")
    data: dict[str, Any] = Field(default_factory=dict, description="Form data, merged into the context.")
    comments: str | None = Field(default=None, max_length=2000)


class SignalEvent(_Model):
    """A system sends a signal (`POST /instances/{id}/signal`)."""

    type: Literal["signal"]
    signal_name: Annotated[str, Field(min_length=1, max_length=255)]
    payload: dict[str, Any] | None = Field(default=None, description="Merged into the context.")


class TimerEvent(_Model):
    """Time passes until the next timer, signal or step timeout, or SLA breach is due (that of `stepId` when
    given), and what is due fires."""

    type: Literal["timer"]
    step_id: str | None = None


class AdvanceEvent(_Model):
    """Someone advances the instance (`POST /instances/{id}/advance`)."""

    type: Literal["advance"]
    to_step_id: str | None = None
    trigger_data: dict[str, Any] | None = None
    context_updates: dict[str, Any] | None = None


class SubWorkflowEvent(_Model):
    """The child instance started by the SUB_WORKFLOW step `stepId` ends (children are never run)."""

    type: Literal["subWorkflow"]
    step_id: Annotated[str, Field(min_length=1)]
    status: Literal["COMPLETED", "FAILED", "CANCELLED"] = "COMPLETED"
    context: dict[str, Any] = Field(default_factory=dict, description="The child's final context.")
    error: str | None = Field(default=None, max_length=2000)


ScriptEvent = Annotated[CompleteTaskEvent | SignalEvent | TimerEvent | AdvanceEvent | SubWorkflowEvent,
                        Field(discriminator="type")]


class ActivityOutcomeIn(_Model):
    """How an execution of an activity ends. A failure uses up the activity's retry policy unless
    `retryable` is false (a 4xx answer)."""

    outcome: Literal["success", "failure"] = "success"
    output: Any = Field(default=None, description="The activity's output on success.")
    error: str | None = Field(default=None, max_length=2000, description="The error message on failure.")
    retryable: bool = True


class SimulationScript(_Model):
    """Body of `POST /workflows/definitions/{id}/simulate`."""

    initial_context: dict[str, Any] = Field(default_factory=dict, description="The context the instance starts with.")
    events: list[ScriptEvent] = Field(default_factory=list, max_length=MAX_EVENTS,
                                      description="What happens to the instance, in order.")
    activities: dict[str, ActivityOutcomeIn | list[ActivityOutcomeIn]] = Field(
        default_factory=dict, description="Per activityId, its outcome, or one outcome per execution in order (the "
                                          "last repeats). Unscripted activities succeed without output.")
    start_at: datetime | None = Field(default=None, description="The simulated start (default: now); the "
                                                                  "virtual clock runs from it.")
    max_iterations: int = Field(default=DEFAULT_MAX_ITERATIONS, ge=1, le=MAX_ITERATIONS_LIMIT,
                                description="Transition selections before the simulation stops (`truncated`).")

    def script(self, now: datetime) -> Script:
        start = self.start_at or now
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        outcomes = {key: [_outcome(o) for o in (value if isinstance(value, list) else [value])]
                    for key, value in self.activities.items()}
        return Script(start_at=start, context=dict(self.initial_context), events=[_event(e) for e in self.events],
                      activities=outcomes, max_iterations=self.max_iterations)


class SimulateDocument(SimulationScript):
    """Body of `POST /workflows/definitions/simulate`: the script with the definition inline."""

    definition: dict[str, Any] = Field(description="A create body (`{workflowId, workflowName, definition, ...}`) "
                                                   "or a bare definition (`{steps, transitions, ...}`).")


def _outcome(value: ActivityOutcomeIn) -> ActivityScript:
    return ActivityScript(ok=value.outcome == "success", output=value.output, error=value.error,
                          retryable=value.retryable)


def _event(value: Any) -> Event:
    if isinstance(value, CompleteTaskEvent):
        return CompleteTask(value.step_id, value.data, value.comments)
    if isinstance(value, SignalEvent):
        return SendSignal(value.signal_name, value.payload)
    if isinstance(value, TimerEvent):
        return FireTimer(value.step_id)
    if isinstance(value, AdvanceEvent):
        return Advance(value.to_step_id, value.trigger_data, value.context_updates)
    assert isinstance(value, SubWorkflowEvent)
    return EndChild(value.step_id, value.status, value.context, value.error)


# --- the report --------------------------------------------------------------------------------------------


class StartCheck(_Out):
    can_start: bool
    errors: list[dict[str, Any]] = Field(description="`{ruleId, message, code}` of each refusing rule.")
    validated_rules: list[dict[str, Any]] = Field(description="`{ruleId, passed, executionTime}`.")


class StepVisit(_Out):
    step_id: str
    step_name: str | None
    step_type: str
    status: str = Field(description="COMPLETED, FAILED, ACTIVE (still open) or CANCELLED.")
    entered_at: str | None
    exited_at: str | None
    execution_time_ms: int | None
    input: Any
    output: Any
    error: Any
    branch_key: str | None = Field(default=None, description="The parallel branch it ran in.")


class TakenTransition(_Out):
    transition_id: str | None
    from_step_id: str | None
    to_step_id: str | None
    at: str | None
    post_conditions_passed: bool | None
    branch_key: str | None = None


class RuleVerdict(_Out):
    rule_id: str
    rule_name: str | None
    required: bool
    passed: bool
    condition_result: bool
    blocked: bool = Field(description="A BLOCK_TRANSITION action would run.")
    error: str | None


class CandidateVerdict(_Out):
    transition_id: str
    to_step_id: str
    trigger: str
    priority: int
    evaluated: bool = Field(description="False when not looked at (another trigger, or a higher priority won).")
    valid: bool | None
    reason: str = Field(description="Why it is valid or not, or why it was not evaluated.")
    rules: list[RuleVerdict] = Field(description="Its pre-condition rules as evaluated.")


class Decision(_Out):
    """One time the engine looked for a way out of a step: every outgoing transition and its verdict."""

    step_id: str | None
    branch_key: str | None
    kind: Literal["auto", "advance", "timeout"]
    at: str
    first_valid: str | None = Field(description="The transition the engine takes (advance: unless toStepId says).")
    candidates: list[CandidateVerdict]


class ActivityRun(_Out):
    activity_id: str
    activity_name: str
    activity_type: str
    step_id: str | None
    transition_id: str | None
    started_at: str
    outcome: Literal["success", "failure"]
    attempts: int
    config: Any = Field(description="The config after interpolation, as it would have been sent.")
    output: Any = None
    error: str | None = None


class TaskSeen(_Out):
    task_id: str
    step_id: str
    task_name: str
    status: str
    form_data: Any
    due_date: str | None


class ChildSeen(_Out):
    child_instance_id: str
    step_id: str | None
    workflow_id: str
    version: int
    context: dict[str, Any] = Field(description="The input context it would start with.")
    cancelled: bool


class EventResult(_Out):
    index: int
    type: str
    consumed: bool
    status: str = Field(description="The instance's status after the event.")
    current_step_id: str | None
    error: dict[str, str] | None = Field(default=None, description="`{code, message}` when the instance did not "
                                                                   "expect the event: the script stops there.")
    truncated: bool | None = None


class Waiting(_Out):
    kind: Literal["USER_TASK", "WAIT_FOR_SIGNAL", "WAIT_FOR_TIMER", "SUB_WORKFLOW", "ADVANCE"]
    step_id: str | None
    task_id: str | None = None
    signal_name: str | None = None
    fire_at: str | None = None
    timeout_at: str | None = None
    reason: str | None = None
    branch_key: str | None = None


class LogEntry(_Out):
    event_type: str
    occurred_at: str | None
    data: Any
    branch_key: str | None = None


class SimulatedDefinition(_Out):
    id: str | None
    workflow_id: str
    version: int


class SimulationResult(_Out):
    definition: SimulatedDefinition
    status: str = Field(description="The instance's status at the end: COMPLETED, PAUSED, RUNNING, FAILED, "
                                    "COMPENSATED..., or NOT_STARTED when a START pre-condition refused.")
    current_step_id: str | None
    context: dict[str, Any] = Field(description="The final context.")
    error_message: str | None
    error_details: Any
    start: StartCheck
    path: list[str] = Field(description="Steps entered, in order.")
    steps: list[StepVisit]
    transitions_taken: list[TakenTransition]
    decisions: list[Decision] = Field(description="Why each transition was or was not taken.")
    activities: list[ActivityRun]
    tasks: list[TaskSeen]
    sub_workflows: list[ChildSeen]
    events: list[EventResult] = Field(description="What became of each script event, up to the first refused.")
    script_consumed: bool
    unconsumed_events: list[int] = Field(description="Indexes of the events not (or not wholly) applied.")
    waiting_for: list[Waiting] = Field(description="What the instance rests on at the end.")
    truncated: bool = Field(description="Stopped by maxIterations (a looping definition).")
    log: list[LogEntry] = Field(description="The instance's event log as a real run would write it.")
    warnings: list[dict[str, Any]] = Field(description="Lint warnings of the definition (`{code, message, path}`).")
    started_at: str
    ended_at: str = Field(description="The virtual clock at the end.")


class SimulationResponse(_Out):
    data: SimulationResult
