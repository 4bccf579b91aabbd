"""Native condition trees (docs/rules.md, *Native condition trees*): every operator and its corner
cases, then edge cases checked against the reference in Node, one case a row."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from rules import ConditionError, compile_condition
from tests.rules.builders import NOW, group, leaf

TODAY = "2026-07-25"
TOMORROW = "2026-07-26"
YESTERDAY = "2026-07-24"
VAT = (
    r"^(GB|FR|DE|IT|ES|PL|NL|BE|SE|AT|DK|FI|PT|IE|GR|CZ|RO|HU|SK|BG|HR|SI|LT|LV|EE|LU|MT|CY)?"
    r"([0-9A-Za-z]+)*$"
)
EMAIL = r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$"

# (id, condition, data, context, expected)
EVALUATOR_TABLE: list[tuple[str, Any, Any, dict[str, Any], bool]] = [
    ("01 = match", leaf("status", "=", "ACTIVE"), {"status": "ACTIVE"}, {}, True),
    ("01 = no match", leaf("status", "=", "ACTIVE"), {"status": "INACTIVE"}, {}, False),
    ("02 == number", leaf("count", "==", 10), {"count": 10}, {}, True),
    ("02 == numeric string", leaf("count", "==", 10), {"count": "10"}, {}, True),
    ("02 == other", leaf("count", "==", 10), {"count": 5}, {}, False),
    ("03 != differs", leaf("status", "!=", "DELETED"), {"status": "ACTIVE"}, {}, True),
    ("03 != same", leaf("status", "!=", "DELETED"), {"status": "DELETED"}, {}, False),
    ("04 > 10", leaf("quantity", ">", 0), {"quantity": 10}, {}, True),
    ("04 > 0", leaf("quantity", ">", 0), {"quantity": 0}, {}, False),
    ("04 > -5", leaf("quantity", ">", 0), {"quantity": -5}, {}, False),
    ("05 >= 150", leaf("price", ">=", 100), {"price": 150}, {}, True),
    ("05 >= 100", leaf("price", ">=", 100), {"price": 100}, {}, True),
    ("05 >= 50", leaf("price", ">=", 100), {"price": 50}, {}, False),
    ("06 < 15", leaf("age", "<", 18), {"age": 15}, {}, True),
    ("06 < 18", leaf("age", "<", 18), {"age": 18}, {}, False),
    ("06 < 25", leaf("age", "<", 18), {"age": 25}, {}, False),
    ("07 <= 50", leaf("temperature", "<=", 100), {"temperature": 50}, {}, True),
    ("07 <= 100", leaf("temperature", "<=", 100), {"temperature": 100}, {}, True),
    ("07 <= 150", leaf("temperature", "<=", 100), {"temperature": 150}, {}, False),
    ("08 IN ACTIVE", leaf("status", "IN", ["ACTIVE", "PENDING", "PROCESSING"]), {"status": "ACTIVE"}, {}, True),
    ("08 IN PENDING", leaf("status", "IN", ["ACTIVE", "PENDING", "PROCESSING"]), {"status": "PENDING"}, {}, True),
    ("08 IN DELETED", leaf("status", "IN", ["ACTIVE", "PENDING", "PROCESSING"]), {"status": "DELETED"}, {}, False),
    ("09 NOT_IN ACTIVE", leaf("status", "NOT_IN", ["DELETED", "ARCHIVED"]), {"status": "ACTIVE"}, {}, True),
    ("09 NOT_IN DELETED", leaf("status", "NOT_IN", ["DELETED", "ARCHIVED"]), {"status": "DELETED"}, {}, False),
    ("10 CONTAINS array", leaf("tags", "CONTAINS", "urgent"), {"tags": ["urgent", "important"]}, {}, True),
    ("10 CONTAINS array miss", leaf("tags", "CONTAINS", "urgent"), {"tags": ["normal"]}, {}, False),
    ("11 CONTAINS string", leaf("description", "CONTAINS", "bug"), {"description": "This is a bug fix"}, {}, True),
    ("11 CONTAINS string miss", leaf("description", "CONTAINS", "bug"), {"description": "New feature"}, {}, False),
    ("12 NOT_CONTAINS", leaf("tags", "NOT_CONTAINS", "deprecated"), {"tags": ["new", "stable"]}, {}, True),
    ("12 NOT_CONTAINS hit", leaf("tags", "NOT_CONTAINS", "deprecated"), {"tags": ["deprecated", "old"]}, {}, False),
    ("13 STARTS_WITH", leaf("email", "STARTS_WITH", "admin"), {"email": "admin@example.com"}, {}, True),
    ("13 STARTS_WITH miss", leaf("email", "STARTS_WITH", "admin"), {"email": "user@example.com"}, {}, False),
    ("14 ENDS_WITH", leaf("filename", "ENDS_WITH", ".pdf"), {"filename": "document.pdf"}, {}, True),
    ("14 ENDS_WITH miss", leaf("filename", "ENDS_WITH", ".pdf"), {"filename": "image.jpg"}, {}, False),
    ("15 MATCHES", leaf("code", "MATCHES", r"^[A-Z]{3}-\d{3}$"), {"code": "ABC-123"}, {}, True),
    ("15 MATCHES case", leaf("code", "MATCHES", r"^[A-Z]{3}-\d{3}$"), {"code": "abc-123"}, {}, False),
    ("15 MATCHES short", leaf("code", "MATCHES", r"^[A-Z]{3}-\d{3}$"), {"code": "XYZ"}, {}, False),
    ("16 IS_EMPTY empty string", leaf("notes", "IS_EMPTY"), {"notes": ""}, {}, True),
    ("16 IS_EMPTY blanks", leaf("notes", "IS_EMPTY"), {"notes": "   "}, {}, True),
    ("16 IS_EMPTY null", leaf("notes", "IS_EMPTY"), {"notes": None}, {}, True),
    ("16 IS_EMPTY undefined", leaf("notes", "IS_EMPTY"), {}, {}, True),
    ("16 IS_EMPTY []", leaf("notes", "IS_EMPTY"), {"notes": []}, {}, True),
    ("16 IS_EMPTY {}", leaf("notes", "IS_EMPTY"), {"notes": {}}, {}, True),
    ("16 IS_EMPTY text", leaf("notes", "IS_EMPTY"), {"notes": "Some text"}, {}, False),
    ("17 IS_NOT_EMPTY text", leaf("name", "IS_NOT_EMPTY"), {"name": "John"}, {}, True),
    ("17 IS_NOT_EMPTY array", leaf("name", "IS_NOT_EMPTY"), {"name": [1, 2]}, {}, True),
    ("17 IS_NOT_EMPTY empty", leaf("name", "IS_NOT_EMPTY"), {"name": ""}, {}, False),
    ("17 IS_NOT_EMPTY null", leaf("name", "IS_NOT_EMPTY"), {"name": None}, {}, False),
    ("18 nested", leaf("user.name", "=", "John"), {"user": {"name": "John", "age": 30}}, {}, True),
    ("19 deep nested", leaf("order.customer.address.city", "=", "New York"),
     {"order": {"customer": {"address": {"city": "New York"}}}}, {}, True),
    ("20 array index", leaf("items[0]", "=", "apple"), {"items": ["apple", "banana", "orange"]}, {}, True),
    ("21 array of objects", leaf("materials[0].quantity", ">", 5),
     {"materials": [{"quantity": 10}, {"quantity": 3}]}, {}, True),
    ("22 missing path", leaf("nonexistent.field", "=", "some value"), {"status": "ACTIVE"}, {}, False),
    ("23 missing = null", leaf("nonexistent", "=", None), {}, {}, True),
    ("24 valueField >=", leaf("actualQuantity", ">=", None, valueField="requiredQuantity"),
     {"actualQuantity": 10, "requiredQuantity": 8}, {}, True),
    ("24 valueField < ", leaf("actualQuantity", ">=", None, valueField="requiredQuantity"),
     {"actualQuantity": 5, "requiredQuantity": 10}, {}, False),
    ("25 valueField =", leaf("user.role", "=", None, valueField="requiredRole"),
     {"user": {"role": "admin"}, "requiredRole": "admin"}, {}, True),
    ("26 today tomorrow", leaf("dueDate", ">=", "{{today}}"), {"dueDate": TOMORROW}, {}, True),
    ("26 today today", leaf("dueDate", ">=", "{{today}}"), {"dueDate": TODAY}, {}, True),
    ("26 today yesterday", leaf("dueDate", ">=", "{{today}}"), {"dueDate": YESTERDAY}, {}, False),
    ("27 now from context", leaf("timestamp", "=", "{{now}}"), {"timestamp": "2025-01-01T12:00:00.000Z"},
     {"now": datetime(2025, 1, 1, 12, tzinfo=UTC)}, True),
    ("28 user.id", leaf("assignedTo", "=", "{{user.id}}"), {"assignedTo": "user-123"},
     {"user": {"id": "user-123"}}, True),
    ("28 user.id other", leaf("assignedTo", "=", "{{user.id}}"), {"assignedTo": "user-456"},
     {"user": {"id": "user-123"}}, False),
    ("29 tenant.id", leaf("tenantId", "=", "{{tenant.id}}"), {"tenantId": "tenant-abc"},
     {"tenant": {"id": "tenant-abc"}}, True),
    ("30 AND true", group("AND", leaf("status", "=", "ACTIVE"), leaf("quantity", ">", 0)),
     {"status": "ACTIVE", "quantity": 10}, {}, True),
    ("30 AND false", group("AND", leaf("status", "=", "ACTIVE"), leaf("quantity", ">", 0)),
     {"status": "ACTIVE", "quantity": 0}, {}, False),
    ("31 AND empty", group("AND"), {}, {}, True),
    ("32 OR true", group("OR", leaf("status", "=", "URGENT"), leaf("priority", "=", "HIGH")),
     {"status": "NORMAL", "priority": "HIGH"}, {}, True),
    ("32 OR false", group("OR", leaf("status", "=", "URGENT"), leaf("priority", "=", "HIGH")),
     {"status": "NORMAL", "priority": "LOW"}, {}, False),
    ("33 NOT true", group("NOT", leaf("status", "=", "DELETED")), {"status": "ACTIVE"}, {}, True),
    ("33 NOT false", group("NOT", leaf("status", "=", "DELETED")), {"status": "DELETED"}, {}, False),
    ("34 NOT many true", group("NOT", leaf("status", "=", "DELETED"), leaf("archived", "=", True)),
     {"status": "ACTIVE", "archived": False}, {}, True),
    ("34 NOT many false", group("NOT", leaf("status", "=", "DELETED"), leaf("archived", "=", True)),
     {"status": "DELETED", "archived": True}, {}, False),
    ("35 nested HIGH", group("AND", leaf("status", "=", "ACTIVE"),
                             group("OR", leaf("priority", "=", "HIGH"), leaf("urgent", "=", True))),
     {"status": "ACTIVE", "priority": "HIGH"}, {}, True),
    ("35 nested urgent", group("AND", leaf("status", "=", "ACTIVE"),
                               group("OR", leaf("priority", "=", "HIGH"), leaf("urgent", "=", True))),
     {"status": "ACTIVE", "urgent": True}, {}, True),
    ("35 nested neither", group("AND", leaf("status", "=", "ACTIVE"),
                                group("OR", leaf("priority", "=", "HIGH"), leaf("urgent", "=", True))),
     {"status": "ACTIVE", "priority": "LOW", "urgent": False}, {}, False),
    ("35 nested inactive", group("AND", leaf("status", "=", "ACTIVE"),
                                 group("OR", leaf("priority", "=", "HIGH"), leaf("urgent", "=", True))),
     {"status": "INACTIVE", "priority": "HIGH"}, {}, False),
    *[
        (f"36 {name}", group("OR",
                             group("AND", leaf("type", "=", "urgent"), leaf("severity", "=", "critical")),
                             group("AND", leaf("type", "=", "scheduled"), leaf("approved", "=", True))),
         data, {}, expected)
        for name, data, expected in [
            ("urgent critical", {"type": "urgent", "severity": "critical"}, True),
            ("scheduled approved", {"type": "scheduled", "approved": True}, True),
            ("urgent low", {"type": "urgent", "severity": "low"}, False),
            ("scheduled unapproved", {"type": "scheduled", "approved": False}, False),
        ]
    ],
    ("37 = null with null", leaf("value", "=", None), {"value": None}, {}, True),
    ("37 = null with value", leaf("value", "=", None), {"value": "something"}, {}, False),
    ("38 missing IS_EMPTY", leaf("missing", "IS_EMPTY"), {}, {}, True),
    ("39 string number", leaf("count", "=", 10), {"count": "10"}, {}, True),
    ("40 date after", leaf("date", ">", "2025-01-01"), {"date": "2025-01-15"}, {}, True),
    ("40 date before", leaf("date", ">", "2025-01-01"), {"date": "2024-12-15"}, {}, False),
    ("41 invalid regex", leaf("text", "MATCHES", "[invalid"), {"text": "anything"}, {}, False),
    ("42 regex too long", leaf("text", "MATCHES", "a" * 300), {"text": "test"}, {}, False),
    *[
        (f"43 dangerous {pattern}", leaf("text", "MATCHES", pattern), {"text": "a" * 28}, {}, False)
        for pattern in ["(a+)+", "(a*)*", "(a+)*", "(.*)*"]
    ],
    ("44 catastrophic VAT", leaf("vat", "MATCHES", VAT), {"vat": "A" * 64 + "!"}, {}, False),
    ("45 input too long", leaf("text", "MATCHES", "^a+$"), {"text": "a" * 10001}, {}, False),
    ("46 email", leaf("email", "MATCHES", EMAIL), {"email": "user@example.com"}, {}, True),
    ("46 email invalid", leaf("email", "MATCHES", EMAIL), {"email": "invalid-email"}, {}, False),
]


@pytest.mark.parametrize(("condition", "data", "ctx", "expected"),
                         [pytest.param(*row[1:], id=row[0]) for row in EVALUATOR_TABLE])
def test_expression_evaluator(condition: Any, data: Any, ctx: dict[str, Any], expected: bool) -> None:
    started = time.perf_counter()
    assert compile_condition(condition)(data, ctx, now=NOW) is expected
    assert time.perf_counter() - started < 2  # row 44: the catastrophic pattern must not hang


# Edge cases verified against the reference in Node.
EDGE_TABLE: list[tuple[str, Any, Any, bool]] = [
    ("empty string equals 0", leaf("x", "=", 0), {"x": ""}, True),
    ("true equals 1", leaf("x", "=", 1), {"x": True}, True),
    ("no numeric side is strict", leaf("x", "=", True), {"x": "true"}, False),
    ("string vs string strict", leaf("x", "=", "10"), {"x": "10.0"}, False),
    ("numeric coercion", leaf("x", "=", 10), {"x": "10.0"}, True),
    ("[5] equals 5", leaf("x", "=", 5), {"x": [5]}, True),
    ("arrays by reference", leaf("x", "=", ["a"]), {"x": ["a"]}, False),
    ("IN coerces per element", leaf("x", "IN", ["5"]), {"x": 5}, True),
    ("IN needs an array", leaf("x", "IN", "abc"), {"x": "a"}, False),
    ("NOT_IN non-array", leaf("x", "NOT_IN", "abc"), {"x": "a"}, True),
    ("CONTAINS String(5)", leaf("x", "CONTAINS", 5), {"x": "a5b"}, True),
    ("NOT_CONTAINS on null", leaf("x", "NOT_CONTAINS", "a"), {}, True),
    ("STARTS_WITH numbers", leaf("x", "STARTS_WITH", 12), {"x": 12345}, True),
    ("numeric strings order", leaf("x", ">", "9"), {"x": "10"}, True),
    ("locale collation", leaf("x", "<", "Banana"), {"x": "apple"}, True),
    ("null below anything", leaf("x", ">", 5), {}, False),
    ("null <= null", leaf("x", "<=", None), {}, True),
    ("date strings", leaf("x", ">", "2025-01-15"), {"x": "2025-01-15T10:00:00"}, True),
    ("0 is not empty", leaf("x", "IS_EMPTY"), {"x": 0}, False),
    ("false is not empty", leaf("x", "IS_EMPTY"), {"x": False}, False),
    # not checked in Node: the same rules, other corners
    ("a < B", leaf("x", "<", "B"), {"x": "a"}, True),
    ("a < A (lowercase first)", leaf("x", "<", "A"), {"x": "a"}, True),
    ("0x10 is 16", leaf("x", "=", 16), {"x": "0x10"}, True),
    ("1e2 is 100", leaf("x", "=", 100), {"x": "1e2"}, True),
    ("[] is 0", leaf("x", "=", 0), {"x": []}, True),
    ("whitespace is 0", leaf("x", "=", 0), {"x": " \t"}, True),
    ("non-numeric never equal", leaf("x", "=", 0), {"x": "abc"}, False),
    ("true vs false ordering", leaf("x", ">", False), {"x": True}, True),
    ("IS_EMPTY trims NBSP", leaf("x", "IS_EMPTY"), {"x": "\u00a0\u2028"}, True),
    ("literal braces stay literal", leaf("x", "=", "a {{user.id}} b"), {"x": "a {{user.id}} b"}, True),
    ("data is not in the context", leaf("x", "=", "{{data.x}}"), {"x": None}, True),
    ("valueField missing side", leaf("x", "=", None, valueField="y"), {"x": 1}, False),
    ("STARTS_WITH empty prefix", leaf("x", "STARTS_WITH", ""), {"x": "abc"}, True),
    ("STARTS_WITH null", leaf("x", "STARTS_WITH", "a"), {}, False),
    ("CONTAINS on number", leaf("x", "CONTAINS", 1), {"x": 123}, False),
    ("date-only vs zoned", leaf("x", "<", "2025-01-15T00:00:01Z"), {"x": "2025-01-15"}, True),
    ("MATCHES unanchored", leaf("x", "MATCHES", "b+"), {"x": "abbbc"}, True),
    ("MATCHES lookahead refused", leaf("x", "MATCHES", "a(?=b)"), {"x": "ab"}, False),
    ("MATCHES backreference refused", leaf("x", "MATCHES", r"(a)\1"), {"x": "aa"}, False),
    ("MATCHES \\d is ASCII", leaf("x", "MATCHES", r"^\d$"), {"x": "\u0663"}, False),
    ("MATCHES pattern from valueField", leaf("x", "MATCHES", None, valueField="p"), {"x": "abc", "p": "^a"}, True),
]


@pytest.mark.parametrize(("condition", "data", "expected"), [pytest.param(*row[1:], id=row[0]) for row in EDGE_TABLE])
def test_edge_cases(condition: Any, data: Any, expected: bool) -> None:
    assert compile_condition(condition)(data, {}, now=NOW) is expected


ERROR_TABLE: list[tuple[str, Any, str]] = [
    ("lowercase group operator", {"operator": "and", "rules": [leaf("x", "=", 1)]}, "Unknown logical operator: and"),
    ("conditions instead of rules", {"operator": "AND", "conditions": [leaf("x", "=", 1)]}, "Unknown operator: AND"),
    ("unknown comparison", leaf("x", "INVALID_OPERATOR", 1), "Unknown operator: INVALID_OPERATOR"),
    ("operator missing", {"field": "x", "value": 1}, "Unknown operator: undefined"),
]


@pytest.mark.parametrize(("condition", "message"), [pytest.param(*row[1:], id=row[0]) for row in ERROR_TABLE])
def test_evaluation_errors(condition: Any, message: str) -> None:
    with pytest.raises(ConditionError, match=f"^{message}$"):
        compile_condition(condition)({"x": 1}, {}, now=NOW)


def test_short_circuit_hides_later_errors() -> None:
    condition = group("AND", leaf("x", "=", 2), leaf("x", "BAD", 1))
    assert compile_condition(condition)({"x": 1}, {}, now=NOW) is False
    condition = group("OR", leaf("x", "=", 1), leaf("x", "BAD", 1))
    assert compile_condition(condition)({"x": 1}, {}, now=NOW) is True


def test_empty_group_is_true_for_every_operator() -> None:
    for operator in ("AND", "OR", "NOT", "XOR"):
        assert compile_condition(group(operator))({}, {}, now=NOW) is True


@pytest.mark.parametrize(("pattern", "text"), [
    pytest.param(r"^(a|a)*b$", "a" * 10_000, id="alternation loop"),
    pytest.param(r"a*a*a*a*a*a*b", "a" * 10_000, id="polynomial backtracking"),
    pytest.param(r"^(\w|\d)*!$", "1" * 10_000, id="overlapping classes"),
])
def test_patterns_the_heuristic_misses_still_run_in_linear_time(pattern: str, text: str) -> None:
    started = time.perf_counter()
    assert compile_condition(leaf("x", "MATCHES", pattern))({"x": text}, {}, now=NOW) is False
    assert time.perf_counter() - started < 2


def test_compiled_condition_is_reused_across_data() -> None:
    condition = compile_condition(group("AND", leaf("a", ">", 1), leaf("b", "IN", ["x", "y"])))
    assert [condition({"a": a, "b": b}) for a, b in [(2, "x"), (1, "x"), (5, "z")]] == [True, False, False]
    assert condition.dialect == "native"


def test_today_needs_a_now() -> None:
    with pytest.raises(ValueError, match="now"):
        compile_condition(leaf("d", ">=", "{{today}}"))({"d": "2025-01-01"}, {})
