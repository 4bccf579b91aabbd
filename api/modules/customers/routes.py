"""The CRM's routes that are not a collection: the customer and deal aggregates, the phone lookup, the
per-kind dictionaries, the address-format setting, todo links and the dashboard widgets. Writes go
through the kit's functions (`api.crud.service`), so they are audited and evented like its own."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

import api.modules.example.service as example
from api.auth import AuthContext, requires
from api.crud import service as crud
from api.crud import written
from api.crud.answers import json_answer, many, shape
from api.crud.query import is_uuid, parse_bool, parse_int
from api.crud.routes import delete_id, read_json, validate_model
from api.db import utcnow
from api.deps import SessionDep
from api.errors import BadRequest, Conflict, Forbidden, NotFound
from api.modules.customers import service
from api.modules.customers.models import CustomerEntity, Deal, DictionaryEntry, Settings, TodoLink
from api.modules.customers.resources import (
    companies,
    customers,
    deals,
    dictionary_entries,
    people,
    todo_links,
    visible_customer,
)
from api.modules.customers.schemas import (
    DICTIONARY_KINDS,
    AddressFormat,
    DictionaryEntryCreate,
    DictionaryEntryUpdate,
    TodoCreateAndLink,
    TodoLinkCreate,
    TodoUnlink,
)
from api.modules.dictionaries import service as dictionaries
from api.modules.directory.models import Organization

# The answers' shapes (the OpenAPI document).
ENTRY = shape("isInherited", id="string", value="string", label="string?", color="string?", icon="string?",
              organizationId="string?", isInherited="boolean")
AGGREGATE = shape("person", "company", "people", person="object", company="object", profile="object?",
                  customFields="object", tags="array", addresses="array", comments="array", activities="array",
                  deals="array", todos="array", people="array", viewer="object")

router = APIRouter(tags=["Customers"])
ViewPeople = Annotated[AuthContext, Depends(requires("customers.people.view"))]
ViewCompanies = Annotated[AuthContext, Depends(requires("customers.companies.view"))]
ViewDeals = Annotated[AuthContext, Depends(requires("customers.deals.view"))]
ManageSettings = Annotated[AuthContext, Depends(requires("customers.settings.manage"))]
ManageActivities = Annotated[AuthContext, Depends(requires("customers.activities.manage"))]

INCLUDE_DOC = {"parameters": [{"name": "include", "in": "query", "required": False, "schema": {"type": "string"},
                               "description": "Comma-separated relations: addresses, comments, activities, deals, "
                                              "todos, people (companies only)"}]}


# --- people and companies ---------------------------------------------------------------------------------

@router.get("/customers/people/check-phone", summary="Find person by phone digits",
            description="Compares the digits of `digits` (at least 4) with the digits of each person's primary "
                        "phone, exactly: `{match: {id, displayName} | null}`. Requires features: "
                        "customers.people.view",
            openapi_extra={"parameters": [{"name": "digits", "in": "query", "required": True,
                                           "schema": {"type": "string"}}]},
            responses=json_answer(shape(match={"type": ["object", "null"]})))
async def check_phone(request: Request, session: SessionDep, ctx: ViewPeople) -> dict[str, Any]:
    wanted = (request.query_params.get("digits") or "").strip()
    if not re.fullmatch(r"\d{4,50}", wanted):
        return {"match": None}
    row = (await session.execute(crud.scoped(people, ctx).where(
        CustomerEntity.phone_digits == wanted, CustomerEntity.deleted_at.is_(None))
        .order_by(CustomerEntity.created_at, CustomerEntity.id).limit(1))).scalars().first()
    return {"match": {"id": row.id, "displayName": row.display_name} if row else None}


@router.get("/customers/people/{id}", summary="Fetch person with related data",
            description="The person, its profile, custom fields and tags, and the relations named in `include` "
                        "(addresses, comments, activities, deals, todos). Requires features: customers.people.view",
            openapi_extra=INCLUDE_DOC,
            responses=json_answer(AGGREGATE))
async def person_detail(id: str, request: Request, session: SessionDep, ctx: ViewPeople) -> JSONResponse:
    if not is_uuid(id):
        raise BadRequest("Invalid person id")
    # Answered as is: the aggregate is plain JSON already, and FastAPI's re-encoding of a few hundred
    # nested items would cost more than assembling them (bench/customers.py).
    return JSONResponse(await service.aggregate(session, ctx, people, id,
                                                service.includes(request.query_params.getlist("include"))))


@router.get("/customers/companies/{id}", summary="Fetch company with related data",
            description="The company, its profile, custom fields and tags, and the relations named in `include` "
                        "(addresses, comments, activities, deals, todos, people). Requires features: "
                        "customers.companies.view",
            openapi_extra=INCLUDE_DOC,
            responses=json_answer(AGGREGATE))
async def company_detail(id: str, request: Request, session: SessionDep, ctx: ViewCompanies) -> JSONResponse:
    if not is_uuid(id):
        raise BadRequest("Invalid company id")
    return JSONResponse(await service.aggregate(session, ctx, companies, id,
                                                service.includes(request.query_params.getlist("include"))))


@router.get("/customers/deals/{id}", summary="Fetch deal with associations",
            description="The deal with its people (and their roles), companies, custom fields and the viewer. "
                        "Requires features: customers.deals.view",
            responses=json_answer(shape(deal="object", people="array", companies="array", customFields="object")))
async def deal_detail(id: str, session: SessionDep, ctx: ViewDeals) -> dict[str, Any]:
    if not is_uuid(id):
        raise BadRequest("Invalid deal id")
    row = await crud.get_row(deals, ctx, session, id)
    return await service.deal_aggregate(session, ctx, row)


# --- dictionaries ---------------------------------------------------------------------------------------

def _kind(kind: str) -> str:
    if kind not in DICTIONARY_KINDS:
        raise BadRequest("Invalid input", [{"path": ["kind"],
                                            "message": f"Expected one of: {', '.join(DICTIONARY_KINDS)}"}])
    return kind


def _entry(row: DictionaryEntry, org_id: str | None = None) -> dict[str, Any]:
    return {"id": row.id, "value": row.value, "label": row.label, "color": row.color, "icon": row.icon,
            "organizationId": row.organization_id,
            **({"isInherited": row.organization_id != org_id} if org_id is not None else {})}


async def _org_chain(session: SessionDep, ctx: AuthContext) -> list[str]:
    """The caller's organization, then its ancestors nearest first."""
    org_id = ctx.require_org()
    org = await session.get(Organization, org_id)
    return [org_id, *reversed([str(a) for a in (org.ancestor_ids if org else None) or []])]


@router.get("/customers/dictionaries/currency", summary="Resolve currency dictionary",
            description="The `currency` dictionary of the caller's organization (else its nearest ancestor's): "
                        "`{id, entries: [{id, value, label}]}`; 404 when there is none. Requires features: "
                        "customers.people.view",
            responses=json_answer(shape(id="string", entries=many(shape(id="string", value="string")))))
async def currency_dictionary(session: SessionDep, ctx: ViewPeople) -> dict[str, Any]:
    tenant, org = ctx.require_tenant(), ctx.require_org()
    for key in ("currency", "currencies"):
        found = await dictionaries.find_dictionary(session, tenant_id=tenant, organization_id=org, key=key)
        if found is not None:
            rows = await dictionaries.entries(session, tenant_id=tenant, organization_id=org, key=key)
            return {"id": found.id, "entries": [{"id": e.id, "value": e.value, "label": e.label} for e in rows]}
    raise NotFound("Currency dictionary missing")


@router.get("/customers/dictionaries/{kind}", summary="List dictionary entries",
            description="The entries of a kind (status, source, lifecycle_stage, address_type, activity_type, "
                        "deal_status, pipeline_stage, job_title, industry) for the caller's organization, merged "
                        "with its ancestors' (the nearest organization's entry wins for a value), by label. "
                        "Requires features: customers.people.view",
            responses=json_answer(shape(items=many(ENTRY))))
async def list_entries(kind: str, session: SessionDep, ctx: ViewPeople) -> dict[str, Any]:
    _kind(kind)
    chain = await _org_chain(session, ctx)
    rows = (await session.execute(select(DictionaryEntry).where(
        DictionaryEntry.tenant_id == ctx.tenant_id, DictionaryEntry.kind == kind,
        DictionaryEntry.organization_id.in_(chain)))).scalars().all()
    rank = {org: i for i, org in enumerate(chain)}
    merged: dict[str, DictionaryEntry] = {}
    for row in sorted(rows, key=lambda r: rank[r.organization_id or ""], reverse=True):
        merged[row.normalized_value] = row
    items = sorted(merged.values(), key=lambda r: (r.label.lower(), r.value))
    return {"items": [_entry(r, chain[0]) for r in items]}


async def _taken(session: SessionDep, row_org: str | None, kind: str, normalized: str, but: str | None) -> bool:
    stmt = select(DictionaryEntry.id).where(DictionaryEntry.organization_id == row_org, DictionaryEntry.kind == kind,
                                            DictionaryEntry.normalized_value == normalized)
    if but:
        stmt = stmt.where(DictionaryEntry.id != but)
    return (await session.execute(stmt)).first() is not None


@router.post("/customers/dictionaries/{kind}", summary="Create or override dictionary entry",
             description="Creates an entry of the kind in the caller's organization (201), or updates the "
                         "organization's entry with the same value, case and spaces aside (200). Requires "
                         "features: customers.settings.manage",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object"},
                 "example": {"value": "active", "label": "Active", "color": "#22c55e"}}}}},
             responses={**json_answer(ENTRY), **json_answer(ENTRY, 201)})
async def create_entry(kind: str, request: Request, session: SessionDep, ctx: ManageSettings) -> JSONResponse:
    _kind(kind)
    body: Any = validate_model(DictionaryEntryCreate, await read_json(request))
    org_id = ctx.require_org()
    normalized = body.value.strip().lower()
    existing = (await session.execute(select(DictionaryEntry).where(
        DictionaryEntry.tenant_id == ctx.tenant_id, DictionaryEntry.organization_id == org_id,
        DictionaryEntry.kind == kind, DictionaryEntry.normalized_value == normalized))).scalars().first()
    values = {"value": body.value, "normalized_value": normalized,
              **{k: getattr(body, k) for k in ("label", "color", "icon") if k in body.model_fields_set}}
    if existing is not None:
        write = await crud.update(dictionary_entries, ctx, session, existing.id, values)
        return written(_entry(write.row), crud.entry_of(write))
    values.setdefault("label", body.value)
    values["label"] = values["label"] or body.value
    write = await crud.create(dictionary_entries, ctx, session, {**values, "kind": kind})
    return written(_entry(write.row), crud.entry_of(write), 201)


async def _own_entry(session: SessionDep, ctx: AuthContext, kind: str, entry_id: str) -> DictionaryEntry:
    _kind(kind)
    try:
        row: DictionaryEntry = await crud.get_row(dictionary_entries, ctx, session, entry_id)
    except NotFound:
        raise NotFound("Entry not found") from None
    if row.kind != kind:
        raise NotFound("Entry not found")
    return row


@router.patch("/customers/dictionaries/{kind}/{id}", summary="Update dictionary entry",
              description="Changes the value, label, color or icon of an entry (at least one). Requires features: "
                          "customers.settings.manage",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": {"type": "object"}, "example": {"label": "Active customer"}}}}},
              responses=json_answer(ENTRY))
async def update_entry(kind: str, id: str, request: Request, session: SessionDep,
                       ctx: ManageSettings) -> JSONResponse:
    body: Any = validate_model(DictionaryEntryUpdate, await read_json(request))
    row = await _own_entry(session, ctx, kind, id)
    given = body.model_fields_set
    if not given:
        raise BadRequest("Invalid input", [{"path": ["value"], "message": "Provide at least one field to update."}])
    values = {k: getattr(body, k) for k in given}
    if body.value is not None:
        values["normalized_value"] = body.value.strip().lower()
        if await _taken(session, row.organization_id, kind, values["normalized_value"], row.id):
            raise Conflict("An entry with this value already exists.")
    if "label" in values and not values["label"]:
        values["label"] = values.get("value") or row.value
    if "value" in values and values["value"] is None:
        values.pop("value"), values.pop("normalized_value", None)
    write = await crud.update(dictionary_entries, ctx, session, row.id, values)
    return written(_entry(write.row), crud.entry_of(write))


@router.delete("/customers/dictionaries/{kind}/{id}", summary="Delete dictionary entry",
               description="Removes an entry: `{success: true}`. Requires features: customers.settings.manage",
               responses=json_answer(shape(success="true")))
async def delete_entry(kind: str, id: str, session: SessionDep, ctx: ManageSettings) -> JSONResponse:
    row = await _own_entry(session, ctx, kind, id)
    write = await crud.delete(dictionary_entries, ctx, session, row.id)
    return written({"success": True}, crud.entry_of(write))


# --- settings -------------------------------------------------------------------------------------------

@router.get("/customers/settings/address-format", summary="Retrieve address format",
            description="How addresses are written for the caller's organization: `line_first` (default) or "
                        "`street_first`. Requires features: customers.settings.manage",
            responses=json_answer(shape(addressFormat="string")))
async def get_address_format(session: SessionDep, ctx: ManageSettings) -> dict[str, Any]:
    org_id = ctx.require_org()
    row = (await session.execute(select(Settings).where(Settings.organization_id == org_id))).scalars().first()
    return {"addressFormat": row.address_format if row else "line_first"}


@router.put("/customers/settings/address-format", summary="Update address format",
            description="Sets `addressFormat` (`line_first` or `street_first`) for the caller's organization. "
                        "Requires features: customers.settings.manage",
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "object"}, "example": {"addressFormat": "street_first"}}}}},
            responses=json_answer(shape(addressFormat="string")))
async def put_address_format(request: Request, session: SessionDep, ctx: ManageSettings) -> JSONResponse:
    body: Any = validate_model(AddressFormat, await read_json(request))
    tenant_id, org_id = ctx.require_tenant(), ctx.require_org()
    row = (await session.execute(select(Settings).where(Settings.organization_id == org_id))).scalars().first()
    before = {"addressFormat": row.address_format} if row else None
    action = "update" if row else "create"
    if row is None:
        row = Settings(tenant_id=tenant_id, organization_id=org_id)
        session.add(row)
    row.address_format = body.address_format
    row.updated_at = utcnow()
    await session.flush()
    after = {"addressFormat": row.address_format}
    entry = await crud.record(session, ctx, kind="customers.settings", action=action, row=row,
                              label="Customer settings", before=before, after=after, event=after, payload=after)
    return written(after, entry)


# --- todo links -----------------------------------------------------------------------------------------

def _source(value: str) -> None:
    if value != example.SOURCE:
        raise BadRequest("Invalid input", [{"path": ["todoSource"], "message": f"Expected {example.SOURCE}"}])


@router.post("/customers/todos", status_code=201, summary="Create todo and link to customer",
             description="Creates an example todo (`title`, `isDone`, custom values in `todoCustom`) in the "
                         "customer's organization and links it: `{todoId, linkId}`. Requires features: "
                         "customers.activities.manage",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object"}, "example": {"entityId": "00000000-0000-4000-8000-000000000000",
                                                           "title": "Call back", "todoSource": "example:todo"}}}}},
             responses=json_answer(shape(todoId="string", linkId="string"), 201))
async def create_todo(request: Request, session: SessionDep, ctx: ManageActivities) -> JSONResponse:
    body: Any = validate_model(TodoCreateAndLink, await read_json(request))
    _source(body.todo_source)
    customer = await visible_customer(session, ctx, body.entity_id)
    todo_id = await example.create_todo(session, ctx, title=body.title, is_done=body.is_done,
                                        organization_id=customer.organization_id,
                                        custom=body.todo_custom or body.custom)
    write = await crud.create(todo_links, ctx, session, {"entity_id": customer.id, "todo_id": todo_id,
                                                         "todo_source": body.todo_source,
                                                         "created_by_user_id": ctx.user_id})
    return written({"todoId": todo_id, "linkId": write.row.id}, crud.entry_of(write), 201)


async def _link(session: SessionDep, ctx: AuthContext, body: TodoLinkCreate) -> tuple[TodoLink | None, Any]:
    customer = await visible_customer(session, ctx, body.entity_id)
    try:
        await example.visible_todo(session, ctx, body.todo_id)
    except NotFound:
        raise NotFound("Todo not found") from None
    found = (await session.execute(select(TodoLink).where(
        TodoLink.entity_id == customer.id, TodoLink.todo_source == body.todo_source,
        TodoLink.todo_id == body.todo_id))).scalars().first()
    return found, customer


@router.put("/customers/todos", summary="Link existing todo to customer",
            description="Links a todo the caller sees to a customer (`entityId`, `todoId`): `{linkId}`; linking "
                        "twice answers the existing link. Requires features: customers.activities.manage",
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "object"}, "example": {"entityId": "00000000-0000-4000-8000-000000000000",
                                                          "todoId": "00000000-0000-4000-8000-000000000000"}}}}},
            responses=json_answer(shape(linkId="string")))
async def link_todo(request: Request, session: SessionDep, ctx: ManageActivities) -> JSONResponse:
    body: Any = validate_model(TodoLinkCreate, await read_json(request))
    _source(body.todo_source)
    found, customer = await _link(session, ctx, body)
    if found is not None:
        return JSONResponse({"linkId": found.id})
    write = await crud.create(todo_links, ctx, session, {"entity_id": customer.id, "todo_id": body.todo_id,
                                                         "todo_source": body.todo_source,
                                                         "created_by_user_id": ctx.user_id})
    return written({"linkId": write.row.id}, crud.entry_of(write))


@router.delete("/customers/todos", summary="Unlink todo from customer",
               description="Removes a link by `id` (body or query); the todo itself stays: `{linkId}`. Requires "
                           "features: customers.activities.manage",
               openapi_extra={"parameters": [{"name": "id", "in": "query", "required": False,
                                              "schema": {"type": "string"}}]},
               responses=json_answer(shape(linkId="string")))
async def unlink_todo(request: Request, session: SessionDep, ctx: ManageActivities) -> JSONResponse:
    link_id = await delete_id(request, missing="Todo link id is required")
    validate_model(TodoUnlink, {"id": link_id})
    write = await crud.delete(todo_links, ctx, session, link_id)
    return written({"linkId": link_id}, crud.entry_of(write))


# --- dashboard widgets ----------------------------------------------------------------------------------

def _widget(feature: str) -> Any:
    return Depends(requires("dashboards.view", feature))


def _widget_scope(request: Request, ctx: AuthContext) -> tuple[int, str | None]:
    params = request.query_params
    limit = parse_int(params.get("limit"), "limit", 5, 1, 20)
    tenant = params.get("tenantId")
    if tenant and tenant != ctx.tenant_id:
        raise Forbidden("Tenant is outside your scope")
    org = params.get("organizationId") or None
    if org and not ctx.sees_org(org):
        raise Forbidden("Organization is outside your scope")
    return limit, org


def _in_org(stmt: Any, model: Any, org: str | None) -> Any:
    return stmt.where(model.organization_id == org) if org else stmt


WIDGET_PARAMS = [{"name": n, "in": "query", "required": False, "schema": {"type": t}} for n, t in
                 (("limit", "integer"), ("tenantId", "string"), ("organizationId", "string"))]


@router.get("/customers/dashboard/widgets/customer-todos", summary="Fetch recent customer todo links",
            description="The latest todo links (`limit`, default 5, at most 20) with each todo's title and its "
                        "customer. Requires features: dashboards.view, customers.widgets.todos",
            openapi_extra={"parameters": WIDGET_PARAMS},
            responses=json_answer(shape(items=many(shape(id="string")))))
async def widget_todos(request: Request, session: SessionDep,
                       ctx: AuthContext = _widget("customers.widgets.todos")) -> dict[str, Any]:
    limit, org = _widget_scope(request, ctx)
    stmt = _in_org(crud.scoped(todo_links, ctx), TodoLink, org)
    links = (await session.execute(stmt.order_by(TodoLink.created_at.desc(), TodoLink.id).limit(limit))).scalars().all()
    todos = await example.todo_details(session, ctx.tenant_id, [lk.todo_id for lk in links])
    entities = {e.id: e for e in (await session.execute(select(CustomerEntity).where(
        CustomerEntity.id.in_({lk.entity_id for lk in links})))).scalars()} if links else {}
    items = []
    for link in links:
        e = entities.get(link.entity_id)
        items.append({"id": link.id, "todoId": link.todo_id, "todoSource": link.todo_source,
                      "todoTitle": (todos.get(link.todo_id) or {}).get("title"),
                      "createdAt": service.ENTITY.value(link.created_at), "organizationId": link.organization_id,
                      "entity": {"id": link.entity_id, "displayName": e.display_name if e else None,
                                 "kind": e.kind if e else None, "ownerUserId": e.owner_user_id if e else None}})
    return {"items": items}


@router.get("/customers/dashboard/widgets/new-customers", summary="Fetch recently created customers",
            description="The latest people and companies (`kind=person|company` for one kind). Requires "
                        "features: dashboards.view, customers.widgets.new-customers",
            openapi_extra={"parameters": [*WIDGET_PARAMS, {"name": "kind", "in": "query", "required": False,
                                                           "schema": {"type": "string"}}]},
            responses=json_answer(shape(items=many(shape(id="string")))))
async def widget_new_customers(request: Request, session: SessionDep,
                               ctx: AuthContext = _widget("customers.widgets.new-customers")) -> dict[str, Any]:
    limit, org = _widget_scope(request, ctx)
    kind = request.query_params.get("kind") or None
    if kind not in (None, "person", "company"):
        raise BadRequest("Invalid query parameters", [{"path": ["kind"], "message": "Expected person or company"}])
    stmt = _in_org(crud.scoped(customers, ctx).where(CustomerEntity.deleted_at.is_(None)), CustomerEntity, org)
    if kind:
        stmt = stmt.where(CustomerEntity.kind == kind)
    rows = (await session.execute(stmt.order_by(CustomerEntity.created_at.desc(), CustomerEntity.id).limit(limit))
            ).scalars().all()
    return {"items": [{"id": r.id, "displayName": r.display_name, "kind": r.kind, "organizationId": r.organization_id,
                       "createdAt": service.ENTITY.value(r.created_at), "ownerUserId": r.owner_user_id} for r in rows]}


@router.get("/customers/dashboard/widgets/new-deals", summary="Fetch recently created deals",
            description="The latest deals. Requires features: dashboards.view, customers.widgets.new-deals",
            openapi_extra={"parameters": WIDGET_PARAMS},
            responses=json_answer(shape(items=many(shape(id="string")))))
async def widget_new_deals(request: Request, session: SessionDep,
                           ctx: AuthContext = _widget("customers.widgets.new-deals")) -> dict[str, Any]:
    limit, org = _widget_scope(request, ctx)
    stmt = _in_org(crud.scoped(deals, ctx).where(Deal.deleted_at.is_(None)), Deal, org)
    rows = (await session.execute(stmt.order_by(Deal.created_at.desc(), Deal.id).limit(limit))).scalars().all()
    value = service.ENTITY.value
    return {"items": [{"id": r.id, "title": r.title, "status": r.status, "organizationId": r.organization_id,
                       "createdAt": value(r.created_at), "ownerUserId": r.owner_user_id,
                       "valueAmount": value(r.value_amount), "valueCurrency": r.value_currency} for r in rows]}


@router.get("/customers/dashboard/widgets/next-interactions", summary="Fetch upcoming customer interactions",
            description="Customers with a next interaction from now on (`includePast=true`: past ones too), "
                        "soonest first, and `now`. Requires features: dashboards.view, "
                        "customers.widgets.next-interactions",
            openapi_extra={"parameters": [*WIDGET_PARAMS, {"name": "includePast", "in": "query",
                                                           "required": False, "schema": {"type": "boolean"}}]},
            responses=json_answer(shape(items=many(shape(id="string")))))
async def widget_next_interactions(request: Request, session: SessionDep,
                                   ctx: AuthContext = _widget("customers.widgets.next-interactions")
                                   ) -> dict[str, Any]:
    limit, org = _widget_scope(request, ctx)
    raw = request.query_params.get("includePast")
    include_past = parse_bool(raw, "includePast") if raw else False
    now = datetime.now(UTC)
    stmt = _in_org(crud.scoped(customers, ctx).where(CustomerEntity.deleted_at.is_(None),
                                                     CustomerEntity.next_interaction_at.is_not(None)),
                   CustomerEntity, org)
    if not include_past:
        stmt = stmt.where(CustomerEntity.next_interaction_at >= now)
    rows = (await session.execute(stmt.order_by(CustomerEntity.next_interaction_at, CustomerEntity.id).limit(limit))
            ).scalars().all()
    value = service.ENTITY.value
    return {"items": [{"id": r.id, "displayName": r.display_name, "kind": r.kind, "organizationId": r.organization_id,
                       "nextInteractionAt": value(r.next_interaction_at),
                       "nextInteractionName": r.next_interaction_name,
                       "nextInteractionIcon": r.next_interaction_icon,
                       "nextInteractionColor": r.next_interaction_color, "ownerUserId": r.owner_user_id}
                      for r in rows], "now": value(now)}
