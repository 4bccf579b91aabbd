"""What the database would refuse, refused before it is asked: every row a session flushes is checked
against its columns (text longer than the column, NUL in text, integers outside the column's range). A
refusal is a 400 in the error shape and, raised inside the request's transaction, stores nothing; without
it, SQLite would store the value and PostgreSQL would fail the request with a 500 (docs/security.md)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Integer, SmallInteger, String, event, inspect
from sqlalchemy.orm import Mapper, Session, UOWTransaction

from api.casing import camel
from api.errors import BadRequest

_RANGES = ((SmallInteger, 2**15), (BigInteger, 2**63), (Integer, 2**31))  # subclasses first


def _int_bound(column_type: Any) -> int | None:
    for kind, bound in _RANGES:
        if isinstance(column_type, kind):
            return bound
    return None


@cache
def _limits(mapper: Mapper[Any]) -> tuple[tuple[str, int | None, int | None], ...]:
    """Per mapped class, once: (attribute, text length limit, integer bound) of each single-column attribute;
    flushes check every new and changed row, so this is not worked out per row."""
    out = []
    for attr in mapper.column_attrs:
        if len(attr.columns) != 1:
            continue
        column_type = attr.columns[0].type
        length = getattr(column_type, "length", None) if isinstance(column_type, String) else None
        out.append((attr.key, length, _int_bound(column_type)))
    return tuple(out)


def problems(obj: Any) -> list[dict[str, Any]]:
    """The column values of `obj` the database would refuse, as `{path, message, code}` issues."""
    state = inspect(obj)
    values = state.dict
    out: list[dict[str, Any]] = []
    for key, length, bound in _limits(state.mapper):
        if key not in values:
            continue
        value = values[key]
        if isinstance(value, str):
            if "\x00" in value:
                out.append({"path": [camel(key)], "message": "Text may not contain NUL characters",
                            "code": "nul_character"})
            if length is not None and len(value) > length:
                out.append({"path": [camel(key)], "message": f"String must contain at most {length} character(s)",
                            "code": "too_big"})
        elif isinstance(value, int) and not isinstance(value, bool) and bound is not None \
                and not -bound <= value < bound:
            out.append({"path": [camel(key)], "message": f"Number must be between {-bound} and {bound - 1}",
                        "code": "too_big"})
    return out


def _check(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    found: list[dict[str, Any]] = []
    for obj in (*session.new, *session.dirty):
        found.extend(problems(obj))
    if found:
        raise BadRequest("Invalid input", found)


def install() -> None:
    """Checks every flush of every session of this process (called by `create_app`, once)."""
    if not event.contains(Session, "before_flush", _check):
        event.listen(Session, "before_flush", _check)
