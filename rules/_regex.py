"""Regular expressions for the MATCHES operator and workflow trigger filters, backed by RE2.

Python's `re` backtracks, so a tenant's pattern such as `(a|a)*$` could pin a CPU for hours on a
10,000-character input. RE2 (the `google-re2` package) matches in time linear in the input and
uses the syntax the rules language documents (docs/rules.md, *Regular expressions*): `\\d`, `\\w`,
`\\s`, `\\b` are ASCII, `.` excludes a newline, `$` is the end of the text, flags go inline
(`(?i)`, `(?m)`, `(?s)`, `(?U)`), and matching is a search anywhere in the text.

A pattern that RE2 rejects (backreferences, lookaround, atomic groups, possessive or nested
quantifiers, `\\Z`, a syntax error), a compiled program larger than `MAX_MEMORY`, and `\\C` (one
byte, which would split a character of the UTF-8 text RE2 searches) make `compile_regex` answer
None; MATCHES is then false. The length limits on patterns and inputs (200 and 10,000
characters) are the callers' (`rules._conditions`, the trigger filters).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import re2
from re2 import _re2

# RE2's memory budget per compiled pattern: about two thirds for the program, the rest for the
# lazily built DFA. 1 MiB refuses the few 200-character patterns whose program is huge (such as
# `\pL{1000}` or twelve `.{1000}`) and bounds what the 256 cached patterns can hold.
MAX_MEMORY: Final = 1 << 20
_CACHE_SIZE: Final = 256

_UNANCHORED: Final = _re2.RE2.Anchor.UNANCHORED


def _options() -> re2.Options:
    options = re2.Options()
    options.max_mem = MAX_MEMORY
    options.log_errors = False  # a tenant's invalid pattern is an answer (None), not a log line
    options.never_capture = True  # only "does it match" is asked; no submatch bookkeeping
    return options


_OPTIONS: Final = _options()


def _encode(text: str) -> bytes:
    # A JSON payload may carry a lone surrogate; RE2's `.` still matches it as one character.
    return text.encode("utf-8", "surrogatepass")


def _uses_single_byte_escape(pattern: str) -> bool:
    """Whether `pattern` has a `\\C` escape outside `\\Q...\\E` (RE2 refuses it inside brackets)."""
    i, n = 0, len(pattern)
    while i < n:
        if pattern[i] != "\\":
            i += 1
            continue
        escaped = pattern[i + 1:i + 2]
        if escaped == "C":
            return True
        if escaped == "Q":
            end = pattern.find("\\E", i + 2)
            i = n if end < 0 else end + 2
        else:
            i += 2
    return False


class LinearRegex:
    """A compiled pattern; `search(text)` answers whether it matches anywhere in `text`."""

    __slots__ = ("_match",)

    def __init__(self, compiled: _re2.RE2) -> None:
        # The binding's `Match` without the `re`-style wrapper: that wrapper builds a match object
        # and decodes offsets on every call, five times the cost of the search itself on short text.
        self._match = compiled.Match

    def search(self, text: str) -> bool:
        encoded = _encode(text)
        return bool(self._match(_UNANCHORED, encoded, 0, len(encoded))[0][0] >= 0)


@lru_cache(maxsize=_CACHE_SIZE)
def compile_regex(pattern: str) -> LinearRegex | None:
    """The compiled pattern, or None when it is invalid or unsupported (cached like the reference)."""
    if _uses_single_byte_escape(pattern):
        return None
    try:
        compiled = _re2.RE2(_encode(pattern), _OPTIONS)
    except _re2.Error:
        return None
    return LinearRegex(compiled) if compiled.ok() else None
