"""The workflow definition format (docs/workflows.md, *The definition format*) as pydantic models.

The models are the single description of the format: the validator (``validation.py``) walks their
fields, constraints and markers to produce the reference's zod-style issues, and ``schema.py`` turns the
same fields into a JSON Schema. Field order follows the reference's schemas, because that is the order
issues are reported in.

Models are built from *validated* JSON only (``parse_definition`` & co.); build them directly and the
reference's messages are bypassed. Wire names are camelCase (aliases); Python attributes are snake_case.

Unknown keys are kept (``extra="allow"``) so a stored definition round-trips what was posted,
editor data such as ``_editorPosition`` included. Keys the reference's runtime reads but its API
validation strips (transition ``condition``, ``assignedToRoles``, ``timerConfig``, activity ``timeoutMs``,
root ``activities``, trigger ``config.entityType``) are declared, so they are type-checked and kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

__all__ = [
    "Activity", "ActivityRetryPolicy", "ActivityType", "Compensation", "ContextMapping", "Definition",
    "DefinitionCreate", "DefinitionModel", "DefinitionUpdate", "DurationText", "EscalationRule", "FilterCondition",
    "FormField", "FormSchemaFields", "FormSchemaJson", "Messages", "Metadata", "RuleRef", "SignalConfig",
    "StartPreCondition", "Step", "StepRetryPolicy", "StepType", "SubWorkflowConfig", "Transition",
    "TransitionTrigger", "Trigger", "TriggerConfig", "UserTaskConfig",
]


@dataclass(frozen=True)
class Messages:
    """The reference's own wording for a field's min / max / pattern check (zod's default otherwise)."""

    min: str | None = None
    max: str | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class DurationText:
    """The string must be a duration (``definitions.duration``).

    The reference accepted any string for these and never used it; here the engine honours them
    (step and activity timeouts, task SLAs), so a value it could not honour is refused when the definition is saved.
    ``allow_milliseconds``: a plain number of milliseconds ("30000") is accepted as well, as the
    reference's activity editor writes it.
    """

    allow_milliseconds: bool = False


class DefinitionModel(BaseModel):
    """Base of every definition model: camelCase wire names, unknown keys kept, immutable.

    Fields with a non-null default are *materialised*: after parsing they count as set, so
    ``model_dump(exclude_unset=True)`` writes them, as the reference stores its zod defaults
    (``priority: 0``, ``async: false``, ``required: true``...), and only where the client left them out.
    """

    model_config = ConfigDict(extra="allow", alias_generator=to_camel, frozen=True)

    # Fields that accept an explicit JSON null (zod `.nullable()`); others may only be omitted.
    nullable_fields: ClassVar[frozenset[str]] = frozenset()
    # Unknown keys are an error instead of being kept (zod `.strict()`).
    strict_keys: ClassVar[bool] = False

    @model_validator(mode="after")
    def _materialise_defaults(self) -> Self:
        for name, field in type(self).model_fields.items():
            if name in self.model_fields_set or field.is_required() or field.default_factory is not None:
                continue
            if field.default is not None:
                self.model_fields_set.add(name)
        return self


ID_PATTERN = r"^[a-z0-9_-]+$"
WORKFLOW_ID_PATTERN = r"^[a-z0-9._-]+$"
# The reference writes this pattern case-insensitively (`/…/i`); spelled out so JSON Schema understands it.
EVENT_PATTERN = r"^(\*|[a-zA-Z0-9_]+(\.[a-zA-Z0-9_*]+)*)$"

StepType = Literal["START", "END", "USER_TASK", "AUTOMATED", "PARALLEL_FORK", "PARALLEL_JOIN", "SUB_WORKFLOW",
                   "WAIT_FOR_SIGNAL", "WAIT_FOR_TIMER"]
TransitionTrigger = Literal["auto", "manual", "signal", "timer"]
ActivityType = Literal["SEND_EMAIL", "CALL_API", "UPDATE_ENTITY", "EMIT_EVENT", "CALL_WEBHOOK", "EXECUTE_FUNCTION",
                       "WAIT"]
EscalationTrigger = Literal["sla_breach", "no_progress", "custom"]
EscalationAction = Literal["reassign", "notify", "escalate"]
FilterOperator = Literal["eq", "neq", "gt", "gte", "lt", "lte", "contains", "startsWith", "endsWith", "in", "notIn",
                         "exists", "notExists", "regex"]

Priority = Annotated[int, Field(ge=0, le=9999)]
PositiveInt = Annotated[int, Field(gt=0)]


# --- Activities -----------------------------------------------------------------------------------------

class ActivityRetryPolicy(DefinitionModel):
    """Retries of a failing activity. Delay before attempt k+1 = min(initialIntervalMs × backoffCoefficient^k,
    maxIntervalMs or unbounded)."""

    max_attempts: Annotated[int, Field(ge=1, le=10)] = Field(description="Total attempts, including the first.")
    initial_interval_ms: Annotated[int, Field(ge=0)] = Field(description="Delay before the first retry, in ms.")
    backoff_coefficient: Annotated[float, Field(ge=1, le=10)] = Field(
        description="Multiplier applied to the delay after each retry.")
    max_interval_ms: Annotated[int, Field(ge=0)] = Field(description="Upper bound of the delay in ms; 0 = none.")


class Compensation(DefinitionModel):
    """Saga compensation: the activity that undoes this one when the workflow fails later."""

    activity_id: Annotated[str, Field(min_length=1)] = Field(
        description="activityId of the compensating activity (defined in some transition's activities).")
    automatic: bool = Field(default=True, description="Run the compensation automatically on failure.")


# Activity types the engine runs as local activities unless the activity says `local: false`: short work in
# the worker's own process (a function, an outbox row, an entity write, a mail to the outbox or a relay),
# idempotent by the execution's key, so re-running it after a worker crash is safe. CALL_API and
# CALL_WEBHOOK wait on other systems and stay regular activities, as does anything async.
LOCAL_ACTIVITY_TYPES = frozenset({"EXECUTE_FUNCTION", "EMIT_EVENT", "UPDATE_ENTITY", "SEND_EMAIL"})
# The longest attempt a local activity may take: one with a longer timeout runs as a regular activity,
# because a local activity holds its instance's workflow task while it runs.
LOCAL_ACTIVITY_LIMIT_MS = 60_000


class Activity(DefinitionModel):
    """A unit of work run during a transition, or on entry of an AUTOMATED step."""

    activity_id: Annotated[str, Field(min_length=1, max_length=100, pattern=ID_PATTERN),
                           Messages(pattern="Activity ID must contain only lowercase letters, numbers, hyphens, "
                                            "and underscores")] = Field(
        description="Identifier, unique within the definition; async outputs land in context as "
                    "`<activityId>_result`.")
    activity_name: Annotated[str, Field(min_length=1, max_length=255)] = Field(
        description="Display name; sync outputs land in context under this name.")
    activity_type: ActivityType = Field(description="What the activity does; `config` depends on it.")
    config: dict[str, Any] = Field(
        description="Type-specific settings; string leaves may use `{{path}}` placeholders.")
    is_async: bool = Field(default=False, alias="async",
                           description="Run in the background; the instance waits in WAITING_FOR_ACTIVITIES.")
    retry_policy: ActivityRetryPolicy | None = Field(default=None, description="Retries on failure.")
    timeout: Annotated[str, DurationText(allow_milliseconds=True)] | None = Field(
        default=None, description="Time limit of one attempt: a duration (`PT30S`, `5m`) or milliseconds.")
    compensation: Compensation | None = Field(default=None, description="How to undo this activity.")
    timeout_ms: PositiveInt | None = Field(default=None, description="Time limit of one attempt in ms "
                                                                     "(alternative to `timeout`).")
    # Not in the reference's format (its definitions omit it and stay valid): where the engine runs the
    # activity. Without it, the type decides (LOCAL_ACTIVITY_TYPES); docs/workflows.md, "Local activities".
    local: bool | None = Field(
        default=None,
        description="Run as a local activity (in the worker running the instance, no task queue round trip) "
                    "or not. Omitted: EXECUTE_FUNCTION, EMIT_EVENT, UPDATE_ENTITY and SEND_EMAIL run locally "
                    "when sync, the others remotely. WAIT, and activities whose timeout exceeds 60 s, never run "
                    "locally.")


# --- Steps ----------------------------------------------------------------------------------------------

class FormField(DefinitionModel):
    """One field of a "fields"-style task form."""

    name: Annotated[str, Field(min_length=1)] = Field(description="Key of the value in formData.")
    type: Annotated[str, Field(min_length=1)] = Field(description="Input type, e.g. text, number, boolean, select.")
    label: Annotated[str, Field(min_length=1)] = Field(description="Label shown to the user.")
    required: bool | None = Field(default=None, description="The user must fill it in.")
    options: list[Any] | None = Field(default=None, description="Choices of a select field.")


class FormSchemaFields(DefinitionModel):
    """Task form as a list of fields."""

    fields: list[FormField] = Field(description="The form's fields, in display order.")


class FormSchemaJson(DefinitionModel):
    """Task form as a JSON Schema object; `required` names are enforced on completion."""

    type: Literal["object"] | None = Field(default=None, description='Always "object".')
    properties: dict[str, Any] = Field(description="JSON Schema of each form value, by key.")
    required: list[str] | None = Field(default=None, description="Keys that must be present and not null.")


class EscalationRule(DefinitionModel):
    """What happens when a task is overdue (sla_breach) or stalls."""

    trigger: EscalationTrigger = Field(description="When the rule fires.")
    action: EscalationAction = Field(description="What it does.")
    escalate_to: str | None = Field(default=None, description="User or role that receives the task.")
    notify_users: list[str] | None = Field(default=None, description="Users to notify.")


class UserTaskConfig(DefinitionModel):
    """Settings of a USER_TASK step."""

    form_schema: FormSchemaFields | FormSchemaJson | None = Field(
        default=None, description="The form the user fills in to complete the task.")
    assigned_to: str | list[str] | None = Field(
        default=None, description="A user (string: direct assignment) or role names (array: a claimable queue).")
    assignment_rule: str | None = Field(default=None, description="Business rule id choosing the assignee.")
    sla_duration: Annotated[str, DurationText()] | None = Field(
        default=None, description="Time to complete, an ISO 8601 duration; sets the task's dueDate.")
    escalation_rules: list[EscalationRule] | None = Field(default=None, description="Escalation on SLA breach.")
    assigned_to_roles: list[str] | None = Field(default=None, description="Role queue (alternative to an array in "
                                                                          "`assignedTo`).")


class SubWorkflowConfig(DefinitionModel):
    """Which workflow a SUB_WORKFLOW step runs and how data flows in and out."""

    sub_workflow_id: Annotated[str, Field(min_length=1), Messages(min="Sub-workflow ID is required")] = Field(
        description="workflowId of the child workflow.")
    version: PositiveInt | None = Field(default=None, description="Child version; latest enabled when omitted.")
    input_mapping: dict[str, str] | None = Field(
        default=None, description="Child context key → dot path in the parent context.")
    output_mapping: dict[str, str] | None = Field(
        default=None, description="Parent context key → dot path in the child's final context.")
    timeout_ms: PositiveInt | None = Field(default=None, description="Time limit of the child in ms.")


class SignalConfig(DefinitionModel):
    """Settings of a WAIT_FOR_SIGNAL step."""

    signal_name: Annotated[str, Field(min_length=1)] = Field(description="Name of the awaited signal.")
    timeout: Annotated[str, DurationText()] | None = Field(
        default=None, description='Give up waiting after this duration; then a `trigger: "timer"` transition '
                                  'from this step is followed, if any, else the instance fails.')


class StepRetryPolicy(DefinitionModel):
    """Retries of a failing step."""

    max_attempts: Annotated[int, Field(ge=1, le=10)] = Field(description="Total attempts, including the first.")
    backoff_ms: Annotated[int, Field(ge=0)] = Field(description="Delay between attempts in ms.")


class RuleRef(DefinitionModel):
    """A business rule (by ruleId) guarding a transition."""

    rule_id: Annotated[str, Field(min_length=1, max_length=50)] = Field(description="ruleId of the business rule.")
    required: bool = Field(default=True, description="A failing required rule blocks; others are only logged.")


class StartPreCondition(DefinitionModel):
    """A business rule that must pass before an instance may start (START step only)."""

    rule_id: Annotated[str, Field(min_length=1, max_length=50)] = Field(description="ruleId of the business rule.")
    required: bool = Field(default=True, description="A failing required rule prevents the start.")
    validation_message: dict[str, str] | None = Field(
        default=None, description="Message shown when the rule fails, by locale (e.g. en, pl).")


class Step(DefinitionModel):
    """A node of the workflow graph."""

    step_id: Annotated[str, Field(min_length=1, max_length=100, pattern=ID_PATTERN),
                       Messages(pattern="Step ID must contain only lowercase letters, numbers, hyphens, and "
                                        "underscores")] = Field(description="Identifier, unique in the definition.")
    step_name: Annotated[str, Field(min_length=1, max_length=255)] = Field(
        description="Display name; also the task name of a USER_TASK.")
    step_type: StepType = Field(description="What the step does.")
    description: Annotated[str, Field(max_length=1000)] | None = Field(default=None, description="Free text.")
    config: dict[str, Any] | None = Field(
        default=None, description="Type-specific settings: WAIT_FOR_TIMER {duration | until}, PARALLEL_FORK "
                                  "{joinStepId}, PARALLEL_JOIN {forkStepId, outputMapping}, SUB_WORKFLOW "
                                  "{subWorkflowId, version, inputMapping, outputMapping}.")
    user_task_config: UserTaskConfig | None = Field(default=None, description="USER_TASK settings.")
    sub_workflow_config: SubWorkflowConfig | None = Field(default=None, description="SUB_WORKFLOW settings "
                                                                                    "(alternative to `config`).")
    signal_config: SignalConfig | None = Field(default=None, description="WAIT_FOR_SIGNAL settings.")
    activities: list[Activity] | None = Field(default=None, description="Run on entry of an AUTOMATED step.")
    timeout: Annotated[str, DurationText(allow_milliseconds=True)] | None = Field(
        default=None, description="Time limit of the step: a duration (`PT30S`) or milliseconds.")
    retry_policy: StepRetryPolicy | None = Field(default=None, description="Retries of the step.")
    pre_conditions: list[StartPreCondition] | None = Field(
        default=None, description="START step only: rules checked before an instance may start.")
    timer_config: dict[str, Any] | None = Field(default=None, description="Legacy place of WAIT_FOR_TIMER settings.")


# --- Transitions ----------------------------------------------------------------------------------------

class Transition(DefinitionModel):
    """An edge of the workflow graph."""

    transition_id: Annotated[str, Field(min_length=1, max_length=100, pattern=ID_PATTERN),
                             Messages(pattern="Transition ID must contain only lowercase letters, numbers, "
                                              "hyphens, and underscores")] = Field(
        description="Identifier; also the branch key of a PARALLEL_FORK's outgoing transition.")
    from_step_id: Annotated[str, Field(min_length=1, max_length=100)] = Field(description="Source stepId.")
    to_step_id: Annotated[str, Field(min_length=1, max_length=100)] = Field(description="Target stepId.")
    transition_name: Annotated[str, Field(max_length=255)] | None = Field(default=None, description="Display name.")
    trigger: TransitionTrigger = Field(
        description="auto: fired by the engine; manual: only through /advance; timer: followed when a "
                    "WAIT_FOR_SIGNAL times out; signal: never fired.")
    pre_conditions: list[RuleRef] | None = Field(default=None, description="Business rules that must pass.")
    post_conditions: list[RuleRef] | None = Field(
        default=None, description="Business rules checked after the target step ran; failures are only logged.")
    activities: list[Activity] | None = Field(default=None, description="Run while the transition executes.")
    continue_on_activity_failure: bool = Field(
        default=False, description="Move on even when an activity fails.")
    priority: Priority = Field(default=0, description="Among valid transitions the highest wins; ties by order.")
    condition: Any = Field(
        default=None, description="Inline guard evaluated on the context: a business-rules condition tree "
                                  "({field, operator, value} / {operator: AND|OR|NOT, rules}) or JsonLogic.")


# --- Triggers -------------------------------------------------------------------------------------------

class FilterCondition(DefinitionModel):
    """A test on the event payload; all must hold."""

    field: Annotated[str, Field(min_length=1, max_length=255)] = Field(description="Dot path into the payload.")
    operator: FilterOperator = Field(description="Comparison.")
    value: Any = Field(default=None, description="Right-hand side (an array for in / notIn).")


class ContextMapping(DefinitionModel):
    """Copies a payload value into the new instance's context."""

    target_key: Annotated[str, Field(min_length=1, max_length=100)] = Field(description="Context key.")
    source_expression: Annotated[str, Field(min_length=1, max_length=255)] = Field(description="Payload key.")
    default_value: Any = Field(default=None, description="Used when the payload has no value.")


class TriggerConfig(DefinitionModel):
    """Filtering, mapping and throttling of an event trigger."""

    filter_conditions: Annotated[list[FilterCondition], Field(max_length=20)] | None = Field(
        default=None, description="Payload tests, all of which must hold.")
    context_mapping: Annotated[list[ContextMapping], Field(max_length=50)] | None = Field(
        default=None, description="Payload values copied into the context.")
    debounce_ms: Annotated[int, Field(ge=0, le=3600000)] | None = Field(
        default=None, description="Ignore further matching events for this long after a start, in ms.")
    max_concurrent_instances: Annotated[int, Field(ge=1, le=1000)] | None = Field(
        default=None, description="Skip the start while this many instances are running.")
    entity_type: str | None = Field(default=None, description="entityType recorded in the instance metadata.")


_EVENT_PATTERN_MESSAGES = Messages(
    min="Event pattern is required",
    max="Event pattern must be at most 255 characters",
    pattern='Event pattern must be "*" or a dot-separated pattern with optional wildcards (e.g., '
            '"customers.people.created", "sales.orders.*")',
)


class Trigger(DefinitionModel):
    """Starts an instance when a matching domain event happens."""

    nullable_fields = frozenset({"description", "config"})

    trigger_id: Annotated[str, Field(min_length=1, max_length=100, pattern=ID_PATTERN),
                          Messages(pattern="Trigger ID must contain only lowercase letters, numbers, hyphens, and "
                                           "underscores")] = Field(description="Identifier.")
    name: Annotated[str, Field(min_length=1, max_length=255)] = Field(description="Display name.")
    description: Annotated[str, Field(max_length=2000)] | None = Field(default=None, description="Free text.")
    event_pattern: Annotated[str, Field(min_length=1, max_length=255, pattern=EVENT_PATTERN),
                             _EVENT_PATTERN_MESSAGES] = Field(
        description='Event name, or a pattern where "*" matches one dot-separated segment; "*" alone matches all.')
    config: TriggerConfig | None = Field(default=None, description="Filters, context mapping, throttling.")
    enabled: bool = Field(default=True, description="Disabled triggers never fire.")
    priority: Priority = Field(default=0, description="Higher-priority triggers are handled first.")


# --- The definition and its row (the create body) ---------------------------------------------------------

class Definition(DefinitionModel):
    """The workflow graph: `WorkflowDefinition.definition`."""

    steps: Annotated[list[Step], Field(min_length=2),
                     Messages(min="Workflow must have at least START and END steps")] = Field(
        description="The steps; a START step is where instances begin, END steps finish them.")
    transitions: Annotated[list[Transition], Field(min_length=1),
                           Messages(min="Workflow must have at least one transition")] = Field(
        description="The transitions between steps.")
    triggers: list[Trigger] | None = Field(default=None, description="Domain events that start instances.")
    queries: list[Any] | None = Field(default=None, description="Reserved.")
    signals: list[Any] | None = Field(default=None, description="Reserved.")
    timers: list[Any] | None = Field(default=None, description="Reserved.")
    activities: list[Activity] | None = Field(
        default=None, description="Activities not bound to a transition, e.g. compensations.")


class Metadata(DefinitionModel):
    """Classification shown in lists."""

    tags: list[Annotated[str, Field(max_length=50)]] | None = Field(default=None, description="Tags.")
    category: Annotated[str, Field(max_length=100)] | None = Field(default=None, description="Category.")
    icon: Annotated[str, Field(max_length=100)] | None = Field(default=None, description="Icon name.")


class DefinitionCreate(DefinitionModel):
    """Body of `POST /api/workflows/definitions`; also the shape of the shipped definition files."""

    nullable_fields = frozenset({"description", "metadata"})

    workflow_id: Annotated[str, Field(min_length=1, max_length=100, pattern=WORKFLOW_ID_PATTERN),
                           Messages(pattern="Workflow ID must contain only lowercase letters, numbers, dots, "
                                            "hyphens, and underscores")] = Field(
        description="Identifier, unique per tenant, e.g. `sales.order-approval`.")
    workflow_name: Annotated[str, Field(min_length=1, max_length=255)] = Field(description="Display name.")
    description: Annotated[str, Field(max_length=2000)] | None = Field(default=None, description="Free text.")
    version: PositiveInt = Field(default=1, description="Version number, managed by the user.")
    definition: Definition = Field(description="The workflow graph.")
    metadata: Metadata | None = Field(default=None, description="Tags, category, icon.")
    enabled: bool = Field(default=True, description="Disabled workflows cannot be started.")


class DefinitionUpdate(DefinitionModel):
    """Body of `PUT /api/workflows/definitions/{id}`: every field optional, unknown keys refused."""

    nullable_fields = frozenset({"description", "metadata"})
    strict_keys = True

    workflow_id: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="Accepted and ignored: the row keeps its workflowId.")
    workflow_name: Annotated[str, Field(min_length=1, max_length=255)] | None = Field(default=None)
    description: Annotated[str, Field(max_length=2000)] | None = Field(default=None)
    version: PositiveInt | None = Field(default=None)
    definition: Definition | None = Field(default=None)
    metadata: Metadata | None = Field(default=None, description="Replaces the stored metadata as a whole.")
    enabled: bool | None = Field(default=None)
    effective_from: Any = Field(default=None, description="A date; empty or unparseable values mean null.")
    effective_to: Any = Field(default=None, description="A date; empty or unparseable values mean null.")
