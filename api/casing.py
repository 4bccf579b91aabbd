"""Names and values on the wire: camelCase / snake_case keys and JSON-safe values."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jscompat import iso_string

_CAMEL = re.compile(r"_([a-z0-9])")
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def camel(name: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def snake(name: str) -> str:
    return _SNAKE.sub("_", name).lower()


def jsonable(value: Any) -> Any:
    """Datetimes and dates as ISO-8601, decimals as strings (exact), everything else unchanged."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def js_iso(value: datetime | None) -> str | None:
    """JavaScript's `toISOString()`; naive datetimes (SQLite) are UTC. None stays None."""
    return None if value is None else iso_string(value)
