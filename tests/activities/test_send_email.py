"""SEND_EMAIL into the outbox directory: one message per idempotency key."""

from __future__ import annotations

import asyncio
import email
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.deps import ActivityDeps
from activities.handlers import send_email
from api.settings import get_settings
from tests.activities.conftest import activity_input


@pytest.fixture
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(get_settings(), "smtp_host", "")
    monkeypatch.setattr(get_settings(), "mail_outbox_dir", tmp_path / "outbox")
    return tmp_path / "outbox"


def messages(outbox: Path) -> list[email.message.Message]:
    if not outbox.exists():
        return []
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]


async def test_sends_once_per_key(deps: ActivityDeps, outbox: Path) -> None:
    inp = activity_input("SEND_EMAIL", {"to": "ann@example.com", "subject": "Order approved",
                                        "body": "Your order is approved."}, key="mail-1")
    out = await send_email.handle(inp, deps)
    assert out == {"sent": True, "to": "ann@example.com", "subject": "Order approved", "via": "emailService",
                   "transport": "outbox"}
    assert await send_email.handle(inp, deps) == out
    [msg] = messages(outbox)
    assert msg["To"] == "ann@example.com" and msg["Subject"] == "Order approved"
    assert "Your order is approved." in str(msg.get_payload())
    await send_email.handle(activity_input("SEND_EMAIL", inp.config, key="mail-2"), deps)
    assert len(messages(outbox)) == 2


async def test_overlapping_attempts_with_the_same_key_send_once(deps: ActivityDeps, outbox: Path) -> None:
    """An attempt that outlives its timeout may still be sending when the next one starts: one message."""
    inp = activity_input("SEND_EMAIL", {"to": "ann@example.com", "subject": "Overlap"}, key="mail-overlap")
    outs = await asyncio.gather(*(send_email.handle(inp, deps) for _ in range(4)))
    assert len(messages(outbox)) == 1
    assert all(out == outs[0] for out in outs)


async def test_template_data_and_recipient_lists(deps: ActivityDeps, outbox: Path) -> None:
    out = await send_email.handle(activity_input("SEND_EMAIL", {
        "to": ["a@example.com", "b@example.com"], "subject": "Hi", "template": "order-approved",
        "templateData": {"orderId": "o-1", "total": 12.5}}), deps)
    assert out["to"] == ["a@example.com", "b@example.com"] and out["template"] == "order-approved"
    [msg] = messages(outbox)
    assert msg["To"] == "a@example.com, b@example.com"
    assert str(msg.get_payload()).splitlines() == ["orderId: o-1", "total: 12.5"]


async def test_refusals(deps: ActivityDeps, outbox: Path) -> None:
    configs: list[dict[str, Any]] = [{"subject": "x"}, {"to": "a@example.com"}, {"to": "", "subject": "x"},
                                     {"to": [], "subject": "x"}]
    for config in configs:
        with pytest.raises(ApplicationError) as info:
            await send_email.handle(activity_input("SEND_EMAIL", config), deps)
        assert info.value.message == 'SEND_EMAIL requires "to" and "subject" fields' and info.value.non_retryable
    with pytest.raises(ApplicationError) as info:
        await send_email.handle(activity_input("SEND_EMAIL", {"to": "a@example.com",
                                                              "subject": "Hi\r\nBcc: victim@example.com"}), deps)
    assert info.value.message.startswith("SEND_EMAIL invalid message") and info.value.non_retryable
    assert messages(outbox) == []
