"""EXECUTE_FUNCTION: the registry, the built-ins, and which failures are retried."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities import functions
from activities.deps import ActivityDeps
from activities.handlers import execute_function
from tests.activities.conftest import activity_input


async def run(deps: ActivityDeps, config: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return await execute_function.handle(activity_input("EXECUTE_FUNCTION", config, **kw), deps)


async def failure(deps: ActivityDeps, config: dict[str, Any]) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        await run(deps, config)
    return info.value


async def test_built_ins(deps: ActivityDeps) -> None:
    assert await run(deps, {"functionName": "noop"}) == {"executed": True, "functionName": "noop", "result": {}}
    out = await run(deps, {"functionName": "math.sum", "args": {"values": [1, 2.5, -0.5]}})
    assert out["result"] == 3
    out = await run(deps, {"functionName": "text.template", "args": {"template": "Hi {{ user.name }}, #{{id}}{{x}}"}},
                    context={"user": {"name": "Ann"}, "id": 7})
    assert out["result"] == "Hi Ann, #7"
    out = await run(deps, {"functionName": "text.template", "args": {"template": "{{a.0}}", "data": {"a": ["z"]}}})
    assert out["result"] == "z"


async def test_unknown_and_missing_names(deps: ActivityDeps) -> None:
    err = await failure(deps, {"functionName": "nope"})
    assert err.message == 'Workflow function "nope" not registered in DI container (key: workflowFunction:nope)'
    assert err.non_retryable
    # TC-WF-017: a config naming `functionId` instead of `functionName` fails.
    err = await failure(deps, {"functionId": "noop"})
    assert err.message == 'EXECUTE_FUNCTION requires "functionName" field' and err.non_retryable
    err = await failure(deps, {"functionName": "noop", "args": [1]})
    assert err.message == 'EXECUTE_FUNCTION "args" must be an object'


async def test_bad_arguments_are_final_other_errors_are_retried(deps: ActivityDeps) -> None:
    err = await failure(deps, {"functionName": "math.sum", "args": {"values": [1, "2"]}})
    assert err.message == "Workflow function \"math.sum\" failed: \"values\" must be a list of numbers, got '2'"
    assert err.non_retryable

    @functions.register("test.flaky")
    async def flaky(args: dict[str, Any], ctx: functions.FunctionContext) -> Any:
        raise RuntimeError(f"backend down for {ctx.activity_id}")

    @functions.register("test.opaque")
    def opaque(args: dict[str, Any], ctx: functions.FunctionContext) -> Any:
        return object()

    try:
        err = await failure(deps, {"functionName": "test.flaky"})
        assert err.message == 'Workflow function "test.flaky" failed: RuntimeError: backend down for act-1'
        assert not err.non_retryable
        err = await failure(deps, {"functionName": "test.opaque"})
        assert err.message == 'Workflow function "test.opaque" returned a value that is not JSON-serializable'
    finally:
        functions.REGISTRY.pop("test.flaky")
        functions.REGISTRY.pop("test.opaque")


def test_names_are_registered_once() -> None:
    with pytest.raises(ValueError):
        functions.register("noop")(lambda args, ctx: None)
