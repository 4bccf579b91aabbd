"""iCalendar in and out, with the icalendar package: a subject's feed (its events as VEVENTs, its free
windows as one VAVAILABILITY of AVAILABLE blocks, RFC 7953) and `.ics` imports of unavailability."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Component
from icalendar import Event as VEvent

from api.modules.booking import availability

PRODID = "-//Stepwise//Booking//EN"
MAX_IMPORTED = 2000


class ImportProblem(ValueError):
    """An `.ics` that cannot be imported (the message says why)."""


def feed(*, name: str, subject_id: str, events: Sequence[Any], free: Any, stamp: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", free.timezone)
    for event in events:
        item = VEvent()
        item.add("uid", f"{event.id}@stepwise-booking")
        item.add("dtstamp", stamp)
        item.add("dtstart", event.starts_at.astimezone(UTC))
        item.add("dtend", event.ends_at.astimezone(UTC))
        item.add("summary", event.title)
        item.add("status", {"confirmed": "CONFIRMED", "cancelled": "CANCELLED"}.get(event.status, "TENTATIVE"))
        cal.add_component(item)
    if free.windows:
        vavailability = _component("VAVAILABILITY")
        vavailability.add("uid", f"{subject_id}-availability@stepwise-booking")
        vavailability.add("dtstamp", stamp)
        vavailability.add("dtstart", free.windows[0].start)
        vavailability.add("dtend", free.windows[-1].end)
        vavailability.add("busytype", "BUSY-UNAVAILABLE")
        for index, window in enumerate(free.windows):
            block = _component("AVAILABLE")
            block.add("uid", f"{subject_id}-{index}@stepwise-booking")
            block.add("dtstamp", stamp)
            block.add("dtstart", window.start)
            block.add("dtend", window.end)
            vavailability.add_component(block)
        cal.add_component(vavailability)
    return cal.to_ical()  # type: ignore[no-any-return]


def _component(name: str) -> Component:
    """A component icalendar has no class for (VAVAILABILITY, AVAILABLE of RFC 7953)."""
    found = Component()
    found.name = name  # type: ignore[misc]
    return found


@dataclass(frozen=True)
class Imported:
    rrule: str
    timezone: str
    exdates: list[str]
    summary: str | None


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _zone_name(moment: datetime, fallback: str) -> str:
    key = getattr(moment.tzinfo, "key", None) or getattr(moment.tzinfo, "zone", None)
    if isinstance(key, str):
        try:
            availability.zone(key)
            return key
        except availability.RuleError:
            pass
    return fallback


def unavailability(text: str, fallback_zone: str) -> list[Imported]:
    """The calendar's VEVENTs as rules (`DTSTART`, `DURATION`, their `RRULE`), in their own time zone
    (or `fallback_zone` for floating and UTC times)."""
    try:
        cal = Calendar.from_ical(text)
    except Exception as exc:  # noqa: BLE001 - the parser raises several types for one bad file
        raise ImportProblem(f"Not an iCalendar file: {exc}") from None
    out: list[Imported] = []
    for component in cal.walk("VEVENT"):
        try:
            out.append(_imported(component, fallback_zone))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            if isinstance(exc, ImportProblem):
                raise
            raise ImportProblem(f"Event {component.get('summary', '')!s} cannot be read: {exc}") from None
        if len(out) > MAX_IMPORTED:
            raise ImportProblem(f"At most {MAX_IMPORTED} events per import")
    if not out:
        raise ImportProblem("The calendar has no events")
    return out


def _imported(component: Any, fallback_zone: str) -> Imported:
    """One VEVENT as a rule."""
    start = component.decoded("dtstart", None)
    if start is None:
        raise ImportProblem("An event has no DTSTART")
    if "dtend" in component:
        length = component.decoded("dtend") - start
    elif "duration" in component:
        length = component.decoded("duration")
    else:
        length = timedelta(days=1) if not isinstance(start, datetime) else timedelta(hours=1)
    if not isinstance(length, timedelta) or length <= timedelta(0):
        raise ImportProblem("An event ends before it starts")
    if isinstance(start, datetime):
        if start.tzinfo is None:
            zone = fallback_zone
            head = f"DTSTART;TZID={zone}:{_stamp(start)}"
        elif start.utcoffset() == timedelta(0) and _zone_name(start, "") in ("", "UTC"):
            zone = fallback_zone
            head = f"DTSTART:{_stamp(start.astimezone(UTC))}Z"
        else:
            zone = _zone_name(start, fallback_zone)
            head = f"DTSTART;TZID={zone}:{_stamp(start.astimezone(availability.zone(zone)))}"
    elif isinstance(start, date):
        zone = fallback_zone
        head = f"DTSTART;VALUE=DATE:{start:%Y%m%d}"
    else:
        raise ImportProblem("An event has an invalid DTSTART")
    seconds = int(length.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    duration = "P" + (f"{days}D" if days else "") + (
        "T" + (f"{hours}H" if hours else "") + (f"{rest // 60}M" if rest // 60 else "") + (
            f"{rest % 60}S" if rest % 60 else "") if rest or hours else "")
    lines = [head, f"DURATION:{duration}"]
    if "rrule" in component:
        rules = component.get("rrule")
        for rule in rules if isinstance(rules, list) else [rules]:
            lines.append("RRULE:" + rule.to_ical().decode())
    else:
        lines.append("RRULE:FREQ=DAILY;COUNT=1")
    exdates: list[str] = []
    raw_ex = component.get("exdate")
    for group in (raw_ex if isinstance(raw_ex, list) else [raw_ex] if raw_ex is not None else []):
        for value in group.dts:
            moment = value.dt
            exdates.append(moment.isoformat() if isinstance(moment, datetime) else f"{moment:%Y-%m-%d}")
    rule_text = "\n".join(lines)
    try:
        availability.validate(rule_text, zone, exdates)
    except availability.RuleError as exc:
        raise ImportProblem(f"Event {component.get('summary', '')!s}: {exc.message}") from None
    summary = str(component.get("summary")) if component.get("summary") else None
    return Imported(rule_text, zone, exdates, summary[:200] if summary else None)
