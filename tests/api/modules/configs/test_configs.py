"""Configuration over HTTP: the caches the modules declare (stats and purge), the system status with
the worker heartbeat and outbox lag, and upgrade actions run once per organization."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from api import auth
from api.db import sessionmaker, utcnow
from api.modules.configs import service
from api.modules.configs.models import UpgradeActionRun, WorkerHeartbeat
from api.modules.dictionaries.models import Dictionary
from tests.fixtures import World


async def test_cache_stats_and_purge(world: World) -> None:
    me = await world.user(["configs.cache.view", "configs.cache.manage"])
    await me.get("/api/configs/cache")  # the caller is now remembered
    stats = (await me.get("/api/configs/cache")).json()
    segments = {s["segment"]: s for s in stats["segments"]}
    assert {"auth.callers", "business_rules.compiled"} <= set(segments)
    assert segments["auth.callers"]["keyCount"] >= 1 and stats["totalKeys"] >= 1
    r = await me.post("/api/configs/cache", json={"action": "purgeSegment", "segment": "auth.callers"})
    assert r.status_code == 201 and r.json()["action"] == "purgeSegment" and r.json()["deleted"] >= 1
    assert len(auth._callers) == 0
    assert (await me.post("/api/configs/cache", json={"action": "purgeSegment", "segment": "nope"})).status_code == 404
    assert (await me.post("/api/configs/cache", json={"action": "purgeSegment"})).status_code == 400
    r = await me.post("/api/configs/cache")
    assert r.status_code == 201 and r.json()["action"] == "purgeAll" and "stats" in r.json()


async def test_system_status_reports_heartbeat_and_outbox(world: World) -> None:
    me = await world.user(["configs.system_status.view", "configs.manage"])
    stop = asyncio.Event()
    task = asyncio.create_task(service.heartbeat(sessionmaker(), stop, every=0.05))
    await asyncio.sleep(0.2)
    stop.set()
    await task
    body = (await me.get("/api/configs/system-status")).json()
    health = body["health"]
    assert health["database"]["ok"] is True
    assert health["worker"]["ok"] is True and health["worker"]["alive"] >= 1
    assert set(health["outbox"]) == {"pending", "oldestPendingAt", "lagSeconds"}
    assert "ok" in health["temporal"] and body["categories"]
    secrets = [i for c in body["categories"] for i in c["items"] if i["key"] == "STEPWISE_JWT_SECRET"]
    assert secrets and secrets[0]["value"] is None
    async with sessionmaker()() as s:
        for row in (await s.execute(select(WorkerHeartbeat))).scalars():
            row.beat_at = utcnow().replace(year=2000)
        await s.commit()
    assert (await me.get("/api/configs/system-status")).json()["health"]["worker"]["ok"] is False
    r = await me.post("/api/configs/system-status")
    assert r.status_code == 201 and r.json()["cleared"] is True


async def test_upgrade_actions_run_once(world: World) -> None:
    me = await world.user(["configs.manage", "dictionaries.view"])
    pending = (await me.get("/api/configs/upgrade-actions")).json()
    assert pending["version"] == service.VERSION
    action = pending["actions"][0]["id"]
    r = await me.post("/api/configs/upgrade-actions", json={"actionId": action})
    assert r.status_code == 201 and r.json()["status"] == "completed"
    assert len((await me.get("/api/dictionaries")).json()["items"]) == 5
    assert (await me.get("/api/configs/upgrade-actions")).json()["actions"] == []
    r = await me.post("/api/configs/upgrade-actions", json={"actionId": action})
    assert r.json()["status"] == "already_completed"
    assert (await me.post("/api/configs/upgrade-actions", json={})).status_code == 400
    assert (await me.post("/api/configs/upgrade-actions", json={"actionId": "nope"})).status_code == 404
    async with sessionmaker()() as s:
        assert (await s.execute(select(func.count()).select_from(UpgradeActionRun)
                                .where(UpgradeActionRun.tenant_id == world.tenant_id))).scalar_one() == 1
        assert (await s.execute(select(func.count()).select_from(Dictionary)
                                .where(Dictionary.tenant_id == world.tenant_id))).scalar_one() == 5


async def test_features(world: World) -> None:
    nobody = await world.user([])
    calls = [("get", "/api/configs/cache", "configs.cache.view"),
             ("post", "/api/configs/cache", "configs.cache.manage"),
             ("get", "/api/configs/system-status", "configs.system_status.view"),
             ("post", "/api/configs/system-status", "configs.manage"),
             ("get", "/api/configs/upgrade-actions", "configs.manage"),
             ("post", "/api/configs/upgrade-actions", "configs.manage")]
    for method, url, feature in calls:
        assert (await getattr(world.client, method)(url)).status_code == 401
        r = await getattr(nobody, method)(url)
        assert r.status_code == 403 and r.json()["requiredFeatures"] == [feature]
