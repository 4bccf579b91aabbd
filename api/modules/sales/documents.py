"""Orders and quotes as the resources' hooks see them: locking a document, recalculating its totals
in the writing transaction (with the `sales.*.calculate.before/after` extension points), document
numbers, and preparing lines (currency, product, price, tax rate, snapshots).

**Extension points.** A module changes a calculation by declaring, in its manifest's `subscribers`,
a handler for one of `HOOK_EVENTS` (the reference platform's names). They run in process, inside the
request, never through the outbox: the handler gets a `DomainEvent` whose `payload["calc"]` is the
`Calculation` to change (its `document` input before, its `totals` after; `line` and `line_totals`
around each line). `recalculate(..., hooks=...)` takes them explicitly instead (tests)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import api.modules.catalog.service as catalog
import api.modules.currencies.service as currencies
import api.modules.customers.service as customers
import api.modules.dictionaries.service as dictionaries
from api import outbox
from api.auth import AuthContext
from api.db import new_id, utcnow
from api.errors import BadRequest, Conflict, NotFound
from api.modules.sales import totals as engine
from api.modules.sales.models import (
    SalesDocumentSequence,
    SalesOrder,
    SalesOrderAdjustment,
    SalesOrderLine,
    SalesPayment,
    SalesQuote,
    SalesQuoteAdjustment,
    SalesQuoteLine,
    SalesSettings,
    SalesTaxRate,
)
from api.outbox import DomainEvent


@dataclass(frozen=True)
class DocKind:
    """What differs between orders and quotes."""

    name: str
    model: type[Any]
    line_model: type[Any]
    adjustment_model: type[Any]
    fk: str
    line_fk: str
    number_attr: str
    label: str


ORDER = DocKind("order", SalesOrder, SalesOrderLine, SalesOrderAdjustment, "order_id", "order_line_id",
                "order_number", "Order")
QUOTE = DocKind("quote", SalesQuote, SalesQuoteLine, SalesQuoteAdjustment, "quote_id", "quote_line_id",
                "quote_number", "Quote")
KINDS = {"order": ORDER, "quote": QUOTE}

ORDER_STATUS = "sales.order_status"
LINE_STATUS = "sales.order_line_status"
SHIPMENT_STATUS = "sales.shipment_status"
PAYMENT_STATUS = "sales.payment_status"
ADJUSTMENT_KIND = "sales.adjustment_kind"


# --- locking ---------------------------------------------------------------------------------------------

async def lock(session: AsyncSession, kind: DocKind, doc_id: str, ctx: AuthContext) -> Any:
    """The live document, locked for the rest of the transaction, so two writers of one document's lines
    queue and the second recalculates from the first's committed lines: no update is lost.

    PostgreSQL: `SELECT ... FOR UPDATE`. SQLite ignores FOR UPDATE and its driver opens the transaction
    only at the first write, so a read here would take no lock and could see the document as it was
    before a concurrent writer committed (duplicate line numbers); a no-op UPDATE of the row first takes
    the database's write lock (waiting for the other writer to commit), and the read after it is fresh.
    The currency's decimal places come with the row (`places_of` then asks nothing)."""
    doc, _ = await _lock(session, kind, doc_id, ctx, last_line=False)
    return doc


async def lock_for_line(session: AsyncSession, kind: DocKind, doc_id: str, ctx: AuthContext) -> tuple[Any, int]:
    """`lock`, and the highest line number the document has (0 without lines), read under the lock so
    that concurrent line creates number their lines one after the other."""
    doc, last = await _lock(session, kind, doc_id, ctx, last_line=True)
    if last is None:
        # PostgreSQL: a subquery of the locking statement reads the snapshot taken before the lock was
        # granted (a concurrent writer's line would be missed), so the number is read after it.
        last = (await session.execute(_last_line_stmt(kind), {"doc_id": doc.id})).scalar()
    return doc, int(last or 0)


@cache
def _last_line_stmt(kind: DocKind) -> Any:
    line_model: Any = kind.line_model
    return select(func.max(line_model.line_number)).where(getattr(line_model, kind.fk) == bindparam("doc_id"))


async def _lock(session: AsyncSession, kind: DocKind, doc_id: str, ctx: AuthContext, *,
                last_line: bool) -> tuple[Any, int | None]:
    model: Any = kind.model
    where = [model.id == doc_id, model.tenant_id == ctx.tenant_id, model.deleted_at.is_(None)]
    if ctx.org_scope is not None:
        where.append(model.organization_id.in_(ctx.org_scope))
    sqlite = session.get_bind().dialect.name == "sqlite"
    stmt: Any
    if sqlite:
        # The no-op UPDATE returns the row it locked: one statement instead of an UPDATE and a read. Its
        # subqueries run after the write lock is taken, so the last line number is fresh too. SQLite
        # renders RETURNING's columns without their table, so the document's are named in full (else
        # `tenant_id` inside a subquery would be the subquery's own).
        def outer(name: str) -> Any:
            return literal_column(f'"{model.__tablename__}"."{name}"')

        line_model: Any = kind.line_model
        extra = [currencies.decimal_places_column(tenant_id=outer("tenant_id"),
                                                  organization_id=outer("organization_id"),
                                                  code=outer("currency_code"))]
        if last_line:
            extra.append(select(func.max(line_model.line_number))
                         .where(getattr(line_model, kind.fk) == outer("id")).scalar_subquery())
        stmt = (update(model).where(*where).values(version=model.version).returning(model, *extra)
                .execution_options(synchronize_session=False, populate_existing=True))
    else:
        places = currencies.decimal_places_column(tenant_id=model.tenant_id, organization_id=model.organization_id,
                                                  code=model.currency_code)
        stmt = (select(model, places).where(*where).with_for_update(of=model)
                .execution_options(populate_existing=True))
    found = (await session.execute(stmt)).first()
    if found is None:
        raise NotFound(f"{kind.label} not found")
    doc = found[0]
    session.info[_places_key(doc)] = currencies.places_or_iso(found[1], doc.currency_code)
    return doc, (found[2] if len(found) > 2 else None)


# --- extension points -----------------------------------------------------------------------------------

LINE_BEFORE, LINE_AFTER = "sales.line.calculate.before", "sales.line.calculate.after"
DOC_BEFORE, DOC_AFTER = "sales.document.calculate.before", "sales.document.calculate.after"
TAX_BEFORE, TAX_AFTER = "sales.tax.calculate.before", "sales.tax.calculate.after"
SHIPPING_BEFORE, SHIPPING_AFTER = "sales.shipping.adjustments.apply.before", "sales.shipping.adjustments.apply.after"
PAYMENT_BEFORE, PAYMENT_AFTER = "sales.payment.adjustments.apply.before", "sales.payment.adjustments.apply.after"
HOOK_EVENTS = (LINE_BEFORE, LINE_AFTER, DOC_BEFORE, DOC_AFTER, TAX_BEFORE, TAX_AFTER, SHIPPING_BEFORE,
               SHIPPING_AFTER, PAYMENT_BEFORE, PAYMENT_AFTER)
TOTALS_CALCULATED = "sales.document.totals.calculated"

Hook = Callable[[DomainEvent], Awaitable[None]]
Hooks = dict[str, tuple[Hook, ...]]


@dataclass
class Calculation:
    """What the hooks see and may change: the engine's input and, after, its output."""

    kind: str
    document_id: str
    document: engine.DocumentInput
    line: engine.LineInput | None = None
    line_totals: engine.LineTotals | None = None
    tax_rules: list[engine.TaxRule] = field(default_factory=list)
    tax_context: engine.TaxContext | None = None
    tax_rates: list[engine.TaxRule] = field(default_factory=list)
    totals: engine.DocumentTotals | None = None


_manifest_hooks: Hooks | None = None


def manifest_hooks() -> Hooks:
    """The calculation hooks the modules' manifests declare, collected once per process (by exact
    name: a catch-all outbox subscriber is not a calculation hook)."""
    global _manifest_hooks
    if _manifest_hooks is None:
        from api.manifest import modules

        subs = [s for m in modules() for s in m.subscribers]
        _manifest_hooks = {name: tuple(h for pattern, h in subs if pattern == name) for name in HOOK_EVENTS}
    return _manifest_hooks


async def _run(hooks: Hooks, name: str, calc: Calculation, tenant_id: str | None, org_id: str | None) -> None:
    for hook in hooks.get(name, ()):
        await hook(DomainEvent(id=new_id(), seq=0, name=name, tenant_id=tenant_id, organization_id=org_id,
                               payload={"calc": calc}, created_at=utcnow()))


# --- recalculation -----------------------------------------------------------------------------------------

ZERO = Decimal(0)


def _d(value: Any) -> Decimal:
    return Decimal(value) if value is not None else ZERO


def _places_key(doc: Any) -> tuple[str, ...]:
    return ("sales.places", doc.tenant_id, doc.organization_id, doc.currency_code)


async def places_of(session: AsyncSession, doc: Any) -> int:
    """The document currency's decimal places, read once per request (session): a line write asks for
    them to price the line and again to recalculate (`lock` reads them with the document)."""
    key = _places_key(doc)
    if key not in session.info:
        session.info[key] = await currencies.decimal_places(
            session, tenant_id=doc.tenant_id, organization_id=doc.organization_id, code=doc.currency_code)
    return int(session.info[key])


async def line_amounts(session: AsyncSession, doc: Any, line_id: str, values: dict[str, Any], *,
                       hooks: Hooks | None = None) -> None:
    """A new line's amounts worked out before its insert, as recalculation will work them out, so the
    insert writes them and recalculation finds nothing to change (one UPDATE less per line write).
    With line hooks declared, recalculation alone decides them."""
    hooks = manifest_hooks() if hooks is None else hooks
    if hooks.get(LINE_BEFORE) or hooks.get(LINE_AFTER) or values.get("quantity") is None:
        return
    totals = engine.calculate_line(engine.LineInput(
        line_id, _d(values["quantity"]), values.get("unit_price_net"), values.get("unit_price_gross"),
        _d(values.get("discount_amount")), _d(values.get("discount_percent")), _d(values.get("tax_rate")),
        values.get("kind") or "product"), await places_of(session, doc))
    values.update(zip(_LINE_AMOUNTS, (totals.unit_price_net, totals.unit_price_gross, totals.tax_rate, totals.tax,
                                      totals.net, totals.gross), strict=True))


def _method_amounts(snapshot: dict[str, Any] | None, net_key: str, gross_key: str) -> tuple[Decimal, Decimal] | None:
    if not snapshot:
        return None
    net, gross = snapshot.get(net_key), snapshot.get(gross_key)
    if net in (None, "") and gross in (None, ""):
        return None
    net_d = Decimal(str(net if net not in (None, "") else gross))
    gross_d = Decimal(str(gross if gross not in (None, "") else net))
    return (net_d, gross_d) if net_d or gross_d else None


# What recalculation reads of each line and adjustment, and may write back.
_LINE_READ = ("id", "quantity", "unit_price_net", "unit_price_gross", "discount_amount", "discount_percent",
              "tax_rate", "kind", "tax_amount", "total_net_amount", "total_gross_amount")
_LINE_AMOUNTS = ("unit_price_net", "unit_price_gross", "tax_rate", "tax_amount", "total_net_amount",
                 "total_gross_amount")
_ADJ_READ = ("id", "kind", "scope", "rate", "amount_net", "amount_gross", "position")
_ADJ_AMOUNTS = ("amount_net", "amount_gross")


@dataclass(frozen=True)
class _Reads:
    """Recalculation's reads of one kind of document, built once: constructing a statement (and its
    cache key) cost more than running it; `:doc_id` is bound per call."""

    lines: Any
    adjustments: Any
    payments: Any


@cache
def _reads(kind: DocKind) -> _Reads:
    line_model: Any = kind.line_model
    adj_model: Any = kind.adjustment_model
    doc_id: Any = bindparam("doc_id")
    return _Reads(
        lines=select(*(getattr(line_model, c) for c in _LINE_READ))
        .where(getattr(line_model, kind.fk) == doc_id, line_model.deleted_at.is_(None))
        .order_by(line_model.line_number, line_model.created_at, line_model.id),
        adjustments=select(*(getattr(adj_model, c) for c in _ADJ_READ), getattr(adj_model, kind.line_fk))
        .where(getattr(adj_model, kind.fk) == doc_id, adj_model.deleted_at.is_(None))
        .order_by(adj_model.position, adj_model.id),
        payments=select(SalesPayment.amount, SalesPayment.refunded_amount, SalesPayment.status)
        .where(SalesPayment.order_id == doc_id, SalesPayment.deleted_at.is_(None))
        .order_by(SalesPayment.created_at, SalesPayment.id) if kind.name == "order" else None)


def _assign(row: Any, **values: object) -> None:
    """Set only what changed: a line whose amounts come out as stored stays clean, so adding one line to
    an order of hundreds flushes (and checks) that line and the document, not every line."""
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)


def _held(session: AsyncSession, model: Any) -> dict[str, Any]:
    """The rows of `model` this request holds as objects (the one written, or a document's nested lines), by
    id: one pass over the identity map's keys."""
    identity = session.sync_session.identity_map
    return {key[1][0]: identity.get(key) for key in identity.keys() if key[0] is model}


async def _write_back(session: AsyncSession, model: Any, names: tuple[str, ...],
                      rows: list[tuple[Any, tuple[Any, ...], tuple[Any, ...]]]) -> None:
    """New amounts of rows read as columns: `(id, stored, computed)` in the order of `names`. A row this
    request holds as an object is set on the object (what the request answers and audits is what is
    stored); the others that changed are updated by primary key, only in the columns that changed (one
    executemany per set of columns)."""
    held = _held(session, model)
    changed: list[dict[str, Any]] = []
    for row_id, old, new in rows:
        if (loaded := held.get(row_id)) is not None:
            _assign(loaded, **dict(zip(names, new, strict=True)))
        elif old != new:
            changed.append({"id": row_id, **{k: v for k, o, v in zip(names, old, new, strict=True) if o != v}})
    if changed:
        await session.execute(update(model), changed)


async def recalculate(session: AsyncSession, kind: DocKind, doc: Any, *, hooks: Hooks | None = None) -> \
        engine.DocumentTotals:
    """Works the document's totals out from its live lines, adjustments and payments, writes them
    (and the derived line and adjustment amounts) back in the caller's transaction, bumps `version`
    and announces `sales.document.totals.calculated`."""
    hooks = manifest_hooks() if hooks is None else hooks
    line_model: Any = kind.line_model
    adj_model: Any = kind.adjustment_model
    reads = _reads(kind)
    params = {"doc_id": doc.id}
    # Lines and adjustments as column rows, not ORM objects: an order of hundreds of lines is read on every
    # line write, and building (and tracking) an object per line cost more than the whole engine run. Only
    # the rows whose amounts change are written back (below). Read through the session's connection (Core
    # rows: the ORM's row loading of 200 lines cost about a millisecond more), after flushing what the
    # request changed, as the session's own execute would have.
    await session.flush()
    conn = await session.connection()
    lines: list[Any] = list((await conn.execute(reads.lines, params)).all())
    adjustments: list[Any] = list((await conn.execute(reads.adjustments, params)).all())
    payments: list[Any] = list((await conn.execute(reads.payments, params)).all()) if reads.payments is not None \
        else []
    shipping = None
    if not any(a.kind == "shipping" for a in adjustments):
        # A shipping method's base rate is the document's shipping unless an adjustment says otherwise.
        shipping = _method_amounts(doc.shipping_method_snapshot, "baseRateNet", "baseRateGross")
    fee = _method_amounts((doc.payment_method_snapshot or {}).get("metadata") or {}, "feeNet", "feeGross")
    doc_input = engine.DocumentInput(
        currency_code=doc.currency_code, places=await places_of(session, doc),
        # Numeric columns come back as Decimal: only NULLs need replacing (`_d` per value cost 0.2 ms here).
        lines=tuple(engine.LineInput(line_id, ZERO if quantity is None else quantity, net, gross,
                                     ZERO if amount is None else amount, ZERO if percent is None else percent,
                                     ZERO if rate is None else rate, line_kind)
                    for line_id, quantity, net, gross, amount, percent, rate, line_kind, *_ in lines),
        adjustments=tuple(engine.AdjustmentInput(a.id, a.kind, a.scope, a[-1], _d(a.rate), a.amount_net,
                                                 a.amount_gross, a.position) for a in adjustments),
        payments=tuple(engine.PaymentInput(_d(p.amount), _d(p.refunded_amount), p.status) for p in payments))
    calc = Calculation(kind.name, doc.id, doc_input)
    tenant, org = doc.tenant_id, doc.organization_id
    await _run(hooks, DOC_BEFORE, calc, tenant, org)
    calc.document = calc.document.but(shipping=shipping)
    await _run(hooks, SHIPPING_BEFORE, calc, tenant, org)
    await _run(hooks, SHIPPING_AFTER, calc, tenant, org)
    calc.document = calc.document.but(payment_fee=fee)
    await _run(hooks, PAYMENT_BEFORE, calc, tenant, org)
    await _run(hooks, PAYMENT_AFTER, calc, tenant, org)
    line_totals: list[engine.LineTotals] = []
    if not hooks.get(LINE_BEFORE) and not hooks.get(LINE_AFTER):
        # No line hook declared: the same per-line calculation without two awaits per line.
        places = calc.document.places
        line_totals = [engine.calculate_line(line_in, places) for line_in in calc.document.lines]
    else:
        for line_in in calc.document.lines:
            calc.line, calc.line_totals = line_in, None
            await _run(hooks, LINE_BEFORE, calc, tenant, org)
            calc.line_totals = engine.calculate_line(calc.line, calc.document.places)
            await _run(hooks, LINE_AFTER, calc, tenant, org)
            line_totals.append(calc.line_totals)
    calc.line, calc.line_totals = None, None
    result = engine.calculate(calc.document, line_totals)
    calc.totals = result
    await _run(hooks, DOC_AFTER, calc, tenant, org)
    result = calc.totals

    by_id = {r.id: r for r in lines}
    await _write_back(session, line_model, _LINE_AMOUNTS, [
        (lt.id, (row.unit_price_net, row.unit_price_gross, row.tax_rate, row.tax_amount, row.total_net_amount,
                 row.total_gross_amount),
         (lt.unit_price_net, lt.unit_price_gross, lt.tax_rate, lt.tax, lt.net, lt.gross))
        for lt in result.lines if (row := by_id.get(lt.id)) is not None])
    adj_by_id = {a.id: a for a in adjustments}
    await _write_back(session, adj_model, _ADJ_AMOUNTS, [
        (at.id, (adj.amount_net, adj.amount_gross), (at.amount_net, at.amount_gross))
        for at in result.adjustments if (adj := adj_by_id.get(at.id)) is not None])
    _assign(doc, **result.columns())
    doc.totals_snapshot = result.snapshot()
    doc.version = (doc.version or 0) + 1
    outbox.emit(session, TOTALS_CALCULATED, {"documentKind": kind.name, "documentId": doc.id,
                                             "totals": result.snapshot()}, tenant_id=tenant, organization_id=org)
    await session.flush()
    return result


# --- document numbers ------------------------------------------------------------------------------------

DEFAULT_FORMATS = {"order": "ORDER-{yyyy}{mm}{dd}-{seq:5}", "quote": "QUOTE-{yyyy}{mm}{dd}-{seq:5}"}
_TOKEN = re.compile(r"\{(yyyy|yy|mm|dd|seq(?::(\d{1,2}))?)\}")


def format_number(template: str, seq: int, at: datetime) -> str:
    """`ORDER-{yyyy}{mm}{dd}-{seq:5}` at 2025-03-07 with 42 → `ORDER-20250307-00042`; `{seq}` is
    unpadded; unknown braces stay as written."""
    def token(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "yyyy":
            return f"{at.year:04d}"
        if name == "yy":
            return f"{at.year % 100:02d}"
        if name == "mm":
            return f"{at.month:02d}"
        if name == "dd":
            return f"{at.day:02d}"
        width = int(match.group(2) or 0)
        return str(seq).zfill(width)
    return _TOKEN.sub(token, template)


def check_format(template: str) -> None:
    if "{seq" not in template or not any(m.group(1).startswith("seq") for m in _TOKEN.finditer(template)):
        raise BadRequest("Number format must contain {seq} or {seq:N}")


async def settings_row(session: AsyncSession, tenant_id: str, org_id: str, *, create: bool = False) -> \
        SalesSettings | None:
    row = (await session.execute(select(SalesSettings).where(
        SalesSettings.tenant_id == tenant_id, SalesSettings.organization_id == org_id))).scalars().first()
    if row is None and create:
        try:
            # Two first writes of the settings at once: the loser finds the winner's row.
            async with session.begin_nested():
                row = SalesSettings(tenant_id=tenant_id, organization_id=org_id,
                                    order_number_format=DEFAULT_FORMATS["order"],
                                    quote_number_format=DEFAULT_FORMATS["quote"])
                session.add(row)
                await session.flush()
        except IntegrityError:
            row = (await session.execute(select(SalesSettings).where(
                SalesSettings.tenant_id == tenant_id, SalesSettings.organization_id == org_id))).scalars().first()
            if row is None:
                raise Conflict("Sales settings are being created by another request; retry") from None
    return row


async def number_format(session: AsyncSession, tenant_id: str, org_id: str, kind: str) -> str:
    row = await settings_row(session, tenant_id, org_id)
    if row is None:
        return DEFAULT_FORMATS[kind]
    return str(row.order_number_format if kind == "order" else row.quote_number_format)


async def current_sequence(session: AsyncSession, tenant_id: str, org_id: str, kind: str) -> int:
    found = (await session.execute(select(SalesDocumentSequence.current_value).where(
        SalesDocumentSequence.tenant_id == tenant_id, SalesDocumentSequence.organization_id == org_id,
        SalesDocumentSequence.document_kind == kind))).scalars().first()
    return int(found or 0)


async def set_sequence(session: AsyncSession, tenant_id: str, org_id: str, kind: str, next_value: int) -> None:
    await _ensure_sequence(session, tenant_id, org_id, kind)
    await session.execute(update(SalesDocumentSequence).where(
        SalesDocumentSequence.tenant_id == tenant_id, SalesDocumentSequence.organization_id == org_id,
        SalesDocumentSequence.document_kind == kind).values(current_value=next_value - 1))


async def _ensure_sequence(session: AsyncSession, tenant_id: str, org_id: str, kind: str) -> None:
    dialect = session.get_bind().dialect.name
    values = {"id": new_id(), "tenant_id": tenant_id, "organization_id": org_id, "document_kind": kind,
              "current_value": 0}
    stmt: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        stmt = pg_insert(SalesDocumentSequence).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        stmt = sqlite_insert(SalesDocumentSequence).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - the two databases we run on are above
        exists = await current_sequence(session, tenant_id, org_id, kind)
        if exists:
            return
        stmt = insert(SalesDocumentSequence).values(values)
    await session.execute(stmt)


async def next_number(session: AsyncSession, tenant_id: str, org_id: str, kind: str,
                      at: datetime | None = None) -> tuple[str, str, int]:
    """The next document number of `kind` as `(number, format, sequence)`: one UPDATE ... RETURNING
    increments the organization's counter inside the caller's transaction, so concurrent creates queue
    on that row and each gets its own number, and a refused create gives its number back."""
    await _ensure_sequence(session, tenant_id, org_id, kind)
    seq = (await session.execute(
        update(SalesDocumentSequence).where(
            SalesDocumentSequence.tenant_id == tenant_id, SalesDocumentSequence.organization_id == org_id,
            SalesDocumentSequence.document_kind == kind)
        .values(current_value=SalesDocumentSequence.current_value + 1)
        .returning(SalesDocumentSequence.current_value))).scalar_one()
    template = await number_format(session, tenant_id, org_id, kind)
    return format_number(template, int(seq), at or utcnow()), template, int(seq)


# --- status dictionaries -----------------------------------------------------------------------------------

async def status_entry(session: AsyncSession, *, tenant_id: str, org_id: str, key: str,
                       entry_id: str | None = None, value: str | None = None) -> dictionaries.Entry:
    """The dictionary entry a status id or value names (400 when it names none). An organization
    that has no sales dictionaries yet gets the defaults first."""
    found = await dictionaries.find_dictionary(session, tenant_id=tenant_id, organization_id=org_id, key=key)
    if found is None:
        await dictionaries.ensure_defaults(session, tenant_id=tenant_id, organization_id=org_id)
    if value is not None:
        entry = await dictionaries.resolve_entry(session, tenant_id=tenant_id, organization_id=org_id, key=key,
                                                 value=value)
        if entry is None:
            raise BadRequest(f"Unknown status: {value}")
        return entry
    for item in await dictionaries.entries(session, tenant_id=tenant_id, organization_id=org_id, key=key):
        if item.id == entry_id:
            return item
    raise BadRequest("Status not found", [{"path": ["statusEntryId"], "message": "Unknown status"}])


# --- lines -------------------------------------------------------------------------------------------------

def tax_rule(row: SalesTaxRate) -> engine.TaxRule:
    return engine.TaxRule(row.id, Decimal(row.rate), row.country_code, row.region_code, row.postal_code, row.city,
                          row.customer_group_id, row.product_category_id, row.channel_id, row.priority or 0,
                          bool(row.is_compound), bool(row.is_default), row.starts_at, row.ends_at)


async def tax_rules(session: AsyncSession, tenant_id: str, org_id: str) -> list[engine.TaxRule]:
    rows = (await session.execute(select(SalesTaxRate).where(
        SalesTaxRate.tenant_id == tenant_id, SalesTaxRate.organization_id == org_id,
        SalesTaxRate.deleted_at.is_(None)))).scalars()
    return [tax_rule(r) for r in rows]


def tax_context(doc: Any, category_id: str | None = None) -> engine.TaxContext:
    address = doc.shipping_address_snapshot or doc.billing_address_snapshot or {}
    customer = doc.customer_snapshot or {}
    return engine.TaxContext(
        country_code=address.get("country") or address.get("countryCode"),
        region_code=address.get("region") or address.get("regionCode"),
        postal_code=address.get("postalCode") or address.get("postal_code"), city=address.get("city"),
        customer_group_id=customer.get("customerGroupId"), product_category_id=category_id,
        channel_id=doc.channel_id, at=doc.placed_at or utcnow())


async def prepare_line(session: AsyncSession, ctx: AuthContext, kind: DocKind, doc: Any, values: dict[str, Any],
                       body: Any, *, creating: bool, hooks: Hooks | None = None,
                       last_line: int | None = None) -> None:
    """Checks and completes a line's values before they are written: its currency is the document's,
    its product exists, a missing unit price comes from the catalog's pricing, the tax rate comes from
    `taxRateId` or the tax rules (compound ones included), and the catalog data are snapshotted.
    `last_line`: the document's highest line number when the caller read it under the lock already."""
    hooks = manifest_hooks() if hooks is None else hooks
    currency = values.get("currency_code")
    if currency is not None and currency != doc.currency_code:
        raise BadRequest("Line currency must match the document currency",
                         [{"path": ["currencyCode"], "message": f"Expected {doc.currency_code}"}])
    if creating:
        values["currency_code"] = doc.currency_code
    product_id = values.get("product_id")
    if product_id and not await catalog.product_exists(session, tenant_id=doc.tenant_id, product_id=product_id):
        raise NotFound("Product not found")
    tax_rate_id = getattr(body, "tax_rate_id", None)
    if tax_rate_id:
        row = (await session.execute(select(SalesTaxRate).where(
            SalesTaxRate.id == tax_rate_id, SalesTaxRate.tenant_id == doc.tenant_id,
            SalesTaxRate.organization_id == doc.organization_id, SalesTaxRate.deleted_at.is_(None)))).scalars().first()
        if row is None:
            raise NotFound("Tax rate not found")
        values["tax_rate"] = Decimal(row.rate)
    priced = None
    if product_id and creating and values.get("unit_price_net") is None and values.get("unit_price_gross") is None:
        priced = await catalog.resolve_price(
            session, tenant_id=doc.tenant_id, product_id=product_id, quantity=values.get("quantity") or 1,
            currency_code=doc.currency_code, variant_id=values.get("product_variant_id"), channel_id=doc.channel_id,
            customer_id=doc.customer_entity_id, organization_ids=[doc.organization_id],
            decimals=await places_of(session, doc))
        if priced is not None:
            values["unit_price_net"], values["unit_price_gross"] = priced.unit_net, priced.unit_gross
            if values.get("tax_rate") is None:
                values["tax_rate"] = priced.tax_rate
    if creating and values.get("tax_rate") is None:
        calc = Calculation(kind.name, doc.id, engine.DocumentInput(doc.currency_code),
                           tax_rules=await tax_rules(session, doc.tenant_id, doc.organization_id),
                           tax_context=tax_context(doc))
        await _run(hooks, TAX_BEFORE, calc, doc.tenant_id, doc.organization_id)
        assert calc.tax_context is not None
        calc.tax_rates = engine.select_tax_rates(calc.tax_rules, calc.tax_context)
        await _run(hooks, TAX_AFTER, calc, doc.tenant_id, doc.organization_id)
        values["tax_rate"] = engine.effective_rate(calc.tax_rates)
    if not creating:
        # A new net price or rate makes the stored gross price stale (and the other way round).
        if ("unit_price_net" in values or "tax_rate" in values) and "unit_price_gross" not in values:
            values["unit_price_gross"] = None
        elif "unit_price_gross" in values and "unit_price_net" not in values:
            values["unit_price_net"] = None
    if product_id and (creating or "product_id" in values):
        values["catalog_snapshot"] = {
            "productId": product_id, "variantId": values.get("product_variant_id"),
            "price": None if priced is None else {
                "priceId": priced.layer.id, "kind": priced.layer.kind, "unitPriceNet": str(priced.unit_net),
                "unitPriceGross": str(priced.unit_gross), "taxRate": str(priced.tax_rate)},
            "snapshotAt": utcnow().isoformat()}
    for key in ("discount_amount", "discount_percent", "tax_rate"):
        if key in values and values[key] is None:
            values[key] = Decimal(0)
    if creating and not values.get("line_number"):
        if last_line is None:
            last_line = int((await session.execute(_last_line_stmt(kind), {"doc_id": doc.id})).scalar() or 0)
        values["line_number"] = last_line + 1


async def customer_snapshot(session: AsyncSession, ctx: AuthContext, customer_id: str) -> dict[str, Any]:
    found = await customers.find_customer(session, ctx, customer_id)
    if found is None:
        raise NotFound("Customer not found")
    return {**found, "snapshotAt": utcnow().isoformat()}
