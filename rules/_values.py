"""JavaScript value semantics that both rule dialects inherit from the reference platform.

The reference evaluates conditions in JavaScript, so stored rules depend on JS coercions:
`Number("")` is 0, `String([1, null])` is "1,", `"10" > "9"` is numeric, `null` and `undefined`
differ only in a few places. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Final

import jscompat
from jscompat import MISSING

# `undefined`: a path that does not resolve (shared with jscompat, so `typeof` knows it).


# JS `String.prototype.trim` and `Number()` strip exactly this set (WhiteSpace + LineTerminator);
# Python's str.strip() differs (it strips \x1c-\x1f and \x85 but not \ufeff).
JS_WHITESPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)

NAN: Final = float("nan")


def is_null(value: Any) -> bool:
    """`value == null` in JS: JSON null or undefined."""
    return value is None or value is MISSING


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def js_truthy(value: Any) -> bool:
    """`!!value` in JS: empty arrays and objects are truthy."""
    if value is None or value is MISSING or value is False:
        return False
    if isinstance(value, str):
        return value != ""
    if is_number(value):
        return value == value and value != 0
    return True


def normalize_number(value: float) -> int | float:
    """JS has one number type; return integral floats as int so JSON output reads `3`, not `3.0`."""
    if value.is_integer() and -9007199254740992 <= value <= 9007199254740992:
        return int(value)
    return value


# --- ToNumber ------------------------------------------------------------------------------

_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_RADIX = re.compile(r"0([xXoObB])([0-9a-fA-F]+)", re.ASCII)
_RADIX_BASE = {"x": 16, "o": 8, "b": 2}
_FLOAT_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)", re.ASCII)


def _to_float(text: str) -> float:
    try:
        return float(text)
    except OverflowError:  # pragma: no cover - float() returns inf rather than raising
        return math.inf


def string_to_number(text: str) -> float:
    """`Number(text)`: "" and blanks are 0, hex/octal/binary prefixes, `Infinity`, else NaN."""
    s = text.strip(JS_WHITESPACE)
    if s == "":
        return 0.0
    if _DECIMAL.fullmatch(s):
        return _to_float(s)
    if s in ("Infinity", "+Infinity"):
        return math.inf
    if s == "-Infinity":
        return -math.inf
    m = _RADIX.fullmatch(s)
    if m:
        try:
            return float(int(m.group(2), _RADIX_BASE[m.group(1).lower()]))
        except ValueError:
            return NAN
    return NAN


def to_number(value: Any) -> float:
    """`Number(value)` (ToNumber)."""
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if value is MISSING:
        return NAN
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        return string_to_number(value)
    if isinstance(value, list | tuple):
        return string_to_number(js_string(value))
    if isinstance(value, datetime | date):
        return timestamp_ms(value)
    return NAN


def parse_float(value: Any) -> float:
    """`parseFloat(value)`: the longest decimal prefix of `String(value)`, else NaN."""
    if is_number(value):
        return float(value)
    s = js_string(value).lstrip(JS_WHITESPACE)
    m = _FLOAT_PREFIX.match(s)
    if not m:
        return NAN
    text = m.group(0)
    if text.lstrip("+-") == "Infinity":
        return -math.inf if text.startswith("-") else math.inf
    return _to_float(text)


def to_int_or_infinity(value: Any) -> float:
    """ToIntegerOrInfinity: NaN becomes 0, otherwise truncate toward zero."""
    n = to_number(value)
    if n != n:
        return 0.0
    if math.isinf(n):
        return n
    return float(math.trunc(n))


# --- ToString ------------------------------------------------------------------------------


def js_string(value: Any) -> str:
    """`String(value)`; arrays join with "," (null items empty), objects are "[object Object]"."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is MISSING:
        return "undefined"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if is_number(value):
        return jscompat.js_string(value)
    if isinstance(value, list | tuple):
        return ",".join("" if is_null(item) else js_string(item) for item in value)
    if isinstance(value, datetime):
        return iso_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return "[object Object]"


def js_str_less(a: str, b: str) -> bool:
    """JS compares strings by UTF-16 code units; code points differ only beyond the BMP."""
    if a.isascii() and b.isascii():
        return a < b
    return a.encode("utf-16-be") < b.encode("utf-16-be")


# --- Dates ---------------------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def timestamp_ms(moment: datetime | date) -> float:
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return _as_utc(moment).timestamp() * 1000.0


def iso_timestamp(moment: datetime) -> str:
    """`Date.prototype.toISOString()`: always milliseconds and `Z`. Naive datetimes are UTC."""
    return jscompat.iso_string(moment)


def iso_date(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        return _as_utc(moment).date().isoformat()
    return moment.isoformat()


_DATE_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2})?", re.ASCII)
_DATE_ONLY = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?",
    re.ASCII,
)


def _days_from_civil(year: int, month: int, day: int) -> int:
    # Howard Hinnant's algorithm; unlike datetime it tolerates day 31 in short months the way
    # V8 does (2025-02-30 is 2025-03-02).
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def date_string_ms(value: Any) -> float | None:
    if not isinstance(value, str) or len(value) < 10 or not value[:4].isascii():
        return None
    return _date_string_ms(value)


@lru_cache(maxsize=1024)
def _date_string_ms(value: str) -> float | None:
    """Timestamp of a "date string" (two of them order as instants), or None when it is not one.

    A date string starts with YYYY-MM-DD (optionally THH:mm:ss) and parses as a whole with JS
    `Date`. Date-only strings are UTC midnight; date-times without a zone are server-local time,
    and the server runs in UTC.
    """
    if not _DATE_PREFIX.match(value):
        return None
    m = _DATE_ONLY.fullmatch(value)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            return None
        return _days_from_civil(y, mo, d) * 86_400_000.0
    m = _DATE_TIME.fullmatch(value)
    if not m:
        return None
    y, mo, d, hh, mi = (int(m.group(i)) for i in range(1, 6))
    ss = int(m.group(6) or 0)
    frac = m.group(7) or ""
    ms = int((frac + "000")[:3]) if frac else 0
    if not (1 <= mo <= 12 and 1 <= d <= 31 and mi <= 59 and ss <= 59):
        return None
    if hh > 24 or (hh == 24 and (mi or ss or ms)):
        return None
    offset = 0
    if m.group(9):
        oh, om = int(m.group(10)), int(m.group(11))
        if oh > 23 or om > 59:
            return None
        offset = (oh * 60 + om) * (1 if m.group(9) == "+" else -1)
    minutes = (_days_from_civil(y, mo, d) * 24 + hh) * 60 + mi - offset
    return (minutes * 60 + ss) * 1000.0 + ms


# --- Locale collation ----------------------------------------------------------------------

# CLDR root collation order of ASCII punctuation and symbols (all sort before digits, which sort
# before letters). `localeCompare` in the reference uses this ICU order.
_PUNCTUATION_ORDER: Final = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_PUNCT_WEIGHT: Final = {ch: i for i, ch in enumerate(_PUNCTUATION_ORDER)}


def _primary(ch: str) -> tuple[int, int] | None:
    if ch in _PUNCT_WEIGHT:
        return (1, _PUNCT_WEIGHT[ch])
    cat = unicodedata.category(ch)
    if ch.isspace() or cat == "Zs":
        return (0, ord(ch))
    if cat == "Cc" or cat == "Cf":
        return None  # completely ignorable
    if cat == "Nd":
        return (3, unicodedata.digit(ch, 0))
    if cat[0] == "L":
        return (4, ord(ch.lower()))
    if cat[0] == "N":
        return (3, 10 + ord(ch))
    return (2, ord(ch))


def collation_key(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[int, ...]]:
    """Three-level key: base letters, then accents, then case (lowercase first)."""
    primary: list[tuple[int, int]] = []
    secondary: list[int] = []
    tertiary: list[int] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            secondary.append(ord(ch))
            continue
        weight = _primary(ch)
        if weight is None:
            continue
        primary.append(weight)
        secondary.append(0)
        tertiary.append(1 if ch.isupper() else 0)
    return tuple(primary), tuple(secondary), tuple(tertiary)


def locale_compare(a: str, b: str) -> int:
    """`a.localeCompare(b)` approximated: case-insensitive first, lowercase before uppercase."""
    if a == b:
        return 0
    ka, kb = collation_key(a), collation_key(b)
    return -1 if ka < kb else (1 if ka > kb else 0)


# --- Path resolution (docs/rules.md, Paths) -------------------------------------------------

_BRACKET_INDEX = re.compile(r"\[(\d+)\]", re.ASCII)
CANONICAL_INDEX = re.compile(r"0|[1-9]\d*", re.ASCII)
_PROTOTYPE_KEYS: Final = frozenset({"__proto__", "constructor", "prototype"})


def is_forbidden_segment(segment: str) -> bool:
    """Prototype names of the reference, and Python dunders, never resolve."""
    return segment in _PROTOTYPE_KEYS or (len(segment) > 4 and segment.startswith("__") and segment.endswith("__"))


def own_property(container: Any, key: str) -> Any:
    """An own property of a JSON value, or MISSING: dict keys, array/string indices and `length`."""
    if isinstance(container, dict):
        return container.get(key, MISSING)
    if isinstance(container, list | tuple | str):
        if key == "length":
            return len(container)
        if CANONICAL_INDEX.fullmatch(key):
            index = int(key)
            if index < len(container):
                return container[index]
    return MISSING


def split_path(path: str) -> tuple[str, ...]:
    return tuple(_BRACKET_INDEX.sub(r".\1", path).split("."))


def _missing(_: Any) -> Any:
    return MISSING


def compile_path(path: Any) -> Callable[[Any], Any]:
    """A resolver for `path` (dots and `[n]` indices over own keys only) with the path parsed once."""
    if not isinstance(path, str) or path == "":
        return _missing
    segments = split_path(path)
    if any(is_forbidden_segment(s) for s in segments):
        return _missing
    if len(segments) == 1:
        (key,) = segments

        def resolve_one(obj: Any) -> Any:
            if type(obj) is dict:
                return obj.get(key, MISSING) if obj else MISSING
            if not js_truthy(obj):
                return MISSING
            return own_property(obj, key)

        return resolve_one

    indices = tuple(int(s) if CANONICAL_INDEX.fullmatch(s) else -1 for s in segments)
    steps = tuple(zip(segments, indices, strict=True))

    def resolve(obj: Any) -> Any:
        current = obj
        if type(current) is not dict and not js_truthy(current):
            return MISSING
        for segment, index in steps:
            kind = type(current)
            if kind is dict:
                current = current.get(segment, MISSING)
            elif kind is list:
                if 0 <= index < len(current):
                    current = current[index]
                elif segment == "length":
                    current = len(current)
                else:
                    return MISSING
            elif current is None or current is MISSING:
                return MISSING
            else:
                current = own_property(current, segment)
        return current

    return resolve


def get_nested_value(obj: Any, path: Any) -> Any:
    """`getNestedValue(obj, path)`: own properties only; MISSING when it does not resolve."""
    return compile_path(path)(obj)


def resolve_special_value(template: str, context: Mapping[str, Any] | None, now: datetime | None) -> Any:
    """`{{today}}`, `{{now}}` or a path into the context (docs/rules.md, Special values)."""
    expr = template[2:-2].strip(JS_WHITESPACE)
    ctx = context or {}
    if expr == "today":
        return iso_date(_moment(ctx.get("today"), now))
    if expr == "now":
        return iso_timestamp(_moment(ctx.get("now"), now))
    return get_nested_value(ctx, expr)


def is_template(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{{") and value.endswith("}}")


def _moment(override: Any, now: datetime | None) -> datetime:
    if isinstance(override, datetime):
        return override
    if isinstance(override, date):
        return datetime(override.year, override.month, override.day, tzinfo=UTC)
    if now is None:
        raise ValueError("a `now` is required to resolve {{today}} and {{now}}")
    return now
