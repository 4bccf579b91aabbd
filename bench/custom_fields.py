"""Custom fields benchmark: a list of 100,000 todos filtered by one custom field and sorted
(`GET /api/example/todos?cf_priority=high&sortField=title`) against the same list filtered by an
ordinary indexed column (`?organizationId=<org>&sortField=title`), in the same run, p50 latency.

Both filters keep the same 20,000 rows (five organizations, five priorities, independent), so the
difference is the custom field's storage: an `id IN (SELECT record_id FROM custom_field_values ...)`
on the (tenant, entity, field, value) index, plus loading the page's values. A second figure
compares, in raw SQL on the same data, that EAV filter with the alternative design (a JSON column
on the row, filtered by `json_extract`).

The app runs in-process (httpx over ASGITransport) on a fresh SQLite database in a temporary
directory; rows are written with SQL (not timed). Contestants are interleaved request by request.

Run: `.venv/bin/python bench/custom_fields.py [--rows 100000] [--requests 40]`.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PRIORITIES = ("low", "medium", "high", "urgent", "none")
ORGS = 5


def _isolate() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="stepwise-bench-cf-"))
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
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


def _seed(db: Path, tenant: str, orgs: list[str], rows: int) -> None:
    """Todos (and, for the raw-SQL comparison, the same rows with a JSON column) written with SQL."""
    con = sqlite3.connect(db)
    now = "2026-01-01 00:00:00.000000"
    todos, values, json_rows = [], [], []
    for n in range(rows):
        rid = str(uuid.uuid4())
        org, priority = orgs[n % ORGS], PRIORITIES[(n // ORGS) % len(PRIORITIES)]
        title = f"todo {(n * 7919) % rows:06d}"
        todos.append((rid, title, 0, now, now, None, tenant, org))
        values.append((str(uuid.uuid4()), "example:todo", rid, "priority", tenant, org, 0, priority, priority))
        json_rows.append((rid, tenant, org, title, json.dumps({"priority": priority})))
    con.executemany("INSERT INTO example_todos (id, title, is_done, created_at, updated_at, deleted_at, tenant_id, "
                    "organization_id) VALUES (?,?,?,?,?,?,?,?)", todos)
    con.executemany("INSERT INTO custom_field_values (id, entity_id, record_id, field_key, tenant_id, "
                    "organization_id, position, value_text, value_key) VALUES (?,?,?,?,?,?,?,?,?)", values)
    con.execute("CREATE TABLE bench_json_todos (id TEXT PRIMARY KEY, tenant_id TEXT, organization_id TEXT, "
                "title TEXT, custom JSON)")
    con.execute("CREATE INDEX ix_bench_json_tenant ON bench_json_todos (tenant_id)")
    con.executemany("INSERT INTO bench_json_todos VALUES (?,?,?,?,?)", json_rows)
    con.commit()
    con.execute("ANALYZE")
    con.close()


def _sql(db: Path, tenant: str, requests: int) -> dict[str, float]:
    con = sqlite3.connect(db)
    eav = ("SELECT id, title FROM example_todos WHERE tenant_id=? AND deleted_at IS NULL AND id IN "
           "(SELECT record_id FROM custom_field_values WHERE tenant_id=? AND entity_id='example:todo' "
           "AND field_key='priority' AND value_key='high') ORDER BY title, id LIMIT 50")
    js = ("SELECT id, title FROM bench_json_todos WHERE tenant_id=? AND json_extract(custom, '$.priority')='high' "
          "ORDER BY title, id LIMIT 50")
    out: dict[str, list[float]] = {"eav": [], "json": []}
    for _ in range(requests):
        for name, sql, args in (("eav", eav, (tenant, tenant)), ("json", js, (tenant,))):
            start = time.perf_counter()
            con.execute(sql, args).fetchall()
            out[name].append((time.perf_counter() - start) * 1000)
    return {k: statistics.median(v) for k, v in out.items()}


async def main(rows: int, requests: int) -> None:
    tmp = _isolate()
    import httpx

    from api.cli import migrate
    from api.db import make_engine, set_engine
    from api.settings import get_settings

    await asyncio.to_thread(migrate)
    set_engine(make_engine(get_settings().db_url))
    from api.app import create_app

    token, tenant, orgs = await _caller()
    await asyncio.to_thread(_seed, tmp / "bench.db", tenant, orgs, rows)
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
    print(f"{rows} todos, {rows // ORGS} kept by each filter, sorted by title, page of 50; p50 of {requests}")
    for name, ms in p50.items():
        print(f"  {name:34s} {ms:8.1f} ms  {ms / base:5.2f}x")
    sql = _sql(tmp / "bench.db", tenant, requests)
    print(f"raw SQL, same rows: EAV filter {sql['eav']:.1f} ms, JSON column (json_extract) {sql['json']:.1f} ms "
          f"({sql['json'] / sql['eav']:.2f}x the EAV)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.requests))
