"""Booking's routes that are not CRUD: replacing weekly and date-specific availability, the expanded
availability view, the resource calendar, the event picker, tag assignment, and iCalendar feeds and
imports. Every write goes through the kit's service, so it is audited and evented like a CRUD write,
and the request's one transaction makes each replace all-or-nothing."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import delete, func, select

from api.auth import AuthContext, requires
from api.crud import service as crud
from api.crud import written
from api.crud.answers import OK, file_answer, json_answer, many, shape
from api.crud.query import like_pattern, parse_instant, parse_int
from api.crud.routes import read_json, validate_model
from api.crud.tags import assign, unassign
from api.db import new_id, utcnow
from api.deps import SessionDep
from api.errors import BadRequest, Conflict, Forbidden, NotFound
from api.modules.audit_logs.models import ActionLog
from api.modules.booking import availability, ical
from api.modules.booking import service as booking
from api.modules.booking.models import AvailabilityRule, Event, EventMember, EventResource, FeedToken
from api.modules.booking.resources import RESOURCE_TAGS, SUBJECTS, invalid, resources, rules, tags, team_members
from api.modules.booking.schemas import (
    DateSpecificReplace,
    FeedRotate,
    IcsImport,
    MemberTag,
    ResourceTagAssignment,
    RuleCreate,
    TeamMemberUpdate,
    WeeklyReplace,
)
from api.settings import get_settings

# The answers' shapes (the OpenAPI document).
EVENT = shape(id="string", title="string?", startsAt="string", endsAt="string", status="string?")
WINDOW = shape(startsAt="string", endsAt="string", localStartsAt="string", localEndsAt="string", timezone="string")

router = APIRouter(tags=["Booking"])
View = Annotated[AuthContext, Depends(requires("booking.view"))]
ManageAvailability = Annotated[AuthContext, Depends(requires("booking.manage_availability"))]
ManageTeam = Annotated[AuthContext, Depends(requires("booking.manage_team"))]
ManageResources = Annotated[AuthContext, Depends(requires("booking.manage_resources"))]
DAY_CODES = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # weekday 0 = Sunday, as the reference


def _problem(field: str, message: str) -> BadRequest:
    return invalid(field, message)


def _body(example: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object"}, "example": example}}}}


def _minutes(value: str, field: str) -> int:
    hours, minutes = (int(p) for p in value.split(":"))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise _problem(field, "Expected HH:MM between 00:00 and 24:00")
    return hours * 60 + minutes


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest else "")


def _stamp(day: date, minutes: int) -> str:
    return f"{day:%Y%m%d}T{minutes // 60:02d}{minutes % 60:02d}00"


def _spans(windows: list[Any], prefix: str, key: Any) -> list[tuple[Any, int, int]]:
    """Each window as (group, start, end) minutes; 400 on end before start or overlapping windows."""
    spans = []
    for index, w in enumerate(windows):
        start, end = _minutes(w.start, f"{prefix}.{index}.start"), _minutes(w.end, f"{prefix}.{index}.end")
        if start >= 24 * 60:
            raise _problem(f"{prefix}.{index}.start", "Expected HH:MM between 00:00 and 23:59")
        if end <= start:
            raise _problem(f"{prefix}.{index}.end", "end must be after start")
        spans.append((key(w), start, end, index))
    ordered = sorted(spans, key=lambda s: (str(s[0]), s[1]))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a[0] == b[0] and b[1] < a[2]:
            raise _problem(f"{prefix}.{b[3]}", "Windows overlap")
    return [(g, s, e) for g, s, e, _ in spans]


async def _subject(session: Any, ctx: AuthContext, subject_type: str, subject_id: str) -> Any:
    try:
        return await crud.get_row(SUBJECTS[subject_type], ctx, session, subject_id)
    except NotFound:
        raise _problem("subjectId", f"{SUBJECTS[subject_type].label} not found") from None


def _zone(name: str) -> None:
    try:
        availability.zone(name)
    except availability.RuleError as exc:
        raise _problem("timezone", exc.message) from None


async def _live_rules(session: Any, ctx: AuthContext, subject_type: str, subject_id: str) -> list[AvailabilityRule]:
    return list((await session.execute(crud.scoped(rules, ctx).where(
        AvailabilityRule.subject_type == subject_type, AvailabilityRule.subject_id == subject_id,
        AvailabilityRule.deleted_at.is_(None)).order_by(AvailabilityRule.created_at))).scalars())


def _once(rule: AvailabilityRule) -> bool:
    try:
        return availability.parse(rule.rrule, rule.timezone).once
    except availability.RuleError:
        return False


async def _create_rule(session: Any, ctx: AuthContext, body: dict[str, Any]) -> ActionLog:
    write = await crud.create(rules, ctx, session, validate_model(RuleCreate, body))
    return crud.entry_of(write)


@router.post("/booking/availability-weekly", summary="Replace weekly availability",
             description="Replaces the subject's weekly windows: each `{weekday (0 = Sunday), start, end}` becomes a "
                         "rule `DTSTART;TZID=<timezone>` + `DURATION` + `RRULE:FREQ=WEEKLY;BYDAY=..` in the given time "
                         "zone, and the subject's previous recurring availability rules are soft-deleted, all in one "
                         "transaction. An empty `windows` clears them. Requires features: booking.manage_availability",
             openapi_extra=_body({"subjectType": "member", "subjectId": "00000000-0000-4000-8000-000000000000",
                                  "timezone": "Europe/Warsaw",
                                  "windows": [{"weekday": 1, "start": "09:00", "end": "17:00"}]}),
             responses=json_answer(OK))
async def replace_weekly(request: Request, session: SessionDep, ctx: ManageAvailability) -> Any:
    body: WeeklyReplace = validate_model(WeeklyReplace, await read_json(request))  # type: ignore[assignment]
    _zone(body.timezone)
    spans = _spans(body.windows, "windows", lambda w: w.weekday)
    await _subject(session, ctx, body.subject_type, body.subject_id)
    entry: ActionLog | None = None
    for rule in await _live_rules(session, ctx, body.subject_type, body.subject_id):
        if rule.kind == "availability" and not _once(rule):
            entry = crud.entry_of(await crud.delete(rules, ctx, session, rule.id))
    # Anchored in the current week (local), so the windows apply from this week on.
    today = datetime.now(UTC).astimezone(availability.zone(body.timezone)).date()
    sunday = today - timedelta(days=(today.weekday() + 1) % 7)
    for weekday, start, end in spans:
        text = (f"DTSTART;TZID={body.timezone}:{_stamp(sunday + timedelta(days=weekday), start)}\n"
                f"DURATION:{_duration(end - start)}\nRRULE:FREQ=WEEKLY;BYDAY={DAY_CODES[weekday]}")
        entry = await _create_rule(session, ctx, {
            "subjectType": body.subject_type, "subjectId": body.subject_id, "timezone": body.timezone,
            "rrule": text, "kind": "availability", "organizationId": body.organization_id})
    return written({"ok": True}, entry)


@router.post("/booking/availability-date-specific", summary="Replace date-specific availability",
             description="Replaces the subject's windows on the given dates (`YYYY-MM-DD`, local to "
                         "`timezone`): the date-specific rules already on those dates are soft-deleted, then each "
                         "date gets one rule per window (`RRULE:FREQ=DAILY;COUNT=1`). With `kind: availability` these "
                         "windows replace the weekly ones on that date; with `kind: unavailability` they are "
                         "subtracted (no windows: the whole day). Requires features: booking.manage_availability",
             openapi_extra=_body({"subjectType": "resource", "subjectId": "00000000-0000-4000-8000-000000000000",
                                  "timezone": "Europe/Warsaw", "dates": ["2026-12-24"],
                                  "windows": [{"start": "09:00", "end": "12:00"}], "kind": "availability",
                                  "note": None}),
             responses=json_answer(OK))
async def replace_date_specific(request: Request, session: SessionDep, ctx: ManageAvailability) -> Any:
    body: DateSpecificReplace = validate_model(DateSpecificReplace, await read_json(request))  # type: ignore[assignment]
    _zone(body.timezone)
    days: list[date] = []
    for index, raw in enumerate(dict.fromkeys(body.dates)):
        try:
            days.append(date.fromisoformat(raw))
        except ValueError:
            raise _problem(f"dates.{index}", "Invalid date") from None
    spans = _spans(body.windows, "windows", lambda w: 0)
    await _subject(session, ctx, body.subject_type, body.subject_id)
    entry: ActionLog | None = None
    wanted = set(days)
    for rule in await _live_rules(session, ctx, body.subject_type, body.subject_id):
        if _once(rule) and availability.parse(rule.rrule, rule.timezone).start.date() in wanted:
            entry = crud.entry_of(await crud.delete(rules, ctx, session, rule.id))
    if body.kind == "unavailability" and not spans:
        spans = [(0, 0, 24 * 60)]
    for day in days:
        for _, start, end in spans:
            text = (f"DTSTART;TZID={body.timezone}:{_stamp(day, start)}\nDURATION:{_duration(end - start)}\n"
                    "RRULE:FREQ=DAILY;COUNT=1")
            entry = await _create_rule(session, ctx, {
                "subjectType": body.subject_type, "subjectId": body.subject_id, "timezone": body.timezone,
                "rrule": text, "kind": body.kind, "note": body.note, "organizationId": body.organization_id})
    return written({"ok": True}, entry)


def _instant(params: Any, name: str) -> datetime:
    raw = params.get(name)
    if not raw:
        raise _problem(name, f"{name} is required")
    found = parse_instant(raw)
    if found is None:
        raise _problem(name, "Expected an ISO date or date-time")
    return found


@router.get("/booking/availability-windows", summary="Expand availability",
            description="The subject's free windows between `startsAt` and `endsAt`: its rules and its rule set's "
                        "expanded (RFC 5545), date-specific windows replacing weekly ones on their dates, "
                        "unavailability and exdates subtracted, overlaps merged. Each window in UTC with its local "
                        "times. At most `STEPWISE_BOOKING_MAX_RANGE_DAYS` days and `STEPWISE_BOOKING_MAX_OCCURRENCES` "
                        "expanded occurrences, else 400. Requires features: booking.view",
            responses=json_answer(shape(items=many(WINDOW), timezone="string")))
async def availability_windows(request: Request, session: SessionDep, ctx: View, subjectType: str = "",  # noqa: N803
                               subjectId: str = "", startsAt: str = "", endsAt: str = "") -> Any:  # noqa: N803
    if subjectType not in SUBJECTS:
        raise _problem("subjectType", "Expected member, resource or ruleset")
    if not subjectId:
        raise _problem("subjectId", "subjectId is required")
    start, end = _instant(request.query_params, "startsAt"), _instant(request.query_params, "endsAt")
    await crud.get_row(SUBJECTS[subjectType], ctx, session, subjectId)
    found = await booking.availability_of(session, tenant_id=ctx.require_tenant(), subject_type=subjectType,
                                          subject_id=subjectId, start=start, end=end)
    return {"items": found.items(), "timezone": found.timezone}


def _event_item(event: Event) -> dict[str, Any]:
    return {"id": event.id, "title": event.title, "startsAt": booking._iso(event.starts_at),
            "endsAt": booking._iso(event.ends_at), "status": event.status}


@router.get("/booking/resource-events", summary="List resource events",
            description="Events that book the resource and overlap `startsAt`..`endsAt` (cancelled ones left out), "
                        "oldest first. `includeAvailability=true` adds the resource's free windows over the same "
                        "range (`availability`). Requires features: booking.view",
            responses=json_answer(shape("availability", items=many(EVENT), availability=many(WINDOW))))
async def resource_events(request: Request, session: SessionDep, ctx: View) -> Any:
    params = request.query_params
    resource_id = params.get("resourceId") or ""
    if not resource_id:
        raise _problem("resourceId", "resourceId is required")
    start, end = _instant(params, "startsAt"), _instant(params, "endsAt")
    if end <= start:
        raise _problem("endsAt", "startsAt must be before endsAt")
    await crud.get_row(resources, ctx, session, resource_id)
    stmt = select(Event).join(EventResource, EventResource.event_id == Event.id).where(
        EventResource.resource_id == resource_id, Event.tenant_id == ctx.tenant_id, Event.deleted_at.is_(None),
        Event.status != "cancelled", Event.starts_at < end, Event.ends_at > start).order_by(Event.starts_at, Event.id)
    if ctx.org_scope is not None:
        stmt = stmt.where(Event.organization_id.in_(ctx.org_scope))
    out: dict[str, Any] = {"items": [_event_item(e) for e in (await session.execute(stmt.limit(1000))).scalars()]}
    if (params.get("includeAvailability") or "").lower() in ("1", "true"):
        found = await booking.availability_of(session, tenant_id=ctx.require_tenant(), subject_type="resource",
                                              subject_id=resource_id, start=start, end=end)
        out["availability"] = found.items()
    return out


@router.get("/booking/event-options", summary="List event options",
            description="Events as picker options (`id, title, startsAt, endsAt, status`), newest first, filtered by "
                        "`search` in the title; `pageSize` 1-100 (50). Requires features: booking.view",
            responses=json_answer(shape(items=many(EVENT))))
async def event_options(request: Request, session: SessionDep, ctx: View) -> Any:
    params = request.query_params
    size = parse_int(params.get("pageSize"), "pageSize", 50, 1, 100)
    stmt = select(Event).where(Event.tenant_id == ctx.tenant_id, Event.deleted_at.is_(None))
    if ctx.org_scope is not None:
        stmt = stmt.where(Event.organization_id.in_(ctx.org_scope))
    if search := (params.get("search") or "").strip():
        stmt = stmt.where(func.lower(Event.title).like(like_pattern(search), escape="\\"))
    found = (await session.execute(stmt.order_by(Event.starts_at.desc(), Event.id).limit(size))).scalars()
    return {"items": [_event_item(e) for e in found]}


# --- tags -----------------------------------------------------------------------------------------------

@router.post("/booking/resources/tags/assign", status_code=201, summary="Assign resource tag",
             description="Links a booking tag to a resource (`tagId`, `resourceId`); 409 when already linked. "
                         "Requires features: booking.manage_resources",
             openapi_extra=_body({"tagId": "00000000-0000-4000-8000-000000000000",
                                  "resourceId": "00000000-0000-4000-8000-000000000000"}),
             responses=json_answer(shape(id="string"), 201))
async def assign_resource_tag(request: Request, session: SessionDep, ctx: ManageResources) -> Any:
    body: ResourceTagAssignment = validate_model(ResourceTagAssignment, await read_json(request))  # type: ignore[assignment]
    from api.crud.tags import TagAssignment
    before = (await session.execute(select(TagAssignment.id).where(
        TagAssignment.tag_id == body.tag_id, TagAssignment.entity_type == RESOURCE_TAGS,
        TagAssignment.entity_id == body.resource_id))).first()
    link = await assign(session, ctx, tags=tags, target=resources, entity_type=RESOURCE_TAGS, tag_id=body.tag_id,
                        entity_id=body.resource_id)
    if before is not None:
        raise Conflict("Tag already assigned.")
    return written({"id": link.id}, None, 201)


@router.post("/booking/resources/tags/unassign", summary="Unassign resource tag",
             description="Removes a booking tag from a resource (`tagId`, `resourceId`); 404 when it was not linked. "
                         "Requires features: booking.manage_resources",
             openapi_extra=_body({"tagId": "00000000-0000-4000-8000-000000000000",
                                  "resourceId": "00000000-0000-4000-8000-000000000000"}),
             responses=json_answer(shape(id="string")))
async def unassign_resource_tag(request: Request, session: SessionDep, ctx: ManageResources) -> Any:
    body: ResourceTagAssignment = validate_model(ResourceTagAssignment, await read_json(request))  # type: ignore[assignment]
    await crud.get_row(resources, ctx, session, body.resource_id)
    if not await unassign(session, ctx, tags=tags, entity_type=RESOURCE_TAGS, tag_id=body.tag_id,
                          entity_id=body.resource_id):
        raise NotFound("Tag assignment not found.")
    return {"id": body.tag_id}


async def _member_tags(request: Request, session: Any, ctx: AuthContext, adding: bool) -> Any:
    body: MemberTag = validate_model(MemberTag, await read_json(request))  # type: ignore[assignment]
    member = await crud.get_row(team_members, ctx, session, body.member_id)
    current = list(member.tags or [])
    if adding and body.tag in current:
        raise Conflict("Tag already assigned.")
    if not adding and body.tag not in current:
        raise NotFound("Tag assignment not found.")
    wanted = [*current, body.tag] if adding else [t for t in current if t != body.tag]
    update = validate_model(TeamMemberUpdate, {"id": member.id, "tags": wanted})
    write = await crud.update(team_members, ctx, session, member.id, update)
    return written({"id": member.id}, crud.entry_of(write), 201 if adding else 200)


@router.post("/booking/team-members/tags/assign", status_code=201, summary="Assign team member tag",
             description="Adds a free-text tag to a team member (`memberId`, `tag`); 409 when it has it. "
                         "Requires features: booking.manage_team",
             openapi_extra=_body({"memberId": "00000000-0000-4000-8000-000000000000", "tag": "senior"}),
             responses=json_answer(shape(id="string"), 201))
async def assign_member_tag(request: Request, session: SessionDep, ctx: ManageTeam) -> Any:
    return await _member_tags(request, session, ctx, True)


@router.post("/booking/team-members/tags/unassign", summary="Unassign team member tag",
             description="Removes a tag from a team member (`memberId`, `tag`); 404 when it does not have it. "
                         "Requires features: booking.manage_team",
             openapi_extra=_body({"memberId": "00000000-0000-4000-8000-000000000000", "tag": "senior"}),
             responses=json_answer(shape(id="string")))
async def unassign_member_tag(request: Request, session: SessionDep, ctx: ManageTeam) -> Any:
    return await _member_tags(request, session, ctx, False)


# --- iCalendar ----------------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


FEED_FEATURES = {"member": "booking.manage_team", "resource": "booking.manage_resources"}


@router.post("/booking/feeds/rotate", status_code=201, summary="Create or rotate an iCalendar feed",
             description="A new secret feed link for a team member or a resource (`subjectType`, `subjectId`): "
                         "`{token, url}`, shown once; the previous link stops working. Requires features: "
                         "booking.view, and booking.manage_team (members) or booking.manage_resources (resources)",
             openapi_extra=_body({"subjectType": "resource", "subjectId": "00000000-0000-4000-8000-000000000000"}),
             responses=json_answer(shape(token="string", url="string"), 201))
async def rotate_feed(request: Request, session: SessionDep, ctx: View) -> Any:
    body: FeedRotate = validate_model(FeedRotate, await read_json(request))  # type: ignore[assignment]
    feature = FEED_FEATURES[body.subject_type]
    if not ctx.can(feature):
        raise Forbidden("Forbidden", extra={"requiredFeatures": ["booking.view", feature]})
    subject = await crud.get_row(SUBJECTS[body.subject_type], ctx, session, body.subject_id)
    await session.execute(delete(FeedToken).where(FeedToken.subject_type == body.subject_type,
                                                  FeedToken.subject_id == subject.id))
    token = secrets.token_urlsafe(32)
    session.add(FeedToken(id=new_id(), subject_type=body.subject_type, subject_id=subject.id,
                          token_hash=_token_hash(token), tenant_id=subject.tenant_id,
                          organization_id=subject.organization_id, created_at=utcnow()))
    await session.flush()
    url = f"{get_settings().app_url.rstrip('/')}/api/booking/feeds/{token}.ics"
    return written({"token": token, "url": url}, None, 201)


@router.get("/booking/feeds/{token}.ics", summary="iCalendar feed",
            description="The feed of a team member or a resource as `text/calendar`: its events (VEVENT) and its free "
                        "windows from 30 days back to 180 days ahead (VAVAILABILITY). Authenticated by the secret "
                        "token in the link alone (calendar apps send no headers); an unknown or rotated token is 404.",
            responses=file_answer("text/calendar", "The iCalendar feed", {"type": "string"}),
            response_class=Response)
async def feed(token: str, session: SessionDep) -> Response:
    found = (await session.execute(select(FeedToken).where(FeedToken.token_hash == _token_hash(token)))).scalars() \
        .first()
    if found is None or found.tenant_id is None:
        raise NotFound("Feed not found")
    model = booking.SUBJECT_MODELS[found.subject_type]
    subject = (await session.execute(select(model).where(model.id == found.subject_id,
                                                         model.deleted_at.is_(None)))).scalars().first()
    if subject is None:
        raise NotFound("Feed not found")
    if found.subject_type == "resource":
        stmt = select(Event).join(EventResource, EventResource.event_id == Event.id).where(
            EventResource.resource_id == subject.id)
    else:
        stmt = select(Event).join(EventMember, EventMember.event_id == Event.id).where(
            EventMember.member_id == subject.id)
    now = utcnow()
    start, end = now - timedelta(days=30), now + timedelta(days=180)
    events = list((await session.execute(stmt.where(
        Event.tenant_id == found.tenant_id, Event.deleted_at.is_(None), Event.ends_at > start, Event.starts_at < end)
        .order_by(Event.starts_at).limit(5000))).scalars())
    free = await booking.availability_of(session, tenant_id=found.tenant_id, subject_type=found.subject_type,
                                         subject_id=subject.id, start=start, end=end)
    name = str(getattr(subject, "display_name", None) or getattr(subject, "name", None) or "")
    body = ical.feed(name=name, subject_id=subject.id, events=events, free=free, stamp=now)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})


@router.post("/booking/availability-import", status_code=201, summary="Import unavailability from iCalendar",
             description="Each VEVENT of an `.ics` calendar (`ics`, e.g. public holidays) becomes an unavailability "
                         "rule of the subject: its DTSTART, its length (DTEND or DURATION; all-day events a day), its "
                         "RRULE and EXDATEs. Answers `{ok, ids}`; a calendar that does not parse is 400 and nothing is "
                         "stored. Requires features: booking.manage_availability",
             openapi_extra=_body({"subjectType": "member", "subjectId": "00000000-0000-4000-8000-000000000000",
                                  "ics": "BEGIN:VCALENDAR\r\n...\r\nEND:VCALENDAR", "timezone": "Europe/Warsaw"}),
             responses=json_answer(shape(ok="true", ids=many({"type": "string"})), 201))
async def import_ics(request: Request, session: SessionDep, ctx: ManageAvailability) -> Any:
    body: IcsImport = validate_model(IcsImport, await read_json(request))  # type: ignore[assignment]
    subject = await _subject(session, ctx, body.subject_type, body.subject_id)
    zone = body.timezone or getattr(subject, "timezone", None) or "UTC"
    _zone(zone)
    try:
        found = ical.unavailability(body.ics, zone)
    except ical.ImportProblem as exc:
        raise _problem("ics", str(exc)) from None
    ids: list[str] = []
    entry: ActionLog | None = None
    for item in found:
        entry = await _create_rule(session, ctx, {
            "subjectType": body.subject_type, "subjectId": subject.id, "timezone": item.timezone,
            "rrule": item.rrule, "exdates": item.exdates, "kind": "unavailability",
            "note": (body.note or item.summary or None)})
        ids.append(str(entry.resource_id))
    return written({"ok": True, "ids": ids}, entry, 201)
