"""Native condition trees (`conditionExpression`): compile once to closures, validate on write.

The language is described in docs/rules.md (*Native condition trees*). A compiled condition is a
function `(data, context, now) -> bool`. Errors the reference raises at evaluation time (unknown
operators) stay evaluation-time errors here, because AND/OR short-circuiting decides whether they
are ever reached.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Final

from rules._regex import compile_regex
from rules._values import (
    JS_WHITESPACE,
    MISSING,
    compile_path,
    date_string_ms,
    is_number,
    is_template,
    js_string,
    js_truthy,
    locale_compare,
    resolve_special_value,
    timestamp_ms,
    to_number,
)

NativeFn = Callable[[Any, Mapping[str, Any], "datetime | None"], bool]


class ConditionError(Exception):
    """Evaluation of a condition failed (the rule becomes "evaluation not completed")."""


LOGICAL_OPERATORS: Final = ("AND", "OR", "NOT")
COMPARISON_OPERATORS: Final = (
    "=", "==", "!=", ">", ">=", "<", "<=", "IN", "NOT_IN", "CONTAINS", "NOT_CONTAINS",
    "STARTS_WITH", "ENDS_WITH", "MATCHES", "IS_EMPTY", "IS_NOT_EMPTY",
)

MAX_REGEX_LENGTH: Final = 200
MAX_REGEX_INPUT_LENGTH: Final = 10_000
# The reference's heuristic: "(", later "+" or "*" right before ")", later another "+" or "*".
_DANGEROUS_PATTERN: Final = re.compile(r"\(.*[+*]\).*[+*]")
# Unvalidated trees (inline workflow conditions) must not exhaust the Python stack.
_MAX_COMPILE_DEPTH: Final = 64


# --- operator semantics (docs/rules.md, Comparison operators) -------------------------------


def _null(value: Any) -> bool:
    return value is None or value is MISSING


def strict_equals(left: Any, right: Any) -> bool:
    """JS `===` for JSON values: arrays and objects equal only themselves."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if is_number(left) and is_number(right):
        return bool(left == right)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if _null(left) and _null(right):
        return left is right
    return left is right


def equals(left: Any, right: Any) -> bool:
    left_type, right_type = type(left), type(right)
    if left_type is right_type and (left_type is str or left_type is int):
        return bool(left == right)
    left_null, right_null = _null(left), _null(right)
    if left_null or right_null:
        return left_null and right_null
    if is_number(left) or is_number(right):
        return to_number(left) == to_number(right)
    return strict_equals(left, right)


def compare(left: Any, right: Any) -> float:
    """Negative, zero, positive, or NaN (which makes every ordering false)."""
    if (type(left) is int or type(left) is float) and (type(right) is int or type(right) is float):
        return left - right
    left_null, right_null = _null(left), _null(right)
    if left_null and right_null:
        return 0
    if left_null:
        return -1
    if right_null:
        return 1
    if isinstance(left, datetime | date) and isinstance(right, datetime | date):
        return timestamp_ms(left) - timestamp_ms(right)
    left_date = date_string_ms(left)
    if left_date is not None:
        right_date = date_string_ms(right)
        if right_date is not None:
            return left_date - right_date
    left_num, right_num = to_number(left), to_number(right)
    if left_num == left_num and right_num == right_num:
        return left_num - right_num
    return locale_compare(js_string(left), js_string(right))


def is_in(value: Any, array: Any) -> bool:
    if not isinstance(array, list | tuple):
        return False
    return any(equals(value, item) for item in array)


def contains(container: Any, value: Any) -> bool:
    if _null(container):
        return False
    if isinstance(container, list | tuple):
        return any(equals(item, value) for item in container)
    if isinstance(container, str):
        return js_string(value) in container
    return False


def starts_with(text: Any, prefix: Any) -> bool:
    if _null(text) or _null(prefix):
        return False
    return js_string(text).startswith(js_string(prefix))


def ends_with(text: Any, suffix: Any) -> bool:
    if _null(text) or _null(suffix):
        return False
    return js_string(text).endswith(js_string(suffix))


def regex_refused(pattern: str) -> bool:
    """Patterns the reference refuses before compiling: too long, or nested quantifiers."""
    return len(pattern) > MAX_REGEX_LENGTH or _DANGEROUS_PATTERN.search(pattern) is not None


def matches(text: Any, pattern: Any) -> bool:
    if _null(text) or _null(pattern):
        return False
    pattern_str = js_string(pattern)
    if regex_refused(pattern_str):
        return False
    subject = js_string(text)
    if len(subject) > MAX_REGEX_INPUT_LENGTH:
        return False
    compiled = compile_regex(pattern_str)
    return compiled is not None and compiled.search(subject)


def is_empty(value: Any) -> bool:
    if _null(value):
        return True
    if isinstance(value, str):
        return value.strip(JS_WHITESPACE) == ""
    if isinstance(value, list | tuple | dict):
        return len(value) == 0
    return False


def _gt(left: Any, right: Any) -> bool:
    return compare(left, right) > 0


def _ge(left: Any, right: Any) -> bool:
    return compare(left, right) >= 0


def _lt(left: Any, right: Any) -> bool:
    return compare(left, right) < 0


def _le(left: Any, right: Any) -> bool:
    return compare(left, right) <= 0


BINARY: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "=": equals,
    "==": equals,
    "!=": lambda left, right: not equals(left, right),
    ">": _gt,
    ">=": _ge,
    "<": _lt,
    "<=": _le,
    "IN": is_in,
    "NOT_IN": lambda left, right: not is_in(left, right),
    "CONTAINS": contains,
    "NOT_CONTAINS": lambda left, right: not contains(left, right),
    "STARTS_WITH": starts_with,
    "ENDS_WITH": ends_with,
    "MATCHES": matches,
    "IS_EMPTY": lambda left, _right: is_empty(left),
    "IS_NOT_EMPTY": lambda left, _right: not is_empty(left),
}


# --- specialisation for a literal right-hand side -----------------------------------------


def _equals_literal(right: Any) -> Callable[[Any], bool]:
    """`equals(left, right)` with the right side's coercions done once."""
    if _null(right):
        return _null
    if isinstance(right, bool):
        as_number = 1.0 if right else 0.0

        def eq_bool(left: Any) -> bool:
            if isinstance(left, bool):
                return left is right
            if is_number(left):
                return left == as_number
            return False

        return eq_bool
    if is_number(right):
        number = to_number(right)

        def eq_number(left: Any) -> bool:
            if type(left) is int or type(left) is float:
                return left == number
            if _null(left):
                return False
            return to_number(left) == number

        return eq_number
    if isinstance(right, str):
        coerced = to_number(right)

        def eq_string(left: Any) -> bool:
            if type(left) is str:
                return left == right
            if is_number(left):
                return left == coerced
            return False

        return eq_string
    coerced_other = to_number(right)

    def eq_other(left: Any) -> bool:
        if is_number(left):
            return left == coerced_other
        return left is right

    return eq_other


def _compare_literal(right: Any, test: Callable[[float], bool]) -> Callable[[Any], bool]:
    if _null(right) or isinstance(right, datetime | date):
        return lambda left: test(compare(left, right))
    right_date = date_string_ms(right)
    right_num = to_number(right)
    right_str = js_string(right)

    def ordered(left: Any) -> bool:
        if type(left) is int or type(left) is float:
            if right_num == right_num:
                return test(left - right_num)
        if _null(left):
            return test(-1)
        if right_date is not None:
            left_date = date_string_ms(left)
            if left_date is not None:
                return test(left_date - right_date)
        left_num = to_number(left)
        if left_num == left_num and right_num == right_num:
            return test(left_num - right_num)
        return test(locale_compare(js_string(left), right_str))

    return ordered


def _literal_operator(operator: str, right: Any) -> Callable[[Any], bool] | None:
    if operator in ("=", "=="):
        return _equals_literal(right)
    if operator == "!=":
        eq = _equals_literal(right)
        return lambda left: not eq(left)
    if operator == ">":
        return _compare_literal(right, lambda c: c > 0)
    if operator == ">=":
        return _compare_literal(right, lambda c: c >= 0)
    if operator == "<":
        return _compare_literal(right, lambda c: c < 0)
    if operator == "<=":
        return _compare_literal(right, lambda c: c <= 0)
    if operator in ("IN", "NOT_IN"):
        if not isinstance(right, list | tuple):
            result = operator == "NOT_IN"
            return lambda left: result
        tests = [_equals_literal(item) for item in right]
        # A string equals only identical strings, or numbers equal to its ToNumber.
        strings = frozenset(item for item in right if type(item) is str)
        numbers = frozenset(float(item) for item in right if is_number(item))

        def member(left: Any) -> bool:
            if type(left) is str:
                return left in strings or (bool(numbers) and to_number(left) in numbers)
            return any(t(left) for t in tests)

        if operator == "IN":
            return member
        return lambda left: not member(left)
    if operator == "MATCHES" and not _null(right):
        pattern = js_string(right)
        compiled = None if regex_refused(pattern) else compile_regex(pattern)
        if compiled is None:
            return lambda left: False
        search = compiled.search

        def match_literal(left: Any) -> bool:
            if _null(left):
                return False
            subject = js_string(left)
            return len(subject) <= MAX_REGEX_INPUT_LENGTH and search(subject)

        return match_literal
    return None


# --- compiler ------------------------------------------------------------------------------


def _always_true(data: Any, context: Mapping[str, Any], now: datetime | None) -> bool:
    return True


def _raiser(message: str) -> NativeFn:
    def fail(data: Any, context: Mapping[str, Any], now: datetime | None) -> bool:
        raise ConditionError(message)

    return fail


def is_group(node: Any) -> bool:
    """At runtime any object with a `rules` array is a group, whatever its operator."""
    return isinstance(node, dict) and isinstance(node.get("rules"), list)


def compile_native(node: Any, _depth: int = 0) -> NativeFn:
    """Compile a native condition tree into `(data, context, now) -> bool`."""
    if _depth > _MAX_COMPILE_DEPTH:
        return _raiser("Condition expression is nested too deeply")
    if is_group(node):
        return _compile_group(node, _depth)
    return _compile_leaf(node)


def _compile_group(node: dict[str, Any], depth: int) -> NativeFn:
    operator = node.get("operator")
    children = tuple(compile_native(child, depth + 1) for child in node["rules"])
    if not children:
        return _always_true
    if operator == "AND":
        if len(children) == 1:
            return children[0]
        if len(children) == 2:
            first, second = children
            return lambda d, c, n: first(d, c, n) and second(d, c, n)

        def all_of(d: Any, c: Mapping[str, Any], n: datetime | None) -> bool:
            for child in children:
                if not child(d, c, n):
                    return False
            return True

        return all_of
    if operator == "OR":
        if len(children) == 1:
            return children[0]

        def any_of(d: Any, c: Mapping[str, Any], n: datetime | None) -> bool:
            for child in children:
                if child(d, c, n):
                    return True
            return False

        return any_of
    if operator == "NOT":

        def none_of(d: Any, c: Mapping[str, Any], n: datetime | None) -> bool:
            for child in children:
                if not child(d, c, n):
                    return True
            return False

        return none_of
    return _raiser(f"Unknown logical operator: {js_string(operator if operator is not None else MISSING)}")


def _path_getter(path: Any) -> Callable[[Any], Any]:
    if path is MISSING or path is None or isinstance(path, str):
        return compile_path(path)
    message = f"Invalid field path: {js_string(path)}"

    def invalid(_: Any) -> Any:
        raise ConditionError(message)

    return invalid


def _compile_leaf(node: Any) -> NativeFn:
    if not isinstance(node, dict):
        if node is None:
            return _raiser("Invalid condition: null")
        node = {}
    operator = node.get("operator", MISSING)
    left = _path_getter(node.get("field", MISSING))
    value_field = node.get("valueField", MISSING)
    value = node.get("value", MISSING)

    if not isinstance(operator, str) or operator not in BINARY:
        message = f"Unknown operator: {js_string(operator)}"
        return _raiser(message)

    if js_truthy(value_field):
        right_path = _path_getter(value_field)
        op = BINARY[operator]
        return lambda d, c, n: op(left(d), right_path(d))
    if is_template(value):
        return _template_leaf(left, operator, value)
    if operator in ("IS_EMPTY", "IS_NOT_EMPTY"):
        negate = operator == "IS_NOT_EMPTY"
        return lambda d, c, n: is_empty(left(d)) is not negate
    fast = _literal_operator(operator, value)
    if fast is not None:
        test = fast
        return lambda d, c, n: test(left(d))
    op = BINARY[operator]
    return lambda d, c, n: op(left(d), value)


def _bind_right(op: Callable[[Any, Any], bool], right: Any) -> Callable[[Any], bool]:
    return lambda left: op(left, right)


def _template_leaf(left: Callable[[Any], Any], operator: str, template: str) -> NativeFn:
    """`{{today}}` and friends resolve per call; the operator is specialised per resolved string."""
    op = BINARY[operator]
    specialised: dict[str, Callable[[Any], bool]] = {}

    def evaluate(d: Any, c: Mapping[str, Any], n: datetime | None) -> bool:
        right = resolve_special_value(template, c, n)
        if type(right) is not str:
            return op(left(d), right)
        test = specialised.get(right)
        if test is None:
            if len(specialised) >= 32:  # {{now}} changes every millisecond
                specialised.clear()
            test = specialised[right] = _literal_operator(operator, right) or _bind_right(op, right)
        return test(left(d))

    return evaluate


# --- write-time validation (docs/rules.md, Validation on save) ------------------------------

SAFETY_LIMITS_MESSAGE: Final = (
    "Condition expression exceeds safety limits (max depth: 10, max rules per group: 50, max field path length: 200)"
)
_FIELD_PATH: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_.\[\]]*")
_SAFETY_MAX_DEPTH, _SAFETY_MAX_RULES, _SAFETY_MAX_FIELD = 10, 50, 200
_MAX_DEPTH = 5


def _within_safety_limits(node: Any, depth: int) -> bool:
    if depth > _SAFETY_MAX_DEPTH:
        return False
    if is_group(node):
        rules = node["rules"]
        if len(rules) > _SAFETY_MAX_RULES:
            return False
        return all(_within_safety_limits(child, depth + 1) for child in rules)
    if isinstance(node, dict) and "field" in node:
        return len(js_string(node["field"])) <= _SAFETY_MAX_FIELD
    return True


def _validate_node(node: Any, depth: int) -> list[str]:
    if depth > _MAX_DEPTH:
        return [f"Maximum nesting depth ({_MAX_DEPTH}) exceeded"]
    if isinstance(node, dict) and "operator" in node and isinstance(node.get("rules"), list):
        errors: list[str] = []
        operator = node["operator"]
        if operator not in LOGICAL_OPERATORS:
            errors.append(
                f'Invalid logical operator: "{js_string(operator)}". '
                f'Valid operators are: {", ".join(LOGICAL_OPERATORS)}'
            )
        rules = node["rules"]
        if not rules:
            errors.append("Group must have at least one rule")
        for index, child in enumerate(rules, start=1):
            child_errors = _validate_node(child, depth + 1)
            if child_errors:
                errors.append(f"Rule {index}: {', '.join(child_errors)}")
        return errors
    if isinstance(node, dict) and "field" in node and "operator" in node and "value" in node:
        errors = []
        field = node["field"]
        if not isinstance(field, str) or field == "":
            errors.append("Field path is required for simple conditions")
        elif not _FIELD_PATH.fullmatch(field):
            errors.append(
                f'Invalid field path format: "{field}". Field paths must start with a letter or underscore, '
                "and contain only letters, numbers, underscores, dots, and brackets"
            )
        operator = node["operator"]
        if not js_truthy(operator):
            errors.append("Operator is required")
        elif operator not in COMPARISON_OPERATORS:
            errors.append(
                f'Invalid comparison operator: "{js_string(operator)}". '
                f"Valid operators are: {', '.join(COMPARISON_OPERATORS)}"
            )
        value_field = node.get("valueField")
        if js_truthy(value_field) and not isinstance(value_field, str):
            errors.append("valueField must be a string")
        return errors
    return ["Invalid condition expression structure"]


def validate_native(expression: Any) -> list[str]:
    """Write-time errors of a native tree: [] when valid; the first failing stage wins.

    Stage A gives the single safety-limits message; stage B gives the structural errors, which
    the API joins as `Invalid condition expression: <errors joined by "; ">`.
    """
    if expression is None:
        return []
    if not _within_safety_limits(expression, 0):
        return [SAFETY_LIMITS_MESSAGE]
    return _validate_node(expression, 0)
