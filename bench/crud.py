"""CRUD kit benchmark: list and create on a kit collection (`/api/example/todos`) against a trivial
authenticated endpoint of the same app (`POST /api/auth/feature-check`).

The app runs in-process (httpx over ASGITransport) on a fresh SQLite database in a temporary
directory; one client, signed in with the `example.todos.*` features, sends requests one after
another, so the figures are per-request costs (auth, session, query parsing, SQL, serialization,
audit entry, commit) without network or concurrency effects. Contestants are interleaved round by
round; the median round counts, and the ratio to feature-check is the figure (it cancels most of the
machine's noise).

Contestants:
- list: `GET /api/example/todos?pageSize=50` over the 50 seeded rows (50 items, total 50);
- list filtered: the same with `isDone=false&sortField=title&search=a` (filter, sort, search);
- create: `POST /api/example/todos` (validation, insert, audit entry, commit); the rows it created
  are deleted after each of its rounds, outside the timing, so the lists always see the same 50 rows;
- feature-check: auth + a feature check, the floor of any authenticated request.

Every measured request is HTTP; the setup needs only the user, role and organization models and the
`example_todos` table, so the file runs unchanged on older trees of the repository (docs/benchmarks.md
compares the kit before and after its rewrite that way).

Run: `.venv/bin/python bench/crud.py [--rounds 7] [--seconds 0.6]`. Prints requests/s, ms/request and
ratios; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROUNDS = 7
ROUND_SECONDS = 0.6
SEEDED = 50
WORDS = ("alpha", "bravo", "delta", "echo", "golf", "kilo", "lima", "oscar", "romeo", "tango")
LIST = "/api/example/todos?pageSize=50"
LIST_FILTERED = "/api/example/todos?pageSize=50&isDone=false&sortField=title&search=a"
CREATED_PREFIX = "bench-new "

Call = Callable[[], Awaitable[None]]


def _isolate() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="stepwise-bench-"))
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("STEPWISE_JWT_SECRET", "bench-secret-" + "x" * 40)
    return tmp


def _todo(index: int) -> dict[str, Any]:
    """Seeded rows: six words in ten contain an `a`, one row in three is done."""
    return {"title": f"{WORDS[index % len(WORDS)]} {index:02d}", "is_done": index % 3 == 0,
            "cf_priority": ("low", "medium", "high")[index % 3], "cf_description": f"Seeded todo {index}"}


def _expected_filtered() -> int:
    rows = [_todo(i) for i in range(SEEDED)]
    return sum(1 for row in rows if not row["is_done"] and "a" in row["title"])


async def _seed_caller() -> str:
    """A tenant, its root organization and a user holding every example.todos feature; its token."""
    from api.db import sessionmaker
    from api.modules.auth.models import Role, RoleAcl, User, UserRole
    from api.modules.directory.models import Organization, Tenant
    from api.modules.directory.tree import rebuild_tree
    from api.security import issue_token

    async with sessionmaker()() as s:
        tenant = Tenant(name="Bench")
        s.add(tenant)
        await s.flush()
        org = Organization(tenant_id=tenant.id, name="Root")
        s.add(org)
        await s.flush()
        await rebuild_tree(s, tenant.id)
        role = Role(name="bench", tenant_id=tenant.id)
        s.add(role)
        await s.flush()
        s.add(RoleAcl(role_id=role.id, tenant_id=tenant.id, features_json=["example.todos.*"],
                      is_super_admin=False, organizations_json=None))
        user = User(email="bench@example.com", name="bench", password_hash=None, tenant_id=tenant.id,
                    organization_id=org.id)
        s.add(user)
        await s.flush()
        s.add(UserRole(user_id=user.id, role_id=role.id))
        await s.commit()
        return issue_token(user_id=user.id, tenant_id=tenant.id, org_id=org.id, email=user.email, roles=["bench"])


async def _forget_created() -> None:
    """Delete the rows the create contestant made (not timed), so every list round sees the seed."""
    from sqlalchemy import text

    from api.db import sessionmaker

    async with sessionmaker()() as s:
        await s.execute(text("DELETE FROM example_todos WHERE title LIKE :prefix"),
                        {"prefix": CREATED_PREFIX + "%"})
        await s.commit()


async def _measure(call: Call, seconds: float) -> tuple[float, float]:
    """Requests per second (wall clock) and CPU milliseconds per request (the process's, all threads:
    the event loop and aiosqlite's), over one round."""
    count = 0
    cpu = time.process_time()
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        await call()
        count += 1
    elapsed = time.perf_counter() - start
    return count / elapsed, (time.process_time() - cpu) * 1000 / count


async def main(rounds: int, seconds: float) -> None:
    tmp = _isolate()
    import httpx

    from api.cli import migrate
    from api.db import make_engine, set_engine
    from api.settings import get_settings

    await asyncio.to_thread(migrate)
    engine = make_engine(get_settings().db_url)
    set_engine(engine)
    from api.app import create_app

    app = create_app()
    token = await _seed_caller()
    headers = {"Authorization": f"Bearer {token}"}
    filtered = _expected_filtered()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                 headers=headers) as client:
        for index in range(SEEDED):
            r = await client.post("/api/example/todos", json=_todo(index))
            assert r.status_code == 201, r.text

        def listing(url: str, expected: int) -> Call:
            async def call() -> None:
                r = await client.get(url)
                assert r.status_code == 200, r.text
                body = r.json()
                assert len(body["items"]) == expected and body["total"] == expected, r.text

            return call

        numbers = itertools.count()

        async def create() -> None:
            n = next(numbers)
            r = await client.post("/api/example/todos", json={
                "title": f"{CREATED_PREFIX}{n}", "is_done": False, "cf_priority": "high",
                "cf_description": "Created by the benchmark"})
            assert r.status_code == 201, r.text

        async def feature_check() -> None:
            r = await client.post("/api/auth/feature-check", json={"features": ["example.todos.view"]})
            assert r.status_code == 200 and r.json()["ok"] is True, r.text

        contestants: dict[str, Call] = {"list (50 rows)": listing(LIST, SEEDED),
                                        f"list filtered+sorted+searched ({filtered} rows)":
                                            listing(LIST_FILTERED, filtered),
                                        "create": create,
                                        "feature-check": feature_check}
        for call in contestants.values():  # warm up: connections, caches, imports
            for _ in range(20):
                await call()
        await _forget_created()
        rates: dict[str, list[float]] = {name: [] for name in contestants}
        cpus: dict[str, list[float]] = {name: [] for name in contestants}
        for _ in range(rounds):
            for name, call in contestants.items():
                rate, cpu = await _measure(call, seconds)
                rates[name].append(rate)
                cpus[name].append(cpu)
                if call is create:
                    await _forget_created()
    await engine.dispose()

    medians = {name: statistics.median(values) for name, values in rates.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpus.items()}
    floor, cpu_floor = medians["feature-check"], cpu_medians["feature-check"]
    print(f"CRUD kit: /api/example/todos vs POST /api/auth/feature-check, in-process, sequential, "
          f"{rounds} rounds x {seconds}s, median; ratio = rate / feature-check's rate (CPU: its CPU / ours)")
    for name, rate in medians.items():
        low, high = min(rates[name]), max(rates[name])
        cpu = cpu_medians[name]
        print(f"    {name:<38} {rate:6.0f} req/s  {1000 / rate:6.2f} ms/req  {rate / floor:5.3f}x"
              f"  | CPU {cpu:5.2f} ms/req  {cpu_floor / cpu:5.3f}x  (rounds {low:.0f}-{high:.0f} req/s)")
    keys = dict(zip(("list", "filtered", "create"), medians, strict=False))
    print("    ratios: " + "  ".join(f"{key}={medians[name] / floor:.3f}" for key, name in keys.items())
          + "  cpu: " + "  ".join(f"{key}={cpu_floor / cpu_medians[name]:.3f}" for key, name in keys.items()))
    print(f"    database: {tmp / 'bench.db'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--seconds", type=float, default=ROUND_SECONDS)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.seconds))
