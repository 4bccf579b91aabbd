"""The catalog's routes beyond its kit collections: the products list with each product's resolved
price, the category tree, product media (from attachments) and dictionary look-ups."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from api.auth import AuthContext, requires
from api.crud import service as crud
from api.crud.answers import json_answer, list_answer, many, shape
from api.crud.export import export_response
from api.crud.query import Envelope, csv_values, is_uuid, list_parameters, parse_instant, parse_int, query_param
from api.db import utcnow
from api.deps import SessionDep
from api.errors import BadRequest, NotFound
from api.modules.attachments import service as attachments
from api.modules.attachments.models import Attachment
from api.modules.catalog import service
from api.modules.catalog.models import Category
from api.modules.catalog.pricing import PricingContext
from api.modules.catalog.resources import (
    CATEGORIES_VIEW,
    PRODUCTS_MANAGE,
    PRODUCTS_VIEW,
    TAG,
    categories,
    invalid,
    products,
)
from api.modules.dictionaries import service as dictionaries
from api.modules.directory.tree import layout, nest

router = APIRouter(tags=[TAG])
ViewProducts = Annotated[AuthContext, Depends(requires(PRODUCTS_VIEW))]
ManageProducts = Annotated[AuthContext, Depends(requires(PRODUCTS_MANAGE))]
ViewCategories = Annotated[AuthContext, Depends(requires(CATEGORIES_VIEW))]

# Attachments of products are filed under the reference platform's entity id.
PRODUCT_MEDIA_ENTITY = "catalog:catalog_product"
PRICING_PARAMS = ("channelId", "offerId", "userId", "userGroupId", "customerId", "customerGroupId")


def pricing_context(params: Mapping[str, str]) -> PricingContext:
    """The sale a products list prices for: ids, `quantity` (≥ 1), `priceDate` (ISO, default now),
    `currencyCode`. Bad values are a 400, never a silent default."""
    ids: dict[str, str | None] = {}
    for name in PRICING_PARAMS:
        raw = (params.get(name) or "").strip()
        if raw and not is_uuid(raw):
            raise invalid([name], "Expected a UUID")
        ids[name] = raw or None
    channel = ids["channelId"]
    if channel is None:
        listed = csv_values(params.get("channelIds") or "")
        channel = listed[0] if len(listed) == 1 else None
    quantity = Decimal(1)
    if raw := (params.get("quantity") or "").strip():
        try:
            quantity = Decimal(raw)
        except InvalidOperation:
            raise invalid(["quantity"], "Expected a number") from None
        if not quantity.is_finite() or quantity < 1 or quantity > 100_000:
            raise invalid(["quantity"], "Quantity must be between 1 and 100000")
    at: datetime = utcnow()
    if raw := (params.get("priceDate") or "").strip():
        parsed = parse_instant(raw)
        if parsed is None:
            raise invalid(["priceDate"], "Expected an ISO date")
        at = parsed
    currency = (params.get("currencyCode") or "").strip().upper() or None
    return PricingContext(at=at, quantity=quantity, currency_code=currency, channel_id=channel,
                          offer_id=ids["offerId"], user_id=ids["userId"], user_group_id=ids["userGroupId"],
                          customer_id=ids["customerId"], customer_group_id=ids["customerGroupId"])


_PRICING_DOCS = [
    query_param("channelId", "string", "Price for this sales channel (and filter by it)"),
    query_param("offerId", "string", "Price for this offer (and filter by it)"),
    query_param("userId", "string", "Price for this user"),
    query_param("userGroupId", "string", "Price for this user group"),
    query_param("customerId", "string", "Price for this customer"),
    query_param("customerGroupId", "string", "Price for this customer group"),
    query_param("quantity", "number", "Quantity to price (1 to 100000, default 1)"),
    query_param("priceDate", "string", "Moment prices must be valid at (ISO date; default now)"),
    query_param("currencyCode", "string", "Only prices in this currency"),
    query_param("customFieldset", "string", "Custom fieldset code (accepted for compatibility)"),
]


@router.get("/catalog/products", summary="List products",
            description="Returns a paginated collection of products scoped to the authenticated organization. "
                        "Each item's `pricing` is the price layer that applies to the context the query names "
                        "(channel, offer, customer, user, groups, quantity, date, currency), or null. "
                        f"Requires features: {PRODUCTS_VIEW}",
            openapi_extra={"parameters": [p for p in list_parameters(crud.list_spec(products))
                                          if p["name"] not in {"channelId", "offerId"}] + _PRICING_DOCS},
            responses=list_answer(products))
async def list_products(request: Request, session: SessionDep, ctx: ViewProducts) -> Any:
    params = request.query_params
    context = pricing_context(params)
    stmt, query = await crud.list_query(products, ctx, session, params)
    if query.export:
        return export_response(stmt, query, lambda s, rows: crud.items_of(products, ctx, s, rows),
                               name="catalog_product", columns=products.fields.keys(products.model))
    page = await crud.page_of(products, ctx, session, stmt, query)
    items: list[dict[str, Any]] = page["items"]
    layers = await service.price_layers(session, tenant_id=ctx.require_tenant(), product_ids=[i["id"] for i in items],
                                        organization_ids=ctx.org_scope)
    for item in items:
        item_ctx = context
        if context.channel_id is None and len(item.get("channelIds") or []) == 1:
            # A product offered on one channel is priced there, as the reference does.
            item_ctx = PricingContext(**{**context.__dict__, "channel_id": item["channelIds"][0]})
        best = await service.resolve(layers[item["id"]], item_ctx, tenant_id=ctx.tenant_id)
        item["pricing"] = service.pricing_item(best) if best is not None else None
    return page


@router.get("/catalog/categories", summary="List categories",
            description="Returns the organization's categories in tree order (`view=manage`, paged, each with "
                        "`parentName`, `pathLabel`, `childCount`, `descendantCount`) or as nested nodes "
                        "(`view=tree`). `status` is `all` (default), `active` or `inactive`. "
                        f"Requires features: {CATEGORIES_VIEW}",
            openapi_extra={"parameters": [
                query_param("view", "string", "manage (default) or tree"),
                query_param("page", "integer", "1-based page"), query_param("pageSize", "integer", "1 to 100"),
                query_param("search", "string", "Name or path contains"),
                query_param("status", "string", "all, active or inactive"),
                query_param("ids", "string", "Comma-separated ids")]},
            responses=json_answer(shape(items=many(shape(id="string")))))
async def list_categories(request: Request, session: SessionDep, ctx: ViewCategories) -> dict[str, Any]:
    params = request.query_params
    view = (params.get("view") or "manage").strip()
    status = (params.get("status") or "all").strip()
    if view not in ("manage", "tree"):
        raise invalid(["view"], "Expected manage or tree")
    if status not in ("all", "active", "inactive"):
        raise invalid(["status"], "Expected all, active or inactive")
    page = parse_int(params.get("page"), "page", 1, 1, 1_000_000)
    size = parse_int(params.get("pageSize"), "pageSize", 50, 1, 100)
    stmt = crud.scoped(categories, ctx).where(Category.deleted_at.is_(None))
    rows = {c.id: c for c in (await session.execute(stmt)).scalars()}
    placed = layout(rows.values())
    if view == "tree":
        return {"items": nest(placed, lambda n: {
            "id": n.id, "name": n.name, "parentId": n.parent_id, "depth": n.depth, "pathLabel": n.path_label,
            "ancestorIds": n.ancestor_ids, "childIds": n.child_ids, "descendantIds": n.descendant_ids,
            "isActive": n.is_active, "children": []})}
    if status != "all":
        placed = [n for n in placed if n.is_active == (status == "active")]
    if search := (params.get("search") or "").strip().lower():
        placed = [n for n in placed if search in n.name.lower() or search in n.path_label.lower()]
    if ids := csv_values(params.get("ids") or ""):
        wanted = set(ids)
        placed = [n for n in placed if n.id in wanted]
    total = len(placed)
    items = []
    for n in placed[(page - 1) * size: page * size]:
        row = rows[n.id]
        parent = rows.get(n.parent_id) if n.parent_id else None
        items.append({"id": n.id, "name": n.name, "slug": row.slug, "description": row.description,
                      "parentId": n.parent_id, "parentName": parent.name if parent is not None else None,
                      "depth": n.depth, "treePath": n.tree_path, "pathLabel": n.path_label,
                      "childCount": len(n.child_ids), "descendantCount": len(n.descendant_ids),
                      "isActive": n.is_active, "organizationId": row.organization_id, "tenantId": row.tenant_id})
    return Envelope.TOTAL.wrap(items, total, page, size)


@router.get("/catalog/product-media", summary="List product media",
            description="Returns the media attachments of a product (`productId`): id, file name, URL and a "
                        f"360×360 thumbnail URL. Requires features: {PRODUCTS_VIEW}",
            openapi_extra={"parameters": [query_param("productId", "string", "The product", required=True)]},
            responses=json_answer(shape(items=many(shape(id="string", fileName="string", url="string")))))
async def product_media(request: Request, session: SessionDep, ctx: ViewProducts) -> dict[str, Any]:
    product_id = (request.query_params.get("productId") or "").strip()
    if not is_uuid(product_id):
        raise BadRequest("productId is required")
    product = await crud.get_row(products, ctx, session, product_id)
    rows = (await session.execute(select(Attachment).where(
        Attachment.entity_id == PRODUCT_MEDIA_ENTITY, Attachment.record_id == product.id,
        Attachment.tenant_id == product.tenant_id, Attachment.organization_id == product.organization_id)
        .order_by(Attachment.created_at, Attachment.id))).scalars()
    return {"items": [{"id": a.id, "fileName": a.file_name, "url": a.url,
                       "thumbnailUrl": attachments.image_url(a.id, width=360, height=360,
                                                             slug=attachments.slugify(a.file_name))}
                      for a in rows]}


# The reference's aliases: a catalog form asking for `currency` or `unit` finds the dictionary under
# any of its usual keys.
DICTIONARY_ALIASES = {"currency": ("currency", "currencies"), "unit": ("unit", "units", "measurement_units")}


@router.get("/catalog/dictionaries/{key}", summary="Get dictionary entries by key",
            description="Returns dictionary entries for a specific key (e.g., currency, unit): "
                        f"`{{id, entries[{{id, value, label, color, icon}}]}}`. Requires features: {PRODUCTS_MANAGE}",
            responses=json_answer(shape(id="string", entries=many(shape(id="string", value="string")))))
async def dictionary(key: str, session: SessionDep, ctx: ManageProducts) -> dict[str, Any]:
    wanted = key.strip().lower()
    if not wanted:
        raise BadRequest("Dictionary key is required.")
    for candidate in DICTIONARY_ALIASES.get(wanted, (wanted,)):
        found = await dictionaries.find_dictionary(session, tenant_id=ctx.require_tenant(),
                                                   organization_id=ctx.require_org(), key=candidate)
        if found is not None and found.is_active:
            entries = await dictionaries.entries(session, tenant_id=ctx.require_tenant(),
                                                 organization_id=ctx.require_org(), key=candidate)
            return {"id": found.id, "entries": [{"id": e.id, "value": e.value, "label": e.label, "color": e.color,
                                                 "icon": e.icon} for e in entries]}
    raise NotFound("Dictionary not found.")
