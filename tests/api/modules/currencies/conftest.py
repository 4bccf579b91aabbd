"""Fixtures of the currencies tests: a local HTTP server answering like the NBP and Raiffeisen Bank Polska
rate APIs (recorded formats), the providers pointed at it, and a Temporal dev server with a worker serving
the manifests' code workflows and activities, as worker.py registers them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from temporalio.testing import WorkflowEnvironment

from api.settings import get_settings
from tests.http_server import reply, serving
from tests.temporal_env import api_talks_to, dev_server, manifest_queue

# NBP table C (api.nbp.pl/api/exchangerates/tables/c/{date}/?format=json): the banks' bid and ask per 1 unit.
NBP_TABLE = [{
    "table": "C", "no": "010/C/NBP/2026", "tradingDate": "2026-01-14", "effectiveDate": "2026-01-15",
    "rates": [
        {"currency": "dolar amerykański", "code": "USD", "bid": 3.5734, "ask": 3.6456},
        {"currency": "euro", "code": "EUR", "bid": 4.1783, "ask": 4.2627},
        {"currency": "forint (Węgry)", "code": "HUF", "bid": 0.010811, "ask": 0.011029},
        {"currency": "frank szwajcarski", "code": "CHF", "bid": 4.4712, "ask": 4.5616},
    ],
}]
# Raiffeisen Bank Polska (rest/rates/?type=kursywalut&range=all&date=...): several time slots a day, quotes per
# `units` of the currency.
RAIFFEISEN_TABLE = {
    "date": "2026-01-15",
    "rates": {
        "12:00": [{"code": "EUR", "units": 1, "buy": "4.1600", "sell": "4.3000", "spread": "0.1400",
                   "date": "2026-01-15", "time": "12:00:00"}],
        "08:00": [
            {"code": "EUR", "units": 1, "buy": "4.1500", "sell": "4.2900", "spread": "0.1400",
             "date": "2026-01-15", "time": "08:00:00"},
            {"code": "HUF", "units": 100, "buy": "1.0700", "sell": "1.1200", "spread": "0.0500",
             "date": "2026-01-15", "time": "08:00:00"},
        ],
    },
    "range": {"minRateDate": "2002-01-02", "maxRateDate": "2026-01-15"},
}


@dataclass
class Providers:
    """What the local provider server answers: `ok` (the recorded tables), `down` (HTTP 503), `garbage`
    (not JSON), `weird` (JSON of another shape), `empty` (404: no table that day). Records the requests."""

    nbp: str = "ok"
    raiffeisen: str = "ok"
    requests: list[str] = field(default_factory=list)


def _handler(state: Providers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - the http.server protocol
            state.requests.append(self.path)
            url = urlparse(self.path)
            if url.path.startswith("/nbp/exchangerates/tables/c/"):
                mode, table = state.nbp, NBP_TABLE
            elif url.path.rstrip("/") == "/raiffeisen/rest/rates" and parse_qs(url.query).get("type") == ["kursywalut"]:
                mode, table = state.raiffeisen, RAIFFEISEN_TABLE  # type: ignore[assignment]
            else:
                reply(self, 404, b'{"error": "unknown path"}')
                return
            if mode == "down":
                reply(self, 503, b"<html>Service Unavailable</html>", "text/html")
            elif mode == "garbage":
                reply(self, 200, b"<html>Maintenance</html>", "text/html")
            elif mode == "weird":
                reply(self, 200, json.dumps([{"rates": [{"code": "EUR", "bid": "abc"}]}] if table is NBP_TABLE
                                            else {"rates": {"08:00": [{"code": "EUR"}]}}).encode())
            elif mode == "empty":
                reply(self, 404, b"404 NotFound - Not Found - Brak danych", "text/plain")
            else:
                reply(self, 200, json.dumps(table).encode())

    return Handler


@pytest.fixture
def providers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Providers]:
    """The NBP and Raiffeisen providers talking to a local server (their real HTTP clients)."""
    state = Providers()
    with serving(_handler(state)) as port:
        settings = get_settings()
        monkeypatch.setattr(settings, "currencies_nbp_url", f"http://127.0.0.1:{port}/nbp")
        monkeypatch.setattr(settings, "currencies_raiffeisen_url", f"http://127.0.0.1:{port}/raiffeisen/rest/rates/")
        yield state


@pytest.fixture(scope="session")
async def currencies_temporal() -> AsyncIterator[WorkflowEnvironment]:
    async with dev_server() as env:
        yield env


@pytest.fixture(scope="session")
async def fetch_queue(currencies_temporal: WorkflowEnvironment) -> AsyncIterator[str]:
    async with manifest_queue(currencies_temporal, "currencies") as queue:
        yield queue


@pytest.fixture
def scheduler(currencies_temporal: WorkflowEnvironment, fetch_queue: str) -> Iterator[WorkflowEnvironment]:
    """The API's Temporal client pointed at the dev server whose worker runs the scheduled fetch."""
    with api_talks_to(currencies_temporal, fetch_queue) as env:
        yield env
