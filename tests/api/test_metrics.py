"""`GET /metrics` (docs/operations.md): Prometheus' text format, bounded route labels, the access setting
(open, bearer token, disabled), rule evaluations, and the gauges read from the database at scrape time.
The worker's side (instances, steps, activities) is in tests/api/modules/workflows/test_metrics.py."""

from __future__ import annotations

import functools
import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from api.db import new_id, sessionmaker, utcnow
from api.outbox_models import OutboxEvent
from api.settings import get_settings
from tests.fixtures import World

HTTP = "stepwise_http_request_duration_seconds"
ROOT = Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=8)
def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    # A scrape holds every route's histogram: parsed once, however many samples a test reads from it.
    return {(s.name, frozenset(s.labels.items())): float(s.value)
            for family in text_string_to_metric_families(text) for s in family.samples}


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the one sample `name` with exactly these labels in a scrape, 0 when absent."""
    return _samples(text).get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient) -> str:
    r = await client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    return r.text


async def test_requests_are_labelled_by_route_template_not_path(world: World, client: httpx.AsyncClient) -> None:
    me = await world.user(["workflows.*"])
    route = {"method": "GET", "route": "/api/workflows/instances/{id}", "status": "404"}
    before = await scrape(client)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for instance_id in ids:
        assert (await me.get(f"/api/workflows/instances/{instance_id}")).status_code == 404
    nowhere = f"/no-such-place/{uuid.uuid4()}"
    assert (await client.get(nowhere)).status_code == 404
    # A mount (the console's assets): its template too, whatever file was asked for.
    assert (await client.get("/console/static/console.css")).status_code == 200
    assert (await client.get("/console/static/qa-missing-asset.css")).status_code == 404
    after = await scrape(client)

    assert sample(after, f"{HTTP}_count", **route) - sample(before, f"{HTTP}_count", **route) == 3
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert sample(after, f"{HTTP}_count", **unmatched) - sample(before, f"{HTTP}_count", **unmatched) == 1
    # No raw path, id or tenant reaches a label.
    assert not any(i in after for i in ids) and "no-such-place" not in after and "qa-missing-asset" not in after
    assert sample(after, f"{HTTP}_count", method="GET", route="/console/static/{path}", status="404") >= 1
    assert world.tenant_id not in after
    routes = {s.labels["route"] for f in text_string_to_metric_families(after) if f.name == HTTP for s in f.samples}
    assert "/api/workflows/instances/{id}" in routes and all(r == "unmatched" or r.startswith("/") for r in routes)


async def test_token_protection(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "metrics_access", "token")
    monkeypatch.setattr(get_settings(), "metrics_token", "scrape-secret")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic scrape-secret"},
                    {"Authorization": "scrape-secret"}):
        r = await client.get("/metrics", headers=headers)
        assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}, (headers, r.text)
        assert "stepwise_" not in r.text
    r = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert r.status_code == 200 and "stepwise_http_request_duration_seconds" in r.text

    # Token mode without a token refuses everyone, even an empty bearer.
    monkeypatch.setattr(get_settings(), "metrics_token", "")
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer scrape-secret"}):
        assert (await client.get("/metrics", headers=headers)).status_code == 401


async def test_disabled_is_not_found(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "metrics_access", "disabled")
    r = await client.get("/metrics")
    assert r.status_code == 404 and r.json() == {"error": "Not found"}
    monkeypatch.setattr(get_settings(), "metrics_access", "open")
    assert (await client.get("/metrics")).status_code == 200


async def test_rule_evaluations_are_counted_by_type_and_result(world: World, client: httpx.AsyncClient) -> None:
    me = await world.user(["business_rules.*"])
    entity = f"QaMetrics{uuid.uuid4().hex[:8]}"
    rule = {"ruleId": f"QA_METRICS_{uuid.uuid4().hex[:8]}", "ruleName": "Metrics", "ruleType": "GUARD",
            "entityType": entity, "eventType": "beforeSave", "enabled": True, "priority": 100,
            "conditionExpression": {"field": "status", "operator": "=", "value": "ACTIVE"}}
    assert (await me.post("/api/business_rules/rules", json=rule)).status_code == 201
    before = await scrape(client)
    for status in ("ACTIVE", "ACTIVE", "DRAFT"):
        r = await me.post("/api/business_rules/execute", json={"entityType": entity, "eventType": "beforeSave",
                                                                "data": {"status": status}})
        assert r.status_code == 200, r.text
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("stepwise_rule_evaluations_total", rule_type="GUARD", result="true") == 2
    assert delta("stepwise_rule_evaluations_total", rule_type="GUARD", result="false") == 1
    assert delta("stepwise_rule_evaluation_duration_seconds_count", mode="discovery") == 3
    assert sample(after, "stepwise_rule_evaluation_duration_seconds_sum", mode="discovery") > 0


async def test_outbox_backlog_is_read_at_scrape_time(client: httpx.AsyncClient) -> None:
    """No dispatcher runs in this test process: an event appended now waits, and the lag is its age."""
    before = await scrape(client)
    assert sample(before, "stepwise_metrics_database_up") == 1
    async with sessionmaker()() as session:
        session.add(OutboxEvent(id=new_id(), name="qa.metrics.waiting", tenant_id=None, organization_id=None,
                                payload={}, created_at=utcnow()))
        await session.commit()
    after = await scrape(client)
    assert sample(after, "stepwise_outbox_pending_events") == sample(before, "stepwise_outbox_pending_events") + 1
    assert sample(after, "stepwise_outbox_lag_seconds") > 0
    async with sessionmaker()() as session:  # delivered, for the tests after this one
        await session.execute(update(OutboxEvent).where(OutboxEvent.name == "qa.metrics.waiting")
                              .values(dispatched_at=utcnow()))
        await session.commit()


async def test_the_operations_docs_name_only_metrics_that_exist(client: httpx.AsyncClient) -> None:
    """docs/operations.md lists every metric; its dashboard and alerts query only metrics that exist."""
    families = {f.name for f in text_string_to_metric_families(await scrape(client)) if f.name.startswith("stepwise_")}
    assert {"stepwise_instances_started", "stepwise_step_duration_seconds", "stepwise_tasks_open"} <= families
    known = {name + suffix for name in families for suffix in ("", "_total", "_bucket", "_count", "_sum")}
    page = (ROOT / "docs" / "operations.md").read_text()
    assert [f for f in sorted(families) if f not in page and f + "_total" not in page] == []

    dashboard = json.loads((ROOT / "docs" / "grafana" / "stepwise.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dashboard["templating"]["list"]]
    rules = yaml.safe_load((ROOT / "docs" / "prometheus" / "stepwise-alerts.yml").read_text())
    alerts = [r for group in rules["groups"] for r in group["rules"]]
    assert all(r["alert"].startswith("Stepwise") and r["labels"]["severity"] for r in alerts)
    exprs += [r["expr"] for r in alerts]
    used = {name for expr in exprs for name in re.findall(r"\bstepwise_[a-z_]+", expr)}
    assert len(exprs) > 20 and used and sorted(used - known) == []
    # Every alert is explained on the page.
    assert [r["alert"] for r in alerts if r["alert"] not in page] == []
