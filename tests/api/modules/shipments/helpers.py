"""Builders shared by the shipments tests."""

from __future__ import annotations

from typing import Any

from tests.fixtures import Caller

ALL = ["shipments.*", "customers.*", "dictionaries.*"]
VIEW_ONLY = ["shipments.shipments.view"]


async def shipment(me: Caller, **fields: Any) -> str:
    r = await me.post("/api/shipments", json={"internalReference": "REF-1", **fields})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def company(me: Caller, name: str = "Acme Freight") -> str:
    r = await me.post("/api/customers/companies", json={"displayName": name})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def count(me: Caller, url: str = "/api/shipments") -> int:
    r = await me.get(url)
    assert r.status_code == 200, r.text
    return int(r.json()["total"])
