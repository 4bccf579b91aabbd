"""Event triggers, the pure part (docs/workflows.md, "Event triggers"): which triggers an event matches, and the
context and metadata an instance started by one gets. No database, clock or Temporal: the caller
passes the triggers, the event and `now`; `triggers.py` does the I/O.

Values follow the reference's JavaScript: a payload path that does not resolve is `undefined`
(`rules.MISSING`), distinct from JSON null; `eq` is `===`, so objects and arrays are never equal to
anything and `True` is not `1`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from rules import MISSING, compile_regex, get_nested_value

MAX_REGEX_PATTERN_LENGTH: Final = 200
MAX_REGEX_INPUT_LENGTH: Final = 10_000
# Events the triggers never see: the platform's own plumbing, and the workflow module's events (an
# instance must not start instances by existing).
IGNORED_PREFIXES: Final = ("query_index.", "search.", "workflows.", "cache.", "queue.")

Source = str  # "embedded" (a definition row's triggers) or "code" (a shipped workflow's)


@dataclass(frozen=True)
class TriggerSpec:
    """One enabled trigger with the definition it starts."""

    id: str  # `<definitionRowId>:<triggerId>` or `code:<workflowId>:<triggerId>`; what labels carry
    trigger_id: str
    name: str
    event_pattern: str
    config: Mapping[str, Any]
    priority: int
    definition_id: str
    workflow_id: str
    version: int
    source: Source

    @property
    def debounce_ms(self) -> int:
        return _positive_int(self.config.get("debounceMs"))

    @property
    def max_concurrent_instances(self) -> int:
        return _positive_int(self.config.get("maxConcurrentInstances"))


def _positive_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def triggers_of(definition: Mapping[str, Any], *, id_prefix: str, definition_id: str, workflow_id: str,
                version: int, source: Source) -> list[TriggerSpec]:
    """The enabled triggers of a stored definition JSON (`definition.triggers[]`), malformed ones skipped."""
    out = []
    for raw in definition.get("triggers") or []:
        if not isinstance(raw, Mapping) or raw.get("enabled", True) is not True:
            continue
        trigger_id, pattern = raw.get("triggerId"), raw.get("eventPattern")
        if not isinstance(trigger_id, str) or not isinstance(pattern, str) or not pattern:
            continue
        config = raw.get("config")
        priority = raw.get("priority")
        out.append(TriggerSpec(
            id=f"{id_prefix}:{trigger_id}", trigger_id=trigger_id, name=str(raw.get("name") or trigger_id),
            event_pattern=pattern, config=config if isinstance(config, Mapping) else {},
            priority=priority if isinstance(priority, int) and not isinstance(priority, bool) else 0,
            definition_id=definition_id, workflow_id=workflow_id, version=version, source=source,
        ))
    return out


def by_priority(triggers: Iterable[TriggerSpec]) -> list[TriggerSpec]:
    """Highest priority first; equal priorities keep their order (stable sort)."""
    return sorted(triggers, key=lambda t: -t.priority)


def wants_event(name: str, tenant_id: str | None, organization_id: str | None) -> bool:
    return bool(tenant_id) and bool(organization_id) and not name.startswith(IGNORED_PREFIXES)


# --- Event pattern ----------------------------------------------------------------------------------------

def _glob_segment(pattern: str, text: str) -> bool:
    """`*` matches any run of characters within one segment; two pointers, so linear in practice and
    never exponential, whatever the number of stars (patterns are tenant input)."""
    p = t = 0
    star, retry = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] == "*":
            star, retry = p, t
            p += 1
        elif p < len(pattern) and pattern[p] == text[t]:
            p += 1
            t += 1
        elif star >= 0:
            p = star + 1
            retry += 1
            t = retry
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def matches_pattern(event_name: str, pattern: str) -> bool:
    """`*` alone matches every event; otherwise a `*` stays inside one dot-separated segment, so
    `sales.orders.*` matches `sales.orders.created` but not `sales.orders.x.y`. Case-insensitive, as
    the pattern's validation is."""
    if pattern == "*":
        return True
    name, pat = event_name.lower(), pattern.lower()
    if name == pat:
        return True
    if "*" not in pat:
        return False
    name_parts, pat_parts = name.split("."), pat.split(".")
    return len(name_parts) == len(pat_parts) and all(
        _glob_segment(p, n) for p, n in zip(pat_parts, name_parts, strict=True))


# --- Filter conditions ------------------------------------------------------------------------------------

def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def strict_equal(a: Any, b: Any) -> bool:
    """JavaScript `===` over JSON values."""
    if a is MISSING or b is MISSING:
        return a is b
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if _is_number(a) and _is_number(b):
        return not (isinstance(a, float) and math.isnan(a)) and a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    # Objects and arrays compare by identity in JavaScript; a payload value is never the configured one.
    return False


def _includes(items: list[Any], value: Any) -> bool:
    return any(strict_equal(item, value) for item in items)


def _regex(value: Any, pattern: Any) -> bool:
    if not isinstance(value, str) or not isinstance(pattern, str):
        return False
    if len(value) > MAX_REGEX_INPUT_LENGTH or len(pattern) > MAX_REGEX_PATTERN_LENGTH:
        return False
    # Linear time whatever the pattern (no backtracking), so a tenant's pattern cannot stall the dispatcher.
    compiled = compile_regex(pattern)
    return compiled is not None and compiled.search(value)


def _both_numbers(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda value, expected: _is_number(value) and _is_number(expected) and test(value, expected)


def _contains(value: Any, expected: Any) -> bool:
    if isinstance(value, str) and isinstance(expected, str):
        return expected in value
    return isinstance(value, list) and _includes(value, expected)


OPERATORS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "eq": strict_equal,
    "neq": lambda value, expected: not strict_equal(value, expected),
    "gt": _both_numbers(lambda a, b: a > b),
    "gte": _both_numbers(lambda a, b: a >= b),
    "lt": _both_numbers(lambda a, b: a < b),
    "lte": _both_numbers(lambda a, b: a <= b),
    "contains": _contains,
    "startsWith": lambda value, expected: isinstance(value, str) and isinstance(expected, str)
    and value.startswith(expected),
    "endsWith": lambda value, expected: isinstance(value, str) and isinstance(expected, str)
    and value.endswith(expected),
    "in": lambda value, expected: isinstance(expected, list) and _includes(expected, value),
    "notIn": lambda value, expected: isinstance(expected, list) and not _includes(expected, value),
    "exists": lambda value, _: value is not MISSING and value is not None,
    "notExists": lambda value, _: value is MISSING or value is None,
    "regex": _regex,
}


def condition_holds(condition: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    """One `{field, operator, value}`; an unknown operator never holds."""
    test = OPERATORS.get(str(condition.get("operator")))
    if test is None:
        return False
    return test(get_nested_value(payload, condition.get("field")), condition.get("value", MISSING))


def filters_pass(config: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    conditions = config.get("filterConditions")
    if not isinstance(conditions, list):
        return True
    return all(isinstance(c, Mapping) and condition_holds(c, payload) for c in conditions)


def trigger_matches(trigger: TriggerSpec, event_name: str, payload: Mapping[str, Any]) -> bool:
    return matches_pattern(event_name, trigger.event_pattern) and filters_pass(trigger.config, payload)


def matching(triggers: Iterable[TriggerSpec], event_name: str, payload: Mapping[str, Any]) -> list[TriggerSpec]:
    return [t for t in triggers if trigger_matches(t, event_name, payload)]


# --- What a started instance gets -------------------------------------------------------------------------

def mapped_context(config: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """`targetKey = payload[sourceExpression] ?? defaultValue` (dot paths allowed); a mapping that resolves
    to nothing and has no default sets nothing."""
    out: dict[str, Any] = {}
    mappings = config.get("contextMapping")
    for mapping in mappings if isinstance(mappings, list) else []:
        if not isinstance(mapping, Mapping) or not isinstance(mapping.get("targetKey"), str):
            continue
        value = get_nested_value(payload, mapping.get("sourceExpression"))
        if value is MISSING or value is None:
            value = mapping.get("defaultValue", MISSING)
        if value is not MISSING:
            out[mapping["targetKey"]] = value
    return out


def start_context(trigger: TriggerSpec, event_name: str, payload: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """`{...payload, ...mapped, __trigger: {...}}`: the payload spread, mappings on top."""
    return {
        **payload,
        **mapped_context(trigger.config, payload),
        "__trigger": {
            "triggerId": trigger.id,
            "triggerName": trigger.name,
            "eventName": event_name,
            "eventPayload": dict(payload),
            "triggeredAt": now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "source": trigger.source,
        },
    }


def _js_or(*values: Any) -> Any:
    """`a || b || c`: the first truthy value (JavaScript truthiness for JSON values), else the last."""
    for value in values[:-1]:
        if value is not MISSING and value is not None and value is not False and value != "" and not (
                _is_number(value) and (value == 0 or (isinstance(value, float) and math.isnan(value)))):
            return value
    return values[-1]


def actor_user_id(payload: Mapping[str, Any]) -> str | None:
    """Who caused the event, if the payload says (`userId`, else `actorUserId`)."""
    found = _js_or(payload.get("userId", MISSING), payload.get("actorUserId", MISSING), None)
    return None if found is None else str(found)[:255]


def start_metadata(trigger: TriggerSpec, event_name: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"initiatedBy": actor_user_id(payload) or f"trigger:{trigger.id}"}
    # Absent (undefined) values are left out, as JSON.stringify leaves them out in the reference.
    entity_id = payload.get("id", MISSING)
    if entity_id is not MISSING:
        metadata["entityId"] = entity_id
    entity_type = _js_or(payload.get("entityType", MISSING), trigger.config.get("entityType", MISSING))
    if entity_type is not MISSING:
        metadata["entityType"] = entity_type
    metadata["labels"] = {"trigger_id": trigger.id, "trigger_name": trigger.name, "event_name": event_name,
                          "trigger_source": trigger.source}
    return metadata
