"""The `sales.*.calculate.before/after` extension points: hooks change the engine's input and output
inside the recalculation, and the totals they leave are the ones written."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select

from api.db import sessionmaker
from api.modules.sales import documents
from api.modules.sales.models import SalesOrder
from api.outbox import DomainEvent
from tests.fixtures import World


async def test_hooks_change_the_calculation_and_run_in_order(world: World) -> None:
    admin = await world.admin()
    r = await admin.post("/api/sales/orders", json={"currencyCode": "EUR", "lines": [
        {"quantity": 2, "unitPriceNet": "10", "taxRate": 0}]})
    assert r.status_code == 201, r.text
    seen: list[str] = []

    async def line_before(event: DomainEvent) -> None:
        calc = event.payload["calc"]
        seen.append(event.name)
        calc.line = replace(calc.line, tax_rate=Decimal(50))

    async def doc_after(event: DomainEvent) -> None:
        calc = event.payload["calc"]
        seen.append(event.name)
        calc.totals = replace(calc.totals, outstanding=Decimal("1.00"))

    async def note(event: DomainEvent) -> None:
        seen.append(event.name)

    hooks = {documents.LINE_BEFORE: (line_before,), documents.DOC_AFTER: (doc_after,),
             documents.DOC_BEFORE: (note,), documents.SHIPPING_BEFORE: (note,), documents.PAYMENT_AFTER: (note,),
             documents.LINE_AFTER: (note,)}
    async with sessionmaker()() as s:
        order = (await s.execute(select(SalesOrder).where(SalesOrder.id == r.json()["id"]))).scalars().one()
        version = order.version
        out = await documents.recalculate(s, documents.ORDER, order, hooks=hooks)
        await s.commit()
    assert seen == [documents.DOC_BEFORE, documents.SHIPPING_BEFORE, documents.PAYMENT_AFTER, documents.LINE_BEFORE,
                    documents.LINE_AFTER, documents.DOC_AFTER]
    assert out.tax_total == Decimal("10.00") and out.grand_total_gross == Decimal("30.00")
    item = (await admin.get("/api/sales/orders", params={"id": order.id})).json()["items"][0]
    assert Decimal(str(item["outstandingAmount"])) == Decimal(1) and item["version"] == version + 1
    assert set(documents.manifest_hooks()) == set(documents.HOOK_EVENTS)
