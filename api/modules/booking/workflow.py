"""The workflow function that schedules against availability: `booking.next_available_window` (an
EXECUTE_FUNCTION activity) computes when a subject's next free window opens, and a later WAIT_FOR_TIMER
step waits `until` it (`{{activities.<id>.result.startsAt}}`-style placeholders read the output). The
engine stays deterministic: the clock and the database are read here, in the activity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from activities.functions import FunctionContext, FunctionError
from api.crud.query import is_uuid, parse_instant
from api.db import sessionmaker
from api.errors import ApiError
from api.modules.booking import service

FUNCTION = "booking.next_available_window"


async def next_available_window(args: dict[str, Any], ctx: FunctionContext) -> dict[str, Any]:
    """`{subjectType?: "resource", subjectId, after?: ISO time (now), minMinutes?: 0, horizonDays?: 366}` →
    `{found, startsAt, endsAt, timezone}`: the first free window of the subject (in the instance's tenant)
    at or after `after` that stays open for at least `minMinutes`; `startsAt` is when it opens (or `after`
    when one is open already)."""
    subject_type = str(args.get("subjectType") or "resource")
    subject_id = str(args.get("subjectId") or args.get("resourceId") or "")
    if subject_type not in service.SUBJECT_MODELS or not is_uuid(subject_id):
        raise FunctionError('"subjectType" must be member, resource or ruleset and "subjectId" a UUID')
    after = datetime.now(UTC)
    if args.get("after"):
        parsed = parse_instant(str(args["after"]))
        if parsed is None:
            raise FunctionError('"after" must be an ISO 8601 time')
        after = parsed
    minimum = timedelta(minutes=float(args.get("minMinutes") or 0))
    horizon = int(args.get("horizonDays") or 366)
    async with sessionmaker()() as session:
        try:
            zone, _ = await service.rules_of(session, tenant_id=ctx.tenant_id, subject_type=subject_type,
                                             subject_id=subject_id)
            cursor = after
            stop = after + timedelta(days=horizon)
            while cursor < stop:
                window = await service.next_window(session, tenant_id=ctx.tenant_id, subject_type=subject_type,
                                                   subject_id=subject_id, after=cursor,
                                                   horizon_days=max(1, (stop - cursor).days))
                if window is None:
                    break
                if window.end - window.start >= minimum:
                    return {"found": True, "startsAt": _iso(window.start), "endsAt": _iso(window.end),
                            "timezone": zone}
                cursor = window.end
        except ApiError as exc:
            raise FunctionError(exc.error) from None
    return {"found": False, "startsAt": None, "endsAt": None, "timezone": zone}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
