"""Outgoing mail: `.eml` files in the outbox directory, or SMTP against a real (local) server."""

from __future__ import annotations

import asyncio
import email
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from api.mail import send_mail
from api.settings import get_settings


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def test_outbox_mode_writes_one_eml_per_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "smtp_host", "")
    monkeypatch.setattr(settings, "mail_outbox_dir", tmp_path / "outbox")
    first = await send_mail("someone@example.com", "Hello", "Line one\nZażółć gęślą jaźń\n")
    second = await send_mail("other@example.com", "Again", "Second")
    assert first is not None and second is not None and first != second
    assert _names(tmp_path / "outbox") == sorted([first.name, second.name])
    msg = email.message_from_bytes(first.read_bytes())
    assert msg["To"] == "someone@example.com" and msg["Subject"] == "Hello"
    assert msg["From"] == settings.mail_from and msg["Date"] and msg["Message-ID"]
    body = msg.get_payload(decode=True)
    assert isinstance(body, bytes) and "Zażółć gęślą jaźń" in body.decode(msg.get_content_charset() or "utf-8")


async def test_header_injection_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "smtp_host", "")
    monkeypatch.setattr(get_settings(), "mail_outbox_dir", tmp_path)
    with pytest.raises(ValueError):
        await send_mail("a@example.com", "Hi\r\nBcc: victim@example.com", "x")
    assert _names(tmp_path) == []


class SmtpSink:
    """The smallest SMTP server that accepts mail: enough for smtplib, records what it received."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        await reply("220 sink ready")
        sender, recipients = "", list[str]()
        while line := (await reader.readline()).decode().strip():
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                await reply("250 sink")
            elif verb == "MAIL":
                sender, recipients = line.split(":", 1)[1].strip(" <>"), []
                await reply("250 OK")
            elif verb == "RCPT":
                recipients.append(line.split(":", 1)[1].strip(" <>"))
                await reply("250 OK")
            elif verb == "DATA":
                await reply("354 go on")
                data = b""
                while (chunk := await reader.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.messages.append((sender, recipients, data))
                await reply("250 queued")
            elif verb == "QUIT":
                await reply("221 bye")
                break
            else:
                await reply("250 OK")
        writer.close()


@pytest.fixture
async def smtp_sink() -> AsyncIterator[tuple[SmtpSink, int]]:
    sink = SmtpSink()
    server = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield sink, port


async def test_smtp_mode_delivers_to_the_server(smtp_sink: tuple[SmtpSink, int], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    sink, port = smtp_sink
    settings = get_settings()
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", port)
    monkeypatch.setattr(settings, "mail_outbox_dir", tmp_path)
    assert await send_mail("user@example.com", "Reset", "Your link") is None
    assert len(sink.messages) == 1
    sender, recipients, data = sink.messages[0]
    assert sender == settings.mail_from and recipients == ["user@example.com"]
    msg = email.message_from_bytes(data)
    assert msg["Subject"] == "Reset" and msg["To"] == "user@example.com"
    assert _names(tmp_path) == []  # nothing went to the outbox
