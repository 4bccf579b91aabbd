"""The outbox: events exist exactly when their change committed; the dispatcher delivers in order,
at least once, and a new dispatcher picks up where a crashed one stopped."""

from __future__ import annotations

from sqlalchemy import select

from api import outbox
from api.db import new_id, sessionmaker
from api.outbox import Dispatcher, DomainEvent
from api.outbox_models import OutboxEvent, OutboxLease


async def _events(tenant: str) -> list[OutboxEvent]:
    async with sessionmaker()() as s:
        return list((await s.execute(
            select(OutboxEvent).where(OutboxEvent.tenant_id == tenant).order_by(OutboxEvent.seq)
        )).scalars().all())


async def test_event_exists_only_when_committed(app: object) -> None:
    tenant = new_id()
    async with sessionmaker()() as s:
        outbox.emit(s, "test.thing.created", {"id": "1"}, tenant_id=tenant, organization_id=None)
        await s.rollback()
    async with sessionmaker()() as s:
        outbox.emit(s, "test.thing.created", {"id": "2"}, tenant_id=tenant, organization_id=None)
        await s.commit()
    assert [e.payload["id"] for e in await _events(tenant)] == ["2"]


class Crash(Exception):
    pass


async def test_restart_loses_nothing_and_keeps_order(app: object) -> None:
    tenant = new_id()
    async with sessionmaker()() as s:
        for i in range(10):
            outbox.emit(s, "test.item.created", {"id": str(i)}, tenant_id=tenant, organization_id=None)
        await s.commit()

    seen: list[str] = []

    async def flaky(event: DomainEvent) -> None:
        if event.tenant_id != tenant:
            return
        if event.payload["id"] == "4" and "4" not in seen:
            seen.append("4")
            raise Crash("worker died while handling event 4")
        seen.append(event.payload["id"])

    # One pass stops at the failure, as a worker that dies there would.
    first = Dispatcher(sessionmaker(), handlers=[("test.*", flaky)], batch=100_000)
    await first.dispatch_once()
    assert seen == ["0", "1", "2", "3", "4"]  # 4 failed and blocks the line
    pending = [e.payload["id"] for e in await _events(tenant) if e.dispatched_at is None]
    assert pending == [str(i) for i in range(4, 10)]

    # A new process (new dispatcher) resumes at the failed event: at least once, in order.
    second = Dispatcher(sessionmaker(), handlers=[("test.item.created", flaky)])
    while await second.dispatch_once():
        pass
    assert seen == ["0", "1", "2", "3", "4", "4", "5", "6", "7", "8", "9"]
    assert all(e.dispatched_at is not None for e in await _events(tenant))
    failed = [e for e in await _events(tenant) if e.payload["id"] == "4"][0]
    assert failed.attempts == 1 and "worker died" in (failed.last_error or "")


async def test_a_failing_event_holds_up_its_tenant_only(app: object) -> None:
    stuck, other = new_id(), new_id()
    async with sessionmaker()() as s:
        for tenant, key in [(stuck, "s0"), (other, "o0"), (stuck, "s1"), (other, "o1")]:
            outbox.emit(s, "test.line.created", {"id": key}, tenant_id=tenant, organization_id=None)
        await s.commit()
    broken = {"s0"}
    seen: list[str] = []

    async def handle(event: DomainEvent) -> None:
        if event.tenant_id not in (stuck, other):
            return
        if event.payload["id"] in broken:
            raise Crash("the tenant's mail relay refused")
        seen.append(event.payload["id"])

    # A batch of one: the other tenant's events lie beyond the failed one's batch, and are still reached.
    dispatcher = Dispatcher(sessionmaker(), handlers=[("test.line.created", handle)], batch=1)
    while await dispatcher.dispatch_once():
        pass
    assert seen == ["o0", "o1"]
    assert [e.payload["id"] for e in await _events(stuck) if e.dispatched_at is None] == ["s0", "s1"]

    broken.clear()
    while await dispatcher.dispatch_once():
        pass
    assert seen == ["o0", "o1", "s0", "s1"]  # in order within the tenant, once the failure passed


async def test_patterns_route_events(app: object) -> None:
    tenant = new_id()
    async with sessionmaker()() as s:
        for name in ["sales.order.created", "sales.quote.created", "example.todo.created"]:
            outbox.emit(s, name, {"id": name}, tenant_id=tenant, organization_id=None)
        await s.commit()
    got: dict[str, list[str]] = {"exact": [], "prefix": [], "all": []}

    def collect(key: str) -> outbox.Handler:
        async def handle(event: DomainEvent) -> None:
            if event.tenant_id == tenant:
                got[key].append(event.name)
        return handle

    d = Dispatcher(sessionmaker(), handlers=[("sales.order.created", collect("exact")),
                                             ("sales.*", collect("prefix")), ("*", collect("all"))])
    while await d.dispatch_once():
        pass
    assert got["exact"] == ["sales.order.created"]
    assert got["prefix"] == ["sales.order.created", "sales.quote.created"]
    assert len(got["all"]) == 3


async def test_one_dispatcher_holds_the_lease(app: object) -> None:
    async with sessionmaker()() as s, s.begin():
        lease = await s.get(OutboxLease, Dispatcher.LEASE)
        if lease is not None:
            await s.delete(lease)
    a = Dispatcher(sessionmaker(), handlers=[], lease_seconds=30)
    b = Dispatcher(sessionmaker(), handlers=[], lease_seconds=30)
    assert await a.acquire_lease() is True
    assert await b.acquire_lease() is False
    assert await a.acquire_lease() is True  # renewal
    expired = Dispatcher(sessionmaker(), handlers=[], lease_seconds=-1)
    c = Dispatcher(sessionmaker(), handlers=[], lease_seconds=30)
    async with sessionmaker()() as s, s.begin():
        await s.delete(await s.get(OutboxLease, Dispatcher.LEASE))
    assert await expired.acquire_lease() is True
    assert await c.acquire_lease() is True  # the expired holder's lease is taken over


def test_the_worker_delivers_to_every_module_subscriber() -> None:
    # A fresh interpreter, as the worker process is: no route module has been imported there.
    import subprocess
    import sys

    code = ("import worker; from api.outbox import Dispatcher; from api.db import sessionmaker; "
            "print(sorted({h.__module__ for _, h in Dispatcher(sessionmaker())._handlers}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "api.modules.business_rules.events" in out and "api.modules.workflows.triggers" in out
