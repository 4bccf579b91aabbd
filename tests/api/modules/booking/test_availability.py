"""Availability over HTTP: rules stored through `POST /api/booking/availability` (and the weekly and
date-specific replaces), expanded by `GET /api/booking/availability-windows`. A table of cases across
the Europe/Warsaw daylight-saving changes (29 March and 25 October 2026), leap days, COUNT, UNTIL,
exdates, unavailability, date-specific overrides and merging; then the bounds and the refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from api.db import sessionmaker
from api.modules.booking.models import AvailabilityRule
from tests.fixtures import Caller, World

B = "/api/booking"
ALL = ["booking.*"]
WARSAW = "Europe/Warsaw"


async def resource(me: Caller, **extra: Any) -> str:
    r = await me.post(f"{B}/resources", json={"name": "Room A", **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def rule(me: Caller, subject_id: str, text: str, *, kind: str = "availability", timezone: str = WARSAW,
               exdates: list[str] | None = None, subject_type: str = "resource") -> str:
    r = await me.post(f"{B}/availability", json={"subjectType": subject_type, "subjectId": subject_id,
                                                  "timezone": timezone, "rrule": text, "kind": kind,
                                                  "exdates": exdates or []})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def windows(me: Caller, subject_id: str, start: str, end: str, subject_type: str = "resource") -> list[Any]:
    r = await me.get(f"{B}/availability-windows", params={"subjectType": subject_type, "subjectId": subject_id,
                                                          "startsAt": start, "endsAt": end})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def spans(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(w["localStartsAt"], w["localEndsAt"]) for w in items]


WEEKDAYS_9_17 = "DTSTART;TZID=Europe/Warsaw:20260302T090000\nDURATION:PT8H\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"

# (case, rules [(rrule, kind, exdates)], range start, range end, expected local (start, end) pairs)
CASES: list[tuple[str, list[tuple[str, str, list[str]]], str, str, list[tuple[str, str]]]] = [
    ("march DST: 09:00 local on both sides", [(WEEKDAYS_9_17, "availability", [])],
     "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z",
     [("2026-03-27T09:00:00+01:00", "2026-03-27T17:00:00+01:00"),
      ("2026-03-30T09:00:00+02:00", "2026-03-30T17:00:00+02:00")]),
    ("october DST: 09:00 local on both sides", [(WEEKDAYS_9_17, "availability", [])],
     "2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z",
     [("2026-10-23T09:00:00+02:00", "2026-10-23T17:00:00+02:00"),
      ("2026-10-26T09:00:00+01:00", "2026-10-26T17:00:00+01:00")]),
    ("a night across the March change lasts 8 real hours",
     [("DTSTART;TZID=Europe/Warsaw:20260328T220000\nDURATION:PT8H\nRRULE:FREQ=DAILY;COUNT=1", "availability", [])],
     "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z",
     [("2026-03-28T22:00:00+01:00", "2026-03-29T07:00:00+02:00")]),
    ("an all-day window on the October change is 25 hours, midnight to midnight",
     [("DTSTART;VALUE=DATE:20261025\nDURATION:P1D\nRRULE:FREQ=DAILY;COUNT=1", "availability", [])],
     "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z",
     [("2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00")]),
    ("reference-style UTC DTSTART keeps its local hour after the change",
     [("DTSTART:20260302T080000Z\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;BYDAY=MO", "availability", [])],
     "2026-03-23T00:00:00Z", "2026-04-01T00:00:00Z",
     [("2026-03-23T09:00:00+01:00", "2026-03-23T10:00:00+01:00"),
      ("2026-03-30T09:00:00+02:00", "2026-03-30T10:00:00+02:00")]),
    ("leap day: yearly on 29 February skips 2025-2027",
     [("DTSTART;TZID=Europe/Warsaw:20240229T100000\nDURATION:PT2H\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
       "availability", [])],
     "2028-01-01T00:00:00Z", "2028-12-31T00:00:00Z",
     [("2028-02-29T10:00:00+01:00", "2028-02-29T12:00:00+01:00")]),
    ("COUNT stops after three",
     [("DTSTART;TZID=Europe/Warsaw:20260601T080000\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3", "availability", [])],
     "2026-05-30T00:00:00Z", "2026-06-10T00:00:00Z",
     [(f"2026-06-0{d}T08:00:00+02:00", f"2026-06-0{d}T09:00:00+02:00") for d in (1, 2, 3)]),
    ("UNTIL (UTC) is inclusive",
     [("DTSTART;TZID=Europe/Warsaw:20260601T080000\nDURATION:PT1H\nRRULE:FREQ=DAILY;UNTIL=20260603T060000Z",
       "availability", [])],
     "2026-05-30T00:00:00Z", "2026-06-10T00:00:00Z",
     [(f"2026-06-0{d}T08:00:00+02:00", f"2026-06-0{d}T09:00:00+02:00") for d in (1, 2, 3)]),
    ("exdates by local date and by instant",
     [("DTSTART;TZID=Europe/Warsaw:20260601T080000\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=4", "availability",
       ["2026-06-02", "2026-06-04T06:00:00Z"])],
     "2026-05-30T00:00:00Z", "2026-06-10T00:00:00Z",
     [("2026-06-01T08:00:00+02:00", "2026-06-01T09:00:00+02:00"),
      ("2026-06-03T08:00:00+02:00", "2026-06-03T09:00:00+02:00")]),
    ("EXDATE lines in the rule itself",
     [("DTSTART;TZID=Europe/Warsaw:20260601T080000\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\n"
       "EXDATE;TZID=Europe/Warsaw:20260602T080000", "availability", [])],
     "2026-05-30T00:00:00Z", "2026-06-10T00:00:00Z",
     [("2026-06-01T08:00:00+02:00", "2026-06-01T09:00:00+02:00"),
      ("2026-06-03T08:00:00+02:00", "2026-06-03T09:00:00+02:00")]),
    ("unavailability splits a window",
     [(WEEKDAYS_9_17, "availability", []),
      ("DTSTART;TZID=Europe/Warsaw:20260302T120000\nDURATION:PT1H\nRRULE:FREQ=DAILY", "unavailability", [])],
     "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z",
     [("2026-06-01T09:00:00+02:00", "2026-06-01T12:00:00+02:00"),
      ("2026-06-01T13:00:00+02:00", "2026-06-01T17:00:00+02:00")]),
    ("overlapping rules merge",
     [(WEEKDAYS_9_17, "availability", []),
      ("DTSTART;TZID=Europe/Warsaw:20260302T160000\nDURATION:PT3H\nRRULE:FREQ=WEEKLY;BYDAY=MO", "availability", [])],
     "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z",
     [("2026-06-01T09:00:00+02:00", "2026-06-01T19:00:00+02:00")]),
    ("a date-specific window replaces the weekly ones on its date",
     [(WEEKDAYS_9_17, "availability", []),
      ("DTSTART;TZID=Europe/Warsaw:20260602T130000\nDURATION:PT2H\nRRULE:FREQ=DAILY;COUNT=1", "availability", [])],
     "2026-06-01T00:00:00Z", "2026-06-03T00:00:00Z",
     [("2026-06-01T09:00:00+02:00", "2026-06-01T17:00:00+02:00"),
      ("2026-06-02T13:00:00+02:00", "2026-06-02T15:00:00+02:00")]),
    ("windows are clipped to the range",
     [(WEEKDAYS_9_17, "availability", [])],
     "2026-06-01T10:00:00Z", "2026-06-01T12:00:00Z",
     [("2026-06-01T12:00:00+02:00", "2026-06-01T14:00:00+02:00")]),
]


@pytest.mark.parametrize(("case", "rules", "start", "end", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_availability_table(world: World, case: str, rules: list[tuple[str, str, list[str]]], start: str,
                                  end: str, expected: list[tuple[str, str]]) -> None:
    me = await world.user(ALL)
    rid = await resource(me)
    for text, kind, exdates in rules:
        await rule(me, rid, text, kind=kind, exdates=exdates)
    found = await windows(me, rid, start, end)
    assert spans(found) == expected, case
    for w in found:
        assert w["startsAt"].endswith("Z") and w["timezone"] == WARSAW
        local = datetime.fromisoformat(w["localStartsAt"])
        assert datetime.fromisoformat(w["startsAt"].replace("Z", "+00:00")) == local.astimezone(UTC)


async def test_rule_set_rules_apply_to_members_and_resources(world: World) -> None:
    me = await world.user(ALL)
    r = await me.post(f"{B}/availability-rule-sets", json={"name": "Office hours", "timezone": WARSAW})
    assert r.status_code == 201, r.text
    set_id = r.json()["id"]
    await rule(me, set_id, WEEKDAYS_9_17, subject_type="ruleset")
    rid = await resource(me, availabilityRuleSetId=set_id)
    r = await me.post(f"{B}/team-members", json={"displayName": "Ala", "availabilityRuleSetId": set_id})
    mid = r.json()["id"]
    # The member's own day off is subtracted from the set's hours.
    await rule(me, mid, "DTSTART;VALUE=DATE:20260601\nDURATION:P1D\nRRULE:FREQ=DAILY;COUNT=1",
               kind="unavailability", subject_type="member")
    day = ("2026-06-01T00:00:00Z", "2026-06-03T00:00:00Z")
    assert len(await windows(me, rid, *day)) == 2
    assert spans(await windows(me, mid, *day, subject_type="member")) == [
        ("2026-06-02T09:00:00+02:00", "2026-06-02T17:00:00+02:00")]


async def test_a_deleted_rule_set_takes_its_rules_and_its_undo_brings_them_back(world: World) -> None:
    me = await world.user(ALL + ["audit_logs.*"])
    r = await me.post(f"{B}/availability-rule-sets", json={"name": "Office hours", "timezone": WARSAW})
    set_id = r.json()["id"]
    await rule(me, set_id, WEEKDAYS_9_17, subject_type="ruleset")
    rid = await resource(me, availabilityRuleSetId=set_id)
    day = ("2026-06-01T00:00:00Z", "2026-06-03T00:00:00Z")
    hours = await windows(me, rid, *day)
    assert len(hours) == 2

    r = await me.delete(f"{B}/availability-rule-sets", params={"id": set_id})
    assert r.status_code == 200, r.text
    assert (await me.get(f"{B}/availability", params={"subjectIds": set_id})).json()["items"] == []
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    assert (await me.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})).status_code == 200
    assert len((await me.get(f"{B}/availability", params={"subjectIds": set_id})).json()["items"]) == 1
    assert await windows(me, rid, *day) == hours


async def test_weekly_replace_is_one_transaction_and_replaces(world: World) -> None:
    me = await world.user(ALL)
    rid = await resource(me)
    body = {"subjectType": "resource", "subjectId": rid, "timezone": WARSAW,
            "windows": [{"weekday": 1, "start": "09:00", "end": "12:00"},
                        {"weekday": 1, "start": "13:00", "end": "17:00"},
                        {"weekday": 5, "start": "08:00", "end": "10:30"}]}
    r = await me.post(f"{B}/availability-weekly", json=body)
    assert r.status_code == 200 and r.json() == {"ok": True}, r.text
    assert r.headers.get("x-om-operation")
    listed = (await me.get(f"{B}/availability", params={"subjectIds": rid})).json()["items"]
    assert len(listed) == 3
    assert all("RRULE:FREQ=WEEKLY;BYDAY=" in i["rrule"] and i["rrule"].startswith("DTSTART;TZID=Europe/Warsaw:")
               for i in listed)
    assert {i["rrule"].split("BYDAY=")[1] for i in listed} == {"MO", "FR"}
    now = datetime.now(UTC)
    week = await windows(me, rid, now.isoformat(), (now + timedelta(days=14)).isoformat())
    local = [datetime.fromisoformat(w["localStartsAt"]) for w in week]
    assert local and {d.strftime("%a") for d in local} <= {"Mon", "Fri"}

    # A replace that fails (overlap) changes nothing.
    bad = {**body, "windows": [{"weekday": 2, "start": "09:00", "end": "12:00"},
                               {"weekday": 2, "start": "11:00", "end": "13:00"}]}
    r = await me.post(f"{B}/availability-weekly", json=bad)
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["windows", 1], r.text
    assert len((await me.get(f"{B}/availability", params={"subjectIds": rid})).json()["items"]) == 3

    r = await me.post(f"{B}/availability-weekly", json={**body, "windows": [{"weekday": 3, "start": "10:00",
                                                                               "end": "11:00"}]})
    assert r.status_code == 200
    listed = (await me.get(f"{B}/availability", params={"subjectIds": rid})).json()["items"]
    assert [i["rrule"].split("BYDAY=")[1] for i in listed] == ["WE"]
    async with sessionmaker()() as s:  # the old ones are soft-deleted, not gone
        assert (await s.execute(select(func.count()).select_from(AvailabilityRule).where(
            AvailabilityRule.subject_id == rid, AvailabilityRule.deleted_at.is_not(None)))).scalar_one() == 3


async def test_date_specific_replace(world: World) -> None:
    me = await world.user(ALL)
    rid = await resource(me)
    await rule(me, rid, WEEKDAYS_9_17)
    base = {"subjectType": "resource", "subjectId": rid, "timezone": WARSAW}
    r = await me.post(f"{B}/availability-date-specific", json={
        **base, "dates": ["2026-06-02"], "windows": [{"start": "10:00", "end": "11:00"}]})
    assert r.status_code == 200 and r.json() == {"ok": True}, r.text
    r = await me.post(f"{B}/availability-date-specific", json={**base, "dates": ["2026-06-03"],
                                                               "kind": "unavailability", "note": "Holiday"})
    assert r.status_code == 200, r.text
    found = spans(await windows(me, rid, "2026-06-01T00:00:00Z", "2026-06-04T00:00:00Z"))
    assert found == [("2026-06-01T09:00:00+02:00", "2026-06-01T17:00:00+02:00"),
                     ("2026-06-02T10:00:00+02:00", "2026-06-02T11:00:00+02:00")]
    # Replacing 2 June again drops the earlier window of that date.
    r = await me.post(f"{B}/availability-date-specific", json={
        **base, "dates": ["2026-06-02"], "windows": [{"start": "14:00", "end": "15:00"}]})
    assert r.status_code == 200
    found = spans(await windows(me, rid, "2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z"))
    assert found == [("2026-06-02T14:00:00+02:00", "2026-06-02T15:00:00+02:00")]


@pytest.mark.parametrize(("body", "field"), [
    ({"rrule": "DTSTART;TZID=Europe/Warsaw:20260601T080000\nRRULE:FREQ=SOMETIMES"}, "rrule"),
    ({"rrule": "RRULE:FREQ=DAILY"}, "rrule"),
    ({"rrule": "DTSTART:2026-06-01\nRRULE:FREQ=DAILY"}, "rrule"),
    ({"rrule": "DTSTART:20260601T080000Z\nDURATION:-PT1H\nRRULE:FREQ=DAILY"}, "rrule"),
    ({"rrule": "DTSTART:20260601T080000Z\nRRULE:FREQ=SECONDLY"}, "rrule"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"exdates": ["not a date"]}, "exdates"),
    ({"kind": "sometimes"}, "kind"),
    ({"subjectType": "planet"}, "subjectType"),
    ({"subjectId": "00000000-0000-4000-8000-000000000000"}, "subjectId"),
])
async def test_bad_rules_are_400_naming_the_field(world: World, body: dict[str, Any], field: str) -> None:
    me = await world.user(ALL)
    rid = await resource(me)
    payload = {"subjectType": "resource", "subjectId": rid, "timezone": WARSAW,
               "rrule": "DTSTART:20260601T080000Z\nRRULE:FREQ=DAILY", **body}
    r = await me.post(f"{B}/availability", json=payload)
    assert r.status_code == 400, r.text
    assert r.json()["details"][0]["path"][0] == field, r.json()
    assert (await me.get(f"{B}/availability")).json()["items"] == []


@pytest.mark.parametrize(("windows_", "path"), [
    ([{"weekday": 1, "start": "12:00", "end": "09:00"}], ["windows", 0, "end"]),
    ([{"weekday": 7, "start": "09:00", "end": "10:00"}], ["windows", 0, "weekday"]),
    ([{"weekday": 1, "start": "9:00", "end": "10:00"}], ["windows", 0, "start"]),
    ([{"weekday": 1, "start": "25:00", "end": "26:00"}], ["windows", 0, "start"]),
])
async def test_bad_weekly_windows(world: World, windows_: list[Any], path: list[Any]) -> None:
    me = await world.user(ALL)
    rid = await resource(me)
    r = await me.post(f"{B}/availability-weekly", json={"subjectType": "resource", "subjectId": rid,
                                                          "timezone": WARSAW, "windows": windows_})
    assert r.status_code == 400, r.text
    assert [str(p) for p in r.json()["details"][0]["path"]] == [str(p) for p in path]
    r = await me.post(f"{B}/availability-weekly", json={"subjectType": "resource", "subjectId": rid,
                                                          "timezone": "Nowhere/Else", "windows": []})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["timezone"]


async def test_queries_are_bounded(world: World) -> None:
    me = await world.user(ALL)
    rid = await resource(me)
    await rule(me, rid, "DTSTART:19900101T000000Z\nDURATION:PT30M\nRRULE:FREQ=HOURLY")
    q = {"subjectType": "resource", "subjectId": rid}
    r = await me.get(f"{B}/availability-windows", params={**q, "startsAt": "2026-01-01T00:00:00Z",
                                                          "endsAt": "2026-01-02T00:00:00Z"})
    assert r.status_code == 400 and "occurrences" in r.json()["details"][0]["message"], r.text
    r = await me.get(f"{B}/availability-windows", params={**q, "startsAt": "2026-01-01T00:00:00Z",
                                                          "endsAt": "2027-06-01T00:00:00Z"})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["endsAt"]
    r = await me.get(f"{B}/availability-windows", params={**q, "startsAt": "2026-01-02T00:00:00Z",
                                                          "endsAt": "2026-01-01T00:00:00Z"})
    assert r.status_code == 400
    r = await me.get(f"{B}/availability-windows", params={**q, "startsAt": "soon", "endsAt": "later"})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["startsAt"]
