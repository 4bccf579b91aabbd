"""Ports, terminals and their combined list: three declarations over the one `fms_locations` table, each
scoped to its type by `_of_type` (the combined list to none)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, false, func, or_, select

from api.auth import AuthContext
from api.crud import Dialect, Envelope, Features, Fields, Filter, Hooks, Resource, Sort
from api.crud import service as crud
from api.crud.query import is_uuid, like_pattern
from api.crud.service import Write
from api.errors import BadRequest, Conflict
from api.modules.fms_locations.models import PORT, TERMINAL, TYPES, FmsLocation
from api.modules.fms_locations.schemas import PortCreate, PortUpdate, TerminalCreate, TerminalUpdate

VIEW_PORTS, MANAGE_PORTS = "fms_locations.ports.view", "fms_locations.ports.manage"
VIEW_TERMINALS, MANAGE_TERMINALS = "fms_locations.terminals.view", "fms_locations.terminals.manage"
IMPORT = "fms_locations.import"


def _scope(kind: str | None) -> Callable[[Select[Any], AuthContext], Select[Any]]:
    """The caller's tenant and organizations (as the kit scopes), narrowed to one type of location."""
    def scope(stmt: Select[Any], ctx: AuthContext) -> Select[Any]:
        stmt = stmt.where(FmsLocation.tenant_id == ctx.tenant_id) if ctx.tenant_id else stmt.where(false())
        if ctx.org_scope is not None:
            stmt = stmt.where(FmsLocation.organization_id.in_(ctx.org_scope))
        return stmt.where(FmsLocation.type == kind) if kind else stmt
    return scope


def _q(stmt: Select[Any], raw: str) -> Select[Any]:
    """The reference's `q`: code or name contains the text, case aside."""
    text = raw.strip()
    if not text:
        return stmt
    pattern = like_pattern(text)
    return stmt.where(or_(func.lower(FmsLocation.code).like(pattern, escape="\\"),
                          func.lower(FmsLocation.name).like(pattern, escape="\\")))


async def code_taken(write: Write, code: str) -> bool:
    """Whether another live location of the row's organization already has `code` (any type)."""
    row = write.row
    stmt = select(FmsLocation.id).where(
        FmsLocation.tenant_id == row.tenant_id, FmsLocation.organization_id == row.organization_id,
        FmsLocation.code == code, FmsLocation.deleted_at.is_(None), FmsLocation.id != row.id)
    return (await write.session.execute(stmt.limit(1))).first() is not None


async def _port_of(write: Write, port_id: str) -> None:
    """A terminal's port must be a live port of the terminal's own organization."""
    row = write.row
    found = None
    if is_uuid(port_id):
        found = (await write.session.execute(select(FmsLocation.id).where(
            FmsLocation.id == port_id, FmsLocation.type == PORT, FmsLocation.tenant_id == row.tenant_id,
            FmsLocation.organization_id == row.organization_id, FmsLocation.deleted_at.is_(None)))).first()
    if found is None:
        raise BadRequest("Invalid input", [{"path": ["portId"], "message": "Port not found"}])


def _checks(kind: str, required: tuple[str, ...]) -> Callable[[Write], Any]:
    async def check(write: Write) -> None:
        values = write.values
        for key in required:
            if key in values and values[key] in (None, ""):
                raise BadRequest("Invalid input", [{"path": [key], "message": "Required"}])
        # Codes and UN/LOCODEs are identifiers: one spelling, so imports and lookups match them.
        for key in ("code", "locode"):
            if isinstance(values.get(key), str):
                values[key] = values[key].upper()
        if write.action == "create":
            await crud.owner_from_body(write)
            values["type"] = kind
            values["created_by"] = write.ctx.user_id
        values["updated_by"] = write.ctx.user_id
        code = values.get("code")
        if code and await code_taken(write, code):
            raise Conflict(f"A location with code {code} already exists")
        if kind == TERMINAL and values.get("port_id"):
            await _port_of(write, values["port_id"])
    return check


async def _refuse_port_with_terminals(write: Write) -> None:
    """A port its live terminals point at stays: deleting it would leave them pointing at nothing."""
    used = (await write.session.execute(select(FmsLocation.id).where(
        FmsLocation.port_id == write.row.id, FmsLocation.type == TERMINAL,
        FmsLocation.deleted_at.is_(None)).limit(1))).first()
    if used is not None:
        raise Conflict("The port still has terminals; delete or move them first")


# Items as the reference lists them: snake_case keys beside camelCase `portId`.
_COMMON = ("id", "code", "name", "locode", "lat", "lng", "city", "country", "organization_id", "tenant_id",
           "created_at", "updated_at")
# The record (`GET …/{id}`, events, audit): every column in camelCase, as the reference's entity serializes.
DETAIL = Fields("id", "organization_id", "tenant_id", "code", "name", "type", "locode", "port_id", "lat", "lng",
                "city", "country", "created_at", "created_by", "updated_at", "updated_by", "deleted_at")
_SORT = (FmsLocation.code, FmsLocation.name, FmsLocation.locode, FmsLocation.city, FmsLocation.country,
         FmsLocation.lat, FmsLocation.lng, FmsLocation.created_at, FmsLocation.updated_at)
_Q = Filter.using(_q, "Code or name contains (case aside)")

ports = Resource(
    path="/fms_locations/ports",
    model=FmsLocation,
    entity="fms_locations.port",
    create_schema=PortCreate,
    update_schema=PortUpdate,
    features=Features.view_manage(VIEW_PORTS, MANAGE_PORTS),
    tag="FMS Locations",
    label="Port",
    scope=_scope(PORT),
    envelope=Envelope.LIMIT,
    search=(FmsLocation.code, FmsLocation.name),
    sort=Sort(_SORT, default=FmsLocation.code),
    filters={"q": _Q},
    fields=Fields(*_COMMON, casing="snake"),
    detail_fields=DETAIL,
    detail=True,
    by_id=frozenset({"update", "delete"}),
    deleted_body=None,  # the reference answers its deletes 204
    hooks=Hooks(before_create=_checks(PORT, ("code", "name", "locode")),
                before_update=_checks(PORT, ("code", "name", "locode")),
                before_delete=_refuse_port_with_terminals),
)

terminals = Resource(
    path="/fms_locations/terminals",
    model=FmsLocation,
    entity="fms_locations.terminal",
    create_schema=TerminalCreate,
    update_schema=TerminalUpdate,
    features=Features.view_manage(VIEW_TERMINALS, MANAGE_TERMINALS),
    tag="FMS Locations",
    label="Terminal",
    scope=_scope(TERMINAL),
    envelope=Envelope.LIMIT,
    search=(FmsLocation.code, FmsLocation.name),
    sort=Sort(_SORT, default=FmsLocation.code),
    filters={"q": _Q, "portId": Filter.uuid(FmsLocation.port_id, "Only terminals of this port")},
    fields=Fields(*_COMMON, "port_id", casing="snake", rename={"port_id": "portId"}),
    detail_fields=DETAIL,
    detail=True,
    by_id=frozenset({"update", "delete"}),
    deleted_body=None,
    hooks=Hooks(before_create=_checks(TERMINAL, ("code", "name")),
                before_update=_checks(TERMINAL, ("code", "name"))),
)

# Both types in one list (the reference guards it with the ports' view feature). Read-only: writes go
# through the typed collections; an unknown sort field falls back to the code, as the reference does.
locations = Resource(
    path="/fms_locations/locations",
    model=FmsLocation,
    entity="fms_locations.location",
    create_schema=None,
    update_schema=None,
    operations=frozenset({"list"}),
    features=Features(VIEW_PORTS, MANAGE_PORTS, MANAGE_PORTS, MANAGE_PORTS),
    tag="FMS Locations",
    label="Location",
    scope=_scope(None),
    envelope=Envelope.LIMIT,
    dialect=Dialect(unknown_sort="default"),
    search=(FmsLocation.code, FmsLocation.name),
    sort=Sort(_SORT, default=FmsLocation.code, named={"type": FmsLocation.type, "productType": FmsLocation.type}),
    filters={"q": _Q, "type": Filter.eq(FmsLocation.type, "port or terminal", choices=TYPES)},
    fields=Fields("id", "code", "name", "locode", "type", "port_id", "lat", "lng", "city", "country",
                  "created_at", "updated_at"),
)
