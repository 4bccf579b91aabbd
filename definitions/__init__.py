"""Workflow definitions: the format, its validation, its JSON Schema and the workflows we ship.

Pure (stdlib and pydantic only), so the API, the engine and Temporal's sandbox can all import it.

Typical use in the API::

    issues = validate_create(body)
    if issues:
        raise BadRequest("Validation failed", details=[i.to_dict() for i in issues])
    row = parse_create(body)
    stored = dump_definition(row.definition)  # what was posted, defaults where omitted
"""

from definitions.configs import ACTIVITY_CONFIGS, STEP_CONFIGS
from definitions.duration import (
    DURATION_ERROR,
    DurationParts,
    add_duration,
    is_valid_duration,
    parse_duration,
    parse_duration_parts,
    parse_iso_datetime,
)
from definitions.model import (
    Activity,
    Definition,
    DefinitionCreate,
    DefinitionUpdate,
    Step,
    Transition,
    Trigger,
)
from definitions.registry import ShippedWorkflow, code_workflow_uuid, load_shipped, shipped_rules
from definitions.schema import json_schema
from definitions.validation import (
    DefinitionValidationError,
    Issue,
    check_value,
    dump_definition,
    fork_join_problems,
    lint_definition,
    parse_create,
    parse_definition,
    parse_update,
    validate_create,
    validate_definition,
    validate_update,
)

__all__ = [
    "ACTIVITY_CONFIGS", "DURATION_ERROR", "STEP_CONFIGS", "Activity", "Definition", "DefinitionCreate",
    "DefinitionUpdate", "DefinitionValidationError", "DurationParts", "Issue", "ShippedWorkflow", "Step",
    "Transition", "Trigger", "add_duration", "check_value", "code_workflow_uuid", "dump_definition",
    "fork_join_problems", "is_valid_duration", "json_schema", "lint_definition", "load_shipped", "parse_create",
    "parse_definition", "parse_duration", "parse_duration_parts", "parse_iso_datetime", "parse_update",
    "shipped_rules", "validate_create", "validate_definition", "validate_update",
]
