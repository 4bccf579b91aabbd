"""Writes racing on one quote or offer (separate requests, separate transactions): lines get distinct
numbers, and one offer is versioned once however many ask at the same time. Run on SQLite and on
PostgreSQL (docs/fms-quotes.md)."""

from __future__ import annotations

import asyncio

from tests.api.modules.fms_quotes.helpers import B, offer, quote, quote_with_lines, send
from tests.fixtures import World


async def test_concurrent_line_creates_get_distinct_line_numbers(world: World) -> None:
    admin = await world.admin()
    quote_id = await quote(admin)
    results = await asyncio.gather(*[admin.post(f"{B}/quote-lines", json={"quoteId": quote_id, "productName": f"P{i}"})
                                     for i in range(5)])
    assert [r.status_code for r in results] == [201] * 5, [r.text for r in results]
    assert sorted(r.json()["lineNumber"] for r in results) == [0, 1, 2, 3, 4]


async def test_an_offer_is_versioned_once_when_asked_twice_at_once(world: World) -> None:
    admin = await world.admin()
    quote_id, _ = await quote_with_lines(admin, ("1", "10"))
    first = await offer(admin, quote_id)
    await send(admin, first["id"])
    results = await asyncio.gather(*[admin.post(f"{B}/offers/version", json={"offerId": first["id"]})
                                     for _ in range(3)])
    codes = sorted(r.status_code for r in results)
    # The winner creates version 2; the others find the offer superseded (400) or lose the race (409).
    assert codes[0] == 201 and all(c in (400, 409) for c in codes[1:]), [r.text for r in results]
    versions = (await admin.get(f"{B}/offers", params={"offerNumber": first["offerNumber"]})).json()["items"]
    assert sorted((v["version"], v["status"]) for v in versions) == [(1, "superseded"), (2, "draft")]
