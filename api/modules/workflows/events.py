"""Outbox subscribers of the workflows module: event triggers start instances (`triggers.py`).

Imported by the worker through `api.app.load_subscribers`; the API process does not dispatch events.
"""

from __future__ import annotations

from api import outbox
from api.modules.workflows.triggers import start_workflows_for_event

outbox.subscriber("*")(start_workflows_for_event)
