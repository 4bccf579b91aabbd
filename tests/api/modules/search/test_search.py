"""Search and Query Index through HTTP: global search over indexed todos, rules and workflow definitions
(full-text, tokens, vectors), tenancy and organization scope, settings, reindex and purge jobs on Temporal."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from api.db import sessionmaker
from api.modules.example.models import Todo
from api.modules.query_index.models import IndexEntry, IndexJob
from api.modules.search.models import SearchSetting
from api.settings import get_settings
from tests.api.modules.search.conftest import deliver
from tests.fixtures import Caller, World
from tests.http_server import reply, serving

REFERENCE = [e for e in json.loads((Path(__file__).parents[3] / "data" / "reference_endpoints.json").read_text())
             if e["module"] in ("Search", "Query Index")]
ALL = ["search.*", "query_index.*", "example.todos.view", "example.todos.manage"]


async def _todo(caller: Caller, title: str, **extra: Any) -> str:
    r = await caller.post("/api/example/todos", json={"title": title, **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _search(caller: Caller, q: str, **params: Any) -> dict[str, Any]:
    r = await caller.get("/api/search/search/global", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _ids(body: dict[str, Any]) -> set[str]:
    return {r["recordId"] for r in body["results"]}


async def _wait_job(tenant_id: str, source: str, attempts: int = 300) -> IndexJob:
    for _ in range(attempts):
        async with sessionmaker()() as s:
            job = (await s.execute(select(IndexJob).where(IndexJob.tenant_id == tenant_id, IndexJob.source == source)
                                   .order_by(IndexJob.started_at.desc()))).scalars().first()
        if job is not None and job.finished_at is not None and job.status != "cancelled":
            return job
        if job is not None and job.status == "cancelled":
            return job
        await asyncio.sleep(0.1)
    raise AssertionError("the index job did not finish")


async def test_global_search_finds_indexed_records_of_the_callers_tenant_only(world: World) -> None:
    admin = await world.user(ALL)
    widget = await _todo(admin, "Order the blue widgets from Kraków")
    await _todo(admin, "Water the plants")
    other = World(world.client)
    outsider = await other.user(ALL)
    await _todo(outsider, "Blue widgets for someone else")
    await deliver(world.tenant_id)
    await deliver(other.tenant_id)

    body = await _search(admin, "widg blu")
    assert _ids(body) == {widget}
    hit = body["results"][0]
    assert hit["entityId"] == "example.todo" and hit["source"] == "fulltext"
    assert hit["presenter"] == {"title": "Order the blue widgets from Kraków", "badge": "Todo"}
    assert hit["url"] == f"/backend/todos/{widget}"
    assert body["strategiesEnabled"] == ["fulltext"] and body["query"] == "widg blu" and body["limit"] == 50
    # Accents do not matter, either way round.
    assert _ids(await _search(admin, "krakow")) == {widget}
    assert widget not in _ids(await _search(outsider, "widgets"))
    assert _ids(await _search(admin, "widgets", entityTypes="business_rules.rule")) == set()


async def test_updates_and_deletes_reach_the_index(world: World) -> None:
    admin = await world.user(ALL)
    todo = await _todo(admin, "Quarterly report")
    await deliver(world.tenant_id)
    assert _ids(await _search(admin, "quarterly")) == {todo}
    assert (await admin.put("/api/example/todos", json={"id": todo, "title": "Annual report"})).status_code == 200
    await deliver(world.tenant_id)
    assert _ids(await _search(admin, "quarterly")) == set()
    assert _ids(await _search(admin, "annual")) == {todo}
    assert (await admin.delete(f"/api/example/todos?id={todo}")).status_code == 200
    await deliver(world.tenant_id)
    assert _ids(await _search(admin, "annual")) == set()


async def test_results_stay_within_the_callers_organizations(world: World) -> None:
    await world.setup()
    left, right = await world.org("Left"), await world.org("Right")
    lefty = await world.user(ALL, org_id=left, organizations=[left])
    righty = await world.user(ALL, org_id=right, organizations=[right])
    mine = await _todo(lefty, "Invoice reminder")
    await deliver(world.tenant_id)
    assert _ids(await _search(lefty, "invoice")) == {mine}
    assert _ids(await _search(righty, "invoice")) == set()


async def test_token_strategy_matches_hashed_tokens_once_enabled(world: World) -> None:
    admin = await world.user(ALL)
    todo = await _todo(admin, "Renew the certificate for Zbigniew")
    await deliver(world.tenant_id)
    # Searched once before the change: the strategies kept for a few seconds must not outlive it.
    assert (await _search(admin, "certificate"))["strategiesEnabled"] == ["fulltext"]
    r = await admin.post("/api/search/settings/global-search", json={"enabledStrategies": ["tokens"]})
    assert r.status_code == 201 and r.json() == {"ok": True, "enabledStrategies": ["tokens"]}
    assert (await admin.get("/api/search/settings/global-search")).json() == {"enabledStrategies": ["tokens"]}
    body = await _search(admin, "zbig certif")
    assert _ids(body) == {todo} and body["results"][0]["source"] == "tokens"
    assert body["strategiesEnabled"] == ["tokens"]


async def test_bad_input_is_400_and_stores_nothing(world: World) -> None:
    admin = await world.user(ALL)
    assert (await admin.get("/api/search/search/global", params={"q": "  "})).json() == {"error": "Missing query"}
    for body in ({"enabledStrategies": []}, {"enabledStrategies": ["magic"]}, {}, ["fulltext"]):
        r = await admin.post("/api/search/settings/global-search", json=body)
        assert r.status_code == 400 and r.json() == {"error": "Invalid strategies configuration"}, body
    r = await admin.post("/api/search/settings/global-search", content=b"{",
                         headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = await admin.post("/api/search/embeddings", json={"embeddingConfig": {"providerId": "nope"}})
    assert r.status_code == 400 and r.json()["details"]
    r = await admin.post("/api/search/embeddings", json={"embeddingConfig": {
        "providerId": "openai", "model": "text-embedding-3-small", "dimension": 1536}})
    assert r.status_code == 400 and "not configured" in r.json()["error"]
    assert (await admin.post("/api/search/reindex", json={"action": "explode"})).status_code == 400
    assert (await admin.post("/api/search/reindex", json={"entityId": "nope.nothing"})).json() == {
        "error": "Unknown entity type: nope.nothing"}
    assert (await admin.post("/api/query_index/reindex", json={})).json() == {"error": "Missing entityType"}
    assert (await admin.post("/api/query_index/purge", json={"entityType": ""})).status_code == 400
    assert (await admin.delete("/api/search/index")).status_code == 400
    r = await admin.post("/api/search/settings/global-search", content=b"x" * (get_settings().max_body_bytes + 10),
                         headers={"content-type": "application/json"})
    assert r.status_code == 413
    async with sessionmaker()() as s:
        assert (await s.execute(select(func.count()).select_from(SearchSetting)
                                .where(SearchSetting.tenant_id == world.tenant_id))).scalar_one() == 0
        assert (await s.execute(select(func.count()).select_from(IndexJob)
                                .where(IndexJob.tenant_id == world.tenant_id))).scalar_one() == 0


async def test_settings_describe_strategies_and_stores(world: World) -> None:
    admin = await world.user(ALL)
    await _todo(admin, "Something")
    await deliver(world.tenant_id)
    settings = (await admin.get("/api/search/settings")).json()["settings"]
    assert {s["id"]: s["available"] for s in settings["strategies"]} == {
        "fulltext": True, "vector": False, "tokens": True}
    assert settings["fulltextStats"]["numberOfDocuments"] == 1
    assert settings["defaultStrategies"] == ["fulltext"] and settings["fulltextReindexLock"] is None
    fulltext = (await admin.get("/api/search/settings/fulltext")).json()
    assert fulltext["configured"] is True and fulltext["driver"] in ("sqlite-fts5", "postgresql")
    assert (await admin.get("/api/search/settings/vector-store")).json()["currentDriver"] == "database"
    emb = (await admin.get("/api/search/embeddings")).json()["settings"]
    assert emb["embeddingConfig"] is None and emb["configuredProviders"] == [] and emb["documentCount"] == 0
    listing = (await admin.get("/api/search/index", params={"entityId": "example.todo"})).json()
    assert listing["total"] == 1 and listing["entries"][0]["presenter"]["title"] == "Something"
    assert listing["entries"][0]["vectorized"] is False


async def test_reindex_runs_as_a_temporal_job_with_progress(world: World, jobs: Any) -> None:
    admin = await world.user(ALL)
    async with sessionmaker()() as s:
        for i in range(7):
            s.add(Todo(title=f"Imported parcel {i}", tenant_id=world.tenant_id, organization_id=world.org_id))
        await s.commit()
    assert _ids(await _search(admin, "parcel")) == set()
    status = (await admin.get("/api/query_index/status")).json()
    todo = next(i for i in status["items"] if i["entityId"] == "example.todo")
    assert (todo["baseCount"], todo["indexCount"], todo["ok"]) == (7, 0, False)

    r = await admin.post("/api/search/reindex", json={"action": "reindex", "entityId": "example.todo"})
    assert r.status_code == 201, r.text
    assert r.json()["ok"] is True and r.json()["jobId"]
    job = await _wait_job(world.tenant_id, "fulltext")
    assert (job.status, job.processed_count, job.total_count) == ("completed", 7, 7)
    assert len(_ids(await _search(admin, "parcel", limit="5"))) == 5

    r = await admin.post("/api/query_index/purge", json={"entityType": "example.todo"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    await _wait_job(world.tenant_id, "query_index")
    assert _ids(await _search(admin, "parcel")) == set()
    r = await admin.post("/api/query_index/reindex", json={"entityType": "example.todo"})
    assert r.json() == {"ok": True}
    await asyncio.sleep(0.2)
    job = await _wait_job(world.tenant_id, "query_index")
    status_r = await admin.get("/api/query_index/status")
    todo = next(i for i in status_r.json()["items"] if i["entityId"] == "example.todo")
    assert (todo["baseCount"], todo["indexCount"], todo["ok"]) == (7, 7, True)
    assert todo["job"]["status"] == "idle" and todo["job"]["processedCount"] == 7
    assert any("Reindex requested" in g["message"] for g in status_r.json()["logs"])


async def test_cancel_stops_a_running_reindex(world: World, jobs: Any) -> None:
    admin = await world.user(ALL)
    async with sessionmaker()() as s:
        s.add(Todo(title="Only one", tenant_id=world.tenant_id, organization_id=world.org_id))
        await s.commit()
    assert (await admin.post("/api/search/reindex", json={})).status_code == 201
    again = await admin.post("/api/search/reindex", json={})
    # Either the first job is still running (409 with its progress) or it has just finished.
    assert again.status_code in (201, 409)
    if again.status_code == 409:
        assert again.json()["lock"]["type"] == "fulltext"
    r = await admin.post("/api/search/reindex/cancel")
    assert r.status_code == 201 and r.json()["ok"] is True
    assert (await admin.post("/api/search/reindex/cancel")).json() == {"ok": True, "jobsRemoved": 0}


class _FakeOpenAI(BaseHTTPRequestHandler):
    """An embeddings endpoint speaking OpenAI's wire format: a vector of letter counts per text."""

    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _FakeOpenAI.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        data = [{"index": i, "embedding": [float(text.lower().count(c)) + 0.01 for c in "abcdefghijklmnop"]}
                for i, text in enumerate(body["input"])]
        reply(self, 200, json.dumps({"data": data}).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def openai_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    with serving(_FakeOpenAI) as port:
        monkeypatch.setattr(get_settings(), "openai_api_key", "sk-test")
        monkeypatch.setattr(get_settings(), "openai_base_url", f"http://127.0.0.1:{port}/v1")
        yield port


async def test_vector_search_through_a_configured_provider(world: World, jobs: Any, openai_server: int) -> None:
    admin = await world.user(ALL)
    kept = await _todo(admin, "aaaa bbbb")
    await _todo(admin, "pppp oooo")
    await deliver(world.tenant_id)
    r = await admin.post("/api/search/embeddings", json={"embeddingConfig": {
        "providerId": "openai", "model": "text-embedding-3-small", "dimension": 16}, "autoIndexingEnabled": False})
    assert r.status_code == 201, r.text
    settings = r.json()["settings"]
    assert settings["configuredProviders"] == ["openai"] and settings["embeddingConfig"]["dimension"] == 16
    assert (await admin.post("/api/search/embeddings/reindex", json={})).status_code == 201
    job = await _wait_job(world.tenant_id, "vector")
    assert job.status == "completed" and job.processed_count == 2
    assert _FakeOpenAI.seen[-1]["auth"] == "Bearer sk-test" and _FakeOpenAI.seen[-1]["body"]["dimensions"] == 16
    await admin.post("/api/search/settings/global-search", json={"enabledStrategies": ["vector"]})
    body = await _search(admin, "abab")
    assert body["results"][0]["recordId"] == kept and body["results"][0]["source"] == "vector"
    assert (await admin.get("/api/search/embeddings")).json()["settings"]["documentCount"] == 2
    assert (await admin.delete("/api/search/index", params={"confirmAll": "true"})).status_code == 204
    async with sessionmaker()() as s:
        assert (await s.execute(select(func.count()).select_from(IndexEntry).where(
            IndexEntry.tenant_id == world.tenant_id, IndexEntry.embedding.is_not(None)))).scalar_one() == 0


async def test_vector_reindex_without_a_provider_is_refused(world: World) -> None:
    admin = await world.user(ALL)
    r = await admin.post("/api/search/embeddings/reindex", json={})
    assert r.status_code == 400 and "configured" in r.json()["error"]
    assert (await admin.post("/api/search/embeddings/reindex/cancel")).json() == {"ok": True, "jobsRemoved": 0}


def _url(path: str) -> str:
    return "/api" + re.sub(r"\{[^}]*\}", "00000000-0000-4000-8000-000000000000", path)


@pytest.mark.parametrize("endpoint", REFERENCE, ids=lambda e: f"{e['method']} {e['path']}")
async def test_every_endpoint_needs_a_caller_and_its_features(world: World, endpoint: dict[str, Any]) -> None:
    r = await world.client.request(endpoint["method"], _url(endpoint["path"]), json={})
    assert r.status_code == 401, r.text
    others = sorted({f for e in REFERENCE for f in e["features"]} - set(endpoint["features"]))
    caller = await world.user(others)
    r = await caller.client.request(endpoint["method"], _url(endpoint["path"]), json={},
                                    headers={"Authorization": f"Bearer {caller.token}"})
    assert r.status_code == 403 and r.json()["requiredFeatures"] == endpoint["features"]


async def test_freight_records_are_found_by_their_references(world: World) -> None:
    admin = await world.user(["search.*", "contractors.*", "shipments.*"])
    r = await admin.post("/api/contractors/contractors", json={"name": "Baltic Container Lines", "taxId": "PL1234"})
    assert r.status_code == 201, r.text
    carrier = r.json()["id"]
    r = await admin.post("/api/shipments", json={"internalReference": "SHP-0042", "bookingNumber": "BKG77",
                                                 "carrier": "Maersk"})
    assert r.status_code == 201, r.text
    shipment = r.json()["id"]
    await deliver(world.tenant_id)
    hit = (await _search(admin, "baltic"))["results"]
    assert [(h["recordId"], h["entityId"]) for h in hit] == [(carrier, "contractors.contractor")]
    assert hit[0]["url"] == f"/backend/contractors/{carrier}"
    hit = (await _search(admin, "bkg77"))["results"]
    assert [(h["recordId"], h["entityId"]) for h in hit] == [(shipment, "shipments.shipment")]
    assert hit[0]["presenter"]["title"] == "SHP-0042"
