"""Routes that are not plain CRUD: the fetch configs' list and update (the reference answers them as
`{configs}` and `{config}`, served here with the kit's functions) and the rate fetch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from api.auth import AuthContext, requires
from api.crud import service as crud
from api.crud.answers import item, json_answer, many, shape
from api.crud.routes import read_json, validate_model
from api.db import utcnow
from api.deps import SessionDep
from api.modules.currencies.fetching import fetch_rates
from api.modules.currencies.models import CurrencyFetchConfig
from api.modules.currencies.resources import FETCH_MANAGE, FETCH_VIEW, fetch_configs
from api.modules.currencies.schemas import FetchRates

router = APIRouter(tags=["Currencies"])
ViewFetch = Annotated[AuthContext, Depends(requires(FETCH_VIEW))]
ManageFetch = Annotated[AuthContext, Depends(requires(FETCH_MANAGE))]


@router.get("/currencies/fetch-configs", summary="List fetch configs",
            description="The current organization's rate-provider configurations, by provider, with their last "
                        "sync (`lastSyncAt`, `lastSyncStatus` success|error, `lastSyncMessage`, `lastSyncCount`). "
                        f"Answers `{{configs}}`. Requires features: {FETCH_VIEW}",
            responses=json_answer(shape(configs=many(item(fetch_configs)))))
async def list_configs(session: SessionDep, ctx: ViewFetch) -> dict[str, Any]:
    rows = (await session.execute(crud.scoped(fetch_configs, ctx).order_by(CurrencyFetchConfig.provider)
                                  )).scalars().all()
    return {"configs": [crud.serialize(fetch_configs, row) for row in rows]}


@router.post("/currencies/fetch-rates", summary="Fetch exchange rates",
             description="Fetches the rates of `date` (ISO date, default today in UTC) from `providers` (default "
                         "NBP and Raiffeisen Bank Polska) for the organization's active currencies, stores them "
                         "(one rate per pair, date and source) and records each provider's outcome on its fetch "
                         "config. A provider that is down or answers garbage is reported in `errors` and "
                         "changes no rate. Answers `{totalFetched, byProvider, errors}`. "
                         f"Requires features: {FETCH_MANAGE}",
             openapi_extra={"requestBody": {"content": {"application/json": {
                 "schema": {"type": "object"}, "example": {"date": "2026-01-15", "providers": ["NBP"]}}}}},
             responses=json_answer(shape(totalFetched="integer", byProvider="object", errors="array")))
async def fetch(request: Request, session: SessionDep, ctx: ManageFetch) -> dict[str, Any]:
    raw = await read_json(request, empty={})
    body = validate_model(FetchRates, raw)
    assert isinstance(body, FetchRates)
    day = body.date.date() if body.date is not None else utcnow().date()
    return await fetch_rates(session, tenant_id=ctx.require_tenant(), organization_id=ctx.require_org(), day=day,
                             providers=list(body.providers) if body.providers else None)
