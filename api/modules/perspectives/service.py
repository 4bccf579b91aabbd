"""Perspectives: a user's saved views of a table, and role views that members get by default.

A personal perspective lives in the tenant and organization the user signed in to; saving one under an
existing name updates it. One perspective per user and table (and one per role and table) is the
default. Role views are written by callers holding `perspectives.role_defaults`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.auth import AuthContext
from api.crud import service as crud
from api.db import utcnow
from api.errors import BadRequest, Forbidden, NotFound
from api.modules.auth.models import Role
from api.modules.perspectives.models import Perspective, RolePerspective
from api.modules.perspectives.schemas import PerspectiveSave

USE = "perspectives.use"
ROLE_DEFAULTS = "perspectives.role_defaults"
PERSPECTIVE = "perspectives.perspective"
ROLE_PERSPECTIVE = "perspectives.role_perspective"
TABLE_ID_MAX = 200


def _eq(column: Any, value: str | None) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.is_(None) if value is None else column == value
    return result


def table_id(raw: str) -> str:
    value = raw.strip()
    if not value or len(value) > TABLE_ID_MAX:
        raise BadRequest("Invalid table id")
    return value


def user_id(ctx: AuthContext) -> str:
    if not ctx.user_id:
        # An API key created by no user has nobody to keep views for.
        raise Forbidden("Perspectives belong to a user; this API key has none")
    return ctx.user_id


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def personal_item(row: Perspective) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "tableId": row.table_id, "settings": row.settings_json or {},
            "isDefault": bool(row.is_default), "createdAt": _iso(row.created_at), "updatedAt": _iso(row.updated_at)}


def role_item(row: RolePerspective, role_names: dict[str, str] | None = None) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "tableId": row.table_id, "settings": row.settings_json or {},
            "isDefault": bool(row.is_default), "createdAt": _iso(row.created_at), "updatedAt": _iso(row.updated_at),
            "roleId": row.role_id, "tenantId": row.tenant_id, "organizationId": row.organization_id,
            "roleName": (role_names or {}).get(row.role_id)}


def _mine(ctx: AuthContext, table: str) -> list[ColumnElement[bool]]:
    return [Perspective.user_id == user_id(ctx), _eq(Perspective.tenant_id, ctx.tenant_id),
            _eq(Perspective.organization_id, ctx.org_id), Perspective.table_id == table,
            Perspective.deleted_at.is_(None)]


def _roles_in_tenant(ctx: AuthContext) -> ColumnElement[bool]:
    """Roles a tenant may give views to: its own and the global ones."""
    scope: ColumnElement[bool] = or_(Role.tenant_id == ctx.tenant_id, Role.tenant_id.is_(None)) \
        if ctx.tenant_id else Role.tenant_id.is_(None)
    return scope


async def _roles(session: AsyncSession, ctx: AuthContext, ids: list[str] | None = None) -> list[Role]:
    stmt = select(Role).where(_roles_in_tenant(ctx), Role.deleted_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Role.id.in_(ids))
    return list((await session.execute(stmt.order_by(Role.name, Role.id))).scalars().all())


def _role_views_in_scope(ctx: AuthContext, table: str) -> list[ColumnElement[bool]]:
    """Role views that apply where the caller works: this tenant's (or global), for the caller's
    organization or for every organization."""
    return [RolePerspective.table_id == table, RolePerspective.deleted_at.is_(None),
            or_(_eq(RolePerspective.tenant_id, ctx.tenant_id), RolePerspective.tenant_id.is_(None)),
            or_(_eq(RolePerspective.organization_id, ctx.org_id), RolePerspective.organization_id.is_(None))]


async def state(session: AsyncSession, ctx: AuthContext, table: str) -> dict[str, Any]:
    personal = (await session.execute(
        select(Perspective).where(*_mine(ctx, table)).order_by(Perspective.updated_at.desc(), Perspective.id)
    )).scalars().all()
    can_apply = ctx.can(ROLE_DEFAULTS)
    assigned = await _roles(session, ctx, list(ctx.role_ids))
    available = await _roles(session, ctx) if can_apply else assigned
    names = {r.id: r.name for r in [*available, *assigned]}
    listed = [r.id for r in available]
    role_rows = (await session.execute(
        select(RolePerspective).where(RolePerspective.role_id.in_(list({*listed, *ctx.role_ids})),
                                      *_role_views_in_scope(ctx, table))
        .order_by(RolePerspective.updated_at.desc(), RolePerspective.id)
    )).scalars().all()
    stats: dict[str, dict[str, bool]] = {}
    for row in role_rows:
        entry = stats.setdefault(row.role_id, {"hasPerspective": True, "hasDefault": False})
        entry["hasDefault"] = entry["hasDefault"] or bool(row.is_default)
    personal_items = [personal_item(p) for p in personal]
    return {
        "tableId": table,
        "perspectives": personal_items,
        "defaultPerspectiveId": next((p["id"] for p in personal_items if p["isDefault"]), None),
        # The views the caller's own roles offer (what the table falls back to without a personal default).
        "rolePerspectives": [role_item(r, names) for r in role_rows if r.role_id in ctx.role_ids],
        "roles": [{"id": r.id, "name": r.name,
                   "hasPerspective": r.id in stats, "hasDefault": stats.get(r.id, {}).get("hasDefault", False)}
                  for r in available],
        "canApplyToRoles": can_apply,
    }


async def _record(session: AsyncSession, ctx: AuthContext, kind: str, action: str, row: Any,
                  before: dict[str, Any] | None, label: str) -> Any:
    after = None if action == "delete" else audit.snapshot(row)
    event = {"tableId": row.table_id, "name": row.name}
    return await crud.record(session, ctx, kind=kind, action=action, row=row, label=label, before=before,
                             after=after, event=event)


async def save(session: AsyncSession, ctx: AuthContext, table: str,
               body: PerspectiveSave) -> tuple[dict[str, Any], Any]:
    """Upsert the caller's perspective and, with `perspectives.role_defaults`, copy it to roles or clear
    theirs. Every check runs before the first write, so a refused request stores nothing."""
    owner = user_id(ctx)
    apply_to = body.apply_to_roles or []
    clear = [r for r in body.clear_role_ids or [] if r not in apply_to]
    if (apply_to or clear) and not ctx.can(ROLE_DEFAULTS):
        raise Forbidden("Forbidden", extra={"requiredFeatures": [ROLE_DEFAULTS]})
    if apply_to or clear:
        found = {r.id for r in await _roles(session, ctx, [*apply_to, *clear])}
        missing = [r for r in [*apply_to, *clear] if r not in found]
        if missing:
            raise BadRequest("Invalid roles", extra={"missing": missing})
    if body.perspective_id:
        row = (await session.execute(
            select(Perspective).where(Perspective.id == body.perspective_id, *_mine(ctx, table))
        )).scalars().first()
        if row is None:
            raise NotFound("Perspective not found")
    else:
        row = (await session.execute(
            select(Perspective).where(Perspective.name == body.name, *_mine(ctx, table))
        )).scalars().first()
    if row is not None and body.perspective_id and row.name != body.name:
        taken = (await session.execute(
            select(Perspective.id).where(Perspective.name == body.name, Perspective.id != row.id, *_mine(ctx, table))
        )).first()
        if taken is not None:
            raise BadRequest("A perspective with this name already exists")
    settings = body.settings.stored()
    now = utcnow()
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = Perspective(user_id=owner, tenant_id=ctx.tenant_id, organization_id=ctx.org_id, table_id=table,
                          name=body.name, is_default=bool(body.is_default))
        session.add(row)
    row.name = body.name
    row.settings_json = settings
    row.updated_at = now
    if body.is_default is not None:
        row.is_default = body.is_default
    await session.flush()
    if body.is_default:
        # Losing the flag is not an edit of the other view: its place in the newest-first list stays.
        await session.execute(update(Perspective).where(*_mine(ctx, table), Perspective.id != row.id,
                                                        Perspective.is_default.is_(True))
                              .values(is_default=False, updated_at=Perspective.updated_at))
    entry = await _record(session, ctx, PERSPECTIVE, "create" if before is None else "update", row, before,
                          "Perspective")
    role_rows = await _apply_to_roles(session, ctx, table, apply_to, body.name, settings,
                                      body.set_role_default) if apply_to else []
    if clear:
        await clear_roles(session, ctx, table, clear)
    names = {r.id: r.name for r in await _roles(session, ctx, apply_to)} if apply_to else {}
    return {"perspective": personal_item(row), "rolePerspectives": [role_item(r, names) for r in role_rows],
            "clearedRoleIds": clear}, entry


async def _apply_to_roles(session: AsyncSession, ctx: AuthContext, table: str, role_ids: list[str], name: str,
                          settings: dict[str, Any], set_default: bool | None) -> list[RolePerspective]:
    now = utcnow()
    out: list[RolePerspective] = []
    for role_id in role_ids:
        same = [RolePerspective.role_id == role_id, RolePerspective.table_id == table,
                _eq(RolePerspective.tenant_id, ctx.tenant_id), _eq(RolePerspective.organization_id, ctx.org_id),
                RolePerspective.deleted_at.is_(None)]
        row = (await session.execute(select(RolePerspective).where(*same, RolePerspective.name == name))
               ).scalars().first()
        before = audit.snapshot(row) if row is not None else None
        if row is None:
            row = RolePerspective(role_id=role_id, tenant_id=ctx.tenant_id, organization_id=ctx.org_id,
                                  table_id=table, name=name, is_default=bool(set_default))
            session.add(row)
        row.settings_json = settings
        row.updated_at = now
        if set_default is not None:
            row.is_default = set_default
        await session.flush()
        if set_default:
            await session.execute(update(RolePerspective).where(*same, RolePerspective.id != row.id,
                                                                RolePerspective.is_default.is_(True))
                                  .values(is_default=False, updated_at=RolePerspective.updated_at))
        await _record(session, ctx, ROLE_PERSPECTIVE, "create" if before is None else "update", row, before,
                      "Role perspective")
        out.append(row)
    return out


async def clear_roles(session: AsyncSession, ctx: AuthContext, table: str, role_ids: list[str]) -> int:
    """Soft-delete the roles' views of `table` in the caller's tenant (every organization of it)."""
    rows = (await session.execute(
        select(RolePerspective).where(RolePerspective.role_id.in_(role_ids), RolePerspective.table_id == table,
                                      _eq(RolePerspective.tenant_id, ctx.tenant_id),
                                      RolePerspective.deleted_at.is_(None))
    )).scalars().all()
    now = utcnow()
    for row in rows:
        before = audit.snapshot(row)
        row.deleted_at = now
        row.is_default = False
        await session.flush()
        await _record(session, ctx, ROLE_PERSPECTIVE, "delete", row, before, "Role perspective")
    return len(rows)


async def role_in_scope(session: AsyncSession, ctx: AuthContext, role_id: str) -> Role:
    found = await _roles(session, ctx, [role_id])
    if not found:
        raise NotFound("Role not found")
    return found[0]


async def delete(session: AsyncSession, ctx: AuthContext, table: str, perspective_id: str) -> Any:
    row = (await session.execute(
        select(Perspective).where(Perspective.id == perspective_id, *_mine(ctx, table))
    )).scalars().first()
    if row is None:
        raise NotFound("Perspective not found")
    before = audit.snapshot(row)
    row.deleted_at = utcnow()
    row.is_default = False
    await session.flush()
    return await _record(session, ctx, PERSPECTIVE, "delete", row, before, "Perspective")
