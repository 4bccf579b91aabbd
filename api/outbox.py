"""Domain events: appended in the writer's transaction, delivered by the worker's dispatcher.

Delivery is at least once and in commit order within each tenant: an event is marked dispatched only
after every handler returned, so a crash between the two redelivers it; handlers are idempotent by
event id. A failing handler stops its tenant's line (the event is retried on the next pass) so that
tenant's later events never overtake it; other tenants' events go on, so one tenant's failing
subscriber (its mail settings, its tracking provider) holds up nobody else. Events without a tenant
form a line of their own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db import new_id, utcnow
from api.metrics import OUTBOX_DISPATCH_LAG, OUTBOX_DISPATCHED, OUTBOX_FAILURES
from api.outbox_models import OutboxEvent, OutboxLease

log = logging.getLogger("stepwise.outbox")


@dataclass(frozen=True)
class DomainEvent:
    id: str
    seq: int
    name: str
    tenant_id: str | None
    organization_id: str | None
    payload: dict[str, Any]
    created_at: datetime


Handler = Callable[[DomainEvent], Awaitable[None]]


def _aware(moment: datetime) -> datetime:
    """SQLite gives timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)


def _outside(tenants: set[str | None]) -> ColumnElement[bool]:
    """Events of none of `tenants` (None: the events without a tenant)."""
    ids = [t for t in tenants if t is not None]
    column = OutboxEvent.tenant_id
    if None in tenants:
        return and_(column.is_not(None), column.not_in(ids)) if ids else column.is_not(None)
    return or_(column.is_(None), column.not_in(ids))


def emit(session: AsyncSession, name: str, payload: dict[str, Any], *, tenant_id: str | None,
         organization_id: str | None) -> OutboxEvent:
    """Append `name` to the outbox; it is committed (or rolled back) with the caller's transaction."""
    row = OutboxEvent(id=new_id(), name=name, tenant_id=tenant_id, organization_id=organization_id,
                      payload={"tenantId": tenant_id, "organizationId": organization_id, **payload})
    session.add(row)
    return row


class Dispatcher:
    LEASE = "dispatcher"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, batch: int = 100,
                 poll_seconds: float = 0.5, lease_seconds: float = 15.0,
                 handlers: list[tuple[str, Handler]] | None = None) -> None:
        self._sessions = sessions
        if handlers is None:
            # Every module's subscribers, as their manifests declare them.
            from api.manifest import subscribers
            handlers = subscribers()
        self._handlers: list[tuple[str, Handler]] = list(handlers)
        self._batch = batch
        self._poll = poll_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._holder = new_id()
        self._stop = asyncio.Event()

    async def acquire_lease(self) -> bool:
        """Take or renew the single dispatcher lease; False while another live worker holds it."""
        now = utcnow()
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(OutboxLease)
                .where(OutboxLease.name == self.LEASE,
                       or_(OutboxLease.holder == self._holder, OutboxLease.expires_at < now))
                .values(holder=self._holder, expires_at=now + self._lease)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                return True
            if await session.get(OutboxLease, self.LEASE) is not None:
                return False
        try:
            async with self._sessions() as session, session.begin():
                session.add(OutboxLease(name=self.LEASE, holder=self._holder, expires_at=now + self._lease))
        except IntegrityError:
            return False
        return True

    def _matching(self, name: str) -> list[Handler]:
        out = []
        for pattern, handler in self._handlers:
            if pattern in ("*", name) or (pattern.endswith(".*") and name.startswith(pattern[:-1])):
                out.append(handler)
        return out

    async def dispatch_once(self) -> int:
        """Deliver pending events in order, a batch at a time; returns how many were delivered. A failure
        stops its tenant's line for this pass: the rest of the pass reads past that tenant's events."""
        stopped: set[str | None] = set()
        delivered = 0
        while True:
            stmt = select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None))
            if stopped:
                stmt = stmt.where(_outside(stopped))
            async with self._sessions() as session:
                rows = (await session.execute(stmt.order_by(OutboxEvent.seq).limit(self._batch))).scalars().all()
                events = [DomainEvent(r.id, r.seq, r.name, r.tenant_id, r.organization_id, dict(r.payload),
                                      r.created_at) for r in rows]
            newly_stopped = False
            for event in events:
                if event.tenant_id in stopped:
                    continue
                if await self._deliver(event):
                    delivered += 1
                else:
                    stopped.add(event.tenant_id)
                    newly_stopped = True
            # A batch that stopped no line was read to its end: the caller asks again. One that stopped one
            # is read again without that tenant, so the events behind it in other tenants' lines go on now.
            if not newly_stopped:
                return delivered

    async def _deliver(self, event: DomainEvent) -> bool:
        """Every matching handler, then the event marked dispatched; False (the failure recorded) if one
        raised."""
        try:
            for handler in self._matching(event.name):
                await handler(event)
        except Exception as exc:  # noqa: BLE001 - a handler's failure must not kill the loop
            log.warning("outbox handler failed for %s (%s): %s", event.name, event.id, exc)
            OUTBOX_FAILURES.inc()
            async with self._sessions() as session, session.begin():
                await session.execute(
                    update(OutboxEvent).where(OutboxEvent.seq == event.seq)
                    .values(attempts=OutboxEvent.attempts + 1, last_error=str(exc)[:2000])
                )
            return False
        now = utcnow()
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxEvent).where(OutboxEvent.seq == event.seq).values(dispatched_at=now)
            )
        OUTBOX_DISPATCHED.inc()
        OUTBOX_DISPATCH_LAG.observe(max(0.0, (now - _aware(event.created_at)).total_seconds()))
        return True

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                n = await self.dispatch_once() if await self.acquire_lease() else 0
            except Exception as exc:  # noqa: BLE001 - database hiccups: wait and retry
                log.warning("outbox dispatch failed: %s", exc)
                n = 0
            if n == 0:
                try:
                    await asyncio.wait_for(self._stop.wait(), timeout=self._poll)
                except TimeoutError:
                    pass

    def stop(self) -> None:
        self._stop.set()
