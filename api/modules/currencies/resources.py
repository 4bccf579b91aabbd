"""The module's three collections. Each belongs to one organization: lists show the caller's current
organization's rows only (an organization's base currency and rates are its own)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.crud import Features, Fields, Filter, Hooks, Resource, Sort, Write, shape
from api.crud import service as crud
from api.crud.answers import record
from api.errors import BadRequest
from api.modules.currencies import schedules
from api.modules.currencies.models import Currency, CurrencyFetchConfig, ExchangeRate
from api.modules.currencies.providers import RATE_PLACES
from api.modules.currencies.schemas import (
    CurrencyCreate,
    CurrencyUpdate,
    ExchangeRateCreate,
    ExchangeRateUpdate,
    FetchConfigCreate,
    FetchConfigUpdate,
    minor_units,
)

VIEW, MANAGE = "currencies.view", "currencies.manage"
RATES_VIEW, RATES_MANAGE = "currencies.rates.view", "currencies.rates.manage"
FETCH_VIEW, FETCH_MANAGE = "currencies.fetch.view", "currencies.fetch.manage"


def own_organization(model: Any) -> Callable[[Select[Any], AuthContext], Select[Any]]:
    """Rows of the caller's tenant and current organization (not its descendants)."""
    def scope(stmt: Select[Any], ctx: AuthContext) -> Select[Any]:
        org = ctx.write_org_id
        if not ctx.tenant_id or not org:
            return stmt.where(false())
        return stmt.where(model.tenant_id == ctx.tenant_id, model.organization_id == org)
    return scope


def _refuse(field: str, message: str) -> BadRequest:
    return BadRequest(message, [{"path": [field], "message": message}])


# --- currencies -------------------------------------------------------------------------------------------

async def _other_currency(write: Write, *conditions: Any) -> Currency | None:
    row = write.row
    return (await write.session.execute(select(Currency).where(
        Currency.tenant_id == row.tenant_id, Currency.organization_id == row.organization_id,
        Currency.id != row.id, Currency.deleted_at.is_(None), *conditions))).scalars().first()


async def _rate_count(write: Write, code: str) -> int:
    row = write.row
    return int((await write.session.execute(select(func.count()).select_from(ExchangeRate).where(
        ExchangeRate.tenant_id == row.tenant_id, ExchangeRate.organization_id == row.organization_id,
        ExchangeRate.deleted_at.is_(None), ExchangeRate.is_active.is_(True),
        or_(ExchangeRate.from_currency_code == code, ExchangeRate.to_currency_code == code)))).scalar_one())


async def _check_currency(write: Write) -> None:
    """One live currency per code and at most one base currency per organization; the base stays active."""
    code = write.value("code")
    if "code" in write.values and await _other_currency(write, Currency.code == code) is not None:
        raise _refuse("code", "Currency code already exists for this organization.")
    if write.action == "update" and "code" in write.values and code != write.row.code \
            and await _rate_count(write, write.row.code):
        raise _refuse("code", f"Cannot change the code of {write.row.code}: it has exchange rates")
    if write.value("is_base"):
        base = await _other_currency(write, Currency.is_base.is_(True))
        if base is not None:
            raise _refuse("isBase", f"The organization already has a base currency ({base.code}); "
                                    "unset it first")
        if write.value("is_active") is False:
            raise _refuse("isActive", "The base currency must stay active")


async def _before_create_currency(write: Write) -> None:
    await crud.owner_from_body(write)
    write.values.setdefault("is_base", False)
    write.values.setdefault("is_active", True)
    if write.values.get("decimal_places") is None:
        # Not given: the standard's minor units (0 for JPY, 3 for KWD, 2 otherwise).
        write.values["decimal_places"] = minor_units(write.values["code"])
    await _check_currency(write)


async def _before_update_currency(write: Write) -> None:
    for key in ("name", "decimal_places", "is_base", "is_active"):
        if key in write.values and write.values[key] is None:
            raise _refuse(key, f"{key} cannot be null")
    await _check_currency(write)


async def _before_delete_currency(write: Write) -> None:
    row = write.row
    if row.is_base:
        raise BadRequest("Cannot delete the base currency")
    if count := await _rate_count(write, row.code):
        raise BadRequest(f"Cannot delete currency {row.code} because it has {count} active exchange rate(s). "
                         "Please delete or deactivate the exchange rates first.")
    write.values["is_active"] = False


currencies = Resource(
    path="/currencies/currencies",
    model=Currency,
    entity="currencies.currency",
    create_schema=CurrencyCreate,
    update_schema=CurrencyUpdate,
    features=Features.view_manage(VIEW, MANAGE),
    tag="Currencies",
    label="Currency",
    plural="Currencies",
    descriptions={"list": "Returns the current organization's currencies (by code unless sorted otherwise).",
                  "create": "Creates a currency: an ISO 4217 code, a name, formatting (decimal places default to "
                            "the standard's minor units), and `isBase` (one base currency per organization).",
                  "delete": "Deletes a currency that is not the base currency and has no active exchange rates."},
    search=(Currency.code, Currency.name, Currency.symbol),
    sort=Sort((Currency.code, Currency.name, Currency.created_at, Currency.updated_at), default=Currency.code),
    filters={
        "code": Filter.eq(Currency.code, "Only this currency code"),
        "isBase": Filter.eq(Currency.is_base, "Base currency or not"),
        "isActive": Filter.eq(Currency.is_active, "Active or not"),
    },
    fields=Fields("id", "code", "name", "symbol", "decimal_places", "thousands_separator", "decimal_separator",
                  "is_base", "is_active", "created_at", "updated_at", "organization_id", "tenant_id",
                  timestamps="js"),
    scope=own_organization(Currency),
    hooks=Hooks(before_create=_before_create_currency, before_update=_before_update_currency,
                before_delete=_before_delete_currency),
)


# --- exchange rates ---------------------------------------------------------------------------------------

async def _check_rate(write: Write) -> None:
    row, session = write.row, write.session
    from_code, to_code = write.value("from_currency_code"), write.value("to_currency_code")
    if from_code == to_code:
        raise _refuse("toCurrencyCode", "From and To currencies must be different")
    if "rate" in write.values:
        if write.values["rate"] is None:
            raise _refuse("rate", "rate cannot be null")
        write.values["rate"] = Decimal(write.values["rate"]).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)
    for key in ("date", "source", "is_active"):
        if key in write.values and write.values[key] is None:
            raise _refuse(key, f"{key} cannot be null")
    for side, field, code in (("From", "fromCurrencyCode", from_code), ("To", "toCurrencyCode", to_code)):
        if write.action == "update" and code == getattr(row, snake_of(field)):
            continue
        known = (await session.execute(select(Currency.id).where(
            Currency.tenant_id == row.tenant_id, Currency.organization_id == row.organization_id,
            Currency.code == code, Currency.deleted_at.is_(None)))).first()
        if known is None:
            raise _refuse(field, f"{side} currency {code} does not exist or is inactive")
    duplicate = (await session.execute(select(ExchangeRate.id).where(
        ExchangeRate.tenant_id == row.tenant_id, ExchangeRate.organization_id == row.organization_id,
        ExchangeRate.from_currency_code == from_code, ExchangeRate.to_currency_code == to_code,
        ExchangeRate.date == write.value("date"), ExchangeRate.source == write.value("source"),
        ExchangeRate.id != row.id, ExchangeRate.deleted_at.is_(None)))).first()
    if duplicate is not None:
        raise BadRequest("Exchange rate for this currency pair, date, and source already exists")


def snake_of(field: str) -> str:
    return {"fromCurrencyCode": "from_currency_code", "toCurrencyCode": "to_currency_code"}[field]


async def _before_create_rate(write: Write) -> None:
    await crud.owner_from_body(write)
    write.values.setdefault("is_active", True)
    await _check_rate(write)


async def _before_delete_rate(write: Write) -> None:
    write.values["is_active"] = False


exchange_rates = Resource(
    path="/currencies/exchange-rates",
    model=ExchangeRate,
    entity="currencies.exchange_rate",
    create_schema=ExchangeRateCreate,
    update_schema=ExchangeRateUpdate,
    features=Features.view_manage(RATES_VIEW, RATES_MANAGE),
    tag="Currencies",
    label="Exchange rate",
    descriptions={"list": "Returns the current organization's exchange rates, newest first: "
                          "1 `fromCurrencyCode` = `rate` `toCurrencyCode` (a decimal string) from `date` on.",
                  "create": "Creates an exchange rate between two currencies of the organization: `rate` is a "
                            "positive decimal (at most 8 places; send it as a string to keep it exact), one "
                            "rate per pair, date (to the minute) and source."},
    sort=Sort((ExchangeRate.from_currency_code, ExchangeRate.to_currency_code, ExchangeRate.date,
               ExchangeRate.created_at, ExchangeRate.updated_at), default=ExchangeRate.date, direction="desc"),
    filters={
        "fromCurrencyCode": Filter.eq(ExchangeRate.from_currency_code, "Only rates from this currency"),
        "toCurrencyCode": Filter.eq(ExchangeRate.to_currency_code, "Only rates into this currency"),
        "isActive": Filter.eq(ExchangeRate.is_active, "Active or not"),
        "source": Filter.eq(ExchangeRate.source, "Only rates of this source (NBP, Manual…)"),
        "type": Filter.eq(ExchangeRate.type, "buy or sell", choices=("buy", "sell")),
        "dateFrom": Filter.min(ExchangeRate.date, "Dated at or after (ISO date)"),
        "dateTo": Filter.max(ExchangeRate.date, "Dated at or before (ISO date)"),
    },
    fields=Fields("id", "from_currency_code", "to_currency_code", "rate", "date", "source", "type", "is_active",
                  "created_at", "updated_at", "organization_id", "tenant_id", timestamps="js"),
    scope=own_organization(ExchangeRate),
    hooks=Hooks(before_create=_before_create_rate, before_update=_check_rate, before_delete=_before_delete_rate),
)


# --- fetch configs ----------------------------------------------------------------------------------------

async def _before_create_config(write: Write) -> None:
    await crud.owner_from_body(write)
    row, provider = write.row, write.values["provider"]
    taken = (await write.session.execute(select(CurrencyFetchConfig.id).where(
        CurrencyFetchConfig.tenant_id == row.tenant_id, CurrencyFetchConfig.organization_id == row.organization_id,
        CurrencyFetchConfig.provider == provider))).first()
    if taken is not None:
        raise _refuse("provider", f"Provider {provider} already configured")


def _had_schedule(write: Write) -> bool:
    before = write.before or {}
    return schedules.wanted(before.get("is_enabled"), before.get("sync_time"))


async def _after_create_config(write: Write) -> None:
    await schedules.reconcile(write.row, had=False)


async def _after_update_config(write: Write) -> None:
    await schedules.reconcile(write.row, had=_had_schedule(write))


async def _after_delete_config(write: Write) -> None:
    await schedules.reconcile(write.row, had=_had_schedule(write), gone=True)


async def _after_undo_config(session: AsyncSession, row: Any, left: dict[str, Any] | None) -> None:
    # Undo and redo put the row back (or take it away): its schedule follows.
    if row in session.deleted:
        await schedules.reconcile(row, had=True, gone=True)
    else:
        await schedules.reconcile(row, had=True)


fetch_configs = Resource(
    path="/currencies/fetch-configs",
    model=CurrencyFetchConfig,
    entity="currencies.fetch_config",
    create_schema=FetchConfigCreate,
    update_schema=FetchConfigUpdate,
    # The list answers in the reference's own shape (`{configs}`, unpaged): routes.py.
    operations=frozenset({"create", "update", "delete"}),
    features=Features(FETCH_VIEW, FETCH_MANAGE, FETCH_MANAGE, FETCH_MANAGE),
    tag="Currencies",
    label="Fetch config",
    descriptions={"create": "Configures a rate provider (`NBP`, `Raiffeisen Bank Polska`, `Custom`) for the "
                            "organization. An enabled config with a `syncTime` (HH:MM, in `config.timeZone`, "
                            "default UTC) fetches daily on a Temporal Schedule. Answers `{config}`.",
                  "update": "Updates `isEnabled`, `syncTime` (HH:MM or null) and `config` of the config whose `id` "
                            "is in the body (the provider stays); its Temporal Schedule is created, moved or deleted "
                            "to match. Answers `{config}`.",
                  "delete": "Deletes a fetch config and its schedule. Answers `{success: true}`."},
    fields=Fields("id", "organization_id", "tenant_id", "provider", "is_enabled", "sync_time", "last_sync_at",
                  "last_sync_status", "last_sync_message", "last_sync_count", "config", "created_at", "updated_at",
                  timestamps="js"),
    scope=own_organization(CurrencyFetchConfig),
    soft_delete=False,
    exportable=False,
    deleted_body={"success": True},
    hooks=Hooks(before_create=_before_create_config, after_create=_after_create_config,
                after_update=_after_update_config, after_delete=_after_delete_config,
                after_undo=_after_undo_config,
                created_body=lambda write: {"config": crud.describe(write.resource, write.row)},
                updated_body=lambda write: {"config": crud.describe(write.resource, write.row)}),
    created_schema=lambda res: shape(config=record(res)),
    updated_schema=lambda res: shape(config=record(res)),
)
