"""The console over HTTP (in-process): sign-in redirects, CSRF on every state-changing post, pages rendered
from the API's answers, the definition editor's validation, and the API docs served without a CDN."""

from __future__ import annotations

import re

import httpx

from tests.api.modules.workflows.builders import minimal
from tests.fixtures import PASSWORD, Caller, World


def signed_in(caller: Caller) -> dict[str, str]:
    return {"cookie": f"auth_token={caller.token}"}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def test_signed_out_pages_go_to_login(client: httpx.AsyncClient) -> None:
    client.cookies.clear()  # the session-wide client keeps cookies other tests' logins set
    r = await client.get("/console/inbox?status=PENDING")
    assert r.status_code == 303 and r.headers["location"] == "/console/login?next=%2Fconsole%2Finbox%3Fstatus%3DPENDING"
    r = await client.get("/console/login", params={"next": "https://evil.example/"})
    assert r.status_code == 200 and 'value="/console/inbox"' in r.text
    r = await client.get("/console/inbox", headers={"cookie": "auth_token=garbage"})
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")


async def test_login_sets_the_cookie_and_bad_passwords_say_so(world: World, client: httpx.AsyncClient) -> None:
    me = await world.user(["workflows.*"])
    client.cookies.clear()
    r = await client.post("/console/login", data={"email": me.email, "password": "nope", "next": "/console/instances"})
    assert r.status_code == 400 and 'id="login-error"' in r.text
    r = await client.post("/console/login", data={"email": me.email, "password": PASSWORD,
                                                  "next": "/console/instances"})
    assert r.status_code == 303 and r.headers["location"] == "/console/instances"
    assert "auth_token=" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    client.cookies.clear()


async def test_state_changing_posts_need_the_csrf_token(world: World, client: httpx.AsyncClient) -> None:
    me = await world.user(["workflows.*"])
    page = await client.get("/console/definitions/new", headers=signed_in(me))
    assert page.status_code == 200
    token = csrf_of(page.text)
    body = {"source": '{"workflowId": "x"}', "action": "validate"}
    for sent in ({}, {"csrf": "0" * 64}):
        r = await client.post("/console/definitions/new", data={**body, **sent}, headers=signed_in(me))
        assert r.status_code == 403 and "expired" in r.text
    r = await client.post("/console/definitions/new", data={**body, "csrf": token},
                          headers={**signed_in(me), "origin": "https://evil.example"})
    assert r.status_code == 403
    other = await world.user(["workflows.*"])
    r = await client.post("/console/definitions/new", data={**body, "csrf": token}, headers=signed_in(other))
    assert r.status_code == 403, "a token is bound to its session"
    r = await client.post("/console/definitions/new", data={**body, "csrf": token}, headers=signed_in(me))
    assert r.status_code == 400 and "workflowName" in r.text


async def test_editor_validates_then_creates_and_pages_render(world: World, client: httpx.AsyncClient) -> None:
    me = await world.user(["workflows.*"])
    token = csrf_of((await client.get("/console/definitions/new", headers=signed_in(me))).text)
    payload = minimal()
    payload["definition"]["transitions"][0]["toStepId"] = "nowhere"
    import json

    r = await client.post("/console/definitions/new", headers=signed_in(me),
                          data={"source": json.dumps(payload), "action": "validate", "csrf": token})
    assert r.status_code == 200 and "UNKNOWN_STEP" in r.text and "definition.transitions.0.toStepId" in r.text
    listed = await me.get("/api/workflows/definitions", params={"workflowId": payload["workflowId"]})
    assert listed.json()["data"] == []
    r = await client.post("/console/definitions/new", headers=signed_in(me),
                          data={"source": json.dumps(minimal()), "action": "save", "csrf": token})
    assert r.status_code == 303 and r.headers["location"].startswith("/console/definitions/")
    page = await client.get(r.headers["location"], headers=signed_in(me))
    assert page.status_code == 200 and "<svg" in page.text and 'data-step-id="start"' in page.text
    for url in ("/console/inbox", "/console/inbox/rows", "/console/definitions", "/console/instances"):
        assert (await client.get(url, headers=signed_in(me))).status_code == 200, url
    stranger = await World(world.client).user(["workflows.*"])
    assert (await client.get(r.headers["location"], headers=signed_in(stranger))).status_code == 404


async def test_api_docs_and_console_assets_are_local(client: httpx.AsyncClient) -> None:
    docs = await client.get("/api/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text.lower()
    assets = re.findall(r'(?:src|href)="(/api/docs/assets/[^"]+)"', docs.text)
    assert len(assets) >= 2
    redoc = await client.get("/api/redoc")
    assets += re.findall(r'src="(/api/docs/assets/[^"]+)"', redoc.text)
    assert "fonts.googleapis" not in redoc.text
    for asset in [*assets, "/console/static/console.css", "/console/static/console.js"]:
        assert (await client.get(asset)).status_code == 200, asset
