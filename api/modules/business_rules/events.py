"""Outbox subscribers: rules that run on domain events (docs/rules.md), and the mail that NOTIFY
actions requested.

The module's manifest subscribes them (`module.py`); the worker's dispatcher delivers. A rule that
fails to evaluate is logged as an ERROR execution by the service and does not raise; what does raise
here is infrastructure (the database), and that is left to the dispatcher, which retries the event,
so rules run at least once (and exactly once thanks to the unique (event, rule) log row). Mail
failures are logged and skipped: a refused recipient must not hold up every later event.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from api import mail
from api.db import sessionmaker
from api.modules.business_rules import service
from api.outbox import DomainEvent

log = logging.getLogger("stepwise.business_rules")


async def run_rules_on_event(event: DomainEvent) -> None:
    """Run the rules of the event's tenant and organization that the event triggers."""
    if not service.wants_event(event):
        return
    if service.chain_depth(event.payload) >= service.MAX_CHAIN_DEPTH:
        log.warning("not running rules for %s (%s): rule-emitted event chain deeper than %d",
                    event.name, event.id, service.MAX_CHAIN_DEPTH)
        return
    try:
        async with sessionmaker()() as session:
            await service.run_rules_for_event(session, event)
            await session.commit()
    except IntegrityError:
        # Another delivery of this event logged these rules first; the unique (event, rule) pair
        # turned this one into a no-op.
        log.info("rules for event %s (%s) already ran", event.name, event.id)


async def send_requested_mail(event: DomainEvent) -> None:
    """One plain-text message per recipient of a NOTIFY action (at least once)."""
    recipients = event.payload.get("recipients")
    subject = str(event.payload.get("subject") or "")
    message = str(event.payload.get("message") or "")
    for recipient in recipients if isinstance(recipients, list) else []:
        if not isinstance(recipient, str) or not recipient.strip():
            continue
        try:
            await mail.send_mail(recipient.strip(), subject, message)
        except Exception:  # noqa: BLE001 - see the module docstring
            log.exception("sending rule mail to %s failed (event %s)", recipient, event.id)
