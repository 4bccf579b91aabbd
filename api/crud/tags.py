"""Tags, shared by every module that labels its records (customers, sales, catalog, booking): one
`tags` table partitioned by `namespace` (the module), one `tag_assignments` link table, a tag
collection declared with `tag_resource(...)`, assign / unassign routes from `tag_assignment_router`,
and list filters from `Filter.tags` / `Filter.untagged` (api.crud.query)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from sqlalchemy import Select, String, Text, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from api.auth import AuthContext, requires
from api.crud.answers import OK, json_answer, shape
from api.crud.fields import Fields
from api.crud.query import Envelope, Sort
from api.crud.resource import Features, Hooks, Owned, Resource
from api.crud.schemas import Payload
from api.db import Base, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin, new_id, utcnow
from api.deps import SessionDep
from api.errors import BadRequest, Conflict, NotFound


class Tag(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    __tablename__ = "tags"

    namespace: Mapped[str] = mapped_column(String(64), index=True)
    slug: Mapped[str] = mapped_column(String(120))
    label: Mapped[str] = mapped_column(String(200))
    color: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)


class TagAssignment(IdMixin, ScopedMixin, Base):
    """A plain link: deleted for real on unassign (the reference keeps no history of it)."""

    __tablename__ = "tag_assignments"
    __table_args__ = (UniqueConstraint("tag_id", "entity_type", "entity_id"),)

    tag_id: Mapped[str] = mapped_column(String(36), index=True)
    entity_type: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def linked_tags(session: AsyncSession, entity_type: str, entity_id: str) -> list[str]:
    """The ids of the tags on a record, sorted: what its audit snapshot keeps of them (`Hooks.snapshot_extra`)."""
    return sorted((await session.execute(select(TagAssignment.tag_id).where(
        TagAssignment.entity_type == entity_type, TagAssignment.entity_id == entity_id))).scalars())


async def relink_tags(session: AsyncSession, entity_type: str, row: Any, tag_ids: list[str]) -> None:
    """Undo and redo (`Hooks.restore_extra`): the record's tags become `tag_ids`, those still live."""
    live = set((await session.execute(select(Tag.id).where(Tag.id.in_(tag_ids), Tag.deleted_at.is_(None))))
               .scalars())
    await session.execute(delete(TagAssignment).where(TagAssignment.entity_type == entity_type,
                                                      TagAssignment.entity_id == row.id))
    session.add_all([TagAssignment(id=new_id(), tag_id=tag_id, entity_type=entity_type, entity_id=row.id,
                                   tenant_id=row.tenant_id, organization_id=row.organization_id)
                     for tag_id in dict.fromkeys(tag_ids) if tag_id in live])


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:120] or "tag"


Color = Annotated[str, Field(pattern=r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]


class TagCreate(Payload):
    label: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, min_length=1, max_length=120)
    color: Color | None = None
    description: str | None = Field(default=None, max_length=2000)
    organization_id: str | None = None


class TagUpdate(Payload):
    id: str
    label: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, min_length=1, max_length=120)
    color: Color | None = None
    description: str | None = Field(default=None, max_length=2000)


def _in_namespace(namespace: str) -> Any:
    def scope(stmt: Select[Any], ctx: AuthContext) -> Select[Any]:
        stmt = stmt.where(Tag.namespace == namespace, Tag.tenant_id == ctx.tenant_id)
        if ctx.org_scope is not None:
            stmt = stmt.where(Tag.organization_id.in_(ctx.org_scope))
        return stmt
    return scope


async def _slug_free(session: AsyncSession, row: Tag, slug: str) -> None:
    taken = (await session.execute(select(Tag.id).where(
        Tag.namespace == row.namespace, Tag.tenant_id == row.tenant_id, Tag.organization_id == row.organization_id,
        Tag.slug == slug, Tag.deleted_at.is_(None), Tag.id != row.id))).first()
    if taken is not None:
        raise Conflict("Tag slug already exists")


def tag_resource(*, path: str, namespace: str, features: Features, tag: str, label: str = "Tag",
                 envelope: Envelope = Envelope.TOTAL) -> Resource:
    """A module's tag collection: `{slug, label, color, description}` per organization, slugs unique
    among the live tags of the organization (derived from the label when not given)."""

    from api.crud.service import owner_from_body

    async def before_create(write: Any) -> None:
        row: Tag = write.row
        row.namespace = namespace
        write.values["slug"] = slugify(write.values.get("slug") or write.values["label"])
        await owner_from_body(write)
        await _slug_free(write.session, row, write.values["slug"])

    async def before_update(write: Any) -> None:
        if "slug" in write.values:
            # `slug: null` derives it from the label again, as on create.
            write.values["slug"] = slugify(write.values["slug"] or write.value("label") or "")
            await _slug_free(write.session, write.row, write.values["slug"])

    return Resource(
        path=path, model=Tag, entity=f"{namespace}.tag", features=features, tag=tag, label=label,
        create_schema=TagCreate, update_schema=TagUpdate,
        search=(Tag.label, Tag.slug), sort=Sort((Tag.label, Tag.slug, Tag.created_at), default=Tag.label),
        envelope=envelope, scope=_in_namespace(namespace),
        fields=Fields("id", "slug", "label", "color", "description", "organization_id", "tenant_id",
                      casing="snake"),
        # A deleted tag leaves every record it was on; undoing the delete puts it back on them.
        owns=(Owned(TagAssignment.tag_id),),
        hooks=Hooks(before_create=before_create, before_update=before_update),
    )


class Assignment(Payload):
    tag_id: str = Field(min_length=1)
    entity_id: str = Field(min_length=1)


async def assign(session: AsyncSession, ctx: AuthContext, *, tags: Resource, target: Resource, entity_type: str,
                 tag_id: str, entity_id: str) -> TagAssignment:
    """Links a visible tag to a visible record (idempotent: an existing link is returned)."""
    from api.crud import service
    try:
        tag: Tag = await service.get_row(tags, ctx, session, tag_id)
    except NotFound:
        raise BadRequest("Tag not found") from None
    try:
        record = await service.get_row(target, ctx, session, entity_id)
    except NotFound:
        raise BadRequest(f"{target.label} not found") from None
    found = (await session.execute(select(TagAssignment).where(
        TagAssignment.tag_id == tag.id, TagAssignment.entity_type == entity_type,
        TagAssignment.entity_id == record.id))).scalars().first()
    if found is not None:
        return found
    link = TagAssignment(id=new_id(), tag_id=tag.id, entity_type=entity_type, entity_id=record.id,
                         tenant_id=tag.tenant_id, organization_id=getattr(record, "organization_id", None))
    session.add(link)
    await session.flush()
    return link


async def unassign(session: AsyncSession, ctx: AuthContext, *, tags: Resource, entity_type: str,
                   tag_id: str, entity_id: str) -> bool:
    from api.crud import service
    tag: Tag = await service.get_row(tags, ctx, session, tag_id)
    result = await session.execute(delete(TagAssignment).where(
        TagAssignment.tag_id == tag.id, TagAssignment.entity_type == entity_type,
        TagAssignment.entity_id == entity_id))
    return bool(getattr(result, "rowcount", 0))





def tag_assignment_router(*, path: str, tags: Resource, target: Resource, entity_type: str, feature: str,
                          id_field: str = "entityId") -> APIRouter:
    """`POST {path}/assign` and `POST {path}/unassign` with `{tagId, <id_field>}`."""
    from api.crud.routes import read_json, validate_model
    router = APIRouter(tags=[tags.tag])
    # A default, not an `Annotated` alias: annotations here are strings (`from __future__`), and FastAPI
    # resolves them in this module's globals, where a local alias does not exist.
    manage = Depends(requires(feature))

    async def _body(request: Request) -> Assignment:
        raw = await read_json(request)
        if isinstance(raw, dict) and id_field in raw:
            raw = {**raw, "entityId": raw[id_field]}
        return validate_model(Assignment, raw)  # type: ignore[return-value]

    @router.post(f"{path}/assign", status_code=201, summary=f"Assign {tags.label.lower()}",
                 description=f"Links a tag to a {target.label.lower()} (`tagId`, `{id_field}`). "
                             f"Requires features: {feature}",
                 openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"type": "object"}, "example": {"tagId": "string", id_field: "string"}}}}},
                 responses=json_answer(shape(id="string"), 201))
    async def assign_tag(request: Request, session: SessionDep, ctx: AuthContext = manage) -> dict[str, Any]:
        body = await _body(request)
        link = await assign(session, ctx, tags=tags, target=target, entity_type=entity_type,
                            tag_id=body.tag_id, entity_id=body.entity_id)
        return {"id": link.id}

    @router.post(f"{path}/unassign", summary=f"Unassign {tags.label.lower()}",
                 description=f"Removes a tag from a {target.label.lower()} (`tagId`, `{id_field}`). "
                             f"Requires features: {feature}",
                 openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"type": "object"}, "example": {"tagId": "string", id_field: "string"}}}}},
                 responses=json_answer(OK))
    async def unassign_tag(request: Request, session: SessionDep, ctx: AuthContext = manage) -> dict[str, Any]:
        body = await _body(request)
        await unassign(session, ctx, tags=tags, entity_type=entity_type, tag_id=body.tag_id,
                       entity_id=body.entity_id)
        return {"ok": True}

    return router
