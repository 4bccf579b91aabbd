"""One entry point for both condition dialects, and the per-rule-version cache of compiled forms."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from rules import jsonlogic
from rules._conditions import SAFETY_LIMITS_MESSAGE, compile_native, validate_native
from rules._values import js_truthy

Dialect = Literal["none", "native", "jsonlogic"]


def detect_dialect(expression: Any) -> Dialect:
    """JsonLogic is an object with exactly one key naming a JsonLogic operator; the rest is native.

    Native nodes always carry `field`/`operator`/`rules` keys, none of which is a JsonLogic
    operator, so the shapes never overlap. Falsy expressions mean "always passes", as in the
    reference (`evaluateConditions(null)` is true).
    """
    if not js_truthy(expression):
        return "none"
    if isinstance(expression, dict) and len(expression) == 1 and next(iter(expression)) in jsonlogic.OPERATORS:
        return "jsonlogic"
    return "native"


@dataclass(frozen=True)
class CompiledCondition:
    """A condition compiled once; calling it evaluates against plain data with an explicit `now`."""

    dialect: Dialect
    expression: Any
    _fn: Callable[[Any, Mapping[str, Any], datetime | None], bool] = field(repr=False)

    def __call__(self, data: Any, context: Mapping[str, Any] | None = None, *, now: datetime | None = None) -> bool:
        """True when the condition holds. Raises on evaluation errors (e.g. unknown operators)."""
        return self._fn(data, context if context is not None else {}, now)

    evaluate = __call__


def _always(data: Any, context: Mapping[str, Any], now: datetime | None) -> bool:
    return True


def _jsonlogic_fn(expression: Any) -> Callable[[Any, Mapping[str, Any], datetime | None], bool]:
    try:
        compiled = jsonlogic.compile(expression)
    except (jsonlogic.JsonLogicError, RecursionError) as error:
        # Stored expressions are validated on write; anything else fails when evaluated, like a
        # native tree with an unknown operator, so the rule reports it instead of the caller.
        message = str(error) or "JsonLogic expression is too deep"

        def fail(data: Any, context: Mapping[str, Any], now: datetime | None) -> bool:
            raise jsonlogic.JsonLogicError(message)

        return fail
    truthy = jsonlogic.truthy
    return lambda data, context, now: truthy(compiled(data))


def compile_condition(expression: Any) -> CompiledCondition:
    """Compile a `conditionExpression` of either dialect. Never raises: errors surface on call."""
    dialect = detect_dialect(expression)
    if dialect == "none":
        return CompiledCondition("none", expression, _always)
    if dialect == "jsonlogic":
        return CompiledCondition("jsonlogic", expression, _jsonlogic_fn(expression))
    return CompiledCondition("native", expression, compile_native(expression))


def evaluate_condition(
    expression: Any, data: Any, context: Mapping[str, Any] | None = None, *, now: datetime | None = None
) -> bool:
    """Compile and evaluate once (for one-off checks; rules should go through RuleCache)."""
    return compile_condition(expression)(data, context, now=now)


def validate_condition_expression(expression: Any) -> list[str]:
    """Write-time errors of a `conditionExpression` ([] when valid), dialect detected by shape.

    Native trees give the messages of docs/rules.md (*Validation on save*): the single
    safety-limits message, or the structural errors. JsonLogic gives the compile error (unknown
    operator, size limits).
    """
    if expression is None:
        return []
    if detect_dialect(expression) == "jsonlogic":
        return jsonlogic.validate(expression)
    return validate_native(expression)


def condition_expression_error(expression: Any) -> str | None:
    """The message the API reports after `conditionExpression: `, or None when valid."""
    errors = validate_condition_expression(expression)
    if not errors:
        return None
    if errors == [SAFETY_LIMITS_MESSAGE]:
        return SAFETY_LIMITS_MESSAGE
    return "Invalid condition expression: " + "; ".join(errors)


class RuleCache:
    """Compiled conditions keyed by (rule id, updatedAt); a new version replaces the old one.

    `updatedAt` changes on every rule update, so a stale compiled form is never served. The
    cache is bounded (least recently used entries go first) and safe to share across threads.
    """

    def __init__(self, maxsize: int = 2048) -> None:
        self._maxsize = maxsize
        self._entries: OrderedDict[tuple[Hashable, Hashable], CompiledCondition] = OrderedDict()
        self._versions: dict[Hashable, Hashable] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compile(self, rule_id: Hashable, updated_at: Hashable, expression: Any) -> CompiledCondition:
        key = (rule_id, updated_at)
        with self._lock:
            compiled = self._entries.get(key)
            if compiled is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return compiled
        compiled = compile_condition(expression)
        with self._lock:
            self.misses += 1
            previous = self._versions.get(rule_id)
            if previous is not None and previous != updated_at:
                self._entries.pop((rule_id, previous), None)
            self._versions[rule_id] = updated_at
            self._entries[key] = compiled
            while len(self._entries) > self._maxsize:
                (old_rule, old_version), _ = self._entries.popitem(last=False)
                if self._versions.get(old_rule) == old_version:
                    del self._versions[old_rule]
        return compiled

    def invalidate(self, rule_id: Hashable) -> None:
        with self._lock:
            version = self._versions.pop(rule_id, None)
            if version is not None:
                self._entries.pop((rule_id, version), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._versions.clear()

    def __len__(self) -> int:
        return len(self._entries)
