"""JavaScript's view of JSON values, for messages and strings that must read as the reference platform's
(which runs on JavaScript) do: `typeof`, the type words of zod's messages, `JSON.stringify` and
`String(value)`. Pure functions of their arguments, stdlib only.

Python values stand for JSON ones: None is null, bool, int and float are booleans and numbers, str,
list (or tuple) and dict. `MISSING` stands for `undefined` (a property that is not there)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

__all__ = ["MISSING", "iso_string", "js_string", "js_stringify", "number_to_string", "type_name", "typeof"]


class _Missing:
    """JavaScript `undefined`: falsy, and distinct from JSON null."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final[Any] = _Missing()

# Integers up to 2**53 are exact doubles and print as themselves; beyond, JavaScript prints the double's
# shortest digits (padded with zeros, or in exponent form from 1e21 on).
_EXACT_INT_LIMIT: Final = 2**53
# Property keys that are array indices (0 .. 2**32 - 2, no leading zero) come first, in numeric order.
_MAX_INDEX: Final = 2**32 - 2


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def typeof(value: Any) -> str:
    """The JavaScript `typeof` operator: "undefined", "object" (null, arrays and objects too), "boolean",
    "number" or "string"."""
    if value is MISSING:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def type_name(value: Any) -> str:
    """The type word zod uses in "Expected string, received <word>": null, undefined, boolean, number,
    NaN, string, array or object (zod 4's English messages)."""
    if value is None:
        return "null"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, list | tuple):
        return "array"
    return typeof(value)


def number_to_string(value: float) -> str:
    """`String(number)` (ECMAScript Number::toString): the shortest digits that read back as the same
    double, plain between 1e-7 and 1e21, else in exponent form ("1e+21", "1.5e-7"); "NaN", "Infinity"."""
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) <= _EXACT_INT_LIMIT:
        return str(int(value))
    sign = "-" if value < 0 else ""
    # repr() gives the shortest round-trip digits; Decimal splits them from the exponent.
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    assert isinstance(exponent, int)
    all_digits = "".join(map(str, digit_tuple))
    digits = all_digits.rstrip("0") or "0"
    exponent += len(all_digits) - len(digits)
    k = len(digits)
    n = k + exponent  # the decimal point sits after n digits
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        body = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + body


def _number(value: int | float) -> str:
    if isinstance(value, int) and abs(value) <= _EXACT_INT_LIMIT:
        return str(value)
    try:
        return number_to_string(float(value))
    except OverflowError:  # an int too large for a double is Infinity in JavaScript
        return "Infinity" if value > 0 else "-Infinity"


def js_string(value: Any) -> str:
    """JavaScript `String(value)`: "null", "undefined", "true", numbers as `number_to_string`, arrays
    joined with "," (null and undefined items empty, nested arrays flattened the same way), objects
    "[object Object]"."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is MISSING:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return _number(value)
    if isinstance(value, list | tuple):
        return ",".join("" if item is None or item is MISSING else js_string(item) for item in value)
    return "[object Object]"


def _key_order(key: str) -> tuple[int, int]:
    if key.isascii() and key.isdigit() and (key == "0" or not key.startswith("0")) and int(key) <= _MAX_INDEX:
        return (0, int(key))
    return (1, 0)


def _stringify(value: Any) -> str | None:
    if value is MISSING:
        return None
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return "null" if isinstance(value, float) and not math.isfinite(value) else _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_stringify(item) or "null" for item in value) + "]"
    if isinstance(value, Mapping):
        members = {k if isinstance(k, str) else js_string(k): v for k, v in value.items()}
        keys = sorted(members, key=_key_order)  # stable: the other keys keep their insertion order
        parts = ((json.dumps(k, ensure_ascii=False), _stringify(members[k])) for k in keys)
        return "{" + ",".join(f"{k}:{v}" for k, v in parts if v is not None) + "}"
    # Not a JSON value (a datetime, a UUID, ...): its str(), as a string.
    return json.dumps(str(value), ensure_ascii=False)


def js_stringify(value: Any) -> str:
    """`JSON.stringify(value)`: no spaces, non-ASCII kept, NaN and Infinity as null, integral floats without
    ".0", integer-like keys first in numeric order, undefined members left out (null in arrays). A value
    that is itself undefined gives "undefined", as it reads when JavaScript puts it in a message."""
    result = _stringify(value)
    return "undefined" if result is None else result


def iso_string(moment: datetime) -> str:
    """`Date.prototype.toISOString()`: UTC with milliseconds and `Z`; a naive datetime is taken as UTC."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
            f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z")
