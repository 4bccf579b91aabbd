"""Dashboards: the widget catalogue the modules' manifests contribute, who may place which widget, and
each user's layout.

Which widgets a user may place: the user's own list when an administrator set one (`mode: override`),
else the union of the lists of the user's roles (per role, the row for the user's organization wins over
the tenant-wide one), else every widget; then only those whose features the user holds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit, manifest
from api.auth import AuthContext, context_for_user
from api.crud import service as crud
from api.db import new_id, utcnow
from api.errors import BadRequest, Forbidden, NotFound
from api.modules.auth.models import Role, User
from api.modules.auth.schemas import is_uuid
from api.modules.dashboards.models import DashboardLayout, DashboardRoleWidgets, DashboardUserWidgets
from api.modules.dashboards.schemas import Layout, LayoutItemPatch, RoleWidgets, UserWidgets
from api.modules.directory.models import Organization

VIEW = "dashboards.view"
CONFIGURE = "dashboards.configure"
ASSIGN = "dashboards.admin.assign-widgets"
LAYOUT = "dashboards.layout"
ROLE_WIDGETS = "dashboards.role_widgets"
USER_WIDGETS = "dashboards.user_widgets"
DEFAULT_SIZE = "md"


def _eq(column: Any, value: str | None) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.is_(None) if value is None else column == value
    return result


# --- the catalogue ---------------------------------------------------------------------------------------

def catalogue() -> list[tuple[str, manifest.Widget]]:
    """Every module's widgets with the module that declares them, in manifest order; the first
    declaration of an id wins."""
    seen: dict[str, tuple[str, manifest.Widget]] = {}
    for module in manifest.modules():
        for widget in module.widgets:
            seen.setdefault(widget.id, (module.id, widget))
    return list(seen.values())


def widget_item(module_id: str, widget: manifest.Widget) -> dict[str, Any]:
    return {
        "id": widget.id,
        "title": widget.title,
        "description": widget.description,
        "defaultSize": widget.default_size or DEFAULT_SIZE,
        "defaultEnabled": widget.default_enabled,
        "defaultSettings": dict(widget.default_settings) if widget.default_settings is not None else None,
        "features": list(widget.features),
        "moduleId": module_id,
        "icon": widget.icon,
        "loaderKey": f"{module_id}:{widget.id}",
        "supportsRefresh": widget.supports_refresh,
    }


def catalogue_items() -> dict[str, Any]:
    return {"items": [widget_item(m, w) for m, w in catalogue()]}


# --- who may place what ----------------------------------------------------------------------------------

def _applies(tenant_id: str | None, org_id: str | None) -> list[ColumnElement[bool]]:
    return [or_(_eq(DashboardRoleWidgets.tenant_id, tenant_id), DashboardRoleWidgets.tenant_id.is_(None)),
            or_(_eq(DashboardRoleWidgets.organization_id, org_id), DashboardRoleWidgets.organization_id.is_(None))]


def _most_specific(rows: Any) -> dict[str, DashboardRoleWidgets]:
    """Per role, the row for the organization beats the tenant's, which beats a global one."""
    best: dict[str, DashboardRoleWidgets] = {}

    def score(r: DashboardRoleWidgets) -> int:
        return (1 if r.tenant_id else 0) + (2 if r.organization_id else 0)

    for row in rows:
        current = best.get(row.role_id)
        if current is None or score(row) > score(current):
            best[row.role_id] = row
    return best


async def _user_override(session: AsyncSession, user_id: str, tenant_id: str | None,
                         org_id: str | None) -> DashboardUserWidgets | None:
    return (await session.execute(select(DashboardUserWidgets).where(
        DashboardUserWidgets.user_id == user_id, _eq(DashboardUserWidgets.tenant_id, tenant_id),
        _eq(DashboardUserWidgets.organization_id, org_id)))).scalars().first()


async def allowed_widget_ids(session: AsyncSession, who: AuthContext, user_id: str | None, tenant_id: str | None,
                             org_id: str | None) -> list[str]:
    widgets = catalogue()
    known = [w.id for _, w in widgets]
    base: set[str] | None = None
    override = await _user_override(session, user_id, tenant_id, org_id) if user_id else None
    if override is not None and override.mode == "override":
        base = {i for i in override.widget_ids_json or [] if i in known}
    elif who.role_ids:
        rows = (await session.execute(select(DashboardRoleWidgets).where(
            DashboardRoleWidgets.role_id.in_(who.role_ids), *_applies(tenant_id, org_id)))).scalars().all()
        by_role = {i for row in _most_specific(rows).values() for i in row.widget_ids_json or [] if i in known}
        base = by_role or None
    return [w.id for _, w in widgets if (base is None or w.id in base) and who.can(*w.features)]


# --- the caller's layout ---------------------------------------------------------------------------------

def _owner(ctx: AuthContext) -> str:
    if not ctx.user_id:
        raise Forbidden("Dashboards belong to a user; this API key has none")
    return ctx.user_id


def _position(item: dict[str, Any]) -> int:
    for key in ("order", "priority"):
        value = item.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 0


def _normalized(items: Any) -> list[dict[str, Any]]:
    """Stored items in order, without duplicates or broken entries, numbered 0..n-1."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not item.get("id") or not item.get("widgetId"):
            continue
        if str(item["id"]) in seen:
            continue
        seen.add(str(item["id"]))
        out.append(item)
    out.sort(key=_position)
    return [{**item, "order": n, "priority": n} for n, item in enumerate(out)]


async def _layout(session: AsyncSession, ctx: AuthContext) -> DashboardLayout | None:
    return (await session.execute(select(DashboardLayout).where(
        DashboardLayout.user_id == _owner(ctx), _eq(DashboardLayout.tenant_id, ctx.tenant_id),
        _eq(DashboardLayout.organization_id, ctx.org_id)))).scalars().first()


def _default_items(allowed: list[str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for _, widget in catalogue():
        if widget.id in allowed and widget.default_enabled:
            item: dict[str, Any] = {"id": new_id(), "widgetId": widget.id, "order": len(items),
                                    "priority": len(items), "size": widget.default_size or DEFAULT_SIZE}
            if widget.default_settings is not None:
                item["settings"] = dict(widget.default_settings)
            items.append(item)
    return items


async def layout_state(session: AsyncSession, ctx: AuthContext) -> dict[str, Any]:
    """The caller's layout (created from the default widgets on first visit; items of widgets the caller
    may no longer place are dropped) with the widgets the caller may place."""
    owner = _owner(ctx)
    allowed = await allowed_widget_ids(session, ctx, owner, ctx.tenant_id, ctx.org_id)
    layout = await _layout(session, ctx)
    if layout is None:
        items = _default_items(allowed)
        layout = DashboardLayout(user_id=owner, tenant_id=ctx.tenant_id, organization_id=ctx.org_id,
                                 layout_json=items)
        try:
            # Two first visits at once: the second one reads the layout the first one stored.
            async with session.begin_nested():
                session.add(layout)
        except IntegrityError:
            layout = await _layout(session, ctx)
            assert layout is not None
    stored = layout.layout_json or []
    items = [i for i in _normalized(stored) if i["widgetId"] in allowed]
    if items != stored:
        layout.layout_json = items
        await session.flush()
    user = await session.get(User, owner)
    name = (user.name or "").strip() or None if user is not None else None
    email = user.email if user is not None else None
    by_id = dict((w.id, (m, w)) for m, w in catalogue())
    return {
        "layout": {"items": items},
        "allowedWidgetIds": allowed,
        "canConfigure": ctx.can(CONFIGURE),
        "context": {"userId": owner, "tenantId": ctx.tenant_id, "organizationId": ctx.org_id,
                    "userName": name, "userEmail": email, "userLabel": name or email or owner},
        "widgets": [widget_item(*by_id[i]) for i in allowed],
    }


async def _record(session: AsyncSession, ctx: AuthContext, kind: str, row: Any, before: dict[str, Any] | None,
                  label: str, *, deleted: bool = False) -> Any:
    action = "delete" if deleted else "create" if before is None else "update"
    after = None if deleted else audit.snapshot(row)
    return await crud.record(session, ctx, kind=kind, action=action, row=row, label=label, before=before,
                             after=after, event={})


async def save_layout(session: AsyncSession, ctx: AuthContext, body: Layout) -> Any:
    owner = _owner(ctx)
    ids = [i.id for i in body.items]
    if len(set(ids)) != len(ids):
        raise BadRequest("Layout item IDs must be unique")
    allowed = set(await allowed_widget_ids(session, ctx, owner, ctx.tenant_id, ctx.org_id))
    ordered = sorted(body.items, key=lambda i: i.order)
    items: list[dict[str, Any]] = []
    for item in ordered:
        if item.widget_id not in allowed:
            # Widgets the caller may not place are left out, as the layout view leaves them out.
            continue
        entry: dict[str, Any] = {"id": item.id, "widgetId": item.widget_id, "order": len(items),
                                 "priority": len(items), "size": item.size or DEFAULT_SIZE}
        if item.settings is not None:
            entry["settings"] = item.settings
        items.append(entry)
    layout = await _layout(session, ctx)
    before = audit.snapshot(layout) if layout is not None else None
    if layout is None:
        layout = DashboardLayout(user_id=owner, tenant_id=ctx.tenant_id, organization_id=ctx.org_id)
        session.add(layout)
    layout.layout_json = items
    layout.updated_at = utcnow()
    await session.flush()
    return await _record(session, ctx, LAYOUT, layout, before, "Dashboard layout")


async def patch_item(session: AsyncSession, ctx: AuthContext, item_id: str, body: LayoutItemPatch) -> Any:
    if not is_uuid(item_id):
        raise BadRequest("Invalid payload", [{"path": ["itemId"], "message": "Expected a UUID"}])
    layout = await _layout(session, ctx)
    if layout is None:
        raise NotFound("Layout not found")
    items = list(layout.layout_json or [])
    index = next((n for n, i in enumerate(items) if isinstance(i, dict) and i.get("id") == item_id), None)
    if index is None:
        raise NotFound("Layout item not found")
    before = audit.snapshot(layout)
    current = items[index]
    updated = {**current, "size": body.size or current.get("size") or DEFAULT_SIZE}
    if body.settings is not None:
        updated["settings"] = body.settings
    items[index] = updated
    layout.layout_json = items
    layout.updated_at = utcnow()
    await session.flush()
    return await _record(session, ctx, LAYOUT, layout, before, "Dashboard layout")


# --- assignments by administrators -----------------------------------------------------------------------

def id_param(name: str, value: str | None, *, required: bool) -> str | None:
    if value is None or not value.strip():
        if required:
            raise BadRequest(f"{name} is required")
        return None
    if not is_uuid(value.strip()):
        raise BadRequest("Invalid input", [{"path": [name], "message": "Expected a UUID"}])
    return value.strip().lower()


async def _scope(session: AsyncSession, ctx: AuthContext, tenant_id: str | None,
                 org_id: str | None) -> str | None:
    """The organization an assignment is for, checked against the caller's scope. The tenant is always
    the caller's: naming another one is refused."""
    if tenant_id is not None and tenant_id != ctx.tenant_id:
        raise Forbidden("Tenant outside your scope")
    if org_id is None:
        return None
    org = (await session.execute(select(Organization).where(
        Organization.id == org_id, _eq(Organization.tenant_id, ctx.tenant_id),
        Organization.deleted_at.is_(None)))).scalars().first()
    if org is None or not ctx.sees_org(org.id):
        raise Forbidden("Organization outside your scope")
    return org.id


async def _role(session: AsyncSession, ctx: AuthContext, role_id: str) -> Role:
    scope = or_(Role.tenant_id == ctx.tenant_id, Role.tenant_id.is_(None)) if ctx.tenant_id \
        else Role.tenant_id.is_(None)
    role = (await session.execute(select(Role).where(Role.id == role_id, scope, Role.deleted_at.is_(None))
                                  )).scalars().first()
    if role is None:
        raise NotFound("Role not found")
    return role


async def _user(session: AsyncSession, ctx: AuthContext, user_id: str) -> User:
    user = (await session.execute(select(User).where(
        User.id == user_id, _eq(User.tenant_id, ctx.tenant_id), User.deleted_at.is_(None)))).scalars().first()
    if user is None:
        raise NotFound("User not found")
    return user


def _unknown(widget_ids: list[str]) -> list[str]:
    known = {w.id for _, w in catalogue()}
    return list(dict.fromkeys(i for i in widget_ids if i not in known))


def _checked(widget_ids: list[str]) -> list[str]:
    unknown = _unknown(widget_ids)
    if unknown:
        raise BadRequest("Unknown widgets", extra={"unknown": unknown})
    return list(dict.fromkeys(widget_ids))


async def _role_row(session: AsyncSession, role_id: str, tenant_id: str | None,
                    org_id: str | None) -> DashboardRoleWidgets | None:
    return (await session.execute(select(DashboardRoleWidgets).where(
        DashboardRoleWidgets.role_id == role_id, _eq(DashboardRoleWidgets.tenant_id, tenant_id),
        _eq(DashboardRoleWidgets.organization_id, org_id)))).scalars().first()


async def role_widgets(session: AsyncSession, ctx: AuthContext, role_id: str, tenant_id: str | None,
                       org_id: str | None) -> dict[str, Any]:
    org = await _scope(session, ctx, tenant_id, org_id)
    role = await _role(session, ctx, role_id)
    rows = (await session.execute(select(DashboardRoleWidgets).where(
        DashboardRoleWidgets.role_id == role.id, *_applies(ctx.tenant_id, org)))).scalars().all()
    best = _most_specific(rows).get(role.id)
    return {"widgetIds": list(best.widget_ids_json or []) if best else [], "hasCustom": best is not None,
            "scope": {"tenantId": ctx.tenant_id, "organizationId": org}}


async def set_role_widgets(session: AsyncSession, ctx: AuthContext, body: RoleWidgets) -> tuple[dict[str, Any], Any]:
    """An empty list removes the role's row: its members fall back to every widget their features allow."""
    org = await _scope(session, ctx, body.tenant_id, body.organization_id)
    role = await _role(session, ctx, body.role_id)
    widget_ids = _checked(body.widget_ids)
    row = await _role_row(session, role.id, ctx.tenant_id, org)
    before = audit.snapshot(row) if row is not None else None
    entry = None
    if not widget_ids:
        if row is not None:
            await session.delete(row)
            await session.flush()
            entry = await _record(session, ctx, ROLE_WIDGETS, row, before, "Role dashboard widgets", deleted=True)
        return {"ok": True, "widgetIds": []}, entry
    if row is None:
        row = DashboardRoleWidgets(role_id=role.id, tenant_id=ctx.tenant_id, organization_id=org)
        session.add(row)
    row.widget_ids_json = widget_ids
    row.updated_at = utcnow()
    await session.flush()
    entry = await _record(session, ctx, ROLE_WIDGETS, row, before, "Role dashboard widgets")
    return {"ok": True, "widgetIds": widget_ids}, entry


async def user_widgets(session: AsyncSession, ctx: AuthContext, user_id: str, tenant_id: str | None,
                       org_id: str | None) -> dict[str, Any]:
    org = await _scope(session, ctx, tenant_id, org_id)
    user = await _user(session, ctx, user_id)
    # Without an organization: the one the user signs in to, where the user's dashboard lives.
    org = org or user.organization_id
    row = await _user_override(session, user.id, ctx.tenant_id, org)
    custom = row is not None and row.mode == "override"
    target = await context_for_user(session, user)
    return {
        "mode": row.mode if row is not None else "inherit",
        "widgetIds": list(row.widget_ids_json or []) if row is not None and custom else [],
        "hasCustom": custom,
        "effectiveWidgetIds": await allowed_widget_ids(session, target, user.id, ctx.tenant_id, org),
        "scope": {"tenantId": ctx.tenant_id, "organizationId": org},
    }


async def set_user_widgets(session: AsyncSession, ctx: AuthContext, body: UserWidgets) -> tuple[dict[str, Any], Any]:
    """`mode: inherit` removes the user's own list (the roles decide again); `override` replaces it."""
    org = await _scope(session, ctx, body.tenant_id, body.organization_id)
    user = await _user(session, ctx, body.user_id)
    org = org or user.organization_id
    widget_ids = _checked(body.widget_ids) if body.mode == "override" else []
    row = await _user_override(session, user.id, ctx.tenant_id, org)
    before = audit.snapshot(row) if row is not None else None
    entry = None
    if body.mode == "inherit":
        if row is not None:
            await session.delete(row)
            await session.flush()
            entry = await _record(session, ctx, USER_WIDGETS, row, before, "User dashboard widgets", deleted=True)
        return {"ok": True, "mode": "inherit", "widgetIds": []}, entry
    if row is None:
        row = DashboardUserWidgets(user_id=user.id, tenant_id=ctx.tenant_id, organization_id=org)
        session.add(row)
    row.mode = "override"
    row.widget_ids_json = widget_ids
    row.updated_at = utcnow()
    await session.flush()
    entry = await _record(session, ctx, USER_WIDGETS, row, before, "User dashboard widgets")
    return {"ok": True, "mode": "override", "widgetIds": widget_ids}, entry
