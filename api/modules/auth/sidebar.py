"""Sidebar: the navigation a caller may see, shaped by sidebar preferences (per role, per user).

A role's preference is applied first and becomes the default its users see; the user's own
preference is applied on top. Hidden entries are dropped: a role can hide what a user may not bring
back, a user can hide more.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit, manifest
from api.auth import AuthContext
from api.db import new_id, utcnow
from api.errors import BadRequest, Forbidden
from api.manifest import NavEntry
from api.modules.auth.models import Role, RoleSidebarPreference, UserSidebarPreference
from api.modules.auth.schemas import SidebarPreferencesInput

SIDEBAR_MANAGE = "auth.sidebar.manage"
SIDEBAR_VERSION = 1
SUPPORTED_LOCALES = ("en", "pl", "de", "es")
DEFAULT_LOCALE = "en"


def request_locale(request: Request) -> str:
    value = request.cookies.get("locale")
    return value if value in SUPPORTED_LOCALES else DEFAULT_LOCALE


def _eq(column: Any, value: str | None) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.is_(None) if value is None else column == value
    return result


def _unique(values: Any) -> list[str]:
    out: list[str] = []
    for value in values if isinstance(values, list) else []:
        if isinstance(value, str) and value.strip() and value.strip() not in out:
            out.append(value.strip())
    return out


def _labels(values: Any) -> dict[str, str]:
    if not isinstance(values, dict):
        return {}
    return {k.strip(): v.strip() for k, v in values.items()
            if isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()}


def normalize(raw: Any) -> dict[str, Any]:
    """Stored settings in their canonical shape (tolerant of older or partial rows)."""
    raw = raw if isinstance(raw, dict) else {}
    version = raw.get("version")
    return {
        "version": version if isinstance(version, int) and not isinstance(version, bool) and version > 0
        else SIDEBAR_VERSION,
        "groupOrder": _unique(raw.get("groupOrder")),
        "groupLabels": _labels(raw.get("groupLabels")),
        "itemLabels": _labels(raw.get("itemLabels")),
        "hiddenItems": _unique(raw.get("hiddenItems")),
    }


# --- storage -------------------------------------------------------------------------------------------

async def _user_pref(session: AsyncSession, ctx: AuthContext, locale: str) -> UserSidebarPreference | None:
    if not ctx.user_id:
        return None
    return (await session.execute(
        select(UserSidebarPreference).where(
            UserSidebarPreference.user_id == ctx.user_id, _eq(UserSidebarPreference.tenant_id, ctx.tenant_id),
            _eq(UserSidebarPreference.organization_id, ctx.org_id), UserSidebarPreference.locale == locale)
    )).scalars().first()


async def _role_prefs(session: AsyncSession, role_ids: list[str], tenant_id: str | None,
                      locale: str) -> dict[str, RoleSidebarPreference]:
    if not role_ids:
        return {}
    rows = (await session.execute(
        select(RoleSidebarPreference).where(RoleSidebarPreference.role_id.in_(role_ids),
                                            _eq(RoleSidebarPreference.tenant_id, tenant_id),
                                            RoleSidebarPreference.locale == locale)
    )).scalars().all()
    return {r.role_id: r for r in rows}


async def _visible_roles(session: AsyncSession, ctx: AuthContext) -> list[Role]:
    """Roles whose sidebar this tenant may shape: its own and the global ones."""
    scope = or_(Role.tenant_id == ctx.tenant_id, Role.tenant_id.is_(None)) if ctx.tenant_id \
        else Role.tenant_id.is_(None)
    return list((await session.execute(
        select(Role).where(scope, Role.deleted_at.is_(None)).order_by(Role.name, Role.id)
    )).scalars().all())


async def _roles_payload(session: AsyncSession, ctx: AuthContext, roles: list[Role],
                         locale: str) -> list[dict[str, Any]]:
    prefs = await _role_prefs(session, [r.id for r in roles], ctx.tenant_id, locale)
    return [{"id": r.id, "name": r.name, "hasPreference": r.id in prefs} for r in roles]


async def get_preferences(session: AsyncSession, ctx: AuthContext, locale: str) -> dict[str, Any]:
    pref = await _user_pref(session, ctx, locale)
    can_apply = ctx.can(SIDEBAR_MANAGE)
    roles = await _visible_roles(session, ctx) if can_apply else []
    return {
        "locale": locale,
        "settings": normalize(pref.settings_json if pref else None),
        "canApplyToRoles": can_apply,
        "roles": await _roles_payload(session, ctx, roles, locale),
    }


async def put_preferences(session: AsyncSession, ctx: AuthContext, locale: str,
                          body: SidebarPreferencesInput) -> dict[str, Any]:
    settings = normalize({
        "version": body.version, "groupOrder": body.group_order or [], "groupLabels": body.group_labels or {},
        "itemLabels": body.item_labels or {}, "hiddenItems": body.hidden_items or [],
    })
    apply_to = _unique(body.apply_to_roles or [])
    clear = [r for r in _unique(body.clear_role_ids or []) if r not in apply_to]
    can_apply = ctx.can(SIDEBAR_MANAGE)
    if (apply_to or clear) and not can_apply:
        raise Forbidden("Forbidden", extra={"requiredFeatures": [SIDEBAR_MANAGE]})
    if not ctx.user_id:
        raise Forbidden("Cannot save preferences: no user associated with this API key")
    pref = await _user_pref(session, ctx, locale)
    if pref is None:
        pref = UserSidebarPreference(id=new_id(), user_id=ctx.user_id, tenant_id=ctx.tenant_id,
                                     organization_id=ctx.org_id, locale=locale)
        session.add(pref)
    pref.settings_json = settings
    pref.updated_at = utcnow()

    roles = await _visible_roles(session, ctx) if can_apply else []
    by_id = {r.id: r for r in roles}
    missing = [r for r in apply_to if r not in by_id]
    if missing:
        raise BadRequest("Invalid roles", extra={"missing": missing})
    existing = await _role_prefs(session, apply_to, ctx.tenant_id, locale)
    for role_id in apply_to:
        role_pref = existing.get(role_id)
        if role_pref is None:
            role_pref = RoleSidebarPreference(id=new_id(), role_id=role_id, tenant_id=ctx.tenant_id, locale=locale)
            session.add(role_pref)
        role_pref.settings_json = settings
        role_pref.updated_at = utcnow()
    cleared = [r for r in clear if r in by_id]
    if cleared:
        await session.execute(delete(RoleSidebarPreference).where(
            RoleSidebarPreference.role_id.in_(cleared), _eq(RoleSidebarPreference.tenant_id, ctx.tenant_id),
            RoleSidebarPreference.locale == locale))
    await session.flush()
    if apply_to or cleared:
        # Role-wide changes alter what other people see, so they go into the action log.
        await audit.record(session, ctx, command_id="auth.sidebar.apply_roles", resource_kind="auth.role_sidebar",
                           resource_id=ctx.user_id, before=None,
                           after={"appliedRoles": apply_to, "clearedRoles": cleared, "settings": settings},
                           label="Apply sidebar to roles")
        await session.flush()
    return {
        "locale": locale,
        "settings": settings,
        "canApplyToRoles": can_apply,
        "roles": await _roles_payload(session, ctx, roles, locale),
        "appliedRoles": apply_to,
        "clearedRoles": cleared,
    }


# --- navigation ----------------------------------------------------------------------------------------

def _base_groups(ctx: AuthContext, available: list[NavEntry]) -> list[dict[str, Any]]:
    visible = [e for e in available if ctx.can(*e.features)]
    groups: dict[str, dict[str, Any]] = {}
    for entry in sorted(visible, key=lambda e: (e.order, e.title)):
        group = groups.setdefault(entry.group_id, {
            "id": entry.group_id, "name": entry.group_name, "defaultName": entry.group_name,
            "weight": entry.group_order, "items": [],
        })
        group["weight"] = min(group["weight"], entry.group_order)
        group["items"].append({"href": entry.href, "title": entry.title, "defaultTitle": entry.title,
                               "enabled": True})
    return sorted(groups.values(), key=lambda g: (g["weight"], g["name"]))


def apply_preference(groups: list[dict[str, Any]], settings: dict[str, Any]) -> list[dict[str, Any]]:
    hidden = set(settings["hiddenItems"])
    out = []
    for group in groups:
        items = [{**item, "title": settings["itemLabels"].get(item["href"], item["defaultTitle"])}
                 for item in group["items"] if item["href"] not in hidden]
        if items:
            out.append({**group, "name": settings["groupLabels"].get(group["id"], group["defaultName"]),
                        "items": items})
    rank = {gid: i for i, gid in enumerate(settings["groupOrder"])}
    # Stable sort: groups the preference does not mention keep their default order, after the others.
    return sorted(out, key=lambda g: rank.get(g["id"], len(rank)))


def _adopt_defaults(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**g, "defaultName": g["name"],
             "items": [{**i, "defaultTitle": i["title"]} for i in g["items"]]} for g in groups]


async def navigation(session: AsyncSession, ctx: AuthContext, locale: str) -> dict[str, Any]:
    groups = _base_groups(ctx, manifest.navigation())
    # The caller's first role (in assignment order) that has a preference shapes the defaults.
    prefs = await _role_prefs(session, ctx.role_ids, ctx.tenant_id, locale)
    role_pref = next((prefs[rid] for rid in ctx.role_ids if rid in prefs), None)
    if role_pref is not None:
        groups = _adopt_defaults(apply_preference(groups, normalize(role_pref.settings_json)))
    user_pref = await _user_pref(session, ctx, locale)
    if user_pref is not None:
        groups = apply_preference(groups, normalize(user_pref.settings_json))
    return {"groups": [{"id": g["id"], "name": g["name"], "defaultName": g["defaultName"],
                        "items": g["items"]} for g in groups]}
