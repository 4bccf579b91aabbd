"""Path resolution and special values (docs/rules.md, *Paths* and *Special values*), plus the JS
coercion helpers."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from jscompat import number_to_string
from rules import MISSING, get_nested_value, resolve_special_value
from rules._values import js_string, locale_compare, parse_float, string_to_number


class WithPrototype(dict[str, Any]):
    """A dict with "inherited" members: a class attribute and a __missing__ fallback."""

    inheritedSecret = "hidden"

    def __missing__(self, key: str) -> Any:
        return {"inheritedSecret": "hidden"}.get(key)


PROTO = WithPrototype(own="visible")
ADA = {"user": {"name": "Ada"}}

NESTED_TABLE: list[tuple[str, Any, Any, Any]] = [
    ("plain key", {"status": "active"}, "status", "active"),
    ("dotted", ADA, "user.name", "Ada"),
    ("bracket 0", {"items": [{"quantity": 3}, {"quantity": 7}]}, "items[0].quantity", 3),
    ("bracket 1", {"items": [{"quantity": 3}, {"quantity": 7}]}, "items[1].quantity", 7),
    ("index 2", {"values": [10, 20, 30]}, "values[2]", 30),
    ("array length", {"values": [10, 20, 30]}, "values.length", 3),
    ("missing leaf", ADA, "user.email", MISSING),
    ("null root", None, "status", MISSING),
    ("empty path", {"status": "active"}, "", MISSING),
    ("falsy 0", {"count": 0, "flag": False, "label": ""}, "count", 0),
    ("falsy false", {"count": 0, "flag": False, "label": ""}, "flag", False),
    ("falsy empty", {"count": 0, "flag": False, "label": ""}, "label", ""),
    *[(f"prototype {p}", ADA, p, MISSING) for p in [
        "__proto__", "__proto__.polluted", "constructor", "constructor.prototype", "prototype",
        "user.__proto__", "user.__proto__.polluted",
    ]],
    ("own of prototyped", PROTO, "own", "visible"),
    ("inherited of prototyped", PROTO, "inheritedSecret", MISSING),
    ("toString", ADA, "toString", MISSING),
    ("hasOwnProperty", ADA, "hasOwnProperty", MISSING),
    ("user.valueOf", ADA, "user.valueOf", MISSING),
    ("values.map", {"values": [1, 2]}, "values.map", MISSING),
    # Python internals are just as unreachable
    ("dunder class", ADA, "__class__", MISSING),
    ("dunder dict", ADA, "user.__dict__", MISSING),
    ("dunder key present", {"__class__": "x"}, "__class__", MISSING),
    ("string index", {"name": "Ada"}, "name.0", "A"),
    ("string length", {"name": "Ada"}, "name.length", 3),
    ("negative index", {"items": [1]}, "items.-1", MISSING),
    ("non-canonical index", {"items": [1, 2]}, "items.01", MISSING),
    ("non-digit bracket", {"items": {"a": 1}}, "items[a]", MISSING),
    ("number has no members", {"n": 5}, "n.x", MISSING),
    ("falsy root 0", 0, "x", MISSING),
]


@pytest.mark.parametrize(("obj", "path", "expected"), [pytest.param(*r[1:], id=r[0]) for r in NESTED_TABLE])
def test_get_nested_value(obj: Any, path: str, expected: Any) -> None:
    result = get_nested_value(obj, path)
    assert result is expected if expected is MISSING or isinstance(expected, bool) else result == expected


CTX = {"user": {"id": "user-1", "email": "ada@example.com"}, "tenant": {"id": "tenant-1"}}
MOMENT = datetime(2026, 7, 25, 12, 0, 0, tzinfo=UTC)

SPECIAL_TABLE: list[tuple[str, str, Any]] = [
    ("today", "{{today}}", "2026-07-25"),
    ("now", "{{now}}", "2026-07-25T12:00:00.000Z"),
    ("user.id", "{{user.id}}", "user-1"),
    ("tenant.id", "{{tenant.id}}", "tenant-1"),
    ("spaces are trimmed", "{{ user.email }}", "ada@example.com"),
    ("__proto__", "{{__proto__}}", MISSING),
    ("__proto__.polluted", "{{__proto__.polluted}}", MISSING),
    ("constructor.prototype", "{{constructor.prototype}}", MISSING),
    ("user.__proto__", "{{user.__proto__}}", MISSING),
]


@pytest.mark.parametrize(("template", "expected"), [pytest.param(*r[1:], id=r[0]) for r in SPECIAL_TABLE])
def test_resolve_special_value(template: str, expected: Any) -> None:
    result = resolve_special_value(template, {**CTX, "today": MOMENT, "now": MOMENT}, None)
    assert result is expected if expected is MISSING else result == expected


def test_now_argument_is_used_without_context_overrides() -> None:
    assert resolve_special_value("{{now}}", {}, datetime(2025, 1, 2, 3, 4, 5, 678_900, tzinfo=UTC)) == \
        "2025-01-02T03:04:05.678Z"
    assert resolve_special_value("{{today}}", {}, datetime(2025, 1, 2, 23, 59, tzinfo=UTC)) == "2025-01-02"


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param(1.0, "1", id="integral float"),
    pytest.param(0.1 + 0.2, "0.30000000000000004", id="shortest digits"),
    pytest.param(1e21, "1e+21", id="exponent at 21"),
    pytest.param(1e20, "100000000000000000000", id="no exponent below 21"),
    pytest.param(1.5e-7, "1.5e-7", id="small exponent"),
    pytest.param(0.000001, "0.000001", id="six zeros"),
    pytest.param(-2.5, "-2.5", id="negative"),
    pytest.param(math.inf, "Infinity", id="infinity"),
    pytest.param(math.nan, "NaN", id="nan"),
])
def test_number_to_string(value: float, expected: str) -> None:
    assert number_to_string(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param([1, None, "a", [2, 3]], "1,,a,2,3", id="array join"),
    pytest.param({"a": 1}, "[object Object]", id="object"),
    pytest.param(True, "true", id="bool"),
    pytest.param(None, "null", id="null"),
])
def test_js_string(value: Any, expected: str) -> None:
    assert js_string(value) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("", 0.0), ("  ", 0.0), ("0x10", 16.0), ("1e2", 100.0), (" 12 ", 12.0), ("-Infinity", -math.inf),
    ("inf", math.nan), ("1_000", math.nan), ("12px", math.nan), (".5", 0.5), ("5.", 5.0), ("0b101", 5.0),
])
def test_string_to_number(text: str, expected: float) -> None:
    result = string_to_number(text)
    assert result == expected or (math.isnan(result) and math.isnan(expected))


@pytest.mark.parametrize(("value", "expected"), [
    ("12px", 12.0), ("  3.5e1x", 35.0), ("", math.nan), (None, math.nan), (True, math.nan), ([7], 7.0),
    ("1e", 1.0), ("-Infinityx", -math.inf),
])
def test_parse_float(value: Any, expected: float) -> None:
    result = parse_float(value)
    assert result == expected or (math.isnan(result) and math.isnan(expected))


@pytest.mark.parametrize(("a", "b", "sign"), [
    ("apple", "Banana", -1), ("a", "B", -1), ("a", "A", -1), ("A", "b", -1), ("_", "a", -1), ("1", "a", -1),
    ("résumé", "resume", 1), ("abc", "abc", 0), ("a10", "a9", -1), ("", "a", -1),
])
def test_locale_compare(a: str, b: str, sign: int) -> None:
    assert locale_compare(a, b) == sign
