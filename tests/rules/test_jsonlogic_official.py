"""The official JsonLogic test suite (tests.json of json-logic-js, 278 cases), one case per row."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from rules import jsonlogic

SUITE = json.loads((Path(__file__).parent / "data" / "jsonlogic-tests.json").read_text())


def _cases() -> list[Any]:
    cases: list[Any] = []
    section = "start"
    for row in SUITE:
        if isinstance(row, str):
            section = row.lstrip("# ").strip()
            continue
        logic, data, expected = row
        cases.append(pytest.param(logic, data, expected, id=f"{len(cases) + 1:03d} {section}: {json.dumps(logic)}"))
    return cases


CASES = _cases()


def same(actual: Any, expected: Any) -> bool:
    """JSON equality with JS numbers: 3 == 3.0, NaN == NaN, but true is not 1."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return actual == expected or (math.isnan(actual) and math.isnan(expected))
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(same(actual[k], expected[k]) for k in expected)
    return type(actual) is type(expected) and actual == expected


def test_the_suite_has_all_278_cases() -> None:
    assert len(CASES) == 278


@pytest.mark.parametrize(("logic", "data", "expected"), CASES)
def test_official_case(logic: Any, data: Any, expected: Any) -> None:
    assert same(jsonlogic.apply(logic, data), expected)


@pytest.mark.parametrize(("logic", "data", "expected"), CASES[::7])
def test_compiled_once_and_reused(logic: Any, data: Any, expected: Any) -> None:
    compiled = jsonlogic.compile(logic)
    assert same(compiled(data), expected)
    assert same(compiled(data), expected)
