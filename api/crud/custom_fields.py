"""Custom fields, a capability of the CRUD kit: a `Resource` declares `custom_fields=CustomFields(...)`
(or just the entity id, `"example:todo"`) and its writes accept `customFields: {key: value}` and
`cf_<key>` body keys, validated against the tenant's definitions; its list items carry `cf_<key>`,
its lists filter by `cf_<key>=value` (`cf_<key>In=a,b`) and sort by `sortField=cf_<key>`, and its
exports include them.

Values are stored on the record's own row, one JSON document per row (`custom_values`, from
`api.db.CustomValuesMixin`, which every model of such a collection mixes in): a filter is then a
condition on the row itself, indexed (a GIN index on PostgreSQL, an expression index per filtered field
on SQLite), where a separate value table costs a join per matching row; bench/custom_fields.py measured
both (docs/benchmarks.md).
Definitions come from code (`shipped`, a module's own fields) overlaid by the tenant's rows in
`custom_field_defs` (the entities module manages them; an inactive row hides a field). Fields listed
in an entity's encryption map are stored encrypted (`api.crud.encryption`) and never reach events,
audit snapshots or the action log's payload. See docs/custom-fields.md."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Index, String, exists, func, literal_column, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from api.auth import AuthContext
from api.crud import encryption
from api.crud.query import FALSE, TRUE, Dialect, csv_values, parse_instant
from api.db import Base, IdMixin, SoftDeleteMixin, TimestampMixin
from api.errors import BadRequest

KINDS = ("text", "multiline", "integer", "float", "boolean", "select", "date", "datetime", "relation",
         "currency", "dictionary", "attachment", "phone")
TEXT_KINDS = frozenset({"text", "multiline", "select", "relation", "currency", "dictionary", "attachment",
                        "phone", "date", "datetime"})
KEY = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_BIGINT = 2**63 - 1
# Before a key in a document: the lookup hashes of an encrypted field (keys never start with `#`).
HASHED = "#"
# Where loaded values wait on a row until it is serialized (rows are plain mapped instances).
STATE = "_custom_field_state"


# --- storage -------------------------------------------------------------------------------------------

class CustomFieldDef(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    """A tenant's definition of one field of one entity type; `is_active=False` is a tombstone that
    hides a field (a shipped one included) until restored. A null tenant is a global definition."""

    __tablename__ = "custom_field_defs"
    __table_args__ = (Index("ix_custom_field_defs_scope", "entity_id", "tenant_id", "key"),)

    entity_id: Mapped[str] = mapped_column(String(150))
    key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    config_json: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))


class EncryptionMap(IdMixin, TimestampMixin, Base):
    """Which fields of an entity type a tenant stores encrypted: `fields_json` is
    `[{"field": key, "hashField": name | null}]`; a hash field makes the field filterable."""

    __tablename__ = "encryption_maps"
    __table_args__ = (Index("ix_encryption_maps_scope", "tenant_id", "entity_id"),)

    entity_id: Mapped[str] = mapped_column(String(150))
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    fields_json: Mapped[list[Any]] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(default=True)


# --- declarations ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldDef:
    """One field: `config` holds the reference's definition keys (`label`, `description`,
    `options`, `multi`, `required`, `filterable`, `listVisible`, `formEditable`, `priority`,
    `validation`, `dictionaryId`, `relatedEntityId`, `currencyCode`, ...)."""

    key: str
    kind: str
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def multi(self) -> bool:
        return bool(self.config.get("multi")) and self.kind not in ("boolean", "multiline")

    @property
    def required(self) -> bool:
        rules = self.config.get("validation") or []
        return bool(self.config.get("required")) or any(
            isinstance(r, dict) and r.get("rule") == "required" for r in rules)

    @property
    def options(self) -> list[str]:
        out = []
        for opt in self.config.get("options") or []:
            value = opt.get("value") if isinstance(opt, dict) else opt
            if value is not None:
                out.append(str(value))
        return out

    @property
    def label(self) -> str:
        return str(self.config.get("label") or self.key)

    def public(self, entity: str) -> dict[str, Any]:
        """The definition as `GET /entities/definitions` shows it."""
        return {**self.config, "key": self.key, "kind": self.kind, "label": self.label, "entityId": entity,
                "multi": self.multi, "required": self.required}


@dataclass(frozen=True)
class CustomFields:
    """A collection's custom fields. `entity` is the entity id (`<module>:<entity>`) the definitions
    and values belong to; `shipped` are the module's own definitions (tenants may override, hide and
    add to them). A collection of several entity types (custom entity records) names instead the
    column holding each row's entity id and the list parameter choosing one (`entity_column`,
    `param`). `prefix` is the key of values on items (`cf_<key>`; `""` shows plain keys)."""

    entity: str = ""
    shipped: tuple[FieldDef, ...] = ()
    entity_column: Any = None
    param: str = ""
    prefix: str = "cf_"

    def entity_of(self, row: Any) -> str:
        if self.entity_column is not None:
            return str(getattr(row, self.entity_column.key))
        return self.entity


@dataclass
class Loaded:
    """A record's values as items show them (every defined key, `None`/`[]` when unset), and the keys
    whose values are encrypted (kept out of events and audit)."""

    values: dict[str, Any]
    secret: frozenset[str] = frozenset()


def state(row: Any) -> Loaded | None:
    return getattr(row, STATE, None)


def item_values(spec: CustomFields, row: Any, *, public: bool) -> dict[str, Any]:
    """`cf_<key>` entries of a row (those loaded); `public` leaves encrypted values out."""
    loaded = state(row)
    if loaded is None:
        return {}
    return {f"{spec.prefix}{k}": v for k, v in loaded.values.items() if public or k not in loaded.secret}


# --- definitions ---------------------------------------------------------------------------------------

def _rank(row: CustomFieldDef, org_id: str | None) -> int:
    return 0 if row.tenant_id is None else 2 if row.organization_id and row.organization_id == org_id else 1


async def definition_rows(session: AsyncSession, entity: str, tenant_id: str | None,
                          org_id: str | None) -> list[CustomFieldDef]:
    """The rows that apply to a caller: global, the tenant's, and its organization's (tombstones
    included), least specific first."""
    stmt = select(CustomFieldDef).where(CustomFieldDef.entity_id == entity, or_(
        CustomFieldDef.tenant_id.is_(None), CustomFieldDef.tenant_id == tenant_id))
    rows = [r for r in (await session.execute(stmt)).scalars()
            if r.organization_id is None or r.organization_id == org_id]
    return sorted(rows, key=lambda r: (_rank(r, org_id), r.created_at))


def _order(item: tuple[int, FieldDef]) -> tuple[float, int]:
    index, definition = item
    priority = definition.config.get("priority")
    return (float(priority) if isinstance(priority, int | float) and not isinstance(priority, bool)
            else math.inf, index)


async def definitions(session: AsyncSession, entity: str, tenant_id: str | None, org_id: str | None,
                      shipped: Iterable[FieldDef] = ()) -> dict[str, FieldDef]:
    """The effective definitions of `entity` for a caller, by key, in display order (`priority`,
    then declaration order)."""
    out: dict[str, FieldDef] = {d.key: d for d in shipped}
    for row in await definition_rows(session, entity, tenant_id, org_id):
        if row.is_active and row.deleted_at is None:
            out[row.key] = FieldDef(row.key, row.kind, dict(row.config_json or {}))
        else:
            out.pop(row.key, None)
    return {d.key: d for _, d in sorted(enumerate(out.values()), key=_order)}


async def encrypted_fields(session: AsyncSession, entity: str, tenant_id: str | None) -> dict[str, bool]:
    """Encrypted field keys of `entity` for a tenant, each with whether it keeps a lookup hash."""
    if tenant_id is None:
        return {}
    rows = (await session.execute(select(EncryptionMap).where(
        EncryptionMap.entity_id == entity, EncryptionMap.tenant_id == tenant_id,
        EncryptionMap.is_active.is_(True)))).scalars().all()
    out: dict[str, bool] = {}
    for row in rows:
        for entry in row.fields_json or []:
            if isinstance(entry, dict) and isinstance(entry.get("field"), str):
                out[entry["field"]] = bool(entry.get("hashField"))
    return out


# --- values on the wire --------------------------------------------------------------------------------

def submitted(raw: Any, containers: tuple[str, ...] = ("customFields",)) -> dict[str, Any]:
    """Custom values of a request body: `cf_<key>` keys and the `customFields` object (whose keys may
    carry the `cf_` prefix too)."""
    if not isinstance(raw, dict):
        return {}
    out = {k[3:]: v for k, v in raw.items() if isinstance(k, str) and k.startswith("cf_") and len(k) > 3}
    for name in containers:
        inner = raw.get(name)
        if inner is None:
            continue
        if not isinstance(inner, dict):
            raise BadRequest("Invalid input", [{"path": [name], "message": "Expected an object"}])
        for k, v in inner.items():
            out[k[3:] if k.startswith("cf_") else k] = v
    return out


class _Refused(ValueError):
    pass


def _scalar(d: FieldDef, value: Any) -> Any:
    kind = d.kind
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
            return value.strip().lower() in TRUE
        raise _Refused("Expected a boolean")
    if kind == "integer":
        if isinstance(value, bool):
            raise _Refused("Expected an integer")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            value = int(value)
        if not isinstance(value, int):
            raise _Refused("Expected an integer")
        if abs(value) > MAX_BIGINT:
            raise _Refused("Number out of range")
        return value
    if kind == "float":
        if isinstance(value, bool):
            raise _Refused("Expected a number")
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise _Refused("Expected a number") from None
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise _Refused("Expected a number")
        return float(value)
    if not isinstance(value, str):
        raise _Refused("Expected a string")
    if kind == "date":
        try:
            return date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            raise _Refused("Expected an ISO date") from None
    if kind == "datetime":
        instant = parse_instant(value)
        if instant is None:
            raise _Refused("Expected an ISO date and time")
        return instant.isoformat()
    if kind == "currency":
        code = value.strip().upper()
        if not CURRENCY.fullmatch(code):
            raise _Refused("Expected a 3-letter currency code")
        return code
    if kind == "select" and d.options and value not in d.options:
        raise _Refused(f"Expected one of: {', '.join(d.options)}")
    return value


def _rules(d: FieldDef, value: Any) -> None:
    for rule in d.config.get("validation") or []:
        if not isinstance(rule, dict):
            continue
        name, param = rule.get("rule"), rule.get("param")
        message = rule.get("message")
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if name == "regex" and isinstance(value, str) and isinstance(param, str):
            try:
                ok = re.search(param, value) is not None
            except re.error:
                ok = True  # a broken pattern of a definition is not the caller's fault
            if not ok:
                raise _Refused(message or "Invalid format")
        elif name in ("gte", "lte", "gt", "lt") and number and isinstance(param, int | float):
            ok = {"gte": value >= param, "lte": value <= param, "gt": value > param, "lt": value < param}[name]
            if not ok:
                raise _Refused(message or f"Must be {name} {param}")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def normalize(d: FieldDef, value: Any) -> Any:
    """A submitted value as stored: typed, checked against options and validation rules; `None` (or
    an empty list) clears the field. Raises `ValueError` with the reason."""
    if _empty(value):
        return [] if d.multi else None
    if d.multi:
        items = value if isinstance(value, list) else [value]
        out = [_scalar(d, v) for v in items if not _empty(v)]
        for v in out:
            _rules(d, v)
        return out
    if isinstance(value, list | dict):
        raise _Refused("Expected a single value")
    out_value = _scalar(d, value)
    _rules(d, out_value)
    return out_value


def validate(defs: Mapping[str, FieldDef], values: Mapping[str, Any], *, creating: bool,
             prefix: str = "cf_", dialect: Dialect | None = None) -> dict[str, Any]:
    """Submitted values, normalized; a 400 whose `details` name every refused field (unknown keys,
    wrong types, values outside the options, required fields missing)."""
    problems: list[dict[str, Any]] = []
    out: dict[str, Any] = {}
    for key, value in values.items():
        d = defs.get(key)
        if d is None:
            problems.append({"path": [f"{prefix}{key}"], "message": "Unknown custom field"})
            continue
        try:
            out[key] = normalize(d, value)
        except ValueError as exc:
            problems.append({"path": [f"{prefix}{key}"], "message": str(exc)})
    for key, d in defs.items():
        missing = (key not in values) if creating else False
        if d.required and (missing or (key in out and _empty(out[key]))):
            message = next((r.get("message") for r in d.config.get("validation") or []
                            if isinstance(r, dict) and r.get("rule") == "required" and r.get("message")), "Required")
            problems.append({"path": [f"{prefix}{key}"], "message": message})
    if problems:
        raise BadRequest((dialect or Dialect()).error, problems)
    return out


# --- reading and writing values ------------------------------------------------------------------------

def _context(entity: str, key: str) -> str:
    return f"{entity}:{key}"


def document(row: Any) -> dict[str, Any]:
    """A row's stored custom values: `{key: value | [values]}`, plus `#<key>` lookup hashes of encrypted
    fields that keep one."""
    doc = getattr(row, "custom_values", None)
    return doc if isinstance(doc, dict) else {}


def read_value(d: FieldDef, raw: Any, key: bytes | None, entity: str) -> Any:
    """One stored value as items show it (encrypted ones decrypted with the tenant's data key)."""
    if isinstance(raw, str) and raw.startswith(encryption.PREFIX):
        return encryption.decrypt(key, raw, _context(entity, d.key)) if key else None
    return raw


def read_field(d: FieldDef, doc: Mapping[str, Any], key: bytes | None, entity: str) -> Any:
    """A field's value in a document: a list for a multi-value field (`[]` when unset), else the value or
    `None`. A value stored while the field had the other arity is read as this one's."""
    raw = doc.get(d.key)
    items = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    values = [read_value(d, v, key, entity) for v in items]
    return values if d.multi else (values[0] if values else None)


def _encrypted(doc: Mapping[str, Any], keys: Iterable[str]) -> bool:
    return any(k in doc for k in keys)


async def attach(session: AsyncSession, spec: CustomFields, tenant_id: str | None, org_id: str | None,
                 rows: list[Any]) -> None:
    """Reads the values of `rows` (from their own documents, no query) onto them for serialization."""
    by_entity: dict[str, list[Any]] = {}
    for row in rows:
        by_entity.setdefault(spec.entity_of(row), []).append(row)
    for entity, group in by_entity.items():
        defs = await definitions(session, entity, tenant_id, org_id, spec.shipped if spec.entity else ())
        secret = await encrypted_fields(session, entity, tenant_id)
        key = await encryption.data_key(session, tenant_id) if secret and tenant_id and any(
            _encrypted(document(r), secret) for r in group) else None
        hidden = frozenset(k for k in secret if k in defs)
        for row in group:
            doc = document(row)
            setattr(row, STATE, Loaded({k: read_field(d, doc, key, entity) for k, d in defs.items()}, hidden))


async def store(session: AsyncSession, *, entity: str, record: Any, tenant_id: str | None,
                values: Mapping[str, Any], defs: Mapping[str, FieldDef]) -> None:
    """Replaces the stored values of the given keys of `record` (already validated) in its document."""
    if not values:
        return
    secret = await encrypted_fields(session, entity, tenant_id)
    key = await encryption.data_key(session, tenant_id) if tenant_id and any(k in secret for k in values) else None
    doc = dict(document(record))
    for name, value in values.items():
        d = defs[name]
        scalars = list(value) if d.multi else ([] if value is None else [value])
        doc.pop(name, None)
        doc.pop(HASHED + name, None)
        if not scalars:
            continue
        if name in secret and key is not None:
            context = _context(entity, name)
            if secret[name]:
                hashes = [encryption.lookup_hash(key, s, context) for s in scalars]
                doc[HASHED + name] = hashes if d.multi else hashes[0]
            scalars = [encryption.encrypt(key, s, context) for s in scalars]
        doc[name] = scalars if d.multi else scalars[0]
    # A new dict, so the ORM sees the change (a JSON column does not track mutations in place).
    record.custom_values = doc or None
    await session.flush()


# --- lists ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListContext:
    """What a list needs to filter and sort by custom fields: the entity, the caller's tenant, the
    effective definitions, the encrypted keys and the database's dialect (filters take the shape its
    indexes serve)."""

    entity: str
    tenant_id: str | None
    defs: Mapping[str, FieldDef]
    secret: Mapping[str, bool]
    key: bytes | None
    dialect: str = ""

    def field_named(self, name: str, prefix: str) -> tuple[FieldDef, bool] | None:
        """The field a query parameter names (`cf_<key>`, `cf_<key>In`, or the plain key when
        `prefix` is empty), and whether it is the `In` form."""
        for candidate, many in ((name, False), (name[:-2], True) if name.endswith("In") else (None, False)):
            if not candidate:
                continue
            if candidate.startswith("cf_") and candidate[3:] in self.defs:
                return self.defs[candidate[3:]], many
            if prefix == "" and candidate in self.defs:
                return self.defs[candidate], many
        return None


def _sqlite_path(name: str, first: bool = False) -> str:
    """The JSON path of a document key as SQL text; the same text in a query and in the expression index
    of `ensure_index`, as SQLite uses such an index only for an identical expression. Keys are
    `[a-z][a-z0-9_]*` (a `#` before hashes), so quoting them is safe."""
    return f"'$.\"{name}\"{'[0]' if first else ''}'"


def text_value(column: Any, key: str, dialect: str) -> Any:
    """A document key's (single) value as text, for LIKE matches (relation pickers)."""
    if dialect == "postgresql":
        return type_coerce(column, JSONB)[key].astext
    return func.json_extract(column, literal_column(_sqlite_path(key)))


def filter_clause(lc: ListContext, id_column: Any, d: FieldDef, raw: str, name: str, many: bool,
                  dialect: Dialect) -> Any:
    """Rows whose field has one of the values (a multi-value field: any of its values does). PostgreSQL:
    JSONB containment, which the table's GIN index serves for every key; SQLite: `json_extract` of the
    key, which `ensure_index` indexes."""
    wanted = csv_values(raw) if many or "," in raw else [raw]
    try:
        typed = [_scalar(FieldDef(d.key, d.kind), v) for v in wanted]
    except ValueError as exc:
        raise dialect.problem(name, str(exc)) from None
    stored_key = d.key
    if d.key in lc.secret:
        if not lc.secret[d.key] or lc.key is None:
            raise dialect.problem(name, "Encrypted fields without a lookup hash cannot be filtered")
        context = _context(lc.entity, d.key)
        typed = [encryption.lookup_hash(lc.key, v, context) for v in typed]
        stored_key = HASHED + d.key
    column = id_column.table.c.custom_values
    if lc.dialect == "postgresql":
        doc = type_coerce(column, JSONB)
        # `{key: [v]}` is contained in any list holding v; one containment per value, each a GIN lookup.
        return or_(*(doc.contains({stored_key: [v] if d.multi else v}) for v in typed))
    if not d.multi:
        return func.json_extract(column, literal_column(_sqlite_path(stored_key))).in_(typed)
    each = func.json_each(column, literal_column(_sqlite_path(stored_key))).table_valued("value")
    return exists(select(literal_column("1")).select_from(each).where(each.c.value.in_(typed)))


# Expression indexes known to exist, or left out (the table had its share), per database: (url, table, key).
_INDEXED: set[tuple[str, str, str]] = set()
# At most this many custom-field expression indexes per table. Tables are shared by every tenant, and every
# write to one evaluates the expression of each of its indexes: without a bound, a tenant that filters by
# hundreds of its own fields would slow every tenant's writes. A field past the bound is filtered without an
# index (the tenant's rows are scanned).
MAX_FIELD_INDEXES = 32


async def ensure_index(session: AsyncSession, lc: ListContext, id_column: Any, d: FieldDef) -> None:
    """SQLite: an index on the field's `json_extract` in the table, created the first time a list filters
    by the field (PostgreSQL's GIN index already serves every key), unless the table has MAX_FIELD_INDEXES.
    Built in a connection of its own, committed at once, so the list's transaction never holds the write
    lock; when the database is busy it is left for a later list (the filter is the same without it, only
    slower)."""
    bind = session.bind
    if lc.dialect != "sqlite" or d.multi or d.key in lc.secret or not isinstance(bind, AsyncEngine):
        return
    table = id_column.table.name
    marker = (str(bind.url), table, d.key)
    if marker in _INDEXED:
        return
    name = f"ix_{table}_cf_{d.key}"
    try:
        async with bind.begin() as conn:
            # GLOB, not LIKE: `_` in the prefix is a literal.
            existing = set((await conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name GLOB ?",
                (table, f"ix_{table}_cf_*"))).scalars())
            if name not in existing and len(existing) >= MAX_FIELD_INDEXES:
                _INDEXED.add(marker)
                return
            await conn.exec_driver_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
                                       f"(json_extract(custom_values, {_sqlite_path(d.key)}))")
    except DBAPIError:
        return
    _INDEXED.add(marker)


def sort_expression(lc: ListContext, id_column: Any, d: FieldDef, name: str, dialect: Dialect) -> Any:
    """The field's (first) value of each row, for ORDER BY (JSONB compares numbers as numbers and
    strings in the database's collation, as the typed values do)."""
    if d.key in lc.secret:
        raise dialect.problem("sortField", f"Cannot sort by {name}: the field is encrypted")
    column = id_column.table.c.custom_values
    if lc.dialect == "postgresql":
        value = type_coerce(column, JSONB)[d.key]
        return value[0] if d.multi else value
    return func.json_extract(column, literal_column(_sqlite_path(d.key, first=d.multi)))


async def list_context(session: AsyncSession, spec: CustomFields, ctx: AuthContext,
                       entity: str) -> ListContext:
    defs = await definitions(session, entity, ctx.tenant_id, ctx.write_org_id, spec.shipped if spec.entity else ())
    secret = await encrypted_fields(session, entity, ctx.tenant_id)
    key = await encryption.data_key(session, ctx.tenant_id) if ctx.tenant_id and any(secret.values()) else None
    return ListContext(entity, ctx.tenant_id, defs, secret, key, session.get_bind().dialect.name)


def scrub(payload: dict[str, Any] | None, secret: Iterable[str]) -> dict[str, Any] | None:
    """A request body as the action log keeps it: encrypted fields' values left out."""
    keys = set(secret)
    if payload is None or not keys:
        return payload
    out = {k: v for k, v in payload.items() if not (k.startswith("cf_") and k[3:] in keys)}
    for name in ("customFields", "custom_fields", "values"):
        inner = out.get(name)
        if isinstance(inner, dict):
            out[name] = {k: v for k, v in inner.items() if (k[3:] if k.startswith("cf_") else k) not in keys}
    return out
