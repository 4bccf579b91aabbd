"""List queries, once for every list of the API: the query-string parser (paging, sort, search, ids,
typed filters), the page fetch, the response envelopes and the OpenAPI parameters that describe them.

Values are parsed by the filtered column's type (integers, decimals, dates, instants, booleans), so a
declaration names a column and a kind, never a parser. Absent and empty parameters mean "not given"."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator

from api.casing import camel, snake
from api.errors import BadRequest

TRUE = frozenset({"true", "1", "yes", "on"})
FALSE = frozenset({"false", "0", "no", "off"})
_INTEGER = re.compile(r"\s*[+-]?\d+(\.0*)?\s*")
MAX_PAGE = 1_000_000
# The largest `offset` a list takes (lists paged by offset): beyond it a 400, not an overflow in the database.
MAX_OFFSET = 1_000_000_000
MAX_BIGINT = 2**63 - 1


# --- dialect and errors ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dialect:
    """How a list answers bad query strings. The platform's lists say `Invalid input` with zod-like
    details and refuse unknown sort fields; the business-rules lists answer every problem with one
    `Invalid query parameters`, sort unknown fields by their default and take only UUID ids.
    `invalid_delete_id`: a DELETE whose id is not a UUID is a 400 `Invalid <label> id` (auth's
    users and roles), not a 404. `aliases`: other names a list takes for its parameters, as
    `(alias, name)` pairs (`("sortBy", "sortField")`); the name itself wins when both are given."""

    error: str = "Invalid input"
    details: bool = True
    unknown_sort: Literal["error", "default"] = "error"
    uuid_ids: bool = False
    invalid_delete_id: bool = False
    aliases: tuple[tuple[str, str], ...] = ()

    def canonical(self, params: Mapping[str, str]) -> Mapping[str, str]:
        """The query string with each alias read as the parameter it stands for."""
        if not self.aliases:
            return params
        out = dict(params)
        for alias, name in self.aliases:
            value = out.pop(alias, None)
            if value and not out.get(name):
                out[name] = value
        return out

    def in_callers_words(self, error: BadRequest, params: Mapping[str, str]) -> BadRequest:
        """`error` (about the `canonical` query) naming the parameters as the caller sent them: a value that
        came in through an alias is reported under the alias."""
        sent = {name: alias for alias, name in self.aliases if params.get(alias) and not params.get(name)}
        for detail in error.details or ():
            path = detail.get("path") if isinstance(detail, dict) else None
            if isinstance(path, list) and path and path[0] in sent:
                detail["path"] = [sent[path[0]], *path[1:]]
        return error

    def problem(self, name: str, message: str) -> BadRequest:
        if not self.details:
            return BadRequest(self.error)
        return BadRequest(self.error, [{"path": [name], "message": message}])


STRICT = Dialect()


def parse_bool(raw: str, name: str, dialect: Dialect = STRICT) -> bool:
    token = raw.strip().lower()
    if token in TRUE:
        return True
    if token in FALSE:
        return False
    raise dialect.problem(name, "Expected a boolean")


def parse_int(raw: str | None, name: str, default: int, lo: int, hi: int, dialect: Dialect = STRICT) -> int:
    if raw is None or raw == "":
        return default
    if not _INTEGER.fullmatch(raw):
        raise dialect.problem(name, "Expected a number")
    number = int(float(raw)) if "." in raw else int(raw)
    if number < lo or number > hi:
        raise dialect.problem(name, f"Must be between {lo} and {hi}")
    return number


def parse_instant(raw: str) -> datetime | None:
    """An ISO-8601 date or instant (a trailing `Z` allowed); naive values are UTC."""
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def like_pattern(text: str) -> str:
    """A case-insensitive `contains` pattern for LIKE with `\\` as the escape character."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def csv_values(raw: str) -> list[str]:
    return [v.strip() for v in raw.split(",") if v.strip()]


def _python_type(column: Any) -> type[Any] | None:
    kind: Any = getattr(column, "type", None)
    if isinstance(kind, TypeDecorator):
        kind = kind.impl
    try:
        found = kind.python_type
    except (NotImplementedError, AttributeError):
        return None
    return found if isinstance(found, type) else None


def typed(column: Any, raw: str, name: str, dialect: Dialect) -> Any:
    """A query-string value as the Python value `column` holds."""
    kind = _python_type(column)
    if kind is bool:
        return parse_bool(raw, name, dialect)
    if kind is int:
        if not _INTEGER.fullmatch(raw):
            raise dialect.problem(name, "Expected a number")
        whole = int(raw.split(".")[0])
        if abs(whole) > MAX_BIGINT:
            raise dialect.problem(name, "Number out of range")
        return whole
    if kind is float or kind is Decimal:
        try:
            number = Decimal(raw.strip())
        except InvalidOperation:
            raise dialect.problem(name, "Expected a number") from None
        if not number.is_finite():
            raise dialect.problem(name, "Expected a number")
        return number if kind is Decimal else float(number)
    if kind is datetime:
        instant = parse_instant(raw)
        if instant is None:
            raise dialect.problem(name, "Expected an ISO date")
        return instant
    if kind is date:
        try:
            return date.fromisoformat(raw.strip()[:10])
        except ValueError:
            raise dialect.problem(name, "Expected an ISO date") from None
    return raw


# --- filters -----------------------------------------------------------------------------------------

FilterKind = Literal["eq", "in", "contains", "prefix", "has", "gte", "lte", "tags", "untagged"]
Custom = Callable[[Select[Any], str], Select[Any]]


@dataclass(frozen=True)
class Filter:
    """One list query parameter mapped onto a column.

    eq: equal (typed by the column; `choices` limits the accepted values); in: comma-separated
    values; contains: case-insensitive substring; prefix: case-insensitive `…StartsWith`; has:
    presence (`true`: neither null nor empty, `false`: null or empty); gte / lte: the lower and upper
    bound of a numeric or date range; tags: rows carrying any of the comma-separated tag ids (the
    column is the row's id, matched against `tag_assignments` of `entity`); untagged: `true` keeps
    rows with no tag. `custom` takes over for anything else."""

    column: Any = None
    kind: FilterKind = "eq"
    description: str = ""
    choices: tuple[str, ...] = ()
    entity: str = ""
    custom: Custom | None = None

    @classmethod
    def eq(cls, column: Any, description: str = "", choices: Sequence[str] = ()) -> Filter:
        return cls(column, "eq", description, tuple(choices))

    @classmethod
    def uuid(cls, column: Any, description: str = "") -> Filter:
        """Equality with a value that must be a UUID (anything else is the dialect's 400)."""
        return cls(column, "eq", description, entity="uuid")

    @classmethod
    def any_of(cls, column: Any, description: str = "", choices: Sequence[str] = ()) -> Filter:
        return cls(column, "in", description, tuple(choices))

    @classmethod
    def contains(cls, column: Any, description: str = "") -> Filter:
        return cls(column, "contains", description)

    @classmethod
    def prefix(cls, column: Any, description: str = "") -> Filter:
        return cls(column, "prefix", description)

    @classmethod
    def has(cls, column: Any, description: str = "") -> Filter:
        return cls(column, "has", description)

    @classmethod
    def min(cls, column: Any, description: str = "") -> Filter:
        return cls(column, "gte", description)

    @classmethod
    def max(cls, column: Any, description: str = "") -> Filter:
        return cls(column, "lte", description)

    @classmethod
    def tags(cls, id_column: Any, entity: str, description: str = "") -> Filter:
        return cls(id_column, "tags", description or "Comma-separated tag ids (any of)", entity=entity)

    @classmethod
    def untagged(cls, id_column: Any, entity: str, description: str = "") -> Filter:
        return cls(id_column, "untagged", description or "true: only rows without tags", entity=entity)

    @classmethod
    def using(cls, apply: Custom, description: str = "") -> Filter:
        return cls(None, "eq", description, custom=apply)

    def openapi_type(self) -> str:
        if self.kind in ("has", "untagged"):
            return "boolean"
        kind = _python_type(self.column) if self.column is not None else None
        if kind is bool:
            return "boolean"
        if kind in (int, float, Decimal) and self.kind in ("eq", "gte", "lte"):
            return "number"
        return "string"

    def clause(self, name: str, raw: str, dialect: Dialect) -> ColumnElement[bool]:
        col = self.column
        match self.kind:
            case "in":
                values = csv_values(raw)
                if unknown := [v for v in values if self.choices and v not in self.choices]:
                    raise dialect.problem(name, f"Unknown {', '.join(unknown)}; expected {', '.join(self.choices)}")
                return col.in_([typed(col, v, name, dialect) for v in values])  # type: ignore[no-any-return]
            case "contains":
                return func.lower(col).like(like_pattern(raw), escape="\\")  # type: ignore[no-any-return]
            case "prefix":
                return func.lower(col).like(like_pattern(raw)[1:], escape="\\")  # type: ignore[no-any-return]
            case "has":
                # Empty text counts as absent; other types have no "empty" value but null.
                present = and_(col.is_not(None), col != "") if _python_type(col) is str else col.is_not(None)
                return present if parse_bool(raw, name, dialect) else ~present
            case "gte":
                return col >= typed(col, raw, name, dialect)  # type: ignore[no-any-return]
            case "lte":
                return col <= typed(col, raw, name, dialect)  # type: ignore[no-any-return]
            case "tags" | "untagged":
                from api.crud.tags import TagAssignment
                link = exists().where(TagAssignment.entity_type == self.entity, TagAssignment.entity_id == col)
                if self.kind == "tags":
                    return link.where(TagAssignment.tag_id.in_(csv_values(raw)))
                return ~link if parse_bool(raw, name, dialect) else link
            case _:
                if self.entity == "uuid" and not is_uuid(raw):
                    raise dialect.problem(name, "Expected a UUID")
                if self.choices and raw not in self.choices:
                    raise dialect.problem(name, f"Expected one of {', '.join(self.choices)}")
                return col == typed(col, raw, name, dialect)  # type: ignore[no-any-return]


# --- sort --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sort:
    """Sortable columns: each is reachable by its camelCase and snake_case names, `named` adds
    aliases (or columns of joined tables). Ties are broken by `tiebreak` (default: the row id)."""

    columns: tuple[InstrumentedAttribute[Any], ...] = ()
    default: Any = None
    direction: Literal["asc", "desc"] = "asc"
    named: Mapping[str, Any] = field(default_factory=dict)
    tiebreak: Any = None
    # "same": ties follow the sort direction (newest log first, then highest id first).
    tiebreak_direction: Literal["asc", "same"] = "asc"

    def names(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for col in self.columns:
            out[camel(col.key)] = col
            out[col.key] = col
        out.update(self.named)
        return out


# --- envelopes ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Envelope:
    """The shape of a list answer. `size` is the page-size parameter's (and key's) name. Besides the items
    and the counts, `keys` may name `ok` (always true) and `pagination` (the counts in an object of their
    own, `PAGINATION`)."""

    keys: tuple[str, ...]
    size: str = "pageSize"
    empty_total_pages: int = 0

    PAGED: ClassVar[Envelope]
    TOTAL: ClassVar[Envelope]
    LIMIT: ClassVar[Envelope]
    NESTED: ClassVar[Envelope]

    def wrap(self, items: list[dict[str, Any]], total: int, page: int, size: int) -> dict[str, Any]:
        counts = {"total": total, "page": page, self.size: size,
                  "totalPages": max(self.empty_total_pages, math.ceil(total / size) if total else 0)}
        values = {**counts, "items": items, "ok": True,
                  "pagination": {k: counts[self.size if k == "pageSize" else k] for k in PAGINATION}}
        return {k: values[k] for k in self.keys}


PAGINATION = ("page", "pageSize", "total", "totalPages")


Envelope.PAGED = Envelope(("items", "total", "page", "pageSize", "totalPages"))
# The reference documents `{items, total, totalPages}` for these lists but its factory sends page and
# pageSize too; clients may rely on either.
Envelope.TOTAL = Envelope(("items", "total", "page", "pageSize", "totalPages"))
Envelope.LIMIT = Envelope(("items", "total", "page", "limit", "totalPages"), size="limit")
# `{ok, items, pagination: {page, pageSize, total, totalPages}}`: the freight modules' lists.
Envelope.NESTED = Envelope(("ok", "items", "pagination"))


# --- the parsed query --------------------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "json", "xml", "markdown")


@dataclass
class ListQuery:
    page: int
    size: int
    order: list[Any]
    where: list[ColumnElement[bool]]
    export: str | None = None
    export_all: bool = False

    def apply(self, stmt: Any) -> Any:
        return stmt.where(*self.where) if self.where else stmt


@dataclass(frozen=True)
class ListSpec:
    """Everything `parse` needs to read one list's query string."""

    id_column: Any
    search: tuple[Any, ...] = ()
    sort: Sort | None = None
    filters: Mapping[str, Filter] = field(default_factory=dict)
    dialect: Dialect = STRICT
    max_page_size: int = 100
    default_page_size: int = 50
    envelope: Envelope = Envelope.PAGED
    deleted_column: Any = None
    exportable: bool = False


def _export(params: Mapping[str, str], spec: ListSpec) -> tuple[str | None, bool]:
    fmt = (params.get("format") or "").strip().lower()
    if not fmt or not spec.exportable:
        return None, False
    if fmt not in EXPORT_FORMATS:
        raise spec.dialect.problem("format", f"Expected one of {', '.join(EXPORT_FORMATS)}")
    scope = (params.get("exportScope") or params.get("export_scope") or "").strip().lower()
    full = scope in ("full", "all") or (params.get("full") or "").strip().lower() in TRUE
    return fmt, full


def _ids(raw: str, name: str, spec: ListSpec) -> list[Any]:
    values = csv_values(raw)
    if spec.dialect.uuid_ids and not all(is_uuid(v) for v in values):
        raise spec.dialect.problem(name, "Expected a UUID")
    return [typed(spec.id_column, v, name, spec.dialect) for v in values]


def parse(params: Mapping[str, str], spec: ListSpec) -> ListQuery:
    d = spec.dialect
    page = parse_int(params.get("page"), "page", 1, 1, MAX_PAGE, d)
    size_name = spec.envelope.size
    size = parse_int(params.get(size_name), size_name, spec.default_page_size, 1, spec.max_page_size, d)
    where: list[ColumnElement[bool]] = []
    if spec.deleted_column is not None:
        raw = params.get("withDeleted")
        if not (raw and parse_bool(raw, "withDeleted", d)):
            where.append(spec.deleted_column.is_(None))
    if raw := params.get("id"):
        where.append(spec.id_column.in_(_ids(raw, "id", spec)))
    if raw := params.get("ids"):
        where.append(spec.id_column.in_(_ids(raw, "ids", spec)))
    search = (params.get("search") or "").strip()
    if search and spec.search:
        pattern = like_pattern(search)
        where.append(or_(*(func.lower(c).like(pattern, escape="\\") for c in spec.search)))
    for name, flt in spec.filters.items():
        raw = params.get(name)
        if raw in (None, ""):
            continue
        assert raw is not None
        if flt.custom is not None:
            continue  # applied by `custom_filters`, which needs the statement
        where.append(flt.clause(name, raw, d))
    export, export_all = _export(params, spec)
    return ListQuery(page, size, _order(params, spec), where, export, export_all)


def custom_filters(stmt: Select[Any], params: Mapping[str, str], spec: ListSpec) -> Select[Any]:
    for name, flt in spec.filters.items():
        raw = params.get(name)
        if flt.custom is not None and raw not in (None, ""):
            assert raw is not None
            stmt = flt.custom(stmt, raw)
    return stmt


def _nullable(column: Any) -> bool:
    """Whether a sort column may hold NULL: a mapped column that says so (expressions are left as they are)."""
    columns: Any = getattr(getattr(column, "property", None), "columns", None)
    return bool(columns) and bool(getattr(columns[0], "nullable", False))


def _order(params: Mapping[str, str], spec: ListSpec) -> list[Any]:
    d = spec.dialect
    sort = spec.sort or Sort()
    names = sort.names()
    default = sort.default if sort.default is not None else spec.id_column
    wanted = (params.get("sortField") or "").strip()
    column = default
    if wanted:
        found = names.get(wanted, names.get(snake(wanted)))
        if found is None and wanted in ("id",):
            found = spec.id_column
        if found is not None:
            column = found
        elif d.unknown_sort == "error":
            raise d.problem("sortField", f"Cannot sort by {wanted}")
    direction = (params.get("sortDir") or "").strip().lower() or sort.direction
    if direction not in ("asc", "desc"):
        raise d.problem("sortDir", "Expected asc or desc")
    tiebreak = sort.tiebreak if sort.tiebreak is not None else spec.id_column
    first = column.asc() if direction == "asc" else column.desc()
    if _nullable(column):
        # Rows without a value come first going up and last going down on PostgreSQL too, as SQLite sorts NULL.
        first = first.nulls_first() if direction == "asc" else first.nulls_last()
    if column is tiebreak:
        return [first]
    ties_desc = sort.tiebreak_direction == "same" and direction == "desc"
    return [first, tiebreak.desc() if ties_desc else tiebreak.asc()]


async def fetch_page(session: AsyncSession, stmt: Select[Any], query: ListQuery) -> tuple[list[Any], int]:
    """One page of `stmt` (rows as the statement selects them) and the total count."""
    total = (await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))).scalar_one()
    rows = (await session.execute(
        stmt.order_by(*query.order).offset((query.page - 1) * query.size).limit(query.size)
    )).all()
    return list(rows), total


# --- OpenAPI -----------------------------------------------------------------------------------------

def query_param(name: str, kind: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": {"type": kind}, "description": description}


def list_parameters(spec: ListSpec) -> list[dict[str, Any]]:
    size = spec.envelope.size
    sort = spec.sort or Sort()
    sortable = ", ".join(dict.fromkeys(camel(n) for n in sort.names())) or "id"
    params = [
        query_param("page", "integer", "1-based page number (default 1)"),
        query_param(size, "integer", f"Items per page (default {spec.default_page_size}, "
                                     f"at most {spec.max_page_size})"),
        query_param("sortField", "string", f"Field to sort by: {sortable}"),
        query_param("sortDir", "string", "asc or desc"),
        query_param("id", "string", "Only the row with this id"),
        query_param("ids", "string", "Comma-separated ids"),
    ]
    if spec.search:
        searched = ", ".join(camel(c.key) for c in spec.search)
        params.append(query_param("search", "string", f"Case-insensitive text search in {searched}"))
    if spec.deleted_column is not None:
        params.append(query_param("withDeleted", "boolean", "Include soft-deleted rows"))
    for name, flt in spec.filters.items():
        params.append(query_param(name, flt.openapi_type(), flt.description or f"Filter by {name}"))
    if spec.exportable:
        params.append(query_param("format", "string", "Export instead of a page: csv, json, xml or markdown"))
        params.append(query_param("exportScope", "string", "full: export every page, not just this one"))
    return params


def parse_datetime(raw: str, name: str, dialect: Dialect = STRICT) -> datetime:
    """An ISO-8601 instant from the query string, or the dialect's 400."""
    value = parse_instant(raw)
    if value is None:
        raise dialect.problem(name, "Expected an ISO date")
    return value
