"""jscompat: what JavaScript answers for the same JSON values (each expected value is what Node prints)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from jscompat import MISSING, js_string, js_stringify, number_to_string, type_name, typeof

NAN = math.nan
INF = math.inf


@pytest.mark.parametrize(("value", "expected"), [
    (MISSING, "undefined"), (None, "object"), (True, "boolean"), (False, "boolean"), (0, "number"),
    (1.5, "number"), (NAN, "number"), ("", "string"), ([], "object"), ({}, "object"),
])
def test_typeof(value: Any, expected: str) -> None:
    assert typeof(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (None, "null"), (MISSING, "undefined"), (True, "boolean"), (3, "number"), (2.5, "number"), (INF, "number"),
    (NAN, "NaN"), ("x", "string"), ([1], "array"), ((), "array"), ({"a": 1}, "object"),
])
def test_type_name_uses_zods_words(value: Any, expected: str) -> None:
    assert type_name(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (0.0, "0"), (-0.0, "0"), (1.0, "1"), (-2.0, "-2"), (0.1, "0.1"), (1.5, "1.5"), (123.456, "123.456"),
    (1e20, "100000000000000000000"), (1e21, "1e+21"), (1.5e21, "1.5e+21"), (-1e300, "-1e+300"),
    (0.000001, "0.000001"), (1e-7, "1e-7"), (1.25e-8, "1.25e-8"), (0.1 + 0.2, "0.30000000000000004"),
    (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"), (NAN, "NaN"), (INF, "Infinity"),
    (-INF, "-Infinity"), (123456789012345680000.0, "123456789012345680000"),
])
def test_number_to_string(value: float, expected: str) -> None:
    assert number_to_string(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("text", "text"), ("", ""), (None, "null"), (MISSING, "undefined"), (True, "true"), (False, "false"),
    (0, "0"), (-7, "-7"), (2**53, "9007199254740992"), (2**53 + 1, "9007199254740992"),
    (123456789012345678901, "123456789012345680000"), (10**21, "1e+21"), (10**400, "Infinity"),
    (-(10**400), "-Infinity"), (2.0, "2"),
    (0.5, "0.5"), (1e-7, "1e-7"), (NAN, "NaN"), (INF, "Infinity"), (-INF, "-Infinity"),
    ([], ""), ([1, 2, 3], "1,2,3"), ([1, None, MISSING, "a"], "1,,,a"), ([[1, 2], [3, [4]]], "1,2,3,4"),
    ([True, 1.5, {"a": 1}], "true,1.5,[object Object]"), ({}, "[object Object]"), ({"a": 1}, "[object Object]"),
])
def test_js_string(value: Any, expected: str) -> None:
    assert js_string(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (None, "null"), (True, "true"), (0, "0"), (1.0, "1"), (2.5, "2.5"), (1e-7, "1e-7"), (1e21, "1e+21"),
    (NAN, "null"), (INF, "null"), (-INF, "null"), ("a\"b\\c\n", '"a\\"b\\\\c\\n"'), ("é ☃", '"é ☃"'),
    ("\x01", '"\\u0001"'), ([], "[]"), ({}, "{}"), ([1, "a", None, MISSING], '[1,"a",null,null]'),
    ({"a": 1, "b": [True, {"c": None}]}, '{"a":1,"b":[true,{"c":null}]}'),
    ({"a": MISSING, "b": 1}, '{"b":1}'), ({"b": 1, "a": 2}, '{"b":1,"a":2}'),
    ({"b": 1, "10": 2, "a": 3, "2": 4, "01": 5, "-1": 6}, '{"2":4,"10":2,"b":1,"a":3,"01":5,"-1":6}'),
    ({1: "x", None: "y"}, '{"1":"x","null":"y"}'), (MISSING, "undefined"),
    (datetime(2025, 1, 2, tzinfo=UTC), '"2025-01-02 00:00:00+00:00"'),
])
def test_js_stringify(value: Any, expected: str) -> None:
    assert js_stringify(value) == expected
