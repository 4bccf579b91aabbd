"""Organization tree columns (rootId, treePath, depth, ancestors, children, descendants), recomputed
for the whole tenant on every write: trees are small and this keeps every row consistent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import BadRequest
from api.modules.directory.models import Organization


async def rebuild_tree(session: AsyncSession, tenant_id: str) -> None:
    orgs = (await session.execute(
        select(Organization).where(Organization.tenant_id == tenant_id, Organization.deleted_at.is_(None))
    )).scalars().all()
    by_id = {o.id: o for o in orgs}
    children: dict[str, list[str]] = {o.id: [] for o in orgs}
    for o in orgs:
        if o.parent_id and o.parent_id in by_id:
            children[o.parent_id].append(o.id)
    for o in orgs:
        ancestors: list[str] = []
        cursor = o.parent_id if o.parent_id in by_id else None
        while cursor is not None:
            if cursor in ancestors or cursor == o.id:
                raise BadRequest("Organization hierarchy cannot contain cycles")
            ancestors.insert(0, cursor)
            parent = by_id[cursor].parent_id
            cursor = parent if parent in by_id else None
        o.ancestor_ids = ancestors
        o.depth = len(ancestors)
        o.root_id = ancestors[0] if ancestors else o.id
        o.tree_path = "/".join([*ancestors, o.id])
        o.child_ids = sorted(children[o.id], key=lambda i: by_id[i].name)
    for o in orgs:
        prefix = o.tree_path + "/"
        o.descendant_ids = sorted(d.id for d in orgs if (d.tree_path or "").startswith(prefix))
    await session.flush()
