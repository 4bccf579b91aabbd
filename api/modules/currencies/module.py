"""Currencies: an organization's currencies (one base currency), exchange rates, rate providers fetched on
Temporal Schedules, and the conversion service catalog and sales use (service.py)."""

from __future__ import annotations

from api.commands import crud_commands
from api.manifest import Module, NavEntry, Searchable
from api.modules.currencies.activities import ACTIVITIES
from api.modules.currencies.models import Currency
from api.modules.currencies.resources import (
    FETCH_MANAGE,
    FETCH_VIEW,
    MANAGE,
    RATES_MANAGE,
    RATES_VIEW,
    VIEW,
    currencies,
    exchange_rates,
    fetch_configs,
)
from api.modules.currencies.routes import router
from api.modules.currencies.workflow import FetchRatesWorkflow

module = Module(
    id="currencies",
    title="Currencies",
    features={
        VIEW: "View currencies",
        MANAGE: "Manage currencies",
        RATES_VIEW: "View exchange rates",
        RATES_MANAGE: "Manage exchange rates",
        FETCH_VIEW: "View currency fetch configuration",
        FETCH_MANAGE: "Manage currency fetch configuration",
    },
    resources=(currencies, exchange_rates, fetch_configs),
    routers=(router,),
    navigation=tuple(
        NavEntry(href, title, group_id="currencies", group_name="Currencies", features=(feature,), order=order,
                 group_order=300)
        for href, title, feature, order in (("/backend/currencies", "Currencies", VIEW, 10),
                                            ("/backend/exchange-rates", "Exchange rates", RATES_VIEW, 20),
                                            ("/backend/config/currency-fetching", "Currency fetching", FETCH_VIEW,
                                             30))),
    # Workflows may create and update currencies and rates through UPDATE_ENTITY.
    commands=crud_commands(currencies, ("create", "update")) + crud_commands(exchange_rates, ("create", "update")),
    search=(Searchable("currencies.currency", Currency, fields=("code", "name", "symbol"), title="name",
                       subtitle="code", url="/backend/currencies/{id}", label="Currency"),),
    temporal_workflows=(FetchRatesWorkflow,),
    activities=ACTIVITIES,
)
