"""Rule actions (docs/rules.md, Actions): write-time validation, pure execution, effects as values.

Executing an action computes the reference's result object and, where the platform can carry it
out, an effect value: EMIT_EVENT -> EmitEvent, NOTIFY -> SendMail, SET_FIELD -> SetField,
BLOCK_TRANSITION -> BlockTransition. Nothing is performed here;
the business_rules service carries effects out (and skips them on dry runs).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from rules._values import (
    CANONICAL_INDEX,
    JS_WHITESPACE,
    MISSING,
    is_forbidden_segment,
    is_null,
    is_template,
    iso_timestamp,
    js_string,
    js_truthy,
    resolve_special_value,
    split_path,
)

Clock = Callable[[], float]

ACTION_TYPES: Final = (
    "ALLOW_TRANSITION", "BLOCK_TRANSITION", "LOG", "SHOW_ERROR", "SHOW_WARNING", "SHOW_INFO",
    "NOTIFY", "SET_FIELD", "CALL_WEBHOOK", "EMIT_EVENT",
)
REQUIRED_CONFIG: Final[dict[str, tuple[str, ...]]] = {
    "LOG": ("message",),
    "SHOW_ERROR": ("message",),
    "SHOW_WARNING": ("message",),
    "SHOW_INFO": ("message",),
    "NOTIFY": ("message", "recipients"),
    "SET_FIELD": ("field", "value"),
    "CALL_WEBHOOK": ("url",),
    "EMIT_EVENT": ("eventName",),
}
WEBHOOK_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")


# --- effects -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmitEvent:
    """Emit a domain event named `event_name` with `payload`."""

    event_name: str
    payload: Any


@dataclass(frozen=True)
class SendMail:
    """Send a notification mail through the outbox."""

    recipients: tuple[Any, ...]
    subject: str
    message: str
    template: Any = None


@dataclass(frozen=True)
class SetField:
    """Set `field` (a dotted path, `items[0]` allowed) in the data returned to the caller."""

    field: str
    value: Any


@dataclass(frozen=True)
class BlockTransition:
    """Block the workflow transition this rule guards."""

    message: str


Effect = EmitEvent | SendMail | SetField | BlockTransition


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionResult:
    action: Any
    success: bool
    result: dict[str, Any] | None = None
    error: str | None = None
    execution_time: int = 0
    effect: Effect | None = None

    @property
    def action_type(self) -> Any:
        return self.action.get("type") if isinstance(self.action, dict) else None

    def to_dict(self) -> dict[str, Any]:
        """The reference's JSON shape: `{action, success, result?, error?, executionTime}`."""
        out: dict[str, Any] = {"action": self.action, "success": self.success}
        if self.result is not None:
            out["result"] = self.result
        if self.error is not None:
            out["error"] = self.error
        out["executionTime"] = self.execution_time
        return out


@dataclass(frozen=True)
class ActionsOutcome:
    success: bool
    results: tuple[ActionResult, ...]
    total_time: int = 0
    errors: tuple[str, ...] | None = None

    @property
    def effects(self) -> tuple[Effect, ...]:
        return tuple(r.effect for r in self.results if r.effect is not None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "success": self.success,
            "results": [r.to_dict() for r in self.results],
            "totalTime": self.total_time,
        }
        if self.errors:
            out["errors"] = list(self.errors)
        return out


# --- validation ----------------------------------------------------------------------------


def _validate_action(action: Any) -> list[str]:
    if not isinstance(action, dict):
        return ["Action type is required"]
    errors: list[str] = []
    action_type = action.get("type")
    if not isinstance(action_type, str) or action_type == "":
        errors.append("Action type is required")
        return errors
    if action_type not in ACTION_TYPES:
        errors.append(f'Unknown action type "{action_type}". Valid types are: {", ".join(ACTION_TYPES)}')
        return errors
    required = REQUIRED_CONFIG.get(action_type, ())
    if required:
        config = action.get("config")
        if not js_truthy(config):
            errors.append(f"Action {action_type} requires config with fields: {', '.join(required)}")
        elif isinstance(config, dict):
            for name in required:
                if not js_truthy(config.get(name, MISSING)):
                    errors.append(f'Required field "{name}" is missing from config')
    return errors


def validate_actions(actions: Any) -> list[str]:
    """Per-action errors, each `Action <i>: <errors joined ", ">` ([] when valid or empty)."""
    if not actions:
        return []
    if not isinstance(actions, list):
        return ["actions must be an array"]
    errors = []
    for index, action in enumerate(actions, start=1):
        action_errors = _validate_action(action)
        if action_errors:
            errors.append(f"Action {index}: {', '.join(action_errors)}")
    return errors


def actions_error(actions: Any) -> str | None:
    """The message the API reports after `successActions: ` / `failureActions: `, or None."""
    errors = validate_actions(actions)
    return "Invalid actions: " + "; ".join(errors) if errors else None


# --- interpolation: `{{path}}` in messages -------------------------------------------------

_TOKEN: Final = re.compile(r"\{\{([^}]+)\}\}")


def resolve_value(value: Any, context: Mapping[str, Any], now: datetime | None) -> Any:
    """Whole-value resolution: a string that is one `{{...}}` becomes the special value itself."""
    if is_template(value):
        return resolve_special_value(value, context, now)
    return value


def interpolate_message(template: Any, context: Mapping[str, Any], now: datetime | None) -> str:
    """Replace each `{{path}}`; tokens that resolve to null or nothing stay verbatim."""
    if not js_truthy(template):
        return ""
    text = js_string(template)

    def replace(match: re.Match[str]) -> str:
        path = match.group(1).strip(JS_WHITESPACE)
        value = resolve_special_value("{{" + path + "}}", context, now)
        if is_null(value):
            return match.group(0)
        return js_string(value)

    return _TOKEN.sub(replace, text)


# --- execution -----------------------------------------------------------------------------


class ActionError(Exception):
    pass


Handler = Callable[[dict[str, Any], Mapping[str, Any], datetime | None], tuple[dict[str, Any], Effect | None]]


def _config(action: dict[str, Any]) -> dict[str, Any]:
    config = action.get("config")
    return config if isinstance(config, dict) else {}


def _or(config: dict[str, Any], key: str, default: Any) -> Any:
    """`config.key || default`."""
    value = config.get(key, MISSING)
    return value if js_truthy(value) else default


def _transition(action_type: str, allowed: bool, default: str) -> Handler:
    def handle(action: dict[str, Any], ctx: Mapping[str, Any], now: datetime | None) -> tuple[dict[str, Any], Any]:
        message = interpolate_message(_or(_config(action), "message", default), ctx, now)
        effect = None if allowed else BlockTransition(message)
        return {"type": action_type, "allowed": allowed, "message": message}, effect

    return handle


def _log(action: dict[str, Any], ctx: Mapping[str, Any], now: datetime | None) -> tuple[dict[str, Any], Any]:
    config = _config(action)
    level = _or(config, "level", "info")
    message = interpolate_message(_or(config, "message", ""), ctx, now)
    if now is None:
        raise ActionError("LOG action requires the current time")
    return {"type": "LOG", "level": level, "message": message, "timestamp": iso_timestamp(now)}, None


def _show(action_type: str, severity: str) -> Handler:
    def handle(action: dict[str, Any], ctx: Mapping[str, Any], now: datetime | None) -> tuple[dict[str, Any], Any]:
        message = interpolate_message(_or(_config(action), "message", ""), ctx, now)
        return {"type": action_type, "severity": severity, "message": message}, None

    return handle


def _notify(action: dict[str, Any], ctx: Mapping[str, Any], now: datetime | None) -> tuple[dict[str, Any], Any]:
    config = _config(action)
    recipients = _or(config, "recipients", [])
    message = interpolate_message(_or(config, "message", ""), ctx, now)
    subject = interpolate_message(_or(config, "subject", ""), ctx, now)
    if not isinstance(recipients, list):
        raise ActionError("NOTIFY action requires recipients to be an array")
    if not recipients:
        raise ActionError("NOTIFY action requires at least one recipient")
    result: dict[str, Any] = {"type": "NOTIFY", "recipients": recipients, "subject": subject, "message": message}
    template = config.get("template", MISSING)
    if template is not MISSING:
        result["template"] = template
    return result, SendMail(tuple(recipients), subject, message, None if template is MISSING else template)


def _set_field(action: dict[str, Any], ctx: Mapping[str, Any], now: datetime | None) -> tuple[dict[str, Any], Any]:
    config = _config(action)
    field = config.get("field", MISSING)
    value = resolve_value(config.get("value", MISSING), ctx, now)
    if not js_truthy(field):
        raise ActionError("SET_FIELD action requires a field name")
    if not isinstance(field, str) or field.strip(JS_WHITESPACE) == "":
        raise ActionError("SET_FIELD action requires a non-empty field name")
    result: dict[str, Any] = {"type": "SET_FIELD", "field": field}
    if value is not MISSING:
        result["value"] = value
    return result, SetField(field, None if value is MISSING else value)


def _call_webhook(action: dict[str, Any], ctx: Mapping[str, Any], now: datetime | None) -> tuple[dict[str, Any], Any]:
    config = _config(action)
    url = interpolate_message(_or(config, "url", ""), ctx, now)
    method = js_string(_or(config, "method", "POST")).upper()
    headers = _or(config, "headers", {})
    if not url or url.strip(JS_WHITESPACE) == "":
        raise ActionError("CALL_WEBHOOK action requires a non-empty URL")
    if method not in WEBHOOK_METHODS:
        raise ActionError(f"CALL_WEBHOOK action requires a valid HTTP method ({', '.join(WEBHOOK_METHODS)})")
    result: dict[str, Any] = {"type": "CALL_WEBHOOK", "url": url, "method": method, "headers": headers}
    if "body" in config:
        result["body"] = config["body"]
    result["status"] = "pending"
    return result, None


def _emit_event(action: dict[str, Any], ctx: Mapping[str, Any], now: datetime | None) -> tuple[dict[str, Any], Any]:
    config = _config(action)
    # The reference validates `eventName` but executes `event`; accept either, `event` first.
    event = config.get("event", MISSING)
    if not js_truthy(event):
        event = config.get("eventName", event)
    payload = _or(config, "payload", {})
    if not js_truthy(event):
        raise ActionError("EMIT_EVENT action requires an event name")
    if not isinstance(event, str) or event.strip(JS_WHITESPACE) == "":
        raise ActionError("EMIT_EVENT action requires a non-empty event name")
    return {"type": "EMIT_EVENT", "event": event, "payload": payload}, EmitEvent(event, payload)


HANDLERS: Final[dict[str, Handler]] = {
    "ALLOW_TRANSITION": _transition("ALLOW_TRANSITION", True, "Transition allowed"),
    "BLOCK_TRANSITION": _transition("BLOCK_TRANSITION", False, "Transition blocked"),
    "LOG": _log,
    "SHOW_ERROR": _show("SHOW_ERROR", "error"),
    "SHOW_WARNING": _show("SHOW_WARNING", "warning"),
    "SHOW_INFO": _show("SHOW_INFO", "info"),
    "NOTIFY": _notify,
    "SET_FIELD": _set_field,
    "CALL_WEBHOOK": _call_webhook,
    "EMIT_EVENT": _emit_event,
}


def elapsed_ms(clock: Clock | None, start: float) -> int:
    if clock is None:
        return 0
    return max(0, round((clock() - start) * 1000))


def execute_action(
    action: Any, context: Mapping[str, Any], *, now: datetime | None, clock: Clock | None = None
) -> ActionResult:
    """Run one action. Failures are results (`success=False`), never exceptions."""
    start = clock() if clock is not None else 0.0
    action_type = action.get("type", MISSING) if isinstance(action, dict) else MISSING
    handler = HANDLERS.get(action_type) if isinstance(action_type, str) else None
    try:
        if handler is None:
            raise ActionError(f"Unknown action type: {js_string(action_type)}")
        assert isinstance(action, dict)
        result, effect = handler(action, context, now)
    except Exception as error:  # a failing action must not stop the others
        return ActionResult(action, False, error=str(error), execution_time=elapsed_ms(clock, start))
    return ActionResult(action, True, result=result, execution_time=elapsed_ms(clock, start), effect=effect)


def execute_actions(
    actions: Sequence[Any], context: Mapping[str, Any], *, now: datetime | None, clock: Clock | None = None
) -> ActionsOutcome:
    """Run actions in order; a failing action does not stop later ones."""
    start = clock() if clock is not None else 0.0
    results = []
    errors = []
    for action in actions:
        result = execute_action(action, context, now=now, clock=clock)
        results.append(result)
        if result.error:
            errors.append(f"Action {js_string(result.action_type if result.action_type is not None else MISSING)}: "
                          f"{result.error}")
    return ActionsOutcome(
        success=all(r.success for r in results),
        results=tuple(results),
        total_time=elapsed_ms(clock, start),
        errors=tuple(errors) if errors else None,
    )


# --- SET_FIELD application -----------------------------------------------------------------


def _set_path(target: Any, path: str, value: Any) -> Any:
    segments = split_path(path)
    if any(is_forbidden_segment(s) or s == "" for s in segments):
        return target
    if target is None:
        target = {}
    current = target
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if isinstance(current, dict):
            if last:
                current[segment] = value
            else:
                child = current.get(segment)
                if child is None:
                    child = current[segment] = {}
                current = child
        elif isinstance(current, list) and CANONICAL_INDEX.fullmatch(segment) and int(segment) < len(current):
            if last:
                current[int(segment)] = value
            else:
                current = current[int(segment)]
        else:
            return target  # a scalar on the way: nothing sensible to set
    return target


def apply_set_fields(data: Any, effects: Sequence[Effect]) -> Any:
    """A copy of `data` with every SetField effect applied in order; the input is not touched."""
    updates = [e for e in effects if isinstance(e, SetField)]
    if not updates:
        return data
    result = copy.deepcopy(data)
    for update in updates:
        result = _set_path(result, update.field, copy.deepcopy(update.value))
    return result
