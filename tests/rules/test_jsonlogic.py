"""JsonLogic beyond the official suite: the allow-list, isolation from Python, classic quirks, and
conditions authored with jsonlogic-py (the authoring API; it only emits JSON)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from jsonlogic import Variable

from rules import JsonLogicError, compile_condition, detect_dialect, jsonlogic
from tests.rules.builders import leaf


def var(name: str) -> Any:
    """A jsonlogic-py variable; its operators are attached at runtime, so type it loosely."""
    return Variable(name)


def authored(expression: Any) -> Any:
    """The JSON a jsonlogic-py expression emits."""
    return json.loads(str(expression))


def test_conditions_authored_with_jsonlogic_py() -> None:
    expression = (var("order.total") >= 100) & (var("order.status") == "paid")
    logic = authored(expression)
    assert logic == {"and": [{">=": [{"var": "order.total"}, 100]}, {"==": [{"var": "order.status"}, "paid"]}]}
    condition = compile_condition(logic)
    assert condition.dialect == "jsonlogic"
    assert condition({"order": {"total": 150, "status": "paid"}}) is True
    assert condition({"order": {"total": 99, "status": "paid"}}) is False
    assert condition({"order": {"total": "150", "status": "paid"}}) is True  # classic loose comparison


def test_membership_authored_with_jsonlogic_py() -> None:
    logic = authored(var("tags").contains("vip") | var("tier").isin(["gold", "platinum"]))
    assert jsonlogic.apply(logic, {"tags": ["vip"], "tier": "basic"}) is True
    assert jsonlogic.apply(logic, {"tags": [], "tier": "gold"}) is True
    assert jsonlogic.apply(logic, {"tags": [], "tier": "basic"}) is False


def test_jsonlogic_py_not_is_outside_the_allow_list() -> None:
    with pytest.raises(JsonLogicError, match="Unrecognized operation not"):
        jsonlogic.compile(authored(~(var("a") < 2)))


UNKNOWN_TABLE = [
    ("unknown operator", {"regex": ["a", "b"]}),
    ("nested unknown", {"and": [True, {"if": [False, {"eval": "1"}]}]}),
    ("dotted method", {"Math.max": [1, 2]}),
    ("python name", {"__import__": ["os"]}),
    ("method", {"method": [{"var": "s"}, "upper"]}),
]


@pytest.mark.parametrize("logic", [pytest.param(r[1], id=r[0]) for r in UNKNOWN_TABLE])
def test_unknown_operators_are_refused_at_compile_time(logic: Any) -> None:
    with pytest.raises(JsonLogicError, match="Unrecognized operation"):
        jsonlogic.compile(logic)


class Secretive:
    password = "hunter2"

    def __getitem__(self, key: str) -> str:
        return "leaked"


INTERNALS_TABLE: list[tuple[str, Any, Any]] = [
    ("class attribute", {"var": "__class__"}, {"a": 1}),
    ("dict method", {"var": "items"}, {"a": 1}),
    ("list method", {"var": "xs.append"}, {"xs": [1]}),
    ("string method", {"var": "s.upper"}, {"s": "abc"}),
    ("object attribute", {"var": "o.password"}, {"o": Secretive()}),
    ("object item", {"var": "o.anything"}, {"o": Secretive()}),
]


@pytest.mark.parametrize(("logic", "data"), [pytest.param(*r[1:], id=r[0]) for r in INTERNALS_TABLE])
def test_var_never_reaches_python_internals(logic: Any, data: Any) -> None:
    assert jsonlogic.apply(logic, data) is None


QUIRKS_TABLE: list[tuple[str, Any, Any, Any]] = [
    ("+ uses parseFloat", {"+": ["3px", 1]}, None, 4),
    ("* with one argument returns it", {"*": ["2"]}, None, "2"),
    ("- unary", {"-": ["5"]}, None, -5),
    ("division by zero", {"/": [1, 0]}, None, math.inf),
    ("remainder sign follows the dividend", {"%": [-7, 3]}, None, -1),
    ("min of nothing", {"min": []}, None, math.inf),
    ("max of nothing", {"max": []}, None, -math.inf),
    ("== null is only null", {"==": [None, 0]}, None, False),
    ("null == undefined", {"==": [None, {"var": "missing"}]}, {}, True),
    ("[] == empty string", {"==": [[], ""]}, None, True),
    ("array vs string loose", {"==": [[1, 2], "1,2"]}, None, True),
    ("=== distinguishes bool and number", {"===": [True, 1]}, None, False),
    ("in over array is strict", {"in": [1, [True, "1"]]}, None, False),
    ("cat skips null", {"cat": ["a", None, 1.5, [1, None]]}, None, "a1.51,"),
    ("cat formats floats like JS", {"cat": [{"+": [0.1, 0.2]}]}, None, "0.30000000000000004"),
    ("var keeps a stored null", {"var": ["a", 5]}, {"a": None}, None),
    ("var default when missing", {"var": ["b", 5]}, {"a": None}, 5),
    ("var length of array", {"var": "xs.length"}, {"xs": [1, 2]}, 2),
    ("and of nothing", {"and": []}, None, None),
    ("reduce evaluates its initial value", {"reduce": [[1, 2], {"+": [{"var": "current"}, {"var": "accumulator"}]},
                                                       {"var": "start"}]}, {"start": 10}, 13),
    ("log returns its argument", {"log": "apple"}, None, "apple"),
    ("string < compares code units", {"<": ["B", "a"]}, None, True),
    ("between with null upper bound", {"<": [1, 2, None]}, None, False),
    ("all over a string", {"all": ["ab", {"!!": [{"var": ""}]}]}, None, True),
]


@pytest.mark.parametrize(("logic", "data", "expected"), [pytest.param(*r[1:], id=r[0]) for r in QUIRKS_TABLE])
def test_classic_semantics(logic: Any, data: Any, expected: Any) -> None:
    result = jsonlogic.apply(logic, data)
    if isinstance(expected, float) and math.isinf(expected):
        assert result == expected
    else:
        assert result == expected and type(result) is type(expected)


def test_empty_multiplication_is_an_error() -> None:
    with pytest.raises(JsonLogicError):
        jsonlogic.apply({"*": []})


def test_depth_limit() -> None:
    logic: Any = {"var": "a"}
    for _ in range(jsonlogic.MAX_DEPTH + 1):
        logic = {"!!": [logic]}
    with pytest.raises(JsonLogicError, match="safety limits"):
        jsonlogic.compile(logic)
    assert jsonlogic.validate(logic) != []


DIALECT_TABLE: list[tuple[str, Any, str]] = [
    ("null", None, "none"),
    ("false (always passes, as the reference)", False, "none"),
    ("native leaf", leaf("a", "=", 1), "native"),
    ("native group", {"operator": "AND", "rules": []}, "native"),
    ("rules only", {"rules": []}, "native"),
    ("jsonlogic", {"==": [{"var": "a"}, 1]}, "jsonlogic"),
    ("jsonlogic var", {"var": "flag"}, "jsonlogic"),
    ("unknown single key is native", {"regex": "x"}, "native"),
    ("two keys is native", {"==": [1, 1], "x": 1}, "native"),
]


@pytest.mark.parametrize(("expression", "dialect"), [pytest.param(*r[1:], id=r[0]) for r in DIALECT_TABLE])
def test_detect_dialect(expression: Any, dialect: str) -> None:
    assert detect_dialect(expression) == dialect


def test_jsonlogic_condition_truthiness() -> None:
    assert compile_condition({"var": "items"})({"items": []}) is False
    assert compile_condition({"var": "items"})({"items": [0]}) is True
    assert compile_condition({"missing": ["a"]})({"a": 1}) is False
