"""FMS Quotes & Offers: freight quotes with priced lines, offers built from the lines (numbered per
organization, versioned), their lines and the grids' configurations (docs/fms-quotes.md)."""

from __future__ import annotations

from api.commands import crud_commands
from api.manifest import Module, NavEntry, Searchable
from api.modules.fms_quotes.models import FmsOffer, FmsQuote
from api.modules.fms_quotes.resources import (
    OFFERS_MANAGE,
    OFFERS_VIEW,
    QUOTES_MANAGE,
    QUOTES_VIEW,
    RESOURCES,
    quote_lines,
    quotes,
)
from api.modules.fms_quotes.routes import router

module = Module(
    id="fms_quotes",
    title="FMS Quotes & Offers",
    features={
        QUOTES_VIEW: "View freight quotes",
        QUOTES_MANAGE: "Manage freight quotes",
        OFFERS_VIEW: "View freight offers",
        OFFERS_MANAGE: "Manage freight offers",
    },
    routers=(router,),
    resources=RESOURCES,
    navigation=(
        NavEntry("/backend/fms-quotes", "Quotes", group_id="fms", group_name="Freight", features=(QUOTES_VIEW,),
                 order=20, group_order=600),
        NavEntry("/backend/fms-quotes/offers", "Offers", group_id="fms", group_name="Freight",
                 features=(OFFERS_VIEW,), order=25, group_order=600),
    ),
    # Workflows may create and update quotes and their lines through UPDATE_ENTITY.
    commands=(*crud_commands(quotes, ("create", "update")), *crud_commands(quote_lines, ("create",))),
    search=(
        Searchable("fms_quotes.quote", FmsQuote, fields=("quote_number", "status", "direction", "incoterm",
                                                         "cargo_type", "notes"),
                   title="quote_number", subtitle="status", url="/backend/fms-quotes?id={id}", label="Quote"),
        Searchable("fms_quotes.offer", FmsOffer, fields=("offer_number", "carrier_name", "status", "contract_type",
                                                         "notes", "customer_notes", "payment_terms", "special_terms"),
                   title="offer_number", subtitle="status", url="/backend/fms-quotes/offers?id={id}", label="Offer"),
    ),
)
