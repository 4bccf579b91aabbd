"""Request validation with the reference's messages (zod 4 texts), reported as
`400 {"error": "Validation failed: <path>: <message>, ..."}`, every failing field listed.

The module's bodies are small, flat objects; each is described by a dict of field specs, checked
in declaration order (zod reports issues in the schema's key order). Unknown keys are ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from api.errors import BadRequest
from jscompat import MISSING, type_name
from rules import RULE_TYPES, actions_error, condition_expression_error, is_uuid

# An absent key reads as `undefined` in the messages.
_ABSENT: Final = MISSING


def expected(kind: str, value: Any) -> str:
    return f"Invalid input: expected {kind}, received {type_name(value)}"


class Invalid(Exception):
    """One field's message; the path is the field name (plus any inner path)."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True)
class Field:
    nullable: bool = False
    optional: bool = False
    default: Any = _ABSENT

    def check(self, value: Any) -> Any:  # pragma: no cover - overridden
        return value


@dataclass(frozen=True)
class Str(Field):
    min: int | None = None
    max: int | None = None
    uuid: bool = False

    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise Invalid(expected("string", value))
        if self.min is not None and len(value) < self.min:
            raise Invalid(f"Too small: expected string to have >={self.min} characters")
        if self.max is not None and len(value) > self.max:
            raise Invalid(f"Too big: expected string to have <={self.max} characters")
        if self.uuid and not is_uuid(value):
            raise Invalid("Invalid UUID")
        return value


@dataclass(frozen=True)
class Int(Field):
    min: int | None = None
    max: int | None = None

    def check(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                (isinstance(value, float) and not math.isfinite(value)):
            raise Invalid(expected("number", value))
        if isinstance(value, float):
            if not value.is_integer():
                raise Invalid("Invalid input: expected int, received number")
            value = int(value)
        if self.min is not None and value < self.min:
            raise Invalid(f"Too small: expected number to be >={self.min}")
        if self.max is not None and value > self.max:
            raise Invalid(f"Too big: expected number to be <={self.max}")
        return value


@dataclass(frozen=True)
class Bool(Field):
    def check(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise Invalid(expected("boolean", value))
        return value


@dataclass(frozen=True)
class Enum(Field):
    options: tuple[str, ...] = ()

    def check(self, value: Any) -> Any:
        if value not in self.options:
            raise Invalid("Invalid option: expected one of " + "|".join(f'"{o}"' for o in self.options))
        return value


@dataclass(frozen=True)
class AnyValue(Field):
    pass


@dataclass(frozen=True)
class Date(Field):
    """A date: an ISO-8601 string (`""` means null) or epoch milliseconds.

    The reference silently stores null for an unparseable string; we refuse it instead, so a
    typo never turns a rule's window off unnoticed.
    """

    def check(self, value: Any) -> Any:
        if value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            try:
                return datetime.fromtimestamp(value / 1000, UTC)
            except (OverflowError, OSError, ValueError):
                raise Invalid("Invalid date") from None
        if not isinstance(value, str):
            raise Invalid(expected("date", value))
        parsed = parse_instant(value)
        if parsed is None:
            raise Invalid("Invalid date")
        return parsed


@dataclass(frozen=True)
class Condition(Field):
    """A `conditionExpression` (native tree or JsonLogic), checked as docs/rules.md "Validation on save"
    describes, then stored verbatim."""

    def check(self, value: Any) -> Any:
        message = condition_expression_error(value)
        if message is not None:
            raise Invalid(message)
        return value


@dataclass(frozen=True)
class Actions(Field):
    """An array of `{type, config?}`: zod's structure first (unknown keys dropped), then each action's
    type and required config (`actions_error`, the table in docs/rules.md "Actions")."""

    def check(self, value: Any) -> Any:
        if not isinstance(value, list):
            raise Invalid(expected("array", value))
        cleaned = []
        for index, action in enumerate(value):
            if not isinstance(action, dict):
                raise Invalid(expected("object", action), f"{index}")
            action_type = action.get("type", _ABSENT)
            if not isinstance(action_type, str):
                raise Invalid(expected("string", action_type), f"{index}.type")
            if action_type == "":
                raise Invalid("Too small: expected string to have >=1 characters", f"{index}.type")
            item: dict[str, Any] = {"type": action_type}
            if "config" in action:
                config = action["config"]
                if not isinstance(config, dict):
                    raise Invalid(expected("record", config), f"{index}.config")
                item["config"] = config
            cleaned.append(item)
        message = actions_error(cleaned)
        if message is not None:
            raise Invalid(message)
        return cleaned


def parse_instant(text: str) -> datetime | None:
    """An ISO-8601 date or date-time (`Z` or an offset; none means UTC), as an aware datetime."""
    candidate = text.strip()
    if not candidate or not candidate[:4].isdigit():
        return None
    try:
        parsed = datetime.fromisoformat(candidate.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


Schema = dict[str, Field]


def validate(schema: Schema, body: Any, *, partial: bool = False) -> dict[str, Any]:
    """The fields of `body` that `schema` declares, checked; defaults filled unless `partial`.

    Raises BadRequest("Validation failed: ...") with every failing field, in schema order.
    """
    if not isinstance(body, dict):
        raise BadRequest(f"Validation failed: {expected('object', body)}")
    out: dict[str, Any] = {}
    issues: list[str] = []
    for name, spec in schema.items():
        value = body.get(name, _ABSENT)
        if value is _ABSENT:
            if partial or spec.optional:
                if not partial and spec.default is not _ABSENT:
                    out[name] = spec.default
                continue
            if spec.default is not _ABSENT:
                out[name] = spec.default
                continue
        if value is None and spec.nullable:
            out[name] = None
            continue
        try:
            out[name] = spec.check(value)
        except Invalid as error:
            path = f"{name}.{error.path}" if error.path else name
            issues.append(f"{path}: {error.message}")
    if issues:
        raise BadRequest("Validation failed: " + ", ".join(issues))
    return out


def fail(path: str, message: str) -> BadRequest:
    return BadRequest(f"Validation failed: {path}: {message}")


RULE_FIELDS: Final[Schema] = {
    "ruleId": Str(min=1, max=50),
    "ruleName": Str(min=1, max=200),
    "description": Str(max=5000, nullable=True, optional=True),
    "ruleType": Enum(options=RULE_TYPES),
    "ruleCategory": Str(max=50, nullable=True, optional=True),
    "entityType": Str(min=1, max=50),
    "eventType": Str(max=50, nullable=True, optional=True),
    "conditionExpression": Condition(nullable=True, optional=True),
    "successActions": Actions(nullable=True, optional=True),
    "failureActions": Actions(nullable=True, optional=True),
    "enabled": Bool(optional=True, default=True),
    "priority": Int(min=0, max=9999, optional=True, default=100),
    "version": Int(min=1, optional=True, default=1),
    "effectiveFrom": Date(nullable=True, optional=True),
    "effectiveTo": Date(nullable=True, optional=True),
}
RULE_UPDATE_FIELDS: Final[Schema] = {"id": Str(uuid=True), **RULE_FIELDS}

SET_FIELDS: Final[Schema] = {
    "setId": Str(min=1, max=50),
    "setName": Str(min=1, max=200),
    "description": Str(max=5000, nullable=True, optional=True),
    "enabled": Bool(optional=True, default=True),
}
SET_UPDATE_FIELDS: Final[Schema] = {"id": Str(uuid=True), **SET_FIELDS}

MEMBER_FIELDS: Final[Schema] = {
    "ruleId": Str(uuid=True),
    "sequence": Int(min=0, optional=True, default=0),
    "enabled": Bool(optional=True, default=True),
}
MEMBER_UPDATE_FIELDS: Final[Schema] = {
    "memberId": Str(uuid=True),
    "sequence": Int(min=0, optional=True),
    "enabled": Bool(optional=True),
}

EXECUTE_FIELDS: Final[Schema] = {
    "entityType": Str(min=1, max=255),
    "eventType": Str(max=255, optional=True),
    "entityId": Str(max=255, optional=True),
    "data": AnyValue(optional=True, nullable=True),
    "dryRun": Bool(optional=True, default=False),
    "ruleSetId": Str(min=1, max=50, optional=True),
    "setId": Str(min=1, max=50, optional=True),
}
EXECUTE_ONE_FIELDS: Final[Schema] = {
    "data": AnyValue(optional=True, nullable=True),
    "dryRun": Bool(optional=True, default=False),
    "entityType": Str(max=255, optional=True),
    "entityId": Str(max=255, optional=True),
    "eventType": Str(max=255, optional=True),
}


def effective_window_error(effective_from: Any, effective_to: Any) -> BadRequest | None:
    """The cross-field rule: effectiveTo must be strictly later than effectiveFrom."""
    if isinstance(effective_from, datetime) and isinstance(effective_to, datetime):
        start = effective_from if effective_from.tzinfo else effective_from.replace(tzinfo=UTC)
        end = effective_to if effective_to.tzinfo else effective_to.replace(tzinfo=UTC)
        if end <= start:
            return fail("effectiveTo", "Effective To must be later than Effective From")
    return None
