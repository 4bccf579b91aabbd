"""CALL_API against the app itself on a real socket: the one-time key carries the initiator's roles (no
more), lives only for the call, and the request is confined to the app's own `/api/`."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.exceptions import ApplicationError

from activities.deps import ActivityDeps
from activities.handlers import call_api
from api.db import sessionmaker
from api.modules.api_keys.models import ApiKey
from api.modules.auth.models import UserAcl
from api.modules.example.models import Todo
from api.modules.workflows.models import WorkflowDefinition, WorkflowInstance
from engine.contract import RunActivityInput
from tests.activities.conftest import activity_input
from tests.fixtures import Caller, World

TODOS = "/api/example/todos"


@pytest.fixture
def api_deps(deps: ActivityDeps, live_app: str) -> ActivityDeps:
    return dataclasses.replace(deps, settings=deps.settings.model_copy(update={"app_url": live_app}))


def call_input(caller: Caller, config: dict[str, Any], **kw: Any) -> RunActivityInput:
    kw.setdefault("initiated_by", caller.user_id)
    kw.setdefault("tenant_id", caller.tenant_id)
    kw.setdefault("organization_id", caller.org_id)
    return activity_input("CALL_API", config, **kw)


async def failure(deps: ActivityDeps, inp: RunActivityInput) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        await call_api.handle(inp, deps)
    return info.value


async def workflow_keys(instance_id: str) -> list[ApiKey]:
    async with sessionmaker()() as s:
        return list((await s.execute(
            select(ApiKey).where(ApiKey.name.like(f"workflow:{instance_id}:%")))).scalars())


async def test_calls_the_api_as_the_initiator_and_revokes_the_key(api_deps: ActivityDeps, world: World) -> None:
    me = await world.user(["example.todos.view", "example.todos.manage"])
    inp = call_input(me, {"endpoint": TODOS, "method": "POST", "body": {"title": "from a workflow"}},
                     activity_id="create-todo")
    out = await call_api.handle(inp, api_deps)
    assert out["status"] == 201 and out["statusText"] == "Created" and out["authenticated"] is True
    assert out["tenantId"] == me.tenant_id and out["organizationId"] == me.org_id
    assert out["headers"]["content-type"] == "application/json"
    todo_id = out["body"]["id"]
    async with sessionmaker()() as s:
        todo = await s.get(Todo, todo_id)
        assert todo is not None and todo.tenant_id == me.tenant_id and todo.organization_id == me.org_id
    [key] = await workflow_keys(inp.instance_id)
    assert key.name == f"workflow:{inp.instance_id}:create-todo" and key.deleted_at is not None
    assert key.created_by == me.user_id and key.tenant_id == me.tenant_id and key.expires_at is not None

    out = await call_api.handle(call_input(me, {"endpoint": TODOS, "query": {"search": "workflow"}}), api_deps)
    assert out["status"] == 200 and [i["title"] for i in out["body"]["items"]] == ["from a workflow"]


async def test_the_key_grants_no_more_than_the_initiator_has(api_deps: ActivityDeps, world: World) -> None:
    viewer = await world.user(["example.todos.view"])
    err = await failure(api_deps, call_input(viewer, {"endpoint": TODOS, "method": "POST",
                                                      "body": {"title": "nope"}}))
    assert err.type == "HTTP_4XX" and err.non_retryable
    assert err.message == ('CALL_API request failed with status 403 (non-retriable): '
                           '{"requiredFeatures":["example.todos.manage"],"error":"Forbidden"}')
    # A custom header cannot swap the key for another identity.
    out = await call_api.handle(call_input(viewer, {"endpoint": TODOS, "headers": {"X-API-Key": "omk_forged"}}),
                                api_deps)
    assert out["status"] == 200


async def test_a_personal_acl_narrower_than_the_roles_is_refused(api_deps: ActivityDeps, world: World) -> None:
    me = await world.user(["example.todos.view", "example.todos.manage"])
    async with sessionmaker()() as s:
        s.add(UserAcl(user_id=me.user_id, tenant_id=me.tenant_id, features_json=["example.todos.view"]))
        await s.commit()
    inp = call_input(me, {"endpoint": TODOS})
    err = await failure(api_deps, inp)
    assert "personal access list narrower than their roles" in err.message and err.non_retryable
    assert await workflow_keys(inp.instance_id) == []


async def test_without_traceable_roles_nothing_is_called(api_deps: ActivityDeps, world: World) -> None:
    roleless = await world.user()
    await world.user(["example.todos.view"])
    message = ("no traceable user roles could be resolved from the workflow instance or definition. CALL_API "
               "activities must run under the identity of the user who triggered them.")
    for initiated_by in [roleless.user_id, "trigger:abc", "no-such-user"]:
        inp = call_input(roleless, {"endpoint": TODOS}, initiated_by=initiated_by)
        err = await failure(api_deps, inp)
        assert err.message == (f"[CALL_API] Refusing to execute CALL_API for workflow instance {inp.instance_id}: "
                               + message)
        assert err.non_retryable and await workflow_keys(inp.instance_id) == []


async def test_falls_back_to_the_definition_author(api_deps: ActivityDeps, world: World) -> None:
    author = await world.user(["example.todos.view"])
    starter = await world.user(["example.todos.view"])
    async with sessionmaker()() as s:
        definition = WorkflowDefinition(workflow_id="wf-author", workflow_name="Author", definition={},
                                        tenant_id=author.tenant_id, organization_id=author.org_id,
                                        created_by=author.user_id)
        s.add(definition)
        await s.flush()
        instance = WorkflowInstance(definition_id=definition.id, workflow_id="wf-author", status="RUNNING",
                                    tenant_id=author.tenant_id, organization_id=author.org_id, metadata_json={})
        s.add(instance)
        await s.commit()
    by_definition = call_input(starter, {"endpoint": TODOS}, initiated_by=None, definition_id=definition.id)
    assert (await call_api.handle(by_definition, api_deps))["status"] == 200
    [key] = await workflow_keys(by_definition.instance_id)
    assert key.created_by == author.user_id
    # Nothing passed by the engine: the instance row says who started it.
    from_row = call_input(starter, {"endpoint": TODOS}, initiated_by=None, instance_id=instance.id)
    assert (await call_api.handle(from_row, api_deps))["status"] == 200
    [key] = await workflow_keys(instance.id)
    assert key.created_by == author.user_id


async def test_only_the_apps_own_api_is_reachable(api_deps: ActivityDeps, world: World, live_app: str) -> None:
    me = await world.user(["example.todos.view"])
    cases = {
        "": 'CALL_API requires "endpoint" field',
        "/admin": "CALL_API only supports /api/* paths, got: /admin",
        "/api/../admin": "CALL_API only supports /api/* paths, got: /api/../admin",
        "http://example.com/api/example/todos": "SSRF Prevention: CALL_API endpoint domain (example.com) does not "
                                                f"match APP_URL ({live_app.removeprefix('http://')})",
        f"{live_app}/admin": f"CALL_API only supports /api/* paths, got: {live_app}/admin",
        "api/example/todos": "Invalid endpoint URL: api/example/todos",
    }
    for endpoint, message in cases.items():
        inp = call_input(me, {"endpoint": endpoint})
        err = await failure(api_deps, inp)
        assert err.message == message and err.non_retryable, endpoint
        assert await workflow_keys(inp.instance_id) == []
    out = await call_api.handle(call_input(me, {"endpoint": f"{live_app}{TODOS}"}), api_deps)
    assert out["status"] == 200


async def test_not_found_is_a_4xx_and_unknown_methods_are_refused(api_deps: ActivityDeps, world: World) -> None:
    me = await world.user(["example.todos.view"])
    err = await failure(api_deps, call_input(me, {"endpoint": "/api/example/nothing-here"}))
    assert err.type == "HTTP_4XX" and err.message.startswith("CALL_API request failed with status 404 (non-retriable)")
    err = await failure(api_deps, call_input(me, {"endpoint": TODOS, "method": "TRACE"}))
    assert err.message == "CALL_API method not supported: TRACE"
    err = await failure(api_deps, call_input(me, {"endpoint": TODOS, "headers": {"Content-Length": "1"}}))
    assert err.message == "CALL_API header Content-Length: Header is set by the client" and err.non_retryable


async def test_server_errors_are_retryable(api_deps: ActivityDeps, world: World, live_app: str) -> None:
    me = await world.user(["example.todos.view"])
    down = dataclasses.replace(api_deps, settings=api_deps.settings.model_copy(
        update={"app_url": "http://127.0.0.1:9"}))
    inp = call_input(me, {"endpoint": TODOS})
    err = await failure(down, inp)
    assert err.message.startswith("CALL_API request failed:") and not err.non_retryable
    [key] = await workflow_keys(inp.instance_id)
    assert key.deleted_at is not None
