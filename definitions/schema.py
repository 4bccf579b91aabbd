"""JSON Schema (draft 2020-12) of the workflow definition format, for designers' editors.

Generated from the same models the validator walks, so names, types, bounds, patterns and descriptions
agree with it. The schema accepts everything the validator accepts; it cannot check the rules that need
the clock or the whole graph ("until" in the future, fork/join structure), which the server still reports.
Served at ``GET /api/workflows/definitions/schema.json``.
"""

from __future__ import annotations

import copy
import inspect
from functools import cache
from typing import Any, Literal

from definitions._shapes import Shape, fields_of
from definitions.configs import ACTIVITY_CONFIGS, STEP_CONFIGS, TimerConfig, WaitConfig
from definitions.duration import DURATION_PATTERN
from definitions.model import Activity, Definition, DefinitionCreate, DefinitionModel, Step, StepType, Transition

__all__ = ["json_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_TEMPLATE = {"type": "string", "pattern": r"\{\{", "description": "A `{{path}}` placeholder resolved at run time."}
# What Python's datetime.fromisoformat (the validator) reads, minus the exotic forms.
_ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}([.,]\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"
_CONDITION_OPERATORS = ["=", "==", "!=", ">", ">=", "<", "<=", "IN", "NOT_IN", "CONTAINS", "NOT_CONTAINS",
                        "STARTS_WITH", "ENDS_WITH", "MATCHES", "IS_EMPTY", "IS_NOT_EMPTY"]


def json_schema(*, root: Literal["row", "definition"] = "row") -> dict[str, Any]:
    """The schema of a whole definition file / create body (``root="row"``) or of its ``definition`` object.

    A fresh dict on every call, so callers may change it.
    """
    return copy.deepcopy(_build(root))


@cache
def _build(root: str) -> dict[str, Any]:
    builder = _Builder()
    top = DefinitionCreate if root == "row" else Definition
    builder.ref(top)
    builder.defs["ConditionTree"] = _condition_tree()
    return {
        "$schema": DIALECT,
        "title": "Stepwise workflow definition" if root == "row" else "Stepwise workflow graph",
        "description": _doc(top),
        "$ref": f"#/$defs/{top.__name__}",
        "$defs": dict(sorted(builder.defs.items())),
    }


def _doc(model: type[DefinitionModel]) -> str:
    return inspect.cleandoc(model.__doc__ or model.__name__)


class _Builder:
    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def ref(self, model: type[DefinitionModel]) -> dict[str, Any]:
        name = model.__name__
        if name not in self.defs:
            self.defs[name] = {}  # placeholder first: models refer to each other recursively
            self.defs[name] = self.object(model)
        return {"$ref": f"#/$defs/{name}"}

    def object(self, model: type[DefinitionModel]) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for f in fields_of(model):
            prop = _OVERRIDES.get((model, f.alias)) or self.shape(f.shape)
            if f.nullable:
                prop = {"anyOf": [prop, {"type": "null"}]}
            if f.description:
                prop = {**prop, "description": f.description}
            if not f.required and f.default is not None:
                prop["default"] = f.default
            properties[f.alias] = prop
            if f.required:
                required.append(f.alias)
        schema: dict[str, Any] = {"type": "object", "title": model.__name__, "description": _doc(model),
                                  "properties": properties}
        if required:
            schema["required"] = required
        schema["additionalProperties"] = not model.strict_keys
        extra = _CONDITIONAL.get(model)
        if extra is not None:
            schema["allOf"] = extra(self)
        return schema

    def shape(self, shape: Shape) -> dict[str, Any]:
        kind = shape.kind
        if kind == "any":
            return {}
        if kind == "string":
            out: dict[str, Any] = {"type": "string"}
            if shape.minimum is not None:
                out["minLength"] = shape.minimum
            if shape.maximum is not None:
                out["maxLength"] = shape.maximum
            if shape.pattern is not None:
                out["pattern"] = shape.pattern
            if shape.duration is not None:
                pattern = DURATION_PATTERN + (r"|^0*[1-9][0-9]*$" if shape.duration.allow_milliseconds else "")
                out["pattern"] = pattern
                out["examples"] = ["PT30S", "PT5M", "P1DT2H", "P2W", "5m"]
            return out
        if kind in ("int", "number"):
            out = {"type": "integer" if kind == "int" else "number"}
            if shape.minimum is not None:
                out["exclusiveMinimum" if shape.exclusive_minimum else "minimum"] = shape.minimum
            if shape.maximum is not None:
                out["maximum"] = shape.maximum
            return out
        if kind == "bool":
            return {"type": "boolean"}
        if kind == "enum":
            if len(shape.values) == 1:
                return {"const": shape.values[0]}
            return {"type": "string", "enum": list(shape.values)}
        if kind == "list":
            assert shape.item is not None
            out = {"type": "array", "items": self.shape(shape.item)}
            if shape.minimum is not None:
                out["minItems"] = shape.minimum
            if shape.maximum is not None:
                out["maxItems"] = shape.maximum
            return out
        if kind == "record":
            assert shape.item is not None
            item = self.shape(shape.item)
            return {"type": "object", "additionalProperties": item} if item else {"type": "object"}
        if kind == "object":
            assert shape.model is not None
            return self.ref(shape.model)
        if kind == "union":
            return {"anyOf": [self.shape(option) for option in shape.options]}
        raise AssertionError(kind)

    def config_hint(self, model: type[DefinitionModel]) -> dict[str, Any]:
        """Properties of a type-specific `config`, for completion only: nothing required, and every
        non-string value may also be a `{{...}}` placeholder (resolved to any type when the step runs)."""
        properties = {}
        for f in fields_of(model):
            prop = self.shape(f.shape)
            if prop.get("type") != "string":
                prop = {"anyOf": [prop, _TEMPLATE]}
            properties[f.alias] = {**prop, "description": f.description} if f.description else prop
        return {"type": "object", "description": _doc(model), "properties": properties}


def _present(key: str) -> dict[str, Any]:
    # The reference counts a key as given unless it is missing, null or "".
    return {"required": [key], "properties": {key: {"not": {"enum": [None, ""]}}}}


def _timer_config(builder: _Builder, model: type[DefinitionModel]) -> dict[str, Any]:
    hint = builder.config_hint(model)
    blank = {"enum": [None, ""], "description": "Counts as not given."}
    hint["properties"] = {
        "duration": {"anyOf": [{"type": "string", "pattern": DURATION_PATTERN}, _TEMPLATE, blank],
                     "description": hint["properties"]["duration"]["description"]},
        "until": {"anyOf": [{"type": "string", "pattern": _ISO_DATETIME}, _TEMPLATE, blank],
                  "description": hint["properties"]["until"]["description"]},
    }
    hint["oneOf"] = [_present("duration"), _present("until")]
    return hint


def _when(key: str, value: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"properties": {key: {"const": value}}, "required": [key]}, "then": then}


def _step_rules(builder: _Builder) -> list[dict[str, Any]]:
    rules = [
        _when("stepType", "WAIT_FOR_TIMER", {"required": ["config"],
                                             "properties": {"config": _timer_config(builder, TimerConfig)}}),
    ]
    paired: tuple[tuple[StepType, str], ...] = (("PARALLEL_FORK", "joinStepId"), ("PARALLEL_JOIN", "forkStepId"))
    for step_type, key in paired:
        config = builder.config_hint(STEP_CONFIGS[step_type])
        config["required"] = [key]
        config["properties"][key] = {"type": "string", "minLength": 1,
                                     "description": config["properties"][key]["description"]}
        rules.append(_when("stepType", step_type, {"required": ["config"], "properties": {"config": config}}))
    rules.append(_when("stepType", "SUB_WORKFLOW",
                       {"properties": {"config": builder.config_hint(STEP_CONFIGS["SUB_WORKFLOW"])}}))
    return rules


def _activity_rules(builder: _Builder) -> list[dict[str, Any]]:
    rules = []
    for activity_type, model in ACTIVITY_CONFIGS.items():
        config = _timer_config(builder, WaitConfig) if model is WaitConfig else builder.config_hint(model)
        rules.append(_when("activityType", activity_type, {"properties": {"config": config}}))
    return rules


def _condition_tree() -> dict[str, Any]:
    return {
        "title": "ConditionTree",
        "description": "A business-rules condition: a leaf {field, operator, value | valueField} or a group "
                       "{operator: AND | OR | NOT, rules: [...]}. Fields are dot paths into the context.",
        "anyOf": [
            {"type": "object", "required": ["operator", "rules"], "properties": {
                "operator": {"enum": ["AND", "OR", "NOT"]},
                "rules": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/ConditionTree"}}}},
            {"type": "object", "required": ["field", "operator", "value"], "properties": {
                "field": {"type": "string", "description": "Dot path into the context, e.g. `order.total`."},
                "operator": {"enum": _CONDITION_OPERATORS},
                "value": {"description": "Right-hand side; may be a `{{...}}` special value."},
                "valueField": {"type": "string", "description": "Compare with this path instead of `value`."}}},
        ],
    }


_CONDITIONAL = {Step: _step_rules, Activity: _activity_rules}

# The inline condition is stored as posted; the tree is offered for completion, JsonLogic stays allowed.
_OVERRIDES: dict[tuple[type[DefinitionModel], str], dict[str, Any]] = {
    (Transition, "condition"): {"anyOf": [{"$ref": "#/$defs/ConditionTree"}, {"description": "A JsonLogic rule."}]},
}
