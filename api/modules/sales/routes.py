"""Sales routes that are not collections: document numbers, the number and order-editing settings,
quote-to-order conversion, and payment update/delete (whose answers carry the order's totals)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import api.modules.dictionaries.service as dictionaries
from api.auth import AuthContext, requires
from api.crud import service as crud
from api.crud.answers import json_answer, shape
from api.crud.routes import validate_model
from api.crud.tags import TagAssignment
from api.db import new_id
from api.deps import SessionDep
from api.errors import BadRequest, Conflict, NotFound
from api.modules.sales import documents
from api.modules.sales.models import SalesDocumentAddress
from api.modules.sales.resources import (
    ORDERS_MANAGE,
    QUOTES_MANAGE,
    SETTINGS_MANAGE,
    TAG,
    orders,
    quotes,
)
from api.modules.sales.schemas import (
    ConvertQuote,
    DocumentNumberSettings,
    NextNumber,
    OrderCreate,
    OrderEditingSettings,
)

# The answer of a payment's update and delete (as its create's, api/modules/sales/resources.py).

# The answers' shapes (the OpenAPI document).
NUMBERS = shape(orderNumberFormat="string", quoteNumberFormat="string", nextOrderNumber="integer",
                nextQuoteNumber="integer")
EDITING = shape(orderCustomerEditableStatuses={"type": ["array", "null"]},
                orderAddressEditableStatuses={"type": ["array", "null"]}, orderStatuses="array")

router = APIRouter(tags=[TAG])
Settings = Annotated[AuthContext, Depends(requires(SETTINGS_MANAGE))]
Converting = Annotated[AuthContext, Depends(requires(QUOTES_MANAGE, ORDERS_MANAGE))]
Numbering = Annotated[AuthContext, Depends(requires())]


async def _body(request: Request) -> Any:
    from api.body import read_json
    return await read_json(request, empty={})


# --- document numbers ------------------------------------------------------------------------------------

@router.post("/sales/document-numbers", summary="Generate the next document number",
             description="Takes the next number of `kind` (order or quote) from the organization's sequence and "
                         "formats it with the configured template. The number is used up. Requires features: "
                         f"{ORDERS_MANAGE} (orders) or {QUOTES_MANAGE} (quotes)",
             responses=json_answer(shape(number="string", format="string", sequence="integer")))
async def generate_number(request: Request, session: SessionDep, ctx: Numbering) -> dict[str, Any]:
    body = validate_model(NextNumber, await _body(request))
    assert isinstance(body, NextNumber)
    needed = ORDERS_MANAGE if body.kind == "order" else QUOTES_MANAGE
    if not ctx.can(needed):
        from api.errors import Forbidden
        raise Forbidden("Forbidden", extra={"requiredFeatures": [needed]})
    number, template, seq = await documents.next_number(session, ctx.require_tenant(), ctx.require_org(), body.kind)
    return {"number": number, "format": template, "sequence": seq}


async def _number_settings(session: AsyncSession, ctx: AuthContext) -> dict[str, Any]:
    tenant, org = ctx.require_tenant(), ctx.require_org()
    return {
        "orderNumberFormat": await documents.number_format(session, tenant, org, "order"),
        "quoteNumberFormat": await documents.number_format(session, tenant, org, "quote"),
        "nextOrderNumber": await documents.current_sequence(session, tenant, org, "order") + 1,
        "nextQuoteNumber": await documents.current_sequence(session, tenant, org, "quote") + 1,
    }


@router.get("/sales/settings/document-numbers", summary="Get document number settings",
            description="The number templates (tokens `{yyyy}` `{yy}` `{mm}` `{dd}` `{seq}` `{seq:N}`) and the next "
                        f"numbers of orders and quotes. Requires features: {SETTINGS_MANAGE}",
            responses=json_answer(NUMBERS))
async def get_number_settings(session: SessionDep, ctx: Settings) -> dict[str, Any]:
    return await _number_settings(session, ctx)


@router.put("/sales/settings/document-numbers", summary="Update document number settings",
            description="Changes the templates and, with `orderNextNumber`/`quoteNextNumber`, where the sequences "
                        f"continue. Requires features: {SETTINGS_MANAGE}",
            responses=json_answer(NUMBERS))
async def put_number_settings(request: Request, session: SessionDep, ctx: Settings) -> dict[str, Any]:
    body = validate_model(DocumentNumberSettings, await _body(request))
    assert isinstance(body, DocumentNumberSettings)
    tenant, org = ctx.require_tenant(), ctx.require_org()
    for template in (body.order_number_format, body.quote_number_format):
        if template is not None:
            documents.check_format(template)
    row = await documents.settings_row(session, tenant, org, create=True)
    assert row is not None
    if body.order_number_format:
        row.order_number_format = body.order_number_format
    if body.quote_number_format:
        row.quote_number_format = body.quote_number_format
    given = body.model_fields_set
    if "order_customer_editable_statuses" in given:
        row.order_customer_editable_statuses = body.order_customer_editable_statuses
    if "order_address_editable_statuses" in given:
        row.order_address_editable_statuses = body.order_address_editable_statuses
    for kind, value in (("order", body.order_next_number), ("quote", body.quote_next_number)):
        if value is not None:
            await documents.set_sequence(session, tenant, org, kind, value)
    await session.flush()
    return await _number_settings(session, ctx)


async def _editing(session: AsyncSession, ctx: AuthContext) -> dict[str, Any]:
    tenant, org = ctx.require_tenant(), ctx.require_org()
    row = await documents.settings_row(session, tenant, org)
    if await dictionaries.find_dictionary(session, tenant_id=tenant, organization_id=org,
                                          key=documents.ORDER_STATUS) is None:
        await dictionaries.ensure_defaults(session, tenant_id=tenant, organization_id=org)
    statuses = await dictionaries.entries(session, tenant_id=tenant, organization_id=org, key=documents.ORDER_STATUS)
    return {"orderCustomerEditableStatuses": row.order_customer_editable_statuses if row else None,
            "orderAddressEditableStatuses": row.order_address_editable_statuses if row else None,
            "orderStatuses": [{"id": e.id, "value": e.value, "label": e.label} for e in statuses]}


@router.get("/sales/settings/order-editing", summary="Get order editing settings",
            description="The order statuses in which an order's customer and addresses may still change (none "
                        f"listed: any), and the order statuses to choose from. Requires features: {SETTINGS_MANAGE}",
            responses=json_answer(EDITING))
async def get_editing(session: SessionDep, ctx: Settings) -> dict[str, Any]:
    return await _editing(session, ctx)


@router.put("/sales/settings/order-editing", summary="Update order editing settings",
            description=f"Sets the statuses in which customer and addresses are editable. Requires features: "
                        f"{SETTINGS_MANAGE}",
            responses=json_answer(EDITING))
async def put_editing(request: Request, session: SessionDep, ctx: Settings) -> dict[str, Any]:
    body = validate_model(OrderEditingSettings, await _body(request))
    assert isinstance(body, OrderEditingSettings)
    tenant, org = ctx.require_tenant(), ctx.require_org()
    known = {e.value for e in await dictionaries.entries(session, tenant_id=tenant, organization_id=org,
                                                         key=documents.ORDER_STATUS)}
    for name in ("order_customer_editable_statuses", "order_address_editable_statuses"):
        for value in getattr(body, name) or []:
            if known and value not in known:
                raise BadRequest(f"Unknown order status: {value}")
    row = await documents.settings_row(session, tenant, org, create=True)
    assert row is not None
    given = body.model_fields_set
    if "order_customer_editable_statuses" in given:
        row.order_customer_editable_statuses = body.order_customer_editable_statuses
    if "order_address_editable_statuses" in given:
        row.order_address_editable_statuses = body.order_address_editable_statuses
    await session.flush()
    return await _editing(session, ctx)


# --- quote to order --------------------------------------------------------------------------------------

COPIED = ("status_entry_id", "customer_entity_id", "customer_contact_id", "customer_snapshot", "billing_address_id",
          "shipping_address_id", "billing_address_snapshot", "shipping_address_snapshot", "customer_reference",
          "external_reference", "comment", "internal_notes", "expected_delivery_at", "currency_code",
          "exchange_rate", "channel_id", "tax_strategy_key", "discount_strategy_key", "tax_info",
          "custom_field_set_id")
# `custom_values`: a quote line's custom fields belong to sales:sales_quote_line (encrypted ones are bound to
# that entity), not to the order line the conversion makes.
SKIP = frozenset({"id", "tenant_id", "organization_id", "created_at", "updated_at", "deleted_at", "quote_id",
                  "quote_line_id", "custom_values"})


@router.post("/sales/quotes/convert", summary="Convert a quote into an order",
             description="Creates an order from the quote (lines, adjustments, addresses, tags, snapshots and "
                         "totals copied) and removes the quote, in one transaction. A quote converts once (409 "
                         f"after). Requires features: {QUOTES_MANAGE}, {ORDERS_MANAGE}",
             responses=json_answer(shape(orderId="string")))
async def convert(request: Request, session: SessionDep, ctx: Converting) -> dict[str, Any]:
    body = validate_model(ConvertQuote, await _body(request))
    assert isinstance(body, ConvertQuote)
    quote = await crud.get_row(quotes, ctx, session, body.quote_id, with_deleted=True)
    if quote.converted_order_id or quote.deleted_at is not None:
        if quote.converted_order_id:
            raise Conflict("Quote already converted", extra={"orderId": quote.converted_order_id})
        raise NotFound("Quote not found")
    quote = await documents.lock(session, documents.QUOTE, quote.id, ctx)
    data = {k: getattr(quote, k) for k in COPIED}
    data.update({"organization_id": quote.organization_id, "metadata_json": quote.metadata_json,
                 "shipping_method_id": quote.shipping_method_id, "payment_method_id": quote.payment_method_id,
                 "delivery_window_id": quote.delivery_window_id})
    order_body = OrderCreate.model_validate({k: v for k, v in data.items() if v is not None})
    write = await crud.create(orders, ctx, session, order_body)
    order = write.row
    # The quote's snapshots are what was agreed: they win over the methods' current state.
    for key in ("shipping_method_snapshot", "payment_method_snapshot", "delivery_window_snapshot",
                "shipping_method_code", "payment_method_code", "delivery_window_code", "customer_snapshot"):
        setattr(order, key, getattr(quote, key))
    order.quote_id = quote.id
    line_ids: dict[str, str] = {}
    for line in (await session.execute(select(documents.QUOTE.line_model).where(
            documents.QUOTE.line_model.quote_id == quote.id, documents.QUOTE.line_model.deleted_at.is_(None))
            .order_by(documents.QUOTE.line_model.line_number))).scalars():
        copy = documents.ORDER.line_model(id=new_id(), tenant_id=order.tenant_id, organization_id=order.organization_id,
                                          order_id=order.id)
        for col in line.__table__.columns.keys():
            attr = "metadata_json" if col == "metadata" else col
            if attr not in SKIP:
                setattr(copy, attr, getattr(line, attr))
        session.add(copy)
        line_ids[line.id] = copy.id
    for adj in (await session.execute(select(documents.QUOTE.adjustment_model).where(
            documents.QUOTE.adjustment_model.quote_id == quote.id,
            documents.QUOTE.adjustment_model.deleted_at.is_(None)))).scalars():
        adj_copy = documents.ORDER.adjustment_model(id=new_id(), tenant_id=order.tenant_id,
                                                    organization_id=order.organization_id, order_id=order.id,
                                                    order_line_id=line_ids.get(adj.quote_line_id or ""))
        for col in adj.__table__.columns.keys():
            attr = "metadata_json" if col == "metadata" else col
            if attr not in SKIP:
                setattr(adj_copy, attr, getattr(adj, attr))
        session.add(adj_copy)
    for address in (await session.execute(select(SalesDocumentAddress).where(
            SalesDocumentAddress.document_id == quote.id, SalesDocumentAddress.document_kind == "quote",
            SalesDocumentAddress.deleted_at.is_(None)))).scalars():
        addr_copy = SalesDocumentAddress(id=new_id(), tenant_id=order.tenant_id,
                                         organization_id=order.organization_id, document_id=order.id,
                                         document_kind="order")
        for col in address.__table__.columns.keys():
            if col not in SKIP | {"document_id", "document_kind"}:
                setattr(addr_copy, col, getattr(address, col))
        session.add(addr_copy)
    for link in (await session.execute(select(TagAssignment).where(
            TagAssignment.entity_type == "sales.quote", TagAssignment.entity_id == quote.id))).scalars():
        session.add(TagAssignment(id=new_id(), tag_id=link.tag_id, entity_type="sales.order", entity_id=order.id,
                                  tenant_id=link.tenant_id, organization_id=order.organization_id))
    await session.flush()
    await documents.recalculate(session, documents.ORDER, order)
    quote.converted_order_id = order.id
    await crud.delete(quotes, ctx, session, quote.id)
    return {"orderId": order.id}
