"""Custom fields benchmark: a list of 100,000 todos filtered by one custom field and sorted
(`GET /api/example/todos?cf_priority=high&sortField=title`) against the same list filtered by an
ordinary indexed column (`?organizationId=<org>&sortField=title`), in the same run, p50 latency.

Both filters keep the same 20,000 rows (five organizations, five priorities, independent), so the
difference is the custom field's storage: the kit keeps a row's values in a JSON document on the row
(`custom_values`), filtered through a GIN index on PostgreSQL and an expression index on SQLite (created
by the first list that filters by the field, here the warm-up). A second figure compares, in raw SQL on
the same data (count and page, as a list runs them), interleaved, as ratios to the indexed-column
filter: the kit's shape, the same document without its index, and the design the kit used before, a
value table (one row per value, indexed by tenant, entity, field, value, record) joined to the rows,
rebuilt here as `bench_eav_values`.

The app runs in-process (httpx over ASGITransport) on a fresh SQLite database in a temporary
directory, or on the empty PostgreSQL database `--database-url` names; rows are written with SQL
(not timed). Contestants are interleaved request by request.

Run: `.venv/bin/python bench/custom_fields.py [--rows 100000] [--requests 40]
[--database-url postgresql+asyncpg://user:pw@host:port/empty_db]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PRIORITIES = ("low", "medium", "high", "urgent", "none")
ORGS = 5


def _isolate(url: str | None) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="stepwise-bench-cf-"))
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = url or f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("STEPWISE_JWT_SECRET", "bench-secret-" + "x" * 40)
    return tmp


async def _caller() -> tuple[str, str, list[str]]:
    from api.db import sessionmaker
    from api.modules.auth.models import Role, RoleAcl, User, UserRole
    from api.modules.directory.models import Organization, Tenant
    from api.modules.directory.tree import rebuild_tree
    from api.security import issue_token

    async with sessionmaker()() as s:
        tenant = Tenant(name="Bench")
        s.add(tenant)
        await s.flush()
        root = Organization(tenant_id=tenant.id, name="Root")
        s.add(root)
        await s.flush()
        orgs = [Organization(tenant_id=tenant.id, name=f"Org {n}", parent_id=root.id) for n in range(ORGS)]
        s.add_all(orgs)
        await s.flush()
        await rebuild_tree(s, tenant.id)
        role = Role(name="bench", tenant_id=tenant.id)
        s.add(role)
        await s.flush()
        s.add(RoleAcl(role_id=role.id, tenant_id=tenant.id, features_json=["example.todos.*"],
                      is_super_admin=False, organizations_json=None))
        user = User(email="bench@example.com", name="bench", password_hash=None, tenant_id=tenant.id,
                    organization_id=root.id)
        s.add(user)
        await s.flush()
        s.add(UserRole(user_id=user.id, role_id=role.id))
        await s.commit()
        token = issue_token(user_id=user.id, tenant_id=tenant.id, org_id=root.id, email=user.email, roles=["bench"])
        return token, tenant.id, [o.id for o in orgs]


def _rows(tenant: str, orgs: list[str], rows: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    todos, values = [], []
    for n in range(rows):
        rid = str(uuid.uuid4())
        org, priority = orgs[n % ORGS], PRIORITIES[(n // ORGS) % len(PRIORITIES)]
        title = f"todo {(n * 7919) % rows:06d}"
        todos.append((rid, title, False, now, now, None, tenant, org, json.dumps({"priority": priority})))
        values.append((str(uuid.uuid4()), "example:todo", rid, "priority", tenant, org, 0, priority, priority))
    return todos, values


TODOS = ("INSERT INTO example_todos (id, title, is_done, created_at, updated_at, deleted_at, tenant_id, "
         "organization_id, custom_values) VALUES ({})")
# The value table the kit used before (migration 5d1e7c2a9b40), for the raw-SQL comparison.
EAV = ("CREATE TABLE bench_eav_values (id TEXT PRIMARY KEY, entity_id TEXT, record_id TEXT, field_key TEXT, "
       "tenant_id TEXT, organization_id TEXT, position INTEGER, value_text TEXT, value_key TEXT)")
EAV_INDEX = ("CREATE INDEX ix_bench_eav_values ON bench_eav_values "
             "(tenant_id, entity_id, field_key, value_key, record_id)")
VALUES = ("INSERT INTO bench_eav_values (id, entity_id, record_id, field_key, tenant_id, organization_id, "
          "position, value_text, value_key) VALUES ({})")


def _seed_sqlite(db: Path, tenant: str, orgs: list[str], rows: int) -> None:
    """Todos (and, for the raw-SQL comparison, the same values in a value table) written with SQL."""
    todos, values = _rows(tenant, orgs, rows)
    con = sqlite3.connect(db)
    stamp = "2026-01-01 00:00:00.000000"  # as the models' DateTime columns store it on SQLite
    con.executemany(TODOS.format(",".join("?" * 9)), [(*t[:3], stamp, stamp, *t[5:]) for t in todos])
    con.execute(EAV)
    con.execute(EAV_INDEX)
    con.executemany(VALUES.format(",".join("?" * 9)), values)
    con.commit()
    con.execute("ANALYZE")
    con.close()


async def _seed_postgres(tenant: str, orgs: list[str], rows: int) -> None:
    from api.db import get_engine

    todos, values = _rows(tenant, orgs, rows)
    async with get_engine().begin() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.executemany(TODOS.format(",".join(f"${n}" for n in range(1, 9)) + ",$9::jsonb"), todos)
        await raw.execute(EAV)
        await raw.execute(EAV_INDEX)
        await raw.executemany(VALUES.format(",".join(f"${n}" for n in range(1, 10))), values)
    async with get_engine().connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("VACUUM ANALYZE")


def _shapes(postgres: bool) -> dict[str, str]:
    """The WHERE of each filter shape on `example_todos`, with `:t` the tenant and `:o` an organization;
    every shape also has the list's scope conditions (tenant, not deleted)."""
    sub = ("SELECT record_id FROM bench_eav_values WHERE tenant_id = :t AND entity_id = 'example:todo' "
           "AND field_key = 'priority' AND value_key IN ('high')")
    shapes = {"indexed column": "organization_id = :o"}
    if postgres:
        shapes["JSON on the row, GIN @> (the kit)"] = "custom_values @> '{\"priority\": \"high\"}'"
        shapes["JSON on the row, ->> (no index)"] = "custom_values->>'priority' = 'high'"
    else:
        shapes["JSON on the row, indexed (the kit)"] = "json_extract(custom_values, '$.\"priority\"') = 'high'"
        # The same value by another path text, which the expression index does not match.
        shapes["JSON on the row, no index"] = "json_extract(custom_values, '$.priority') = 'high'"
        shapes["value table, rowid IN (before)"] = (
            f"rowid IN (SELECT r.rowid FROM example_todos r WHERE r.id IN ({sub}))")
    shapes["value table, id IN (...)" + ("  (before)" if postgres else "")] = f"id IN ({sub})"
    shapes["value table, EXISTS"] = (
        "EXISTS (SELECT 1 FROM bench_eav_values v WHERE v.record_id = example_todos.id AND v.tenant_id = :t "
        "AND v.entity_id = 'example:todo' AND v.field_key = 'priority' AND v.value_key IN ('high'))")
    return shapes


async def _sql(tenant: str, org: str, requests: int) -> dict[str, float]:
    """p50 of count + page (as a list runs them) per shape, interleaved."""
    from sqlalchemy import text

    from api.db import get_engine

    async with get_engine().connect() as conn:
        shapes = _shapes(conn.dialect.name == "postgresql")
        out: dict[str, list[float]] = {k: [] for k in shapes}
        for _ in range(requests):
            for name, where in shapes.items():
                cond = f"tenant_id = :t AND deleted_at IS NULL AND {where}"
                start = time.perf_counter()
                total = (await conn.execute(text(f"SELECT count(*) FROM example_todos WHERE {cond}"),
                                            {"t": tenant, "o": org})).scalar_one()
                page = f"SELECT id, title FROM example_todos WHERE {cond} ORDER BY title, id LIMIT 50"
                (await conn.execute(text(page),
                                    {"t": tenant, "o": org})).all()
                out[name].append((time.perf_counter() - start) * 1000)
                assert total > 0, name
    return {k: statistics.median(v) for k, v in out.items()}


async def main(rows: int, requests: int, url: str | None) -> None:
    tmp = _isolate(url)
    import httpx

    from api.cli import migrate
    from api.db import make_engine, set_engine
    from api.settings import get_settings

    await asyncio.to_thread(migrate)
    set_engine(make_engine(get_settings().db_url))
    from api.app import create_app

    token, tenant, orgs = await _caller()
    if url is None:
        await asyncio.to_thread(_seed_sqlite, tmp / "bench.db", tenant, orgs, rows)
    else:
        await _seed_postgres(tenant, orgs, rows)
    app = create_app()
    headers = {"Authorization": f"Bearer {token}"}
    contestants = {
        "indexed column (organizationId)": {"organizationId": orgs[2], "sortField": "title"},
        "custom field (cf_priority)": {"cf_priority": "high", "sortField": "title"},
    }
    times: dict[str, list[float]] = {k: [] for k in contestants}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for name, params in contestants.items():  # warm-up, and a check that both keep the same rows
            r = await client.get("/api/example/todos", params=params, headers=headers)
            assert r.status_code == 200, r.text
            assert r.json()["total"] == rows // ORGS, (name, r.json()["total"])
        for _ in range(requests):
            for name, params in contestants.items():
                start = time.perf_counter()
                r = await client.get("/api/example/todos", params=params, headers=headers)
                times[name].append((time.perf_counter() - start) * 1000)
    p50 = {k: statistics.median(v) for k, v in times.items()}
    base = p50["indexed column (organizationId)"]
    print(f"{rows} todos on {'PostgreSQL' if url else 'SQLite'}, {rows // ORGS} kept by each filter, sorted by "
          f"title, page of 50; p50 of {requests}")
    for name, ms in p50.items():
        print(f"  {name:34s} {ms:8.1f} ms  {ms / base:5.2f}x")
    sql = await _sql(tenant, orgs[2], requests)
    print("raw SQL on the same rows (count + page), interleaved:")
    for name, ms in sql.items():
        print(f"  {name:34s} {ms:8.1f} ms  {ms / sql['indexed column']:5.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.requests, args.database_url))
