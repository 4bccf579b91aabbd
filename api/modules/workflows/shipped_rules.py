"""The guard rules of the code-defined workflows (`definitions/shipped/rules/`), installed into each tenant so
the shipped workflows can start (docs/workflows.md, "Shipped guard rules"). They live in the tenant's root
organization and apply to all of its organizations (`business_rules.service.install_rules`); a tenant's own
edits and deletions of them are kept, and reset-to-code puts a workflow's rules back."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import sessionmaker
from api.modules.business_rules.service import install_rules, rule_states
from api.modules.directory.models import Organization
from api.modules.workflows.definitions_service import shipped
from api.outbox import DomainEvent

# Tenants this process has installed into (installation is idempotent: this only spares the queries), and
# one lock per event loop (the API's and, in tests, the worker's).
_installed: set[str] = set()
_locks: dict[int, asyncio.Lock] = {}


def rules_of(workflow_id: str | None = None) -> list[dict[str, Any]]:
    """The shipped rules of the enabled modules' shipped workflows (of one workflow when named)."""
    return [rule for w in shipped().values() if workflow_id in (None, w.workflow_id) for rule in w.guard_rules]


async def _root_org(session: AsyncSession, tenant_id: str) -> str | None:
    return (await session.execute(select(Organization.id).where(
        Organization.tenant_id == tenant_id, Organization.parent_id.is_(None), Organization.deleted_at.is_(None),
    ).order_by(Organization.created_at, Organization.id).limit(1))).scalar_one_or_none()


async def install(session: AsyncSession, tenant_id: str, *, workflow_id: str | None = None,
                  reset: bool = False) -> list[str]:
    """Installs the shipped rules the tenant lacks (`reset`: puts them back as shipped) in `session`; the
    caller commits. Returns the ruleIds written. One query when nothing is missing."""
    return await install_rules(session, tenant_id=tenant_id, organization_id=lambda: _root_org(session, tenant_id),
                               rules=rules_of(workflow_id), reset=reset)


async def states(session: AsyncSession, tenant_id: str, workflow_id: str) -> dict[str, dict[str, Any]]:
    """The tenant's rows of a workflow's shipped rules (deleted ones too), as audit snapshots by row id."""
    return await rule_states(session, tenant_id, [str(r["ruleId"]) for r in rules_of(workflow_id)])


async def ensure(tenant_id: str, *, releasing: AsyncSession | None = None) -> None:
    """Installs the shipped rules the tenant lacks, in a transaction of its own (committed whatever becomes
    of the request that needed them: a start refused by these very rules still leaves them installed). One
    installation at a time per event loop, so many first starts at once take one extra connection, not one
    each; afterwards the tenant is remembered and nothing is asked.

    `releasing`: the caller's session, which has only read so far (authentication). Its transaction is ended
    first so it gives its connection back: requests waiting here while holding connections would otherwise
    leave none for the installation once there are as many of them as the pool has connections (every first
    start of a tenant timed out when 50 arrived at once)."""
    if not tenant_id or tenant_id in _installed:
        return
    if releasing is not None and releasing.in_transaction():
        await releasing.commit()
    lock = _locks.setdefault(id(asyncio.get_running_loop()), asyncio.Lock())
    async with lock:
        if tenant_id in _installed:
            return
        async with sessionmaker()() as session:
            try:
                await install(session, tenant_id)
                await session.commit()
            except IntegrityError:  # another process installed them at the same moment
                await session.rollback()
        _installed.add(tenant_id)


async def install_for_new_organization(event: DomainEvent) -> None:
    """Outbox subscriber: a tenant's first organization brings the shipped rules with it."""
    if not event.tenant_id:
        return
    await ensure(str(event.tenant_id))
