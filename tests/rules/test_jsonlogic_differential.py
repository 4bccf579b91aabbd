"""Differential tests: our compiled JsonLogic against panzi-json-logic on generated expressions.

Both follow json-logic-js, but panzi-json-logic takes Python shortcuts in places, so the
generators stay inside the region where classic semantics and panzi agree:

- values are small integers, non-empty strings without blanks (never "", "inf", hex or "1_0"),
  and booleans; no null: panzi coerces null to 0 in `==` and `<` (JS: `null == 0` is false),
  and returns the `var` default for keys holding null (JS returns the null);
- no `===`/`!==` on booleans or arrays: Python's `==` conflates `True`/`1` and compares lists
  by value; no `in` over arrays mixing numbers and booleans for the same reason;
- `+`, `*` and `-` only on numbers: classic `+`/`*` use parseFloat ("3px" is 3), panzi uses
  Number ("3px" is NaN, null is 0); no single-argument `*` (classic returns the argument as is);
  no `-` with a null second argument (panzi treats it as unary);
- no `/` or `%` (panzi raises ZeroDivisionError where JS gives Infinity/NaN, and Python's `%`
  takes the divisor's sign); `min`/`max` only over numbers and never empty (panzi's Python
  `min` skips NaN where `Math.min` returns NaN, and gives NaN for no arguments where JS gives
  +/-Infinity);
- `cat` only over strings and integers (panzi prints null as "null" and floats with %.15g);
- no `substr` result compared with a number or used as an `in` haystack: it can be "", which
  JS converts to 0 (`0 == ""` is true) while panzi's float("") fails (false), and `"" in ""` is
  false in JS but true in panzi;
- no relational comparison of a string with a boolean (panzi compares "a" < "true" as text);
- `reduce` only with a literal initial value (panzi does not evaluate the initial logic);
- no `log` (panzi prints to stdout).
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_logic import jsonLogic as panzi_apply

from rules import jsonlogic

DATA: dict[str, Any] = {
    "n": 3, "m": 10, "neg": -4, "s": "ab", "t": "10", "u": "x1", "b": True, "f": False,
    "nums": [1, 2, 3, 5], "strs": ["a", "b", "ab"], "empty": [],
    "nested": {"x": {"y": 5, "word": "ba"}}, "objs": [{"q": 1, "w": "a"}, {"q": 4, "w": "b"}],
}
NUM_VARS = [{"var": "n"}, {"var": "m"}, {"var": "neg"}, {"var": "nested.x.y"}, {"var": "nums.1"},
            {"var": "strs.length"}, {"var": ["zz", 7]}]
STR_VARS = [{"var": "s"}, {"var": "t"}, {"var": "u"}, {"var": "nested.x.word"}, {"var": "strs.2"}, {"var": "s.0"}]
STRINGS = ["a", "b", "ab", "ba", "abc", "1", "2", "10", "x1", "-3", "4.5"]

numbers = st.integers(min_value=-5, max_value=20)
strings = st.sampled_from(STRINGS)
booleans = st.booleans()


def _binary(op: str, left: st.SearchStrategy[Any], right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.tuples(left, right).map(lambda pair: {op: list(pair)})


num_expr: st.SearchStrategy[Any] = st.recursive(
    numbers | st.sampled_from(NUM_VARS),
    lambda inner: st.one_of(
        *[_binary(op, inner, inner) for op in ("+", "*", "-", "min", "max")],
        inner.map(lambda a: {"-": [a]}),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"+": xs}),
    ),
    max_leaves=4,
)
nonempty_str_expr: st.SearchStrategy[Any] = st.one_of(
    strings,
    st.sampled_from(STR_VARS),
    st.lists(strings | numbers | st.sampled_from(STR_VARS), min_size=1, max_size=3).map(lambda xs: {"cat": xs}),
)
str_expr: st.SearchStrategy[Any] = st.one_of(
    nonempty_str_expr,
    st.tuples(strings | st.sampled_from(STR_VARS), st.integers(-6, 6)).map(lambda p: {"substr": list(p)}),
    st.tuples(strings, st.integers(-6, 6), st.integers(-6, 6)).map(lambda p: {"substr": list(p)}),
)
scalar_expr = num_expr | str_expr | booleans | st.sampled_from([{"var": "b"}, {"var": "f"}])

comparison = st.one_of(
    *[_binary(op, num_expr, num_expr) for op in ("==", "!=", "<", "<=", ">", ">=", "===", "!==")],
    *[_binary(op, str_expr, str_expr) for op in ("==", "!=", "<", "<=", ">", ">=", "===", "!==")],
    *[_binary(op, num_expr, nonempty_str_expr) for op in ("==", "!=", "<", ">", "<=", ">=")],
    *[_binary(op, booleans, num_expr | nonempty_str_expr) for op in ("==", "!=")],
    st.tuples(num_expr, num_expr, num_expr).map(lambda t: {"<": list(t)}),
    st.tuples(num_expr, num_expr, num_expr).map(lambda t: {"<=": list(t)}),
    _binary("in", str_expr, nonempty_str_expr),
    _binary("in", str_expr, st.just({"var": "strs"}) | st.lists(strings, max_size=4)),
)

bool_expr: st.SearchStrategy[Any] = st.recursive(
    comparison | booleans,
    lambda inner: st.one_of(
        inner.map(lambda a: {"!": [a]}),
        (inner | scalar_expr).map(lambda a: {"!!": [a]}),
        st.lists(inner | scalar_expr, min_size=1, max_size=3).map(lambda xs: {"and": xs}),
        st.lists(inner | scalar_expr, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
        st.tuples(inner, inner, inner).map(lambda t: {"if": list(t)}),
    ),
    max_leaves=5,
)

item_body_num = st.sampled_from([
    {"*": [{"var": ""}, 2]}, {"+": [{"var": ""}, 1]}, {"var": ""}, {"-": [{"var": ""}]},
])
item_test = st.sampled_from([
    {">": [{"var": ""}, 2]}, {"<=": [{"var": ""}, 1]}, {"==": [{"var": ""}, 3]}, {"!=": [{"var": ""}, 5]},
])
obj_test = st.sampled_from([{">": [{"var": "q"}, 2]}, {"==": [{"var": "w"}, "a"]}, {"in": [{"var": "w"}, "ab"]}])

array_expr = st.one_of(
    item_body_num.map(lambda body: {"map": [{"var": "nums"}, body]}),
    item_test.map(lambda test: {"filter": [{"var": "nums"}, test]}),
    st.sampled_from([[{"var": "nums"}], [{"var": "empty"}], [1, {"var": "n"}], [[1], 2, "a"]]).map(
        lambda xs: {"merge": xs}),
    st.lists(st.sampled_from(["n", "s", "zz", "nested.x.y", "nested.q", "empty"]), max_size=4).map(
        lambda keys: {"missing": keys}),
    st.tuples(st.integers(0, 3), st.lists(st.sampled_from(["n", "s", "zz", "qq"]), max_size=4)).map(
        lambda p: {"missing_some": list(p)}),
)
def _quantified(op: str) -> st.SearchStrategy[Any]:
    over_numbers = st.tuples(st.sampled_from([{"var": "nums"}, {"var": "empty"}]), item_test)
    return over_numbers.map(lambda p: {op: list(p)}) | obj_test.map(lambda t: {op: [{"var": "objs"}, t]})


quantifier = st.one_of(
    *[_quantified(op) for op in ("all", "some", "none")],
    st.tuples(item_body_num, st.integers(-3, 3)).map(
        lambda p: {"reduce": [{"var": "nums"}, {"+": [{"var": "accumulator"}, p[0]]}, p[1]]}),
)
top_expr = st.one_of(
    bool_expr,
    num_expr,
    str_expr,
    array_expr,
    quantifier,
    st.tuples(bool_expr, num_expr | str_expr, num_expr | str_expr).map(lambda t: {"if": list(t)}),
    st.tuples(bool_expr, scalar_expr, bool_expr, scalar_expr, scalar_expr).map(lambda t: {"if": list(t)}),
)


def same(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return type(ours) is type(theirs) and ours == theirs
    if isinstance(ours, int | float) and isinstance(theirs, int | float):
        return ours == theirs or (math.isnan(ours) and math.isnan(theirs))
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(same(a, b) for a, b in zip(ours, theirs, strict=True))
    return type(ours) is type(theirs) and ours == theirs


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(top_expr)
def test_agrees_with_panzi_json_logic(logic: Any) -> None:
    ours = jsonlogic.apply(logic, DATA)
    theirs = panzi_apply(logic, DATA)
    assert same(ours, theirs), (logic, ours, theirs)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(bool_expr, st.fixed_dictionaries({}, optional={"n": numbers, "m": numbers, "s": strings, "t": strings}))
def test_agrees_on_varying_data(logic: Any, overrides: dict[str, Any]) -> None:
    data = {**DATA, **overrides}
    compiled = jsonlogic.compile(logic)
    assert same(compiled(data), panzi_apply(logic, data)), logic
