"""Sales' public surface for other modules (the catalog's offers and channel prices)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.modules.sales.models import SalesChannel


async def live_channel_ids(session: AsyncSession, *, tenant_id: str, ids: Iterable[str],
                           organization_ids: Iterable[str] | None = None) -> set[str]:
    """Which of `ids` are live channels of the tenant (within `organization_ids` when given)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return set()
    stmt = select(SalesChannel.id).where(SalesChannel.tenant_id == tenant_id, SalesChannel.id.in_(wanted),
                                         SalesChannel.deleted_at.is_(None))
    if organization_ids is not None:
        stmt = stmt.where(SalesChannel.organization_id.in_(list(organization_ids)))
    return {str(r) for r in (await session.execute(stmt)).scalars()}
