"""Durations and timestamps as the machine reads and writes them."""

from __future__ import annotations

from datetime import datetime, timedelta

from definitions import add_duration
from engine import _state as st


def ms(delta: timedelta) -> int:
    """Whole milliseconds, never negative."""
    return max(0, int(delta.total_seconds() * 1000))


def js_iso(moment: datetime) -> str:
    """`Date.prototype.toISOString()`, as the API writes timestamps inside JSON data."""
    return st.js_iso(moment) or ""


def duration_ms(text: str | None, now: datetime) -> int | None:
    """An ISO 8601 / simple duration, or a number of milliseconds, in ms (None when absent or unusable)."""
    if not text:
        return None
    text = text.strip()
    if text.isdigit():
        return int(text) or None
    try:
        return ms(add_duration(now, text) - now) or None
    except ValueError:
        return None
