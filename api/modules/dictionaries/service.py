"""Dictionaries' public surface for other modules: the default dictionaries every organization gets,
and look-ups of entries by dictionary key (an organization sees its own dictionary of a key, else the
nearest ancestor's)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Conflict
from api.modules.dictionaries.models import Dictionary, DictionaryEntry
from api.modules.directory.models import Organization

# Dictionaries nobody may delete, rename or deactivate: currency codes are referenced everywhere.
PROTECTED_KEYS = frozenset({"currency", "currencies"})


@dataclass(frozen=True)
class Seed:
    value: str
    label: str
    color: str | None = None
    icon: str | None = None


@dataclass(frozen=True)
class DefaultDictionary:
    key: str
    name: str
    description: str
    entries: tuple[Seed, ...]


# The sales documents' status and kind lists (`/sales/*-statuses`, `/sales/adjustment-kinds` read them).
DEFAULTS: tuple[DefaultDictionary, ...] = (
    DefaultDictionary("sales.order_status", "Sales order statuses",
                      "Configurable set of statuses used by sales orders.", (
                          Seed("draft", "Draft", "#94a3b8", "lucide:file-pen-line"),
                          # The statuses the shipped sales.order-approval workflow sets (UPDATE_ENTITY statusValue).
                          Seed("pending_approval", "Pending Approval", "#f59e0b", "lucide:hourglass"),
                          Seed("approved", "Approved", "#16a34a", "lucide:check-circle"),
                          Seed("rejected", "Rejected", "#ef4444", "lucide:x-circle"),
                          Seed("sent", "Sent", "#0ea5e9", "lucide:send"),
                          Seed("confirmed", "Confirmed", "#2563eb", "lucide:badge-check"),
                          Seed("in_fulfillment", "In fulfillment", "#f59e0b", "lucide:loader-2"),
                          Seed("fulfilled", "Fulfilled", "#16a34a", "lucide:check-circle-2"),
                          Seed("on_hold", "On hold", "#a855f7", "lucide:pause-circle"),
                          Seed("canceled", "Canceled", "#ef4444", "lucide:x-circle"))),
    DefaultDictionary("sales.order_line_status", "Sales order line statuses",
                      "Configurable set of statuses used by sales order lines.", (
                          Seed("pending", "Pending", "#94a3b8", "lucide:clock"),
                          Seed("allocated", "Allocated", "#6366f1", "lucide:inbox"),
                          Seed("picking", "Picking", "#f59e0b", "lucide:hand"),
                          Seed("packed", "Packed", "#0ea5e9", "lucide:package"),
                          Seed("shipped", "Shipped", "#2563eb", "lucide:truck"),
                          Seed("delivered", "Delivered", "#16a34a", "lucide:check-circle-2"),
                          Seed("backordered", "Backordered", "#d946ef", "lucide:alert-octagon"),
                          Seed("returned", "Returned", "#0d9488", "lucide:undo-2"),
                          Seed("canceled", "Canceled", "#ef4444", "lucide:x-circle"))),
    DefaultDictionary("sales.shipment_status", "Shipment statuses",
                      "Configurable set of statuses used by shipments.", (
                          Seed("pending", "Pending", "#94a3b8", "lucide:clock-3"),
                          Seed("packed", "Packed", "#22c55e", "lucide:package-check"),
                          Seed("shipped", "Shipped", "#2563eb", "lucide:truck"),
                          Seed("in_transit", "In transit", "#0ea5e9", "lucide:loader"),
                          Seed("delivered", "Delivered", "#16a34a", "lucide:check-circle-2"),
                          Seed("canceled", "Canceled", "#ef4444", "lucide:x-circle"),
                          Seed("returned", "Returned", "#0d9488", "lucide:undo-2"))),
    DefaultDictionary("sales.payment_status", "Payment statuses",
                      "Configurable set of statuses used by payments.", (
                          Seed("pending", "Pending", "#94a3b8", "lucide:clock-3"),
                          Seed("authorized", "Authorized", "#6366f1", "lucide:badge-check"),
                          Seed("captured", "Captured", "#0ea5e9", "lucide:banknote"),
                          Seed("received", "Received", "#16a34a", "lucide:check"),
                          Seed("refunded", "Refunded", "#f59e0b", "lucide:rotate-ccw"),
                          Seed("failed", "Failed", "#ef4444", "lucide:triangle-alert"),
                          Seed("canceled", "Canceled", "#ef4444", "lucide:x-circle"))),
    DefaultDictionary("sales.adjustment_kind", "Sales adjustment kinds",
                      "Reusable adjustment kinds applied to sales documents.", (
                          Seed("discount", "Discount"), Seed("tax", "Tax"), Seed("shipping", "Shipping"),
                          Seed("surcharge", "Surcharge"), Seed("custom", "Custom"))),
)


@dataclass(frozen=True)
class Entry:
    id: str
    dictionary_id: str
    value: str
    label: str
    color: str | None
    icon: str | None


def normalize(value: str) -> str:
    """The form entries are compared in: trimmed and lower-cased."""
    return value.strip().lower()


def is_protected(key: str) -> bool:
    return key.strip().lower() in PROTECTED_KEYS


async def ensure_defaults(session: AsyncSession, *, tenant_id: str, organization_id: str) -> int:
    """Creates the default dictionaries and entries the organization lacks; returns how many rows it
    added. Idempotent: existing dictionaries and entries (and any edits to them) are left alone, and a
    dictionary someone deleted is not brought back. Two requests seeding the same organization at
    once: the loser's savepoint rolls back and it looks again (a 409 if the rows are still not there)."""
    for attempt in (1, 2):
        try:
            async with session.begin_nested():
                return await _ensure_defaults(session, tenant_id=tenant_id, organization_id=organization_id)
        except IntegrityError:
            if attempt == 2:
                raise Conflict("Default dictionaries are being created by another request; retry") from None
    raise AssertionError("unreachable")


async def _ensure_defaults(session: AsyncSession, *, tenant_id: str, organization_id: str) -> int:
    existing = {d.key: d for d in (await session.execute(
        select(Dictionary).where(Dictionary.tenant_id == tenant_id, Dictionary.organization_id == organization_id,
                                 Dictionary.key.in_([d.key for d in DEFAULTS]))
    )).scalars()}
    added = 0
    for default in DEFAULTS:
        dictionary = existing.get(default.key)
        if dictionary is None:
            dictionary = Dictionary(tenant_id=tenant_id, organization_id=organization_id, key=default.key,
                                    name=default.name, description=default.description, is_system=True,
                                    is_active=True, manager_visibility="hidden")
            session.add(dictionary)
            await session.flush()
            added += 1
        elif dictionary.deleted_at is not None:
            continue
        have = set((await session.execute(
            select(DictionaryEntry.normalized_value).where(DictionaryEntry.dictionary_id == dictionary.id)
        )).scalars())
        for seed in default.entries:
            if normalize(seed.value) in have:
                continue
            session.add(DictionaryEntry(tenant_id=tenant_id, organization_id=organization_id,
                                        dictionary_id=dictionary.id, value=seed.value,
                                        normalized_value=normalize(seed.value), label=seed.label,
                                        color=seed.color, icon=seed.icon))
            added += 1
    await session.flush()
    return added


async def find_dictionary(session: AsyncSession, *, tenant_id: str, organization_id: str,
                          key: str) -> Dictionary | None:
    """The live dictionary `key` as the organization sees it: its own, else the nearest ancestor's."""
    org = await session.get(Organization, organization_id)
    if org is None or org.tenant_id != tenant_id:
        return None
    chain = [organization_id, *reversed([str(a) for a in org.ancestor_ids or []])]
    found = {d.organization_id: d for d in (await session.execute(
        select(Dictionary).where(Dictionary.tenant_id == tenant_id, Dictionary.key == key,
                                 Dictionary.organization_id.in_(chain), Dictionary.deleted_at.is_(None))
    )).scalars()}
    return next((found[o] for o in chain if o in found), None)


def _entry(row: DictionaryEntry) -> Entry:
    return Entry(row.id, row.dictionary_id, row.value, row.label, row.color, row.icon)


async def entries(session: AsyncSession, *, tenant_id: str, organization_id: str, key: str) -> list[Entry]:
    """The entries of dictionary `key` for an organization, by label (empty when it has none)."""
    dictionary = await find_dictionary(session, tenant_id=tenant_id, organization_id=organization_id, key=key)
    if dictionary is None:
        return []
    rows = (await session.execute(
        select(DictionaryEntry).where(DictionaryEntry.dictionary_id == dictionary.id)
        .order_by(DictionaryEntry.label, DictionaryEntry.id)
    )).scalars()
    return [_entry(r) for r in rows]


async def resolve_entry(session: AsyncSession, *, tenant_id: str, organization_id: str, key: str,
                        value: str) -> Entry | None:
    """The entry of dictionary `key` whose value matches `value` (case and spaces aside), or None."""
    dictionary = await find_dictionary(session, tenant_id=tenant_id, organization_id=organization_id, key=key)
    if dictionary is None:
        return None
    row = (await session.execute(
        select(DictionaryEntry).where(DictionaryEntry.dictionary_id == dictionary.id,
                                      DictionaryEntry.normalized_value == normalize(value))
    )).scalars().first()
    return _entry(row) if row is not None else None
