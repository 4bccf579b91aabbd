"""The module's own routes: the grid configurations, offers built from quote lines and their new
versions, and the reads and writes that address a quote, line or offer by its path (`/{id}`), which
the kit's body-addressed routes do not serve. Each still writes through the kit's service, so every
change is scoped, audited and announced as the kit's own writes are."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from api import outbox
from api.auth import AuthContext, requires
from api.crud import service as crud
from api.crud import written
from api.crud.answers import json_answer, many, record, shape, with_keys
from api.crud.table_config import TableHints, table_config_route
from api.deps import SessionDep
from api.errors import Conflict
from api.modules.fms_quotes import service
from api.modules.fms_quotes.models import (
    CARGO_TYPES,
    CHARGE_CATEGORIES,
    CHARGE_UNITS,
    CONTAINER_TYPES,
    DIRECTIONS,
    INCOTERMS,
    QUOTE_STATUSES,
    FmsOffer,
    FmsOfferLine,
    FmsQuote,
    FmsQuoteLine,
)
from api.modules.fms_quotes.resources import (
    OFFERS_MANAGE,
    OFFERS_VIEW,
    QUOTES_VIEW,
    TAG,
    decorate_offers,
    offer_lines,
    offers,
)
from api.modules.fms_quotes.schemas import (
    OfferCreate,
    OfferVersion,
)

router = APIRouter(tags=[TAG])

ViewOffers = Annotated[AuthContext, Depends(requires(OFFERS_VIEW))]
ManageOffers = Annotated[AuthContext, Depends(requires(OFFERS_MANAGE))]

# --- grid configurations ---------------------------------------------------------------------------------

QUOTE_GRID = TableHints(
    hidden=("client_id", "origin_port_ids", "destination_port_ids"),
    renderers={"quoteNumber": "QuoteNumberRenderer", "status": "StatusRenderer"},
    dropdowns={"status": QUOTE_STATUSES, "direction": DIRECTIONS, "incoterm": INCOTERMS, "cargoType": CARGO_TYPES})
# The quote wizard's grid: prices are edited, the product snapshot is shown read-only.
QUOTE_LINE_GRID = TableHints(
    hidden=("quote_id", "product_id", "variant_id", "price_id", "product_type", "contract_type", "created_at",
            "updated_at"),
    read_only=("line_number", "charge_code", "product_name", "provider_name", "container_size", "unit_cost",
               "currency_code"))
OFFER_LINE_GRID = TableHints(
    hidden=("offer_id", "line_number", "product_name", "charge_code", "container_size", "created_at", "updated_at"),
    dropdowns={"chargeCategory": CHARGE_CATEGORIES, "chargeUnit": CHARGE_UNITS, "containerType": CONTAINER_TYPES})


for _path, _model, _entity, _label, _hints in (
        ("/fms_quotes/table-config", FmsQuote, "fms_quote", "quotes", QUOTE_GRID),
        ("/fms_quotes/quote-lines/table-config", FmsQuoteLine, "fms_quote_line", "quote lines", QUOTE_LINE_GRID),
        ("/fms_quotes/offer-lines/table-config", FmsOfferLine, "fms_offer_line", "offer lines", OFFER_LINE_GRID)):
    table_config_route(router, _path, _model, _entity, features=(QUOTES_VIEW,), label=_label, hints=_hints)


# --- answers ----------------------------------------------------------------------------------------------

OFFER = with_keys(record(offers), lines=many(record(offer_lines)),
                  quote={"type": ["object", "null"], "properties": {"id": {"type": "string"}}})


async def _offer_body(session: Any, ctx: AuthContext, offer: FmsOffer) -> dict[str, Any]:
    item = crud.describe(offers, offer, public=True)
    await decorate_offers(session, ctx, [item])
    return item


async def _announce_lines(session: Any, lines: list[FmsOfferLine]) -> None:
    # Lines written with their offer are announced like lines added one by one (subscribers, search).
    for line in lines:
        outbox.emit(session, f"{offer_lines.entity}.created", crud.describe(offer_lines, line),
                    tenant_id=line.tenant_id, organization_id=line.organization_id)


# --- offers ------------------------------------------------------------------------------------------------

@router.post("/fms_quotes/offers", status_code=201, summary="Create offer from quote lines",
             description="Builds a draft offer of the quote `quoteId` from its lines (all live lines, or `lineIds`): "
                         "each offer line snapshots a quote line at its sales price (`unitSales`), amount = quantity "
                         "× unit price, and the offer's total is the sum of the amounts. The offer gets the next "
                         "number of its organization, `OFF-<year>-NNNN`, as version 1. Answers the offer with its "
                         f"lines. Requires features: {OFFERS_MANAGE}",
             responses=json_answer(OFFER, 201))
async def create_offer(body: OfferCreate, ctx: ManageOffers, session: SessionDep) -> JSONResponse:
    quote: FmsQuote = await service.visible(session, ctx, FmsQuote, body.quote_id, "Quote", lock=True)
    lines = await service.selected_lines(session, quote, body.line_ids)
    terms = body.model_dump(include={"contract_type", "carrier_name", "payment_terms", "special_terms",
                                     "customer_notes", "notes"}, exclude_none=True)
    offer, rows = await service.build_offer(session, quote, lines, valid_until=body.valid_until, terms=terms)
    entry = await crud.record(session, ctx, kind=offers.entity, action="create", row=offer, label=offers.label,
                              before=None, after=await crud.snapshot(offers, session, offer),
                              event=crud.describe(offers, offer), payload=body)
    await _announce_lines(session, rows)
    return written(await _offer_body(session, ctx, offer), entry, 201)


@router.post("/fms_quotes/offers/version", status_code=201, summary="Create new offer version",
             description="Copies the offer `offerId` and its lines as the next version of the same number, in draft "
                         "(valid for 14 days), and marks the offer `superseded` with `supersededById` pointing at the "
                         "copy. A draft or an already superseded offer is refused (400). Answers "
                         f"`{{id, offerNumber, version}}`. Requires features: {OFFERS_MANAGE}",
             responses=json_answer(shape(id="string", offerNumber="string", version="integer"), 201))
async def create_offer_version(body: OfferVersion, ctx: ManageOffers, session: SessionDep) -> JSONResponse:
    offer: FmsOffer = await service.visible(session, ctx, FmsOffer, body.offer_id, "Offer", lock=True)
    before = await crud.snapshot(offers, session, offer)
    try:
        copy, rows = await service.new_version(session, offer)
    except IntegrityError:
        # Two requests versioned the same offer at once (SQLite has no row lock): the first one won.
        raise Conflict("The offer was versioned by another request; reload it") from None
    entry = await crud.record(session, ctx, kind=offers.entity, action="create", row=copy, label=offers.label,
                              before=None, after=await crud.snapshot(offers, session, copy),
                              event=crud.describe(offers, copy), payload=body)
    await crud.record(session, ctx, kind=offers.entity, action="update", row=offer, label=offers.label,
                      before=before, after=await crud.snapshot(offers, session, offer),
                      event=crud.describe(offers, offer), payload={"status": "superseded",
                                                                   "supersededById": copy.id})
    await _announce_lines(session, rows)
    return written({"id": copy.id, "offerNumber": copy.offer_number, "version": copy.version}, entry, 201)


