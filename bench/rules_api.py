"""Rules API benchmark (results: docs/benchmarks.md, "Business rules over HTTP"):
`POST /api/business_rules/execute` with 10 matching rules
against a trivial authenticated endpoint of the same app (`POST /api/auth/feature-check`).

The app runs in-process (httpx over ASGITransport) on a fresh SQLite database in a temporary
directory; one client sends requests one after another, so the figures are per-request costs
(auth, session, SQL, rules, logging) without network or concurrency effects. Contestants are
interleaved round by round; the median round counts.

Contestants:
- execute: 10 rules discovered, evaluated, 10 execution logs written and committed per request;
- execute dry run: the same without the logs (read-only);
- feature-check: auth + a feature check, the floor of any authenticated request.

Run: `.venv/bin/python bench/rules_api.py` (or `make bench`). Prints requests/s and ratios; exits 0.
"""

from __future__ import annotations

import asyncio
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
RULES = 10


def _isolate() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="stepwise-bench-"))
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("STEPWISE_JWT_SECRET", "bench-secret-" + "x" * 40)
    return tmp


def _rule(index: int) -> dict[str, Any]:
    """Ten realistic rules: a nested AND/OR over the order, half of them with actions."""
    return {
        "ruleId": f"BENCH_{index:02d}",
        "ruleName": f"Bench rule {index}",
        "ruleType": "GUARD" if index % 3 == 0 else "VALIDATION",
        "entityType": "BenchOrder",
        "eventType": "beforeSave",
        "priority": 100 + index,
        "conditionExpression": {"operator": "AND", "rules": [
            {"field": "order.total", "operator": ">=", "value": 100 + index},
            {"field": "order.status", "operator": "IN", "value": ["paid", "shipped"]},
            {"operator": "OR", "rules": [
                {"field": "order.customer.tier", "operator": "=", "value": "gold"},
                {"field": "order.items[0].qty", "operator": ">", "valueField": "requiredQty", "value": None},
            ]},
            {"field": "order.customer.email", "operator": "MATCHES", "value": "^[a-z.]+@example\\.com$"},
        ]},
        "successActions": [{"type": "LOG", "config": {"message": "Order {{data.order.number}} ok"}}]
        if index % 2 == 0 else None,
        "failureActions": [{"type": "SHOW_WARNING", "config": {"message": "Rule {{ruleName}} failed"}}]
        if index % 2 == 0 else None,
    }


DATA = {
    "order": {"number": "SO-1", "total": 150, "status": "paid", "customer": {"tier": "gold",
              "email": "ada.lovelace@example.com"}, "items": [{"sku": "A-1", "qty": 7}]},
    "requiredQty": 5,
}


async def _seed() -> str:
    """A tenant, its root organization and a user holding every business_rules feature; its token."""
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
        s.add(RoleAcl(role_id=role.id, tenant_id=tenant.id, features_json=["business_rules.*"],
                      is_super_admin=False, organizations_json=None))
        user = User(email="bench@example.com", name="bench", password_hash=None, tenant_id=tenant.id,
                    organization_id=org.id)
        s.add(user)
        await s.flush()
        s.add(UserRole(user_id=user.id, role_id=role.id))
        await s.commit()
        return issue_token(user_id=user.id, tenant_id=tenant.id, org_id=org.id, email=user.email, roles=["bench"])


Call = Callable[[], Awaitable[None]]


async def _measure(call: Call) -> float:
    count = 0
    start = time.perf_counter()
    deadline = start + ROUND_SECONDS
    while time.perf_counter() < deadline:
        await call()
        count += 1
    return count / (time.perf_counter() - start)


async def main() -> None:
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
    token = await _seed()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                 headers=headers) as client:
        for index in range(RULES):
            r = await client.post("/api/business_rules/rules", json=_rule(index))
            assert r.status_code == 201, r.text

        body = {"entityType": "BenchOrder", "eventType": "beforeSave", "entityId": "SO-1", "data": DATA}

        def execute(dry_run: bool) -> Call:
            async def call() -> None:
                r = await client.post("/api/business_rules/execute", json={**body, "dryRun": dry_run})
                assert r.status_code == 200 and len(r.json()["executedRules"]) == RULES, r.text

            return call

        async def feature_check() -> None:
            r = await client.post("/api/auth/feature-check", json={"features": ["business_rules.execute"]})
            assert r.status_code == 200 and r.json()["ok"] is True, r.text

        contestants: dict[str, Call] = {"execute (10 rules, 10 logs)": execute(False),
                                        "execute dry run (10 rules)": execute(True),
                                        "feature-check": feature_check}
        for call in contestants.values():  # warm up: compiled conditions, connections, imports
            for _ in range(20):
                await call()
        rates: dict[str, list[float]] = {name: [] for name in contestants}
        for _ in range(ROUNDS):
            for name, call in contestants.items():
                rates[name].append(await _measure(call))
    await engine.dispose()

    medians = {name: statistics.median(values) for name, values in rates.items()}
    floor = medians["feature-check"]
    print(f"(c) POST /api/business_rules/execute vs POST /api/auth/feature-check, in-process, sequential, "
          f"{ROUNDS} rounds x {ROUND_SECONDS}s, median")
    for name, rate in medians.items():
        print(f"    {name:<30} {rate:8.0f} req/s  {1000 / rate:6.2f} ms/req  {rate / floor:5.2f}x feature-check")
    print(f"    ratio execute / feature-check: {medians['execute (10 rules, 10 logs)'] / floor:.2f} "
          f"(dry run {medians['execute dry run (10 rules)'] / floor:.2f})")
    print(f"    database: {tmp / 'bench.db'}")


if __name__ == "__main__":
    asyncio.run(main())
