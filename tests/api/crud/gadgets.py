"""The throwaway world of the CRUD kit's own tests: two test-only models (`Gadget` and its child
`GadgetPart`) on a metadata of their own, so the migration check never sees them, and the
declarations the tests vary with `Resource.but(...)`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field
from sqlalchemy import Date, Integer, MetaData, Numeric, Select, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from api.crud import Features, Filter, Parent, Payload, Resource, Sort
from api.crud.query import parse_bool
from api.crud.tags import tag_resource
from api.db import NAMING, Base, CustomValuesMixin, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin
from api.features import declare

VIEW, MANAGE = "crudkit.gadgets.view", "crudkit.gadgets.manage"
EVERYTHING = ["crudkit.*"]
declare("crudkit", "CRUD kit tests", {VIEW: "View gadgets", MANAGE: "Manage gadgets"})


class KitBase(DeclarativeBase):
    """Not `api.db.Base`: tests/test_migrations.py compares `Base.metadata` with the migrations."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = Base.type_annotation_map


class Gadget(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, KitBase):
    __tablename__ = "crudkit_gadgets"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="tool")
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    is_active: Mapped[bool] = mapped_column(default=True)
    seen_at: Mapped[datetime | None] = mapped_column(default=None)
    made_on: Mapped[date | None] = mapped_column(Date, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    owner_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # Hidden by the declarations below: set by hooks only, never shown anywhere.
    pin_hash: Mapped[str | None] = mapped_column(String(64), default=None)


class GadgetPart(IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, KitBase):
    __tablename__ = "crudkit_gadget_parts"

    gadget_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(200))


class GadgetLabel(IdMixin, ScopedMixin, KitBase):
    """A child with no soft delete: deleted for good with its gadget when declared owned."""

    __tablename__ = "crudkit_gadget_labels"

    gadget_id: Mapped[str] = mapped_column(String(36), index=True)
    text: Mapped[str] = mapped_column(String(200))
    printed_on: Mapped[date | None] = mapped_column(Date, default=None)


class GadgetCreate(Payload):
    name: str = Field(min_length=1, max_length=200)
    kind: str = "tool"
    quantity: int = 0
    price: Decimal = Decimal("0")
    is_active: bool = True
    seen_at: datetime | None = None
    made_on: date | None = None
    note: str | None = None
    owner_id: str | None = None
    organization_id: str | None = None
    # Not a column: only hooks see it.
    reason: str | None = None


class GadgetUpdate(Payload):
    id: str
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: str | None = None
    quantity: int | None = None
    price: Decimal | None = None
    is_active: bool | None = None
    note: str | None = None
    reason: str | None = None


class PartCreate(Payload):
    # Optional here so the kit's own check of the parent id is what answers.
    gadget_id: str | None = None
    name: str = Field(min_length=1)


class PartUpdate(Payload):
    id: str
    gadget_id: str | None = None
    name: str | None = None


def heavy(stmt: Select[Any], raw: str) -> Select[Any]:
    """A custom filter: `heavy=true` keeps gadgets of 100 pieces or more, `false` the others."""
    return stmt.where(Gadget.quantity >= 100 if parse_bool(raw, "heavy") else Gadget.quantity < 100)


ENTITY = "crudkit.gadget"

gadgets = Resource(
    path="/crudkit/gadgets",
    model=Gadget,
    entity=ENTITY,
    create_schema=GadgetCreate,
    update_schema=GadgetUpdate,
    features=Features.view_manage(VIEW, MANAGE),
    tag="CRUD kit",
    label="Gadget",
    plural="Gadgetry",
    search=(Gadget.name, Gadget.note),
    sort=Sort((Gadget.name, Gadget.quantity, Gadget.price, Gadget.created_at), default=Gadget.name),
    filters={
        "name": Filter.eq(Gadget.name, "Exact name"),
        "kind": Filter.eq(Gadget.kind, "tool or toy", ("tool", "toy")),
        "quantity": Filter.eq(Gadget.quantity),
        "price": Filter.eq(Gadget.price),
        "isActive": Filter.eq(Gadget.is_active),
        "madeOn": Filter.eq(Gadget.made_on),
        "seenAt": Filter.eq(Gadget.seen_at),
        "kinds": Filter.any_of(Gadget.kind),
        "quantities": Filter.any_of(Gadget.quantity),
        "nameContains": Filter.contains(Gadget.name),
        "namePrefix": Filter.prefix(Gadget.name),
        "hasNote": Filter.has(Gadget.note),
        "hasSeenAt": Filter.has(Gadget.seen_at),
        "minQuantity": Filter.min(Gadget.quantity),
        "maxQuantity": Filter.max(Gadget.quantity),
        "minPrice": Filter.min(Gadget.price),
        "maxPrice": Filter.max(Gadget.price),
        "madeFrom": Filter.min(Gadget.made_on),
        "madeTo": Filter.max(Gadget.made_on),
        "seenFrom": Filter.min(Gadget.seen_at),
        "seenTo": Filter.max(Gadget.seen_at),
        "ownerId": Filter.uuid(Gadget.owner_id, "Owner's id"),
        "tagIds": Filter.tags(Gadget.id, ENTITY),
        "untagged": Filter.untagged(Gadget.id, ENTITY),
        "heavy": Filter.using(heavy, "true: 100 pieces or more"),
    },
    hidden=frozenset({"pin_hash"}),
)

parts = Resource(
    path="/crudkit/parts",
    model=GadgetPart,
    entity="crudkit.gadget_part",
    create_schema=PartCreate,
    update_schema=PartUpdate,
    features=Features.view_manage(VIEW, MANAGE),
    tag="CRUD kit",
    label="Part",
    sort=Sort((GadgetPart.name,), default=GadgetPart.name),
    parent=Parent(param="gadgetId", column=GadgetPart.gadget_id, resource=gadgets),
)

tags = tag_resource(path="/crudkit/tags", namespace="crudkit", features=Features.view_manage(VIEW, MANAGE),
                    tag="CRUD kit")
