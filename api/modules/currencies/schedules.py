"""The daily fetch of each enabled fetch config with a `syncTime`, as a Temporal Schedule (id
`currencies-fetch-<config id>`): created, updated and deleted with the config, in the config's write. Temporal
keeps it across restarts of our processes and shows it in its UI; each run starts `FetchRatesWorkflow`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from api import temporal
from api.errors import ApiError
from api.modules.currencies.workflow import FetchRatesWorkflow

PREFIX = "currencies-fetch-"
DEFAULT_ZONE = "UTC"


class Unavailable(ApiError):
    status = 503


def schedule_id(config_id: str) -> str:
    return f"{PREFIX}{config_id}"


def wanted(is_enabled: Any, sync_time: Any) -> bool:
    """Only an enabled config with a time of day has a schedule."""
    return bool(is_enabled) and bool(sync_time)


def zone_name(config: dict[str, Any] | None) -> str:
    """The zone `syncTime` is read in: the config's `timeZone` when it is a known IANA name, else UTC."""
    name = str((config or {}).get("timeZone") or DEFAULT_ZONE)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_ZONE
    return name


def spec_of(sync_time: str, config: dict[str, Any] | None) -> ScheduleSpec:
    hour, minute = (int(part) for part in sync_time.split(":"))
    return ScheduleSpec(calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(hour)], minute=[ScheduleRange(minute)],
                                                        second=[ScheduleRange(0)])],
                        time_zone_name=zone_name(config))


def schedule_of(row: Any) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(FetchRatesWorkflow.run, row.id, id=f"{schedule_id(row.id)}-run",
                                           task_queue=temporal.task_queue()),
        spec=spec_of(row.sync_time, row.config),
        # A run missed while Temporal was down is made up within a day; two runs never overlap.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=1)),
    )


async def reconcile(row: Any, *, had: bool, gone: bool = False) -> None:
    """Make the config's schedule match the row: create or update it when wanted, delete it when the config
    had one and no longer wants it. Temporal unreachable is a 503 and the config's write is rolled back."""
    try:
        if not gone and wanted(row.is_enabled, row.sync_time):
            await _upsert(row)
        elif had:
            await remove(row.id)
    except RPCError as exc:
        raise Unavailable(f"The rate-fetch schedule could not be saved: {exc.message}") from exc
    except (RuntimeError, OSError) as exc:
        raise Unavailable("The rate-fetch schedule could not be saved: the workflow service cannot be reached"
                          ) from exc


async def _upsert(row: Any) -> None:
    client = await temporal.get_client()
    schedule = schedule_of(row)
    try:
        await client.create_schedule(schedule_id(row.id), schedule)
    except ScheduleAlreadyRunningError:
        async def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id(row.id)).update(replace)


async def remove(config_id: str) -> None:
    """Delete the config's schedule; one that is already gone is fine."""
    client = await temporal.get_client()
    try:
        await client.get_schedule_handle(schedule_id(config_id)).delete()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
