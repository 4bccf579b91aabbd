"""Prometheus metrics (docs/operations.md): the catalogue, the API's HTTP middleware, `GET /metrics`, and the
worker's own metrics port.

Each process exposes what it measured itself, from the one `prometheus_client` registry of the process:

- the API: HTTP request durations by route template, rule evaluations of `/business_rules/execute`, signal
  deliveries; and, read from the database at scrape time (the same in every API process), gauges the modules'
  manifests contribute (`Module.metrics`: open and overdue tasks, open instances) and the outbox backlog;
- the worker (`STEPWISE_WORKER_METRICS_PORT`): activity and step durations and instance lifecycle (from the
  projection batches it writes: workflow code itself records nothing, it must stay deterministic), rule
  evaluations of guards and event rules, outbox dispatch.

Labels stay bounded: routes are templates (`/api/workflows/instances/{id}`), never raw paths; definition ids
(chosen by designers) are capped per process, later ones counted as `other`; no label carries a tenant,
a user or a record id.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import datetime

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.db import sessionmaker, utcnow
from api.errors import NotFound, Unauthorized
from api.outbox_models import OutboxEvent
from api.settings import get_settings

log = logging.getLogger("stepwise.metrics")

OTHER = "other"

# The client adds a `*_created` series (the time a series was first seen) beside every counter and histogram
# series: twice the series, for a timestamp Prometheus' text format does not need.
disable_created_metrics()

# A module's contribution to a scrape: gauges read with the scrape's session (see `Module.metrics`).
MetricsSource = Callable[[AsyncSession], Awaitable[Iterable[Metric]]]


class BoundedLabel:
    """Values of a label that users choose (definition ids): the first `metrics_max_label_values` distinct values
    seen by this process are kept, later ones become `other`, so a tenant creating definitions in a loop cannot
    make the number of series grow without end."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def __call__(self, value: str | None) -> str:
        if not value:
            return "unknown"
        if value in self._seen:
            return value
        if len(self._seen) >= get_settings().metrics_max_label_values:
            return OTHER
        self._seen.add(value)
        return value


definition_label = BoundedLabel()

# Steps last from milliseconds (an automated step) to days (a user task waiting for its SLA).
STEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 1800, 3600, 4 * 3600, 86400, 7 * 86400)
ACTIVITY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
RULE_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)
LAG_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600)

HTTP_DURATION = Histogram("stepwise_http_request_duration_seconds",
                          "API requests by method, route template and status code", ("method", "route", "status"))
INSTANCES_STARTED = Counter("stepwise_instances_started", "Workflow instances started (WORKFLOW_STARTED projected)",
                            ("definition",))
INSTANCES_COMPLETED = Counter("stepwise_instances_completed", "Workflow instances that completed", ("definition",))
INSTANCES_FAILED = Counter("stepwise_instances_failed", "Workflow instances that failed (each failure, also "
                           "of an instance retried later)", ("definition",))
INSTANCES_CANCELLED = Counter("stepwise_instances_cancelled", "Workflow instances cancelled", ("definition",))
STEP_DURATION = Histogram("stepwise_step_duration_seconds", "Time from entering a step to leaving it",
                          ("definition", "step_type", "status"), buckets=STEP_BUCKETS)
ACTIVITY_DURATION = Histogram("stepwise_activity_duration_seconds", "One attempt of a definition activity",
                              ("activity_type", "outcome"), buckets=ACTIVITY_BUCKETS)
RULE_EVALUATIONS = Counter("stepwise_rule_evaluations", "Business rules evaluated, by rule type and result "
                           "(true, false, error)", ("rule_type", "result"))
RULE_DURATION = Histogram("stepwise_rule_evaluation_duration_seconds", "One evaluation call of the rules engine "
                          "(conditions and actions, without the database)", ("mode",), buckets=RULE_BUCKETS)
SIGNAL_DELIVERIES = Counter("stepwise_signal_deliveries", "Signals sent to instances, by how they were addressed "
                            "and what came of it", ("via", "outcome"))
OUTBOX_DISPATCHED = Counter("stepwise_outbox_events_dispatched", "Domain events delivered to every subscriber")
OUTBOX_FAILURES = Counter("stepwise_outbox_dispatch_failures", "Deliveries of a domain event that a subscriber "
                          "failed (retried)")
OUTBOX_DISPATCH_LAG = Histogram("stepwise_outbox_dispatch_lag_seconds", "From a domain event's commit to its "
                                "delivery", buckets=LAG_BUCKETS)


def observe_rule_evaluation(mode: str, seconds: float, results: Iterable[tuple[str, bool, str | None]]) -> None:
    """One call of the rules engine: `results` are (rule type, condition result, error) of the rules it ran."""
    RULE_DURATION.labels(mode).observe(seconds)
    for rule_type, condition, error in results:
        result = "error" if error is not None else "true" if condition else "false"
        RULE_EVALUATIONS.labels(rule_type or "unknown", result).inc()


# --- the API's HTTP middleware ------------------------------------------------------------------------

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpMetrics:
    """Times every request and labels it with the template of the route that answered, so
    `/api/workflows/instances/{id}` is one series whatever the ids; paths no route knows are `unmatched`.

    The route FastAPI puts in the scope carries its own template without the prefix its router was included
    under (`/api` for the modules' routers): `prefixes` names those, and one is put back when the path has it
    and as many more segments as it has. Plain Starlette routes and mounts of the app (the docs, the console's
    assets) leave no route in the scope: `routes` (the app's own) are matched again for them. Either way the
    label is made of templates, never of what a caller typed."""

    def __init__(self, app: ASGIApp, prefixes: Sequence[str] = (), routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.prefixes = tuple(prefixes)
        self.routes = routes

    def _plain_route(self, scope: Scope) -> BaseRoute | None:
        for route in self.routes:
            if isinstance(route, Route | Mount) and route.matches(scope)[0] is Match.FULL:
                return route
        return None

    def template(self, scope: Scope, asked: Scope) -> str:
        """`scope` as the app left it, `asked` as it came in (a mount rewrites the paths of the scope)."""
        route = scope.get("route") or self._plain_route(asked)
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        if not isinstance(template, str) or not template:
            return "unmatched"
        path = scope.get("path", "")
        for prefix in self.prefixes:
            if path.startswith(prefix + "/") and not template.startswith(prefix + "/") \
                    and path.count("/") == template.count("/") + prefix.count("/"):
                return prefix + template
        return template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        asked = {"type": "http", "path": scope["path"], "root_path": scope.get("root_path", ""),
                 "method": scope["method"]}
        status = 500  # what the server error middleware outside answers when the app raises

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            method = scope["method"] if scope["method"] in METHODS else OTHER
            elapsed = time.perf_counter() - started
            HTTP_DURATION.labels(method, self.template(scope, asked), str(status)).observe(elapsed)


# --- GET /metrics -----------------------------------------------------------------------------------------


class _Scraped:
    """A custom collector of families already read from the database for this scrape (the database is async,
    `collect` is not)."""

    def __init__(self, families: Sequence[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        yield from self.families


def _aware(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):  # SQLite aggregates come back as text
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=utcnow().tzinfo)
    return value


async def outbox_backlog(session: AsyncSession) -> list[Metric]:
    """Undelivered domain events and the age of the oldest: the dispatcher's lag as the database sees it."""
    pending, oldest = (await session.execute(
        select(func.count(), func.min(OutboxEvent.created_at)).where(OutboxEvent.dispatched_at.is_(None))
    )).one()
    since = _aware(oldest)
    lag = (utcnow() - since).total_seconds() if since else 0.0
    return [GaugeMetricFamily("stepwise_outbox_pending_events", "Domain events not delivered yet", value=pending),
            GaugeMetricFamily("stepwise_outbox_lag_seconds", "Age of the oldest undelivered domain event (0 when "
                              "none waits)", value=lag)]


def _check_access(request: Request) -> None:
    settings = get_settings()
    if settings.metrics_access == "disabled":
        raise NotFound("Not found")
    if settings.metrics_access == "token":
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        # No token configured refuses everyone rather than letting everyone in.
        if scheme.lower() != "bearer" or not settings.metrics_token \
                or not hmac.compare_digest(sent.strip().encode(), settings.metrics_token.encode()):
            raise Unauthorized("Unauthorized")


async def _database_families() -> list[Metric]:
    from api import manifest

    families: list[Metric] = []
    up = 1
    try:
        async with sessionmaker()() as session:
            for source in (outbox_backlog, *manifest.metrics_sources()):
                families.extend(await source(session))
    except Exception:  # noqa: BLE001 - the process's own metrics still answer; the gauge says what is missing
        log.warning("metrics: reading the database failed", exc_info=True)
        families, up = [], 0
    families.append(GaugeMetricFamily("stepwise_metrics_database_up", "1 when this scrape read the database "
                                      "gauges, 0 when the database did not answer", value=up))
    return families


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """The process's metrics in Prometheus' text format, then the gauges read from the database."""
    _check_access(request)
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_Scraped(await _database_families()))
    return Response(generate_latest(REGISTRY) + generate_latest(scraped), media_type=CONTENT_TYPE_LATEST)


# --- the worker's metrics port ---------------------------------------------------------------------------


def serve_worker_metrics(host: str, port: int) -> Callable[[], None] | None:
    """Serve this process's registry at http://host:port/ (any path) from a thread; returns what stops it, or
    None when the port is 0 or taken (the worker runs on without metrics rather than not at all)."""
    if not port:
        return None
    try:
        server, _ = start_http_server(port, addr=host, registry=REGISTRY)
    except OSError as error:
        log.warning("worker metrics not served on %s:%s: %s", host, port, error)
        return None
    log.info("worker metrics on http://%s:%s/metrics", host, port)
    return server.shutdown
