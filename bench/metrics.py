"""Metrics benchmark: what `/metrics` costs the API (docs/operations.md), in the same process and run.

1. The HTTP middleware: the same cheap request (an unauthenticated `GET /api/workflows/instances/{id}`, a 401
   answered before any database work, so the middleware's share is as large as it gets) through the app with
   and without `HttpMetrics`, alternating request by request; the ratio of their p50.
2. A scrape with the database gauges: `GET /metrics` on an empty database, then with `--tasks` open user tasks
   (in 20 role queues, a third overdue) and `--tasks` / 4 open instances; the ratio of their p50.

The app runs in-process (httpx over ASGITransport) on a fresh SQLite database in a temporary folder.

Run: `.venv/bin/python bench/metrics.py [--rounds 7] [--requests 300] [--tasks 10000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def timed(client: object, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        await client.get(url)  # type: ignore[attr-defined]
        out.append(time.perf_counter() - started)
    return out


async def main(rounds: int, requests: int, tasks: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="stepwise-bench-metrics-"))
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("STEPWISE_JWT_SECRET", "bench-" + "x" * 40)
    import httpx

    from api.app import create_app
    from api.cli import migrate
    from api.db import new_id, sessionmaker
    from api.metrics import HttpMetrics

    await asyncio.to_thread(migrate)
    measured = create_app()
    bare = create_app()
    bare.user_middleware = [m for m in bare.user_middleware if m.cls is not HttpMetrics]
    url = f"/api/workflows/instances/{uuid.uuid4()}"
    with_mw: list[float] = []
    without: list[float] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=measured), base_url="http://b") as a, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url="http://b") as b:
        await timed(a, url, 50)
        await timed(b, url, 50)
        for _ in range(rounds):
            # Alternating request by request: the machine's load drifts on a shared machine.
            for _ in range(requests):
                with_mw += await timed(a, url, 1)
                without += await timed(b, url, 1)
        p_with, p_without = statistics.median(with_mw), statistics.median(without)
        print(f"HTTP middleware: p50 {p_with * 1e6:.0f} us with, {p_without * 1e6:.0f} us without "
              f"-> {p_with / p_without:.3f}x ({len(with_mw)} requests each)")

        empty = []
        for _ in range(rounds):
            empty += await timed(a, "/metrics", 10)
        from api.modules.workflows.models import UserTask, WorkflowInstance
        now = datetime.now(UTC)
        tenant, org = str(uuid.uuid4()), str(uuid.uuid4())
        async with sessionmaker()() as session:
            for i in range(tasks // 4):
                session.add(WorkflowInstance(
                    id=new_id(), definition_id=new_id(), workflow_id=f"bench-{i % 30}", version=1,
                    status=("RUNNING", "PAUSED", "FAILED")[i % 3], context={}, tenant_id=tenant,
                    organization_id=org, started_at=now))
            for i in range(tasks):
                session.add(UserTask(
                    id=new_id(), workflow_instance_id=new_id(), task_name="Review", status="PENDING",
                    assigned_to_roles=[f"role-{i % 20}"], tenant_id=tenant, organization_id=org,
                    due_date=now - timedelta(hours=1) if i % 3 == 0 else now + timedelta(days=1),
                    created_at=now, updated_at=now))
            await session.commit()
        full = []
        for _ in range(rounds):
            full += await timed(a, "/metrics", 10)
        p_empty, p_full = statistics.median(empty), statistics.median(full)
        print(f"GET /metrics: p50 {p_empty * 1e3:.1f} ms on an empty database, {p_full * 1e3:.1f} ms with {tasks} "
              f"open tasks and {tasks // 4} open instances -> {p_full / p_empty:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--tasks", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.requests, args.tasks))
