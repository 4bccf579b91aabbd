"""The module's collections for the CRUD kit: quotes, quote lines, offers and offer lines, and the
hooks that keep lines numbered, offers totalled and superseded offers unchanged. Offers are created
from quote lines and versioned by the module's own routes (routes.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import api.modules.contractors.service as contractors
import api.modules.fms_locations.service as locations
from api.auth import AuthContext
from api.crud import Dialect, Envelope, Features, Fields, Filter, Hooks, Owned, Parent, Resource, Sort, Write
from api.crud.answers import record
from api.crud.query import like_pattern
from api.crud.service import describe
from api.db import utcnow
from api.errors import BadRequest, Conflict
from api.modules.fms_quotes import service
from api.modules.fms_quotes.models import (
    CARGO_TYPES,
    DIRECTIONS,
    INCOTERMS,
    OFFER_STATUSES,
    QUOTE_STATUSES,
    FmsOffer,
    FmsOfferLine,
    FmsQuote,
    FmsQuoteLine,
)
from api.modules.fms_quotes.schemas import (
    OfferLineCreate,
    OfferLineUpdate,
    OfferUpdate,
    QuoteCreate,
    QuoteLineCreate,
    QuoteLineUpdate,
    QuoteUpdate,
)

QUOTES_VIEW = "fms_quotes.quotes.view"
QUOTES_MANAGE = "fms_quotes.quotes.manage"
OFFERS_VIEW = "fms_quotes.offers.view"
OFFERS_MANAGE = "fms_quotes.offers.manage"
TAG = "FMS Quotes & Offers"
# The reference answers every bad query string of these lists with this message.
LISTS = Dialect(error="Invalid query parameters")

QUOTE_SEARCH = (FmsQuote.quote_number, FmsQuote.notes, FmsQuote.status, FmsQuote.direction, FmsQuote.incoterm,
                FmsQuote.cargo_type)


def _search_quotes(stmt: Select[Any], raw: str) -> Select[Any]:
    """`q=`: the same text search as `search=` (the name the reference's quote list uses)."""
    text = raw.strip()
    if not text:
        return stmt
    pattern = like_pattern(text)
    return stmt.where(or_(*(func.lower(c).like(pattern, escape="\\") for c in QUOTE_SEARCH)))


QUOTE_COLUMNS = ("id", "quote_number", "client_id", "container_count", "status", "direction", "incoterm",
                 "cargo_type", "origin_port_ids", "destination_port_ids", "valid_until", "currency_code", "notes",
                 "organization_id", "tenant_id", "created_at", "updated_at")

async def present_quotes(session: AsyncSession, ctx: AuthContext, records: list[dict[str, Any]]) -> None:
    """A quote as the reference answers it by id: its client (`{id, name, shortName}`) and its origin and
    destination ports (`{id, locode, name, city, country}`), next to their ids; one query each."""
    clients = await contractors.contractors_by_id(session, ctx, [str(r["clientId"]) for r in records
                                                                 if r.get("clientId")])
    port_ids = [str(p) for r in records for key in ("originPortIds", "destinationPortIds") for p in r.get(key) or []]
    ports = await locations.locations_by_id(session, ctx, port_ids)
    for r in records:
        r["client"] = clients.get(r.get("clientId") or "")
        r["originPorts"] = [ports[p] for p in r.get("originPortIds") or [] if p in ports]
        r["destinationPorts"] = [ports[p] for p in r.get("destinationPortIds") or [] if p in ports]


quotes = Resource(
    path="/fms_quotes",
    model=FmsQuote,
    entity="fms_quotes.quote",
    create_schema=QuoteCreate,
    update_schema=QuoteUpdate,
    features=Features.view_manage(QUOTES_VIEW, QUOTES_MANAGE),
    tag=TAG,
    label="Quote",
    operations=frozenset({"list", "create", "update", "delete"}),
    by_id=frozenset({"update", "delete"}),
    deleted_body=None,  # the reference answers its deletes 204
    dialect=Dialect(invalid_delete_id=True),
    descriptions={"list": "Returns a paginated list of freight quotes (snake_case items); `search` or `q` "
                          "searches number, notes, status, direction, incoterm and cargo type.",
                  "detail": "Returns one freight quote by id (camelCase)."},
    search=QUOTE_SEARCH,
    sort=Sort((FmsQuote.quote_number, FmsQuote.status, FmsQuote.valid_until, FmsQuote.created_at,
               FmsQuote.updated_at), named={"id": FmsQuote.id}),
    filters={
        "q": Filter.using(_search_quotes, "Text search (as `search`)"),
        "status": Filter.eq(FmsQuote.status, "Only this status", QUOTE_STATUSES),
        "direction": Filter.eq(FmsQuote.direction, "Only this direction", DIRECTIONS),
        "cargo_type": Filter.eq(FmsQuote.cargo_type, "Only this cargo type", CARGO_TYPES),
        "cargoType": Filter.eq(FmsQuote.cargo_type, "Only this cargo type", CARGO_TYPES),
        "incoterm": Filter.eq(FmsQuote.incoterm, "Only this incoterm", INCOTERMS),
        "clientId": Filter.uuid(FmsQuote.client_id, "Only quotes of this client (contractor id)"),
    },
    fields=Fields(*QUOTE_COLUMNS, casing="snake"),
    detail_fields=Fields(*QUOTE_COLUMNS, "deleted_at"),
    detail=True,
    hooks=Hooks(present=present_quotes),
)


# --- quote lines ----------------------------------------------------------------------------------------

async def _quote_line_before_create(write: Write) -> None:
    # The quote's row lock orders concurrent line creates, so each gets its own line number.
    quote = await service.visible(write.session, write.ctx, FmsQuote, write.values["quote_id"], "Quote", lock=True)
    row = write.row
    row.tenant_id, row.organization_id = quote.tenant_id, quote.organization_id
    values = write.values
    if values.get("line_number") is None:
        values["line_number"] = await service.next_line_number(write.session, FmsQuoteLine, FmsQuoteLine.quote_id,
                                                               quote.id)
    # The reference's defaults for a line added before its product is picked.
    values.setdefault("product_name", "New Product")
    values.setdefault("currency_code", quote.currency_code)


def _full_record(write: Write) -> dict[str, Any]:
    return describe(write.resource, write.row)


LINE_FIELDS = Fields(computed={"quote": lambda row: row.quote_id})

quote_lines = Resource(
    path="/fms_quotes/quote-lines",
    model=FmsQuoteLine,
    entity="fms_quotes.quote_line",
    create_schema=QuoteLineCreate,
    update_schema=QuoteLineUpdate,
    features=Features.view_manage(QUOTES_VIEW, QUOTES_MANAGE),
    tag=TAG,
    label="Quote line",
    # Updates and deletes address the line by its path (`/quote-lines/{id}`).
    operations=frozenset({"list", "create"}),
    by_id=frozenset({"update", "delete"}),
    deleted_body=None,
    descriptions={"list": "Returns the lines of the quote `quoteId` in line order (`limit` per page).",
                  "create": "Adds a line to the quote `quoteId`: numbered after the last one unless `lineNumber` "
                            "is given, in the quote's currency unless `currencyCode` is. Answers the line."},
    envelope=Envelope.LIMIT,
    dialect=LISTS,
    sort=Sort((FmsQuoteLine.line_number, FmsQuoteLine.product_name, FmsQuoteLine.created_at,
               FmsQuoteLine.updated_at), default=FmsQuoteLine.line_number, tiebreak=FmsQuoteLine.created_at),
    fields=LINE_FIELDS,
    detail=True,
    parent=Parent(param="quoteId", column=FmsQuoteLine.quote_id, resource=quotes, checked_by_hook=True),
    hooks=Hooks(before_create=_quote_line_before_create, created_body=_full_record),
    created_schema=record,
)


# --- offers ---------------------------------------------------------------------------------------------

async def decorate_offers(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    """Each offer with its lines and its quote's number and status (one query each per page)."""
    ids = [str(i["id"]) for i in items]
    lines: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for line in await service.offer_lines(session, ids):
        lines[line.offer_id].append(describe(offer_lines, line))
    quote_ids = {str(i["quoteId"]) for i in items}
    found = {q.id: q for q in (await session.execute(select(FmsQuote).where(FmsQuote.id.in_(quote_ids)))).scalars()}
    for item in items:
        item["lines"] = lines[str(item["id"])]
        quote = found.get(str(item["quoteId"]))
        item["quote"] = {"id": quote.id, "quoteNumber": quote.quote_number, "status": quote.status} if quote else None


async def _offer_before_update(write: Write) -> None:
    if write.row.status == "superseded":
        raise Conflict("Superseded offers cannot be changed")
    if write.values.get("status") == "superseded":
        raise BadRequest("An offer is superseded by creating a new version (POST /fms_quotes/offers/version)")


async def _offer_before_delete(write: Write) -> None:
    if write.row.status != "draft":
        raise BadRequest("Only draft offers can be deleted")


offers = Resource(
    path="/fms_quotes/offers",
    model=FmsOffer,
    entity="fms_quotes.offer",
    create_schema=None,
    update_schema=OfferUpdate,
    features=Features.view_manage(OFFERS_VIEW, OFFERS_MANAGE),
    tag=TAG,
    label="Offer",
    # Offers are built from quote lines (routes.py); the kit lists, reads, updates and deletes them.
    operations=frozenset({"list"}),
    detail=True,
    by_id=frozenset({"update", "delete"}),
    deleted_body=None,
    descriptions={"list": "Returns offers, newest first, each with its `lines` and its `quote` (number and status); "
                          "`quoteId` narrows to one quote's offers (`limit` per page).",
                  "detail": "Returns one offer with its `lines` and its `quote` (number and status).",
                  "update_by_id": "Updates the offer `{id}` (status, validity, terms, notes); a superseded offer is "
                                  "history and refused (409), and `superseded` is reached only by versioning. Answers "
                                  "the offer with its lines.",
                  "delete_by_id": "Deletes (softly) the draft offer `{id}` and its lines; other offers are refused "
                                  "(400). Answers 204."},
    envelope=Envelope.LIMIT,
    dialect=LISTS,
    sort=Sort((FmsOffer.offer_number, FmsOffer.version, FmsOffer.status, FmsOffer.total_amount, FmsOffer.valid_until,
               FmsOffer.created_at, FmsOffer.updated_at), default=FmsOffer.created_at, direction="desc"),
    filters={
        "quoteId": Filter.uuid(FmsOffer.quote_id, "Only offers of this quote"),
        "status": Filter.eq(FmsOffer.status, "Only this status", OFFER_STATUSES),
        "offerNumber": Filter.eq(FmsOffer.offer_number, "All versions of this offer number"),
    },
    search=(FmsOffer.offer_number, FmsOffer.carrier_name, FmsOffer.notes, FmsOffer.customer_notes),
    fields=Fields(),
    derived=frozenset({"total_amount"}),
    owns=(Owned(FmsOfferLine.offer_id),),  # an offer's lines have no life without it
    hooks=Hooks(decorate=decorate_offers, present=decorate_offers, before_update=_offer_before_update,
                before_delete=_offer_before_delete),
)


# --- offer lines ----------------------------------------------------------------------------------------

async def _offer_of(write: Write, offer_id: str) -> FmsOffer:
    offer: FmsOffer = await service.visible(write.session, write.ctx, FmsOffer, offer_id, "Offer", lock=True)
    if offer.status == "superseded":
        raise Conflict("Superseded offers cannot be changed")
    write.extra["offer"] = offer
    return offer


def _amount_follows(write: Write) -> None:
    """A line's amount is its quantity times its unit price unless the caller sets it."""
    if "amount" in write.given:
        return
    if write.action == "create" or {"quantity", "unit_price"} & set(write.values):
        write.values["amount"] = service.line_amount(write.value("quantity"), write.value("unit_price"))


async def _offer_line_before_create(write: Write) -> None:
    offer = await _offer_of(write, write.values["offer_id"])
    row, values = write.row, write.values
    row.tenant_id, row.organization_id = offer.tenant_id, offer.organization_id
    if "line_number" not in values:
        values["line_number"] = await service.next_line_number(write.session, FmsOfferLine, FmsOfferLine.offer_id,
                                                               offer.id)
    values.setdefault("currency_code", offer.currency_code)
    # What a charge added by hand is unless the caller says otherwise.
    for name, default in (("charge_name", "New Charge"), ("charge_category", "transport"),
                          ("charge_unit", "per_container")):
        if values.get(name) is None:
            values[name] = default
    values.setdefault("quantity", Decimal("1"))
    values.setdefault("unit_price", Decimal("0"))
    _amount_follows(write)


async def _offer_line_before_update(write: Write) -> None:
    await _offer_of(write, write.row.offer_id)
    _amount_follows(write)


async def _offer_line_before_delete(write: Write) -> None:
    await _offer_of(write, write.row.offer_id)


async def _retotal(write: Write) -> None:
    offer: FmsOffer = write.extra["offer"]
    await service.recompute_total(write.session, offer)
    offer.updated_at = utcnow()


async def _line_undone(session: AsyncSession, row: Any, left: dict[str, Any] | None) -> None:
    # Undo or redo put a line back or took it away: its offer's total follows, as after any line write.
    offer = await session.get(FmsOffer, row.offer_id)
    if offer is not None:
        await service.recompute_total(session, offer)


offer_lines = Resource(
    path="/fms_quotes/offer-lines",
    model=FmsOfferLine,
    entity="fms_quotes.offer_line",
    create_schema=OfferLineCreate,
    update_schema=OfferLineUpdate,
    features=Features.view_manage(QUOTES_VIEW, QUOTES_MANAGE),
    tag=TAG,
    label="Offer line",
    operations=frozenset({"list", "create"}),
    by_id=frozenset({"update", "delete"}),
    deleted_body=None,
    descriptions={"list": "Returns the lines of the offer `offerId` in line order (`limit` per page).",
                  "create": "Adds a charge to the offer `offerId` (not to a superseded one): its amount is quantity × "
                            "unit price unless `amount` is given, and the offer's total follows. Answers the line.",
                  "update_by_id": "Updates the offer line `{id}` (not on a superseded offer, 409); its amount follows "
                                  "quantity × unit price unless `amount` is given, and the offer's total follows. "
                                  "Answers the line.",
                  "delete_by_id": "Deletes (softly) the offer line `{id}` (not on a superseded offer, 409); the "
                                  "offer's total follows. Answers 204."},
    envelope=Envelope.LIMIT,
    dialect=LISTS,
    sort=Sort((FmsOfferLine.line_number, FmsOfferLine.charge_name, FmsOfferLine.amount, FmsOfferLine.created_at,
               FmsOfferLine.updated_at), default=FmsOfferLine.line_number, tiebreak=FmsOfferLine.created_at),
    fields=Fields(computed={"offer": lambda row: row.offer_id}),
    detail=True,
    parent=Parent(param="offerId", column=FmsOfferLine.offer_id, resource=offers, checked_by_hook=True),
    hooks=Hooks(before_create=_offer_line_before_create, after_create=_retotal,
                before_update=_offer_line_before_update, after_update=_retotal,
                before_delete=_offer_line_before_delete, after_delete=_retotal, created_body=_full_record,
                after_undo=_line_undone),
    created_schema=record,
)

# Mount order matters: `/fms_quotes/{id}` (the quote detail) must come after the other collections' lists.
RESOURCES = (quote_lines, offers, offer_lines, quotes)
