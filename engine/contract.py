"""What the API and the worker agree on about a running instance: the workflow type, its input,
and the Updates and queries people and systems use. Plain dataclasses (Temporal's default
converter serializes them), no behaviour.

A running instance is one `DefinitionWorkflow` execution with workflow id == instance id, on the
task queue from settings. The API writes the instance row (status RUNNING, at the START step)
before starting it; from then on only the workflow's projection writes the instance's rows. The
workflow's first projection writes the WORKFLOW_STARTED event under `started_event_key(instance_id)`,
so an API that writes it too (same key) does not duplicate it.

WAIT activities are durable timers inside the workflow, not `run_activity` calls.
"""

# No `from __future__ import annotations` here: Temporal's converter calls `typing.get_type_hints` on a
# dataclass every time it decodes one, and string annotations made that cost more than the decoding itself.
from dataclasses import dataclass, field
from typing import Any

WORKFLOW_TYPE = "DefinitionWorkflow"

# Activities the workflow calls by name (engine/ never imports activities/). `project` and
# `evaluate_guard` run as local activities (short database work in the worker process); `run_activity`
# runs with the definition's retry policy, as a local activity for the short kinds (EXECUTE_FUNCTION,
# EMIT_EVENT, UPDATE_ENTITY, SEND_EMAIL, unless the definition says otherwise), else as a regular one.
ACTIVITY_RUN = "run_activity"
ACTIVITY_EVALUATE_GUARD = "evaluate_guard"
ACTIVITY_PROJECT = "project"
# Local activity: the definition a SUB_WORKFLOW step runs (ResolveChildInput → ResolvedChild).
ACTIVITY_RESOLVE_CHILD = "resolve_sub_workflow"
# The key marking a `run_activity` answer that says whether it wrote the projection it carried.
PROJECTED = "__projected__"

# `ApplicationError.type` raised by the activity handlers behind `run_activity`:
# ACTIVITY_FAILED for an ordinary failure (retried per the definition's retryPolicy unless raised with
# non_retryable=True), HTTP_4XX for a 4xx answer of CALL_API / CALL_WEBHOOK (always non-retryable).
# The message is the reference's error text (docs/workflows.md, "Activities"); the engine reports it as
# "Activity failed after <n> attempts: <message>". Optionally `details[0]` is {"attempt": <n>}
# (activity.info().attempt), so the engine can report the real attempt count of a non-retryable failure.
ACTIVITY_FAILED = "ACTIVITY_FAILED"
HTTP_4XX = "HTTP_4XX"
# `ApplicationError.type` of `evaluate_guard` when the rules service could not answer (its database unreachable,
# locked, timed out): retried until it answers, never taken for the rule's answer (docs/workflows.md, "Guards:
# business rules and conditions"). The rule's answer, refusals included (rule not found, disabled...), is the
# GuardResult the activity returns.
GUARD_UNAVAILABLE = "GUARD_UNAVAILABLE"

# How long a FAILED instance's workflow stays open waiting for retry or cancel, unless StartInput says.
FAILED_RETENTION_SECONDS = 30 * 24 * 3600

# Updates: the validator refuses what is not allowed (ApplicationError whose `type` is one of the
# codes below), the handler applies it and returns once the instance reached its next resting
# point and projected it, so the HTTP answer shows the new state.
UPDATE_ADVANCE = "advance"
UPDATE_CANCEL = "cancel"
UPDATE_RETRY = "retry"
UPDATE_COMPLETE_TASK = "complete_task"
UPDATE_SIGNAL = "signal"
UPDATE_CLAIM_TASK = "claim_task"
QUERY_STATE = "state"

# Stable error types (ApplicationError.type) → the API's status codes.
ERROR_STATUS: dict[str, int] = {
    "INSTANCE_NOT_FOUND": 404,
    "TASK_NOT_FOUND": 404,
    "WORKFLOW_COMPLETED": 400,
    "WORKFLOW_CANCELLED": 400,
    "WORKFLOW_FAILED": 400,
    "NO_VALID_TRANSITIONS": 400,
    "NO_VALID_TRANSITION_TO_STEP": 400,
    "TRANSITION_FAILED": 400,
    "CANNOT_CANCEL": 400,
    "CANNOT_RETRY": 400,
    "WORKFLOW_NOT_PAUSED": 409,
    "NOT_WAITING_FOR_SIGNAL": 409,
    "SIGNAL_NAME_MISMATCH": 400,
    "NO_BRANCH_AWAITING_SIGNAL": 409,
    "FORM_VALIDATION_FAILED": 400,
    "TASK_ALREADY_COMPLETED": 404,
    "TASK_ALREADY_ASSIGNED": 409,
    "TASK_NOT_ROLE_ASSIGNED": 400,
    # The caller holds none of the task's roles, is not its assignee or claimer, and lacks workflows.manage
    # (docs/workflows.md, "User tasks").
    "TASK_FORBIDDEN": 403,
}


def started_event_key(instance_id: str) -> str:
    return f"{instance_id}:WORKFLOW_STARTED"


@dataclass
class StartInput:
    instance_id: str
    tenant_id: str
    organization_id: str
    definition_id: str
    workflow_id: str
    version: int
    # The definition JSON pinned at start: editing the definition never changes this instance.
    definition: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict)
    correlation_key: str | None = None
    metadata: dict[str, Any] | None = None
    user_id: str | None = None
    # Set for SUB_WORKFLOW children: the parent's instance id and step.
    parent_instance_id: str | None = None
    parent_step_id: str | None = None
    # `{{env.KEY}}` values the instance may read: APP_URL plus OM_WORKFLOWS_ENV_INTERPOLATION_ALLOWLIST
    # keys, resolved by the API at start (the workflow must not read the process environment).
    env: dict[str, str] = field(default_factory=dict)
    # ISO 8601; the instance row's startedAt (defaults to the workflow's start time).
    started_at: str | None = None
    failed_retention_seconds: int | None = None
    # Resuming an instance whose workflow already ended (e.g. retry of a row marked FAILED after its run
    # closed): the cursor to continue from, the row's retryCount (already incremented) and its
    # projection_seq, so the new run's projection writes are not mistaken for stale ones. When
    # `resume_step_id` is set the run does not write WORKFLOW_STARTED again.
    resume_step_id: str | None = None
    retry_count: int = 0
    projection_seq: int = 0
    # Continue-as-new (docs/workflows.md, "Long-lived instances"): a run whose history grew long hands the
    # instance to a new run of the same workflow id, with this input plus `carried`, the state it had reached
    # (engine._state.carry). None for the first run.
    carried: dict[str, Any] | None = None
    # History length (events) past which a resting run continues as new, besides Temporal's own suggestion;
    # None: the engine's default. Tests set it low.
    continue_as_new_events: int | None = None
    # The engine changes this run has from its start without a patch marker (engine._effects.CHANGE_LEVELS):
    # ENGINE_LEVEL for every run started by this code; 0 for a run started before levels, which asks
    # `workflow.patched` about each change as it always did.
    engine_level: int = 0


# What the API and the engine give every run they start (StartInput.engine_level).
ENGINE_LEVEL = 3


@dataclass
class Actor:
    user_id: str | None = None
    roles: list[str] = field(default_factory=list)
    can_manage: bool = False


@dataclass
class AdvanceInput:
    actor: Actor
    to_step_id: str | None = None
    trigger_data: dict[str, Any] | None = None
    context_updates: dict[str, Any] | None = None


@dataclass
class CompleteTaskInput:
    actor: Actor
    task_id: str
    form_data: dict[str, Any] = field(default_factory=dict)
    comments: str | None = None


@dataclass
class ClaimTaskInput:
    actor: Actor
    task_id: str


@dataclass
class SignalInput:
    actor: Actor
    signal_name: str
    payload: dict[str, Any] | None = None


@dataclass
class UpdateResult:
    """The instance as the update left it (camelCase, as the API serializes instances), plus the
    reference's extra fields for the call (e.g. previousStepId, transitionFired, execution).

    `extra` of each update:
    - advance: `previousStepId`, `transitionFired`, `afterTransition` (the reference's `data.instance`:
      `{id, status, currentStepId, previousStepId, transitionFired, context}` right after the manual
      transition, before auto-progress) and `execution` (`{status, currentStep, context, events,
      errors?, executionTime}` of the continuation).
    - retry: `execution`.
    - cancel: nothing.
    - claim_task: `task` (the task as the API serializes it, after the claim).
    - complete_task: `task` (after completion). (The API answers with the task and a signal's success
      only, so no ExecutionResult is built and carried for them.)
    - signal: nothing.

    Failed updates raise ApplicationError(message, [extra body fields], type=<ERROR_STATUS code>), e.g.
    NO_VALID_TRANSITIONS with details[0] = {"currentStepId": ..., "reason": ...}; the API renders
    `{"error": message, **details[0]}` with the code's status.
    """

    instance: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


# --- Activity and local-activity inputs -------------------------------------------------------------


@dataclass
class ProjectionBatch:
    """Rows of the SQL projection written by the `project` local activity in one transaction.

    Rows are dicts keyed by the models' attribute names (snake_case); datetimes are ISO 8601 strings.
    Idempotent: rows are upserted by id (generated deterministically in the workflow), events are
    skipped when their `event_key` exists, and the instance write is ignored when the row's
    `projection_seq` is already higher than `seq`.
    """

    tenant_id: str
    organization_id: str
    instance_id: str
    seq: int
    instance: dict[str, Any] | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    branches: list[dict[str, Any]] = field(default_factory=list)
    # Written right before a sync activity runs: the workflow may hand it to that activity
    # (`RunActivityInput.projection`) instead of writing it with a local activity of its own.
    before_activity: bool = False


@dataclass
class RunActivityInput:
    """One execution of a definition activity (SEND_EMAIL, CALL_API, ...), input of `run_activity`.

    `config` is already interpolated (docs/workflows.md, "Interpolation"). `idempotency_key` is deterministic
    per execution (instance id, retry count, activity id and a per-instance counter): Temporal's retries of the same
    execution carry the same key, a later execution of the same activity gets a new one. Handlers use
    it to make their effect happen once (e.g. outbox message id, Idempotency-Key header).
    """

    instance_id: str
    tenant_id: str
    organization_id: str
    user_id: str | None
    activity_id: str
    activity_type: str
    activity_name: str
    config: dict[str, Any]
    context: dict[str, Any]
    idempotency_key: str
    timeout_ms: int | None = None
    # For EMIT_EVENT's `_workflow` block and CALL_API's identity (metadata.initiatedBy, else the
    # definition's createdBy).
    workflow_id: str = ""
    definition_id: str = ""
    initiated_by: str | None = None
    step_id: str | None = None
    transition_id: str | None = None
    # The instance's projection batch to write before the side effect (see ProjectionBatch.before_activity).
    # A worker that writes it answers `{PROJECTED: <written?>, "output": <the output>}` instead of the
    # output; one that ignores it (an older or a test worker) answers as always, and the workflow writes it.
    projection: ProjectionBatch | None = None


@dataclass
class GuardInput:
    """A business rule evaluated as a workflow guard (a START or transition pre-condition, or a post-condition),
    input of `evaluate_guard`."""

    tenant_id: str
    organization_id: str
    rule_id: str
    entity_type: str
    entity_id: str
    event_type: str
    data: dict[str, Any]
    user_id: str | None = None
    dry_run: bool = False
    # Deterministic per evaluation (instance id, retry count and a per-instance counter). A local activity
    # runs again when its worker dies before the workflow task completes; with the key, the second run finds
    # the first one's execution log and returns its outcome instead of running the rule (its log and its
    # actions, e.g. EMIT_EVENT) a second time. None for dry runs, which leave no trace.
    idempotency_key: str | None = None


@dataclass
class GuardResult:
    rule_id: str
    rule_name: str | None
    condition_result: bool
    error: str | None = None
    execution_time_ms: int = 0
    # A BLOCK_TRANSITION action ran: the guard fails like a false condition, even when the condition held.
    blocked: bool = False

    @property
    def passed(self) -> bool:
        return self.condition_result and not self.blocked



@dataclass
class ResolveChildInput:
    """Which definition a SUB_WORKFLOW step starts: like POST /instances would resolve `workflowId`
    (and `version`) for the parent's tenant and organization."""

    tenant_id: str
    organization_id: str
    workflow_id: str
    version: int | None = None


@dataclass
class ResolvedChild:
    """The child's definition to pin, or `error` (the reference's message) when it cannot start."""

    error: str | None = None
    definition_id: str = ""
    workflow_id: str = ""
    version: int = 1
    definition: dict[str, Any] = field(default_factory=dict)
