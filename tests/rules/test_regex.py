"""The RE2 matcher behind MATCHES and the trigger filters' `regex`: agreement with Python's `re`
where the two syntaxes coincide, RE2's semantics where they differ, the patterns refused, and
running time that grows linearly on inputs that make `re` backtrack.

This suite was written against the home-made automaton that RE2 replaced; the cases marked
"RE2:" are where the two disagreed and RE2, the reference's engine, is the expected answer."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules._regex import compile_regex

atoms = st.sampled_from(["a", "b", "c", ".", "[ab]", "[^a]", r"\d", r"\w", r"\s", "[a-c0-9]", "(?:ab)", "\\."])
quantifiers = st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,3}", "{0,}", "*?", "+?"])
piece = st.tuples(atoms, quantifiers).map("".join)
branch = st.lists(piece, min_size=1, max_size=4).map("".join)
group = st.lists(branch, min_size=1, max_size=3).map(lambda bs: "(" + "|".join(bs) + ")")
body = st.lists(piece | group.flatmap(lambda g: quantifiers.map(lambda q: g + q)), min_size=1, max_size=4).map(
    "".join)
patterns = st.tuples(st.sampled_from(["", "^", r"\b"]), body, st.sampled_from(["", "$", r"\b"])).map("".join)
texts = st.text(alphabet="abc1 .\n_", max_size=12)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(patterns, texts)
def test_agrees_with_python_re_on_the_common_syntax(pattern: str, text: str) -> None:
    compiled = compile_regex(pattern)
    assert compiled is not None, pattern
    # RE2's `$` without (?m) is end of text; Python's also matches before a final newline.
    expected = re.search(pattern.replace("$", r"\Z"), text, re.ASCII) is not None
    assert compiled.search(text) is expected, (pattern, text)


SEARCH_TABLE: list[tuple[str, str, str, bool]] = [
    ("case-insensitive flag", "(?i)hello", "Say HELLO", True),
    ("flag scoped to group", "(?i:a)b", "AB", False),
    ("multiline anchors", "(?m)^b$", "a\nb\nc", True),
    ("dot excludes newline", "a.c", "a\nc", False),
    ("dotall flag", "(?s)a.c", "a\nc", True),
    ("$ is end of text", "a$", "a\n", False),
    ("\\z", "a\\z", "a", True),
    ("\\A", "\\Ab", "ab", False),
    ("posix class", "^[[:alpha:]]+$", "abc", True),
    ("negated posix class", "[[:^digit:]]", "123", False),
    ("unicode category", r"^\p{Lu}", "Élan", True),
    ("named group", "(?P<year>\\d{4})-(?<m>\\d{2})", "2025-01", True),
    ("hex escape", r"\x41\x{42}", "AB", True),
    ("quoted literal", r"\Q.*+\E", "a.*+b", True),
    ("octal escape", r"\101", "A", True),
    ("\\d is ASCII", r"\d", "\u0663", False),
    ("\\w is ASCII", r"\w", "é", False),
    ("\\s has no \\v", r"\s", "\v", False),
    ("word boundary", r"\bcat\b", "a cat!", True),
    ("non word boundary", r"\Bcat", "concat", True),
    ("empty pattern", "", "", True),
    ("counted", "^a{2,3}$", "aaaa", False),
    ("literal brace", "a{,2}", "a{,2}", True),
    ("Kelvin sign folds to k", "(?i)k", "\u212a", True),
    ("lone surrogate is one character", "^.$", "\ud800", True),
    ("astral character is one character", "^.$", "\U0001f600", True),
    ("quoted \\C is a literal", r"\Q\C\E", "\\C", True),
    ("RE2: script class", r"^\p{Greek}+$", "λόγος", True),
    ("RE2: script class, no match", r"\p{Greek}", "logos", False),
    ("RE2: (?i) folds Unicode classes too", r"(?i)\p{Lu}", "a", True),
    ("RE2: a quantifier after \\Q...\\E repeats its last character", r"^\Qab\E{2}$", "abb", True),
    ("RE2: ... not the whole quoted text", r"^\Qab\E{2}$", "abab", False),
    ("RE2: a quantifier after a flag group repeats the atom before it", "^ab(?s)*$", "abbb", True),
    ("RE2: program within the memory budget", "[ab]{1000}[ab]{1000}", "ab" * 1000, True),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), [pytest.param(*r[1:], id=r[0]) for r in SEARCH_TABLE])
def test_re2_semantics(pattern: str, text: str, expected: bool) -> None:
    compiled = compile_regex(pattern)
    assert compiled is not None
    assert compiled.search(text) is expected


@pytest.mark.parametrize("pattern", [
    pytest.param(r"(a)\1", id="backreference"),
    pytest.param("a(?=b)", id="lookahead"),
    pytest.param("a(?!b)", id="negative lookahead"),
    pytest.param("(?<=a)b", id="lookbehind"),
    pytest.param("(?>a)", id="atomic group"),
    pytest.param("a**", id="nested repetition"),
    pytest.param("a*+", id="possessive"),
    pytest.param("*a", id="missing argument"),
    pytest.param("[a", id="unterminated class"),
    pytest.param("(a", id="unterminated group"),
    pytest.param("a)", id="unbalanced paren"),
    pytest.param("a{1001}", id="repeat count"),
    pytest.param("[z-a]", id="bad range"),
    pytest.param(r"\p{Klingon}", id="unknown Unicode class"),
    pytest.param(r"\Z", id="python-only anchor"),
    pytest.param("a\\", id="trailing backslash"),
    pytest.param(r"\pL{1000}", id="program too large"),
    pytest.param(".{1000}" * 12, id="program too large, repeated"),
    pytest.param("(?:a{10}){200}", id="nested repeat count"),
    pytest.param(r"a\C", id="single byte"),
    pytest.param(r"\Q\E?a", id="RE2: quantifier after an empty quote"),
])
def test_refused_patterns(pattern: str) -> None:
    assert compile_regex(pattern) is None


def _median_seconds(search: Callable[[str], bool], text: str) -> float:
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        search(text)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


@pytest.mark.parametrize(("pattern", "unit", "tail", "expected"), [
    pytest.param(r"^(a|a)*$", "a", "b", False, id="ambiguous alternation"),
    pytest.param(r"(a*)*b", "a", "", False, id="nested star"),
    pytest.param(r"(\w+\s?)*$", "word ", "!", True, id="classic email-ish blowup"),
    pytest.param(r"^(\d+)*x", "1", "", False, id="anchored nested plus"),
])
def test_linear_time(pattern: str, unit: str, tail: str, expected: bool) -> None:
    compiled = compile_regex(pattern)
    assert compiled is not None
    long_text = unit * (10_000 // len(unit)) + tail
    assert compiled.search(long_text) is expected
    # Ten times the input may cost about ten times the time, never the thousandfold of backtracking.
    # Only a ratio of medians is asserted: absolute times depend on the machine.
    short_text = unit * (1_000 // len(unit)) + tail
    ratio = _median_seconds(compiled.search, long_text) / _median_seconds(compiled.search, short_text)
    assert ratio < 100, ratio
