"""iCalendar over HTTP: a resource's and a member's feed (rotatable secret link, `text/calendar`, parsed
back with the icalendar package), and `.ics` imports of unavailability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from tests.api.modules.booking.test_availability import WARSAW, resource, rule, spans, windows
from tests.api.modules.booking.test_booking import run_command
from tests.fixtures import World

B = "/api/booking"
ALL = ["booking.*"]


async def test_feed_round_trips_and_rotates(world: World) -> None:
    me = await world.user(ALL)
    room = await resource(me, name="Room A")
    member = (await me.post(f"{B}/team-members", json={"displayName": "Ala"})).json()["id"]
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    await rule(me, room, f"DTSTART:{soon:%Y%m%dT%H%M%S}Z\nDURATION:PT4H\nRRULE:FREQ=DAILY;COUNT=2")
    event = await run_command(me, "booking.event.create", {
        "title": "Board meeting", "startsAt": soon.isoformat(), "endsAt": (soon + timedelta(hours=1)).isoformat(),
        "status": "confirmed", "resources": [{"resourceId": room}], "members": [{"memberId": member}]})

    r = await me.post(f"{B}/feeds/rotate", json={"subjectType": "resource", "subjectId": room})
    assert r.status_code == 201, r.text
    token, url = r.json()["token"], r.json()["url"]
    assert len(token) >= 40 and url.endswith(f"/api/booking/feeds/{token}.ics")
    feed = await world.client.get(f"{B}/feeds/{token}.ics")  # no credentials: the link is the secret
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(feed.content)
    assert str(cal["x-wr-calname"]) == "Room A" and str(cal["x-wr-timezone"]) == WARSAW
    [vevent] = cal.walk("VEVENT")
    assert str(vevent["summary"]) == "Board meeting" and str(vevent["uid"]).startswith(event["id"])
    assert vevent.decoded("dtstart") == soon and str(vevent["status"]) == "CONFIRMED"
    [vav] = cal.walk("VAVAILABILITY")
    blocks = vav.walk("AVAILABLE")
    assert [(b.decoded("dtstart"), b.decoded("dtend")) for b in blocks] == [
        (soon + timedelta(days=d), soon + timedelta(days=d, hours=4)) for d in (0, 1)]

    # Rotating: the old link is gone at once, the new one works.
    r = await me.post(f"{B}/feeds/rotate", json={"subjectType": "resource", "subjectId": room})
    fresh = r.json()["token"]
    assert fresh != token
    assert (await world.client.get(f"{B}/feeds/{token}.ics")).status_code == 404
    assert (await world.client.get(f"{B}/feeds/{fresh}.ics")).status_code == 200
    assert (await world.client.get(f"{B}/feeds/guess.ics")).status_code == 404

    # A member's feed lists the events that book the member.
    r = await me.post(f"{B}/feeds/rotate", json={"subjectType": "member", "subjectId": member})
    cal = Calendar.from_ical((await world.client.get(f"{B}/feeds/{r.json()['token']}.ics")).content)
    assert [str(e["summary"]) for e in cal.walk("VEVENT")] == ["Board meeting"]
    assert cal.walk("VAVAILABILITY") == []

    other = await World(world.client).user(ALL)
    r = await other.post(f"{B}/feeds/rotate", json={"subjectType": "resource", "subjectId": room})
    assert r.status_code == 404


HOLIDAYS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Test//Holidays//EN\r
BEGIN:VEVENT\r
UID:corpus-christi@test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20260604\r
DTEND;VALUE=DATE:20260605\r
SUMMARY:Corpus Christi\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:standup@test\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Warsaw:20260601T093000\r
DURATION:PT30M\r
RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4\r
EXDATE;TZID=Europe/Warsaw:20260603T093000\r
SUMMARY:Stand-up\r
END:VEVENT\r
END:VCALENDAR\r
"""


async def test_ics_import_of_unavailability(world: World) -> None:
    me = await world.user(ALL)
    room = await resource(me)
    await rule(me, room, "DTSTART;TZID=Europe/Warsaw:20260601T090000\nDURATION:PT8H\nRRULE:FREQ=DAILY")
    r = await me.post(f"{B}/availability-import", json={"subjectType": "resource", "subjectId": room,
                                                        "ics": HOLIDAYS, "timezone": WARSAW})
    assert r.status_code == 201, r.text
    assert r.json()["ok"] is True and len(r.json()["ids"]) == 2
    imported = [i for i in (await me.get(f"{B}/availability", params={"kind": "unavailability"})).json()["items"]]
    assert {i["note"] for i in imported} == {"Corpus Christi", "Stand-up"}
    found = spans(await windows(me, room, "2026-06-01T00:00:00Z", "2026-06-05T00:00:00Z"))
    assert found == [
        ("2026-06-01T09:00:00+02:00", "2026-06-01T09:30:00+02:00"),
        ("2026-06-01T10:00:00+02:00", "2026-06-01T17:00:00+02:00"),
        ("2026-06-02T09:00:00+02:00", "2026-06-02T17:00:00+02:00"),
        ("2026-06-03T09:00:00+02:00", "2026-06-03T17:00:00+02:00"),  # the stand-up's EXDATE
    ]  # 4 June: the holiday takes the whole day

    for bad in ("not a calendar", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
                HOLIDAYS.replace("FREQ=WEEKLY", "FREQ=FORTNIGHTLY"),
                HOLIDAYS.replace("DTEND;VALUE=DATE:20260605", "DTEND:20260605T100000Z")):  # date minus date-time
        r = await me.post(f"{B}/availability-import", json={"subjectType": "resource", "subjectId": room, "ics": bad})
        assert r.status_code == 400 and r.json()["details"][0]["path"] == ["ics"], r.text
    assert len((await me.get(f"{B}/availability", params={"kind": "unavailability"})).json()["items"]) == 2


async def test_oversized_imports_are_refused_and_store_nothing(world: World) -> None:
    me = await world.user(ALL)
    room = await resource(me)
    body = {"subjectType": "resource", "subjectId": room, "ics": HOLIDAYS + "X" * 1_100_000}
    r = await me.post(f"{B}/availability-import", json=body)
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["ics"], r.text
    r = await me.post(f"{B}/availability-import", json={**body, "ics": "X" * 3_000_000})
    assert r.status_code == 413, r.text
    assert (await me.get(f"{B}/availability")).json()["items"] == []
