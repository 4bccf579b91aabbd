"""Outgoing mail: SMTP when `settings.smtp_host` is set, else one `.eml` file per message in
`settings.outbox_dir`, so development and tests can read what would have been sent."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from api.settings import Settings, get_settings


def build_message(to: str, subject: str, body: str, *, sender: str) -> EmailMessage:
    """A plain-text message. `EmailMessage` refuses line breaks in headers, so a crafted address or
    subject cannot inject extra headers."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(body)
    return msg


def _smtp_send(msg: EmailMessage, settings: Settings) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(msg)


def _write_outbox(msg: EmailMessage, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = directory / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
    # Written under a temporary name and renamed, so a reader never sees half a message.
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(msg.as_bytes())
    tmp.replace(path)
    return path


async def send_mail(to: str, subject: str, body: str) -> Path | None:
    """Send one plain-text message. Returns the `.eml` path in outbox mode, `None` after SMTP."""
    settings = get_settings()
    msg = build_message(to, subject, body, sender=settings.mail_from)
    if settings.smtp_host:
        # smtplib blocks; keep it off the event loop.
        await asyncio.to_thread(_smtp_send, msg, settings)
        return None
    return await asyncio.to_thread(_write_outbox, msg, settings.outbox_dir)
