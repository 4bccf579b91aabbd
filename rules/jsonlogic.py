"""JsonLogic with classic json-logic-js semantics, compiled once into Python closures.

`compile(logic)` walks the JSON once and returns a function of the data; evaluating never looks
at the JSON again. `apply(logic, data)` is the one-off form. Semantics follow json-logic-js
(the official suite passes completely): JS truthiness with `[]` falsy, loose `==`, `and`/`or`
returning operands, `+` and `*` through `parseFloat`, lazy `if`/`and`/`or` and the array
operators.

Only the operators in `OPERATORS` exist; anything else is a `JsonLogicError` at compile time.
Data is read by dict key and list/string index only, never by attribute, so an expression cannot
reach Python objects. `log` returns its argument without printing (rules are pure).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Final

from jscompat import typeof
from rules._values import (
    MISSING,
    js_str_less,
    js_string,
    js_truthy,
    normalize_number,
    own_property,
    parse_float,
    string_to_number,
    to_int_or_infinity,
    to_number,
)

__all__ = ["OPERATORS", "JsonLogicError", "apply", "compile", "is_logic", "truthy", "validate"]

Fn = Callable[[Any], Any]

MAX_DEPTH: Final = 64
MAX_NODES: Final = 5000


class JsonLogicError(ValueError):
    """The expression uses an operator outside the allow-list, or is too large."""


def truthy(value: Any) -> bool:
    """JsonLogic truthiness: JS truthiness, except that an empty array is false."""
    if isinstance(value, list | tuple):
        return len(value) > 0
    return js_truthy(value)


def is_logic(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1


# --- JS operators --------------------------------------------------------------------------


_NULLISH: Final = ("undefined", "null")


def _js_type(value: Any) -> str:
    """`typeof`, with null as its own type, as the abstract equality operations treat it."""
    return "null" if value is None else typeof(value)


def _to_primitive(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return to_number(value)
    if isinstance(value, list | tuple | dict):
        return js_string(value)
    return value


def loose_equals(a: Any, b: Any) -> bool:
    """JS `a == b` (IsLooselyEqual)."""
    ta, tb = _js_type(a), _js_type(b)
    if ta == tb:
        if ta == "object":
            return a is b
        return bool(a == b)
    if ta in _NULLISH or tb in _NULLISH:
        return ta in _NULLISH and tb in _NULLISH
    if ta == "number" and tb == "string":
        return bool(a == string_to_number(b))
    if ta == "string" and tb == "number":
        return bool(string_to_number(a) == b)
    if ta == "boolean":
        return loose_equals(1 if a else 0, b)
    if tb == "boolean":
        return loose_equals(a, 1 if b else 0)
    if tb == "object":
        return loose_equals(a, _to_primitive(b))
    if ta == "object":
        return loose_equals(_to_primitive(a), b)
    return False


def strict_equals(a: Any, b: Any) -> bool:
    """JS `a === b`."""
    ta, tb = _js_type(a), _js_type(b)
    if ta != tb:
        return False
    if ta == "object":
        return a is b
    return bool(a == b)


def _less(a: Any, b: Any) -> bool | None:
    """JS `a < b`; None when the comparison is undefined (a NaN was involved)."""
    pa, pb = _to_primitive(a), _to_primitive(b)
    if isinstance(pa, str) and isinstance(pb, str):
        return js_str_less(pa, pb)
    na, nb = to_number(pa), to_number(pb)
    if na != na or nb != nb:
        return None
    return na < nb


def lt(a: Any, b: Any) -> bool:
    return _less(a, b) is True


def gt(a: Any, b: Any) -> bool:
    return _less(b, a) is True


def le(a: Any, b: Any) -> bool:
    return _less(b, a) is False


def ge(a: Any, b: Any) -> bool:
    return _less(a, b) is False


def _number_result(value: float) -> int | float:
    return normalize_number(value)


def _divide(a: float, b: float) -> float:
    if b == 0:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _remainder(a: float, b: float) -> float:
    if a != a or b != b or math.isinf(a) or b == 0:
        return math.nan
    if math.isinf(b):
        return a
    return math.fmod(a, b)


def _substr(source: Any, start: Any, length: Any = MISSING) -> str:
    """`String.prototype.substr(start, length)`."""
    text = js_string(source)
    size = len(text)
    begin = to_int_or_infinity(start)
    if begin == -math.inf:
        begin = 0
    elif begin < 0:
        begin = max(size + begin, 0)
    else:
        begin = min(begin, size)
    count = size if length is MISSING else min(max(to_int_or_infinity(length), 0), size)
    end = min(begin + count, size)
    return text[int(begin):int(end)] if end > begin else ""


def _var_lookup(data: Any, segments: Sequence[str], default: Any) -> Any:
    for segment in segments:
        if data is None or data is MISSING:
            return default
        data = data.get(segment, MISSING) if type(data) is dict else own_property(data, segment)
        if data is MISSING:
            return default
    return data


def _arg(args: list[Any], index: int) -> Any:
    return args[index] if index < len(args) else MISSING


# Operators whose arguments are all evaluated first: name -> function(data, args).
def _op_var(data: Any, args: list[Any]) -> Any:
    key = _arg(args, 0)
    default = _arg(args, 1)
    not_found = None if default is MISSING else default
    if key is MISSING or key is None or key == "":
        return data
    return _var_lookup(data, js_string(key).split("."), not_found)


def _op_missing(data: Any, args: list[Any]) -> Any:
    keys = args[0] if args and isinstance(args[0], list) else args
    missing = []
    for key in keys:
        value = _op_var(data, [key])
        if value is None or (isinstance(value, str) and value == ""):
            missing.append(key)
    return missing


def _op_missing_some(data: Any, args: list[Any]) -> Any:
    need = _arg(args, 0)
    options = _arg(args, 1)
    if not isinstance(options, list):
        options = [] if options is MISSING or options is None else [options]
    are_missing = _op_missing(data, [options])
    return [] if ge(len(options) - len(are_missing), need) else are_missing


def _op_add(data: Any, args: list[Any]) -> Any:
    total = 0.0
    for value in args:
        total += parse_float(value)
    return _number_result(total)


def _op_mul(data: Any, args: list[Any]) -> Any:
    if not args:
        raise JsonLogicError("Reduce of empty array with no initial value")
    if len(args) == 1:
        return args[0]  # Array.prototype.reduce without an initial value: the lone element as is
    product = parse_float(args[0])
    for value in args[1:]:
        product = parse_float(product) * parse_float(value)
    return _number_result(product)


def _op_sub(data: Any, args: list[Any]) -> Any:
    a, b = _arg(args, 0), _arg(args, 1)
    if b is MISSING:
        return _number_result(-to_number(a))
    return _number_result(to_number(a) - to_number(b))


def _op_div(data: Any, args: list[Any]) -> Any:
    return _number_result(_divide(to_number(_arg(args, 0)), to_number(_arg(args, 1))))


def _op_mod(data: Any, args: list[Any]) -> Any:
    return _number_result(_remainder(to_number(_arg(args, 0)), to_number(_arg(args, 1))))


def _op_min(data: Any, args: list[Any]) -> Any:
    numbers = [to_number(a) for a in args]
    if any(n != n for n in numbers):
        return math.nan
    return _number_result(min(numbers, default=math.inf))


def _op_max(data: Any, args: list[Any]) -> Any:
    numbers = [to_number(a) for a in args]
    if any(n != n for n in numbers):
        return math.nan
    return _number_result(max(numbers, default=-math.inf))


def _op_in(data: Any, args: list[Any]) -> Any:
    needle, haystack = _arg(args, 0), _arg(args, 1)
    if not js_truthy(haystack):
        return False
    if isinstance(haystack, str):
        return js_string(needle) in haystack
    if isinstance(haystack, list | tuple):
        return any(strict_equals(needle, item) for item in haystack)
    return False


def _op_cat(data: Any, args: list[Any]) -> Any:
    return "".join("" if (a is None or a is MISSING) else js_string(a) for a in args)


def _op_substr(data: Any, args: list[Any]) -> Any:
    source, start, end = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if end is not MISSING and lt(end, 0):
        temp = _substr(source, start)
        return _substr(temp, 0, len(temp) + to_number(end))
    return _substr(source, start, end)


def _op_merge(data: Any, args: list[Any]) -> Any:
    merged: list[Any] = []
    for value in args:
        if isinstance(value, list):
            merged.extend(value)
        else:
            merged.append(value)
    return merged


def _op_lt(data: Any, args: list[Any]) -> Any:
    a, b, c = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if c is MISSING:
        return lt(a, b)
    return lt(a, b) and lt(b, c)


def _op_le(data: Any, args: list[Any]) -> Any:
    a, b, c = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if c is MISSING:
        return le(a, b)
    return le(a, b) and le(b, c)


_EAGER: Final[dict[str, Callable[[Any, list[Any]], Any]]] = {
    "==": lambda d, a: loose_equals(_arg(a, 0), _arg(a, 1)),
    "!=": lambda d, a: not loose_equals(_arg(a, 0), _arg(a, 1)),
    "===": lambda d, a: strict_equals(_arg(a, 0), _arg(a, 1)),
    "!==": lambda d, a: not strict_equals(_arg(a, 0), _arg(a, 1)),
    ">": lambda d, a: gt(_arg(a, 0), _arg(a, 1)),
    ">=": lambda d, a: ge(_arg(a, 0), _arg(a, 1)),
    "<": _op_lt,
    "<=": _op_le,
    "!": lambda d, a: not truthy(_arg(a, 0)),
    "!!": lambda d, a: truthy(_arg(a, 0)),
    "%": _op_mod,
    "log": lambda d, a: _arg(a, 0) if a else None,
    "in": _op_in,
    "cat": _op_cat,
    "substr": _op_substr,
    "+": _op_add,
    "*": _op_mul,
    "-": _op_sub,
    "/": _op_div,
    "min": _op_min,
    "max": _op_max,
    "merge": _op_merge,
    "var": _op_var,
    "missing": _op_missing,
    "missing_some": _op_missing_some,
}

_LAZY: Final = frozenset({"if", "?:", "and", "or", "filter", "map", "reduce", "all", "none", "some"})

OPERATORS: Final = frozenset(_EAGER) | _LAZY


# --- compiler ------------------------------------------------------------------------------


def _in(needle: Any, haystack: Any) -> bool:
    return _op_in(None, [needle, haystack])


_BINARY: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "==": loose_equals,
    "!=": lambda a, b: not loose_equals(a, b),
    "===": strict_equals,
    "!==": lambda a, b: not strict_equals(a, b),
    ">": gt,
    ">=": ge,
    "<": lt,
    "<=": le,
    "in": _in,
}


def _is_constant(logic: Any) -> bool:
    if isinstance(logic, list):
        return all(_is_constant(item) for item in logic)
    return not is_logic(logic)


def _const(value: Any) -> Fn:
    return lambda data: value


def _greater(number: float, slow: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    def compare(value: Any) -> Any:
        if type(value) is int or type(value) is float:
            return value > number
        return slow(value, number)

    return compare


def _greater_equal(number: float, slow: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    def compare(value: Any) -> Any:
        if type(value) is int or type(value) is float:
            return value >= number
        return slow(value, number)

    return compare


def _less_than(number: float, slow: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    def compare(value: Any) -> Any:
        if type(value) is int or type(value) is float:
            return value < number
        return slow(value, number)

    return compare


def _less_equal(number: float, slow: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    def compare(value: Any) -> Any:
        if type(value) is int or type(value) is float:
            return value <= number
        return slow(value, number)

    return compare


_NUMERIC_COMPARISONS: Final = {">": _greater, ">=": _greater_equal, "<": _less_than, "<=": _less_equal}


def _binary_with_constant(op: str, right: Any) -> Callable[[Any], Any] | None:
    """`left <op> right` for a literal right side, with a fast path for the common left type."""
    negate = op in ("!=", "!==")
    if op in ("==", "!=", "===", "!=="):
        general = loose_equals if op in ("==", "!=") else strict_equals
        if type(right) is str:
            def eq_str(value: Any) -> Any:
                result = value == right if type(value) is str else general(value, right)
                return result is not negate
            return eq_str
        if type(right) is int or type(right) is float:
            def eq_num(value: Any) -> Any:
                if type(value) is int or type(value) is float:
                    return (value == right) is not negate
                return general(value, right) is not negate
            return eq_num
        return None
    if op in (">", ">=", "<", "<=") and (type(right) is int or type(right) is float):
        return _NUMERIC_COMPARISONS[op](right, _BINARY[op])
    if op == "in" and isinstance(right, list):
        strings = frozenset(item for item in right if type(item) is str)

        def in_list(value: Any) -> Any:
            if type(value) is str:
                return value in strings
            return _in(value, right)

        return in_list
    if op == "in" and type(right) is str:
        return lambda value: (value in right if right else False) if type(value) is str else _in(value, right)
    return None



class _Compiler:
    def __init__(self) -> None:
        self.nodes = 0

    def compile(self, logic: Any, depth: int) -> Fn:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise JsonLogicError(f"JsonLogic expression exceeds safety limits (max depth: {MAX_DEPTH}, "
                                 f"max nodes: {MAX_NODES})")
        if isinstance(logic, list):
            items = [self.compile(item, depth + 1) for item in logic]
            return lambda data: [item(data) for item in items]
        if not is_logic(logic):
            return lambda data: logic
        ((op, values),) = logic.items()
        if not isinstance(values, list):
            values = [values]
        if op in _LAZY:
            return self._lazy(op, values, depth)
        function = _EAGER.get(op) if isinstance(op, str) else None
        if function is None:
            raise JsonLogicError(f"Unrecognized operation {op}")
        if op == "var":
            fast = self._var(values)
            if fast is not None:
                return fast
        if len(values) == 2 and op in _BINARY:
            return self._binary(op, values, depth)
        args = [self._operand(v, depth) for v in values]
        if all(not is_fn for is_fn, _ in args):
            constants = [value for _, value in args]
            return lambda data: function(data, constants)
        if len(args) == 1:
            only: Fn = args[0][1]
            return lambda data: function(data, [only(data)])
        fns = [value if is_fn else _const(value) for is_fn, value in args]
        return lambda data: function(data, [fn(data) for fn in fns])

    def _operand(self, logic: Any, depth: int) -> tuple[bool, Any]:
        """(True, fn) for logic, (False, value) for a constant (no logic inside)."""
        if _is_constant(logic):
            self.nodes += 1
            return False, logic
        return True, self.compile(logic, depth + 1)

    def _var(self, values: list[Any]) -> Fn | None:
        """`{"var": "a.b"}` with a literal path: split the path once."""
        if not values or is_logic(values[0]) or isinstance(values[0], list):
            return None
        key = values[0]
        if len(values) > 1 and (is_logic(values[1]) or isinstance(values[1], list)):
            return None
        default = None if len(values) < 2 else values[1]
        if key is None or key == "":
            return lambda data: data
        segments = tuple(js_string(key).split("."))
        if len(segments) == 1:
            (segment,) = segments

            def var_one(data: Any) -> Any:
                if type(data) is dict:
                    value = data.get(segment, MISSING)
                elif data is None:
                    return default
                else:
                    value = own_property(data, segment)
                return default if value is MISSING else value

            return var_one
        def var_path(data: Any) -> Any:
            current = data
            for segment in segments:
                if type(current) is not dict:
                    return _var_lookup(data, segments, default)
                current = current.get(segment, MISSING)
            return default if current is MISSING else current

        return var_path

    def _binary(self, op: str, values: list[Any], depth: int) -> Fn:
        function = _BINARY[op]
        left_is_fn, left = self._operand(values[0], depth)
        right_is_fn, right = self._operand(values[1], depth)
        if not left_is_fn and not right_is_fn:
            return lambda data: function(left, right)
        if not left_is_fn:
            return lambda data: function(left, right(data))
        if right_is_fn:
            return lambda data: function(left(data), right(data))
        fast = _binary_with_constant(op, right)
        if fast is not None:
            return lambda data: fast(left(data))
        return lambda data: function(left(data), right)

    def _lazy(self, op: str, values: list[Any], depth: int) -> Fn:
        parts = [self.compile(v, depth + 1) for v in values]
        if op in ("if", "?:"):
            return _compile_if(parts)
        if op == "and":
            if not parts:
                return lambda data: None

            def and_(data: Any) -> Any:
                current = None
                for part in parts:
                    current = part(data)
                    if current is True:
                        continue
                    if current is False or not truthy(current):
                        return current
                return current

            return and_
        if op == "or":
            if not parts:
                return lambda data: None

            def or_(data: Any) -> Any:
                current = None
                for part in parts:
                    current = part(data)
                    if current is True or (current is not False and truthy(current)):
                        return current
                return current

            return or_
        source = parts[0] if parts else (lambda data: MISSING)
        body = parts[1] if len(parts) > 1 else (lambda data: MISSING)
        if op == "filter":
            return lambda data: _filter(source(data), body)
        if op == "map":

            def map_(data: Any) -> Any:
                items = source(data)
                return [body(item) for item in items] if isinstance(items, list) else []

            return map_
        if op == "reduce":
            initial = parts[2] if len(parts) > 2 else (lambda data: None)

            def reduce_(data: Any) -> Any:
                items = source(data)
                accumulator = initial(data)
                if not isinstance(items, list):
                    return accumulator
                for current in items:
                    accumulator = body({"current": current, "accumulator": accumulator})
                return accumulator

            return reduce_
        if op == "all":

            def all_(data: Any) -> Any:
                items = source(data)
                if not isinstance(items, list | str) or not items:
                    return False
                return all(truthy(body(item)) for item in items)

            return all_
        if op == "none":
            return lambda data: len(_filter(source(data), body)) == 0
        return lambda data: len(_filter(source(data), body)) > 0


def _filter(items: Any, body: Fn) -> list[Any]:
    if not isinstance(items, list):
        return []
    return [item for item in items if truthy(body(item))]


def _compile_if(parts: list[Fn]) -> Fn:
    pairs = [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
    otherwise = parts[-1] if len(parts) % 2 == 1 else None

    def if_(data: Any) -> Any:
        for condition, consequence in pairs:
            test = condition(data)
            if test is True or (test is not False and truthy(test)):
                return consequence(data)
        return otherwise(data) if otherwise is not None else None

    return if_


def compile(logic: Any) -> Fn:
    """Compile `logic` into a function of the data. Raises JsonLogicError for unknown operators."""
    return _Compiler().compile(logic, 0)


def apply(logic: Any, data: Any = None) -> Any:
    """Evaluate `logic` against `data` once."""
    return compile(logic)(data)


def validate(logic: Any) -> list[str]:
    """Write-time errors of a JsonLogic expression ([] when it compiles)."""
    try:
        compile(logic)
    except JsonLogicError as error:
        return [str(error)]
    except RecursionError:
        return [f"JsonLogic expression exceeds safety limits (max depth: {MAX_DEPTH}, max nodes: {MAX_NODES})"]
    return []
