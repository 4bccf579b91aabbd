"""The organization tree: a pure layout of a tenant's organizations (depth, paths, ancestors,
children, descendants in display order) and `rebuild_tree`, which stores that layout on every row.

The whole tenant is recomputed on every write: trees are small, and recomputing everything keeps
every row consistent whatever moved. Reads that need names or order (list views, the switcher) use
`layout` directly on the rows they loaded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import BadRequest
from api.modules.directory.models import Organization

CYCLE_ERROR = "Organization hierarchy cannot contain cycles"
# Stored by `rebuild_tree`, never written directly.
TREE_COLUMNS = frozenset({"root_id", "tree_path", "depth", "ancestor_ids", "child_ids", "descendant_ids"})


class OrgLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def parent_id(self) -> str | None: ...
    @property
    def is_active(self) -> bool: ...


@dataclass
class Placed:
    """One organization's position in the tree."""

    id: str
    name: str
    parent_id: str | None
    is_active: bool
    depth: int = 0
    root_id: str = ""
    tree_path: str = ""
    path_label: str = ""
    ancestor_ids: list[str] = field(default_factory=list)
    child_ids: list[str] = field(default_factory=list)
    descendant_ids: list[str] = field(default_factory=list)


def has_cycle(parents: Mapping[str, str | None]) -> bool:
    """True when following `id -> parent` from some node comes back to a node already on the path.
    Parents that are not keys of the mapping end a path (they are treated as roots)."""
    done: set[str] = set()
    for start in parents:
        path: set[str] = set()
        node: str | None = start
        while node is not None and node in parents and node not in done:
            if node in path:
                return True
            path.add(node)
            node = parents[node]
        done |= path
    return False


def _order_key(node: Placed) -> tuple[str, str]:
    return (node.name.lower(), node.id)


def layout(orgs: Iterable[OrgLike]) -> list[Placed]:
    """Every organization placed in the tree, in display order (pre-order, siblings by name).

    A parent that is not among `orgs` (deleted, another tenant) makes its child a root; members of a
    cycle (only possible through data written behind the API's back) are shown as roots too, so a
    read never fails on bad data."""
    nodes = {o.id: Placed(o.id, o.name, o.parent_id, bool(o.is_active)) for o in orgs}
    for node in nodes.values():
        if node.parent_id == node.id or node.parent_id not in nodes:
            node.parent_id = None
    children: dict[str, list[Placed]] = {i: [] for i in nodes}
    for node in nodes.values():
        if node.parent_id is not None:
            children[node.parent_id].append(node)
    for kids in children.values():
        kids.sort(key=_order_key)

    ordered: list[Placed] = []

    def walk(node: Placed, ancestors: list[Placed]) -> list[str]:
        node.ancestor_ids = [a.id for a in ancestors]
        node.depth = len(ancestors)
        node.root_id = ancestors[0].id if ancestors else node.id
        node.tree_path = "/".join([*node.ancestor_ids, node.id])
        node.path_label = " / ".join([*(a.name for a in ancestors), node.name])
        node.child_ids = [c.id for c in children[node.id]]
        ordered.append(node)
        descendants: list[str] = []
        for child in children[node.id]:
            descendants.append(child.id)
            descendants.extend(walk(child, [*ancestors, node]))
        node.descendant_ids = descendants
        return descendants

    for root in sorted((n for n in nodes.values() if n.parent_id is None), key=_order_key):
        walk(root, [])
    placed = {n.id for n in ordered}
    # Whatever is left hangs off a cycle: break it at its first member by name.
    for node in sorted(nodes.values(), key=_order_key):
        if node.id not in placed:
            if node.parent_id is not None:
                children[node.parent_id].remove(node)
            node.parent_id = None
            walk(node, [])
            placed.update(n.id for n in ordered)
    return ordered


def nest(placed: list[Placed], item: Callable[[Placed], dict[str, Any]]) -> list[dict[str, Any]]:
    """Pre-ordered nodes (a parent before its children, as `layout` gives them) as nested items, each
    made by `item` with an empty `children` list; a node whose parent is not among `placed` is a root."""
    roots: list[dict[str, Any]] = []
    built: dict[str, dict[str, Any]] = {}
    for node in placed:
        made = built[node.id] = item(node)
        parent = built.get(node.parent_id) if node.parent_id else None
        (parent["children"] if parent is not None else roots).append(made)
    return roots


async def tenant_orgs(session: AsyncSession, tenant_id: str) -> list[Organization]:
    return list((await session.execute(
        select(Organization).where(Organization.tenant_id == tenant_id, Organization.deleted_at.is_(None))
    )).scalars().all())


async def rebuild_tree(session: AsyncSession, tenant_id: str) -> list[Placed]:
    """Recompute and store the tree columns of every live organization of the tenant."""
    orgs = await tenant_orgs(session, tenant_id)
    if has_cycle({o.id: o.parent_id for o in orgs}):
        raise BadRequest(CYCLE_ERROR)
    placed = layout(orgs)
    by_id = {p.id: p for p in placed}
    for org in orgs:
        p = by_id[org.id]
        values = {"parent_id": p.parent_id, "root_id": p.root_id, "tree_path": p.tree_path, "depth": p.depth,
                  "ancestor_ids": p.ancestor_ids, "child_ids": p.child_ids, "descendant_ids": p.descendant_ids}
        for attr, value in values.items():
            # Only real changes are written, so untouched rows keep their `updated_at`.
            if getattr(org, attr) != value:
                setattr(org, attr, value)
    await session.flush()
    return placed
