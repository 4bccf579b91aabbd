"""Availability as RFC 5545 recurrence, pure: parse a stored rule, expand it over a range, and combine
a subject's rules into concrete windows (no database, no clock). See docs/booking.md.

A stored rule is iCalendar content lines::

    DTSTART;TZID=Europe/Warsaw:20260302T090000
    DURATION:PT8H
    RRULE:FREQ=WEEKLY;BYDAY=MO

`DTSTART` may also be UTC (`...Z`, as the reference writes it), floating (read in the rule's time
zone) or a date (an all-day rule). `DURATION` is the length of each occurrence (one hour, or one day
for a date, when absent); `RRULE`, `RDATE` and `EXDATE` lines are handed to dateutil's `rrulestr`
as they are. Occurrences are generated in the rule's time zone, so a 09:00 window stays 09:00 local
on both sides of a daylight-saving change; a local time that does not exist (02:30 on the spring
change) takes the offset before the gap, as RFC 5545 says."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr
from icalendar.parser import Contentline
from icalendar.prop import vDDDTypes, vDuration

KINDS = ("availability", "unavailability")
# Frequencies finer than this would make any range expand into hundreds of thousands of occurrences.
TOO_FINE = ("SECONDLY", "MINUTELY")


class RuleError(ValueError):
    """A rule that cannot be read: `field` names the offending request field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


class TooManyOccurrences(ValueError):
    """Expanding the rules would exceed the configured number of occurrences."""


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (`Europe/Warsaw`), or a `RuleError` on `timezone`."""
    try:
        if not name or name != name.strip():
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise RuleError("timezone", f"Unknown time zone: {name}") from None


@dataclass(frozen=True)
class Parsed:
    """One rule, read once: its recurrence (dateutil), occurrence length and whether it is a one-off."""

    zone: ZoneInfo
    start: datetime  # aware, in `zone`
    days: int  # nominal days of the duration (wall-clock: a day across a DST change is 23 or 25 h)
    seconds: float  # exact seconds of the duration
    recurrence: Any  # a dateutil rrule (alone) or rruleset; None: the single occurrence at `start`
    once: bool  # a date-specific rule (no recurrence, or COUNT=1)
    # The occurrences of a finite rule that has only a few (a date-specific one), expanded once.
    expanded: tuple[datetime, ...] | None = None


@dataclass(frozen=True)
class Rule:
    """A stored rule as the expander needs it."""

    id: str
    rrule: str
    timezone: str
    kind: str = "availability"
    exdates: Sequence[str] = ()


class Window(NamedTuple):
    """A tuple, not a dataclass: a query makes thousands of them."""

    start: datetime  # UTC
    end: datetime  # UTC
    kind: str = "availability"
    rule_id: str | None = None


class Budget:
    """Occurrences left to expand in one query (shared by all its rules)."""

    __slots__ = ("left", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise TooManyOccurrences(f"Expanding the rules exceeds {self.limit} occurrences; query a shorter range")


def _dtstart(value: str, params: Any, tz: ZoneInfo) -> tuple[datetime, bool]:
    """DTSTART as an aware datetime in the rule's zone, and whether it was a date."""
    try:
        parsed = vDDDTypes.from_ical(value, timezone=params.get("TZID"))
    except Exception:  # noqa: BLE001 - icalendar raises several types for one bad value
        raise RuleError("rrule", f"Invalid DTSTART: {value}") from None
    if isinstance(parsed, datetime):
        return (parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed.astimezone(tz)), False
    if isinstance(parsed, date):
        return datetime.combine(parsed, time(0, 0), tzinfo=tz), True
    raise RuleError("rrule", f"Invalid DTSTART: {value}")


@lru_cache(maxsize=8192)
def parse(text: str, timezone: str) -> Parsed:
    """A stored rule read once (cached by its text: rules are rewritten, never edited in place)."""
    tz = zone(timezone)
    if not isinstance(text, str) or not text.strip():
        raise RuleError("rrule", "Rule is empty")
    start: datetime | None = None
    all_day = False
    duration: timedelta | None = None
    rest: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        name = line.split(":", 1)[0].split(";", 1)[0].upper()
        if name == "DTSTART":
            try:
                _, params, value = Contentline(line).parts()
            except Exception:  # noqa: BLE001
                raise RuleError("rrule", f"Invalid DTSTART line: {line}") from None
            start, all_day = _dtstart(value, params, tz)
        elif name == "DURATION":
            try:
                found = vDuration.from_ical(line.split(":", 1)[1].strip())
            except Exception:  # noqa: BLE001
                raise RuleError("rrule", f"Invalid DURATION: {line}") from None
            if not isinstance(found, timedelta) or found <= timedelta(0):
                raise RuleError("rrule", "DURATION must be positive")
            duration = found
        elif name in ("RRULE", "RDATE", "EXDATE", "EXRULE"):
            rest.append(line)
        elif ":" not in line and "=" in line and name.startswith("FREQ"):
            rest.append(f"RRULE:{line}")  # a bare `FREQ=...` value
        else:
            raise RuleError("rrule", f"Unsupported line in rule: {line}")
    if start is None:
        raise RuleError("rrule", "Rule needs a DTSTART")
    if duration is None:
        duration = timedelta(days=1) if all_day else timedelta(hours=1)
    recurrence: Any = None
    once = True
    expanded: tuple[datetime, ...] | None = (start,)
    if rest:
        body = "\n".join(rest).upper()
        if any(f"FREQ={f}" in body for f in TOO_FINE):
            raise RuleError("rrule", "Frequencies finer than HOURLY are not supported")
        try:
            recurrence = rrulestr("\n".join(rest), dtstart=start, forceset=True)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise RuleError("rrule", f"Invalid RRULE: {exc}") from None
        rules = getattr(recurrence, "_rrule", [])
        extra = getattr(recurrence, "_rdate", []) or getattr(recurrence, "_exdate", []) or \
            getattr(recurrence, "_exrule", [])
        once = len(rules) == 1 and getattr(rules[0], "_count", None) == 1 and not getattr(recurrence, "_rdate", [])
        if len(rules) == 1 and not extra:
            recurrence = rules[0]  # a lone RRULE iterates faster without the set's heap
        expanded = None
        count = getattr(rules[0], "_count", None) if len(rules) == 1 else None
        if count is not None and count <= 64:
            expanded = tuple(recurrence)
    return Parsed(zone=tz, start=start, days=duration.days, seconds=duration.seconds + duration.microseconds / 1e6,
                  recurrence=recurrence, once=once, expanded=expanded)


def validate(text: str, timezone: str, exdates: Iterable[str] = ()) -> None:
    """Refuses (`RuleError`) what `expand` could not read."""
    parse(text, timezone)
    for index, value in enumerate(exdates):
        if _exdate(value) is None:
            raise RuleError(f"exdates.{index}", f"Invalid ISO date: {value}")


def _exdate(value: Any) -> date | datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
        found = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


@lru_cache(maxsize=4096)
def _exclusions(exdates: tuple[str, ...]) -> tuple[frozenset[date], frozenset[datetime]]:
    days: set[date] = set()
    instants: set[datetime] = set()
    for value in exdates:
        found = _exdate(value)
        if isinstance(found, datetime):
            instants.add(found.astimezone(UTC))
        elif isinstance(found, date):
            days.add(found)
    return frozenset(days), frozenset(instants)


def occurrences(rule: Rule, start: datetime, end: datetime, budget: Budget) -> list[Window]:
    """The rule's occurrences overlapping [start, end) (UTC), exdates removed."""
    parsed = parse(rule.rrule, rule.timezone)
    excluded_days, excluded_at = _exclusions(tuple(rule.exdates)) if rule.exdates else (frozenset(), frozenset())
    length = timedelta(days=parsed.days, seconds=parsed.seconds) + timedelta(hours=2)  # DST slack
    out: list[Window] = []
    # Stepping from DTSTART (not `between`) so every occurrence passed over counts against the budget.
    candidates: Iterable[datetime] = parsed.expanded if parsed.expanded is not None else parsed.recurrence
    earliest = start - length
    days, seconds = timedelta(days=parsed.days), timedelta(seconds=parsed.seconds)
    kind, rule_id = rule.kind, rule.id
    for occurrence in candidates:
        budget.spend()
        if occurrence < earliest:
            continue
        if occurrence >= end:
            break
        utc_start = occurrence.astimezone(UTC)
        # Nominal days on the wall clock (a day across a DST change is 23 or 25 h), then exact seconds.
        utc_end = ((occurrence + days).astimezone(UTC) if parsed.days else utc_start) + seconds
        if utc_end <= start:
            continue
        if (excluded_days and occurrence.date() in excluded_days) or (excluded_at and utc_start in excluded_at):
            continue
        out.append(Window(utc_start, utc_end, kind, rule_id))
    return out


_SPAN = itemgetter(0, 1)  # (start, end) of a Window


def merge(windows: Iterable[Window]) -> list[Window]:
    """Overlapping or touching windows joined, in order."""
    out: list[Window] = []
    for w in sorted(windows, key=_SPAN):
        if out and w.start <= out[-1].end:
            if w.end > out[-1].end:
                out[-1] = out[-1]._replace(end=w.end)
        else:
            out.append(w)
    return out


def subtract(available: list[Window], blocked: list[Window]) -> list[Window]:
    """`available` minus `blocked` (both merged and sorted): one sweep."""
    out: list[Window] = []
    j = 0
    for w in available:
        start = w.start
        while j < len(blocked) and blocked[j].end <= start:
            j += 1
        k = j
        while k < len(blocked) and blocked[k].start < w.end:
            b = blocked[k]
            if b.start > start:
                out.append(Window(start, b.start, w.kind))
            start = max(start, b.end)
            k += 1
        if start < w.end:
            out.append(Window(start, w.end, w.kind))
    return out


def windows(rules: Sequence[Rule], start: datetime, end: datetime, *, max_occurrences: int) -> list[Window]:
    """A subject's free windows in [start, end): recurring availability, except on the local dates that
    have date-specific availability (those dates use their own windows instead), minus every
    unavailability and exdate, merged and clipped to the range."""
    budget = Budget(max_occurrences)
    parsed = [parse(rule.rrule, rule.timezone) for rule in rules]
    # Dates with date-specific availability, each in its rule's zone; a recurring window is dropped when
    # it starts on such a date in its own zone (subjects keep their rules in one zone).
    overridden = {p.start.date() for rule, p in zip(rules, parsed, strict=True)
                  if p.once and rule.kind != "unavailability"}
    available: list[Window] = []
    blocked: list[Window] = []
    for rule, p in zip(rules, parsed, strict=True):
        found = occurrences(rule, start, end, budget)
        if rule.kind == "unavailability":
            blocked.extend(found)
        elif overridden and not p.once:
            zone_of = p.zone
            available.extend(w for w in found if w.start.astimezone(zone_of).date() not in overridden)
        else:
            available.extend(found)
    free = subtract(merge(available), merge(blocked))
    # Only the first and the last window can stick out of the range.
    if free and free[0].start < start:
        free[0] = free[0]._replace(start=start)
    if free and free[-1].end > end:
        free[-1] = free[-1]._replace(end=end)
    return free


def clean_rule_text(text: str) -> str:
    """A rule as stored: one content line per line, no blank lines."""
    return "\n".join(line.strip() for line in text.replace("\r\n", "\n").replace("\\n", "\n").split("\n")
                     if line.strip())
