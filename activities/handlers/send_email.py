"""SEND_EMAIL: one plain-text message through `api.mail` (SMTP when configured, else an `.eml` file in
the outbox directory).

Config `{to (string or list), subject, body?, template?, templateData?}`. Without a body, the message
lists `templateData` (there is no template renderer; the template name goes into the output).
Output `{sent: true, to, subject, via: "emailService", transport: "smtp"|"outbox", template?}`.
A retry with the same idempotency key returns the first output and sends nothing."""

from __future__ import annotations

import json
import smtplib
from typing import Any

from activities.deps import ActivityDeps
from activities.handlers.common import fail
from activities.handlers.receipts import ReceiptStore
from api.mail import send_mail
from engine.contract import RunActivityInput


def _recipients(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return ", ".join(v.strip() for v in value)
    return None


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _body(config: dict[str, Any]) -> str:
    body = config.get("body")
    if body is not None and body != "":
        return _scalar(body)
    data = config.get("templateData") or config.get("data")
    if isinstance(data, dict):
        return "".join(f"{key}: {_scalar(value)}\n" for key, value in data.items())
    return ""


def receipts(deps: ActivityDeps) -> ReceiptStore:
    return ReceiptStore(deps.settings.data_dir / "receipts" / "send_email")


async def handle(inp: RunActivityInput, deps: ActivityDeps) -> dict[str, Any]:
    config = inp.config or {}
    to = _recipients(config.get("to"))
    subject = config.get("subject")
    if to is None or subject is None or subject == "":
        raise fail('SEND_EMAIL requires "to" and "subject" fields')
    subject = _scalar(subject)
    if not inp.idempotency_key:
        return await _send(to, subject, config)
    store = receipts(deps)
    # One attempt per key at a time: an attempt that outlived its timeout may still be sending when the retry
    # starts, and both would find no receipt.
    async with store.held(inp.idempotency_key):
        done = await store.get(inp.idempotency_key)
        if done is not None:
            return done
        output = await _send(to, subject, config)
        await store.put(inp.idempotency_key, output)
        return output


async def _send(to: str, subject: str, config: dict[str, Any]) -> dict[str, Any]:
    try:
        path = await send_mail(to, subject, _body(config))
    except ValueError as exc:
        # EmailMessage refuses line breaks in headers: a crafted address or subject, not a transient fault.
        raise fail(f"SEND_EMAIL invalid message: {exc}") from None
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise fail(f"SEND_EMAIL refused by the mail server: {exc}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise fail(f"SEND_EMAIL failed: {exc}", retryable=True) from None
    output: dict[str, Any] = {"sent": True, "to": config.get("to"), "subject": subject, "via": "emailService",
                              "transport": "outbox" if path is not None else "smtp"}
    if config.get("template"):
        output["template"] = config["template"]
    return output
