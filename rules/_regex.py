"""A linear-time regular expression matcher with RE2 syntax, for the MATCHES operator.

Python's `re` backtracks, so a tenant's pattern such as `a*a*a*a*b` could pin a CPU for hours
on a 10,000-character input, and no pre-check catches every such pattern. The reference uses
RE2 (linear time). This module parses the RE2 syntax and runs a Thompson NFA through a lazily
built DFA, so matching costs O(len(text) x len(program)) in the worst case and one dict lookup
per character once the DFA states are warm. Only "does it match anywhere" is needed (no
captures), which keeps the automaton small.

Unsupported RE2 constructs (Unicode script classes such as `\\p{Greek}`) and constructs RE2
itself rejects (backreferences, lookaround, possessive quantifiers) make the pattern invalid;
MATCHES then answers false, as the reference does for invalid patterns.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Final

Pred = Callable[[str], bool]

MAX_REPEAT: Final = 1000  # RE2's limit on {n,m}
MAX_PROGRAM: Final = 2000  # instructions; bounds the per-character worst case
MAX_WORK: Final = 3_000_000  # NFA steps spent building DFA states for one search
_CACHE_LIMIT: Final = 4096


class RegexError(ValueError):
    """The pattern is not valid RE2 syntax, or uses a feature this engine refuses."""


# --- character classes ---------------------------------------------------------------------

_WORD: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_DIGIT: Final = frozenset("0123456789")
_SPACE: Final = frozenset("\t\n\f\r ")  # RE2's \s (no \v)

_POSIX: Final[dict[str, Pred]] = {
    "alnum": lambda c: c.isascii() and c.isalnum(),
    "alpha": lambda c: c.isascii() and c.isalpha(),
    "ascii": lambda c: c.isascii(),
    "blank": lambda c: c in " \t",
    "cntrl": lambda c: ord(c) < 32 or ord(c) == 127,
    "digit": lambda c: c in _DIGIT,
    "graph": lambda c: 33 <= ord(c) <= 126,
    "lower": lambda c: "a" <= c <= "z",
    "print": lambda c: 32 <= ord(c) <= 126,
    "punct": lambda c: 33 <= ord(c) <= 126 and not c.isalnum(),
    "space": lambda c: c in " \t\n\r\f\v",
    "upper": lambda c: "A" <= c <= "Z",
    "word": lambda c: c in _WORD,
    "xdigit": lambda c: c in _DIGIT or "a" <= c.lower() <= "f",
}

_CATEGORIES: Final = frozenset(
    "C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs".split()
)


def _unicode_class(name: str) -> Pred:
    if name == "Any":
        return lambda c: True
    if name not in _CATEGORIES:
        raise RegexError(f"unsupported Unicode class: {name}")
    if len(name) == 1:
        return lambda c: unicodedata.category(c)[0] == name
    return lambda c: unicodedata.category(c) == name


def _negate(pred: Pred) -> Pred:
    return lambda c: not pred(c)


def _fold(pred: Pred) -> Pred:
    def folded(c: str) -> bool:
        if pred(c):
            return True
        lo, up = c.lower(), c.upper()
        return (len(lo) == 1 and pred(lo)) or (len(up) == 1 and pred(up))

    return folded


def _literal(ch: str, ignore_case: bool) -> Pred:
    if not ignore_case or ch.lower() == ch.upper():
        return ch.__eq__
    variants = frozenset(v for v in (ch, ch.lower(), ch.upper(), ch.casefold()) if len(v) == 1)
    return lambda c: c in variants or c.lower() in variants or c.upper() in variants


# --- parser --------------------------------------------------------------------------------
# AST: ("char", pred) | ("cat", [nodes]) | ("alt", [nodes]) | ("rep", node, min, max|None)
#      | ("assert", kind) | ("empty",)

Node = tuple
_BEGIN_TEXT, _END_TEXT, _BEGIN_LINE, _END_LINE, _WORD_B, _NOT_WORD_B = 1, 2, 4, 8, 16, 32

_SIMPLE_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0

    def parse(self) -> Node:
        node = self._alternation({"i": False, "m": False, "s": False})
        if self.i < len(self.p):
            raise RegexError("unexpected )")
        return node

    def _peek(self) -> str:
        return self.p[self.i] if self.i < len(self.p) else ""

    def _alternation(self, flags: dict[str, bool]) -> Node:
        branches = [self._concat(flags)]
        while self._peek() == "|":
            self.i += 1
            branches.append(self._concat(flags))
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def _concat(self, flags: dict[str, bool]) -> Node:
        items: list[Node] = []
        while self.i < len(self.p) and self.p[self.i] not in "|)":
            atom = self._atom(flags)
            if atom is None:
                continue
            items.append(self._quantified(atom))
        if not items:
            return ("empty",)
        return items[0] if len(items) == 1 else ("cat", items)

    def _repeat_bounds(self) -> tuple[int, int | None, int] | None:
        """Parse `{n}`, `{n,}` or `{n,m}` at self.i without consuming; None if it is a literal brace."""
        j = self.i + 1
        start = j
        while j < len(self.p) and self.p[j].isdigit():
            j += 1
        if j == start:
            return None
        lo = int(self.p[start:j])
        hi: int | None = lo
        if j < len(self.p) and self.p[j] == ",":
            j += 1
            start = j
            while j < len(self.p) and self.p[j].isdigit():
                j += 1
            hi = int(self.p[start:j]) if j > start else None
        if j >= len(self.p) or self.p[j] != "}":
            return None
        return lo, hi, j + 1

    def _quantified(self, atom: Node) -> Node:
        quantified = False
        while self.i < len(self.p):
            c = self.p[self.i]
            if c in "*+?":
                lo, hi, end = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c] + (self.i + 1,)
            elif c == "{":
                bounds = self._repeat_bounds()
                if bounds is None:
                    break
                lo, hi, end = bounds
                if lo > MAX_REPEAT or (hi is not None and (hi > MAX_REPEAT or hi < lo)):
                    raise RegexError("invalid repeat count")
            else:
                break
            if quantified:
                raise RegexError("invalid nested repetition operator")
            quantified = True
            self.i = end
            if self._peek() == "?":  # lazy: irrelevant for a yes/no answer
                self.i += 1
            atom = ("rep", atom, lo, hi)
        return atom

    def _atom(self, flags: dict[str, bool]) -> Node | None:
        c = self.p[self.i]
        if c == "(":
            return self._group(flags)
        if c == "[":
            return ("char", self._class(flags))
        if c in "*+?":
            raise RegexError("missing argument to repetition operator")
        if c == "{" and self._repeat_bounds() is not None:
            raise RegexError("missing argument to repetition operator")
        self.i += 1
        if c == ".":
            return ("char", (lambda ch: True) if flags["s"] else (lambda ch: ch != "\n"))
        if c == "^":
            return ("assert", _BEGIN_LINE if flags["m"] else _BEGIN_TEXT)
        if c == "$":
            return ("assert", _END_LINE if flags["m"] else _END_TEXT)
        if c == "\\":
            return self._escape(flags)
        return ("char", _literal(c, flags["i"]))

    def _group(self, flags: dict[str, bool]) -> Node | None:
        self.i += 1
        inner = dict(flags)
        if self._peek() == "?":
            self.i += 1
            rest = self.p[self.i:]
            if rest.startswith(("=", "!", "<=", "<!", ">")):
                raise RegexError("lookaround and atomic groups are not supported")
            if rest.startswith(("P<", "<")):
                close = self.p.find(">", self.i)
                name = self.p[self.i + (2 if rest.startswith("P") else 1):close] if close > 0 else ""
                if not name or not all(ch.isalnum() or ch == "_" for ch in name):
                    raise RegexError("invalid named capture")
                self.i = close + 1
            else:
                negate = False
                seen = False
                while True:
                    ch = self._peek()
                    if ch in ("i", "m", "s", "U"):
                        seen = True
                        if ch != "U":
                            inner[ch] = not negate
                        self.i += 1
                    elif ch == "-" and not negate:
                        negate = True
                        self.i += 1
                    elif ch == ")" and seen:
                        # `(?i)` changes the flags for the rest of the enclosing group
                        self.i += 1
                        flags.update(inner)
                        return None
                    elif ch == ":":
                        self.i += 1
                        break
                    else:
                        raise RegexError("invalid or unsupported Perl syntax")
        node = self._alternation(inner)
        if self._peek() != ")":
            raise RegexError("missing closing )")
        self.i += 1
        return node

    def _escape(self, flags: dict[str, bool]) -> Node:
        if self.i >= len(self.p):
            raise RegexError("trailing backslash at end of expression")
        c = self.p[self.i]
        self.i += 1
        if c == "b":
            return ("assert", _WORD_B)
        if c == "B":
            return ("assert", _NOT_WORD_B)
        if c == "A":
            return ("assert", _BEGIN_TEXT)
        if c == "z":
            return ("assert", _END_TEXT)
        if c == "Q":
            end = self.p.find("\\E", self.i)
            text = self.p[self.i:] if end < 0 else self.p[self.i:end]
            self.i = len(self.p) if end < 0 else end + 2
            if not text:
                return ("empty",)
            nodes: list[Node] = [("char", _literal(ch, flags["i"])) for ch in text]
            return nodes[0] if len(nodes) == 1 else ("cat", nodes)
        self.i -= 1
        pred = self._class_escape(flags)
        return ("char", pred)

    def _class_escape(self, flags: dict[str, bool]) -> Pred:
        """An escape valid both inside and outside brackets, at self.i (just after the backslash)."""
        c = self.p[self.i]
        self.i += 1
        if c in "dDwWsS":
            base = {"d": _DIGIT, "w": _WORD, "s": _SPACE}[c.lower()]
            pred: Pred = base.__contains__
            if flags["i"] and c.lower() == "w":
                pred = _fold(pred)
            return _negate(pred) if c.isupper() else pred
        if c in "pP":
            if self._peek() == "{":
                end = self.p.find("}", self.i)
                if end < 0:
                    raise RegexError("invalid character class range")
                name = self.p[self.i + 1:end]
                self.i = end + 1
            else:
                name = self._peek()
                self.i += 1
            negate = c == "P"
            if name.startswith("^"):
                name, negate = name[1:], not negate
            pred = _unicode_class(name)
            return _negate(pred) if negate else pred
        return _literal(self._escaped_char(c), flags["i"])

    def _escaped_char(self, c: str) -> str:
        if c in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[c]
        if c == "x":
            if self._peek() == "{":
                end = self.p.find("}", self.i)
                digits = self.p[self.i + 1:end] if end > 0 else ""
                self.i = end + 1
            else:
                digits = self.p[self.i:self.i + 2]
                self.i += 2
            try:
                code = int(digits, 16)
                if len(digits) == 0 or code > 0x10FFFF:
                    raise ValueError
                return chr(code)
            except ValueError:
                raise RegexError("invalid escape sequence") from None
        if c in "01234567":
            # RE2: \0 and multi-digit octal are characters; a lone \1-\7 would be a backreference
            j = self.i
            while j < len(self.p) and j < self.i + 2 and self.p[j] in "01234567":
                j += 1
            if c != "0" and j == self.i:
                raise RegexError("backreferences are not supported")
            code = int(c + self.p[self.i:j], 8)
            self.i = j
            return chr(code)
        if c.isascii() and not c.isalnum():
            return c
        raise RegexError(f"invalid escape sequence: \\{c}")

    def _class(self, flags: dict[str, bool]) -> Pred:
        self.i += 1
        negate = self._peek() == "^"
        if negate:
            self.i += 1
        ranges: list[tuple[int, int]] = []
        preds: list[Pred] = []
        first = True
        while True:
            if self.i >= len(self.p):
                raise RegexError("missing closing ]")
            c = self.p[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if self.p.startswith("[:", self.i):
                end = self.p.find(":]", self.i + 2)
                if end > 0:
                    name = self.p[self.i + 2:end]
                    neg = name.startswith("^")
                    name = name.lstrip("^")
                    if name not in _POSIX:
                        raise RegexError("invalid character class range")
                    preds.append(_negate(_POSIX[name]) if neg else _POSIX[name])
                    self.i = end + 2
                    continue
            lo_char = self._class_char(flags, preds)
            if lo_char is None:
                continue
            if self._peek() == "-" and self.i + 1 < len(self.p) and self.p[self.i + 1] != "]":
                self.i += 1
                hi_char = self._class_char(flags, preds)
                if hi_char is None or ord(hi_char) < ord(lo_char):
                    raise RegexError("invalid character class range")
                ranges.append((ord(lo_char), ord(hi_char)))
            else:
                ranges.append((ord(lo_char), ord(lo_char)))

        frozen_ranges = tuple(ranges)
        frozen_preds = tuple(preds)

        def in_class(ch: str) -> bool:
            o = ord(ch)
            for lo, hi in frozen_ranges:
                if lo <= o <= hi:
                    return True
            return any(p(ch) for p in frozen_preds)

        pred: Pred = _fold(in_class) if flags["i"] else in_class
        return _negate(pred) if negate else pred

    def _class_char(self, flags: dict[str, bool], preds: list[Pred]) -> str | None:
        """One member of a bracket class: a character, or None after adding a class escape."""
        c = self.p[self.i]
        self.i += 1
        if c != "\\":
            return c
        if self.i >= len(self.p):
            raise RegexError("missing closing ]")
        e = self.p[self.i]
        if e in "dDwWsSpP":
            preds.append(self._class_escape(flags))
            return None
        self.i += 1
        return self._escaped_char(e)


# --- compiler: Thompson NFA ----------------------------------------------------------------

_CHAR, _SPLIT, _EMPTY, _ASSERT, _MATCH = range(5)


class _Program:
    def __init__(self) -> None:
        self.op: list[int] = []
        self.arg: list[object] = []
        self.out: list[int] = []
        self.out1: list[int] = []

    def emit(self, op: int, arg: object = None, out: int = -1, out1: int = -1) -> int:
        if len(self.op) >= MAX_PROGRAM:
            raise RegexError("pattern too large")
        self.op.append(op)
        self.arg.append(arg)
        self.out.append(out)
        self.out1.append(out1)
        return len(self.op) - 1

    def compile(self, node: Node, nxt: int) -> int:
        kind = node[0]
        if kind == "char":
            return self.emit(_CHAR, node[1], nxt)
        if kind == "empty":
            return nxt
        if kind == "assert":
            return self.emit(_ASSERT, node[1], nxt)
        if kind == "cat":
            for child in reversed(node[1]):
                nxt = self.compile(child, nxt)
            return nxt
        if kind == "alt":
            starts = [self.compile(child, nxt) for child in node[1]]
            start = starts[-1]
            for s in reversed(starts[:-1]):
                start = self.emit(_SPLIT, None, s, start)
            return start
        _, body, lo, hi = node
        if hi is None:
            loop = self.emit(_SPLIT, None, -1, nxt)
            entry = self.out[loop] = self.compile(body, loop)
            if lo == 0:
                return loop  # x*
            for _ in range(lo - 1):  # x{n,} = x{n-1} x+
                entry = self.compile(body, entry)
            return entry
        tail = nxt
        for _ in range(hi - lo):  # x{n,m} = x{n} (x (x ...)?)?
            tail = self.emit(_SPLIT, None, self.compile(body, tail), nxt)
        for _ in range(lo):
            tail = self.compile(body, tail)
        return tail


class _WorkBudgetExceeded(Exception):
    pass


class LinearRegex:
    """A compiled pattern; `search(text)` answers whether it matches anywhere in `text`."""

    def __init__(self, pattern: str) -> None:
        prog = _Program()
        match = prog.emit(_MATCH)
        tree = _Parser(pattern).parse()
        self._start = prog.compile(tree, match)
        # `^...` (no multiline): a match can only start at position 0, so once no thread is
        # alive the search is over instead of retrying at every later position.
        first = tree[1][0] if tree[0] == "cat" else tree
        self._anchored = first == ("assert", _BEGIN_TEXT)
        self._op = prog.op
        self._arg = prog.arg
        self._out = prog.out
        self._out1 = prog.out1
        self._uses_context = _ASSERT in prog.op
        self._closures: dict[tuple[frozenset[int], int], tuple[frozenset[int], bool]] = {}
        self._steps: dict[tuple[frozenset[int], str], frozenset[int]] = {}

    def _closure(self, core: frozenset[int], ctx: int, budget: list[int]) -> tuple[frozenset[int], bool]:
        op, out, out1, arg = self._op, self._out, self._out1, self._arg
        stack = [*core, self._start] if not self._anchored or ctx & _BEGIN_TEXT else list(core)
        seen: set[int] = set()
        consumers: list[int] = []
        matched = False
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            kind = op[pc]
            if kind == _CHAR:
                consumers.append(pc)
            elif kind == _SPLIT:
                stack.append(out1[pc])
                stack.append(out[pc])
            elif kind == _ASSERT:
                flag = arg[pc]
                assert isinstance(flag, int)
                if flag == _NOT_WORD_B:
                    if not ctx & _WORD_B:
                        stack.append(out[pc])
                elif ctx & flag:
                    stack.append(out[pc])
            elif kind == _EMPTY:
                stack.append(out[pc])
            else:
                matched = True
        budget[0] -= len(seen) + 1
        if budget[0] < 0:
            raise _WorkBudgetExceeded
        return frozenset(consumers), matched

    def _step(self, consumers: frozenset[int], ch: str, budget: list[int]) -> frozenset[int]:
        arg, out = self._arg, self._out
        budget[0] -= len(consumers) + 1
        if budget[0] < 0:
            raise _WorkBudgetExceeded
        return frozenset(out[pc] for pc in consumers if arg[pc](ch))  # type: ignore[operator]

    def search(self, text: str) -> bool:
        closures, steps = self._closures, self._steps
        if len(closures) > _CACHE_LIMIT or len(steps) > _CACHE_LIMIT:
            closures.clear()
            steps.clear()
        budget = [MAX_WORK]
        core: frozenset[int] = frozenset()
        n = len(text)
        uses_context = self._uses_context
        anchored = self._anchored
        prev = ""
        try:
            for i in range(n + 1):
                ctx = 0
                if uses_context:
                    nxt = text[i] if i < n else ""
                    if i == 0:
                        ctx |= _BEGIN_TEXT | _BEGIN_LINE
                    elif prev == "\n":
                        ctx |= _BEGIN_LINE
                    if i == n:
                        ctx |= _END_TEXT | _END_LINE
                    elif nxt == "\n":
                        ctx |= _END_LINE
                    if (prev in _WORD) != (nxt in _WORD):
                        ctx |= _WORD_B
                if anchored and i > 0 and not core:
                    return False
                key = (core, ctx)
                closed = closures.get(key)
                if closed is None:
                    closed = closures[key] = self._closure(core, ctx, budget)
                consumers, matched = closed
                if matched:
                    return True
                if i == n:
                    return False
                prev = text[i]
                step_key = (consumers, prev)
                nxt_core = steps.get(step_key)
                if nxt_core is None:
                    nxt_core = steps[step_key] = self._step(consumers, prev, budget)
                core = nxt_core
        except _WorkBudgetExceeded:
            # Only reachable with inputs that defeat the DFA cache on a large program; refusing
            # keeps the cost of one evaluation bounded.
            return False
        return False


@lru_cache(maxsize=256)
def compile_regex(pattern: str) -> LinearRegex | None:
    """The compiled pattern, or None when it is invalid or unsupported (cached like the reference)."""
    try:
        return LinearRegex(pattern)
    except (RegexError, RecursionError):
        return None
