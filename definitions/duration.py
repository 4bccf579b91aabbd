"""Durations and datetimes as workflow definitions write them.

Two duration spellings are accepted everywhere a definition takes a duration:

- ISO 8601: ``P[nY][nM][nW][nD][T[nH][nM][nS]]``, e.g. ``PT30M``, ``P1DT2H``, ``P2W``, ``P1M``; the last
  component may carry a decimal fraction (``PT1.5H``, ``PT0,5S``).
- The reference platform's short form: ``<n>d``, ``<n>h``, ``<n>m`` or ``<n>s`` (``5m``, ``3d``).

The reference only knew days, hours, minutes and seconds; full ISO 8601 is accepted here, so years,
months and weeks are too. Years and months have no fixed length, so they are applied
with calendar arithmetic (:func:`add_duration`) and refused by :func:`parse_duration`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "DURATION_ERROR",
    "DurationParts",
    "add_duration",
    "is_valid_duration",
    "parse_duration",
    "parse_duration_parts",
    "parse_iso_datetime",
]

DURATION_ERROR = "Invalid duration. Use ISO 8601 (e.g., PT5M, PT1H, P1D) or simple format (5m, 1h, 3d)"

_NUM = r"(\d+(?:[.,]\d+)?)"
# The lookaheads refuse the designator-only forms "P", "PT" and "P1DT".
_ISO = re.compile(
    rf"^P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?$"
)
_SIMPLE = re.compile(r"^(\d+)([dhms])$")
_SIMPLE_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}

# Exposed for the JSON Schema so editors flag bad durations as the validator does.
DURATION_PATTERN = f"(?:{_ISO.pattern})|(?:{_SIMPLE.pattern})"


@dataclass(frozen=True)
class DurationParts:
    """A parsed duration. Years and months are calendar units; the rest are fixed lengths."""

    years: int = 0
    months: int = 0
    weeks: float = 0
    days: float = 0
    hours: float = 0
    minutes: float = 0
    seconds: float = 0

    @property
    def is_calendar(self) -> bool:
        return bool(self.years or self.months)

    @property
    def is_zero(self) -> bool:
        return not any((self.years, self.months, self.weeks, self.days, self.hours, self.minutes, self.seconds))

    def fixed(self) -> timedelta:
        """The fixed-length part (weeks and smaller) as a timedelta."""
        return timedelta(weeks=self.weeks, days=self.days, hours=self.hours, minutes=self.minutes,
                         seconds=self.seconds)


def parse_duration_parts(text: str) -> DurationParts:
    """Parse either spelling into its components; ``ValueError`` when it is neither."""
    if not isinstance(text, str):
        raise ValueError(f"Invalid duration format: {text!r}")
    # fullmatch, not match: `$` alone would let a trailing newline through.
    simple = _SIMPLE.fullmatch(text)
    if simple:
        return DurationParts(**{_SIMPLE_UNITS[simple.group(2)]: int(simple.group(1))})
    match = _ISO.fullmatch(text)
    if not match:
        raise ValueError(f"Invalid duration format: {text}")
    groups = match.groups()
    present = [i for i, g in enumerate(groups) if g is not None]
    # ISO 8601 allows a fraction on the lowest-order component only.
    if any(g is not None and ("." in g or "," in g) and i != present[-1] for i, g in enumerate(groups)):
        raise ValueError(f"Invalid duration format: {text} (only the last component may have a fraction)")

    def num(value: str | None) -> float:
        return float(value.replace(",", ".")) if value else 0.0

    years, months, weeks, days, hours, minutes, seconds = groups
    return DurationParts(years=int(years or 0), months=int(months or 0), weeks=num(weeks), days=num(days),
                         hours=num(hours), minutes=num(minutes), seconds=num(seconds))


def parse_duration(text: str) -> timedelta:
    """Parse a fixed-length duration (``PT30M``, ``P1DT2H``, ``P2W``, ``5m``) into a timedelta.

    Years and months raise ``ValueError``: they only have a length relative to a date, see
    :func:`add_duration`.
    """
    parts = parse_duration_parts(text)
    if parts.is_calendar:
        raise ValueError(f"Duration {text} uses years or months, which have no fixed length; use add_duration")
    return parts.fixed()


def add_duration(start: datetime, duration: str | DurationParts) -> datetime:
    """``start`` moved forward by ``duration``: years and months on the calendar (the day of month is
    clamped, so Jan 31 + P1M is Feb 28/29), the rest as elapsed time."""
    parts = parse_duration_parts(duration) if isinstance(duration, str) else duration
    result = start
    if parts.is_calendar:
        month_index = start.month - 1 + parts.months
        year = start.year + parts.years + month_index // 12
        month = month_index % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        result = start.replace(year=year, month=month, day=day)
    return result + parts.fixed()


def is_valid_duration(text: object) -> bool:
    """True when ``text`` parses and is longer than zero (the reference's rule for WAIT durations)."""
    if not isinstance(text, str) or not text:
        return False
    try:
        return not parse_duration_parts(text).is_zero
    except ValueError:
        return False


def parse_iso_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date or datetime; a value without an offset is taken as UTC.

    ``ValueError`` when ``text`` is not ISO 8601.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"Invalid ISO 8601 datetime: {text!r}")
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
