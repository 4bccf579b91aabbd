"""Every auth endpoint refuses the anonymous (401) and callers without its feature (403), except the
public sign-in endpoints; and the route table matches the reference's."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.fixtures import World

REFERENCE = Path(__file__).parents[3] / "data" / "reference_endpoints.json"
ANY_ID = str(uuid.uuid4())

# (method, path, features, request kwargs)
PROTECTED: list[tuple[str, str, list[str], dict[str, Any]]] = [
    ("GET", "/api/auth/users", ["auth.users.list"], {}),
    ("POST", "/api/auth/users", ["auth.users.create"],
     {"json": {"email": "nope@example.com", "password": "secret123", "organizationId": ANY_ID}}),
    ("PUT", "/api/auth/users", ["auth.users.edit"], {"json": {"id": ANY_ID, "name": "x"}}),
    ("DELETE", "/api/auth/users", ["auth.users.delete"], {"params": {"id": ANY_ID}}),
    ("GET", "/api/auth/users/acl", ["auth.acl.manage"], {"params": {"userId": ANY_ID}}),
    ("PUT", "/api/auth/users/acl", ["auth.acl.manage"], {"json": {"userId": ANY_ID, "features": []}}),
    ("GET", "/api/auth/roles", ["auth.roles.list"], {}),
    ("POST", "/api/auth/roles", ["auth.roles.manage"], {"json": {"name": "Nope"}}),
    ("PUT", "/api/auth/roles", ["auth.roles.manage"], {"json": {"id": ANY_ID, "name": "Nope"}}),
    ("DELETE", "/api/auth/roles", ["auth.roles.manage"], {"params": {"id": ANY_ID}}),
    ("GET", "/api/auth/roles/acl", ["auth.acl.manage"], {"params": {"roleId": ANY_ID}}),
    ("PUT", "/api/auth/roles/acl", ["auth.acl.manage"], {"json": {"roleId": ANY_ID, "features": []}}),
    ("GET", "/api/auth/features", ["auth.acl.manage"], {}),
    ("GET", "/api/auth/admin/nav", [], {}),
    ("POST", "/api/auth/feature-check", [], {"json": {"features": []}}),
    ("GET", "/api/auth/sidebar/preferences", [], {}),
    ("PUT", "/api/auth/sidebar/preferences", [], {"json": {}}),
]
# Logout works without a valid token: an expired sign-in must still be able to end its remembered session.
PUBLIC = {("POST", "/auth/login"), ("POST", "/auth/reset"), ("POST", "/auth/reset/confirm"),
          ("GET", "/auth/session/refresh"), ("GET", "/auth/locale"), ("POST", "/auth/locale"),
          ("GET", "/auth/logout"), ("POST", "/auth/logout")}


@pytest.mark.parametrize(("method", "path", "features", "kw"), PROTECTED,
                         ids=[f"{m} {p}" for m, p, _, _ in PROTECTED])
async def test_anonymous_and_featureless_callers_are_refused(world: World, client: httpx.AsyncClient, method: str,
                                                             path: str, features: list[str],
                                                             kw: dict[str, Any]) -> None:
    r = await client.request(method, path, **kw)
    assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}, r.text
    r = await client.request(method, path, headers={"Authorization": "Bearer garbage"}, **kw)
    assert r.status_code == 401
    if not features:
        return
    nobody = await world.user(["example.todos.view"])
    r = await nobody.client.request(method, path, headers={"Authorization": f"Bearer {nobody.token}"}, **kw)
    assert r.status_code == 403, r.text
    assert r.json() == {"error": "Forbidden", "requiredFeatures": features}
    allowed = await world.user(features)
    r = await allowed.client.request(method, path, headers={"Authorization": f"Bearer {allowed.token}"}, **kw)
    assert r.status_code != 401 and (r.status_code != 403 or "requiredFeatures" not in r.json()), r.text


def test_routes_and_features_match_the_reference(app: FastAPI) -> None:
    reference = [e for e in json.loads(REFERENCE.read_text()) if e["module"] == "Authentication & Accounts"]
    assert len(reference) == 25
    ours = {(m, p.removeprefix("/api")) for m, p, _, _ in PROTECTED} | PUBLIC
    assert ours == {(e["method"], e["path"]) for e in reference}
    features = {(m, p.removeprefix("/api")): f for m, p, f, _ in PROTECTED}
    for e in reference:
        if (e["method"], e["path"]) in features:
            assert features[(e["method"], e["path"])] == e["features"], e["path"]
    paths = app.openapi()["paths"]
    served = {(method.upper(), path.removeprefix("/api")) for path, ops in paths.items()
              if path.startswith("/api/auth/") for method in ops}
    assert served == ours
    for path, ops in paths.items():
        if path.startswith("/api/auth/"):
            assert all(op.get("summary") for op in ops.values()), path


async def test_public_endpoints_need_no_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/auth/locale")).status_code == 200
    r = await client.get("/api/auth/session/refresh")
    assert r.status_code == 302
    r = await client.post("/api/auth/reset", data={"email": "nobody-at-all@example.com"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    r = await client.post("/api/auth/reset/confirm", data={"token": "x" * 30, "password": "whatever1"})
    assert r.status_code == 400 and r.json()["ok"] is False
    r = await client.post("/api/auth/login", data={"email": "nobody-at-all@example.com", "password": "whatever1"})
    assert r.status_code == 401 and r.json()["ok"] is False
    for method in ("GET", "POST"):
        r = await client.request(method, "/api/auth/logout")
        assert r.status_code == 302 and r.headers["location"] == "/login"
