"""Custom fields benchmark: a list of 100,000 todos filtered by one custom field and sorted
(`GET /api/example/todos?cf_priority=high&sortField=title`) against the same list filtered by an
ordinary indexed column (`?organizationId=<org>&sortField=title`), in the same run, p50 latency.

Both filters keep the same 20,000 rows (five organizations, five priorities, independent), so the
difference is the custom field's storage: a semi-join on the (tenant, entity, field, value) index of
`custom_field_values` (on SQLite by rowid, see `api/crud/custom_fields.py`), plus loading the page's
values. A second figure compares, in raw SQL on the same data (count and page, as a list runs them),
the shapes of that filter with the alternative design (a JSON column on the row), interleaved, as
ratios to the indexed-column filter.

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


def _rows(tenant: str, orgs: list[str], rows: int) -> tuple[list[tuple[Any, ...]], ...]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    todos, values, json_rows = [], [], []
    for n in range(rows):
        rid = str(uuid.uuid4())
        org, priority = orgs[n % ORGS], PRIORITIES[(n // ORGS) % len(PRIORITIES)]
        title = f"todo {(n * 7919) % rows:06d}"
        todos.append((rid, title, False, now, now, None, tenant, org))
        values.append((str(uuid.uuid4()), "example:todo", rid, "priority", tenant, org, 0, priority, priority))
        json_rows.append((rid, tenant, org, title, json.dumps({"priority": priority})))
    return todos, values, json_rows


TODOS = ("INSERT INTO example_todos (id, title, is_done, created_at, updated_at, deleted_at, tenant_id, "
         "organization_id) VALUES ({})")
VALUES = ("INSERT INTO custom_field_values (id, entity_id, record_id, field_key, tenant_id, organization_id, "
          "position, value_text, value_key) VALUES ({})")


def _seed_sqlite(db: Path, tenant: str, orgs: list[str], rows: int) -> None:
    """Todos (and, for the raw-SQL comparison, the same rows with a JSON column) written with SQL."""
    todos, values, json_rows = _rows(tenant, orgs, rows)
    con = sqlite3.connect(db)
    stamp = "2026-01-01 00:00:00.000000"  # as the models' DateTime columns store it on SQLite
    con.executemany(TODOS.format(",".join("?" * 8)), [(*t[:3], stamp, stamp, *t[5:]) for t in todos])
    con.executemany(VALUES.format(",".join("?" * 9)), values)
    con.execute("CREATE TABLE bench_json_todos (id TEXT PRIMARY KEY, tenant_id TEXT, organization_id TEXT, "
                "title TEXT, deleted_at TEXT, custom JSON)")
    con.execute("CREATE INDEX ix_bench_json_tenant ON bench_json_todos (tenant_id)")
    con.execute("CREATE INDEX ix_bench_json_org ON bench_json_todos (organization_id)")
    con.executemany("INSERT INTO bench_json_todos VALUES (?,?,?,?,NULL,?)", json_rows)
    con.commit()
    con.execute("ANALYZE")
    con.close()


async def _seed_postgres(tenant: str, orgs: list[str], rows: int) -> None:
    from api.db import get_engine

    todos, values, json_rows = _rows(tenant, orgs, rows)
    async with get_engine().begin() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.executemany(TODOS.format(",".join(f"${n}" for n in range(1, 9))), todos)
        await raw.executemany(VALUES.format(",".join(f"${n}" for n in range(1, 10))), values)
        await raw.execute("CREATE TABLE bench_json_todos (id TEXT PRIMARY KEY, tenant_id TEXT, "
                          "organization_id TEXT, title TEXT, deleted_at TIMESTAMPTZ, custom JSONB)")
        await raw.execute("CREATE INDEX ix_bench_json_tenant ON bench_json_todos (tenant_id)")
        await raw.execute("CREATE INDEX ix_bench_json_org ON bench_json_todos (organization_id)")
        await raw.execute("CREATE INDEX ix_bench_json_custom ON bench_json_todos USING gin (custom jsonb_path_ops)")
        await raw.executemany("INSERT INTO bench_json_todos VALUES ($1,$2,$3,$4,NULL,$5::jsonb)", json_rows)
    async with get_engine().connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("VACUUM ANALYZE")


def _shapes(postgres: bool) -> dict[str, tuple[str, str]]:
    """(table, WHERE) of each filter shape, with `:t` the tenant and `:o` an organization; every shape
    also has the list's scope conditions (tenant, not deleted)."""
    sub = ("SELECT record_id FROM custom_field_values WHERE tenant_id = :t AND entity_id = 'example:todo' "
           "AND field_key = 'priority' AND value_key IN ('high')")
    shapes = {
        "indexed column": ("example_todos", "organization_id = :o"),
        "EAV, id IN (...)": ("example_todos", f"id IN ({sub})"),
        "EAV, EXISTS": ("example_todos", "EXISTS (SELECT 1 FROM custom_field_values v WHERE v.record_id = "
                        "example_todos.id AND v.tenant_id = :t AND v.entity_id = 'example:todo' AND "
                        "v.field_key = 'priority' AND v.value_key IN ('high'))"),
    }
    if postgres:
        shapes["JSON column, ->>"] = ("bench_json_todos", "custom->>'priority' = 'high'")
        shapes["JSON column, @> (GIN)"] = ("bench_json_todos", "custom @> '{\"priority\": \"high\"}'")
    else:
        shapes["EAV, rowid IN (...) (the kit)"] = (
            "example_todos", f"rowid IN (SELECT r.rowid FROM example_todos r WHERE r.id IN ({sub}))")
        shapes["JSON column, json_extract"] = ("bench_json_todos", "json_extract(custom, '$.priority') = 'high'")
    return shapes


async def _sql(tenant: str, org: str, requests: int) -> dict[str, float]:
    """p50 of count + page (as a list runs them) per shape, interleaved."""
    from sqlalchemy import text

    from api.db import get_engine

    async with get_engine().connect() as conn:
        shapes = _shapes(conn.dialect.name == "postgresql")
        out: dict[str, list[float]] = {k: [] for k in shapes}
        for _ in range(requests):
            for name, (table, where) in shapes.items():
                cond = f"tenant_id = :t AND deleted_at IS NULL AND {where}"
                start = time.perf_counter()
                total = (await conn.execute(text(f"SELECT count(*) FROM {table} WHERE {cond}"),
                                            {"t": tenant, "o": org})).scalar_one()
                (await conn.execute(text(f"SELECT id, title FROM {table} WHERE {cond} ORDER BY title, id LIMIT 50"),
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
