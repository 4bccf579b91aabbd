"""CALL_API: a call to this application's own `/api/*`, authenticated as the person the instance runs for.

Config `{endpoint, method? (GET), headers?, body?, query?, validateTenantMatch? (true)}`. Relative endpoints
must start with `/api/` and are prefixed with `settings.app_url`; absolute ones must be on APP_URL's host.

The request carries a one-time API key holding the current roles of the instance's initiator (its
`metadata.initiatedBy`, else the definition's author when no initiator is recorded), scoped
to the instance's tenant and organization, valid a few minutes and deleted after the call. So a workflow
can never do more through CALL_API than the person who started it could do by hand.

Output `{status, statusText, headers, body, authenticated: true, tenantId, organizationId}`. 4xx answers
fail with type HTTP_4XX (never retried); 5xx and transport errors are retried per the retry policy."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.deps import ActivityDeps
from activities.handlers.common import (
    HTTP_4XX,
    ResponseTooLarge,
    decode_body,
    fail,
    header_problem,
    read_limited,
    text,
    timeout_message,
    timeout_seconds,
)
from api.modules.api_keys.service import issue_one_time_key, revoke_key
from api.modules.auth.service import acl_narrower_than_roles, live_role_ids
from api.modules.workflows.models import WorkflowDefinition, WorkflowInstance
from engine.contract import RunActivityInput
from jscompat import js_stringify

log = logging.getLogger("stepwise.activities")

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
KEY_MIN_LIFETIME = timedelta(minutes=5)


def _host(url: httpx.URL) -> str:
    host = url.raw_host.decode("ascii").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{url.port}" if url.port is not None else host


def build_url(endpoint: str, app_url: str) -> httpx.URL:
    """The absolute URL to call, refusing anything outside the app's own `/api/`."""
    if endpoint.startswith("/"):
        if not endpoint.startswith("/api/"):
            raise fail(f"CALL_API only supports /api/* paths, got: {endpoint}")
        url = httpx.URL(app_url.rstrip("/") + endpoint)
    else:
        try:
            url = httpx.URL(endpoint)
        except (httpx.InvalidURL, ValueError):
            raise fail(f"Invalid endpoint URL: {endpoint}") from None
        if url.scheme not in ("http", "https") or not url.raw_host:
            raise fail(f"Invalid endpoint URL: {endpoint}")
        app_host = _host(httpx.URL(app_url))
        if _host(url) != app_host:
            raise fail(f"SSRF Prevention: CALL_API endpoint domain ({_host(url)}) does not match APP_URL "
                       f"({app_host})")
        if url.userinfo:
            raise fail(f"Invalid endpoint URL: {endpoint}")
    # Dot segments would let `/api/../` reach outside the API once a proxy normalizes the path.
    segments = url.path.split("/")
    if not url.path.startswith("/api/") or any(s in ("..", ".") for s in segments):
        raise fail(f"CALL_API only supports /api/* paths, got: {endpoint}")
    return url


async def _initiator_id(session: AsyncSession, inp: RunActivityInput) -> str | None:
    """Whose roles the key gets: `metadata.initiatedBy`, else (no initiator recorded) the definition's
    author. Never the author when an initiator is known: that would lend the author's permissions to
    whoever started the instance. "trigger:<id>" names no user, so it resolves to no roles."""
    initiated_by, definition_id = inp.initiated_by, inp.definition_id
    if not initiated_by and not definition_id:
        instance = await session.get(WorkflowInstance, inp.instance_id)
        if instance is None or instance.tenant_id != inp.tenant_id:
            return None
        initiated_by = (instance.metadata_json or {}).get("initiatedBy")
        definition_id = instance.definition_id
    if initiated_by:
        return str(initiated_by)
    definition = (await session.execute(
        select(WorkflowDefinition).where(WorkflowDefinition.id == definition_id,
                                         WorkflowDefinition.tenant_id == inp.tenant_id,
                                         WorkflowDefinition.deleted_at.is_(None))
    )).scalars().first()
    return definition.created_by if definition is not None else None


async def _issue_key(inp: RunActivityInput, deps: ActivityDeps, lifetime: timedelta) -> tuple[str, str]:
    refuse = (f"[CALL_API] Refusing to execute CALL_API for workflow instance {inp.instance_id}: ")
    async with deps.sessions() as session, session.begin():
        user_id = await _initiator_id(session, inp)
        role_ids = await live_role_ids(session, user_id=user_id, tenant_id=inp.tenant_id) if user_id else []
        if not role_ids:
            raise fail(refuse + "no traceable user roles could be resolved from the workflow instance or "
                       "definition. CALL_API activities must run under the identity of the user who "
                       "triggered them.")
        assert user_id is not None
        if await acl_narrower_than_roles(session, user_id=user_id, tenant_id=inp.tenant_id, role_ids=role_ids):
            raise fail(refuse + f"user {user_id} has a personal access list narrower than their roles, "
                       "which an API key cannot carry.")
        return await issue_one_time_key(
            session, tenant_id=inp.tenant_id, organization_id=inp.organization_id, role_ids=role_ids,
            name=f"workflow:{inp.instance_id}:{inp.activity_id}"[:200],
            description=f"One-time key for CALL_API of workflow instance {inp.instance_id}",
            created_by=user_id, lifetime=lifetime)


async def _revoke_key(deps: ActivityDeps, key_id: str) -> None:
    try:
        async with deps.sessions() as session, session.begin():
            await revoke_key(session, key_id=key_id)
    except Exception as exc:  # noqa: BLE001 - the key expires by itself; the call's outcome matters more
        log.warning("could not revoke one-time API key %s: %s", key_id, exc)


async def handle(inp: RunActivityInput, deps: ActivityDeps) -> dict[str, Any]:
    config = inp.config or {}
    endpoint = text(config, "endpoint")
    if endpoint is None:
        raise fail('CALL_API requires "endpoint" field')
    method = str(config.get("method") or "GET").upper()
    if method not in METHODS:
        raise fail(f"CALL_API method not supported: {method}")
    custom = config.get("headers") or {}
    query = config.get("query") or {}
    if not isinstance(custom, dict) or not isinstance(query, dict):
        raise fail('CALL_API "headers" and "query" must be objects')
    for name, value in custom.items():
        if (problem := header_problem(str(name), str(value))) is not None:
            raise fail(f"CALL_API header {name}: {problem}")
    url = build_url(endpoint, deps.settings.app_url)
    body = config.get("body")
    content = json.dumps(body, ensure_ascii=False).encode() if body is not None and method not in (
        "GET", "HEAD") else None
    timeout = timeout_seconds(inp.timeout_ms, deps.http_timeout_seconds)

    key_id, secret = await _issue_key(inp, deps, max(KEY_MIN_LIFETIME, timedelta(seconds=timeout + 60)))
    try:
        headers = httpx.Headers({
            "Content-Type": "application/json",
            "X-Tenant-Id": inp.tenant_id,
            "X-Organization-Id": inp.organization_id,
            "X-Workflow-Instance-Id": inp.instance_id,
        })
        for name, value in custom.items():
            headers[str(name)] = str(value)
        if inp.idempotency_key and "idempotency-key" not in headers:
            headers["Idempotency-Key"] = inp.idempotency_key
        # Set last: custom headers must not replace the key the call is authorized by.
        headers["X-API-Key"] = secret
        params = {str(k): str(v) for k, v in query.items() if v is not None}
        try:
            response = await deps.app_client().send(
                deps.app_client().build_request(method, url, headers=headers, content=content,
                                                params=params or None, timeout=timeout),
                stream=True,
            )
            try:
                raw = await read_limited(response, deps.max_response_bytes)
            finally:
                await response.aclose()
        except ResponseTooLarge as exc:
            raise fail(f"CALL_API request failed: {exc}") from None
        except httpx.TimeoutException:
            raise fail(timeout_message(inp.timeout_ms, deps.http_timeout_seconds), retryable=True) from None
        except httpx.HTTPError as exc:
            raise fail(f"CALL_API request failed: {exc or type(exc).__name__}", retryable=True) from None
    finally:
        await _revoke_key(deps, key_id)

    status = response.status_code
    result = decode_body(response, raw) if raw else None
    if not 200 <= status < 300:
        shown = result if isinstance(result, str) else js_stringify(result)
        if 400 <= status < 500:
            raise fail(f"CALL_API request failed with status {status} (non-retriable): {shown}", {"status": status},
                       type=HTTP_4XX)
        if status >= 500:
            raise fail(f"CALL_API request failed with status {status} (retriable): {shown}", {"status": status},
                       retryable=True)
        raise fail(f"CALL_API request failed with status {status}: {shown}", {"status": status})
    if config.get("validateTenantMatch", True) is not False and isinstance(result, dict):
        returned = result.get("tenantId")
        if returned and returned != inp.tenant_id:
            raise fail(f"Tenant ID mismatch: workflow expects {inp.tenant_id} but API returned {returned}")
    return {
        "status": status,
        "statusText": response.reason_phrase,
        "headers": dict(response.headers.items()),
        "body": result,
        "authenticated": True,
        "tenantId": inp.tenant_id,
        "organizationId": inp.organization_id,
    }
