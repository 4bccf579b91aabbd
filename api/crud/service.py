"""What the CRUD kit does, as plain functions a module's own routes can call too: scoped reads, lists,
and writes that record their audit entry and domain event in the caller's transaction."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, false, inspect, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit, outbox
from api.auth import AuthContext
from api.casing import camel, js_iso, jsonable, snake
from api.crud import custom_fields
from api.crud.query import ListQuery, ListSpec, custom_filters, fetch_page, parse, parse_instant
from api.crud.resource import Resource
from api.db import new_id, utcnow
from api.errors import BadRequest, Conflict, Forbidden, NotFound
from api.modules.audit_logs.models import ActionLog
from api.modules.directory.models import Organization
from api.settings import get_settings

LOCK_HEADER = "x-om-ext-optimistic-lock-expected-updated-at"
PAST = {"create": "created", "update": "updated", "delete": "deleted"}
# Set by the kit from the caller and the scope, never from a body.
MANAGED = frozenset({"id", "tenant_id", "organization_id", "created_at", "updated_at", "deleted_at"})
# List parameters that are never a custom field's filter (records show custom values by plain keys).
RESERVED = frozenset({"page", "pageSize", "limit", "sortField", "sortDir", "search", "id", "ids", "withDeleted",
                      "format", "exportScope", "export_scope", "full", "all"})


@dataclass
class Write:
    """One write as hooks see it. `values` are the column values about to be written (a `before_*`
    hook may change them), `body` the validated body (a pydantic model, or the dict a `Body`
    parser returned), `given` the keys the caller sent; `extra` carries state between a write's hooks."""

    session: AsyncSession
    ctx: AuthContext
    resource: Resource
    action: str
    row: Any
    body: Any
    values: dict[str, Any]
    given: set[str]
    before: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        """The value `name` will have after the write: the new one when given, else the row's."""
        return self.values[name] if name in self.values else getattr(self.row, name, None)


# --- reads -------------------------------------------------------------------------------------------

def scoped(res: Resource, ctx: AuthContext) -> Select[Any]:
    """Rows the caller may see: its tenant and the organizations in its scope."""
    stmt = select(res.model)
    model: Any = res.model
    if callable(res.scope):
        return res.scope(stmt, ctx)
    stmt = stmt.where(model.tenant_id == ctx.tenant_id) if ctx.tenant_id else stmt.where(false())
    if res.scope == "organization" and ctx.org_scope is not None:
        stmt = stmt.where(model.organization_id.in_(ctx.org_scope))
    return stmt


def serialize(res: Resource, row: Any) -> dict[str, Any]:
    """A list item (with its custom fields, when loaded)."""
    out = res.fields(row, res.hidden)
    if res.custom is not None:
        out.update(custom_fields.item_values(res.custom, row, public=True))
    return out


def describe(res: Resource, row: Any, *, public: bool = False) -> dict[str, Any]:
    """The full record: the detail route's answer (`public`) and the domain events' payload, which
    leaves encrypted custom fields out."""
    out = res.event_fields(row, res.hidden)
    if res.custom is not None:
        out.update(custom_fields.item_values(res.custom, row, public=public))
    return out


async def load_custom(res: Resource, ctx: AuthContext, session: AsyncSession, rows: list[Any]) -> None:
    """Custom field values of `rows`, loaded onto them for the serializers (one query per page)."""
    if res.custom is not None and rows:
        await custom_fields.attach(session, res.custom, ctx.tenant_id, ctx.write_org_id, rows)


@cache
def list_spec(res: Resource) -> ListSpec:
    model: Any = res.model
    return ListSpec(id_column=model.id, search=res.search, sort=res.sort, filters=res.filters,
                    dialect=res.dialect, max_page_size=res.max_page_size,
                    default_page_size=min(res.page_size, res.max_page_size), envelope=res.envelope,
                    deleted_column=model.deleted_at if res.soft_delete else None, exportable=res.exportable)


async def get_row(res: Resource, ctx: AuthContext, session: AsyncSession, row_id: Any,
                  *, with_deleted: bool = False, custom: bool = True) -> Any:
    """The caller's live row `row_id` (404 otherwise), with its custom values unless `custom` is False
    (a parent looked up only to check that it exists and is the caller's)."""
    model: Any = res.model
    row = None
    if isinstance(row_id, str) and row_id:
        stmt = scoped(res, ctx).where(model.id == row_id)
        if res.soft_delete and not with_deleted:
            stmt = stmt.where(model.deleted_at.is_(None))
        row = (await session.execute(stmt)).scalars().first()
    if row is None:
        raise NotFound(f"{res.label} not found")
    if custom:
        await load_custom(res, ctx, session, [row])
    return row


async def _parent_clause(res: Resource, ctx: AuthContext, session: AsyncSession,
                         params: Mapping[str, str]) -> Any:
    parent = res.parent
    if parent is None:
        return None
    parent_id = params.get(parent.param)
    if not parent_id:
        if parent.required_on_list:
            raise res.dialect.problem(parent.param, f"{parent.param} is required")
        return None
    await get_row(parent.resource, ctx, session, parent_id, custom=False)
    return parent.column == parent_id


async def list_query(res: Resource, ctx: AuthContext, session: AsyncSession,
                     params: Mapping[str, str]) -> tuple[Select[Any], ListQuery]:
    """The scoped, filtered statement of a list and its parsed query (paging, order, export)."""
    try:
        return await _list_query(res, ctx, session, res.dialect.canonical(params))
    except BadRequest as error:
        raise res.dialect.in_callers_words(error, params) from None


async def _list_query(res: Resource, ctx: AuthContext, session: AsyncSession,
                      params: Mapping[str, str]) -> tuple[Select[Any], ListQuery]:
    spec = list_spec(res)
    cf = res.custom
    if cf is None:
        query = parse(params, spec)
    else:
        entity = cf.entity or (params.get(cf.param) or "").strip()
        if not entity:
            raise res.dialect.problem(cf.param, f"{cf.param} is required")
        lc = await custom_fields.list_context(session, cf, ctx, entity)
        wanted = (params.get("sortField") or "").strip()
        sort_names = (spec.sort.names() if spec.sort else {})
        by_field = lc.field_named(wanted, cf.prefix) if wanted and wanted not in sort_names else None
        # The kit's parser knows only columns: a custom sort field is taken out and ordered here.
        query = parse({k: v for k, v in params.items() if not (by_field and k == "sortField")}, spec)
        if by_field is not None:
            expr = custom_fields.sort_expression(lc, spec.id_column, by_field[0], wanted, res.dialect)
            descending = (params.get("sortDir") or "").strip().lower() == "desc"
            # Rows without a value sort as SQLite sorts NULL (smallest) on PostgreSQL too.
            query.order = [expr.desc().nulls_last() if descending else expr.asc().nulls_first(), spec.id_column.asc()]
        for name, raw in params.items():
            if name in RESERVED or name in spec.filters or name == cf.param or raw == "":
                continue
            if (found := lc.field_named(name, cf.prefix)) is not None:
                await custom_fields.ensure_index(session, lc, spec.id_column, found[0])
                query.where.append(custom_fields.filter_clause(lc, spec.id_column, found[0], raw, name, found[1],
                                                               res.dialect))
    stmt = query.apply(scoped(res, ctx))
    if (clause := await _parent_clause(res, ctx, session, params)) is not None:
        stmt = stmt.where(clause)
    return custom_filters(stmt, params, spec), query


async def items_of(res: Resource, ctx: AuthContext, session: AsyncSession, rows: list[Any]) -> list[dict[str, Any]]:
    await load_custom(res, ctx, session, rows)
    items = [serialize(res, r) for r in rows]
    if res.hooks.decorate is not None and items:
        await res.hooks.decorate(session, ctx, items)
    return items


async def list_rows(res: Resource, ctx: AuthContext, session: AsyncSession,
                    params: Mapping[str, str]) -> dict[str, Any]:
    stmt, query = await list_query(res, ctx, session, params)
    return await page_of(res, ctx, session, stmt, query)


async def page_of(res: Resource, ctx: AuthContext, session: AsyncSession, stmt: Select[Any],
                  query: ListQuery) -> dict[str, Any]:
    """One page of a list whose query is already parsed, in the resource's envelope."""
    rows, total = await fetch_page(session, stmt, query)
    items = await items_of(res, ctx, session, [r for (r,) in rows])
    return res.envelope.wrap(items, total, query.page, query.size)


async def restore_custom(res: Resource, session: AsyncSession, row: Any, snap: dict[str, Any]) -> None:
    """Undo and redo: the custom values a snapshot holds go back too (encrypted ones are never in
    snapshots, so they keep their current values)."""
    cf = res.custom
    assert cf is not None
    entity = cf.entity_of(row)
    defs = await custom_fields.definitions(session, entity, row.tenant_id, None, cf.shipped if cf.entity else ())
    values = {k: snap[f"{cf.prefix}{k}"] for k in defs if f"{cf.prefix}{k}" in snap}
    await custom_fields.store(session, entity=entity, record=row, tenant_id=row.tenant_id, values=values, defs=defs)
    await custom_fields.attach(session, cf, row.tenant_id, None, [row])


# --- the audit entry and domain event of a write -------------------------------------------------------

def safe_payload(data: Any) -> dict[str, Any] | None:
    """A request body as the audit log keeps it: secrets never reach the log."""
    if isinstance(data, BaseModel):
        data = json.loads(data.model_dump_json(exclude_unset=True, by_alias=True))
    if not isinstance(data, dict):
        return None
    data = json.loads(json.dumps(data, default=lambda v: str(jsonable(v))))
    return {k: v for k, v in data.items() if "password" not in k.lower() and "secret" not in k.lower()}


async def record(session: AsyncSession, ctx: AuthContext, *, kind: str, action: str, row: Any,
                 label: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
                 event: dict[str, Any], payload: Any = None) -> ActionLog:
    """The audit entry (undoable when `kind` is registered) and the domain event
    `<kind>.<created|updated|deleted>` of one write, in the caller's transaction."""
    org_id = getattr(row, "organization_id", None)
    tenant_id = getattr(row, "tenant_id", ctx.tenant_id)
    entry = await audit.record(session, ctx, command_id=f"{kind}.{action}", resource_kind=kind,
                               resource_id=row.id, before=before, after=after, payload=safe_payload(payload),
                               label=f"{action.capitalize()} {label.lower()}", organization_id=org_id)
    # Who wrote it, so that a workflow an event trigger starts acts as its initiator (with its features),
    # as one started through the API does (an API key acts as its creator; a system write names nobody).
    actor = {"actorUserId": ctx.user_id} if ctx.user_id else {}
    outbox.emit(session, f"{kind}.{PAST[action]}", {**event, "id": row.id, **actor}, tenant_id=tenant_id,
                organization_id=org_id)
    await session.flush()
    return entry


# --- rows that go with a deleted record (`Resource.owns`) -----------------------------------------------

async def take_owned(res: Resource, session: AsyncSession, row: Any) -> dict[str, Any]:
    """Delete the live rows `res.owns` declares for `row` (soft-deleting those that can be) and return what
    its undo needs to bring them back, by table: the ids of soft-deleted rows, the columns of deleted ones."""
    taken: dict[str, Any] = {}
    now = utcnow()
    for owned in res.owns:
        model = owned.model
        if hasattr(model, "deleted_at"):
            # Soft-deleted: their ids are all undo needs, so they are not loaded as objects.
            ids = list((await session.execute(select(model.id).where(
                owned.column == row.id, model.deleted_at.is_(None), *owned.where).order_by(model.id))).scalars())
            if ids:
                await session.execute(sql_update(model).where(model.id.in_(ids)).values(deleted_at=now)
                                      .execution_options(synchronize_session="fetch"))
                taken[model.__tablename__] = {"ids": ids}
            continue
        children = list((await session.execute(select(model).where(owned.column == row.id, *owned.where)
                                               .order_by(model.id))).scalars())
        if children:
            taken[model.__tablename__] = {"rows": [audit.snapshot(child) for child in children]}
            for child in children:
                await session.delete(child)
    await session.flush()
    return taken


async def restore_owned(res: Resource, session: AsyncSession, row: Any, taken: Mapping[str, Any]) -> None:
    """Bring back what `take_owned` took from `row`: un-delete its soft-deleted rows (those still pointing at
    it) and recreate the deleted ones from their columns."""
    for owned in res.owns:
        model = owned.model
        entry = taken.get(model.__tablename__)
        if not entry:
            continue
        if "ids" in entry:
            await session.execute(sql_update(model).where(
                model.id.in_(entry["ids"]), owned.column == row.id, model.deleted_at.is_not(None))
                .values(deleted_at=None).execution_options(synchronize_session="fetch"))
            continue
        for snap in entry["rows"]:
            child = await session.get(model, snap["id"])
            if child is None:
                child = model(id=snap["id"])
                session.add(child)
            audit.restore(child, snap)
    await session.flush()


# --- a flag one row of a group carries (`Resource.exclusive`) -------------------------------------------

# The key of a snapshot that holds the ids of the group's rows carrying the flag, and, in a create's, those that
# carried it before the new row took it (what the undo of the create gives it back to).
MARKED = "_marked"
MARKED_BEFORE = "_marked_before"


def _group(res: Resource, row: Any) -> Select[Any]:
    assert res.exclusive is not None
    model: Any = res.model
    stmt = select(model.id).where(res.exclusive.among == getattr(row, res.exclusive.among.key))
    return stmt.where(model.deleted_at.is_(None)) if res.soft_delete else stmt


async def marked(res: Resource, session: AsyncSession, row: Any) -> list[str]:
    """The ids of the rows of `row`'s group that carry the flag."""
    assert res.exclusive is not None
    return sorted((await session.execute(_group(res, row).where(res.exclusive.flag.is_(True)))).scalars())


async def _keep_exclusive(res: Resource, session: AsyncSession, row: Any) -> None:
    """A row just written with the flag takes it from the others of its group."""
    ex = res.exclusive
    if ex is None or not getattr(row, ex.flag.key):
        return
    model: Any = res.model
    await session.execute(sql_update(model).where(ex.among == getattr(row, ex.among.key), model.id != row.id,
                                                  ex.flag.is_(True)).values({ex.flag.key: False})
                          .execution_options(synchronize_session="fetch"))


async def _put_marks_back(res: Resource, session: AsyncSession, row: Any, ids: list[str]) -> None:
    """The flag on exactly the rows of the group `ids` names (those still live)."""
    ex = res.exclusive
    assert ex is not None
    model: Any = res.model
    stmt = sql_update(model).where(ex.among == getattr(row, ex.among.key))
    if res.soft_delete:
        stmt = stmt.where(model.deleted_at.is_(None))
    await session.execute(stmt.values({ex.flag.key: model.id.in_(ids)}).execution_options(synchronize_session="fetch"))


async def before_remove(res: Resource, session: AsyncSession, row: Any, leaving: dict[str, Any] | None) \
        -> dict[str, Any]:
    """Undo of a create or redo of a delete is about to remove `row`: its owned rows go (what was taken is
    answered), and an exclusive flag it took at its creation goes back to the rows that had it."""
    taken = await take_owned(res, session, row) if res.owns else {}
    if res.exclusive is not None and leaving is not None and isinstance(leaving.get(MARKED_BEFORE), list):
        await _put_marks_back(res, session, row, leaving[MARKED_BEFORE])
    return taken


@contextlib.asynccontextmanager
async def removing(res: Resource, session: AsyncSession, ctx: AuthContext, row: Any) -> AsyncIterator[None]:
    """Undo of a create or redo of a delete removes `row` as `delete` would: the resource's `authorize` and
    `before_delete` first (a refusal refuses the undo: a port with terminals stays, however it came to be), its
    `after_delete` once the row is gone. The values a `before_delete` sets are the delete's own; the removal
    writes the entry's snapshot instead."""
    _authorize(res, ctx, "delete")
    write = Write(session, ctx, res, "delete", row, {"id": row.id}, {}, set())
    if res.hooks.before_delete is not None:
        await res.hooks.before_delete(write)
    yield
    if res.hooks.after_delete is not None:
        await res.hooks.after_delete(write)
        await flush(session, res)


async def extra_state(res: Resource, session: AsyncSession, row: Any) -> dict[str, Any]:
    """The state outside the row that undo and redo put back and so compare first (`audit.Undoable.extra_state`)."""
    hooks = res.hooks
    out = await hooks.snapshot_extra(session, row) if hooks.snapshot_extra and hooks.restore_extra else {}
    if res.exclusive is not None:
        out[MARKED] = await marked(res, session, row)
    return out


async def restore_extra(res: Resource, session: AsyncSession, row: Any, snap: dict[str, Any]) -> None:
    """What undo and redo put back beyond the row's columns: custom values, the rows its delete took, which rows
    of its group carry an exclusive flag, and the module's own state (`hooks.restore_extra`)."""
    if res.custom is not None:
        await restore_custom(res, session, row, snap)
    if res.owns and snap.get(audit.OWNED):
        await restore_owned(res, session, row, snap[audit.OWNED])
    if res.exclusive is not None and isinstance(snap.get(MARKED), list):
        await _put_marks_back(res, session, row, snap[MARKED])
    if res.hooks.restore_extra is not None:
        await res.hooks.restore_extra(session, row, snap)


async def snapshot(res: Resource, session: AsyncSession, row: Any, *, extra: bool = True) -> dict[str, Any]:
    snap = audit.snapshot(row, res.hidden)
    if res.custom is not None:
        snap.update(custom_fields.item_values(res.custom, row, public=False))
    if extra and res.hooks.snapshot_extra is not None:
        snap.update(await res.hooks.snapshot_extra(session, row))
    if res.exclusive is not None:
        snap[MARKED] = await marked(res, session, row)
    return snap


async def write_log(write: Write, after: dict[str, Any] | None) -> ActionLog:
    res = write.resource
    payload: Any = write.body if write.action != "delete" else {"id": write.row.id}
    if write.extra.get("secret"):
        payload = custom_fields.scrub(safe_payload(payload), write.extra["secret"])
    return await record(write.session, write.ctx, kind=res.entity, action=write.action, row=write.row,
                        label=res.label, before=write.before, after=after, event=describe(res, write.row),
                        payload=payload)


# --- writes --------------------------------------------------------------------------------------------

def columns(res: Resource) -> set[str]:
    return {c.key for c in inspect(res.model).column_attrs}


def body_values(res: Resource, body: Any) -> tuple[dict[str, Any], set[str]]:
    """The column values a body sets (by attribute name) and every key it sent."""
    if isinstance(body, BaseModel):
        dumped = body.model_dump(exclude_unset=True, by_alias=False)
    else:
        dumped = {snake(k): v for k, v in dict(body).items()}
    writable = columns(res) - MANAGED - res.hidden
    return {k: v for k, v in dumped.items() if k in writable}, set(dumped)


async def flush(session: AsyncSession, res: Resource) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"{res.label} conflicts with an existing record") from None


async def owner_from_body(write: Write) -> None:
    """Tenant and organization of a new row: the caller's tenant, and the body's `organizationId`
    when it is a live organization of that tenant the caller sees (else the caller's current one)."""
    ctx, row = write.ctx, write.row
    row.tenant_id = ctx.require_tenant()
    wanted = write.body.get("organization_id") if isinstance(write.body, dict) else \
        getattr(write.body, "organization_id", None)
    if not wanted:
        row.organization_id = ctx.require_org()
        return
    # `sees_org` is true for any id in the all-organizations view: the id must also be the tenant's.
    live = (await write.session.execute(select(Organization.id).where(
        Organization.id == wanted, Organization.tenant_id == row.tenant_id, Organization.deleted_at.is_(None)
    ))).first()
    if live is None or not ctx.sees_org(wanted):
        raise Forbidden("Organization is outside your scope")
    row.organization_id = wanted


async def _place(write: Write) -> None:
    """Tenant, organization and parent of a new row, from the caller and the body. A resource with
    its own scope function places its rows in its hooks (`owner_from_body` helps)."""
    res, ctx, row = write.resource, write.ctx, write.row
    cols = columns(res)
    if res.scope == "organization" and "organization_id" in cols:
        await owner_from_body(write)
    elif res.scope in ("organization", "tenant") and "tenant_id" in cols:
        row.tenant_id = ctx.require_tenant()
    if res.parent is not None:
        parent = res.parent
        key = snake(parent.param)
        parent_id = write.body.get(key) if isinstance(write.body, dict) else getattr(write.body, key, None)
        if not parent_id:
            raise BadRequest("Invalid input", [{"path": [parent.param], "message": "Required"}])
        if not (parent.checked_by_hook and res.hooks.before_create is not None):
            await get_row(parent.resource, ctx, write.session, parent_id, custom=False)
        setattr(row, parent.column.key, parent_id)


async def _check_custom(write: Write, submitted: Mapping[str, Any] | None, *, creating: bool) -> None:
    """Validates the write's custom values against the caller's definitions before anything is
    written (`write.extra["custom"]`: the entity, its definitions and the clean values)."""
    cf = write.resource.custom
    if cf is None:
        return
    if submitted is None:
        body = write.body
        extra = body.model_extra if isinstance(body, BaseModel) else body
        submitted = custom_fields.submitted(extra or {})
    entity = cf.entity or str(write.value(cf.entity_column.key) or "")
    ctx, session = write.ctx, write.session
    defs = await custom_fields.definitions(session, entity, ctx.tenant_id, ctx.write_org_id,
                                           cf.shipped if cf.entity else ())
    clean = custom_fields.validate(defs, submitted, creating=creating, prefix=cf.prefix, dialect=write.resource.dialect)
    write.extra["custom"] = (entity, defs, clean)
    write.extra["secret"] = set(await custom_fields.encrypted_fields(session, entity, ctx.tenant_id))


async def _store_custom(write: Write) -> None:
    if "custom" not in write.extra:
        return
    entity, defs, clean = write.extra["custom"]
    await custom_fields.store(write.session, entity=entity, record=write.row, tenant_id=write.row.tenant_id,
                              values=clean, defs=defs)
    await load_custom(write.resource, write.ctx, write.session, [write.row])


async def write_custom(res: Resource, ctx: AuthContext, session: AsyncSession, row: Any,
                       submitted: Mapping[str, Any], *, creating: bool) -> None:
    """Custom values of a row a module writes itself rather than through `create`/`update` (a line
    nested in a document's body): checked against the caller's definitions (required ones too on
    create) and stored, as the kit's own writes do."""
    write = Write(session, ctx, res, "create" if creating else "update", row, None, {}, set())
    await _check_custom(write, submitted, creating=creating)
    await _store_custom(write)


@cache
def _always_set(res: Resource, creating: bool) -> frozenset[str]:
    """Attributes whose column always holds a value (not nullable, not the key). On insert, a column with a
    default takes it for a `None` (SQLAlchemy leaves the value out), so only those without one count."""
    mapper: Any = inspect(res.model)
    return frozenset(a.key for a in mapper.column_attrs
                     if not (column := a.columns[0]).nullable and not column.primary_key
                     and not (creating and (column.default is not None or column.server_default is not None)))


def _refuse_nulls(res: Resource, values: Mapping[str, Any], *, creating: bool) -> None:
    """`null` for a field that always holds a value is the caller's mistake (400), not a conflict with a
    stored record, which is what the database's NOT NULL refusal would otherwise be reported as. Checked
    after the `before_*` hooks, which may derive such a value (a tag's slug from its label)."""
    nulls = sorted(k for k, v in values.items() if v is None and k in _always_set(res, creating))
    if nulls:
        raise BadRequest("Invalid input", [{"path": [camel(k)], "message": "Required", "code": "invalid_type"}
                                           for k in nulls])


def _authorize(res: Resource, ctx: AuthContext, action: str) -> None:
    if res.hooks.authorize is not None:
        res.hooks.authorize(ctx, action)


async def create(res: Resource, ctx: AuthContext, session: AsyncSession, body: Any,
                 *, custom: Mapping[str, Any] | None = None) -> Write:
    """`custom`: the body's custom values (`custom_fields.submitted`); else read from the body."""
    _authorize(res, ctx, "create")
    values, given = body_values(res, body)
    row: Any = res.model(id=new_id())
    write = Write(session, ctx, res, "create", row, body, values, given)
    await _place(write)
    await _check_custom(write, custom, creating=True)
    if res.hooks.before_create is not None:
        await res.hooks.before_create(write)
    _refuse_nulls(res, write.values, creating=True)
    for key, value in write.values.items():
        setattr(row, key, value)
    session.add(row)
    await flush(session, res)
    marked_before = await marked(res, session, row) if res.exclusive is not None else []
    await _keep_exclusive(res, session, row)
    if res.hooks.after_create is not None:
        await res.hooks.after_create(write)
        await flush(session, res)
    await _store_custom(write)
    after = await snapshot(res, session, row)
    if res.exclusive is not None:
        after[MARKED_BEFORE] = [i for i in marked_before if i != row.id]
    write.extra["entry"] = await write_log(write, after)
    return write


async def upsert(res: Resource, ctx: AuthContext, session: AsyncSession, body: Any,
                 *, custom: Mapping[str, Any] | None = None) -> Write:
    """Update the caller's row whose `res.upsert_by` columns hold the body's values, or create it. The parent a
    key names must be one the caller sees (404 with the parent's label, as on create)."""
    values, _ = body_values(res, body)
    keys = {column.key: values.get(column.key) for column in res.upsert_by}
    if res.parent is not None and res.parent.column.key in keys:
        await get_row(res.parent.resource, ctx, session, keys[res.parent.column.key], custom=False)
    model: Any = res.model
    stmt = scoped(res, ctx).where(*(getattr(model, key) == value for key, value in keys.items()))
    if res.soft_delete:
        stmt = stmt.where(model.deleted_at.is_(None))
    existing = (await session.execute(stmt.with_only_columns(model.id).limit(1))).scalar()
    if existing is None:
        return await create(res, ctx, session, body, custom=custom)
    return await update(res, ctx, session, existing, body, custom=custom)


def check_updated_at(kind: str, current: Any, expected: str | None) -> None:
    """Optimistic locking: 409 when the caller read the record at another `updatedAt` than it has
    now. No header, or one that is not a timestamp, skips the check (the reference does the same);
    so does the `optimistic_lock` setting for kinds it leaves out."""
    if not expected or not get_settings().locks(kind):
        return
    wanted = parse_instant(expected)
    if wanted is None:
        return
    now_at, asked = js_iso(current), js_iso(wanted)
    if now_at != asked:
        raise Conflict("record_modified", extra={"code": "optimistic_lock_conflict",
                                                 "currentUpdatedAt": now_at, "expectedUpdatedAt": asked})


def check_lock(res: Resource, row: Any, expected: str | None) -> None:
    if res.lock:
        check_updated_at(res.entity, row.updated_at, expected)


async def update(res: Resource, ctx: AuthContext, session: AsyncSession, row_id: Any, body: Any,
                 *, expected_updated_at: str | None = None, custom: Mapping[str, Any] | None = None) -> Write:
    _authorize(res, ctx, "update")
    row = await get_row(res, ctx, session, row_id)
    check_lock(res, row, expected_updated_at)
    values, given = body_values(res, body)
    if res.parent is not None and res.parent.column.key in values and \
            values[res.parent.column.key] != getattr(row, res.parent.column.key):
        # Moving a child: its new parent must be one the caller sees, as on create.
        await get_row(res.parent.resource, ctx, session, values[res.parent.column.key])
    extra = not res.hooks.extra_keys or bool(res.hooks.extra_keys & given)
    write = Write(session, ctx, res, "update", row, body, values, given,
                  before=await snapshot(res, session, row, extra=extra))
    await _check_custom(write, custom, creating=False)
    if res.hooks.before_update is not None:
        await res.hooks.before_update(write)
    _refuse_nulls(res, write.values, creating=False)
    for key, value in write.values.items():
        setattr(row, key, value)
    if "updated_at" in columns(res):
        row.updated_at = utcnow()
    await flush(session, res)
    await _keep_exclusive(res, session, row)
    if res.hooks.after_update is not None:
        await res.hooks.after_update(write)
        await flush(session, res)
    await _store_custom(write)
    write.extra["entry"] = await write_log(write, await snapshot(res, session, row, extra=extra))
    return write


async def delete(res: Resource, ctx: AuthContext, session: AsyncSession, row_id: Any,
                 *, expected_updated_at: str | None = None) -> Write:
    _authorize(res, ctx, "delete")
    row = await get_row(res, ctx, session, row_id)
    check_lock(res, row, expected_updated_at)
    write = Write(session, ctx, res, "delete", row, {"id": row.id}, {}, set(),
                  before=await snapshot(res, session, row))
    if res.hooks.before_delete is not None:
        await res.hooks.before_delete(write)
    if res.owns:
        taken = await take_owned(res, session, row)
        if taken:
            write.before = {**(write.before or {}), audit.OWNED: taken}
    after: dict[str, Any] | None = None
    event = describe(res, row)
    if res.soft_delete:
        for key, value in write.values.items():
            setattr(row, key, value)
        row.deleted_at = utcnow()
        event = describe(res, row)
    else:
        await session.delete(row)  # custom values go with the row
    await flush(session, res)
    if res.hooks.after_delete is not None:
        await res.hooks.after_delete(write)
        await flush(session, res)
    if res.soft_delete:
        after = await snapshot(res, session, row)
    write.extra["entry"] = await record(session, ctx, kind=res.entity, action="delete", row=row, label=res.label,
                                        before=write.before, after=after, event=event, payload={"id": row.id})
    return write


def entry_of(write: Write) -> ActionLog:
    entry: ActionLog = write.extra["entry"]
    return entry
