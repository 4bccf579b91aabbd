"""The scheduled fetch's side effects, run by the worker: fetch today's rates (in the config's time zone)
from the config's provider for the config's organization."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from temporalio import activity

from api.db import sessionmaker, utcnow
from api.modules.currencies.fetching import fetch_rates
from api.modules.currencies.models import CurrencyFetchConfig
from api.modules.currencies.schedules import zone_name


@activity.defn(name="currencies.fetch_scheduled_rates")
async def fetch_scheduled_rates(config_id: str) -> dict[str, Any]:
    async with sessionmaker()() as session:
        config = await session.get(CurrencyFetchConfig, config_id)
        if config is None or not config.is_enabled or not config.tenant_id or not config.organization_id:
            # Deleted or disabled since the schedule fired (its schedule goes with it): nothing to do.
            return {"skipped": True}
        day = utcnow().astimezone(ZoneInfo(zone_name(config.config))).date()
        result = await fetch_rates(session, tenant_id=config.tenant_id, organization_id=config.organization_id,
                                   day=day, providers=[config.provider])
        await session.commit()
        return result


ACTIVITIES = (fetch_scheduled_rates,)
