"""Configuration: the worker's heartbeat, the system status snapshot, the caches of every module and the
one-off upgrade actions."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import manifest, temporal
from api.caches import CacheSegment
from api.db import utcnow
from api.modules.configs.models import UpgradeActionRun, WorkerHeartbeat
from api.modules.dictionaries import service as dictionaries
from api.outbox_models import OutboxEvent
from api.settings import get_settings

VERSION = "0.1.0"
HEARTBEAT_SECONDS = 5.0
# A worker that missed three beats is reported down.
HEARTBEAT_STALE_SECONDS = 3 * HEARTBEAT_SECONDS


# --- the worker's heartbeat -------------------------------------------------------------------------

async def beat(sessions: async_sessionmaker[AsyncSession], worker_id: str, started_at: datetime) -> None:
    async with sessions() as session, session.begin():
        row = await session.get(WorkerHeartbeat, worker_id)
        if row is None:
            session.add(WorkerHeartbeat(worker_id=worker_id, hostname=socket.gethostname()[:255], pid=os.getpid(),
                                        started_at=started_at, beat_at=utcnow()))
        else:
            row.beat_at = utcnow()


async def heartbeat(sessions: async_sessionmaker[AsyncSession], stop: asyncio.Event,
                    every: float = HEARTBEAT_SECONDS) -> None:
    """Runs in the worker until `stop`: touches this process's row every `every` seconds. A database
    hiccup skips a beat, never the worker."""
    worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    started_at = utcnow()
    while not stop.is_set():
        try:
            await beat(sessions, worker_id, started_at)
        except Exception:  # noqa: BLE001 - reported as a stale heartbeat, not a crash
            pass
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except TimeoutError:
            pass


# --- health ------------------------------------------------------------------------------------------

async def _database(session: AsyncSession) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - the snapshot reports it
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "dialect": session.get_bind().dialect.name,
            "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


async def _temporal() -> dict[str, Any]:
    timeout = 2.0
    settings = get_settings()
    out: dict[str, Any] = {"address": settings.temporal_address, "namespace": settings.temporal_namespace}
    try:
        client = await asyncio.wait_for(temporal.get_client(), timeout)
        await asyncio.wait_for(client.service_client.check_health(), timeout)
    except Exception as exc:  # noqa: BLE001 - unreachable is a status, not an error
        return {**out, "ok": False, "error": type(exc).__name__}
    return {**out, "ok": True}


async def _workers(session: AsyncSession) -> dict[str, Any]:
    rows = (await session.execute(select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc()))).scalars().all()
    now = utcnow()
    alive = [r for r in rows if (now - r.beat_at).total_seconds() <= HEARTBEAT_STALE_SECONDS]
    last = rows[0].beat_at if rows else None
    return {"ok": bool(alive), "alive": len(alive), "lastHeartbeatAt": last.isoformat() if last else None,
            "secondsSinceHeartbeat": round((now - last).total_seconds(), 1) if last else None,
            "staleAfterSeconds": HEARTBEAT_STALE_SECONDS}


async def _outbox(session: AsyncSession) -> dict[str, Any]:
    pending, oldest = (await session.execute(
        select(func.count(), func.min(OutboxEvent.created_at)).where(OutboxEvent.dispatched_at.is_(None))
    )).one()
    if isinstance(oldest, str):  # SQLite aggregates come back as text
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=utcnow().tzinfo)
    return {"pending": int(pending), "oldestPendingAt": oldest.isoformat() if oldest else None,
            "lagSeconds": round((utcnow() - oldest).total_seconds(), 1) if oldest else 0.0}


def _item(key: str, value: str | None, *, secret: bool = False, kind: str = "string") -> dict[str, Any]:
    state = "set" if value else "unset"
    if kind == "boolean":
        state = "enabled" if value == "true" else "disabled"
    return {"key": key, "kind": kind, "state": state, "value": None if secret else value}


def _categories() -> list[dict[str, Any]]:
    s = get_settings()
    return [
        {"key": "runtime", "label": "Runtime", "items": [
            _item("STEPWISE_DATABASE_URL", s.db_url.split("://")[0]),
            _item("STEPWISE_TEMPORAL_ADDRESS", s.temporal_address),
            _item("STEPWISE_TEMPORAL_NAMESPACE", s.temporal_namespace),
            _item("STEPWISE_TEMPORAL_TASK_QUEUE", s.temporal_task_queue),
            _item("STEPWISE_APP_URL", s.app_url)]},
        {"key": "mail", "label": "Mail", "items": [
            _item("STEPWISE_SMTP_HOST", s.smtp_host or None),
            _item("STEPWISE_SMTP_PASSWORD", s.smtp_password or None, secret=True),
            _item("STEPWISE_MAIL_FROM", s.mail_from)]},
        {"key": "security", "label": "Security", "items": [
            _item("STEPWISE_JWT_SECRET", s.jwt_secret or None, secret=True),
            _item("STEPWISE_OPTIMISTIC_LOCK", s.optimistic_lock),
            _item("STEPWISE_SECURE_COOKIES", "true" if s.secure_cookies else "false", kind="boolean")]},
        {"key": "caching", "label": "Caching", "items": [
            {"key": c.id, "kind": "cache", "state": "enabled", "value": str(c.size())} for c in manifest.caches()]},
    ]


async def status(session: AsyncSession) -> dict[str, Any]:
    database, temporal_state = await asyncio.gather(_database(session), _temporal())
    health = {"database": database, "temporal": temporal_state, "worker": await _workers(session),
              "outbox": await _outbox(session)}
    return {"generatedAt": utcnow().isoformat(), "version": VERSION, "runtimeMode": "production",
            "healthy": all(part.get("ok", True) for part in health.values()), "health": health,
            "categories": _categories()}


# --- caches ------------------------------------------------------------------------------------------

def cache_stats() -> dict[str, Any]:
    segments = [c.describe() for c in manifest.caches()]
    return {"generatedAt": utcnow().isoformat(), "totalKeys": sum(s["keyCount"] for s in segments),
            "segments": segments}


def cache_segment(segment_id: str) -> CacheSegment | None:
    return next((c for c in manifest.caches() if c.id == segment_id), None)


def purge_all() -> int:
    return sum(c.purge() for c in manifest.caches())


# --- upgrade actions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class UpgradeAction:
    id: str
    version: str
    message: str
    cta_label: str
    success_message: str
    run: Callable[[AsyncSession, str, str], Awaitable[object]]

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "message": self.message, "ctaLabel": self.cta_label,
                "successMessage": self.success_message, "loadingLabel": "Installing…"}


async def _install_dictionaries(session: AsyncSession, tenant_id: str, organization_id: str) -> int:
    return await dictionaries.ensure_defaults(session, tenant_id=tenant_id, organization_id=organization_id)


# In the order they are offered; each runs once per organization and version.
UPGRADE_ACTIONS: tuple[UpgradeAction, ...] = (
    UpgradeAction("configs.install_default_dictionaries", VERSION,
                  f"Version {VERSION} ships default dictionaries (sales statuses and adjustment kinds). "
                  "Install them for this organization.",
                  "Install default dictionaries", "Default dictionaries installed.", _install_dictionaries),
)


async def pending_actions(session: AsyncSession, *, tenant_id: str, organization_id: str) -> list[UpgradeAction]:
    done = set((await session.execute(
        select(UpgradeActionRun.action_id).where(UpgradeActionRun.tenant_id == tenant_id,
                                                 UpgradeActionRun.organization_id == organization_id,
                                                 UpgradeActionRun.version == VERSION)
    )).scalars())
    return [a for a in UPGRADE_ACTIONS if a.version == VERSION and a.id not in done]


async def run_action(session: AsyncSession, action: UpgradeAction, *, tenant_id: str,
                     organization_id: str) -> str:
    """Runs the action unless it ran for this organization already: `completed` or `already_completed`."""
    if action not in await pending_actions(session, tenant_id=tenant_id, organization_id=organization_id):
        return "already_completed"
    await action.run(session, tenant_id, organization_id)
    session.add(UpgradeActionRun(version=action.version, action_id=action.id, tenant_id=tenant_id,
                                 organization_id=organization_id))
    await session.flush()
    return "completed"
