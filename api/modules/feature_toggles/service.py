"""Feature toggles' public surface: what a toggle resolves to for a tenant (its override, else the
default), for modules that switch behaviour on a toggle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.modules.feature_toggles.models import FeatureToggle, FeatureToggleOverride

TYPES = ("boolean", "string", "number", "json")
ToggleType = Literal["boolean", "string", "number", "json"]


@dataclass(frozen=True)
class Resolution:
    toggle_id: str
    identifier: str
    tenant_id: str
    value_type: str
    value: Any
    source: Literal["override", "default"]


def fits(value_type: str, value: Any) -> bool:
    """Whether `value` is a value of a toggle of `value_type` (JSON toggles take any JSON value)."""
    if value_type == "boolean":
        return isinstance(value, bool)
    if value_type == "string":
        return isinstance(value, str)
    if value_type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return value_type == "json"


async def find(session: AsyncSession, identifier: str) -> FeatureToggle | None:
    row: FeatureToggle | None = (await session.execute(
        select(FeatureToggle).where(FeatureToggle.identifier == identifier, FeatureToggle.deleted_at.is_(None))
    )).scalars().first()
    return row


async def resolve(session: AsyncSession, identifier: str, tenant_id: str) -> Resolution | None:
    """The toggle's value for the tenant, or None when no live toggle has that identifier."""
    toggle = await find(session, identifier)
    if toggle is None:
        return None
    override = (await session.execute(
        select(FeatureToggleOverride).where(FeatureToggleOverride.toggle_id == toggle.id,
                                            FeatureToggleOverride.tenant_id == tenant_id)
    )).scalars().first()
    if override is not None:
        return Resolution(toggle.id, toggle.identifier, tenant_id, toggle.type, override.value, "override")
    return Resolution(toggle.id, toggle.identifier, tenant_id, toggle.type, toggle.default_value, "default")


async def is_enabled(session: AsyncSession, identifier: str, tenant_id: str) -> bool:
    """True only for a boolean toggle that resolves to true for the tenant."""
    found = await resolve(session, identifier, tenant_id)
    return found is not None and found.value_type == "boolean" and found.value is True
