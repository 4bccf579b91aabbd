"""Search benchmark (results: docs/benchmarks.md, "Global search"): `GET /api/search/search/global` over
100,000 indexed todos against a plain `LIKE '%q%'` scan of the same rows (what a list's `search` does without
an index), measured in the same run.

The app runs in-process (httpx over ASGITransport) on a fresh SQLite database in a temporary directory; the
todos are written straight to their table and indexed with the query index's own store (documents, token hashes,
full-text entries) in batches, as a reindex job does. Each query is a word that occurs in about 0.02% of the
titles (20,000 made-up words, four per title), so the scan reads every row and the index answers from a
few postings. Both contestants run the same
queries, interleaved; the median (p50) per query counts.

Contestants:
- global search: the HTTP endpoint with the fresh install's default strategy (database full-text), auth,
  scoping, ranking, presenters included;
- LIKE scan: `SELECT id, title FROM example_todos WHERE tenant_id = ? AND lower(title) LIKE '%q%' LIMIT 50`
  on the same session factory, no HTTP.

On PostgreSQL (`--database-url`, an empty database) the scan is `ILIKE '%q%'` and the index the `tsvector`
with its GIN index. Indexing 100,000 records takes minutes: `--data-dir DIR` keeps the seeded database (and
the SQLite full-text side file) in DIR and reuses it on the next run, so only the measurement repeats.

Run: `.venv/bin/python bench/search.py [records] [--data-dir DIR] [--database-url URL] [--rounds N]` (or
`make bench`). Prints p50s and the ratio; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VOCABULARY = 20000
QUERIES = 60
BATCH = 2000


def _isolate(data_dir: str | None, url: str | None) -> Path:
    tmp = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="stepwise-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = url or f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("STEPWISE_JWT_SECRET", "bench-secret-" + "x" * 40)
    return tmp


def _words(rng: random.Random) -> list[str]:
    letters = "bcdfghjklmnpqrstvwz"
    vowels = "aeiou"
    out: set[str] = set()
    while len(out) < VOCABULARY:
        out.add("".join(rng.choice(letters) + rng.choice(vowels) for _ in range(rng.randint(3, 5))))
    return sorted(out)


async def _seed(words: list[str], rng: random.Random, records: int) -> tuple[str, str]:
    from api.db import sessionmaker
    from api.modules.auth.models import Role, RoleAcl, User, UserRole
    from api.modules.directory.models import Organization, Tenant
    from api.modules.directory.tree import rebuild_tree
    from api.modules.example.models import Todo
    from api.modules.query_index import store
    from api.modules.query_index.text import build
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
        s.add(RoleAcl(role_id=role.id, tenant_id=tenant.id, features_json=["search.*"], is_super_admin=False,
                      organizations_json=None))
        user = User(email="bench@example.com", name="bench", password_hash=None, tenant_id=tenant.id,
                    organization_id=org.id)
        s.add(user)
        await s.flush()
        s.add(UserRole(user_id=user.id, role_id=role.id))
        await s.commit()
        token = issue_token(user_id=user.id, tenant_id=tenant.id, org_id=org.id, email=user.email, roles=["bench"])
        tenant_id, org_id = tenant.id, org.id
    searchable = store.searchable("example.todo")
    for start in range(0, records, BATCH):
        async with sessionmaker()() as s:
            rows = [Todo(title=" ".join(rng.sample(words, 4)), tenant_id=tenant_id, organization_id=org_id)
                    for _ in range(min(BATCH, records - start))]
            s.add_all(rows)
            await s.flush()
            await store.upsert(s, [build(searchable, r) for r in rows])
            await s.commit()
    return token, tenant_id


async def main(records: int, data_dir: str | None, url: str | None, rounds: int) -> None:
    tmp = _isolate(data_dir, url)
    import httpx
    from sqlalchemy import text

    from api.cli import migrate
    from api.db import make_engine, sessionmaker, set_engine
    from api.settings import get_settings

    await asyncio.to_thread(migrate)
    engine = make_engine(get_settings().db_url)
    set_engine(engine)
    from api.app import create_app

    app = create_app()
    rng = random.Random(7)
    words = _words(rng)
    seeded = tmp / "bench-seeded.json"
    if seeded.exists():
        token, tenant_id = json.loads(seeded.read_text())
        print(f"reusing the {records} todos indexed in {tmp}")
    else:
        started = time.perf_counter()
        token, tenant_id = await _seed(words, rng, records)
        seeded.write_text(json.dumps([token, tenant_id]))
        print(f"indexed {records} todos in {time.perf_counter() - started:.1f}s")
    like = "ILIKE" if engine.dialect.name == "postgresql" else "LIKE"
    queries = rng.sample(words, QUERIES)
    headers = {"Authorization": f"Bearer {token}"}
    search_ms: list[float] = []
    inner_ms: list[float] = []  # the answer's `timing`: strategies and presenters, without HTTP and auth
    scan_ms: list[float] = []
    hits_search = hits_scan = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                 headers=headers) as client:
        for q in ["warmup", *queries * rounds]:
            t0 = time.perf_counter()
            r = await client.get("/api/search/search/global", params={"q": q, "limit": "50"})
            t1 = time.perf_counter()
            assert r.status_code == 200, r.text
            async with sessionmaker()() as s:
                t2 = time.perf_counter()
                rows = (await s.execute(text(
                    f"SELECT id, title FROM example_todos WHERE tenant_id = :t AND lower(title) {like} :p LIMIT 50"),
                    {"t": tenant_id, "p": f"%{q}%"})).all()
                t3 = time.perf_counter()
            if q == "warmup":
                continue
            search_ms.append((t1 - t0) * 1000)
            inner_ms.append(r.json()["timing"])
            scan_ms.append((t3 - t2) * 1000)
            hits_search += len(r.json()["results"])
            hits_scan += len(rows)
    p50_search, p50_scan = statistics.median(search_ms), statistics.median(scan_ms)
    print(f"{records} todos on {engine.dialect.name}, {len(search_ms)} queries")
    n = len(search_ms)
    print(f"global search (HTTP, full-text): p50 {p50_search:.2f} ms  ({hits_search / n:.1f} results/query)")
    print(f"  of which strategies and presenters (the answer's timing): p50 {statistics.median(inner_ms):.0f} ms")
    print(f"{like} '%q%' scan (SQL only):      p50 {p50_scan:.2f} ms  ({hits_scan / len(scan_ms):.1f} rows/query)")
    print(f"ratio: global search is {p50_scan / p50_search:.1f}x faster")
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=int, nargs="?", default=100_000)
    parser.add_argument("--data-dir", default=None, help="keep (and reuse) the seeded database here")
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=1, help="times each of the 60 queries runs")
    args = parser.parse_args()
    asyncio.run(main(args.records, args.data_dir, args.database_url, args.rounds))
