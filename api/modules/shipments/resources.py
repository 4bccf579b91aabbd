"""The shipments module's collections. The kit serves `/shipments` and the lists of containers and tasks across
shipments; a shipment's own containers, documents and tasks are served by the module's routes (the
reference's nested paths and answers) and written through the kit's functions: scoped, audited and evented."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, String, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.casing import jsonable
from api.crud import Dialect, Envelope, Features, Fields, Filter, Hooks, Owned, Parent, Resource, Sort, Write
from api.crud.query import STRICT, like_pattern, typed
from api.errors import BadRequest
from api.modules.shipments import parties
from api.modules.shipments.models import (
    CONTAINER_STATUSES,
    CONTAINER_TYPES,
    INCOTERMS,
    MODES,
    SHIPMENT_STATUSES,
    TASK_STATUSES,
    Shipment,
    ShipmentContainer,
    ShipmentDocument,
    ShipmentTask,
)
from api.modules.shipments.schemas import ShipmentCreate, ShipmentUpdate

VIEW, CREATE, EDIT, DELETE = ("shipments.shipments.view", "shipments.shipments.create", "shipments.shipments.edit",
                              "shipments.shipments.delete")
IMPORT = "shipments.import"
TAG = "Shipments"

# The grid's `filters` rows (`[{id, field, operator, values}]`) name shipment fields by their API keys.
FILTERABLE = {
    "internalReference": Shipment.internal_reference, "bookingNumber": Shipment.booking_number,
    "bolNumber": Shipment.bol_number, "containerNumber": Shipment.container_number,
    "containerType": Shipment.container_type, "status": Shipment.status, "carrier": Shipment.carrier,
    "originPort": Shipment.origin_port, "originLocation": Shipment.origin_location,
    "destinationPort": Shipment.destination_port, "destinationLocation": Shipment.destination_location,
    "etd": Shipment.etd, "atd": Shipment.atd, "eta": Shipment.eta, "ata": Shipment.ata, "mode": Shipment.mode,
    "incoterms": Shipment.incoterms, "weight": Shipment.weight, "volume": Shipment.volume,
    "totalPieces": Shipment.total_pieces, "totalVolume": Shipment.total_volume, "amount": Shipment.amount,
    "vesselName": Shipment.vessel_name, "voyageNumber": Shipment.voyage_number,
    "requestDate": Shipment.request_date, "createdAt": Shipment.created_at, "updatedAt": Shipment.updated_at,
}
OPERATORS = ("is_any_of", "is_not_any_of", "contains", "is_empty", "is_not_empty", "equals", "not_equals",
             "greater_than", "less_than", "greater_than_or_equal", "less_than_or_equal", "is_true", "is_false")


def _bad_filters(message: str) -> BadRequest:
    return BadRequest("Invalid input", [{"path": ["filters"], "message": message}])


def _operand(column: Any, value: Any) -> Any:
    """A filter value as the column holds it (a number for a numeric column, an instant for a date), so
    PostgreSQL compares like with like; a value of the wrong kind is a 400."""
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad_filters(f"Unsupported filter value {value!r}")
    return typed(column, str(value), "filters", STRICT)


def _row_clause(row: Any) -> Any:
    if not isinstance(row, dict) or not isinstance(row.get("field"), str) or row.get("operator") not in OPERATORS:
        raise _bad_filters(f"Each filter needs a field and one of the operators {', '.join(OPERATORS)}")
    column = FILTERABLE.get(row["field"])
    if column is None:
        raise _bad_filters(f"Unknown filter field {row['field']}")
    values = row.get("values") or []
    if not isinstance(values, list):
        raise _bad_filters("values must be an array")
    op: str = row["operator"]
    if op == "is_empty":
        return column.is_(None)
    if op == "is_not_empty":
        return column.is_not(None)
    if op in ("is_true", "is_false"):
        raise _bad_filters(f"{row['field']} is not a yes/no field")
    if not values:
        raise _bad_filters(f"The {op} filter of {row['field']} needs a value")
    if op == "is_any_of":
        return column.in_([_operand(column, v) for v in values])
    if op == "is_not_any_of":
        return or_(column.is_(None), column.not_in([_operand(column, v) for v in values]))
    if op == "contains":
        if not isinstance(column.type, String):
            raise _bad_filters(f"{row['field']} is not a text field")
        return func.lower(column).like(like_pattern(str(values[0])), escape="\\")
    value = _operand(column, values[0])
    return {"equals": column == value, "not_equals": column != value, "greater_than": column > value,
            "less_than": column < value, "greater_than_or_equal": column >= value,
            "less_than_or_equal": column <= value}[op]


def grid_filters(stmt: Select[Any], raw: str) -> Select[Any]:
    """The grid's `filters` parameter: a JSON array of `{field, operator, values}` rows, all of which
    must hold."""
    try:
        rows = json.loads(raw)
    except ValueError:
        raise _bad_filters("filters must be a JSON array") from None
    if not isinstance(rows, list):
        raise _bad_filters("filters must be a JSON array")
    return stmt.where(*[_row_clause(r) for r in rows]) if rows else stmt


# --- shipment hooks ----------------------------------------------------------------------------------

PARTY_FIELDS = ("client_id", "shipper_id", "consignee_id", "contact_person_id")


async def _check_parties(write: Write) -> None:
    """Parties must be customers and users the caller can see: an id from another tenant (or a typo)
    is refused rather than stored as a dangling reference."""
    problems: list[dict[str, Any]] = []
    for name in PARTY_FIELDS:
        value = write.values.get(name)
        if value and value != getattr(write.row, name, None) \
                and await parties.find_customer(write.session, write.ctx, value) is None:
            problems.append({"path": [parties.api_key(name)], "message": "Customer not found"})
    assignee = write.values.get("assigned_to_id")
    if assignee and assignee != getattr(write.row, "assigned_to_id", None) \
            and not await parties.user_exists(write.session, write.ctx, assignee):
        problems.append({"path": ["assignedToId"], "message": "User not found"})
    if "status" in write.values and write.values["status"] is None:
        problems.append({"path": ["status"], "message": "Status cannot be cleared"})
    if problems:
        raise BadRequest("Invalid input", problems)


async def _before_create(write: Write) -> None:
    await _check_parties(write)
    # The creator is whoever is signed in, never a body field.
    write.values["created_by_id"] = write.ctx.user_id


async def _decorate(session: Any, ctx: Any, items: list[dict[str, Any]]) -> None:
    await parties.attach(session, ctx, items, customers=("client",), users=("createdBy", "assignedTo"))


async def _present(session: Any, ctx: Any, records: list[dict[str, Any]]) -> None:
    """A shipment by id names all its parties: `client`, `shipper`, `consignee`, `contactPerson`
    (`{id, displayName, primaryEmail, status}`), `createdBy`, `assignedTo` (`{id, email, name}`)."""
    await parties.attach(session, ctx, records, customers=("client", "shipper", "consignee", "contactPerson"),
                         users=("createdBy", "assignedTo"))


shipments = Resource(
    path="/shipments",
    model=Shipment,
    entity="shipments.shipment",
    create_schema=ShipmentCreate,
    update_schema=ShipmentUpdate,
    features=Features(VIEW, CREATE, EDIT, DELETE),
    tag=TAG,
    label="Shipment",
    soft_delete=False,
    detail=True,
    # Deleted for good with the shipment, and brought back by its undo (the documents' files stay in the
    # attachments library, where they can still be found and removed).
    owns=(Owned(ShipmentContainer.shipment_id), Owned(ShipmentTask.shipment_id), Owned(ShipmentDocument.shipment_id)),
    by_id=frozenset({"update", "delete"}),
    deleted_body=None,  # the reference answers its deletes 204
    search=(Shipment.internal_reference, Shipment.booking_number, Shipment.container_number, Shipment.bol_number,
            Shipment.carrier),
    sort=Sort((Shipment.created_at, Shipment.updated_at, Shipment.eta, Shipment.etd, Shipment.ata, Shipment.atd,
               Shipment.status, Shipment.internal_reference, Shipment.booking_number, Shipment.request_date),
              default=Shipment.created_at, direction="desc"),
    filters={
        "filters": Filter.using(grid_filters, "Grid filters: JSON array of {id, field, operator, values}"),
        "status": Filter.eq(Shipment.status, "Only this status", SHIPMENT_STATUSES),
        "containerType": Filter.eq(Shipment.container_type, "Only this container type", CONTAINER_TYPES),
        "incoterms": Filter.eq(Shipment.incoterms, "Only these incoterms", INCOTERMS),
        "mode": Filter.eq(Shipment.mode, "Only this mode", MODES),
        "clientId": Filter.uuid(Shipment.client_id, "Only this client"),
        "assignedToId": Filter.uuid(Shipment.assigned_to_id, "Only shipments assigned to this user"),
        "containerNumber": Filter.contains(Shipment.container_number, "Container number contains"),
        "bookingNumber": Filter.contains(Shipment.booking_number, "Booking number contains"),
        "bolNumber": Filter.contains(Shipment.bol_number, "Bill of lading number contains"),
        "carrier": Filter.contains(Shipment.carrier, "Carrier contains"),
        "originPort": Filter.contains(Shipment.origin_port, "Origin port contains"),
        "destinationPort": Filter.contains(Shipment.destination_port, "Destination port contains"),
        "etdFrom": Filter.min(Shipment.etd, "ETD at or after (ISO date)"),
        "etdTo": Filter.max(Shipment.etd, "ETD at or before (ISO date)"),
        "etaFrom": Filter.min(Shipment.eta, "ETA at or after (ISO date)"),
        "etaTo": Filter.max(Shipment.eta, "ETA at or before (ISO date)"),
        "requestDateFrom": Filter.min(Shipment.request_date, "Requested at or after (ISO date)"),
        "requestDateTo": Filter.max(Shipment.request_date, "Requested at or before (ISO date)"),
    },
    fields=Fields(),
    detail_fields=Fields(),
    hooks=Hooks(before_create=_before_create, before_update=_check_parties, decorate=_decorate, present=_present),
    descriptions={
        "list": "Shipments in the current scope, newest first, each with its client, creator and assignee "
                "(`{id, displayName, primaryEmail}` / `{id, email, name}`).",
        "create": "Creates a shipment (status BOOKED unless given); the caller is its creator.",
        "delete": "Deletes a shipment for good, with its containers, documents and tasks, by `?id=` "
                  "(or `{\"id\"}` in the body); answers 204.",
        "delete_by_id": "Deletes the shipment named by the path for good, with its containers, documents and "
                        "tasks; answers 204.",
        "detail": "One shipment with its parties: `client`, `shipper`, `consignee`, `contactPerson` (`{id, "
                  "displayName, primaryEmail, status}`), `createdBy`, `assignedTo` (`{id, email, name}`), null when "
                  "unset or not visible.",
        "update_by_id": "Changes the fields given (as `PUT /shipments`, the id in the path); keys left out keep "
                        "their values. Answers the updated shipment with its parties.",
    },
)

# Served by the module's routes (no kit routes): declared for the kit's writes and the undo registry.
NO_ROUTES: frozenset[str] = frozenset()
LIST_ONLY = frozenset({"list"})
# The containers and tasks across shipments: the reference's `{ok, items, pagination}` pages of 10, sorted by
# `sortBy`/`sortOrder`, filtered by comma-separated `status`es.
REFERENCE_SORT = Dialect(aliases=(("sortBy", "sortField"), ("sortOrder", "sortDir")))


def summary(row: Shipment | None) -> dict[str, Any] | None:
    """The few fields of a shipment a container or task list shows beside each item."""
    if row is None:
        return None
    return {"id": row.id, "internalReference": row.internal_reference, "bookingNumber": row.booking_number,
            "containerNumber": row.container_number, "carrier": row.carrier, "status": row.status,
            "originPort": row.origin_port, "destinationPort": row.destination_port, "eta": jsonable(row.eta)}


async def with_shipments(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    """Each item's `shipment` summary (one query for the page)."""
    ids = {i["shipmentId"] for i in items}
    rows = {s.id: s for s in (await session.execute(select(Shipment).where(Shipment.id.in_(ids)))).scalars()} \
        if ids else {}
    for item in items:
        item["shipment"] = summary(rows.get(item["shipmentId"]))


async def _decorate_tasks(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    await parties.attach(session, ctx, items, users=("assignedTo",))
    await with_shipments(session, ctx, items)


containers = Resource(
    path="/shipments/containers", model=ShipmentContainer, entity="shipments.container",
    create_schema=None, update_schema=None, features=Features(VIEW, IMPORT, EDIT, EDIT), tag=TAG,
    label="Container", operations=LIST_ONLY, soft_delete=False, fields=Fields(),
    parent=Parent(param="shipmentId", column=ShipmentContainer.shipment_id, resource=shipments,
                  required_on_list=False),
    sort=Sort((ShipmentContainer.created_at, ShipmentContainer.updated_at, ShipmentContainer.container_number,
               ShipmentContainer.container_type, ShipmentContainer.status, ShipmentContainer.gate_in_date,
               ShipmentContainer.loaded_on_vessel_date, ShipmentContainer.discharged_date,
               ShipmentContainer.gate_out_date, ShipmentContainer.empty_return_date),
              default=ShipmentContainer.discharged_date, direction="desc"),
    filters={"status": Filter.any_of(ShipmentContainer.status, "Comma-separated statuses", CONTAINER_STATUSES)},
    hooks=Hooks(decorate=with_shipments),
    descriptions={"list": "Containers of the caller's shipments, each with a summary of its `shipment`, most "
                          "recently discharged first (never discharged last): `{ok, items, pagination: {page, "
                          "pageSize, total, totalPages}}`, 10 a page."},
    envelope=Envelope.NESTED, page_size=10, dialect=REFERENCE_SORT,
)

documents = Resource(
    path="/shipments/documents", model=ShipmentDocument, entity="shipments.document",
    create_schema=None, update_schema=None, features=Features(VIEW, EDIT, EDIT, EDIT), tag=TAG,
    label="Document", operations=NO_ROUTES, soft_delete=False, fields=Fields(),
    parent=Parent(param="shipmentId", column=ShipmentDocument.shipment_id, resource=shipments),
)


async def _check_assignee(write: Write) -> None:
    assignee = write.values.get("assigned_to_id")
    if assignee and assignee != getattr(write.row, "assigned_to_id", None) \
            and not await parties.user_exists(write.session, write.ctx, assignee):
        raise BadRequest("Invalid input", [{"path": ["assignedToId"], "message": "User not found"}])
    for name in ("title", "status"):
        if name in write.values and write.values[name] is None:
            raise BadRequest("Invalid input", [{"path": [name], "message": f"{name.capitalize()} cannot be cleared"}])


tasks = Resource(
    path="/shipments/tasks", model=ShipmentTask, entity="shipments.task",
    create_schema=None, update_schema=None, features=Features(VIEW, EDIT, EDIT, EDIT), tag=TAG,
    label="Task", operations=LIST_ONLY, soft_delete=False, fields=Fields(),
    parent=Parent(param="shipmentId", column=ShipmentTask.shipment_id, resource=shipments, required_on_list=False),
    sort=Sort((ShipmentTask.created_at, ShipmentTask.updated_at, ShipmentTask.title, ShipmentTask.status),
              default=ShipmentTask.created_at),
    filters={"status": Filter.any_of(ShipmentTask.status, "Comma-separated statuses", TASK_STATUSES)},
    hooks=Hooks(before_create=_check_assignee, before_update=_check_assignee, decorate=_decorate_tasks),
    descriptions={"list": "Tasks of the caller's shipments, oldest first, each with its `assignedTo` and a summary "
                          "of its `shipment`: `{ok, items, pagination: {page, pageSize, total, totalPages}}`, 10 a "
                          "page."},
    envelope=Envelope.NESTED, page_size=10, dialect=REFERENCE_SORT,
)
