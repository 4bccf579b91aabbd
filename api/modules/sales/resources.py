"""Sales collections as kit declarations: channels; orders and quotes with their lines and
adjustments (every write that affects totals locks the document and recalculates it in the same
transaction); payments and shipments with their guards; notes; document addresses; tags; shipping
and payment methods, delivery windows and tax rates; the status dictionaries; price kinds.
See docs/sales.md."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, delete, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

import api.modules.dictionaries.service as dictionaries
from api import audit
from api.auth import AuthContext
from api.casing import camel, jsonable
from api.crud import Envelope, Features, Fields, Filter, Hooks, Parent, Resource, Sort, Write, shape
from api.crud.service import owner_from_body, write_custom
from api.crud.tags import Tag, TagAssignment, linked_tags, relink_tags, tag_resource
from api.db import new_id, utcnow
from api.errors import BadRequest, Conflict, NotFound
from api.modules.catalog.service import PriceKind
from api.modules.dictionaries.service import Dictionary, DictionaryEntry
from api.modules.sales import documents
from api.modules.sales.models import (
    SalesChannel,
    SalesDeliveryWindow,
    SalesDocumentAddress,
    SalesNote,
    SalesOrder,
    SalesOrderAdjustment,
    SalesOrderLine,
    SalesPayment,
    SalesPaymentMethod,
    SalesQuote,
    SalesShipment,
    SalesShipmentItem,
    SalesShippingMethod,
    SalesTaxRate,
)
from api.modules.sales.schemas import (
    ChannelCreate,
    ChannelUpdate,
    DeliveryWindowCreate,
    DeliveryWindowUpdate,
    DocumentAddressCreate,
    DocumentAddressUpdate,
    NoteCreate,
    NoteUpdate,
    OrderAdjustmentCreate,
    OrderAdjustmentUpdate,
    OrderCreate,
    OrderLineCreate,
    OrderLineUpdate,
    OrderUpdate,
    PaymentCreate,
    PaymentMethodCreate,
    PaymentMethodUpdate,
    PaymentUpdate,
    QuoteAdjustmentCreate,
    QuoteAdjustmentUpdate,
    QuoteCreate,
    QuoteLineCreate,
    QuoteLineUpdate,
    QuoteUpdate,
    ShipmentCreate,
    ShipmentUpdate,
    ShippingMethodCreate,
    ShippingMethodUpdate,
    StatusCreate,
    StatusUpdate,
    TaxRateCreate,
    TaxRateUpdate,
)
from api.modules.sales.service import live_channel_ids

CHANNELS_MANAGE = "sales.channels.manage"
TOTAL_COLUMNS = (
    "subtotal_net_amount", "subtotal_gross_amount", "discount_total_amount", "tax_total_amount",
    "shipping_net_amount", "shipping_gross_amount", "surcharge_total_amount", "grand_total_net_amount",
    "grand_total_gross_amount", "paid_total_amount", "refunded_total_amount", "outstanding_amount",
    "line_item_count", "totals_snapshot", "version")


async def _code_free(write: Write) -> None:
    """A channel's code is unique among the organization's live channels (a code names it in imports)."""
    code = write.values.get("code")
    if not code:
        return
    row = write.row
    taken = (await write.session.execute(select(SalesChannel.id).where(
        SalesChannel.tenant_id == row.tenant_id, SalesChannel.organization_id == row.organization_id,
        SalesChannel.code == code, SalesChannel.deleted_at.is_(None), SalesChannel.id != row.id))).first()
    if taken is not None:
        raise Conflict("Sales channel code already exists")


channels = Resource(
    path="/sales/channels",
    model=SalesChannel,
    entity="sales.channel",
    create_schema=ChannelCreate,
    update_schema=ChannelUpdate,
    features=Features.view_manage(CHANNELS_MANAGE, CHANNELS_MANAGE),
    tag="Sales",
    label="Sales channel",
    descriptions={"list": "Manage sales channels to segment orders and pricing across marketplaces or stores."},
    search=(SalesChannel.name, SalesChannel.code),
    sort=Sort((SalesChannel.name, SalesChannel.code, SalesChannel.created_at, SalesChannel.updated_at),
              default=SalesChannel.name),
    filters={"isActive": Filter.eq(SalesChannel.is_active, "Active or not")},
    fields=Fields("id", "name", "code", "description", "status_entry_id", "is_active", "organization_id",
                  "tenant_id", "created_at", "updated_at"),
    hooks=Hooks(before_create=_code_free, before_update=_code_free),
)


# --- features ---------------------------------------------------------------------------------------------

ORDERS_VIEW, ORDERS_MANAGE = "sales.orders.view", "sales.orders.manage"
QUOTES_VIEW, QUOTES_MANAGE = "sales.quotes.view", "sales.quotes.manage"
PAYMENTS_MANAGE = "sales.payments.manage"
SHIPMENTS_MANAGE = "sales.shipments.manage"
SETTINGS_MANAGE = "sales.settings.manage"
TAG = "Sales"
NAMESPACE = "sales"
META = {"metadata_json": "metadata"}


# --- methods, windows, tax rates: settings collections -----------------------------------------------------

def _unique_code(model: Any, label: str) -> Callable[[Write], Awaitable[None]]:
    async def check(write: Write) -> None:
        code = write.values.get("code")
        if not code:
            return
        row = write.row
        taken = (await write.session.execute(select(model.id).where(
            model.tenant_id == row.tenant_id, model.organization_id == row.organization_id, model.code == code,
            model.deleted_at.is_(None), model.id != row.id))).first()
        if taken is not None:
            raise Conflict(f"{label} code already exists")
    return check


def _settings_resource(path: str, model: Any, entity: str, label: str, create: Any, update: Any,
                       filters: dict[str, Filter], sort_cols: tuple[Any, ...], **extra: Any) -> Resource:
    check = _unique_code(model, label)
    return Resource(
        path=path, model=model, entity=entity, create_schema=create, update_schema=update,
        features=Features.view_manage(SETTINGS_MANAGE, SETTINGS_MANAGE), tag=TAG, label=label,
        search=(model.name, model.code), sort=Sort(sort_cols + (model.created_at, model.updated_at),
                                                   default=model.name),
        filters={"isActive": Filter.eq(model.is_active, "Active or not"), **filters} if hasattr(model, "is_active")
        else filters,
        fields=Fields(rename=META), hooks=Hooks(before_create=check, before_update=check), **extra)


shipping_methods = _settings_resource(
    "/sales/shipping-methods", SalesShippingMethod, "sales.shipping_method", "Shipping method",
    ShippingMethodCreate, ShippingMethodUpdate,
    {"currency": Filter.eq(SalesShippingMethod.currency_code, "Currency code")},
    (SalesShippingMethod.name, SalesShippingMethod.code, SalesShippingMethod.base_rate_net))
delivery_windows = _settings_resource(
    "/sales/delivery-windows", SalesDeliveryWindow, "sales.delivery_window", "Delivery window",
    DeliveryWindowCreate, DeliveryWindowUpdate, {}, (SalesDeliveryWindow.name, SalesDeliveryWindow.code))
payment_methods = _settings_resource(
    "/sales/payment-methods", SalesPaymentMethod, "sales.payment_method", "Payment method",
    PaymentMethodCreate, PaymentMethodUpdate, {}, (SalesPaymentMethod.name, SalesPaymentMethod.code))
tax_rates = _settings_resource(
    "/sales/tax-rates", SalesTaxRate, "sales.tax_rate", "Tax rate", TaxRateCreate, TaxRateUpdate,
    {"country": Filter.eq(SalesTaxRate.country_code, "Country code"),
     "region": Filter.eq(SalesTaxRate.region_code, "Region code"),
     "channelId": Filter.eq(SalesTaxRate.channel_id, "Sales channel"),
     "isCompound": Filter.eq(SalesTaxRate.is_compound, "Compound or not")},
    (SalesTaxRate.name, SalesTaxRate.code, SalesTaxRate.rate, SalesTaxRate.priority))


# --- status dictionaries ---------------------------------------------------------------------------------

def _status_resource(path: str, key: str, entity: str, label: str, features: Features) -> Resource:
    """One sales dictionary (`sales.order_status`, ...) as a collection of its entries. The entries
    live in the dictionaries module's tables; the organization's own dictionary of the key is used
    (created with the defaults on first write)."""

    def scope(stmt: Select[Any], ctx: AuthContext) -> Select[Any]:
        owned = select(Dictionary.id).where(Dictionary.key == key, Dictionary.tenant_id == ctx.tenant_id,
                                            Dictionary.deleted_at.is_(None))
        if ctx.org_scope is not None:
            owned = owned.where(Dictionary.organization_id.in_(ctx.org_scope))
        return stmt.where(DictionaryEntry.tenant_id == ctx.tenant_id, DictionaryEntry.dictionary_id.in_(owned))

    async def value_free(write: Write, dictionary_id: str, value: str) -> None:
        taken = (await write.session.execute(select(DictionaryEntry.id).where(
            DictionaryEntry.dictionary_id == dictionary_id,
            DictionaryEntry.normalized_value == dictionaries.normalize(value),
            DictionaryEntry.id != write.row.id))).first()
        if taken is not None:
            raise Conflict(f"{label} already exists")

    async def before_create(write: Write) -> None:
        await owner_from_body(write)
        row = write.row
        found = await dictionaries.find_dictionary(write.session, tenant_id=row.tenant_id,
                                                   organization_id=row.organization_id, key=key)
        if found is None or found.organization_id != row.organization_id:
            await dictionaries.ensure_defaults(write.session, tenant_id=row.tenant_id,
                                               organization_id=row.organization_id)
            found = await dictionaries.find_dictionary(write.session, tenant_id=row.tenant_id,
                                                       organization_id=row.organization_id, key=key)
        if found is None:
            raise BadRequest(f"The {key} dictionary was deleted")
        write.values["dictionary_id"] = found.id
        await value_free(write, found.id, write.values["value"])
        write.values["normalized_value"] = dictionaries.normalize(write.values["value"])
        write.values["label"] = write.values.get("label") or write.values["value"]

    async def before_update(write: Write) -> None:
        if write.values.get("value"):
            await value_free(write, write.row.dictionary_id, write.values["value"])
            write.values["normalized_value"] = dictionaries.normalize(write.values["value"])
        for name in ("value", "label"):
            if name in write.values and not write.values[name]:
                del write.values[name]

    return Resource(
        path=path, model=DictionaryEntry, entity=entity, create_schema=StatusCreate, update_schema=StatusUpdate,
        features=features, tag=TAG, label=label, scope=scope, soft_delete=False,
        search=(DictionaryEntry.value, DictionaryEntry.label),
        sort=Sort((DictionaryEntry.label, DictionaryEntry.value, DictionaryEntry.created_at,
                   DictionaryEntry.updated_at), default=DictionaryEntry.label),
        fields=Fields("id", "value", "label", "color", "icon", "organization_id", "tenant_id", "created_at",
                      "updated_at"),
        hooks=Hooks(before_create=before_create, before_update=before_update))


SETTINGS_ONLY = Features.view_manage(SETTINGS_MANAGE, SETTINGS_MANAGE)
order_statuses = _status_resource("/sales/order-statuses", documents.ORDER_STATUS, "sales.order_status",
                                  "Order status", SETTINGS_ONLY)
order_line_statuses = _status_resource("/sales/order-line-statuses", documents.LINE_STATUS,
                                       "sales.order_line_status", "Order line status", SETTINGS_ONLY)
shipment_statuses = _status_resource("/sales/shipment-statuses", documents.SHIPMENT_STATUS,
                                     "sales.shipment_status", "Shipment status", SETTINGS_ONLY)
payment_statuses = _status_resource("/sales/payment-statuses", documents.PAYMENT_STATUS, "sales.payment_status",
                                    "Payment status", SETTINGS_ONLY)
adjustment_kinds = _status_resource("/sales/adjustment-kinds", documents.ADJUSTMENT_KIND,
                                    "sales.adjustment_kind", "Adjustment kind",
                                    Features(ORDERS_VIEW, SETTINGS_MANAGE, SETTINGS_MANAGE, SETTINGS_MANAGE))

tags = tag_resource(path="/sales/tags", namespace=NAMESPACE, features=Features.view_manage(ORDERS_VIEW, ORDERS_MANAGE),
                    tag=TAG, envelope=Envelope.PAGED)

price_kinds = Resource(
    path="/sales/price-kinds", model=PriceKind, entity="sales.price_kind", create_schema=None, update_schema=None,
    operations=frozenset({"list"}), features=Features.view_manage(CHANNELS_MANAGE, CHANNELS_MANAGE), tag=TAG,
    label="Price kind", scope="tenant", search=(PriceKind.code, PriceKind.title),
    descriptions={"list": "The catalog's price kinds, for choosing the price a sales channel or document uses."},
    sort=Sort((PriceKind.title, PriceKind.code), default=PriceKind.title),
    filters={"isActive": Filter.eq(PriceKind.is_active, "Active or not")},
    fields=Fields("id", "code", "title", "currency_code", "display_mode", "is_active", casing="snake"))


# --- documents -------------------------------------------------------------------------------------------

async def _snapshot_of(write: Write, model: Any, attr: str, label: str,
                       fields: tuple[str, ...]) -> dict[str, Any] | None:
    """The live method / window a document points at, as the snapshot kept on the document."""
    ref = write.values.get(attr)
    if not ref:
        return None
    found = (await write.session.execute(select(model).where(
        model.id == ref, model.tenant_id == write.row.tenant_id, model.deleted_at.is_(None)))).scalars().first()
    if found is None:
        raise NotFound(f"{label} not found")
    return {camel(f): jsonable(getattr(found, f)) for f in fields}


SHIPPING_SNAPSHOT = ("id", "code", "name", "carrier_code", "service_level", "base_rate_net", "base_rate_gross",
                     "currency_code")
PAYMENT_SNAPSHOT = ("id", "code", "name", "provider_key", "terms", "metadata_json")
WINDOW_SNAPSHOT = ("id", "code", "name", "lead_time_days", "cutoff_time", "timezone")


async def _editable(write: Write, setting: str, what: str) -> None:
    """Order-editing guard: customer / addresses change only in the statuses the settings list (no
    list: any status)."""
    row = write.row
    settings = await documents.settings_row(write.session, row.tenant_id, row.organization_id)
    allowed = getattr(settings, setting, None) if settings is not None else None
    if allowed and (row.status or "") not in allowed:
        raise BadRequest(f"The {what} of an order can only change in these statuses: {', '.join(allowed)}",
                         [{"path": [what], "message": f"Not editable in status {row.status or 'none'}"}])


def _document_hooks(kind: documents.DocKind) -> Hooks:
    async def references(write: Write) -> None:
        row, values, session = write.row, write.values, write.session
        if "customer_entity_id" in values and values["customer_entity_id"] and "customer_snapshot" not in values:
            values["customer_snapshot"] = await documents.customer_snapshot(session, write.ctx,
                                                                            values["customer_entity_id"])
        if values.get("channel_id") and not await live_channel_ids(session, tenant_id=row.tenant_id,
                                                                   ids=[values["channel_id"]]):
            raise NotFound("Sales channel not found")
        for attr, model, label, fields, prefix in (
                ("shipping_method_id", SalesShippingMethod, "Shipping method", SHIPPING_SNAPSHOT, "shipping_method"),
                ("payment_method_id", SalesPaymentMethod, "Payment method", PAYMENT_SNAPSHOT, "payment_method"),
                ("delivery_window_id", SalesDeliveryWindow, "Delivery window", WINDOW_SNAPSHOT, "delivery_window")):
            if attr in values:
                snap = await _snapshot_of(write, model, attr, label, fields)
                if snap is not None and "metadataJson" in snap:
                    snap["metadata"] = snap.pop("metadataJson")
                values[f"{prefix}_snapshot"] = snap
                values[f"{prefix}_code"] = snap["code"] if snap else None
        status_value = getattr(write.body, "status_value", None)
        if values.get("status_entry_id") or status_value:
            entry = await documents.status_entry(session, tenant_id=row.tenant_id, org_id=row.organization_id,
                                                 key=documents.ORDER_STATUS, entry_id=values.get("status_entry_id"),
                                                 value=status_value)
            values["status_entry_id"], values["status"] = entry.id, entry.value
        for attr, key in (("fulfillment_status_entry_id", documents.SHIPMENT_STATUS),
                          ("payment_status_entry_id", documents.PAYMENT_STATUS)):
            if values.get(attr):
                entry = await documents.status_entry(session, tenant_id=row.tenant_id, org_id=row.organization_id,
                                                     key=key, entry_id=values[attr])
                values[attr.replace("_entry_id", "")] = entry.value

    async def before_create(write: Write) -> None:
        await references(write)
        row, values = write.row, write.values
        if not values.get(kind.number_attr):
            values[kind.number_attr] = (await documents.next_number(write.session, row.tenant_id,
                                                                    row.organization_id, kind.name))[0]
        if kind is documents.ORDER and values.get("placed_at") is None:
            values["placed_at"] = utcnow()

    async def after_create(write: Write) -> None:
        await _nested(write, kind, creating=True)

    async def before_update(write: Write) -> None:
        row = await documents.lock(write.session, kind, write.row.id, write.ctx)
        values, given = write.values, write.given
        if kind is documents.ORDER:
            if {"customer_entity_id", "customer_contact_id", "customer_snapshot"} & given and any(
                    values.get(k, getattr(row, k)) != getattr(row, k)
                    for k in ("customer_entity_id", "customer_contact_id") if k in values):
                await _editable(write, "order_customer_editable_statuses", "customer")
            if any(k in values and values[k] != getattr(row, k) for k in
                   ("billing_address_id", "shipping_address_id", "billing_address_snapshot",
                    "shipping_address_snapshot")):
                await _editable(write, "order_address_editable_statuses", "address")
        if values.get("currency_code") and values["currency_code"] != row.currency_code:
            has_lines = (await write.session.execute(select(kind.line_model.id).where(
                getattr(kind.line_model, kind.fk) == row.id, kind.line_model.deleted_at.is_(None)))).first()
            if has_lines is not None:
                raise BadRequest("The currency of a document with lines cannot change",
                                 [{"path": ["currencyCode"], "message": "Remove the lines first"}])
        for key in ("currency_code", kind.number_attr):
            if key in values and not values[key]:
                del values[key]
        await references(write)

    async def after_update(write: Write) -> None:
        await _nested(write, kind, creating=False)

    async def graph(session: AsyncSession, doc: Any) -> dict[str, Any]:
        return await _document_graph(session, kind, doc)

    async def put_back(session: AsyncSession, doc: Any, snap: dict[str, Any]) -> None:
        await _restore_graph(session, kind, doc, snap)

    async def retotal(session: AsyncSession, doc: Any, left: dict[str, Any] | None) -> None:
        await documents.recalculate(session, kind, doc)

    return Hooks(before_create=before_create, after_create=after_create, before_update=before_update,
                 after_update=after_update, snapshot_extra=graph, restore_extra=put_back, after_undo=retotal,
                 extra_keys=GRAPH_KEYS)


# A document's lines and adjustments as its audit snapshot keeps them: their own columns, without those other
# writes move (a line's shipped, invoiced, reserved and returned quantities follow its shipments and invoices;
# `updated_at` every write) and without custom values (the kit keeps encrypted ones out of the log).
# The body keys through which a document update changes its lines, adjustments or tags (`_nested`).
GRAPH_KEYS = frozenset({"lines", "adjustments", "removed_line_ids", "removed_adjustment_ids", "tags"})
GRAPH_SKIP = frozenset({"updated_at", "custom_values", "reserved_quantity", "fulfilled_quantity", "invoiced_quantity",
                        "returned_quantity"})


@cache
def _graph_columns(model: Any) -> tuple[tuple[str, ...], Select[Any]]:
    """The attribute names a line or adjustment snapshot holds, and the statement reading them (as columns, not
    objects: building an object per line of a 200-line order cost more than the rest of the update)."""
    attrs = [a for a in inspect(model).column_attrs if a.key not in GRAPH_SKIP]
    return tuple(a.key for a in attrs), select(*(a.columns[0] for a in attrs))


async def _document_graph(session: AsyncSession, kind: documents.DocKind, doc: Any) -> dict[str, Any]:
    """The document's live lines and adjustments and its tags: written with the document (`_nested`), so they
    belong in its audit snapshot, and undo puts them back with it."""
    out: dict[str, Any] = {}
    for key, model in (("lines", kind.line_model), ("adjustments", kind.adjustment_model)):
        m: Any = model
        names, stmt = _graph_columns(m)
        rows = (await session.execute(stmt.where(getattr(m, kind.fk) == doc.id, m.deleted_at.is_(None))
                                      .order_by(m.id))).all()
        out[key] = [{name: jsonable(value) for name, value in zip(names, row, strict=True)} for row in rows]
    out["tagIds"] = await linked_tags(session, f"sales.{kind.name}", doc.id)
    return out


async def _restore_graph(session: AsyncSession, kind: documents.DocKind, doc: Any, snap: dict[str, Any]) -> None:
    """Undo and redo: the document's lines and adjustments become those its snapshot holds (others of it are
    soft-deleted, missing ones restored), and its tags those still live. `after_undo` recalculates the totals."""
    now = utcnow()
    for key, model in (("lines", kind.line_model), ("adjustments", kind.adjustment_model)):
        rows = snap.get(key)
        if not isinstance(rows, list):
            continue
        m: Any = model
        wanted = {r["id"]: r for r in rows}
        for row in (await session.execute(select(m).where(getattr(m, kind.fk) == doc.id,
                                                          m.deleted_at.is_(None)))).scalars():
            if row.id not in wanted:
                row.deleted_at = now
        for row_id, values in wanted.items():
            row = await session.get(m, row_id)
            if row is None:
                row = m(id=row_id)
                session.add(row)
            audit.restore(row, {**values, "deleted_at": None})
            row.updated_at = now
    if isinstance(tag_ids := snap.get("tagIds"), list):
        await relink_tags(session, f"sales.{kind.name}", doc, tag_ids)
    await session.flush()


LINE_COLUMNS = frozenset({c.key for c in inspect(SalesOrderLine).column_attrs})
ADJ_COLUMNS = frozenset({c.key for c in inspect(SalesOrderAdjustment).column_attrs})


async def _nested(write: Write, kind: documents.DocKind, *, creating: bool) -> None:
    """`lines[]`, `adjustments[]` (and `tags[]`) of a document body, written with the document, then
    the totals recalculated: all in the request's transaction."""
    session, ctx, doc, body = write.session, write.ctx, write.row, write.body
    line_model: Any = kind.line_model
    adj_model: Any = kind.adjustment_model
    line_ids: dict[int, str] = {}
    for index, line in enumerate(getattr(body, "lines", None) or []):
        values = {k: v for k, v in line.model_dump(exclude_unset=True).items()
                  if k in LINE_COLUMNS and k not in ("id", "tenant_id", "organization_id", "created_at",
                                                     "updated_at", "deleted_at")}
        if line.id and not creating:
            row = (await session.execute(select(line_model).where(
                line_model.id == line.id, getattr(line_model, kind.fk) == doc.id,
                line_model.deleted_at.is_(None)))).scalars().first()
            if row is None:
                raise NotFound(f"{kind.label} line not found")
            await documents.prepare_line(session, ctx, kind, doc, values, line, creating=False)
        else:
            if line.quantity is None:
                raise BadRequest("Invalid input", [{"path": ["lines", index, "quantity"], "message": "Required"}])
            row = line_model(id=new_id(), tenant_id=doc.tenant_id, organization_id=doc.organization_id)
            setattr(row, kind.fk, doc.id)
            await documents.prepare_line(session, ctx, kind, doc, values, line, creating=True)
            session.add(row)
        for key, value in values.items():
            setattr(row, key, value)
        await session.flush()
        created = not (line.id and not creating)
        if created or line.custom_values:
            await write_custom(order_lines if kind is documents.ORDER else quote_lines, ctx, session, row,
                               line.custom_values, creating=created)
        line_ids[index] = row.id
    for index, adj in enumerate(getattr(body, "adjustments", None) or []):
        values = {k: v for k, v in adj.model_dump(exclude_unset=True).items()
                  if k in ADJ_COLUMNS and k not in ("id", "tenant_id", "organization_id", "created_at",
                                                    "updated_at", "deleted_at")}
        if adj.id and not creating:
            arow = (await session.execute(select(adj_model).where(
                adj_model.id == adj.id, getattr(adj_model, kind.fk) == doc.id,
                adj_model.deleted_at.is_(None)))).scalars().first()
            if arow is None:
                raise NotFound("Adjustment not found")
        else:
            arow = adj_model(id=new_id(), tenant_id=doc.tenant_id, organization_id=doc.organization_id)
            setattr(arow, kind.fk, doc.id)
            session.add(arow)
        await _prepare_adjustment(session, kind, doc, values, creating=arow.created_at is None, position=index)
        for key, value in values.items():
            setattr(arow, key, value)
    for attr, model in (("removed_line_ids", line_model), ("removed_adjustment_ids", adj_model)):
        for removed in getattr(body, attr, None) or []:
            gone = (await session.execute(select(model).where(
                model.id == removed, getattr(model, kind.fk) == doc.id, model.deleted_at.is_(None)))).scalars().first()
            if gone is None:
                raise NotFound("Line not found" if model is line_model else "Adjustment not found")
            gone.deleted_at = utcnow()
    await session.flush()
    await _assign_tags(write, kind)
    await documents.recalculate(session, kind, doc)


async def _assign_tags(write: Write, kind: documents.DocKind) -> None:
    wanted = getattr(write.body, "tags", None)
    if wanted is None:
        return
    session, doc = write.session, write.row
    entity = f"sales.{kind.name}"
    found = set((await session.execute(select(Tag.id).where(
        Tag.id.in_(wanted), Tag.namespace == NAMESPACE, Tag.tenant_id == doc.tenant_id,
        Tag.deleted_at.is_(None)))).scalars())
    if missing := [t for t in wanted if t not in found]:
        raise BadRequest("Tag not found", [{"path": ["tags"], "message": f"Unknown tag {missing[0]}"}])
    await session.execute(delete(TagAssignment).where(TagAssignment.entity_type == entity,
                                                      TagAssignment.entity_id == doc.id))
    for tag_id in dict.fromkeys(wanted):
        session.add(TagAssignment(id=new_id(), tag_id=tag_id, entity_type=entity, entity_id=doc.id,
                                  tenant_id=doc.tenant_id, organization_id=doc.organization_id))
    await session.flush()


async def _prepare_adjustment(session: AsyncSession, kind: documents.DocKind, doc: Any, values: dict[str, Any],
                              *, creating: bool, position: int | None = None) -> None:
    line_attr = kind.line_fk
    if values.get("currency_code") and values["currency_code"] != doc.currency_code:
        raise BadRequest("Adjustment currency must match the document currency",
                         [{"path": ["currencyCode"], "message": f"Expected {doc.currency_code}"}])
    if values.get(line_attr):
        line_model: Any = kind.line_model
        found = (await session.execute(select(line_model.id).where(
            line_model.id == values[line_attr], getattr(line_model, kind.fk) == doc.id,
            line_model.deleted_at.is_(None)))).first()
        if found is None:
            raise NotFound(f"{kind.label} line not found")
    if creating:
        values.setdefault("scope", "line" if values.get(line_attr) else "order")
        values.setdefault("kind", "custom")
        values["currency_code"] = doc.currency_code
        if position is not None:
            values.setdefault("position", position)
    if values.get("scope") == "line" and not values.get(line_attr) and creating:
        raise BadRequest("A line adjustment needs its line", [{"path": [camel(line_attr)], "message": "Required"}])
    if values.get("kind"):
        known = {e.value for e in await dictionaries.entries(
            session, tenant_id=doc.tenant_id, organization_id=doc.organization_id, key=documents.ADJUSTMENT_KIND)}
        if known and values["kind"] not in known:
            raise BadRequest(f"Unknown adjustment kind: {values['kind']}",
                             [{"path": ["kind"], "message": f"One of {', '.join(sorted(known))}"}])
    if creating and values.get("rate") is None:
        # A fixed adjustment given one amount means the same amount net and gross (docs/sales.md); the columns
        # default to 0, so the missing one must be filled here or it would be stored as 0.
        net, gross = values.get("amount_net"), values.get("amount_gross")
        if net is not None and gross is None:
            values["amount_gross"] = net
        elif gross is not None and net is None:
            values["amount_net"] = gross
    for key in ("rate", "amount_net", "amount_gross"):
        if key in values and values[key] is None:
            values[key] = Decimal(0)


DOCUMENT_ITEM = Fields(rename=META, computed={})


def _document_filters(model: Any, entity: str) -> dict[str, Filter]:
    return {
        "customerId": Filter.eq(model.customer_entity_id, "Customer (entity id)"),
        "channelId": Filter.eq(model.channel_id, "Sales channel"),
        "lineItemCountMin": Filter.min(model.line_item_count, "At least this many lines"),
        "lineItemCountMax": Filter.max(model.line_item_count, "At most this many lines"),
        "totalNetMin": Filter.min(model.grand_total_net_amount, "Grand total net at least"),
        "totalNetMax": Filter.max(model.grand_total_net_amount, "Grand total net at most"),
        "totalGrossMin": Filter.min(model.grand_total_gross_amount, "Grand total gross at least"),
        "totalGrossMax": Filter.max(model.grand_total_gross_amount, "Grand total gross at most"),
        "dateFrom": Filter.min(model.created_at, "Created at or after (ISO date)"),
        "dateTo": Filter.max(model.created_at, "Created at or before (ISO date)"),
        "tagIds": Filter.tags(model.id, entity),
        "tagIdsEmpty": Filter.untagged(model.id, entity),
    }


_DOC_SORT = ("created_at", "updated_at", "placed_at", "grand_total_gross_amount", "grand_total_net_amount",
             "line_item_count", "currency_code")

orders = Resource(
    path="/sales/orders", model=SalesOrder, entity="sales.order", create_schema=OrderCreate,
    update_schema=OrderUpdate, features=Features.view_manage(ORDERS_VIEW, ORDERS_MANAGE), tag=TAG, label="Order",
    descriptions={"list": "Sales orders with their totals (recalculated on every write that affects them)."},
    search=(SalesOrder.order_number, SalesOrder.customer_reference, SalesOrder.external_reference),
    sort=Sort(tuple(getattr(SalesOrder, c) for c in (*_DOC_SORT, "order_number")), default=SalesOrder.created_at,
              direction="desc"),
    filters=_document_filters(SalesOrder, "sales.order"), fields=DOCUMENT_ITEM, hooks=_document_hooks(documents.ORDER),
    derived=frozenset(TOTAL_COLUMNS), custom_fields="sales:sales_order", lock=True)

quotes = Resource(
    path="/sales/quotes", model=SalesQuote, entity="sales.quote", create_schema=QuoteCreate,
    update_schema=QuoteUpdate, features=Features.view_manage(QUOTES_VIEW, QUOTES_MANAGE), tag=TAG, label="Quote",
    descriptions={"list": "Sales quotes with their totals; `POST /sales/quotes/convert` turns one into an order."},
    search=(SalesQuote.quote_number, SalesQuote.customer_reference, SalesQuote.external_reference),
    sort=Sort(tuple(getattr(SalesQuote, c) for c in (*_DOC_SORT, "quote_number")), default=SalesQuote.created_at,
              direction="desc"),
    filters=_document_filters(SalesQuote, "sales.quote"), fields=DOCUMENT_ITEM, hooks=_document_hooks(documents.QUOTE),
    derived=frozenset(TOTAL_COLUMNS), custom_fields="sales:sales_quote", lock=True)


# --- lines and adjustments -------------------------------------------------------------------------------

def _doc_id(write: Write, kind: documents.DocKind) -> str:
    return str(write.values.get(kind.fk) or getattr(write.row, kind.fk))


def _document_child_hooks(kind: documents.DocKind, before_create: Callable[[Write], Awaitable[None]],
                          before_update: Callable[[Write], Awaitable[None]]) -> Hooks:
    """What a document's lines and adjustments share: a delete locks the document, every write recalculates
    it in the same transaction, and create and update answer `{id, orderId}` / `{id, quoteId}` (the
    reference answers an update like a create)."""
    async def before_delete(write: Write) -> None:
        write.extra["doc"] = await documents.lock(write.session, kind, getattr(write.row, kind.fk), write.ctx)

    async def after(write: Write) -> None:
        await documents.recalculate(write.session, kind, write.extra["doc"])

    def body(w: Write) -> dict[str, Any]:
        return {"id": w.row.id, camel(kind.fk): getattr(w.row, kind.fk)}

    async def undone(session: AsyncSession, row: Any, left: dict[str, Any] | None) -> None:
        await _retotal(session, kind, getattr(row, kind.fk))

    return Hooks(before_create=before_create, before_update=before_update, before_delete=before_delete,
                 after_create=after, after_update=after, after_delete=after, created_body=body, updated_body=body,
                 after_undo=undone)


async def _retotal(session: AsyncSession, kind: documents.DocKind, doc_id: str | None) -> None:
    """After undo or redo of one of a document's rows (a line, an adjustment, a payment): its totals follow."""
    doc = await session.get(kind.model, doc_id) if doc_id else None
    if doc is not None:
        await documents.recalculate(session, kind, doc)


def _line_hooks(kind: documents.DocKind) -> Hooks:
    async def before_create(write: Write) -> None:
        doc, last_line = await documents.lock_for_line(write.session, kind, _doc_id(write, kind), write.ctx)
        write.extra["doc"] = doc
        await documents.prepare_line(write.session, write.ctx, kind, doc, write.values, write.body, creating=True,
                                     last_line=last_line)
        await documents.line_amounts(write.session, doc, write.row.id, write.values)

    async def before_update(write: Write) -> None:
        if kind.fk in write.values and write.values[kind.fk] != getattr(write.row, kind.fk):
            raise BadRequest("A line cannot move to another document")
        doc = await documents.lock(write.session, kind, getattr(write.row, kind.fk), write.ctx)
        # The line was read before the lock: a concurrent writer may have changed it since (another field of
        # it, its amounts); start from what that writer committed so its change is neither undone nor
        # left out of the recalculation.
        await write.session.refresh(write.row)
        write.extra["doc"] = doc
        await documents.prepare_line(write.session, write.ctx, kind, doc, write.values, write.body, creating=False)
        for key in ("quantity", "currency_code"):
            if key in write.values and write.values[key] is None:
                del write.values[key]

    return _document_child_hooks(kind, before_create, before_update)


def _adjustment_hooks(kind: documents.DocKind) -> Hooks:
    async def before_create(write: Write) -> None:
        doc = await documents.lock(write.session, kind, _doc_id(write, kind), write.ctx)
        write.extra["doc"] = doc
        await _prepare_adjustment(write.session, kind, doc, write.values, creating=True)

    async def before_update(write: Write) -> None:
        if kind.fk in write.values and write.values[kind.fk] != getattr(write.row, kind.fk):
            raise BadRequest("An adjustment cannot move to another document")
        doc = await documents.lock(write.session, kind, getattr(write.row, kind.fk), write.ctx)
        await write.session.refresh(write.row)  # read before the lock, as a line's (above)
        write.extra["doc"] = doc
        await _prepare_adjustment(write.session, kind, doc, write.values, creating=False)

    return _document_child_hooks(kind, before_create, before_update)


LINE_ITEM = ("id", "line_number", "kind", "status_entry_id", "status", "product_id", "product_variant_id",
             "catalog_snapshot", "name", "description", "comment", "quantity", "quantity_unit", "currency_code",
             "unit_price_net", "unit_price_gross", "discount_amount", "discount_percent", "tax_rate", "tax_amount",
             "total_net_amount", "total_gross_amount", "configuration", "promotion_code", "promotion_snapshot",
             "metadata_json", "custom_field_set_id", "created_at", "updated_at")
ADJ_ITEM = ("id", "scope", "kind", "code", "label", "calculator_key", "promotion_id", "rate", "amount_net",
            "amount_gross", "currency_code", "metadata_json", "position", "created_at", "updated_at")


def _line_resource(kind: documents.DocKind, path: str, parent: Resource, create: Any, update: Any,
                   features: Features, extra_fields: tuple[str, ...] = ()) -> Resource:
    model: Any = kind.line_model
    return Resource(
        path=path, model=model, entity=f"sales.{kind.name}_line", create_schema=create, update_schema=update,
        features=features, tag=TAG, label=f"{kind.label} line", max_page_size=200,
        # before_create locks the document (scoped, live): the kit need not read it first.
        parent=Parent(param=camel(kind.fk), column=getattr(model, kind.fk), resource=parent, required_on_list=False,
                      checked_by_hook=True),
        sort=Sort((model.line_number, model.created_at, model.updated_at, model.total_gross_amount),
                  default=model.line_number),
        fields=Fields(LINE_ITEM[0], kind.fk, *LINE_ITEM[1:], *extra_fields, casing="snake", rename=META),
        hooks=_line_hooks(kind), custom_fields=f"sales:sales_{kind.name}_line",
        created_schema=shape(id="string", **{camel(kind.fk): "string"}),
        updated_schema=shape(id="string", **{camel(kind.fk): "string"}))


def _adjustment_resource(kind: documents.DocKind, path: str, parent: Resource, create: Any, update: Any,
                         features: Features) -> Resource:
    model: Any = kind.adjustment_model
    return Resource(
        path=path, model=model, entity=f"sales.{kind.name}_adjustment", create_schema=create, update_schema=update,
        features=features, tag=TAG, label="Adjustment",
        # before_create locks the document (scoped, live): the kit need not read it first.
        parent=Parent(param=camel(kind.fk), column=getattr(model, kind.fk), resource=parent, required_on_list=False,
                      checked_by_hook=True),
        sort=Sort((model.position, model.created_at, model.updated_at), default=model.position),
        fields=Fields(ADJ_ITEM[0], kind.fk, kind.line_fk, *ADJ_ITEM[1:], casing="snake", rename=META),
        hooks=_adjustment_hooks(kind),
        created_schema=shape(id="string", **{camel(kind.fk): "string"}),
        updated_schema=shape(id="string", **{camel(kind.fk): "string"}))


ORDER_FEATURES = Features.view_manage(ORDERS_VIEW, ORDERS_MANAGE)
QUOTE_FEATURES = Features.view_manage(QUOTES_VIEW, QUOTES_MANAGE)
order_lines = _line_resource(documents.ORDER, "/sales/order-lines", orders, OrderLineCreate, OrderLineUpdate,
                             ORDER_FEATURES, ("reserved_quantity", "fulfilled_quantity", "invoiced_quantity",
                                              "returned_quantity"))
quote_lines = _line_resource(documents.QUOTE, "/sales/quote-lines", quotes, QuoteLineCreate, QuoteLineUpdate,
                             QUOTE_FEATURES)
order_adjustments = _adjustment_resource(documents.ORDER, "/sales/order-adjustments", orders,
                                         OrderAdjustmentCreate, OrderAdjustmentUpdate, ORDER_FEATURES)
quote_adjustments = _adjustment_resource(documents.QUOTE, "/sales/quote-adjustments", quotes,
                                         QuoteAdjustmentCreate, QuoteAdjustmentUpdate, QUOTE_FEATURES)


# --- payments --------------------------------------------------------------------------------------------

def order_totals(order: Any) -> dict[str, Any]:
    """The order's money after a payment write (`orderTotals` of the payment answers)."""
    return {camel(k): jsonable(getattr(order, k)) for k in (
        "grand_total_net_amount", "grand_total_gross_amount", "paid_total_amount", "refunded_total_amount",
        "outstanding_amount")} | {"currencyCode": order.currency_code}


async def _payment_order(write: Write) -> Any | None:
    order_id = write.value("order_id")
    if not order_id:
        return None
    order = await documents.lock(write.session, documents.ORDER, order_id, write.ctx)
    write.extra["doc"] = order
    return order


async def _payment_before(write: Write) -> None:
    session, values, row = write.session, write.values, write.row
    previous_order = getattr(row, "order_id", None) if write.action == "update" else None
    order = await _payment_order(write)
    currency = write.value("currency_code")
    if order is not None and currency != order.currency_code:
        raise BadRequest("Payment currency must match the order currency",
                         [{"path": ["currencyCode"], "message": f"Expected {order.currency_code}"}])
    if values.get("payment_method_id"):
        found = (await session.execute(select(SalesPaymentMethod.id).where(
            SalesPaymentMethod.id == values["payment_method_id"], SalesPaymentMethod.tenant_id == row.tenant_id,
            SalesPaymentMethod.deleted_at.is_(None)))).first()
        if found is None:
            raise NotFound("Payment method not found")
    if values.get("status_entry_id"):
        entry = await documents.status_entry(session, tenant_id=row.tenant_id, org_id=row.organization_id,
                                             key=documents.PAYMENT_STATUS, entry_id=values["status_entry_id"])
        values["status"] = entry.value
    for key in ("captured_amount", "refunded_amount"):
        if key in values and values[key] is None:
            values[key] = Decimal(0)
    amount = Decimal(write.value("amount") or 0)
    refunded = Decimal(write.value("refunded_amount") or 0)
    if refunded > amount:
        raise BadRequest("Refunded amount cannot exceed the payment amount",
                         [{"path": ["refundedAmount"], "message": "Too large"}])
    if order is not None:
        # Overpaying is refused: a payment may take at most what the order still owes (its own earlier
        # amount counts as available again when it is edited).
        already = Decimal(row.amount or 0) - Decimal(row.refunded_amount or 0) \
            if write.action == "update" and previous_order == order.id else Decimal(0)
        available = Decimal(order.outstanding_amount or 0) + already
        if amount - refunded > available:
            raise BadRequest("Payment exceeds the order's outstanding amount",
                             [{"path": ["amount"], "message": f"At most {available}"}])
    allocations = getattr(write.body, "allocations", None)
    if allocations is not None:
        total = sum((a.amount for a in allocations), Decimal(0))
        if total > amount:
            raise BadRequest("Allocations exceed the payment amount",
                             [{"path": ["allocations"], "message": "Too large"}])
        for index, a in enumerate(allocations):
            if a.currency_code != currency:
                raise BadRequest("Allocation currency must match the payment currency",
                                 [{"path": ["allocations", index, "currencyCode"], "message": f"Expected {currency}"}])
            if a.order_id and a.order_id != write.value("order_id"):
                other = await documents.lock(session, documents.ORDER, a.order_id, write.ctx)
                if a.amount > Decimal(other.outstanding_amount or 0):
                    raise BadRequest("Allocation exceeds the order's outstanding amount",
                                     [{"path": ["allocations", index, "amount"], "message": "Too large"}])
        values["allocations"] = [{"orderId": a.order_id, "invoiceId": a.invoice_id, "amount": str(a.amount),
                                  "currencyCode": a.currency_code} for a in allocations]
    write.extra["previous_order"] = previous_order


async def _payment_after(write: Write) -> None:
    order = write.extra.get("doc")
    if order is not None:
        await documents.recalculate(write.session, documents.ORDER, order)
    previous = write.extra.get("previous_order")
    if previous and (order is None or previous != order.id):
        old = await documents.lock(write.session, documents.ORDER, previous, write.ctx)
        await documents.recalculate(write.session, documents.ORDER, old)


async def _payment_before_delete(write: Write) -> None:
    await _payment_order(write)


async def _payment_undone(session: AsyncSession, row: SalesPayment, left: dict[str, Any] | None) -> None:
    """The order the payment is on now, and the one an undone move took it from, are recalculated."""
    await _retotal(session, documents.ORDER, row.order_id)
    if left is not None and left.get("order_id") not in (None, row.order_id):
        await _retotal(session, documents.ORDER, left["order_id"])


def _payment_answer(write: Write) -> dict[str, Any]:
    order = write.extra.get("doc")
    return {"id": write.row.id, "orderTotals": order_totals(order) if order is not None else None}


payments = Resource(
    path="/sales/payments", model=SalesPayment, entity="sales.payment", create_schema=PaymentCreate,
    update_schema=PaymentUpdate, features=Features(ORDERS_VIEW, PAYMENTS_MANAGE, PAYMENTS_MANAGE, PAYMENTS_MANAGE),
    tag=TAG, label="Payment", operations=frozenset({"list", "create", "update", "delete"}),
    descriptions={"update": "Updates a payment by the id in the body and recalculates its order's paid, refunded and "
                            "outstanding amounts (`orderTotals`).",
                  "delete": "Deletes a payment by `?id=` (or `{\"id\"}` in the body) and recalculates its order "
                            "(`orderTotals`)."},
    filters={"orderId": Filter.eq(SalesPayment.order_id, "Order"),
             "paymentMethodId": Filter.eq(SalesPayment.payment_method_id, "Payment method")},
    sort=Sort((SalesPayment.created_at, SalesPayment.received_at, SalesPayment.amount), default=SalesPayment.created_at,
              direction="desc"),
    fields=Fields("id", "order_id", "payment_method_id", "payment_reference", "status_entry_id", "status", "amount",
                  "currency_code", "captured_amount", "refunded_amount", "received_at", "captured_at",
                  "custom_field_set_id", "allocations", "metadata_json", "created_at", "updated_at", casing="snake",
                  rename=META, computed={"customFieldSetId": lambda r: r.custom_field_set_id}),
    hooks=Hooks(before_create=_payment_before, before_update=_payment_before, before_delete=_payment_before_delete,
                after_create=_payment_after, after_update=_payment_after, after_delete=_payment_after,
                after_undo=_payment_undone,
                created_body=_payment_answer, updated_body=_payment_answer, deleted_body=_payment_answer),
    created_schema=shape(id="string", orderTotals={"type": ["object", "null"]}),
    updated_schema=shape(id="string", orderTotals={"type": ["object", "null"]}),
    deleted_schema=shape(id="string", orderTotals={"type": ["object", "null"]}),
    custom_fields="sales:sales_payment")


# --- shipments -------------------------------------------------------------------------------------------

async def _shipment_before(write: Write) -> None:
    session, values, row = write.session, write.values, write.row
    if write.action == "update" and "order_id" in values and values["order_id"] != row.order_id:
        raise BadRequest("A shipment cannot move to another order")
    order = await documents.lock(session, documents.ORDER, str(write.value("order_id")), write.ctx)
    write.extra["doc"] = order
    if values.get("status_entry_id"):
        entry = await documents.status_entry(session, tenant_id=row.tenant_id, org_id=row.organization_id,
                                             key=documents.SHIPMENT_STATUS, entry_id=values["status_entry_id"])
        values["status"] = entry.value
    if values.get("shipping_method_id"):
        found = (await session.execute(select(SalesShippingMethod.id).where(
            SalesShippingMethod.id == values["shipping_method_id"], SalesShippingMethod.tenant_id == row.tenant_id,
            SalesShippingMethod.deleted_at.is_(None)))).first()
        if found is None:
            raise NotFound("Shipping method not found")
    if values.get("currency_code") and values["currency_code"] != order.currency_code:
        raise BadRequest("Shipment currency must match the order currency")
    items = getattr(write.body, "items", None)
    if items is None:
        return
    lines = {r.id: r for r in (await session.execute(select(SalesOrderLine).where(
        SalesOrderLine.order_id == order.id, SalesOrderLine.deleted_at.is_(None)))).scalars()}
    shipped_stmt = (select(SalesShipmentItem.order_line_id, func.sum(SalesShipmentItem.quantity))
                    .join(SalesShipment, SalesShipment.id == SalesShipmentItem.shipment_id)
                    .where(SalesShipmentItem.order_id == order.id, SalesShipment.deleted_at.is_(None),
                           SalesShipment.id != row.id).group_by(SalesShipmentItem.order_line_id))
    shipped = {k: Decimal(v or 0) for k, v in (await session.execute(shipped_stmt)).all()}
    wanted: dict[str, Decimal] = {}
    for item in items:
        if item.order_line_id not in lines:
            raise NotFound("Order line not found")
        wanted[item.order_line_id] = wanted.get(item.order_line_id, Decimal(0)) + item.quantity
    for line_id, qty in wanted.items():
        line = lines[line_id]
        left = Decimal(line.quantity) - shipped.get(line_id, Decimal(0))
        if qty > left:
            raise BadRequest("Cannot ship more than was ordered",
                             [{"path": ["items"], "message": f"Line {line.line_number}: at most {left} left to ship"}])
    write.extra["items"] = (wanted, lines, shipped)
    values["items_snapshot"] = [{"orderLineId": k, "lineNumber": lines[k].line_number, "name": lines[k].name,
                                 "productId": lines[k].product_id, "quantity": str(v)} for k, v in wanted.items()]


async def _set_shipment_items(session: AsyncSession, row: SalesShipment, wanted: dict[str, Decimal]) -> None:
    await session.execute(delete(SalesShipmentItem).where(SalesShipmentItem.shipment_id == row.id))
    for line_id, qty in wanted.items():
        session.add(SalesShipmentItem(id=new_id(), tenant_id=row.tenant_id, organization_id=row.organization_id,
                                      shipment_id=row.id, order_id=row.order_id, order_line_id=line_id, quantity=qty))


async def _shipment_after(write: Write) -> None:
    session, row = write.session, write.row
    if "items" in write.extra:
        wanted, lines, shipped = write.extra["items"]
        await _set_shipment_items(session, row, wanted)
        for line_id, line in lines.items():
            line.fulfilled_quantity = shipped.get(line_id, Decimal(0)) + wanted.get(line_id, Decimal(0))
        await session.flush()
    await documents.recalculate(session, documents.ORDER, write.extra["doc"])


async def _shipment_before_delete(write: Write) -> None:
    write.extra["doc"] = await documents.lock(write.session, documents.ORDER, write.row.order_id, write.ctx)


async def _shipment_after_delete(write: Write) -> None:
    session, row = write.session, write.row
    items = list((await session.execute(select(SalesShipmentItem).where(
        SalesShipmentItem.shipment_id == row.id))).scalars())
    for item in items:
        line = await session.get(SalesOrderLine, item.order_line_id)
        if line is not None:
            line.fulfilled_quantity = max(Decimal(line.fulfilled_quantity or 0) - Decimal(item.quantity), Decimal(0))
        await session.delete(item)
    await session.flush()
    await documents.recalculate(session, documents.ORDER, write.extra["doc"])


async def _shipment_items(session: AsyncSession, row: SalesShipment) -> dict[str, Any]:
    """The shipment's items (not columns of it), in its audit snapshot so that undo puts them back."""
    rows = (await session.execute(select(SalesShipmentItem.order_line_id, SalesShipmentItem.quantity).where(
        SalesShipmentItem.shipment_id == row.id).order_by(SalesShipmentItem.order_line_id))).all()
    return {"items": [{"orderLineId": line_id, "quantity": str(Decimal(quantity))} for line_id, quantity in rows]}


async def _put_items_back(session: AsyncSession, row: SalesShipment, snap: dict[str, Any]) -> None:
    if isinstance(items := snap.get("items"), list):
        await _set_shipment_items(session, row, {i["orderLineId"]: Decimal(i["quantity"]) for i in items})


async def _refulfil(session: AsyncSession, row: SalesShipment, left: dict[str, Any] | None) -> None:
    """After undo or redo: each live line of the order has shipped what its live shipments hold (as every
    shipment write leaves it), and the order's totals follow."""
    order = await session.get(SalesOrder, row.order_id)
    if order is None:
        return
    await session.flush()
    shipped = dict((await session.execute(
        select(SalesShipmentItem.order_line_id, func.sum(SalesShipmentItem.quantity))
        .join(SalesShipment, SalesShipment.id == SalesShipmentItem.shipment_id)
        .where(SalesShipmentItem.order_id == order.id, SalesShipment.deleted_at.is_(None))
        .group_by(SalesShipmentItem.order_line_id))).all())
    for line in (await session.execute(select(SalesOrderLine).where(
            SalesOrderLine.order_id == order.id, SalesOrderLine.deleted_at.is_(None)))).scalars():
        line.fulfilled_quantity = Decimal(shipped.get(line.id) or 0)
    await session.flush()
    await documents.recalculate(session, documents.ORDER, order)


shipments = Resource(
    path="/sales/shipments", model=SalesShipment, entity="sales.shipment", create_schema=ShipmentCreate,
    update_schema=ShipmentUpdate, features=Features(ORDERS_VIEW, SHIPMENTS_MANAGE, SHIPMENTS_MANAGE, SHIPMENTS_MANAGE),
    tag=TAG, label="Shipment",
    parent=Parent(param="orderId", column=SalesShipment.order_id, resource=orders, required_on_list=False),
    sort=Sort((SalesShipment.created_at, SalesShipment.shipped_at, SalesShipment.shipment_number),
              default=SalesShipment.created_at, direction="desc"),
    fields=Fields(casing="snake", rename=META, computed={"itemsSnapshot": lambda r: r.items_snapshot}),
    hooks=Hooks(before_create=_shipment_before, before_update=_shipment_before, after_create=_shipment_after,
                after_update=_shipment_after, before_delete=_shipment_before_delete,
                after_delete=_shipment_after_delete, snapshot_extra=_shipment_items, restore_extra=_put_items_back,
                after_undo=_refulfil),
    custom_fields="sales:sales_shipment")


# --- notes and document addresses -------------------------------------------------------------------------

async def _document_exists(write: Write, kind_name: str, doc_id: str) -> None:
    kind = documents.KINDS.get(kind_name)
    if kind is None:
        raise BadRequest(f"Notes on {kind_name} documents are not supported yet")
    model: Any = kind.model
    stmt = select(model.id).where(model.id == doc_id, model.tenant_id == write.ctx.tenant_id,
                                  model.deleted_at.is_(None))
    if write.ctx.org_scope is not None:
        stmt = stmt.where(model.organization_id.in_(write.ctx.org_scope))
    if (await write.session.execute(stmt)).first() is None:
        raise NotFound(f"{kind.label} not found")


async def _note_before_create(write: Write) -> None:
    values = write.values
    await _document_exists(write, values["context_type"], values["context_id"])
    values[f"{values['context_type']}_id"] = values["context_id"]
    values["author_user_id"] = write.ctx.user_id


notes = Resource(
    path="/sales/notes", model=SalesNote, entity="sales.note", create_schema=NoteCreate, update_schema=NoteUpdate,
    features=ORDER_FEATURES, tag=TAG, label="Note", search=(SalesNote.body,),
    filters={"contextType": Filter.eq(SalesNote.context_type, "order, quote, invoice or credit_memo"),
             "contextId": Filter.eq(SalesNote.context_id, "The document"),
             "orderId": Filter.eq(SalesNote.order_id, "Order"), "quoteId": Filter.eq(SalesNote.quote_id, "Quote")},
    sort=Sort((SalesNote.created_at, SalesNote.updated_at), default=SalesNote.created_at, direction="desc"),
    fields=Fields("id", "context_type", "context_id", "order_id", "quote_id", "body", "author_user_id",
                  "appearance_icon", "appearance_color", "organization_id", "tenant_id", "created_at", "updated_at",
                  casing="snake"),
    hooks=Hooks(before_create=_note_before_create,
                created_body=lambda w: {"id": w.row.id, "authorUserId": w.row.author_user_id}),
    created_schema=shape(id="string", authorUserId="string?"))


async def _address_before(write: Write) -> None:
    await _document_exists(write, str(write.value("document_kind")), str(write.value("document_id")))


document_addresses = Resource(
    path="/sales/document-addresses", model=SalesDocumentAddress, entity="sales.document_address",
    create_schema=DocumentAddressCreate, update_schema=DocumentAddressUpdate, features=ORDER_FEATURES, tag=TAG,
    label="Document address",
    filters={"documentId": Filter.eq(SalesDocumentAddress.document_id, "The document"),
             "documentKind": Filter.eq(SalesDocumentAddress.document_kind, "order or quote")},
    sort=Sort((SalesDocumentAddress.created_at, SalesDocumentAddress.updated_at, SalesDocumentAddress.purpose),
              default=SalesDocumentAddress.created_at),
    fields=Fields("id", "document_id", "document_kind", "customer_address_id", "name", "purpose", "company_name",
                  "address_line1", "address_line2", "building_number", "flat_number", "city", "region",
                  "postal_code", "country", "latitude", "longitude", "created_at", "updated_at", casing="snake"),
    hooks=Hooks(before_create=_address_before, before_update=_address_before))

RESOURCES = (channels, orders, quotes, order_lines, quote_lines, order_adjustments, quote_adjustments, payments,
             shipments, notes, document_addresses, tags, shipping_methods, delivery_windows, payment_methods,
             tax_rates, order_statuses, order_line_statuses, shipment_statuses, payment_statuses, adjustment_kinds,
             price_kinds)
