"""Sales benchmark: the totals engine and the writes that run it, in the same process and run.

1. Recalculating an order of 200 lines with 20 adjustments (10 order-scope, 10 line-scope; rates and
   amounts; discounts, shipping, surcharges):
   - the pure engine (`api/modules/sales/totals.py`: `calculate` on plain inputs), p50 per calculation;
   - `POST /api/sales/order-lines` adding a line to such an order (lock the order, price the line, insert,
     recalculate the 201 lines and 20 adjustments, write every changed amount, audit, event, commit)
     against `POST /api/example/todos` (a plain kit resource: validate, insert, audit, event, commit),
     interleaved round by round; the lines each round added are deleted after it, outside the timing,
     so every measured request sees an order of 200 lines. Target: the line POST's p50 within 3x.
   - `PUT /api/sales/orders` changing only the comment of that order: its audit snapshot holds the order's
     lines and adjustments, before and after, so that undo can put them back;
2. 50 concurrent `POST /api/sales/orders` with 5 lines each (one `asyncio.gather` over the in-process
   client): throughput, p50/p95 latency, and whether the 50 order numbers are distinct and gap-free.

The app runs in-process (httpx over ASGITransport) on a fresh SQLite database in a temporary folder, as
one user with `sales.*` and `example.todos.*`.

The line POST and the plain POST are also compared by the CPU time the process spends per request (less
sensitive than wall time to the other processes of a shared machine).

Run: `.venv/bin/python bench/sales.py [--rounds 7] [--requests 20] [--engine-runs 200]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LINES = 200
ADJUSTMENTS = 20
CONCURRENT = 50


def _isolate() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="stepwise-bench-"))
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("STEPWISE_JWT_SECRET", "bench-secret-" + "x" * 40)
    return tmp


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def line_body(i: int) -> dict[str, Any]:
    # Varied enough to exercise rounding, discounts and several tax rates.
    return {"name": f"Item {i}", "quantity": 1 + i % 7, "unitPriceNet": f"{3 + i % 50}.{i % 100:02d}",
            "taxRate": (23, 8, 5, 0)[i % 4], "discountPercent": 5 if i % 9 == 0 else 0}


ORDER_ADJUSTMENTS: list[dict[str, Any]] = [
    {"kind": "discount", "rate": 2}, {"kind": "shipping", "amountNet": "15", "amountGross": "18.45"},
    {"kind": "surcharge", "amountNet": "3.33"}, {"kind": "discount", "amountNet": "10", "amountGross": "12.30"},
    {"kind": "surcharge", "rate": "1.5"}, {"kind": "custom", "amountNet": "1", "amountGross": "1.23"},
    {"kind": "discount", "rate": "0.5"}, {"kind": "shipping", "rate": 1}, {"kind": "surcharge", "amountGross": "2"},
    {"kind": "discount", "amountNet": "0.99"},
]


# --- 1a. the pure engine --------------------------------------------------------------------------------

def engine_p50(runs: int) -> tuple[float, float]:
    from api.modules.sales import totals

    lines = tuple(totals.LineInput(id=f"l{i}", quantity=Decimal(b["quantity"]),
                                   unit_price_net=Decimal(b["unitPriceNet"]), tax_rate=Decimal(b["taxRate"]),
                                   discount_percent=Decimal(b["discountPercent"]))
                  for i, b in enumerate(line_body(i) for i in range(LINES)))
    adjustments = [totals.AdjustmentInput(
        id=f"a{i}", kind=a["kind"], rate=Decimal(str(a["rate"])) if "rate" in a else None,
        amount_net=Decimal(a["amountNet"]) if "amountNet" in a else None,
        amount_gross=Decimal(a["amountGross"]) if "amountGross" in a else None, position=i)
        for i, a in enumerate(ORDER_ADJUSTMENTS)]
    adjustments += [totals.AdjustmentInput(id=f"la{i}", kind="discount", scope="line", line_id=f"l{i * 7}",
                                           rate=Decimal(3), position=10 + i) for i in range(ADJUSTMENTS - 10)]
    doc = totals.DocumentInput(currency_code="EUR", lines=lines, adjustments=tuple(adjustments),
                               payments=(totals.PaymentInput(Decimal("100")),))
    first = totals.calculate(doc)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        totals.calculate(doc)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), float(first.grand_total_gross)


# --- the app --------------------------------------------------------------------------------------------

async def _seed_caller() -> str:
    from api.db import sessionmaker
    from api.modules.auth.models import Role, RoleAcl, User, UserRole
    from api.modules.dictionaries import service as dictionaries
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
        await dictionaries.ensure_defaults(s, tenant_id=tenant.id, organization_id=org.id)
        role = Role(name="bench", tenant_id=tenant.id)
        s.add(role)
        await s.flush()
        s.add(RoleAcl(role_id=role.id, tenant_id=tenant.id, features_json=["sales.*", "example.todos.*"],
                      is_super_admin=False, organizations_json=None))
        user = User(email="bench@example.com", name="bench", password_hash=None, tenant_id=tenant.id,
                    organization_id=org.id)
        s.add(user)
        await s.flush()
        s.add(UserRole(user_id=user.id, role_id=role.id))
        await s.commit()
        return issue_token(user_id=user.id, tenant_id=tenant.id, org_id=org.id, email=user.email, roles=["bench"])


async def _big_order(client: Any) -> str:
    r = await client.post("/api/sales/orders", json={
        "currencyCode": "EUR", "lines": [line_body(i) for i in range(LINES)], "adjustments": ORDER_ADJUSTMENTS})
    assert r.status_code == 201, r.text
    order_id = str(r.json()["id"])
    r = await client.get("/api/sales/order-lines", params={"orderId": order_id, "pageSize": 100,
                                                           "sortField": "lineNumber"})
    assert r.status_code == 200, r.text
    line_ids = [i["id"] for i in r.json()["items"]]
    for i in range(ADJUSTMENTS - 10):
        r = await client.post("/api/sales/order-adjustments", json={
            "orderId": order_id, "kind": "discount", "scope": "line", "orderLineId": line_ids[i * 7], "rate": 3})
        assert r.status_code == 201, r.text
    r = await client.get("/api/sales/orders", params={"id": order_id})
    item = r.json()["items"][0]
    assert item["lineItemCount"] == LINES, item["lineItemCount"]
    return order_id


async def writes(client: Any, order_id: str, rounds: int, requests: int) -> dict[str, list[float]]:
    added: list[str] = []
    todos: list[str] = []

    async def line() -> None:
        r = await client.post("/api/sales/order-lines", json={"orderId": order_id, "currencyCode": "EUR",
                                                              **line_body(len(added))})
        assert r.status_code == 201, r.text
        added.append(r.json()["id"])

    async def todo() -> None:
        r = await client.post("/api/example/todos", json={"title": f"bench {len(todos)}"})
        assert r.status_code == 201, r.text
        todos.append(r.json()["id"])

    async def update() -> None:
        # The order's own columns only: what every document update now also pays is the snapshot of its lines
        # and adjustments (before and after) that lets undo put them back.
        r = await client.put("/api/sales/orders", json={"id": order_id, "comment": f"bench {len(todos)}"})
        assert r.status_code == 200, r.text

    async def clean() -> None:
        # Outside the timing: every measured line POST sees an order of 200 lines.
        while added:
            r = await client.delete("/api/sales/order-lines", params={"id": added.pop()})
            assert r.status_code == 200, r.text

    calls: dict[str, Callable[[], Awaitable[None]]] = {"order line": line, "plain kit": todo, "order update": update}
    for _ in range(3):
        await line()
        await todo()
    await clean()
    times: dict[str, list[float]] = {name: [] for name in calls}
    times.update({f"{name} cpu": [] for name in calls})
    for _ in range(rounds):
        for name, call in calls.items():
            for _ in range(requests):
                began, cpu = time.perf_counter(), time.process_time()
                await call()
                times[name].append((time.perf_counter() - began) * 1000)
                # The process's CPU time (SQLite's thread included): what the request costs, without the
                # waits for the cores other processes hold, which dominate wall time on a shared machine.
                times[f"{name} cpu"].append((time.process_time() - cpu) * 1000)
            await clean()
    return times


async def concurrent_creates(client: Any) -> tuple[float, list[float], bool, list[int]]:
    async def create(i: int) -> tuple[float, str]:
        began = time.perf_counter()
        r = await client.post("/api/sales/orders", json={"currencyCode": "EUR",
                                                          "lines": [line_body(i * 5 + k) for k in range(5)]})
        assert r.status_code == 201, r.text
        return (time.perf_counter() - began) * 1000, str(r.json()["id"])

    began = time.perf_counter()
    results = await asyncio.gather(*[create(i) for i in range(CONCURRENT)])
    elapsed = time.perf_counter() - began
    ids = {i for _, i in results}
    numbers: list[int] = []
    for page in (1, 2, 3):
        r = await client.get("/api/sales/orders", params={"pageSize": 100, "page": page})
        numbers += [int(i["orderNumber"].rsplit("-", 1)[1]) for i in r.json()["items"] if i["id"] in ids]
    numbers.sort()
    gap_free = len(numbers) == CONCURRENT and numbers == list(range(numbers[0], numbers[0] + CONCURRENT))
    return CONCURRENT / elapsed, [t for t, _ in results], gap_free, numbers


async def main(rounds: int, requests: int, engine_runs: int) -> None:
    _isolate()
    import httpx

    from api.cli import migrate
    from api.db import make_engine, set_engine
    from api.settings import get_settings

    engine_ms, grand = engine_p50(engine_runs)
    await asyncio.to_thread(migrate)
    db = make_engine(get_settings().db_url)
    set_engine(db)
    from api.app import create_app

    app = create_app()
    token = await _seed_caller()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        order_id = await _big_order(client)
        times = await writes(client, order_id, rounds, requests)
        throughput, latencies, gap_free, numbers = await concurrent_creates(client)
    await db.dispose()

    print(f"Sales: order of {LINES} lines and {ADJUSTMENTS} adjustments (in-process, SQLite)")
    print(f"pure engine: calculate() p50 {engine_ms:.2f} ms over {engine_runs} runs (grand total {grand:.2f})")
    print(f"{'request':<16} {'p50 ms':>8} {'p95 ms':>8}   ({rounds} interleaved rounds x {requests} requests)")
    for name, values in times.items():
        print(f"{name:<16} {statistics.median(values):>8.2f} {p(values, 0.95):>8.2f}")
    ratio = statistics.median(times["order line"]) / statistics.median(times["plain kit"])
    print(f"order line / plain kit: {ratio:.2f}x; target <= 3x: {'met' if ratio <= 3 else 'NOT met'}")
    cpu = statistics.median(times["order line cpu"]) / statistics.median(times["plain kit cpu"])
    print(f"order line / plain kit, CPU time per request: {cpu:.2f}x")
    update_ratio = statistics.median(times["order update cpu"]) / statistics.median(times["plain kit cpu"])
    print(f"order update (comment only, {LINES}-line order) / plain kit, CPU time per request: {update_ratio:.2f}x")
    print(f"{CONCURRENT} concurrent order creates x 5 lines: {throughput:.1f} orders/s, "
          f"p50 {statistics.median(latencies):.0f} ms, p95 {p(latencies, 0.95):.0f} ms; "
          f"numbers distinct and gap-free: {'yes' if gap_free else 'NO'} ({numbers[0]}..{numbers[-1]})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--engine-runs", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.requests, args.engine_runs))
