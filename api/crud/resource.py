"""A CRUD collection is a declaration: `Resource(...)`. `api.crud.routes.crud_router` turns it into the
list / create / update / delete (and optional detail) routes with the platform's conventions; the
pieces here say everything a collection may vary in. See docs/modules.md for the recipe."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from api.auth import AuthContext
from api.crud.custom_fields import CustomFields
from api.crud.fields import Fields
from api.crud.query import Dialect, Envelope, Filter, Sort

if TYPE_CHECKING:
    from api.crud.service import Write

__all__ = ["Answer", "Body", "Dialect", "Envelope", "Exclusive", "Features", "Fields", "Filter", "Hooks", "Owned",
           "Parent", "Resource", "Sort"]


@dataclass(frozen=True)
class Features:
    list: str
    create: str
    update: str
    delete: str

    @classmethod
    def view_manage(cls, view: str, manage: str) -> Features:
        return cls(view, manage, manage, manage)


Scope = Callable[[Select[Any], AuthContext], Select[Any]]
WriteHook = Callable[["Write"], Awaitable[None]]
Decorate = Callable[[AsyncSession, AuthContext, list[dict[str, Any]]], Awaitable[None]]


@dataclass(frozen=True)
class Body:
    """A request-body validator of a module's own, for collections whose reference error messages
    pydantic cannot produce. `parse(raw, partial)` returns the values by API (camelCase) name or
    raises an `ApiError`; the kit maps them onto columns by their snake_case names."""

    parse: Callable[[Any, bool], dict[str, Any]]
    example: Mapping[str, Any] = field(default_factory=dict)
    # Refusal when the body of an update or a body delete has no id ("Rule id is required").
    missing_id: str | None = None


Schema = type[BaseModel] | Body
# The documented shape of an answer: a pydantic model (documented, never used to filter the answer), a JSON
# Schema, or a function of the resource giving one (an answer holding the record: `api.crud.answers.record`).
Answer = type[BaseModel] | Mapping[str, Any] | Callable[["Resource"], Mapping[str, Any]]


@dataclass(frozen=True)
class Hooks:
    """Module behaviour around the kit's writes, all inside the request's transaction. Each receives
    a `Write` (session, caller, row, the validated body, the column values about to be written) and
    raises an `ApiError` to refuse; nothing is committed unless every hook returned.

    `before_*` run before the values touch the row (so their checks may query freely), `after_*`
    once the row is flushed (ids exist): child collections, trees, totals, numbering."""

    # Who may write at all beyond the features (super administrators only, say): runs before the
    # row is looked up, so a refused caller learns nothing about ids. Gets the caller and the action.
    authorize: Callable[[AuthContext, str], None] | None = None
    before_create: WriteHook | None = None
    after_create: WriteHook | None = None
    before_update: WriteHook | None = None
    after_update: WriteHook | None = None
    before_delete: WriteHook | None = None
    after_delete: WriteHook | None = None
    # Adds fields to a page of list items (names resolved in one query per page, not per item).
    decorate: Decorate | None = None
    # Adds fields to the record the detail route and `PUT {path}/{id}` answer (what it points at, by name).
    present: Decorate | None = None
    # State that lives outside the row's columns (role links, lines) but belongs in the audit snapshot.
    snapshot_extra: Callable[[AsyncSession, Any], Awaitable[dict[str, Any]]] | None = None
    # The body keys (snake_case) through which an update changes that state, when reading it is dear (a document's
    # lines): an update naming none of them leaves it out of its snapshots, since it cannot change it and undo has
    # nothing of it to put back. Empty: every write's snapshots hold it.
    extra_keys: frozenset[str] = frozenset()
    # Puts back what `snapshot_extra` recorded, when undo or redo puts the row back (after its columns). With it,
    # undo and redo also refuse when that state changed since the action, as they do when a column did.
    restore_extra: Callable[[AsyncSession, Any, dict[str, Any]], Awaitable[None]] | None = None
    # The body of the 201 answer when it is more than `{"id"}` (e.g. a secret shown once).
    created_body: Callable[[Write], dict[str, Any]] | None = None
    # The body of a successful update when it depends on the write (`{id, orderId}`); else the
    # resource's fixed `updated_body`.
    updated_body: Callable[[Write], dict[str, Any]] | None = None
    # The same for a delete (`{id, orderTotals}`); else the resource's fixed `deleted_body`.
    deleted_body: Callable[[Write], dict[str, Any]] | None = None
    # Runs after undo or redo put a row back (or removed it), for state derived across rows (the organization tree,
    # a document's totals); `left` is the snapshot the row had before (None: it did not exist), so that what it left
    # (the order a payment moved back from) follows too.
    after_undo: Callable[[AsyncSession, Any, dict[str, Any] | None], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Parent:
    """A child collection scoped to a parent row (`/sales/order-lines?orderId=`): lists need the
    parent's id in `param`, writes take it from the body field of the same name, and the parent must
    be visible to the caller (else 404 with the parent's label)."""

    param: str
    column: InstrumentedAttribute[Any]
    resource: Resource
    required_on_list: bool = True
    # The collection's `before_create` hook reads the parent itself, scoped as the kit would (tenant,
    # organization scope, live; 404 otherwise), e.g. to lock it: the kit then skips its own read.
    checked_by_hook: bool = False


@dataclass(frozen=True)
class Owned:
    """Rows of another table that belong to the resource's row and go when it is deleted: `column` is their
    reference to it (`ShipmentContainer.shipment_id`), `where` narrows them further when the table holds rows
    of several owners (`AvailabilityRule.subject_type == "ruleset"`). Soft-deletable rows are soft-deleted,
    others deleted. Undoing the delete brings back exactly the rows it took, redoing it takes them again."""

    column: InstrumentedAttribute[Any]
    where: tuple[ColumnElement[bool], ...] = ()

    @property
    def model(self) -> type[Any]:
        return cast(type[Any], self.column.class_)


@dataclass(frozen=True)
class Exclusive:
    """A flag that at most one row of a group carries (`Exclusive(Address.is_primary, among=Address.entity_id)`: a
    customer's primary address). Setting it on a row clears it on the group's others, in the same write; the audit
    snapshot keeps which rows of the group carry it, so undo and redo put it back on them."""

    flag: InstrumentedAttribute[Any]
    among: InstrumentedAttribute[Any]


@dataclass(frozen=True, eq=False)
class Resource:
    path: str
    model: type[Any]
    # `<module>.<entity>`: the domain events' prefix and the audit log's resource kind.
    entity: str
    features: Features
    tag: str
    label: str
    # Request bodies (None for an operation the collection does not offer).
    create_schema: Schema | None
    update_schema: Schema | None
    plural: str = ""
    # The routes the kit serves; a module serving one itself (a list with several views, say) leaves
    # it out and still uses the kit's functions.
    operations: frozenset[str] = frozenset({"list", "create", "update", "delete"})
    descriptions: Mapping[str, str] = field(default_factory=dict)
    # --- lists
    search: tuple[InstrumentedAttribute[Any], ...] = ()
    sort: Sort | None = None
    filters: Mapping[str, Filter] = field(default_factory=dict)
    envelope: Envelope = Envelope.PAGED
    dialect: Dialect = Dialect()
    max_page_size: int = 100
    # Items per page when the caller names no page size (at most `max_page_size`).
    page_size: int = 50
    # --- items
    fields: Fields = Fields()
    # The serializer of events, audit payloads and the detail route, when it differs from list items.
    detail_fields: Fields | None = None
    detail: bool = False
    # Operations also served on `{path}/{id}`, the id taken from the path: "update" (PUT, keys left out keep
    # their values, answers the record as `detail` does) and "delete" (DELETE, answers as the collection's).
    # Independent of `operations`: a collection may offer a write only by path.
    by_id: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()
    # Columns recomputed from other rows by hooks, or moved by what is no edit (a login's time): undo and redo do
    # not mistake their drift for a later edit, and leave them as they are (`after_undo` recomputes them).
    derived: frozenset[str] = frozenset()
    # --- scope and storage
    scope: Literal["organization", "tenant"] | Scope = "organization"
    parent: Parent | None = None
    soft_delete: bool = True
    # Rows that go with a deleted row and come back with its undo (`Owned`).
    owns: tuple[Owned, ...] = ()
    # A flag only one row of a group may carry (`Exclusive`).
    exclusive: Exclusive | None = None
    # Columns naming the one row a write is about (`(Terms.contractor_id,)`: a contractor has one row of terms):
    # POST and PUT {path} both take the create schema and update the caller's row holding the body's values in
    # them (only the keys sent change), or create it when there is none. POST answers 201 `{id}`, PUT the
    # `updated_body`.
    upsert_by: tuple[InstrumentedAttribute[Any], ...] = ()
    # Optimistic locking: writes carrying `x-om-ext-optimistic-lock-expected-updated-at` are refused
    # with 409 when the row changed since.
    lock: bool = False
    hooks: Hooks = Hooks()
    # The body of a successful update or delete; `deleted_body=None` answers a delete 204 with no body.
    updated_body: Mapping[str, Any] = field(default_factory=lambda: {"ok": True})
    deleted_body: Mapping[str, Any] | None = field(default_factory=lambda: {"ok": True})
    # What `hooks.created_body` / `hooks.updated_body` answer, for the OpenAPI document (the fixed bodies
    # above document themselves; api/crud/answers.py).
    created_schema: Answer | None = None
    updated_schema: Answer | None = None
    deleted_schema: Answer | None = None
    exportable: bool = True
    # Query-string key a delete may take its id from besides `id` (and the body).
    delete_id_param: str = "id"
    # Custom fields (`"<module>:<entity>"` or a `CustomFields`): `customFields`/`cf_<key>` on writes,
    # `cf_<key>` on items, filters and sort (api/crud/custom_fields.py).
    custom_fields: CustomFields | str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.custom_fields, str):
            object.__setattr__(self, "custom_fields", CustomFields(entity=self.custom_fields))

    @property
    def custom(self) -> CustomFields | None:
        return self.custom_fields if isinstance(self.custom_fields, CustomFields) else None

    @property
    def plural_label(self) -> str:
        return self.plural or f"{self.label}s"

    @property
    def event_fields(self) -> Fields:
        return self.detail_fields or self.fields

    def but(self, **changes: Any) -> Resource:
        """A copy with some declarations changed (the same collection under another path, say)."""
        return replace(self, **changes)
