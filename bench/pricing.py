"""Price resolution benchmark: one product with 10,000 price layers, resolved for single sales and for
an order of 1,000 lines, against 50 HTTP round trips of the same process.

The layers mix what a busy catalog has: 20 variants, 20 channels, 2,000 customer-specific prices, 50
customer groups, 10 user groups, quantity tiers, promotions with validity windows, two currencies.
Every sale asks a different question (variant, channel, customer, group, quantity, currency, moment).

- `select_price`: the plain pure function, a scan of all 10,000 layers per resolution;
- `PriceBook`: the layers grouped once by the dimensions they name (`PriceBook.of`), then each
  resolution looks only at the groups that can match;
- order (pure): 1,000 lines resolved through the catalog service's `resolve` (the hook points included)
  on a book built for the order, plus each line's amounts (net, gross, tax, rounded), timed end to end;
- order (service): the same 1,000 lines through `service.resolve_prices` against the 10,000 rows stored
  in SQLite: cold (no book built yet: one aggregate query, the rows loaded, the book built) and warm
  (the book of an earlier order reused after the aggregate query says the rows did not change);
- HTTP: 50 sequential `POST /api/auth/feature-check` (authentication and a feature check, the floor of
  any API request) through httpx's ASGI transport on a fresh SQLite database, measured in the same run.

The target: the 1,000-line order in less time than the 50 round trips (ratio < 1), met by the warm
service order (an order after the first one since the product's prices last changed).

Run: `.venv/bin/python bench/pricing.py [--rounds 5]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _isolate() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="stepwise-bench-"))
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("STEPWISE_JWT_SECRET", "bench-secret-" + "x" * 40)


def layers(n: int = 10_000, seed: int = 1) -> list:  # type: ignore[type-arg]
    from api.modules.catalog.pricing import PriceLayer

    rnd = random.Random(seed)
    out = []
    for i in range(n):
        kind = rnd.choices(("regular", "tier", "promotion", "custom"), (6, 2, 1, 1))[0]
        lo = rnd.choice((1, 5, 10, 50)) if kind == "tier" else 1
        start = NOW - timedelta(days=rnd.randint(0, 60)) if kind == "promotion" else None
        out.append(PriceLayer(
            id=f"p{i:05d}", currency_code=rnd.choices(("EUR", "PLN"), (4, 1))[0], kind=kind,
            is_promotion=kind == "promotion", product_id="product",
            variant_id=f"v{rnd.randrange(20)}" if rnd.random() < 0.3 else None,
            channel_id=f"c{rnd.randrange(20)}" if rnd.random() < 0.3 else None,
            customer_id=f"k{rnd.randrange(2000)}" if rnd.random() < 0.2 else None,
            customer_group_id=f"g{rnd.randrange(50)}" if rnd.random() < 0.1 else None,
            user_group_id=f"u{rnd.randrange(10)}" if rnd.random() < 0.05 else None,
            min_quantity=lo, max_quantity=lo * 10 if kind == "tier" and rnd.random() < 0.5 else None,
            unit_price_net=Decimal(rnd.randint(100, 99_999)) / 100, tax_rate=Decimal(23),
            starts_at=start, ends_at=start + timedelta(days=rnd.randint(1, 90)) if start else None))
    return out


def contexts(n: int, seed: int = 2) -> list:  # type: ignore[type-arg]
    from api.modules.catalog.pricing import PricingContext

    rnd = random.Random(seed)
    return [PricingContext(
        at=NOW + timedelta(hours=rnd.randint(-500, 500)), quantity=Decimal(rnd.choice((1, 2, 5, 12, 60))),
        currency_code="EUR", variant_id=f"v{rnd.randrange(20)}", channel_id=f"c{rnd.randrange(20)}",
        customer_id=f"k{rnd.randrange(2000)}", customer_group_id=f"g{rnd.randrange(50)}",
        user_group_id=f"u{rnd.randrange(10)}") for _ in range(n)]


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


async def _service_orders(rows: list, sales: list, rounds: int) -> tuple[list[float], list[float]]:  # type: ignore[type-arg]
    """The 10,000 layers stored as price rows of one product, and each round's time for the 1,000-line
    order through `resolve_prices`: cold (books dropped first), then warm."""
    from sqlalchemy import insert

    from api.db import new_id, sessionmaker
    from api.modules.catalog import service
    from api.modules.catalog.models import Price, PriceKind

    tenant, org, product = new_id(), new_id(), new_id()
    async with sessionmaker()() as s:
        kinds = {}
        for code in ("regular", "tier", "promotion", "custom"):
            kind = PriceKind(tenant_id=tenant, organization_id=org, code=code, title=code,
                             is_promotion=code == "promotion")
            s.add(kind)
            await s.flush()
            kinds[code] = kind.id
        await s.execute(insert(Price), [{
            "tenant_id": tenant, "organization_id": org, "product_id": product, "price_kind_id": kinds[x.kind],
            "kind": x.kind, "currency_code": x.currency_code, "variant_id": x.variant_id, "channel_id": x.channel_id,
            "customer_id": x.customer_id, "customer_group_id": x.customer_group_id, "user_group_id": x.user_group_id,
            "min_quantity": x.min_quantity, "max_quantity": x.max_quantity, "unit_price_net": x.unit_price_net,
            "tax_rate": x.tax_rate, "starts_at": x.starts_at, "ends_at": x.ends_at} for x in rows])
        await s.commit()
    lines = [(product, c) for c in sales]
    cold, warm = [], []
    for _ in range(rounds):
        for times in (cold, warm):
            if times is cold:
                service._BOOKS.clear()
            async with sessionmaker()() as s:
                start = time.perf_counter()
                priced = await service.resolve_prices(s, tenant_id=tenant, lines=lines, organization_ids=[org],
                                                      hooks=service.PricingHooks())
                times.append(_ms(start))
            assert sum(p is not None for p in priced) == 1000
    return cold, warm


async def _http_floor(requests: int) -> list[float]:
    """Each round's time for `requests` sequential feature checks through the app."""
    import httpx

    from api.cli import migrate
    from api.db import make_engine, sessionmaker, set_engine
    from api.modules.auth.models import Role, RoleAcl, User, UserRole
    from api.modules.directory.models import Organization, Tenant
    from api.modules.directory.tree import rebuild_tree
    from api.security import issue_token
    from api.settings import get_settings

    await asyncio.to_thread(migrate)
    set_engine(make_engine(get_settings().db_url))
    from api.app import create_app

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
        s.add(RoleAcl(role_id=role.id, tenant_id=tenant.id, features_json=["catalog.*"], is_super_admin=False,
                      organizations_json=None))
        user = User(email=f"bench-{tenant.id[:8]}@example.com", name="bench", password_hash=None, tenant_id=tenant.id,
                    organization_id=org.id)
        s.add(user)
        await s.flush()
        s.add(UserRole(user_id=user.id, role_id=role.id))
        await s.commit()
        token = issue_token(user_id=user.id, tenant_id=tenant.id, org_id=org.id, email=user.email, roles=["bench"])
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        async def trips() -> float:
            start = time.perf_counter()
            for _ in range(requests):
                r = await client.post("/api/auth/feature-check", json={"features": ["catalog.products.view"]})
                assert r.status_code == 200
            return _ms(start)

        await trips()  # warm-up
        return [await trips() for _ in range(5)]


async def main(rounds: int) -> None:
    _isolate()
    from api.modules.catalog import service
    from api.modules.catalog.pricing import PriceBook, amounts, select_price

    rows = layers()
    sales = contexts(1000)
    no_hooks = service.PricingHooks()

    single_plain = []
    for c in sales[:200]:
        start = time.perf_counter()
        select_price(rows, c)
        single_plain.append(_ms(start))
    book_builds, single_book, orders = [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        book = PriceBook.of(rows)
        book_builds.append(_ms(start))
        for c in sales[:200]:
            start = time.perf_counter()
            book.select(c)
            single_book.append(_ms(start))
        start = time.perf_counter()
        book = PriceBook.of(rows)
        found = 0
        for c in sales:
            best = await service.resolve(book, c, hooks=no_hooks)
            if best is not None:
                amounts(best, c.quantity)
                found += 1
        orders.append(_ms(start))
    http = await _http_floor(50)
    cold, warm = await _service_orders(rows, sales, rounds)
    http += await _http_floor(50)

    order_p50, http_p50 = statistics.median(orders), statistics.median(http)
    print(f"10,000 layers, one product; {rounds} rounds; {found}/1000 lines priced")
    print(f"{'measure':<44} {'p50 ms':>10}")
    print(f"{'one resolution, select_price (scan)':<44} {statistics.median(single_plain):>10.3f}")
    print(f"{'PriceBook.of (index 10,000 layers)':<44} {statistics.median(book_builds):>10.3f}")
    print(f"{'one resolution, PriceBook':<44} {statistics.median(single_book):>10.4f}")
    print(f"{'order of 1,000 lines (book + hooks + amounts)':<44} {order_p50:>10.1f}")
    print(f"{'order, service, cold (query, load, book)':<44} {statistics.median(cold):>10.1f}")
    print(f"{'order, service, warm (query, cached book)':<44} {statistics.median(warm):>10.1f}")
    print(f"{'50 HTTP round trips (feature-check)':<44} {http_p50:>10.1f}")
    print(f"ratio pure order / 50 round trips: {order_p50 / http_p50:.2f}")
    print(f"ratio service order, cold / 50 round trips: {statistics.median(cold) / http_p50:.2f}")
    print(f"ratio service order, warm / 50 round trips: {statistics.median(warm) / http_p50:.2f} (target < 1)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args().rounds))
