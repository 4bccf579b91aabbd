"""Builders shared by the module's tests: quotes with lines and offers, through HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.fixtures import Caller

B = "/api/fms_quotes"
VALID_UNTIL = "2030-06-30T00:00:00Z"


def dec(value: Any) -> Decimal:
    return Decimal(str(value))


async def quote(caller: Caller, **body: Any) -> str:
    r = await caller.post(B, json={"currencyCode": "EUR", **body})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def line(caller: Caller, quote_id: str, **body: Any) -> dict[str, Any]:
    r = await caller.post(f"{B}/quote-lines", json={"quoteId": quote_id, "productName": "Ocean freight", **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def quote_with_lines(caller: Caller, *prices: tuple[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """A quote and one line per `(quantity, unitSales)`."""
    quote_id = await quote(caller, quoteNumber="Q-1")
    lines = [await line(caller, quote_id, quantity=q, unitSales=p, productName=f"P{i}", chargeCode=f"C{i}",
                        containerSize="40HC") for i, (q, p) in enumerate(prices)]
    return quote_id, lines


async def offer(caller: Caller, quote_id: str, **body: Any) -> dict[str, Any]:
    r = await caller.post(f"{B}/offers", json={"quoteId": quote_id, "validUntil": VALID_UNTIL, **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def get_offer(caller: Caller, offer_id: str) -> dict[str, Any]:
    r = await caller.get(f"{B}/offers/{offer_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


async def send(caller: Caller, offer_id: str) -> None:
    r = await caller.put(f"{B}/offers/{offer_id}", json={"status": "sent"})
    assert r.status_code == 200, r.text
