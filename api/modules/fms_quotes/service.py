"""The rules of freight quotes and offers as plain functions: scoped reads (with the row lock writers
queue on), offer numbers, line amounts and offer totals, building an offer from a quote's lines and
putting out a new version of an offer. The only file other modules may import (docs/fms-quotes.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.db import new_id, utcnow
from api.errors import BadRequest, NotFound
from api.modules.fms_quotes.models import FmsOffer, FmsOfferLine, FmsOfferSequence, FmsQuote, FmsQuoteLine

PLACES = Decimal("0.0001")
# How long a new version of an offer stays valid unless the user changes it.
VERSION_VALIDITY = timedelta(days=14)


def money(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal | None, unit_price: Decimal | None) -> Decimal:
    return money((quantity or Decimal("0")) * (unit_price or Decimal("0")))


# --- scoped reads ---------------------------------------------------------------------------------------

async def visible(session: AsyncSession, ctx: AuthContext, model: Any, row_id: str, label: str, *,
                  lock: bool = False) -> Any:
    """The caller's live row of `model` (its tenant, an organization in its scope), else 404. `lock`
    makes writers of one quote or offer queue for the rest of the transaction, each reading what the
    previous one committed (line numbers, statuses).

    PostgreSQL: `SELECT ... FOR UPDATE`. SQLite ignores FOR UPDATE and its driver opens the transaction
    only at the first write, so a read alone takes no lock and may be stale; a no-op UPDATE of the row
    first takes the database's write lock (waiting for the other writer to commit)."""
    where = [model.id == row_id, model.deleted_at.is_(None),
             model.tenant_id == ctx.tenant_id if ctx.tenant_id else model.id.is_(None)]
    if ctx.org_scope is not None:
        where.append(model.organization_id.in_(ctx.org_scope))
    stmt = select(model).where(*where)
    if lock:
        if session.get_bind().dialect.name == "sqlite":
            # `updated_at` named so that its on-update default does not fire: the row does not change.
            await session.execute(update(model).where(*where).values(id=model.id, updated_at=model.updated_at)
                                  .execution_options(synchronize_session=False))
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = (await session.execute(stmt)).scalars().first()
    if row is None:
        raise NotFound(f"{label} not found")
    return row


async def next_line_number(session: AsyncSession, model: Any, parent_column: Any, parent_id: str) -> int:
    """One past the highest line number of the parent's live lines (0 for the first)."""
    found = (await session.execute(select(func.max(model.line_number)).where(
        parent_column == parent_id, model.deleted_at.is_(None)))).scalar()
    return 0 if found is None else int(found) + 1


async def offer_lines(session: AsyncSession, offer_ids: Sequence[str]) -> list[FmsOfferLine]:
    if not offer_ids:
        return []
    return list((await session.execute(select(FmsOfferLine).where(
        FmsOfferLine.offer_id.in_(list(offer_ids)), FmsOfferLine.deleted_at.is_(None))
        .order_by(FmsOfferLine.offer_id, FmsOfferLine.line_number, FmsOfferLine.created_at, FmsOfferLine.id)))
        .scalars())


# --- totals ---------------------------------------------------------------------------------------------

async def recompute_total(session: AsyncSession, offer: FmsOffer) -> Decimal:
    """The offer's total: the sum of its live lines' amounts."""
    await session.flush()
    total = (await session.execute(select(func.coalesce(func.sum(FmsOfferLine.amount), 0)).where(
        FmsOfferLine.offer_id == offer.id, FmsOfferLine.deleted_at.is_(None)))).scalar()
    offer.total_amount = money(Decimal(str(total or 0)))
    return offer.total_amount


# --- numbering ------------------------------------------------------------------------------------------

async def _ensure_sequence(session: AsyncSession, tenant_id: str, org_id: str) -> None:
    values = {"id": new_id(), "tenant_id": tenant_id, "organization_id": org_id, "current_value": 0}
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        stmt = pg_insert(FmsOfferSequence).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        stmt = sqlite_insert(FmsOfferSequence).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - the two databases we run on are above
        if (await session.execute(select(FmsOfferSequence.id).where(
                FmsOfferSequence.tenant_id == tenant_id, FmsOfferSequence.organization_id == org_id))).first():
            return
        stmt = insert(FmsOfferSequence).values(values)
    await session.execute(stmt)


def format_offer_number(seq: int, at: datetime) -> str:
    """`OFF-2026-0042`: the year the offer was made and the organization's running count."""
    return f"OFF-{at.year:04d}-{seq:04d}"


async def next_offer_number(session: AsyncSession, tenant_id: str, org_id: str, at: datetime | None = None) -> str:
    """One UPDATE ... RETURNING increments the organization's counter inside the caller's transaction:
    concurrent creates queue on that row and each gets its own number, and a refused create gives its
    number back, so there are no gaps."""
    await _ensure_sequence(session, tenant_id, org_id)
    seq = (await session.execute(
        update(FmsOfferSequence).where(FmsOfferSequence.tenant_id == tenant_id,
                                       FmsOfferSequence.organization_id == org_id)
        .values(current_value=FmsOfferSequence.current_value + 1)
        .returning(FmsOfferSequence.current_value))).scalar_one()
    return format_offer_number(int(seq), at or utcnow())


# --- offers from quotes ---------------------------------------------------------------------------------

async def selected_lines(session: AsyncSession, quote: FmsQuote, line_ids: Sequence[str] | None) -> list[FmsQuoteLine]:
    """The quote's live lines in line order, or only `line_ids` (each must be a live line of the quote)."""
    stmt = select(FmsQuoteLine).where(FmsQuoteLine.quote_id == quote.id, FmsQuoteLine.deleted_at.is_(None),
                                      FmsQuoteLine.tenant_id == quote.tenant_id)
    wanted = list(dict.fromkeys(line_ids or []))
    if wanted:
        stmt = stmt.where(FmsQuoteLine.id.in_(wanted))
    lines = list((await session.execute(stmt.order_by(FmsQuoteLine.line_number, FmsQuoteLine.created_at,
                                                      FmsQuoteLine.id))).scalars())
    found = {line.id for line in lines}
    missing = [i for i, line_id in enumerate(line_ids or []) if line_id not in found]
    if missing:
        raise BadRequest("Invalid input", [{"path": ["lineIds", i], "message": "Not a line of this quote"}
                                           for i in missing])
    if not lines:
        raise BadRequest("No lines to include in offer")
    return lines


async def build_offer(session: AsyncSession, quote: FmsQuote, lines: Sequence[FmsQuoteLine], *,
                      valid_until: datetime, terms: dict[str, Any]) -> tuple[FmsOffer, list[FmsOfferLine]]:
    """A draft offer (version 1 of a new number) of `quote`: one offer line per quote line, priced at
    the line's sales price, and the total of their amounts. `terms`: the offer's other columns."""
    assert quote.tenant_id is not None and quote.organization_id is not None
    offer = FmsOffer(id=new_id(), tenant_id=quote.tenant_id, organization_id=quote.organization_id,
                     quote_id=quote.id, offer_number=await next_offer_number(session, quote.tenant_id,
                                                                             quote.organization_id),
                     version=1, status="draft", contract_type=terms.pop("contract_type", None) or "spot",
                     valid_until=valid_until, currency_code=quote.currency_code or "USD", **terms)
    rows: list[FmsOfferLine] = []
    for number, line in enumerate(lines, start=1):
        rows.append(FmsOfferLine(
            id=new_id(), tenant_id=quote.tenant_id, organization_id=quote.organization_id, offer_id=offer.id,
            line_number=number, product_name=line.product_name, charge_code=line.charge_code,
            container_size=line.container_size, quantity=line.quantity, currency_code=line.currency_code or "USD",
            unit_price=line.unit_sales, amount=line_amount(line.quantity, line.unit_sales)))
    offer.total_amount = money(sum((r.amount for r in rows), Decimal("0")))
    session.add(offer)
    session.add_all(rows)
    await session.flush()
    return offer, rows


VERSIONED_COLUMNS = ("contract_type", "carrier_name", "currency_code", "total_amount", "payment_terms",
                     "special_terms", "customer_notes", "notes")
LINE_COLUMNS = ("line_number", "product_name", "charge_code", "container_size", "charge_name", "charge_category",
                "charge_unit", "container_type", "quantity", "currency_code", "unit_price", "amount")


async def new_version(session: AsyncSession, offer: FmsOffer) -> tuple[FmsOffer, list[FmsOfferLine]]:
    """A draft copy of `offer` and its lines under the same number and the next version; `offer`
    becomes `superseded` by it. A draft is still being edited and a superseded offer already has a
    successor, so neither is versioned."""
    if offer.status == "draft":
        raise BadRequest("Cannot create new version from a draft offer")
    if offer.status == "superseded":
        raise BadRequest("Cannot create new version from a superseded offer")
    latest = (await session.execute(select(func.max(FmsOffer.version)).where(
        FmsOffer.tenant_id == offer.tenant_id, FmsOffer.organization_id == offer.organization_id,
        FmsOffer.offer_number == offer.offer_number))).scalar()
    copy = FmsOffer(id=new_id(), tenant_id=offer.tenant_id, organization_id=offer.organization_id,
                    quote_id=offer.quote_id, offer_number=offer.offer_number,
                    version=max(int(latest or 0), offer.version) + 1, status="draft",
                    valid_until=utcnow() + VERSION_VALIDITY,
                    **{c: getattr(offer, c) for c in VERSIONED_COLUMNS})
    rows = [FmsOfferLine(id=new_id(), tenant_id=line.tenant_id, organization_id=line.organization_id,
                         offer_id=copy.id, **{c: getattr(line, c) for c in LINE_COLUMNS})
            for line in await offer_lines(session, [offer.id])]
    session.add(copy)
    session.add_all(rows)
    await session.flush()
    offer.status = "superseded"
    offer.superseded_by_id = copy.id
    offer.updated_at = utcnow()
    await session.flush()
    return copy, rows
