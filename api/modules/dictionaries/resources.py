"""Dictionaries and their entries as kit collections. Their routes are nested and take ids in the
path (`/dictionaries/{dictionaryId}/entries/{entryId}`, PATCH), so `routes.py` serves them with the
kit's functions; the kit serves the dictionary create and records every write (audit, undo, events)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from api.crud import Features, Fields, Hooks, Parent, Resource, Sort, Write
from api.crud.answers import record
from api.errors import BadRequest, Conflict
from api.modules.dictionaries.models import Dictionary, DictionaryEntry
from api.modules.dictionaries.schemas import DictionaryCreate, DictionaryUpdate
from api.modules.dictionaries.service import is_protected, normalize

VIEW = "dictionaries.view"
MANAGE = "dictionaries.manage"
TAG = "Dictionaries"
DUPLICATE_KEY = "A dictionary with this key already exists"
PROTECTED = "The currency dictionary cannot be modified or deleted."
DUPLICATE_VALUE = "An entry with this value already exists."


async def _key_is_free(write: Write, key: str) -> None:
    taken = (await write.session.execute(
        select(Dictionary.id).where(Dictionary.tenant_id == write.row.tenant_id,
                                    Dictionary.organization_id == write.row.organization_id,
                                    Dictionary.key == key, Dictionary.deleted_at.is_(None),
                                    Dictionary.id != write.row.id)
    )).first()
    if taken is not None:
        raise Conflict(DUPLICATE_KEY)


async def _before_create(write: Write) -> None:
    await _key_is_free(write, write.values["key"])
    write.values.setdefault("manager_visibility", "default")
    if write.values.get("is_active") is None:
        write.values["is_active"] = True
    if write.values.get("is_system") is None:
        write.values["is_system"] = False


async def _before_update(write: Write) -> None:
    row = write.row
    key = write.values.get("key")
    if is_protected(row.key) and ((key is not None and key != row.key) or write.values.get("is_active") is False):
        raise BadRequest(PROTECTED)
    if key is not None and key != row.key:
        await _key_is_free(write, key)
    for flag in ("key", "name", "is_active"):
        # `null` for a required attribute means "leave it".
        if flag in write.values and write.values[flag] is None:
            del write.values[flag]
    if "description" in write.values:
        write.values["description"] = (write.values["description"] or "").strip() or None


async def _before_delete(write: Write) -> None:
    if is_protected(write.row.key):
        raise BadRequest(PROTECTED)
    write.values["is_active"] = False


def _created(write: Write) -> dict[str, Any]:
    return dictionaries.event_fields(write.row)


dictionaries = Resource(
    path="/dictionaries",
    model=Dictionary,
    entity="dictionaries.dictionary",
    create_schema=DictionaryCreate,
    update_schema=DictionaryUpdate,
    # List, detail, PATCH and DELETE are path-id routes in routes.py (through the kit's functions).
    operations=frozenset({"create"}),
    features=Features.view_manage(VIEW, MANAGE),
    tag=TAG,
    label="Dictionary",
    plural="Dictionaries",
    descriptions={"create": "Registers a dictionary scoped to the current organization; answers the dictionary. "
                            "A key already used in the organization is a 409."},
    sort=Sort((Dictionary.name, Dictionary.key, Dictionary.created_at), default=Dictionary.name),
    fields=Fields("id", "key", "name", "description", "is_system", "is_active", "manager_visibility",
                  "organization_id", "created_at", "updated_at"),
    detail_fields=Fields("id", "key", "name", "description", "is_system", "is_active", "manager_visibility",
                         "organization_id", "tenant_id", "created_at", "updated_at", "deleted_at"),
    hooks=Hooks(before_create=_before_create, before_update=_before_update, before_delete=_before_delete,
                created_body=_created),
    created_schema=record,
)


async def _value_is_free(write: Write, normalized: str) -> None:
    taken = (await write.session.execute(
        select(DictionaryEntry.id).where(DictionaryEntry.dictionary_id == write.value("dictionary_id"),
                                         DictionaryEntry.normalized_value == normalized,
                                         DictionaryEntry.id != write.row.id)
    )).first()
    if taken is not None:
        raise Conflict(DUPLICATE_VALUE)


async def _entry_before_create(write: Write) -> None:
    parent = await write.session.get(Dictionary, write.values["dictionary_id"])
    assert parent is not None  # the kit checked the caller sees it
    # An entry belongs where its dictionary does, whichever organization the caller works in.
    write.row.organization_id = parent.organization_id
    value = write.values["value"]
    write.values["normalized_value"] = normalize(value)
    write.values["label"] = write.values.get("label") or value
    await _value_is_free(write, write.values["normalized_value"])


async def _entry_before_update(write: Write) -> None:
    for name in ("value", "label"):
        if name in write.values and write.values[name] is None:
            del write.values[name]
    value = write.values.get("value")
    if value is not None and value != write.row.value:
        write.values["normalized_value"] = normalize(value)
        await _value_is_free(write, write.values["normalized_value"])
        # A label that was never set apart from the value follows it.
        if "label" not in write.values and write.row.label == write.row.value:
            write.values["label"] = value


entries = Resource(
    path="/dictionaries/{dictionaryId}/entries",
    model=DictionaryEntry,
    entity="dictionaries.entry",
    create_schema=None,
    update_schema=None,
    operations=frozenset(),
    features=Features.view_manage(VIEW, MANAGE),
    tag=TAG,
    label="Dictionary entry",
    plural="Dictionary entries",
    # Reached through their dictionary, which is checked against the caller's organizations first.
    scope="tenant",
    parent=Parent(param="dictionaryId", column=DictionaryEntry.dictionary_id, resource=dictionaries),
    soft_delete=False,
    fields=Fields("id", "value", "label", "color", "icon", "created_at", "updated_at"),
    detail_fields=Fields("id", "dictionary_id", "value", "normalized_value", "label", "color", "icon",
                         "organization_id", "tenant_id", "created_at", "updated_at"),
    hooks=Hooks(before_create=_entry_before_create, before_update=_entry_before_update),
)
