"""The entities module's rules: custom field definitions (upsert, tombstone, restore, ordering),
custom entities, encryption maps. Definitions are tenant-wide (organization null): every
organization of a tenant validates against the same fields. Every change is recorded in the action
log and announced as a domain event through the kit's `record`."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit
from api.auth import AuthContext
from api.crud import encryption
from api.crud import service as crud
from api.crud.custom_fields import (
    KINDS,
    CustomFieldDef,
    CustomFields,
    EncryptionMap,
    FieldDef,
    definition_rows,
    definitions,
    document,
    encrypted_fields,
    read_field,
    store,
)
from api.db import utcnow
from api.errors import BadRequest, NotFound
from api.modules.entities.models import CustomEntity, CustomEntityRecord

ENTITY_ID = re.compile(r"^[a-z0-9_]+:[a-z0-9_]+$")
FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
# Definition keys that are columns of the definition, not of its `configJson`.
DEF_COLUMNS = frozenset({"entityId", "key", "kind", "configJson", "isActive", "id", "tenantId", "organizationId"})


def invalid(path: str, message: str) -> BadRequest:
    return BadRequest("Invalid input", [{"path": [path], "message": message}])


def code_entities() -> dict[str, CustomFields]:
    """Entity ids the modules declare custom fields for, with their shipped definitions."""
    from api.manifest import modules

    out: dict[str, CustomFields] = {}
    for m in modules():
        for res in m.resources:
            cf = res.custom
            if cf is not None and cf.entity:
                out[cf.entity] = cf
    return out


def shipped(entity: str) -> tuple[FieldDef, ...]:
    cf = code_entities().get(entity)
    return cf.shipped if cf else ()


async def effective(session: AsyncSession, ctx: AuthContext, entity: str) -> dict[str, FieldDef]:
    return await definitions(session, entity, ctx.tenant_id, ctx.write_org_id, shipped(entity))


# --- definitions -----------------------------------------------------------------------------------------

def parse_definition(raw: Any, index: int | None = None) -> tuple[str, str, dict[str, Any], bool]:
    """A definition body (`{key, kind, configJson?, ...flat config keys}`) as key, kind, config and
    active flag; flat keys (`label`, `options`, `required`, ...) join `configJson`."""
    where = f"definitions.{index}." if index is not None else ""
    if not isinstance(raw, dict):
        raise invalid(where.rstrip(".") or "body", "Expected an object")
    key, kind = raw.get("key"), raw.get("kind")
    if not isinstance(key, str) or not FIELD_KEY.fullmatch(key):
        raise invalid(f"{where}key", "Expected lowercase letters, digits and underscores, starting with a letter")
    if kind not in KINDS:
        raise invalid(f"{where}kind", f"Expected one of: {', '.join(KINDS)}")
    config = raw.get("configJson")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise invalid(f"{where}configJson", "Expected an object")
    config = {**{k: v for k, v in raw.items() if k not in DEF_COLUMNS}, **config}
    options = config.get("options")
    if options is not None and not isinstance(options, list):
        raise invalid(f"{where}configJson.options", "Expected a list")
    is_active = raw.get("isActive", True)
    if not isinstance(is_active, bool):
        raise invalid(f"{where}isActive", "Expected a boolean")
    return key, str(kind), config, is_active


def public_row(row: CustomFieldDef) -> dict[str, Any]:
    return {"id": row.id, "entityId": row.entity_id, "key": row.key, "kind": row.kind,
            "configJson": row.config_json, "isActive": row.is_active and row.deleted_at is None,
            "organizationId": row.organization_id, "tenantId": row.tenant_id}


async def _own_row(session: AsyncSession, ctx: AuthContext, entity: str, key: str) -> CustomFieldDef | None:
    """The caller's tenant-wide definition row of a field (tombstones included)."""
    stmt = select(CustomFieldDef).where(CustomFieldDef.entity_id == entity, CustomFieldDef.key == key,
                                        CustomFieldDef.tenant_id == ctx.require_tenant(),
                                        CustomFieldDef.organization_id.is_(None))
    return (await session.execute(stmt)).scalars().first()


async def _log(session: AsyncSession, ctx: AuthContext, row: CustomFieldDef, action: str,
               before: dict[str, Any] | None) -> None:
    await crud.record(session, ctx, kind="entities.definition", action=action, row=row, label="Definition",
                      before=before, after=audit.snapshot(row), event=public_row(row),
                      payload={"entityId": row.entity_id, "key": row.key})


async def upsert_definition(session: AsyncSession, ctx: AuthContext, entity: str, key: str, kind: str,
                            config: dict[str, Any], is_active: bool = True) -> CustomFieldDef:
    row = await _own_row(session, ctx, entity, key)
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = CustomFieldDef(entity_id=entity, key=key, tenant_id=ctx.require_tenant(), organization_id=None)
        session.add(row)
    row.kind, row.config_json, row.is_active = kind, config, is_active
    row.deleted_at = None if is_active else (row.deleted_at or utcnow())
    row.updated_at = utcnow()
    await session.flush()
    await _log(session, ctx, row, "create" if before is None else "update", before)
    return row


async def delete_definition(session: AsyncSession, ctx: AuthContext, entity: str, key: str) -> None:
    """Tombstones a field for the tenant: an inactive row that hides it (a shipped one included)."""
    if key not in await effective(session, ctx, entity):
        raise NotFound("Definition not found")
    row = await _own_row(session, ctx, entity, key)
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        d = next(d for d in shipped(entity) if d.key == key) if key in {d.key for d in shipped(entity)} else None
        if d is None:
            raise NotFound("Definition not found")
        row = CustomFieldDef(entity_id=entity, key=key, kind=d.kind, config_json=dict(d.config),
                             tenant_id=ctx.require_tenant(), organization_id=None)
        session.add(row)
    row.is_active = False
    row.deleted_at = utcnow()
    await session.flush()
    await _log(session, ctx, row, "delete", before)


async def restore_definition(session: AsyncSession, ctx: AuthContext, entity: str, key: str) -> None:
    row = await _own_row(session, ctx, entity, key)
    if row is None or (row.is_active and row.deleted_at is None):
        raise NotFound("Definition not found")
    before = audit.snapshot(row)
    row.is_active = True
    row.deleted_at = None
    row.updated_at = utcnow()
    await session.flush()
    await _log(session, ctx, row, "update", before)


async def management_snapshot(session: AsyncSession, ctx: AuthContext, entity: str) -> dict[str, Any]:
    """Every definition that applies (shipped ones without a row of the tenant have a null id) and
    the keys the tenant deleted."""
    rows = await definition_rows(session, entity, ctx.tenant_id, ctx.write_org_id)
    latest: dict[str, CustomFieldDef] = {r.key: r for r in rows}
    items: list[dict[str, Any]] = []
    for d in shipped(entity):
        if d.key not in latest:
            items.append({"id": None, "entityId": entity, "key": d.key, "kind": d.kind, "configJson": dict(d.config),
                          "isActive": True, "organizationId": None, "tenantId": None, "source": "code"})
    items += [public_row(r) for r in latest.values() if r.is_active and r.deleted_at is None]
    deleted = sorted(k for k, r in latest.items() if not r.is_active or r.deleted_at is not None)
    return {"items": items, "deletedKeys": deleted}


# --- custom entities -----------------------------------------------------------------------------------

async def find_entity(session: AsyncSession, ctx: AuthContext, entity: str, *,
                      live: bool = True) -> CustomEntity | None:
    """The caller's registration of a custom entity: its organization's, else the tenant's, else a
    global one."""
    stmt = select(CustomEntity).where(CustomEntity.entity_id == entity, or_(
        CustomEntity.tenant_id == ctx.tenant_id, CustomEntity.tenant_id.is_(None)))
    if live:
        stmt = stmt.where(CustomEntity.deleted_at.is_(None), CustomEntity.is_active.is_(True))
    rows = [r for r in (await session.execute(stmt)).scalars()
            if r.organization_id is None or r.organization_id == ctx.write_org_id]
    rows.sort(key=lambda r: (r.tenant_id is not None, r.organization_id is not None), reverse=True)
    return rows[0] if rows else None


async def visible_entities(session: AsyncSession, ctx: AuthContext) -> list[CustomEntity]:
    stmt = select(CustomEntity).where(or_(CustomEntity.tenant_id == ctx.tenant_id, CustomEntity.tenant_id.is_(None)),
                                      CustomEntity.deleted_at.is_(None), CustomEntity.is_active.is_(True))
    found: dict[str, CustomEntity] = {}
    for row in (await session.execute(stmt.order_by(CustomEntity.label))).scalars():
        if row.organization_id is not None and row.organization_id != ctx.write_org_id:
            continue
        current = found.get(row.entity_id)
        if current is None or (row.tenant_id is not None and current.tenant_id is None):
            found[row.entity_id] = row
    return list(found.values())


def entity_item(row: CustomEntity) -> dict[str, Any]:
    return {"id": row.id, "entityId": row.entity_id, "label": row.label, "description": row.description,
            "labelField": row.label_field, "defaultEditor": row.default_editor,
            "showInSidebar": row.show_in_sidebar, "isActive": row.is_active,
            "organizationId": row.organization_id, "tenantId": row.tenant_id}


async def upsert_entity(session: AsyncSession, ctx: AuthContext, body: dict[str, Any]) -> CustomEntity:
    entity = body.get("entityId")
    if not isinstance(entity, str) or not ENTITY_ID.fullmatch(entity):
        raise invalid("entityId", "Expected <module>:<entity> in lowercase letters, digits and underscores")
    if entity in code_entities():
        raise invalid("entityId", "Entity id is taken by a module")
    label = body.get("label")
    if not isinstance(label, str) or not label.strip() or len(label) > 200:
        raise invalid("label", "Expected a label of 1 to 200 characters")
    for name in ("description", "labelField", "defaultEditor"):
        if body.get(name) is not None and not isinstance(body.get(name), str):
            raise invalid(name, "Expected a string")
    editor = body.get("defaultEditor")
    if editor is not None and editor not in ("markdown", "simpleMarkdown", "htmlRichText"):
        raise invalid("defaultEditor", "Expected one of: markdown, simpleMarkdown, htmlRichText")
    for name in ("showInSidebar", "isActive"):
        if body.get(name) is not None and not isinstance(body.get(name), bool):
            raise invalid(name, "Expected a boolean")
    stmt = select(CustomEntity).where(CustomEntity.entity_id == entity, CustomEntity.tenant_id == ctx.require_tenant(),
                                      CustomEntity.organization_id.is_(None))
    row = (await session.execute(stmt)).scalars().first()
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = CustomEntity(entity_id=entity, tenant_id=ctx.tenant_id, organization_id=None)
        session.add(row)
    row.label = label.strip()
    row.description = body.get("description")
    row.label_field = body.get("labelField")
    row.default_editor = editor
    row.show_in_sidebar = bool(body.get("showInSidebar", False))
    row.is_active = bool(body.get("isActive", True))
    row.deleted_at = None
    row.updated_at = utcnow()
    await session.flush()
    await crud.record(session, ctx, kind="entities.entity", action="create" if before is None else "update", row=row,
                      label="Entity", before=before, after=audit.snapshot(row), event=entity_item(row), payload=body)
    return row


async def delete_entity(session: AsyncSession, ctx: AuthContext, entity: str) -> None:
    stmt = select(CustomEntity).where(CustomEntity.entity_id == entity, CustomEntity.tenant_id == ctx.require_tenant(),
                                      CustomEntity.deleted_at.is_(None))
    row = (await session.execute(stmt)).scalars().first()
    if row is None:
        raise NotFound("Entity not found")
    before = audit.snapshot(row)
    row.is_active = False
    row.deleted_at = utcnow()
    await session.flush()
    await crud.record(session, ctx, kind="entities.entity", action="delete", row=row, label="Entity", before=before,
                      after=audit.snapshot(row), event=entity_item(row), payload={"entityId": entity})


# --- encryption maps -----------------------------------------------------------------------------------

def parse_fields(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise invalid("fields", "Expected a list")
    out: list[dict[str, Any]] = []
    for n, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("field"), str) or not entry["field"]:
            raise invalid(f"fields.{n}.field", "Required")
        hash_field = entry.get("hashField")
        if hash_field is not None and not isinstance(hash_field, str):
            raise invalid(f"fields.{n}.hashField", "Expected a string or null")
        out.append({"field": entry["field"], "hashField": hash_field or None})
    return out


async def encryption_map(session: AsyncSession, ctx: AuthContext, entity: str) -> EncryptionMap | None:
    stmt = select(EncryptionMap).where(EncryptionMap.entity_id == entity, EncryptionMap.tenant_id == ctx.tenant_id)
    return (await session.execute(stmt)).scalars().first()


async def save_encryption(session: AsyncSession, ctx: AuthContext, entity: str, fields: list[dict[str, Any]]) -> None:
    """Saves the map and rewrites the tenant's stored values of every field whose treatment changed
    (encrypted, decrypted, or hashed differently), so what is at rest always follows the map."""
    tenant = ctx.require_tenant()
    old = await encrypted_fields(session, entity, tenant)
    row = await encryption_map(session, ctx, entity)
    if row is None:
        row = EncryptionMap(entity_id=entity, tenant_id=tenant, organization_id=None)
        session.add(row)
    row.fields_json = fields
    row.is_active = True
    row.updated_at = utcnow()
    await session.flush()
    new = await encrypted_fields(session, entity, tenant)
    changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
    if changed:
        await _rewrite(session, ctx, entity, changed, old)
    await crud.record(session, ctx, kind="entities.encryption_map", action="update", row=row, label="Encryption map",
                      before=None, after=audit.snapshot(row), event={"entityId": entity, "fields": fields},
                      payload={"entityId": entity, "fields": fields})


async def _rewrite(session: AsyncSession, ctx: AuthContext, entity: str, keys: set[str],
                   old_secret: dict[str, bool]) -> None:
    defs = await effective(session, ctx, entity)
    keys = {k for k in keys if k in defs}
    if not keys:
        return
    key = await encryption.data_key(session, ctx.require_tenant())
    for row in await _rows_with_values(session, ctx.require_tenant(), entity):
        doc = document(row)
        # Values are rewritten as stored (not re-validated): a map change never loses data.
        values = {k: read_field(defs[k], doc, key, entity) for k in keys if k in doc}
        await store(session, entity=entity, record=row, tenant_id=ctx.tenant_id, values=values, defs=defs)


async def _rows_with_values(session: AsyncSession, tenant: str, entity: str) -> list[Any]:
    """The tenant's rows of `entity` that hold custom values: a module's collection declaring the entity,
    else the custom entity's records."""
    from api.manifest import modules  # the manifests import this module

    model, clause = CustomEntityRecord, CustomEntityRecord.entity_id == entity
    for res in (r for m in modules() for r in m.resources):
        if res.custom is not None and res.custom.entity == entity:
            model, clause = res.model, true()
            break
    return list((await session.execute(select(model).where(
        model.tenant_id == tenant, model.custom_values.is_not(None), clause))).scalars())
