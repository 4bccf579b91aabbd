"""Customers benchmark: the person aggregate `GET /api/customers/people/{id}?include=addresses,comments,
activities,deals,todos` for a person with 50 addresses, comments, activities, deals, linked todos and
tags, against a plain `GET /api/customers/people?id=` of the same person (the kit's list by id: one
item, no relations), in the same process and run.

The app runs in-process (httpx over ASGITransport) on a fresh SQLite database in a temporary folder;
one client signed in with `customers.*` and `example.todos.*` builds the person through the API, then
times sequential requests, aggregate and plain interleaved round by round. It also counts the SQL
statements of one aggregate with 1 and with 50 of everything (they must be equal: no N+1).
The target is an aggregate p50 within 2x the plain GET's.

Run: `.venv/bin/python bench/customers.py [--rounds 7] [--requests 50] [--count 50]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

INCLUDE = "addresses,comments,activities,deals,todos"


def _isolate() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="stepwise-bench-"))
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("STEPWISE_JWT_SECRET", "bench-secret-" + "x" * 40)
    return tmp


async def _seed_caller() -> str:
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
        s.add(RoleAcl(role_id=role.id, tenant_id=tenant.id, features_json=["customers.*", "example.todos.*"],
                      is_super_admin=False, organizations_json=None))
        user = User(email="bench@example.com", name="bench", password_hash=None, tenant_id=tenant.id,
                    organization_id=org.id)
        s.add(user)
        await s.flush()
        s.add(UserRole(user_id=user.id, role_id=role.id))
        await s.commit()
        return issue_token(user_id=user.id, tenant_id=tenant.id, org_id=org.id, email=user.email, roles=["bench"])


async def _person(client: Any, n: int) -> str:
    async def ok(path: str, body: dict[str, Any]) -> str:
        r = await client.post(path, json=body)
        assert r.status_code == 201, r.text
        return str(r.json().get("id") or r.json().get("linkId"))

    person = await ok("/api/customers/people", {"firstName": "Ada", "lastName": f"Of {n}",
                                                 "primaryEmail": f"ada{n}@example.com"})
    for i in range(n):
        tag = await ok("/api/customers/tags", {"label": f"Tag {n}-{i}"})
        r = await client.post("/api/customers/tags/assign", json={"tagId": tag, "entityId": person})
        assert r.status_code == 201, r.text
        await ok("/api/customers/addresses", {"entityId": person, "addressLine1": f"Street {i}", "city": "Kraków"})
        await ok("/api/customers/comments", {"entityId": person, "body": f"Comment {i}"})
        await ok("/api/customers/activities", {"entityId": person, "activityType": "call", "subject": f"Call {i}"})
        await ok("/api/customers/deals", {"title": f"Deal {i}", "valueAmount": "100.00", "personIds": [person]})
        await ok("/api/customers/todos", {"entityId": person, "title": f"Todo {i}",
                                          "todoCustom": {"priority": "high"}})
    return person


async def _statements(client: Any, url: str) -> int:
    from tests.fixtures import statements  # the tests' recorder: every statement of this process's engine

    with statements() as seen:
        r = await client.get(url, params={"include": INCLUDE})
        assert r.status_code == 200, r.text
    return len(seen)


async def main(rounds: int, requests: int, count: int) -> None:
    _isolate()
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
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        small = await _person(client, 1)
        person = await _person(client, count)
        aggregate_url = f"/api/customers/people/{person}"
        few = await _statements(client, f"/api/customers/people/{small}")
        many = await _statements(client, aggregate_url)
        r = await client.get(aggregate_url, params={"include": INCLUDE})
        body = r.json()
        sizes = {k: len(body[k]) for k in ("addresses", "comments", "activities", "deals", "todos", "tags")}

        async def aggregate() -> None:
            r = await client.get(aggregate_url, params={"include": INCLUDE})
            assert r.status_code == 200, r.text

        async def plain() -> None:
            r = await client.get("/api/customers/people", params={"id": person})
            assert r.status_code == 200 and r.json()["total"] == 1, r.text

        for _ in range(10):
            await aggregate()
            await plain()
        times: dict[str, list[float]] = {"aggregate": [], "plain": []}
        for _ in range(rounds):
            for name, call in (("aggregate", aggregate), ("plain", plain)):
                for _ in range(requests):
                    began = time.perf_counter()
                    await call()
                    times[name].append((time.perf_counter() - began) * 1000)
    await engine.dispose()

    agg, flat = statistics.median(times["aggregate"]), statistics.median(times["plain"])
    print(f"Customers: person aggregate with {sizes} vs GET /customers/people?id= "
          f"({rounds} interleaved rounds x {requests} requests, in-process, SQLite)")
    print(f"statements per aggregate: {few} with 1 of everything, {many} with {count} of everything")
    print(f"{'request':<10} {'p50 ms':>8} {'p95 ms':>8}")
    for name in ("aggregate", "plain"):
        ordered = sorted(times[name])
        print(f"{name:<10} {statistics.median(ordered):>8.2f} {ordered[int(0.95 * (len(ordered) - 1))]:>8.2f}")
    print(f"aggregate / plain: {agg / flat:.2f}x; target <= 2x: {'met' if agg / flat <= 2 else 'NOT met'}; "
          f"query count constant: {'yes' if few == many else 'NO'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.requests, args.count))
