"""Fetch configs over HTTP and their Temporal Schedules: an enabled config with a `syncTime` has a schedule
firing daily at that time, which follows the config's updates and goes with it; triggering it runs the fetch
through the code workflow and activity the manifest registers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.client import ScheduleActionStartWorkflow, ScheduleRange
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api import temporal
from api.settings import get_settings
from tests.api.modules.currencies.conftest import Providers
from tests.fixtures import Caller, World

URL = "/api/currencies/fetch-configs"
ALL = ["currencies.*"]


async def _configs(caller: Caller) -> list[dict[str, Any]]:
    r = await caller.get(URL)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"configs"}
    return list(r.json()["configs"])


async def _schedule(env: WorkflowEnvironment, config_id: str) -> Any:
    return await env.client.get_schedule_handle(f"currencies-fetch-{config_id}").describe()


async def test_configs_without_a_schedule_need_no_temporal(world: World) -> None:
    admin = await world.user(ALL)
    r = await admin.post(URL, json={"provider": "NBP", "syncTime": "09:00"})
    assert r.status_code == 201, r.text
    config = r.json()["config"]
    assert config == {"id": config["id"], "organizationId": world.org_id, "tenantId": world.tenant_id,
                      "provider": "NBP", "isEnabled": False, "syncTime": "09:00", "lastSyncAt": None,
                      "lastSyncStatus": None, "lastSyncMessage": None, "lastSyncCount": None, "config": None,
                      "createdAt": config["createdAt"], "updatedAt": config["updatedAt"]}
    await admin.post(URL, json={"provider": "Custom", "config": {"url": "https://example.com/rates"}})
    assert [c["provider"] for c in await _configs(admin)] == ["Custom", "NBP"]

    r = await admin.put(URL, json={"id": config["id"], "syncTime": None, "provider": "Custom"})
    assert r.status_code == 200 and r.json()["config"]["syncTime"] is None
    assert r.json()["config"]["provider"] == "NBP"
    assert r.headers.get("x-om-operation")
    r = await admin.delete(f"{URL}?id={config['id']}")
    assert r.status_code == 200 and r.json() == {"success": True}
    assert [c["provider"] for c in await _configs(admin)] == ["Custom"]
    # Hard-deleted: the provider can be configured again.
    assert (await admin.post(URL, json={"provider": "NBP"})).status_code == 201


@pytest.mark.parametrize("body, path", [
    ({"provider": "ECB"}, "provider"),
    ({}, "provider"),
    ({"provider": "NBP", "syncTime": "9:00"}, "syncTime"),
    ({"provider": "NBP", "syncTime": "24:00"}, "syncTime"),
    ({"provider": "NBP", "isEnabled": "yes"}, "isEnabled"),
    ({"provider": "NBP", "config": {"timeZone": "Mars/Olympus"}}, "config"),
    ({"provider": "NBP", "config": ["x"]}, "config"),
])
async def test_bad_input_is_a_400_and_stores_nothing(world: World, body: dict[str, Any], path: str) -> None:
    admin = await world.user(ALL)
    r = await admin.post(URL, json=body)
    assert r.status_code == 400, r.text
    assert path in [p for d in r.json()["details"] for p in d["path"]]
    assert await _configs(admin) == []


async def test_one_config_per_provider_features_and_tenancy(world: World, client: Any) -> None:
    admin = await world.user(ALL)
    config_id = (await admin.post(URL, json={"provider": "NBP"})).json()["config"]["id"]
    r = await admin.post(URL, json={"provider": "NBP"})
    assert r.status_code == 400 and r.json()["error"] == "Provider NBP already configured"

    for method in ("GET", "POST", "PUT", "DELETE"):
        assert (await client.request(method, URL, json={})).status_code == 401
    viewer = await world.user(["currencies.fetch.view"])
    assert len(await _configs(viewer)) == 1
    for r in (await viewer.post(URL, json={"provider": "Custom"}),
              await viewer.put(URL, json={"id": config_id, "isEnabled": True}),
              await viewer.delete(f"{URL}?id={config_id}")):
        assert r.status_code == 403 and r.json()["requiredFeatures"] == ["currencies.fetch.manage"]
    r = await (await world.user(["currencies.view"])).get(URL)
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["currencies.fetch.view"]

    stranger = await World(world.client).user(ALL)
    assert await _configs(stranger) == []
    assert (await stranger.put(URL, json={"id": config_id, "isEnabled": False})).status_code == 404
    assert (await stranger.delete(f"{URL}?id={config_id}")).status_code == 404
    assert len(await _configs(admin)) == 1


async def test_temporal_unreachable_stores_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = await world.user(ALL)
    temporal.set_client(None)
    monkeypatch.setattr(get_settings(), "temporal_address", "127.0.0.1:9")
    r = await admin.post(URL, json={"provider": "NBP", "isEnabled": True, "syncTime": "06:30"})
    assert r.status_code == 503, r.text
    assert "schedule" in r.json()["error"]
    assert await _configs(admin) == []
    temporal.set_client(None)


async def test_the_schedule_follows_the_config(world: World, scheduler: WorkflowEnvironment) -> None:
    admin = await world.user(ALL)
    r = await admin.post(URL, json={"provider": "NBP", "isEnabled": True, "syncTime": "06:30"})
    assert r.status_code == 201, r.text
    config_id = r.json()["config"]["id"]

    described = await _schedule(scheduler, config_id)
    calendar = described.schedule.spec.calendars[0]
    assert (list(calendar.hour), list(calendar.minute)) == ([ScheduleRange(6, 6)], [ScheduleRange(30, 30)])
    assert described.schedule.spec.time_zone_name == "UTC"
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == "currencies.FetchRates"
    assert action.task_queue == temporal.task_queue()
    assert described.schedule.state.paused is False

    r = await admin.put(URL, json={"id": config_id, "syncTime": "18:05", "config": {"timeZone": "Europe/Warsaw"}})
    assert r.status_code == 200, r.text
    described = await _schedule(scheduler, config_id)
    calendar = described.schedule.spec.calendars[0]
    assert (list(calendar.hour), list(calendar.minute)) == ([ScheduleRange(18, 18)], [ScheduleRange(5, 5)])
    assert described.schedule.spec.time_zone_name == "Europe/Warsaw"

    # Disabled: no schedule; enabled again: back.
    assert (await admin.put(URL, json={"id": config_id, "isEnabled": False})).status_code == 200
    with pytest.raises(RPCError):
        await _schedule(scheduler, config_id)
    assert (await admin.put(URL, json={"id": config_id, "isEnabled": True})).status_code == 200
    assert (await _schedule(scheduler, config_id)).schedule.spec.calendars

    assert (await admin.delete(f"{URL}?id={config_id}")).status_code == 200
    with pytest.raises(RPCError):
        await _schedule(scheduler, config_id)


async def test_a_triggered_schedule_runs_the_fetch(world: World, scheduler: WorkflowEnvironment,
                                                   providers: Providers) -> None:
    admin = await world.user(ALL)
    for i, code in enumerate(("PLN", "EUR")):
        await admin.post("/api/currencies/currencies", json={"code": code, "name": code, "isBase": i == 0})
    r = await admin.post(URL, json={"provider": "NBP", "isEnabled": True, "syncTime": "03:00"})
    config_id = r.json()["config"]["id"]

    await scheduler.client.get_schedule_handle(f"currencies-fetch-{config_id}").trigger()
    for _ in range(200):
        config = (await _configs(admin))[0]
        if config["lastSyncAt"]:
            break
        await asyncio.sleep(0.1)
    assert config["lastSyncStatus"] == "success", config
    assert config["lastSyncCount"] == 2
    assert any("/nbp/exchangerates/tables/c/" in p for p in providers.requests)
    rates = (await admin.get("/api/currencies/exchange-rates")).json()["items"]
    assert {(i["fromCurrencyCode"], i["toCurrencyCode"], i["rate"]) for i in rates} == \
        {("EUR", "PLN", "4.17830000"), ("PLN", "EUR", "0.23459310")}

    # A run whose config is gone does nothing.
    await admin.delete(f"{URL}?id={config_id}")
    handle = await scheduler.client.start_workflow("currencies.FetchRates", config_id, id=f"gone-{config_id}",
                                                   task_queue=temporal.task_queue())
    assert await handle.result() == {"skipped": True}
