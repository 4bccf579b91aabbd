"""EXECUTE_FUNCTION: a Python function from `activities.functions`' registry.

Config `{functionName, args?: object}`. Output `{executed: true, functionName, result}`."""

from __future__ import annotations

import inspect
import json
from typing import Any

from activities import functions
from activities.deps import ActivityDeps
from activities.handlers.common import fail, text
from engine.contract import RunActivityInput


async def handle(inp: RunActivityInput, deps: ActivityDeps) -> dict[str, Any]:
    config = inp.config or {}
    name = text(config, "functionName")
    if name is None:
        raise fail('EXECUTE_FUNCTION requires "functionName" field')
    args = config.get("args")
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise fail('EXECUTE_FUNCTION "args" must be an object')
    fn = functions.get(name)
    if fn is None:
        raise fail(f'Workflow function "{name}" not registered in DI container (key: workflowFunction:{name})',
                   {"registered": sorted(functions.REGISTRY)})
    ctx = functions.FunctionContext(
        instance_id=inp.instance_id, tenant_id=inp.tenant_id, organization_id=inp.organization_id,
        user_id=inp.user_id, activity_id=inp.activity_id, activity_name=inp.activity_name,
        idempotency_key=inp.idempotency_key, context=dict(inp.context or {}),
    )
    try:
        result = fn(args, ctx)
        if inspect.isawaitable(result):
            result = await result
    except functions.FunctionError as exc:
        raise fail(f'Workflow function "{name}" failed: {exc}') from None
    except Exception as exc:  # noqa: BLE001 - anything else may be transient: the retry policy decides
        raise fail(f'Workflow function "{name}" failed: {type(exc).__name__}: {exc}', retryable=True) from None
    try:
        json.dumps(result)
    except (TypeError, ValueError):
        raise fail(f'Workflow function "{name}" returned a value that is not JSON-serializable') from None
    return {"executed": True, "functionName": name, "result": result}
