"""The app against the reference platform's endpoint list (`tests/data/reference_endpoints.json`: module,
method, path, auth and features of each endpoint): every endpoint of the finished modules is served, refuses
anonymous callers unless public, and refuses callers without its features."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from tests.fixtures import World

REFERENCE: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent.parent / "data" / "reference_endpoints.json").read_text())
DONE = ["Authentication & Accounts", "Directory", "API Keys", "Audit & Action Logs", "Example", "Business Rules",
        "Workflows", "Attachments", "Dictionaries", "Feature Toggles", "Configuration", "Onboarding", "Perspectives",
        "Dashboards", "Entities", "Search", "Query Index", "Currencies", "Catalog", "Customers", "Booking", "Sales",
        "Shipments", "Contractors", "FMS Quotes & Offers", "FMS Locations", "Fms Products", "Freighttech"]
# Anonymous by design (signing in, password reset, locale, files of public
# attachment partitions, self sign-up); everything else needs a caller.
PUBLIC = {("POST", "/auth/login"), ("POST", "/auth/reset"), ("POST", "/auth/reset/confirm"),
          ("GET", "/auth/session/refresh"), ("GET", "/auth/locale"), ("POST", "/auth/locale"),
          ("GET", "/auth/logout"), ("POST", "/auth/logout"),
          ("GET", "/attachments/file/{id}"), ("GET", "/attachments/image/{id}/{slug}"),
          ("POST", "/onboarding/onboarding"), ("GET", "/onboarding/onboarding/verify")}
ENDPOINTS = [e for e in REFERENCE if e["module"] in DONE]


def _norm(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/"))


def test_every_endpoint_of_the_finished_modules_is_served(app: FastAPI) -> None:
    served = {(m.upper(), _norm(p.removeprefix("/api"))) for p, ops in app.openapi()["paths"].items()
              for m in ops}
    missing = [f"{e['method']} {e['path']}" for e in ENDPOINTS if (e["method"], _norm(e["path"])) not in served]
    assert missing == []


def _features(endpoint: dict[str, Any]) -> set[str]:
    """The endpoint's features. The reference lists the customers widgets' two features as one
    concatenated string (`dashboards.viewcustomers.widgets.todos`): split such a string where both
    halves are features the app declares."""
    from api.features import CATALOGUE

    out: set[str] = set()
    for feature in endpoint["features"]:
        halves = [(feature[:i], feature[i:]) for i in range(1, len(feature))
                  if feature[:i] in CATALOGUE and feature[i:] in CATALOGUE]
        out.update(halves[0] if feature not in CATALOGUE and halves else [feature])
    return out


def _url(path: str) -> str:
    return "/api" + re.sub(r"\{[^}]*\}", "00000000-0000-4000-8000-000000000000", path)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if (e["method"], e["path"]) not in PUBLIC],
                         ids=lambda e: f"{e['method']} {e['path']}")
async def test_anonymous_callers_get_401(world: World, endpoint: dict[str, Any]) -> None:
    r = await world.client.request(endpoint["method"], _url(endpoint["path"]), json={})
    assert r.status_code == 401, r.text
    assert "error" in r.json()


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e["features"]],
                         ids=lambda e: f"{e['method']} {e['path']}")
async def test_callers_without_the_feature_get_403(world: World, endpoint: dict[str, Any]) -> None:
    # Holds every feature of the platform except the ones this endpoint needs.
    others = sorted({f for e in REFERENCE for f in _features(e)} - _features(endpoint))
    caller = await world.user(others)
    r = await caller.client.request(endpoint["method"], _url(endpoint["path"]), json={},
                                    headers={"Authorization": f"Bearer {caller.token}"})
    assert r.status_code == 403, r.text
    assert _features(endpoint) & set(r.json().get("requiredFeatures", endpoint["features"]))
