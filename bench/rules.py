"""Rules benchmark, one process, contestants interleaved round by round (results: docs/benchmarks.md,
"Rules language").

(a) compiled JsonLogic (rules.jsonlogic) vs panzi-json-logic on the same rules: an `and` of five
    comparisons over nested paths, and an if/else-if chain. Target: >= 4x panzi.
(b) compiled native condition trees vs a straightforward tree walk of the same trees (the walker
    below re-reads the JSON, re-parses paths and dispatches on operator names at every call,
    as the reference's evaluator does). Target: >= 3x.

Run: `.venv/bin/python bench/rules.py` (or `make bench`). Prints ops/s and ratios; exits 0.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from json_logic import jsonLogic as panzi_apply  # noqa: E402

from rules import compile_condition, jsonlogic  # noqa: E402
from rules._conditions import (  # noqa: E402
    compare,
    contains,
    ends_with,
    equals,
    is_empty,
    is_in,
    matches,
    starts_with,
)
from rules._values import (  # noqa: E402
    MISSING,
    is_forbidden_segment,
    is_template,
    js_truthy,
    own_property,
    resolve_special_value,
)

ROUNDS = 7
ROUND_SECONDS = 0.12
NOW = datetime(2026, 7, 25, 12, 0, tzinfo=UTC)

DATA: dict[str, Any] = {
    "order": {
        "total": 150,
        "status": "paid",
        "priority": "LOW",
        "dueDate": "2026-08-01",
        "customer": {"tier": "gold", "address": {"country": "PL", "city": "Krakow"}},
        "shipping": {"weight": 12.5, "method": "courier"},
        "items": [{"sku": "A-1", "qty": 7}, {"sku": "B-2", "qty": 1}],
    },
    "requiredQty": 5,
}

JSONLOGIC_AND = {"and": [
    {">=": [{"var": "order.total"}, 100]},
    {"==": [{"var": "order.customer.tier"}, "gold"]},
    {"<=": [{"var": "order.shipping.weight"}, 30]},
    {"!=": [{"var": "order.status"}, "cancelled"]},
    {"in": [{"var": "order.customer.address.country"}, ["PL", "DE", "FR"]]},
]}
JSONLOGIC_IF = {"if": [
    {">": [{"var": "order.total"}, 1000]}, "platinum",
    {">": [{"var": "order.total"}, 500]}, "gold",
    {">": [{"var": "order.total"}, 100]}, "silver",
    {">": [{"var": "order.total"}, 50]}, "bronze",
    "none",
]}


def leaf(field: str, operator: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value, **extra}


NATIVE_AND = {"operator": "AND", "rules": [
    leaf("order.total", ">=", 100),
    leaf("order.customer.tier", "IN", ["gold", "platinum"]),
    leaf("order.status", "!=", "cancelled"),
    leaf("order.customer.address.country", "STARTS_WITH", "P"),
    {"operator": "OR", "rules": [leaf("order.priority", "=", "HIGH"), leaf("order.items[0].qty", ">", 5)]},
]}
NATIVE_MIXED = {"operator": "AND", "rules": [
    leaf("order.dueDate", ">=", "{{today}}"),
    leaf("order.items[0].qty", ">=", None, valueField="requiredQty"),
    {"operator": "NOT", "rules": [leaf("order.shipping.method", "IN", ["pickup", "locker"])]},
    leaf("order.customer.address.city", "IS_NOT_EMPTY"),
    leaf("order.items[1].sku", "MATCHES", r"^[A-Z]-\d$"),
]}


# --- the naive walker for (b) --------------------------------------------------------------

_BRACKETS = re.compile(r"\[(\d+)\]")


def get_nested_value(obj: Any, path: Any) -> Any:
    """The reference's getNestedValue, written the obvious way: parse the path at every call."""
    if not js_truthy(obj) or not path:
        return MISSING
    current = obj
    for key in _BRACKETS.sub(r".\1", path).split("."):
        if current is None or current is MISSING or is_forbidden_segment(key):
            return MISSING
        current = own_property(current, key)
    return current



def naive_evaluate(node: Any, data: Any, context: Mapping[str, Any], now: datetime) -> bool:
    """Walk the JSON tree at every call, with the same operator semantics as rules/."""
    if isinstance(node, dict) and isinstance(node.get("rules"), list):
        operator = node.get("operator")
        children = node["rules"]
        if not children:
            return True
        if operator == "AND":
            return all(naive_evaluate(child, data, context, now) for child in children)
        if operator == "OR":
            return any(naive_evaluate(child, data, context, now) for child in children)
        if operator == "NOT":
            return not all(naive_evaluate(child, data, context, now) for child in children)
        raise ValueError(f"Unknown logical operator: {operator}")
    left = get_nested_value(data, node.get("field"))
    value = node.get("value")
    if node.get("valueField"):
        right = get_nested_value(data, node["valueField"])
    elif is_template(value):
        right = resolve_special_value(value, context, now)
    else:
        right = value
    operator = node.get("operator")
    if operator in ("=", "=="):
        return equals(left, right)
    if operator == "!=":
        return not equals(left, right)
    if operator == ">":
        return compare(left, right) > 0
    if operator == ">=":
        return compare(left, right) >= 0
    if operator == "<":
        return compare(left, right) < 0
    if operator == "<=":
        return compare(left, right) <= 0
    if operator == "IN":
        return is_in(left, right)
    if operator == "NOT_IN":
        return not is_in(left, right)
    if operator == "CONTAINS":
        return contains(left, right)
    if operator == "NOT_CONTAINS":
        return not contains(left, right)
    if operator == "STARTS_WITH":
        return starts_with(left, right)
    if operator == "ENDS_WITH":
        return ends_with(left, right)
    if operator == "MATCHES":
        return matches(left, right)
    if operator == "IS_EMPTY":
        return is_empty(left)
    if operator == "IS_NOT_EMPTY":
        return not is_empty(left)
    raise ValueError(f"Unknown operator: {operator}")


# --- harness -------------------------------------------------------------------------------


def _calibrate(fn: Callable[[], Any]) -> int:
    """Calls per round so that one round of `fn` lasts about ROUND_SECONDS."""
    n = 64
    while True:
        started = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - started
        if elapsed > ROUND_SECONDS / 4:
            return max(1, int(n * ROUND_SECONDS / elapsed))
        n *= 2


def run(contestants: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """Median ops/s per contestant over interleaved rounds (every round runs every contestant)."""
    sizes = {name: _calibrate(fn) for name, fn in contestants.items()}
    samples: dict[str, list[float]] = {name: [] for name in contestants}
    for _ in range(ROUNDS):
        for name, fn in contestants.items():
            n = sizes[name]
            started = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append(n / (time.perf_counter() - started))
    return {name: statistics.median(values) for name, values in samples.items()}


def report(title: str, ours: str, theirs: str, rates: dict[str, float], target: float) -> float:
    ratio = rates[ours] / rates[theirs]
    print(f"  {ours:<34} {rates[ours]:>12,.0f} ops/s")
    print(f"  {theirs:<34} {rates[theirs]:>12,.0f} ops/s")
    print(f"  ratio {title:<28} {ratio:>12.2f}x  (target >= {target:g}x: {'met' if ratio >= target else 'NOT met'})")
    return ratio


def main() -> int:
    print(f"Python {sys.version.split()[0]}, {ROUNDS} interleaved rounds of ~{ROUND_SECONDS}s, median ops/s\n")

    print("(a) JsonLogic: compiled closures vs panzi-json-logic")
    for name, logic in (("and-of-5", JSONLOGIC_AND), ("if-chain", JSONLOGIC_IF)):
        compiled = jsonlogic.compile(logic)
        assert compiled(DATA) == panzi_apply(logic, DATA), name
        rates = run({
            f"rules.jsonlogic compiled [{name}]": partial(compiled, DATA),
            f"panzi-json-logic [{name}]": partial(panzi_apply, logic, DATA),
        })
        report(name, f"rules.jsonlogic compiled [{name}]", f"panzi-json-logic [{name}]", rates, 4)
        print()

    print("(b) Native condition trees: compiled closures vs a tree walk")
    for name, tree in (("and-of-5", NATIVE_AND), ("mixed", NATIVE_MIXED)):
        condition = compile_condition(tree)
        assert condition(DATA, {}, now=NOW) is naive_evaluate(tree, DATA, {}, NOW) is True, name
        rates = run({
            f"compiled native [{name}]": partial(condition, DATA, {}, now=NOW),
            f"tree walk [{name}]": partial(naive_evaluate, tree, DATA, {}, NOW),
        })
        report(name, f"compiled native [{name}]", f"tree walk [{name}]", rates, 3)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
