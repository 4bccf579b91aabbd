"""CALL_WEBHOOK: an HTTP request to an external URL, behind the SSRF guard, without following redirects.

Config `{url, method?: GET|POST|PUT|PATCH|DELETE (POST), headers?: {name: string}, body?: any}`.
Output `{status, statusText, result}` (result: parsed JSON, else text). The activity's idempotency key
goes out as `Idempotency-Key` and as the delivery id `webhook-id`, so a receiver can recognize a retried
delivery; `webhook-timestamp` and `webhook-signature` sign id, timestamp and body with the tenant's secret
(the Standard Webhooks scheme, so receivers can verify with its libraries)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from activities.deps import ActivityDeps
from activities.handlers.common import (
    HTTP_4XX,
    ResponseTooLarge,
    decode_body,
    fail,
    header_problem,
    read_limited,
    timeout_message,
    timeout_seconds,
)
from activities.handlers.url_safety import ResolutionFailed, SafeTarget, UnsafeUrl, check_url
from engine.contract import RunActivityInput
from jscompat import js_stringify, type_name

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _config_issues(config: dict[str, Any]) -> list[str]:
    """The reference validates with zod; the messages follow its wording."""
    issues: list[str] = []
    url = config.get("url")
    if url is None:
        issues.append("url: Required")
    elif not isinstance(url, str):
        issues.append(f"url: Expected string, received {type_name(url)}")
    elif not url:
        issues.append("url: Webhook URL is required")
    method = config.get("method", "POST")
    if method not in METHODS:
        expected = " | ".join(f"'{m}'" for m in METHODS)
        received = f"'{method}'" if isinstance(method, str) else type_name(method)
        issues.append(f"method: Invalid enum value. Expected {expected}, received {received}")
    headers = config.get("headers")
    if headers is not None:
        if not isinstance(headers, dict):
            issues.append(f"headers: Expected object, received {type_name(headers)}")
        else:
            for name, value in headers.items():
                if not isinstance(value, str):
                    issues.append(f"headers.{name}: Expected string, received {type_name(value)}")
                elif (problem := header_problem(str(name), value)) is not None:
                    issues.append(f"headers.{name}: {problem}")
    return issues


async def handle(inp: RunActivityInput, deps: ActivityDeps) -> dict[str, Any]:
    config = inp.config or {}
    issues = _config_issues(config)
    if issues:
        raise fail(f"CALL_WEBHOOK config invalid: {'; '.join(issues)}")
    method: str = config.get("method", "POST")
    try:
        target = await check_url(config["url"], allow_private=deps.settings.webhook_allow_private,
                                 resolve=deps.resolve)
    except UnsafeUrl as exc:
        raise fail(f"CALL_WEBHOOK rejected unsafe URL (reason={exc.reason}): {exc.message}") from None
    except ResolutionFailed as exc:
        raise fail(f"CALL_WEBHOOK {exc}", retryable=True) from None

    headers = httpx.Headers({"Content-Type": "application/json", **(config.get("headers") or {})})
    if inp.idempotency_key and "idempotency-key" not in headers:
        headers["Idempotency-Key"] = inp.idempotency_key
    # The connection goes to a checked address; the name still travels as Host and TLS server name.
    headers["Host"] = target.host_header
    body = config.get("body")
    text = json.dumps(body, ensure_ascii=False) if body is not None else None
    content = text.encode() if text is not None else None
    # Set after the designer's headers so a definition cannot forge or drop them. A Temporal retry of the
    # same execution keeps its id and is signed afresh with the time it is sent.
    delivery_id = inp.idempotency_key or f"{inp.instance_id}:{inp.activity_id}"
    sent_at = datetime.now(UTC)
    headers["webhook-id"] = delivery_id
    headers["webhook-timestamp"] = str(int(sent_at.timestamp()))
    headers["webhook-signature"] = Webhook(deps.settings.webhook_secret(inp.tenant_id)).sign(
        delivery_id, sent_at, text or "")

    response, raw = await _send(target, method, headers, content, inp, deps)
    status = response.status_code
    if 300 <= status < 400:
        location = response.headers.get("location") or "(no Location header)"
        raise fail(f"CALL_WEBHOOK refused to follow redirect {status} to {location}")
    result = decode_body(response, raw)
    if not 200 <= status < 300:
        message = f"Webhook request failed with status {status}: {js_stringify(result)}"
        if 400 <= status < 500:
            raise fail(message, {"status": status}, type=HTTP_4XX)
        raise fail(message, {"status": status}, retryable=True)
    return {"status": status, "statusText": response.reason_phrase, "result": result}


async def _send(target: SafeTarget, method: str, headers: httpx.Headers, content: bytes | None,
                inp: RunActivityInput, deps: ActivityDeps) -> tuple[httpx.Response, bytes]:
    timeout = timeout_seconds(inp.timeout_ms, deps.http_timeout_seconds)
    extensions = {} if target.is_ip_literal else {"sni_hostname": target.hostname}
    last_error: Exception | None = None
    # A fresh client per call: its pool is keyed by address, and a connection made for one name must
    # never carry a request for another.
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False, verify=deps.verify,
                                 timeout=timeout) as client:
        for address in target.addresses:
            request = client.build_request(method, target.pinned(address), headers=headers, content=content,
                                           extensions=extensions)
            try:
                response = await client.send(request, stream=True)
            except httpx.ConnectError as exc:
                last_error = exc
                continue
            except httpx.TimeoutException:
                raise fail(timeout_message(inp.timeout_ms, deps.http_timeout_seconds), retryable=True) from None
            except httpx.HTTPError as exc:
                raise fail(f"Webhook request failed: {exc or type(exc).__name__}", retryable=True) from None
            try:
                raw = await read_limited(response, deps.max_response_bytes)
            except ResponseTooLarge as exc:
                raise fail(f"Webhook request failed: {exc}") from None
            except httpx.TimeoutException:
                raise fail(timeout_message(inp.timeout_ms, deps.http_timeout_seconds), retryable=True) from None
            except httpx.HTTPError as exc:
                raise fail(f"Webhook request failed: {exc or type(exc).__name__}", retryable=True) from None
            finally:
                await response.aclose()
            return response, raw
    raise fail(f"Webhook request failed: could not connect to {target.hostname}: {last_error}", retryable=True)
