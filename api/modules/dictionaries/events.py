from __future__ import annotations

from api.db import sessionmaker
from api.modules.dictionaries.service import ensure_defaults
from api.outbox import DomainEvent


async def seed_new_organization(event: DomainEvent) -> None:
    """Every new organization starts with the default dictionaries (idempotent, so a redelivered event
    adds nothing)."""
    org_id = event.payload.get("id")
    tenant_id = event.tenant_id or event.payload.get("tenantId")
    if not isinstance(org_id, str) or not isinstance(tenant_id, str):
        return
    async with sessionmaker()() as session, session.begin():
        await ensure_defaults(session, tenant_id=tenant_id, organization_id=org_id)
