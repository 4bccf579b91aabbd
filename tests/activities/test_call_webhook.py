"""CALL_WEBHOOK against real local servers: request shape, outputs, error texts and retryability, the
SSRF guard (decided on resolved addresses, connection pinned to a checked one), TLS to a pinned address."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import socket
import ssl
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from temporalio.exceptions import ApplicationError

from activities.deps import ActivityDeps
from activities.handlers import call_webhook
from api.settings import get_settings
from tests.activities.conftest import TLS_NAME, Received, Recorder, activity_input, static_resolver


async def call(deps: ActivityDeps, config: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return await call_webhook.handle(activity_input("CALL_WEBHOOK", config, **kw), deps)


async def failure(deps: ActivityDeps, config: dict[str, Any], **kw: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        await call(deps, config, **kw)
    return info.value


async def test_posts_json_with_idempotency_key(deps: ActivityDeps, webhook: Recorder) -> None:
    out = await call(deps, {"url": webhook.url("/json?x=1"), "body": {"order": 7, "name": "Zażółć"},
                            "headers": {"X-Custom": "yes"}}, key="key-123")
    assert out == {"status": 200, "statusText": "OK",
                   "result": {"method": "POST", "path": "/json?x=1", "body": {"order": 7, "name": "Zażółć"}}}
    [req] = webhook.requests
    assert req.headers["content-type"] == "application/json"
    assert req.headers["idempotency-key"] == "key-123"
    assert req.headers["x-custom"] == "yes"
    assert req.headers["host"] == f"127.0.0.1:{webhook.port}"


async def test_get_without_body_and_text_result(deps: ActivityDeps, webhook: Recorder) -> None:
    out = await call(deps, {"url": webhook.url("/text"), "method": "GET"})
    assert out == {"status": 200, "statusText": "OK", "result": "plain words"}
    assert webhook.requests[0].method == "GET" and webhook.requests[0].body == b""


async def test_every_method(deps: ActivityDeps, webhook: Recorder) -> None:
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"]:
        out = await call(deps, {"url": webhook.url("/json"), "method": method})
        assert out["result"]["method"] == method


async def test_redirects_are_refused_not_followed(deps: ActivityDeps, webhook: Recorder) -> None:
    err = await failure(deps, {"url": webhook.url("/redirect")})
    assert err.message == "CALL_WEBHOOK refused to follow redirect 302 to http://127.0.0.1:1/elsewhere"
    assert err.non_retryable and err.type == "ACTIVITY_FAILED"
    err = await failure(deps, {"url": webhook.url("/redirect-bare")})
    assert err.message == "CALL_WEBHOOK refused to follow redirect 301 to (no Location header)"
    assert [r.path for r in webhook.requests] == ["/redirect", "/redirect-bare"]


async def test_4xx_is_not_retried_5xx_is(deps: ActivityDeps, webhook: Recorder) -> None:
    err = await failure(deps, {"url": webhook.url("/status/404")})
    assert err.message == 'Webhook request failed with status 404: {"error":"status 404"}'
    assert err.type == "HTTP_4XX" and err.non_retryable and err.details == ({"status": 404},)
    err = await failure(deps, {"url": webhook.url("/status/503")})
    assert err.message == 'Webhook request failed with status 503: {"error":"status 503"}'
    assert err.type == "ACTIVITY_FAILED" and not err.non_retryable


async def test_config_is_validated(deps: ActivityDeps) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "url: Required"),
        ({"url": ""}, "url: Webhook URL is required"),
        ({"url": 5}, "url: Expected string, received number"),
        ({"url": "http://x", "method": "HEAD"},
         "method: Invalid enum value. Expected 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', received 'HEAD'"),
        ({"url": "http://x", "headers": {"A": 1}}, "headers.A: Expected string, received number"),
        ({"url": "http://x", "headers": []}, "headers: Expected object, received array"),
        ({"url": "http://x", "headers": {"Host": "internal.example"}}, "headers.Host: Header is set by the client"),
        ({"url": "http://x", "headers": {"X-A": "1\r\nX-B: 2"}}, "headers.X-A: Invalid header"),
        ({"method": "nope"}, "url: Required; method: Invalid enum value. Expected 'GET' | 'POST' | 'PUT' | "
                             "'PATCH' | 'DELETE', received 'nope'"),
    ]
    for config, message in cases:
        err = await failure(deps, config)
        assert err.message == f"CALL_WEBHOOK config invalid: {message}", config
        assert err.non_retryable


async def test_oversized_response_is_refused(deps: ActivityDeps, webhook: Recorder) -> None:
    err = await failure(deps, {"url": webhook.url("/big")})
    assert "larger than 1048576 bytes" in err.message and err.non_retryable


async def test_timeout(deps: ActivityDeps, webhook: Recorder) -> None:
    err = await failure(deps, {"url": webhook.url("/slow")}, timeout_ms=300)
    assert err.message == "Activity execution timeout after 300ms" and not err.non_retryable


async def test_connection_refused_is_retryable(deps: ActivityDeps) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    err = await failure(deps, {"url": f"http://127.0.0.1:{port}/"})
    assert err.message.startswith("Webhook request failed: could not connect to 127.0.0.1") and not err.non_retryable


# --- SSRF guard (private targets not allowed) -------------------------------------------------------


@pytest.fixture
def guarded(deps: ActivityDeps) -> ActivityDeps:
    return dataclasses.replace(deps, settings=deps.settings.model_copy(update={"webhook_allow_private": False}))


async def refused(deps: ActivityDeps, url: str) -> str:
    err = await failure(deps, {"url": url})
    assert err.non_retryable and err.type == "ACTIVITY_FAILED"
    message = err.message
    assert message.startswith("CALL_WEBHOOK rejected unsafe URL (reason="), message
    return message


async def test_private_loopback_link_local_and_metadata_addresses_are_refused(
        guarded: ActivityDeps, webhook: Recorder) -> None:
    port = webhook.port
    cases = {
        f"http://127.0.0.1:{port}/json": "reason=private_ip): Workflow webhook URL host 127.0.0.1 is a loopback",
        "http://10.0.0.1/": "is a private address",
        "http://172.16.0.1/": "is a private address",
        "http://192.168.1.1/": "is a private address",
        "http://169.254.169.254/latest/meta-data/": "host 169.254.169.254 is a metadata address",
        "http://169.254.1.1/": "is a link-local address",
        f"http://[::1]:{port}/json": "host ::1 is a loopback address",
        f"http://[::ffff:127.0.0.1]:{port}/json": "is a loopback address",
        "http://[::ffff:169.254.169.254]/": "is a metadata address",
        "http://[fd00:ec2::254]/": "is a metadata address",
        "http://[fe80::1]/": "is a link-local address",
        f"http://0.0.0.0:{port}/json": "is a unspecified address",
        "http://100.64.0.1/": "is a non-public address",
        "http://224.0.0.1/": "is a multicast address",
    }
    for url, expected in cases.items():
        assert expected in await refused(guarded, url), url
    assert webhook.requests == []


async def test_names_are_judged_by_what_they_resolve_to(guarded: ActivityDeps, webhook: Recorder) -> None:
    port = webhook.port
    message = await refused(guarded, f"http://localhost:{port}/json")
    assert "(reason=blocked_hostname)" in message
    for name in ["metadata.google.internal", "db.internal", "printer.local", "app.localhost"]:
        assert "(reason=blocked_hostname)" in await refused(guarded, f"http://{name}/")
    # Names not on any list, resolved by the system resolver to loopback.
    own = socket.gethostname()
    addresses = {str(info[4][0]) for info in socket.getaddrinfo(own, port)}
    if any(a.startswith("127.") or a == "::1" for a in addresses):
        message = await refused(guarded, f"http://{own}:{port}/json")
        assert f"(reason=private_resolved_ip): Workflow webhook URL host {own} resolves to a loopback" in message
    message = await refused(guarded, f"http://2130706433:{port}/json")
    assert "resolves to a loopback address (127.0.0.1)" in message
    assert webhook.requests == []


async def test_one_private_answer_among_public_ones_is_enough_to_refuse(
        guarded: ActivityDeps, webhook: Recorder) -> None:
    rebinding = dataclasses.replace(guarded, resolve=static_resolver({"rebind.test": ["93.184.216.34",
                                                                                     "127.0.0.1"]}))
    message = await refused(rebinding, f"http://rebind.test:{webhook.port}/json")
    assert "resolves to a loopback address (127.0.0.1)" in message
    assert webhook.requests == []


async def test_schemes_and_credentials(guarded: ActivityDeps) -> None:
    assert "(reason=protocol_not_allowed)" in await refused(guarded, "ftp://example.com/file")
    assert "(reason=protocol_not_allowed)" in await refused(guarded, "file:///etc/passwd")
    assert "(reason=credentials_not_allowed)" in await refused(guarded, "http://user:pw@example.com/")
    assert "(reason=invalid_url)" in await refused(guarded, "http://")


async def test_unresolvable_name_is_a_retryable_failure(guarded: ActivityDeps) -> None:
    err = await failure(guarded, {"url": "http://does-not-exist.invalid/"})
    assert err.message.startswith("CALL_WEBHOOK Workflow webhook URL host does-not-exist.invalid could not be resolved")
    assert not err.non_retryable


async def test_the_connection_goes_to_the_checked_address(deps: ActivityDeps, webhook: Recorder) -> None:
    # "made-up.test" exists only in this resolver: reaching the server proves the client did not resolve
    # the name again, and the Host header still names it.
    pinned = dataclasses.replace(deps, resolve=static_resolver({"made-up.test": ["127.0.0.1"]}))
    out = await call(pinned, {"url": f"http://made-up.test:{webhook.port}/json", "method": "GET"})
    assert out["status"] == 200
    assert webhook.requests[0].headers["host"] == f"made-up.test:{webhook.port}"


async def test_tls_to_a_pinned_address_verifies_the_name(
        deps: ActivityDeps, https_server: Recorder, tls_files: tuple[Path, Path]) -> None:
    https_server.requests.clear()
    trust = ssl.create_default_context(cafile=str(tls_files[0]))
    pinned = dataclasses.replace(deps, verify=trust,
                                 resolve=static_resolver({TLS_NAME: ["127.0.0.1"], "other.test": ["127.0.0.1"]}))
    out = await call(pinned, {"url": f"https://{TLS_NAME}:{https_server.port}/json", "body": {"a": 1}})
    assert out["result"] == {"method": "POST", "path": "/json", "body": {"a": 1}}
    assert https_server.requests[0].headers["host"] == f"{TLS_NAME}:{https_server.port}"
    # Same address, another name: the certificate does not match it, so the call fails.
    err = await failure(pinned, {"url": f"https://other.test:{https_server.port}/json"})
    assert "could not connect to other.test" in err.message
    assert len(https_server.requests) == 1


# --- signature and delivery id ------------------------------------------------------------------------


def verify_by_hand(secret: str, req: Received) -> bool:
    """The receiver's check as docs/workflows.md spells it, without a library."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{req.headers['webhook-id']}.{req.headers['webhook-timestamp']}.".encode() + req.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [part.split(",", 1)[1] for part in req.headers["webhook-signature"].split(" ")
               if part.startswith("v1,")]
    return any(hmac.compare_digest(expected, sig) for sig in offered)


async def test_deliveries_are_signed_for_the_receiver_to_verify(deps: ActivityDeps, webhook: Recorder) -> None:
    tenant = str(uuid.uuid4())
    await call(deps, {"url": webhook.url("/json"), "body": {"order": 7, "name": "Zażółć"}}, tenant_id=tenant,
               key="delivery-1")
    [req] = webhook.requests
    secret = deps.settings.webhook_secret(tenant)
    assert secret.startswith("whsec_") and req.headers["webhook-id"] == "delivery-1"
    assert abs(int(req.headers["webhook-timestamp"]) - time.time()) < 60
    # The Standard Webhooks library a receiver would use, and the documented steps by hand.
    assert Webhook(secret).verify(req.body, req.headers) == {"order": 7, "name": "Zażółć"}
    assert verify_by_hand(secret, req)
    # Another tenant's secret, a changed body or a changed timestamp do not verify.
    other = deps.settings.webhook_secret(str(uuid.uuid4()))
    assert other != secret and not verify_by_hand(other, req)
    assert not verify_by_hand(secret, dataclasses.replace(req, body=req.body.replace(b"7", b"8")))
    moved = {**req.headers, "webhook-timestamp": str(int(req.headers["webhook-timestamp"]) + 1)}
    assert not verify_by_hand(secret, dataclasses.replace(req, headers=moved))
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(req.body, req.headers)


async def test_a_retry_keeps_its_delivery_id_and_bodiless_calls_are_signed(deps: ActivityDeps,
                                                                        webhook: Recorder) -> None:
    tenant = str(uuid.uuid4())
    for _ in range(2):
        await call(deps, {"url": webhook.url("/json"), "method": "GET"}, tenant_id=tenant, key="same-execution")
    first, second = webhook.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == "same-execution"
    assert first.body == b"" and verify_by_hand(deps.settings.webhook_secret(tenant), first)


async def test_a_definition_cannot_forge_the_signature_headers(deps: ActivityDeps, webhook: Recorder) -> None:
    tenant = str(uuid.uuid4())
    await call(deps, {"url": webhook.url("/json"), "body": [1],
                      "headers": {"webhook-signature": "v1,forged", "Webhook-Id": "mine"}},
               tenant_id=tenant, key="k-9")
    [req] = webhook.requests
    assert req.headers["webhook-id"] == "k-9" and "forged" not in req.headers["webhook-signature"]
    assert verify_by_hand(deps.settings.webhook_secret(tenant), req)


def test_the_secret_is_stable_and_follows_the_signing_key(tmp_path: Path) -> None:
    settings = get_settings().model_copy(update={"data_dir": tmp_path, "webhook_signing_key": ""})
    first = settings.webhook_secret("t-1")
    again = get_settings().model_copy(update={"data_dir": tmp_path, "webhook_signing_key": ""})
    assert again.webhook_secret("t-1") == first  # the generated key is kept in the data directory
    assert (tmp_path / "webhook_signing_key").exists()
    rotated = get_settings().model_copy(update={"webhook_signing_key": "another key"})
    assert rotated.webhook_secret("t-1") != first
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
