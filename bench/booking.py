"""Booking availability benchmark: 100 resources over 90 days (1 March - 30 May 2026, across the spring
daylight-saving change), each with a weekly rule (Monday-Friday 09:00-17:00 Europe/Warsaw) and 20
date-specific exceptions (10 days with other hours, 10 partial unavailabilities).

Contestants, interleaved round by round, p50 of one round (all 100 resources):

- **baseline**: the same rules expanded with bare `dateutil.rrule` in a loop (rule objects built once,
  `between()` over the range, each occurrence's end added): what any implementation must at least do;
- **query**: `api.modules.booking.service.compute` for each resource: expansion in the rule's zone,
  date-specific overrides, unavailability subtracted, overlaps merged, clipped (parsed rules cached,
  as the service does between queries);
- **query + database** (reported, not in the ratio): `service.availability_of`, which also loads the
  resource, its rule set and its rules from SQLite.

Run: `.venv/bin/python bench/booking.py [--resources 100] [--rounds 30]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ZONE = "Europe/Warsaw"
START = datetime(2026, 3, 1, tzinfo=UTC)
END = START + timedelta(days=90)


def _isolate() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="stepwise-bench-booking-"))
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("STEPWISE_JWT_SECRET", "bench-secret-" + "x" * 40)


def rules_for(n: int) -> list[tuple[str, str]]:
    """(rrule text, kind) of resource `n`: one weekly rule and 20 exceptions on distinct weekdays."""
    out = [(f"DTSTART;TZID={ZONE}:20260302T090000\nDURATION:PT8H\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "availability")]
    day = date(2026, 3, 2) + timedelta(days=n % 7)
    for i in range(20):
        while day.weekday() >= 5:
            day += timedelta(days=1)
        if i % 2 == 0:
            out.append((f"DTSTART;TZID={ZONE}:{day:%Y%m%d}T120000\nDURATION:PT3H\nRRULE:FREQ=DAILY;COUNT=1",
                        "availability"))
        else:
            out.append((f"DTSTART;TZID={ZONE}:{day:%Y%m%d}T130000\nDURATION:PT1H30M\nRRULE:FREQ=DAILY;COUNT=1",
                        "unavailability"))
        day += timedelta(days=4)
    return out


def baseline_rules(texts: list[tuple[str, str]]) -> list[tuple[Any, timedelta]]:
    from zoneinfo import ZoneInfo

    from dateutil.rrule import rrulestr

    zone = ZoneInfo(ZONE)
    built = []
    for text, _ in texts:
        lines = text.split("\n")
        stamp = lines[0].split(":")[1]
        dtstart = datetime.strptime(stamp, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
        hours, _, minutes = lines[1].removeprefix("DURATION:PT").partition("H")
        length = timedelta(hours=int(hours), minutes=int(minutes.rstrip("M") or 0))
        built.append((rrulestr(lines[2], dtstart=dtstart), length))
    return built


def baseline(all_rules: list[list[tuple[Any, timedelta]]]) -> int:
    total = 0
    for rules in all_rules:
        for rule, length in rules:
            for occurrence in rule.between(START - length, END, inc=True):
                total += (occurrence + length) > START
    return total


def ours(all_rules: list[list[Any]]) -> int:
    from api.modules.booking import service

    return sum(len(service.compute(ZONE, rules, START, END).windows) for rules in all_rules)


async def seed(count: int) -> list[str]:
    from api.cli import migrate
    from api.db import new_id, sessionmaker
    from api.modules.booking.models import AvailabilityRule, AvailabilityRuleSet, BookableResource

    await asyncio.to_thread(migrate)
    ids = []
    async with sessionmaker()() as s:
        for n in range(count):
            set_id, rid = new_id(), new_id()
            s.add(AvailabilityRuleSet(id=set_id, name=f"Hours {n}", timezone=ZONE, tenant_id="t", organization_id="o"))
            s.add(BookableResource(id=rid, name=f"Room {n}", availability_rule_set_id=set_id, tenant_id="t",
                                   organization_id="o"))
            texts = rules_for(n)
            s.add(AvailabilityRule(subject_type="ruleset", subject_id=set_id, timezone=ZONE, rrule=texts[0][0],
                                   kind=texts[0][1], exdates=[], tenant_id="t", organization_id="o"))
            for text, kind in texts[1:]:
                s.add(AvailabilityRule(subject_type="resource", subject_id=rid, timezone=ZONE, rrule=text, kind=kind,
                                       exdates=[], tenant_id="t", organization_id="o"))
            ids.append(rid)
        await s.commit()
    return ids


async def with_database(ids: list[str]) -> int:
    from api.db import sessionmaker
    from api.modules.booking import service

    total = 0
    async with sessionmaker()() as s:
        for rid in ids:
            found = await service.availability_of(s, tenant_id="t", subject_type="resource", subject_id=rid,
                                                  start=START, end=END)
            total += len(found.windows)
    return total


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    _isolate()
    from api.modules.booking import availability

    texts = [rules_for(n) for n in range(args.resources)]
    base_rules = [baseline_rules(t) for t in texts]
    our_rules = [[availability.Rule(f"{n}-{i}", text, ZONE, kind) for i, (text, kind) in enumerate(t)]
                 for n, t in enumerate(texts)]
    ids = await seed(args.resources)
    occurrences, windows = baseline(base_rules), ours(our_rules)  # warm-up (and the parse cache)
    assert windows == await with_database(ids)
    timings: dict[str, list[float]] = {"baseline": [], "query": [], "database": []}
    for _ in range(args.rounds):
        t = time.perf_counter()
        baseline(base_rules)
        timings["baseline"].append(time.perf_counter() - t)
        t = time.perf_counter()
        ours(our_rules)
        timings["query"].append(time.perf_counter() - t)
        t = time.perf_counter()
        await with_database(ids)
        timings["database"].append(time.perf_counter() - t)
    base, query, db = p50(timings["baseline"]), p50(timings["query"]), p50(timings["database"])
    print(f"{args.resources} resources x 90 days: {occurrences} occurrences expanded, {windows} free windows")
    print(f"baseline (bare dateutil.rrule loop)  p50 {base:8.2f} ms")
    print(f"availability query                   p50 {query:8.2f} ms  ({query / base:.2f}x baseline)")
    print(f"availability query + database        p50 {db:8.2f} ms  ({db / base:.2f}x baseline)")


if __name__ == "__main__":
    asyncio.run(main())
