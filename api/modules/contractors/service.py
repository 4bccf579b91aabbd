"""The contractors module's public surface for other modules (docs/modules.md: a business module is used
only through its `service`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.crud import service as crud
from api.modules.contractors.models import Contractor
from api.modules.contractors.resources import contractors


async def contractors_by_id(session: AsyncSession, ctx: AuthContext,
                            ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Live contractors among `ids` the caller sees, as `{id: {id, name, shortName}}` in one query: for other
    modules naming contractors in their answers (a quote's client)."""
    wanted = {i for i in ids if isinstance(i, str) and i}
    if not wanted:
        return {}
    rows = (await session.execute(crud.scoped(contractors, ctx).where(
        Contractor.id.in_(wanted), Contractor.deleted_at.is_(None)))).scalars()
    return {r.id: {"id": r.id, "name": r.name, "shortName": r.short_name} for r in rows}
