"""Regex benchmark: `rules.compile_regex` on RE2 vs the home-made automaton it replaced.

Both engines run in one process, interleaved round by round. The baseline is not kept in the tree:
its source is read from git history (`git show BASELINE_COMMIT:rules/_regex.py`, the last commit
with the home-made engine) and loaded as a module from that string, so a clone without history
cannot run this benchmark.

Cases: warm searches (the compiled pattern is reused, as the rule cache does) on a short code, an
e-mail address, a case-insensitive word in 1,000 characters, a pathological 10,001-character input
and a counted class with a thousand live states on 32 random texts in turn; and cold use (compile, then one
search), which is what a new or edited rule pays once.

Run: `.venv/bin/python bench/regex.py` (or `make bench`). Prints ops/s and ratios; exits 0.
"""

from __future__ import annotations

import itertools
import random
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rules import _regex as re2_engine  # noqa: E402

BASELINE_COMMIT = "047596ec8635b5337395a5e6f0d067a7117b9416"
ROUNDS = 7
ROUND_SECONDS = 0.12

EMAIL = r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$"

_RANDOM = random.Random(1)
# 32 different random texts, searched in turn: with one text repeated, the home-made engine would
# replay a DFA it had already built for exactly that text.
_AB_TEXTS = tuple("".join(_RANDOM.choices("ab", k=10_000)) for _ in range(32))

# (name, pattern, texts searched in turn, expected)
CASES: list[tuple[str, str, tuple[str, ...], bool]] = [
    ("short code", r"^[A-Z]{3}-\d{3}$", ("ABC-123",), True),
    ("e-mail", EMAIL, ("someone.long@example.com",), True),
    ("(?i) word in 1,000 chars", r"(?i)\burgent\b", ("x " * 500 + "URGENT",), True),
    ("pathological 10,001 chars", r"^(a|a)*$", ("a" * 10_000 + "b",), False),
    ("1,000-state counter, random texts", r"[ab]{1000}", _AB_TEXTS, True),
]


class Searcher(Protocol):
    def search(self, text: str) -> bool: ...


def load_baseline() -> types.ModuleType:
    """The home-made engine's module, built from its source in git history."""
    source = subprocess.run(
        ["git", "show", f"{BASELINE_COMMIT}:rules/_regex.py"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    module = types.ModuleType("baseline_regex")
    sys.modules[module.__name__] = module  # `from __future__ import annotations` needs it importable
    exec(compile(source, f"{BASELINE_COMMIT[:7]}:rules/_regex.py", "exec"), module.__dict__)
    return module


# --- harness (as in bench/rules.py) --------------------------------------------------------


def _calibrate(fn: Callable[[], Any]) -> int:
    """Calls per round so that one round of `fn` lasts about ROUND_SECONDS."""
    n = 1
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


def report(case: str, rates: dict[str, float]) -> None:
    ours, theirs = rates["re2"], rates["home-made"]
    print(f"  {case:<38} RE2 {ours:>12,.0f} ops/s   home-made {theirs:>10,.0f} ops/s   ratio {ours / theirs:>7.2f}x")


def _compiled(engine: Callable[[str], Searcher | None], pattern: str) -> Searcher:
    compiled = engine(pattern)
    assert compiled is not None, pattern
    return compiled


def _warm(compiled: Searcher, texts: Iterator[str]) -> bool:
    return compiled.search(next(texts))


def _cold(engine: Callable[[str], Searcher | None], pattern: str, texts: Iterator[str]) -> bool:
    return _compiled(engine, pattern).search(next(texts))


def main() -> int:
    try:
        baseline = load_baseline()
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"cannot load the baseline from git history ({BASELINE_COMMIT[:7]}): {error}")
        return 0
    compile_re2 = re2_engine.compile_regex.__wrapped__  # bypass the cache: cold cases compile anew
    compile_home_made = baseline.compile_regex.__wrapped__

    print(f"Python {sys.version.split()[0]}, {ROUNDS} interleaved rounds of ~{ROUND_SECONDS}s, median ops/s")
    print("RE2 = rules.compile_regex (google-re2); home-made = the automaton at " + BASELINE_COMMIT[:7] + "\n")

    print("warm: search with an already compiled pattern")
    for case, pattern, texts, expected in CASES:
        ours, theirs = _compiled(compile_re2, pattern), _compiled(compile_home_made, pattern)
        assert all(ours.search(text) is theirs.search(text) is expected for text in texts), case
        report(case, run({"re2": partial(_warm, ours, itertools.cycle(texts)),
                          "home-made": partial(_warm, theirs, itertools.cycle(texts))}))

    print("\ncold: compile, then one search")
    for case, pattern, texts, _ in CASES:
        report(case, run({"re2": partial(_cold, compile_re2, pattern, itertools.cycle(texts)),
                          "home-made": partial(_cold, compile_home_made, pattern, itertools.cycle(texts))}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
