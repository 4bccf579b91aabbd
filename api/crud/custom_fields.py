"""Custom fields, a capability of the CRUD kit: a `Resource` declares `custom_fields=CustomFields(...)`
(or just the entity id, `"example:todo"`) and its writes accept `customFields: {key: value}` and
`cf_<key>` body keys, validated against the tenant's definitions; its list items carry `cf_<key>`,
its lists filter by `cf_<key>=value` (`cf_<key>In=a,b`) and sort by `sortField=cf_<key>`, and its
exports include them.

Storage is one table for every module (`custom_field_values`, one row per value, one per element of
a multi-value field), indexed by (tenant, entity, field, value) so a filter is an indexed
`id IN (…)`; bench/custom_fields.py measured it against a JSON column (docs/benchmarks.md).
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

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    Select,
    String,
    Text,
    delete,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
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
# Longest prefix of a text value kept in the indexed `value_key` (the whole value is in `value_text`).
INDEXED = 255
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


class CustomFieldValue(IdMixin, Base):
    """One value of one field of one record. Text-like values are in `value_text` with their first
    255 characters in the indexed `value_key`; encrypted values keep ciphertext in `value_text` and
    their lookup hash (when the map asks for one) in `value_key`."""

    __tablename__ = "custom_field_values"
    __table_args__ = (
        Index("ix_custom_field_values_text", "tenant_id", "entity_id", "field_key", "value_key", "record_id"),
        Index("ix_custom_field_values_int", "tenant_id", "entity_id", "field_key", "value_int", "record_id"),
        Index("ix_custom_field_values_float", "tenant_id", "entity_id", "field_key", "value_float", "record_id"),
        Index("ix_custom_field_values_record", "record_id", "entity_id", "field_key"),
    )

    entity_id: Mapped[str] = mapped_column(String(150))
    record_id: Mapped[str] = mapped_column(String(36))
    field_key: Mapped[str] = mapped_column(String(100))
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    position: Mapped[int] = mapped_column(Integer, default=0)
    value_text: Mapped[str | None] = mapped_column(Text, default=None)
    value_key: Mapped[str | None] = mapped_column(String(INDEXED), default=None)
    value_int: Mapped[int | None] = mapped_column(BigInteger, default=None)
    value_float: Mapped[float | None] = mapped_column(Float, default=None)
    value_bool: Mapped[bool | None] = mapped_column(Boolean, default=None)


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


def read_value(d: FieldDef, row: CustomFieldValue, key: bytes | None, entity: str) -> Any:
    if row.value_text is not None and row.value_text.startswith(encryption.PREFIX):
        return encryption.decrypt(key, row.value_text, _context(entity, d.key)) if key else None
    if d.kind == "integer":
        return row.value_int
    if d.kind == "float":
        return row.value_float
    if d.kind == "boolean":
        return row.value_bool
    return row.value_text


async def attach(session: AsyncSession, spec: CustomFields, tenant_id: str | None, org_id: str | None,
                 rows: list[Any]) -> None:
    """Loads the values of `rows` (one query per entity type) onto them for serialization."""
    by_entity: dict[str, list[Any]] = {}
    for row in rows:
        by_entity.setdefault(spec.entity_of(row), []).append(row)
    for entity, group in by_entity.items():
        defs = await definitions(session, entity, tenant_id, org_id, spec.shipped if spec.entity else ())
        secret = await encrypted_fields(session, entity, tenant_id)
        stored = (await session.execute(select(CustomFieldValue).where(
            CustomFieldValue.tenant_id == tenant_id, CustomFieldValue.entity_id == entity,
            CustomFieldValue.record_id.in_([r.id for r in group])
        ).order_by(CustomFieldValue.position))).scalars().all()
        key = await encryption.data_key(session, tenant_id) if secret and tenant_id and any(
            v.value_text and v.value_text.startswith(encryption.PREFIX) for v in stored) else None
        loaded: dict[str, dict[str, Any]] = {
            r.id: {k: ([] if d.multi else None) for k, d in defs.items()} for r in group}
        for value in stored:
            d = defs.get(value.field_key)
            if d is None:
                continue
            current = loaded[value.record_id]
            read = read_value(d, value, key, entity)
            if d.multi:
                current[d.key].append(read)
            else:
                current[d.key] = read
        hidden = frozenset(k for k in secret if k in defs)
        for row in group:
            setattr(row, STATE, Loaded(loaded[row.id], hidden))


async def store(session: AsyncSession, *, entity: str, record: Any, tenant_id: str | None,
                values: Mapping[str, Any], defs: Mapping[str, FieldDef]) -> None:
    """Replaces the stored values of the given keys of `record` (already validated)."""
    if not values:
        return
    secret = await encrypted_fields(session, entity, tenant_id)
    key = await encryption.data_key(session, tenant_id) if tenant_id and any(k in secret for k in values) else None
    await session.execute(delete(CustomFieldValue).where(
        CustomFieldValue.record_id == record.id, CustomFieldValue.entity_id == entity,
        CustomFieldValue.field_key.in_(list(values))))
    for name, value in values.items():
        d = defs[name]
        scalars = value if d.multi else ([] if value is None else [value])
        for position, scalar in enumerate(scalars):
            row = CustomFieldValue(entity_id=entity, record_id=record.id, field_key=name, tenant_id=tenant_id,
                                   organization_id=getattr(record, "organization_id", None), position=position)
            if name in secret and key is not None:
                context = _context(entity, name)
                row.value_text = encryption.encrypt(key, scalar, context)
                if secret[name]:
                    row.value_key = encryption.lookup_hash(key, scalar, context)
            elif d.kind == "integer":
                row.value_int = scalar
            elif d.kind == "float":
                row.value_float = scalar
            elif d.kind == "boolean":
                row.value_bool = scalar
            else:
                row.value_text = scalar
                row.value_key = scalar[:INDEXED]
            session.add(row)
    await session.flush()


async def remove(session: AsyncSession, *, entity: str, record_id: str) -> None:
    await session.execute(delete(CustomFieldValue).where(
        CustomFieldValue.record_id == record_id, CustomFieldValue.entity_id == entity))


# --- lists ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListContext:
    """What a list needs to filter and sort by custom fields: the entity, the caller's tenant, the
    effective definitions, the encrypted keys and the database's dialect (filters take the shape its
    planner handles best)."""

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


def _column(d: FieldDef) -> Any:
    return {"integer": CustomFieldValue.value_int, "float": CustomFieldValue.value_float,
            "boolean": CustomFieldValue.value_bool}.get(d.kind, CustomFieldValue.value_key)


def filter_clause(lc: ListContext, id_column: Any, d: FieldDef, raw: str, name: str, many: bool,
                  dialect: Dialect) -> Any:
    """`id IN (records whose field has one of the values)`, on the (tenant, entity, field, value)
    index."""
    wanted = csv_values(raw) if many or "," in raw else [raw]
    sub = select(CustomFieldValue.record_id).where(
        CustomFieldValue.tenant_id == lc.tenant_id, CustomFieldValue.entity_id == lc.entity,
        CustomFieldValue.field_key == d.key)
    try:
        typed = [_scalar(FieldDef(d.key, d.kind), v) for v in wanted]
    except ValueError as exc:
        raise dialect.problem(name, str(exc)) from None
    if d.key in lc.secret:
        if not lc.secret[d.key] or lc.key is None:
            raise dialect.problem(name, "Encrypted fields without a lookup hash cannot be filtered")
        context = _context(lc.entity, d.key)
        sub = sub.where(CustomFieldValue.value_key.in_([encryption.lookup_hash(lc.key, v, context) for v in typed]))
    elif _column(d) is CustomFieldValue.value_key:
        sub = sub.where(CustomFieldValue.value_key.in_([v[:INDEXED] for v in typed]))
        if any(len(v) >= INDEXED for v in typed):
            # Only a long value may differ from its indexed prefix; short ones stay index-only.
            sub = sub.where(CustomFieldValue.value_text.in_(typed))
    else:
        sub = sub.where(_column(d).in_(typed))
    if lc.dialect == "sqlite":
        return _by_rowid(id_column, sub)
    return id_column.in_(sub)


def _by_rowid(id_column: Any, matching: Any) -> Any:
    """SQLite: `rowid IN (rowids of the matching ids)` rather than `id IN (matching ids)`. Records have
    text primary keys, so `id IN` fetches each matching row by a lookup in the primary-key index and
    then one in the table, in id order, i.e. scattered over the table; here the key lookups stay
    index-only (the primary-key index holds the rowid) and SQLite reads the rows in rowid order, as an
    indexed column's filter does. bench/custom_fields.py measured 2.6-3.6x -> 1.8-2.4x the indexed-column
    filter (docs/benchmarks.md). The rowid is only compared within this one statement."""
    table = id_column.table
    rows = table.alias("cf_rows")
    rowids: Select[Any] = select(literal_column("cf_rows.rowid")).select_from(rows).where(
        rows.corresponding_column(id_column.expression).in_(matching))
    return literal_column(f"{table.name}.rowid").in_(rowids)


def sort_expression(lc: ListContext, id_column: Any, d: FieldDef, name: str, dialect: Dialect) -> Any:
    """The field's (first) value of each row, for ORDER BY."""
    if d.key in lc.secret:
        raise dialect.problem("sortField", f"Cannot sort by {name}: the field is encrypted")
    return select(_column(d)).where(
        CustomFieldValue.record_id == id_column, CustomFieldValue.entity_id == lc.entity,
        CustomFieldValue.field_key == d.key,
    ).order_by(CustomFieldValue.position).limit(1).scalar_subquery()


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
