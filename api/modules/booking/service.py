"""Booking's public surface: a subject's availability as concrete UTC windows, and the next free window
(used by the availability route, the resource calendar, the feeds and the workflow function that
schedules a timer). Other modules import only this file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import BadRequest, NotFound
from api.modules.booking import availability
from api.modules.booking.models import AvailabilityRule, AvailabilityRuleSet, BookableResource, TeamMember
from api.settings import get_settings

SUBJECT_MODELS: dict[str, Any] = {"member": TeamMember, "resource": BookableResource,
                                  "ruleset": AvailabilityRuleSet}


@dataclass(frozen=True)
class Availability:
    timezone: str
    windows: list[availability.Window]

    def items(self) -> list[dict[str, Any]]:
        tz = availability.zone(self.timezone)
        return [{"startsAt": _iso(w.start), "endsAt": _iso(w.end),
                 "localStartsAt": w.start.astimezone(tz).isoformat(), "localEndsAt": w.end.astimezone(tz).isoformat(),
                 "timezone": self.timezone} for w in self.windows]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _problem(field: str, message: str) -> BadRequest:
    return BadRequest("Invalid input", [{"path": [field], "message": message}])


def check_range(start: datetime, end: datetime) -> None:
    """A query's range: ordered and bounded (`booking_max_range_days`)."""
    if end <= start:
        raise _problem("endsAt", "endsAt must be after startsAt")
    limit = get_settings().booking_max_range_days
    if end - start > timedelta(days=limit):
        raise _problem("endsAt", f"The range may cover at most {limit} days")


async def rules_of(session: AsyncSession, *, tenant_id: str, subject_type: str, subject_id: str,
                   organization_ids: Sequence[str] | None = None) -> tuple[str, list[availability.Rule]]:
    """The subject's time zone and its live rules plus those of its rule set (404 when the caller does not
    see the subject)."""
    model = SUBJECT_MODELS.get(subject_type)
    if model is None:
        raise _problem("subjectType", "Expected member, resource or ruleset")
    stmt = select(model).where(model.id == subject_id, model.tenant_id == tenant_id, model.deleted_at.is_(None))
    if organization_ids is not None:
        stmt = stmt.where(model.organization_id.in_(list(organization_ids)))
    subject = (await session.execute(stmt)).scalars().first()
    if subject is None:
        raise NotFound(f"{'Rule set' if subject_type == 'ruleset' else subject_type.capitalize()} not found")
    subjects = [(subject_type, subject_id)]
    zone: str | None = getattr(subject, "timezone", None)
    set_id = getattr(subject, "availability_rule_set_id", None)
    if set_id:
        found = (await session.execute(select(AvailabilityRuleSet.timezone).where(
            AvailabilityRuleSet.id == set_id, AvailabilityRuleSet.tenant_id == tenant_id,
            AvailabilityRuleSet.deleted_at.is_(None)))).first()
        if found is not None:
            zone = zone or found[0]
            subjects.append(("ruleset", set_id))
    # One query for the subject's and its set's rules, columns only (a calendar asks for many subjects).
    clause = or_(*[and_(AvailabilityRule.subject_type == kind, AvailabilityRule.subject_id == sid)
                   for kind, sid in subjects])
    rows = (await session.execute(select(
        AvailabilityRule.id, AvailabilityRule.rrule, AvailabilityRule.timezone, AvailabilityRule.kind,
        AvailabilityRule.exdates).where(AvailabilityRule.tenant_id == tenant_id, clause,
                                        AvailabilityRule.deleted_at.is_(None))
        .order_by(AvailabilityRule.created_at, AvailabilityRule.id))).all()
    if zone is None:
        zone = rows[0].timezone if rows else "UTC"
    return zone, [availability.Rule(i, text, tz, kind, tuple(ex or ())) for i, text, tz, kind, ex in rows]


def compute(zone: str, rules: Sequence[availability.Rule], start: datetime, end: datetime) -> Availability:
    """Free windows of `rules` in [start, end): 400 when the rules expand beyond the configured count."""
    try:
        found = availability.windows(rules, start.astimezone(UTC), end.astimezone(UTC),
                                     max_occurrences=get_settings().booking_max_occurrences)
    except availability.TooManyOccurrences as exc:
        raise _problem("endsAt", str(exc)) from None
    except availability.RuleError as exc:
        # A rule stored before a stricter check: say which, rather than fail the whole calendar with a 500.
        raise _problem("rrule", exc.message) from None
    return Availability(zone, found)


async def availability_of(session: AsyncSession, *, tenant_id: str, subject_type: str, subject_id: str,
                          start: datetime, end: datetime,
                          organization_ids: Sequence[str] | None = None) -> Availability:
    """A subject's free windows in [start, end) (UTC), with its local time zone."""
    check_range(start, end)
    zone, rules = await rules_of(session, tenant_id=tenant_id, subject_type=subject_type, subject_id=subject_id,
                                 organization_ids=organization_ids)
    return compute(zone, rules, start, end)


async def next_window(session: AsyncSession, *, tenant_id: str, subject_type: str, subject_id: str,
                      after: datetime, horizon_days: int = 366,
                      organization_ids: Sequence[str] | None = None) -> availability.Window | None:
    """The first free window that is open at or after `after` (a window open at `after` counts, starting
    at `after`), looking at most `horizon_days` ahead, a month at a time."""
    zone, rules = await rules_of(session, tenant_id=tenant_id, subject_type=subject_type, subject_id=subject_id,
                                 organization_ids=organization_ids)
    start = after.astimezone(UTC)
    stop = start + timedelta(days=min(horizon_days, get_settings().booking_max_range_days))
    while start < stop:
        end = min(start + timedelta(days=31), stop)
        found = compute(zone, rules, start, end).windows
        if found:
            return found[0]
        start = end
    return None
