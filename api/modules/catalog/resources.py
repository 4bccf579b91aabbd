"""The catalog's collections as kit declarations, and the hooks that keep them consistent: a product's
nested offers, categories, tags and option schema written in its transaction; variants' option values
checked against their product's schema; the category tree; price layers' amounts and ranges."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.crud import (
    CustomFields,
    Envelope,
    Exclusive,
    Features,
    Fields,
    Filter,
    Hooks,
    Owned,
    Parent,
    Resource,
    Sort,
    Write,
)
from api.crud import service as crud
from api.crud.query import csv_values
from api.crud.tags import Tag, TagAssignment, linked_tags, relink_tags, slugify, tag_resource
from api.db import new_id, utcnow
from api.errors import BadRequest, Conflict
from api.modules.catalog.models import (
    Category,
    CategoryAssignment,
    Offer,
    OptionSchema,
    Price,
    PriceKind,
    Product,
    Variant,
)
from api.modules.catalog.pricing import HUNDRED, round_money
from api.modules.catalog.schemas import (
    CategoryCreate,
    CategoryUpdate,
    OfferCreate,
    OfferUpdate,
    OptionSchemaCreate,
    OptionSchemaUpdate,
    PriceCreate,
    PriceKindCreate,
    PriceKindUpdate,
    PriceUpdate,
    ProductCreate,
    ProductUpdate,
    VariantCreate,
    VariantUpdate,
)
from api.modules.directory.tree import has_cycle, layout
from api.modules.sales.service import live_channel_ids

TAG = "Catalog"
PRODUCTS_VIEW = "catalog.products.view"
PRODUCTS_MANAGE = "catalog.products.manage"
VARIANTS_MANAGE = "catalog.variants.manage"
CATEGORIES_VIEW = "catalog.categories.view"
CATEGORIES_MANAGE = "catalog.categories.manage"
PRICING_MANAGE = "catalog.pricing.manage"
SETTINGS_MANAGE = "catalog.settings.manage"
CHANNELS_MANAGE = "sales.channels.manage"
PRODUCT_ENTITY = "catalog.product"
TREE_COLUMNS = ("root_id", "tree_path", "path_label", "depth", "ancestor_ids", "child_ids", "descendant_ids")


def invalid(path: list[Any], message: str) -> BadRequest:
    return BadRequest("Invalid input", [{"path": path, "message": message}])


def _visible(model: Any, ctx: AuthContext) -> list[Any]:
    """The scope clauses of rows of `model` the caller may see (its tenant, its organizations)."""
    clauses = [model.tenant_id == ctx.tenant_id, model.deleted_at.is_(None)]
    if ctx.org_scope is not None:
        clauses.append(model.organization_id.in_(ctx.org_scope))
    return clauses


async def _require(session: AsyncSession, ctx: AuthContext, model: Any, row_id: str | None, path: str,
                   label: str) -> Any:
    """A visible live row of `model` named by a body field, else 400 naming the field."""
    if not row_id:
        return None
    row = (await session.execute(select(model).where(model.id == row_id, *_visible(model, ctx)))).scalars().first()
    if row is None:
        raise invalid([path], f"{label} not found")
    return row


async def _check_channels(session: AsyncSession, ctx: AuthContext, ids: list[tuple[list[Any], str]]) -> None:
    found = await live_channel_ids(session, tenant_id=ctx.require_tenant(), ids=[i for _, i in ids],
                                         organization_ids=ctx.org_scope)
    missing = [{"path": path, "message": "Sales channel not found"} for path, i in ids if i not in found]
    if missing:
        raise BadRequest("Invalid input", missing)


# --- option schemas ----------------------------------------------------------------------------------

def schema_options(schema: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {str(o.get("code")): o for o in (schema or {}).get("options") or [] if isinstance(o, dict)}


def option_value_problems(schema: dict[str, Any] | None, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Where `values` leave the product's option schema: unknown options, values outside a select's
    choices, numbers that are not numbers, required options left out."""
    options = schema_options(schema)
    problems: list[dict[str, Any]] = []
    for code, value in values.items():
        option = options.get(code)
        if option is None:
            problems.append({"path": ["optionValues", code], "message": "Unknown option for this product"})
            continue
        choices = [str(c.get("code")) for c in option.get("choices") or [] if isinstance(c, dict)]
        if option.get("inputType", "select") == "select" and choices:
            given = [v.strip() for v in str(value).split(",")] if option.get("isMultiple") else [str(value)]
            bad = [v for v in given if v not in choices]
            if bad:
                problems.append({"path": ["optionValues", code],
                                 "message": f"Expected one of: {', '.join(choices)}"})
        elif option.get("inputType") == "number":
            try:
                Decimal(str(value))
            except ArithmeticError:
                problems.append({"path": ["optionValues", code], "message": "Expected a number"})
    for code, option in options.items():
        if option.get("isRequired") and not str(values.get(code) or "").strip():
            problems.append({"path": ["optionValues", code], "message": "Required"})
    return problems


option_schemas = Resource(
    path="/catalog/option-schemas",
    model=OptionSchema,
    entity="catalog.option_schema",
    create_schema=OptionSchemaCreate,
    update_schema=OptionSchemaUpdate,
    features=Features(PRODUCTS_VIEW, SETTINGS_MANAGE, SETTINGS_MANAGE, SETTINGS_MANAGE),
    tag=TAG,
    label="Option schema",
    descriptions={"list": "Returns a paginated collection of option schemas scoped to the authenticated "
                          "organization.",
                  "create": "Creates a new option schema template for product configurations."},
    search=(OptionSchema.name, OptionSchema.code),
    sort=Sort((OptionSchema.name, OptionSchema.code, OptionSchema.created_at, OptionSchema.updated_at),
              default=OptionSchema.name),
    filters={"isActive": Filter.eq(OptionSchema.is_active, "Active or not")},
    envelope=Envelope.TOTAL,
    fields=Fields("id", "name", "code", "description", "definition", "metadata_json", "is_active",
                  "organization_id", "tenant_id", "created_at", "updated_at", casing="snake",
                  rename={"definition": "schema", "metadata_json": "metadata"}),
)


# --- products ----------------------------------------------------------------------------------------

async def _product_checks(write: Write) -> None:
    """Everything a product write names must exist before anything is written."""
    session, ctx, body = write.session, write.ctx, write.body
    if write.values.get("option_schema_id"):
        await _require(session, ctx, OptionSchema, write.values["option_schema_id"], "optionSchemaId",
                       "Option schema")
    if body.category_ids:
        ids = list(dict.fromkeys(body.category_ids))
        found = set((await session.execute(select(Category.id).where(
            Category.id.in_(ids), *_visible(Category, ctx)))).scalars())
        missing = [{"path": ["categoryIds", n], "message": "Category not found"}
                   for n, i in enumerate(body.category_ids) if i not in found]
        if missing:
            raise BadRequest("Invalid input", missing)
    if body.offers:
        await _check_channels(session, ctx, [(["offers", n, "channelId"], o.channel_id)
                                             for n, o in enumerate(body.offers)])
    if body.option_schema is not None:
        # An inline schema becomes a template of its own, which the product points at.
        template = OptionSchema(id=new_id(), tenant_id=ctx.require_tenant(),
                                organization_id=write.row.organization_id or ctx.require_org(),
                                name=body.option_schema.name or f"{write.value('title')} options",
                                description=body.option_schema.description,
                                definition=body.option_schema.model_dump(by_alias=True, exclude_none=True),
                                is_active=True)
        session.add(template)
        write.values["option_schema_id"] = template.id
        write.values.setdefault("is_configurable", True)


async def _tag_ids(session: AsyncSession, product: Product, labels: list[str]) -> list[str]:
    """The catalog tags of the product's organization with these labels (by slug), created if new."""
    wanted = {slugify(label): label.strip() for label in labels}
    existing = {t.slug: t for t in (await session.execute(select(Tag).where(
        Tag.namespace == "catalog", Tag.tenant_id == product.tenant_id,
        Tag.organization_id == product.organization_id, Tag.slug.in_(list(wanted)),
        Tag.deleted_at.is_(None)))).scalars()}
    for slug, label in wanted.items():
        if slug not in existing:
            tag = Tag(id=new_id(), namespace="catalog", slug=slug, label=label, tenant_id=product.tenant_id,
                      organization_id=product.organization_id)
            session.add(tag)
            existing[slug] = tag
    await session.flush()
    return [existing[s].id for s in wanted]


async def _set_categories(session: AsyncSession, product: Product, category_ids: list[str]) -> None:
    """The product's category links become `category_ids`, in that order."""
    await session.execute(delete(CategoryAssignment).where(CategoryAssignment.product_id == product.id))
    for position, category_id in enumerate(dict.fromkeys(category_ids)):
        session.add(CategoryAssignment(id=new_id(), product_id=product.id, category_id=category_id,
                                       position=position, tenant_id=product.tenant_id,
                                       organization_id=product.organization_id))


async def _set_tags(session: AsyncSession, product: Product, tag_ids: list[str]) -> None:
    await session.execute(delete(TagAssignment).where(TagAssignment.entity_type == PRODUCT_ENTITY,
                                                      TagAssignment.entity_id == product.id))
    for tag_id in dict.fromkeys(tag_ids):
        session.add(TagAssignment(id=new_id(), tag_id=tag_id, entity_type=PRODUCT_ENTITY, entity_id=product.id,
                                  tenant_id=product.tenant_id, organization_id=product.organization_id))


async def _product_children(write: Write) -> None:
    """Offers, category links and tags sent with the product, in the product's transaction."""
    session, ctx, body, product = write.session, write.ctx, write.body, write.row
    if body.category_ids is not None:
        await _set_categories(session, product, body.category_ids)
    if body.tags is not None:
        await _set_tags(session, product, await _tag_ids(session, product, body.tags))
    for offer in body.offers or []:
        # Through the kit, so each offer is audited and announced like one created on its own.
        nested = OfferCreate.model_validate({**offer.model_dump(by_alias=True, exclude_unset=True),
                                             "productId": product.id,
                                             "organizationId": product.organization_id})
        await crud.create(offers, ctx, session, nested)
    await session.flush()


async def _product_snapshot(session: AsyncSession, row: Product) -> dict[str, Any]:
    categories = (await session.execute(select(CategoryAssignment.category_id).where(
        CategoryAssignment.product_id == row.id).order_by(CategoryAssignment.position))).scalars().all()
    return {"categoryIds": list(categories), "tagIds": await linked_tags(session, PRODUCT_ENTITY, row.id)}


async def _product_restore(session: AsyncSession, product: Product, snap: dict[str, Any]) -> None:
    """Undo and redo: the category links and tags `_product_snapshot` recorded, those still live."""
    if isinstance(ids := snap.get("categoryIds"), list):
        live = set((await session.execute(select(Category.id).where(
            Category.id.in_(ids), Category.deleted_at.is_(None)))).scalars())
        await _set_categories(session, product, [i for i in ids if i in live])
    if isinstance(ids := snap.get("tagIds"), list):
        await relink_tags(session, PRODUCT_ENTITY, product, ids)


async def decorate_products(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    """Offers, channels, categories and tags of a page of products, one query each."""
    ids = [i["id"] for i in items]
    offers_by: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for o in (await session.execute(select(Offer).where(Offer.product_id.in_(ids), Offer.deleted_at.is_(None))
                                    .order_by(Offer.created_at, Offer.id))).scalars():
        offers_by[o.product_id].append({"id": o.id, "channelId": o.channel_id, "title": o.title,
                                        "isActive": o.is_active})
    cats_by: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for pid, c in (await session.execute(
            select(CategoryAssignment.product_id, Category)
            .join(Category, Category.id == CategoryAssignment.category_id)
            .where(CategoryAssignment.product_id.in_(ids), Category.deleted_at.is_(None))
            .order_by(CategoryAssignment.position))).all():
        cats_by[pid].append({"id": c.id, "name": c.name, "treePath": c.tree_path, "pathLabel": c.path_label})
    tags_by: dict[str, list[str]] = {i: [] for i in ids}
    for pid, label in (await session.execute(
            select(TagAssignment.entity_id, Tag.label).join(Tag, Tag.id == TagAssignment.tag_id)
            .where(TagAssignment.entity_type == PRODUCT_ENTITY, TagAssignment.entity_id.in_(ids),
                   Tag.deleted_at.is_(None)).order_by(Tag.label))).all():
        tags_by[pid].append(label)
    for item in items:
        offers_of = offers_by[item["id"]]
        item["offers"] = offers_of
        item["channelIds"] = list(dict.fromkeys(o["channelId"] for o in offers_of))
        item["categories"] = cats_by[item["id"]]
        item["categoryIds"] = [c["id"] for c in cats_by[item["id"]]]
        # Sorted here, not by the database: collations order capitals differently on SQLite and PostgreSQL.
        item["tags"] = sorted(tags_by[item["id"]], key=str.lower)


def _product_ids_where(column: Any, stmt_for: Any) -> Any:
    def apply(stmt: Select[Any], raw: str) -> Select[Any]:
        values = csv_values(raw)
        return stmt.where(Product.id.in_(stmt_for(values)))
    return apply


def _status(stmt: Select[Any], raw: str) -> Select[Any]:
    return stmt.where(Product.status_entry_id == raw)


def _configurable(stmt: Select[Any], raw: str) -> Select[Any]:
    wanted = raw.strip().lower() in ("true", "1", "yes")
    return stmt.where(Product.is_configurable.is_(wanted))


PRODUCT_FIELDS = CustomFields("catalog:catalog_product")

products = Resource(
    path="/catalog/products",
    model=Product,
    entity=PRODUCT_ENTITY,
    create_schema=ProductCreate,
    update_schema=ProductUpdate,
    features=Features.view_manage(PRODUCTS_VIEW, PRODUCTS_MANAGE),
    tag=TAG,
    label="Product",
    # The list is served by routes.py (it resolves each product's price for the query's context).
    operations=frozenset({"create", "update", "delete"}),
    descriptions={"create": "Creates a new product in the catalog. `offers[]`, `categoryIds[]`, `tags[]` (labels) "
                            "and an inline `optionSchema` are written in the same transaction."},
    search=(Product.title, Product.sku, Product.handle, Product.subtitle),
    sort=Sort((Product.title, Product.sku, Product.product_type, Product.created_at, Product.updated_at),
              named={"name": Product.title}),
    filters={
        "status": Filter.using(_status, "Status dictionary entry id"),
        "isActive": Filter.eq(Product.is_active, "Active or not"),
        "configurable": Filter.using(_configurable, "true: configurable products only"),
        "productType": Filter.eq(Product.product_type, "Product type",
                                 choices=("simple", "configurable", "virtual", "downloadable", "bundle", "grouped")),
        "channelIds": Filter.using(_product_ids_where(None, lambda v: select(Offer.product_id).where(
            Offer.channel_id.in_(v), Offer.deleted_at.is_(None))), "Offered on any of these channels"),
        "channelId": Filter.using(_product_ids_where(None, lambda v: select(Offer.product_id).where(
            Offer.channel_id.in_(v), Offer.deleted_at.is_(None))), "Offered on this channel"),
        "offerId": Filter.using(_product_ids_where(None, lambda v: select(Offer.product_id).where(
            Offer.id.in_(v))), "Having this offer"),
        "categoryIds": Filter.using(_product_ids_where(None, lambda v: select(CategoryAssignment.product_id).where(
            CategoryAssignment.category_id.in_(v))), "In any of these categories"),
        "tagIds": Filter.tags(Product.id, PRODUCT_ENTITY),
    },
    envelope=Envelope.TOTAL,
    fields=Fields("id", "title", "subtitle", "description", "sku", "handle", "product_type", "status_entry_id",
                  "primary_currency_code", "default_unit", "default_media_id", "default_media_url", "weight_value",
                  "weight_unit", "dimensions", "tax_rate_id", "tax_rate", "is_configurable", "is_active",
                  "metadata_json", "custom_fieldset_code", "option_schema_id", "organization_id", "tenant_id",
                  "created_at", "updated_at", casing="snake", rename={"metadata_json": "metadata"}),
    custom_fields=PRODUCT_FIELDS,
    # A deleted product takes its variants, offers and prices with it (soft, like the product).
    owns=(Owned(Variant.product_id), Owned(Offer.product_id), Owned(Price.product_id)),
    hooks=Hooks(before_create=_product_checks, before_update=_product_checks, after_create=_product_children,
                after_update=_product_children, decorate=decorate_products,
                snapshot_extra=_product_snapshot, restore_extra=_product_restore),
)


# --- variants ----------------------------------------------------------------------------------------

async def _variant_checks(write: Write) -> None:
    product_id = write.value("product_id")
    if not ({"option_values", "product_id"} & write.given) or not product_id:
        return
    product = await crud.get_row(products, write.ctx, write.session, product_id)
    values = write.value("option_values") or {}
    schema = None
    if product.option_schema_id:
        template = await write.session.get(OptionSchema, product.option_schema_id)
        schema = template.definition if template is not None and template.deleted_at is None else None
    if values and schema is None:
        raise invalid(["optionValues"], "The product has no option schema")
    if schema is not None and (problems := option_value_problems(schema, values)):
        raise BadRequest("Invalid input", problems)


variants = Resource(
    path="/catalog/variants",
    model=Variant,
    entity="catalog.variant",
    create_schema=VariantCreate,
    update_schema=VariantUpdate,
    features=Features(PRODUCTS_VIEW, VARIANTS_MANAGE, VARIANTS_MANAGE, VARIANTS_MANAGE),
    tag=TAG,
    label="Variant",
    descriptions={"create": "Creates a new product variant; `optionValues` must fit the product's option schema."},
    search=(Variant.name, Variant.sku, Variant.barcode),
    sort=Sort((Variant.name, Variant.sku, Variant.is_default, Variant.created_at, Variant.updated_at)),
    filters={
        "sku": Filter.eq(Variant.sku, "SKU"),
        "isActive": Filter.eq(Variant.is_active, "Active or not"),
        "isDefault": Filter.eq(Variant.is_default, "Default variant or not"),
    },
    parent=Parent(param="productId", column=Variant.product_id, resource=products, required_on_list=False),
    envelope=Envelope.TOTAL,
    fields=Fields("id", "product_id", "name", "sku", "barcode", "status_entry_id", "is_default", "is_active",
                  "default_media_id", "default_media_url", "weight_value", "weight_unit", "dimensions",
                  "tax_rate_id", "tax_rate", "metadata_json", "option_values", "custom_fieldset_code",
                  "organization_id", "tenant_id", "created_at", "updated_at", casing="snake",
                  rename={"metadata_json": "metadata"}),
    custom_fields=CustomFields("catalog:catalog_product_variant"),
    # At most one default variant per product: a new default takes over.
    exclusive=Exclusive(Variant.is_default, among=Variant.product_id),
    hooks=Hooks(before_create=_variant_checks, before_update=_variant_checks),
)


# --- categories --------------------------------------------------------------------------------------

async def org_categories(session: AsyncSession, tenant_id: str, organization_id: str) -> list[Category]:
    return list((await session.execute(select(Category).where(
        Category.tenant_id == tenant_id, Category.organization_id == organization_id,
        Category.deleted_at.is_(None)))).scalars())


async def rebuild_categories(session: AsyncSession, tenant_id: str, organization_id: str) -> None:
    """Recompute the tree columns of the organization's categories (the whole tree: they are small,
    and a moved node's subtree changes paths and depths all the way down)."""
    await session.flush()
    rows = {c.id: c for c in await org_categories(session, tenant_id, organization_id)}
    for node in layout(rows.values()):
        row = rows[node.id]
        if row.parent_id != node.parent_id:
            row.parent_id = node.parent_id
        row.root_id, row.tree_path, row.path_label, row.depth = (node.root_id, node.tree_path, node.path_label,
                                                                 node.depth)
        row.ancestor_ids, row.child_ids, row.descendant_ids = node.ancestor_ids, node.child_ids, node.descendant_ids
    await session.flush()


async def _category_checks(write: Write) -> None:
    row: Category = write.row
    session = write.session
    siblings = {c.id: c for c in await org_categories(session, row.tenant_id or write.ctx.require_tenant(),
                                                       row.organization_id or write.ctx.require_org())}
    if "parent_id" in write.given:
        parent_id = write.values.get("parent_id")
        if parent_id and parent_id not in siblings:
            raise invalid(["parentId"], "Parent category not found or inaccessible.")
        parents = {c.id: c.parent_id for c in siblings.values()}
        parents[row.id] = parent_id
        if parent_id == row.id or has_cycle(parents):
            raise invalid(["parentId"], "A category cannot be moved under itself or its descendants")
    slug = write.values.get("slug")
    if slug and any(c.slug == slug and c.id != row.id for c in siblings.values()):
        raise invalid(["slug"], "Category slug already exists for this organization.")
    for column in TREE_COLUMNS:
        write.values.pop(column, None)


async def _category_tree(write: Write) -> None:
    await rebuild_categories(write.session, write.row.tenant_id, write.row.organization_id)


async def _lift_children(session: AsyncSession, row: Category) -> None:
    await session.execute(update(Category).where(
        Category.parent_id == row.id, Category.tenant_id == row.tenant_id, Category.deleted_at.is_(None))
        .values(parent_id=row.parent_id))


async def _category_gone(write: Write) -> None:
    """A deleted category's children move up to its parent (their subtrees with them); its product links go
    (`owns`)."""
    write.values["is_active"] = False
    await _lift_children(write.session, write.row)


async def _category_restore(session: AsyncSession, row: Category, snap: dict[str, Any]) -> None:
    """Undo of a delete: the children the delete lifted to the category's parent (its `child_ids` then) come
    back under it, unless moved elsewhere since. Redo of the delete lifts them again, as the delete did."""
    if snap.get("deleted_at") is not None:
        await _lift_children(session, row)
        return
    for child_id in snap.get("child_ids") or []:
        child = await session.get(Category, child_id)
        if child is not None and child.deleted_at is None and child.parent_id == row.parent_id \
                and child.tenant_id == row.tenant_id:
            child.parent_id = row.id


async def _category_undo(session: AsyncSession, row: Any, left: dict[str, Any] | None) -> None:
    if row.deleted_at is not None:
        # The undo of its creation removed it: children added under it since go to its parent, as on a delete.
        await _lift_children(session, row)
    await rebuild_categories(session, row.tenant_id, row.organization_id)


categories = Resource(
    path="/catalog/categories",
    model=Category,
    entity="catalog.category",
    create_schema=CategoryCreate,
    update_schema=CategoryUpdate,
    features=Features.view_manage(CATEGORIES_VIEW, CATEGORIES_MANAGE),
    tag=TAG,
    label="Category",
    plural="Categories",
    # The list (a tree in display order, `view=tree` nested) is served by routes.py.
    operations=frozenset({"create", "update", "delete"}),
    descriptions={"create": "Creates a new product category.",
                  "update": "Updates an existing category by id; a new `parentId` moves the category with its "
                            "subtree (a move under its own descendant is refused)."},
    fields=Fields("id", "name", "slug", "description", "parent_id", "depth", "tree_path", "path_label",
                  "root_id", "ancestor_ids", "child_ids", "descendant_ids", "is_active", "organization_id",
                  "tenant_id", "created_at", "updated_at"),
    derived=frozenset(TREE_COLUMNS),
    # Its product links go with it, and come back with its undo.
    owns=(Owned(CategoryAssignment.category_id),),
    hooks=Hooks(before_create=_category_checks, before_update=_category_checks, after_create=_category_tree,
                after_update=_category_tree, before_delete=_category_gone, after_delete=_category_tree,
                restore_extra=_category_restore, after_undo=_category_undo),
)


# --- offers ------------------------------------------------------------------------------------------

async def _offer_checks(write: Write) -> None:
    if "channel_id" in write.values:
        await _check_channels(write.session, write.ctx, [(["channelId"], write.values["channel_id"])])


async def decorate_offers(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    """Each offer's product (id, title, sku) and its price on the offer's channel today."""
    from api.modules.catalog import service as pricing_service
    from api.modules.catalog.pricing import PricingContext

    product_ids = list({i["productId"] for i in items})
    rows = {p.id: p for p in (await session.execute(select(Product).where(Product.id.in_(product_ids)))).scalars()}
    layers = await pricing_service.price_layers(session, tenant_id=ctx.require_tenant(), product_ids=product_ids)
    now = utcnow()
    for item in items:
        p = rows.get(item["productId"])
        item["product"] = {"id": p.id, "title": p.title, "sku": p.sku, "defaultMediaUrl": p.default_media_url} \
            if p is not None else None
        best = await pricing_service.resolve(layers.get(item["productId"], []), PricingContext(
            at=now, channel_id=item["channelId"], offer_id=item["id"]), tenant_id=ctx.tenant_id)
        item["productChannelPrice"] = pricing_service.pricing_item(best) if best is not None else None


offers = Resource(
    path="/catalog/offers",
    model=Offer,
    entity="catalog.offer",
    create_schema=OfferCreate,
    update_schema=OfferUpdate,
    features=Features.view_manage(CHANNELS_MANAGE, CHANNELS_MANAGE),
    tag=TAG,
    label="Offer",
    descriptions={"create": "Creates a new offer linking a product to a sales channel."},
    search=(Offer.title, Offer.description),
    sort=Sort((Offer.title, Offer.created_at, Offer.updated_at)),
    filters={
        "channelId": Filter.eq(Offer.channel_id, "Sales channel"),
        "channelIds": Filter.any_of(Offer.channel_id, "Comma-separated sales channel ids"),
        "isActive": Filter.eq(Offer.is_active, "Active or not"),
    },
    parent=Parent(param="productId", column=Offer.product_id, resource=products, required_on_list=False),
    envelope=Envelope.TOTAL,
    fields=Fields("id", "product_id", "organization_id", "tenant_id", "channel_id", "title", "description",
                  "default_media_id", "default_media_url", "localized_content", "metadata_json", "is_active",
                  "created_at", "updated_at", rename={"metadata_json": "metadata"}),
    hooks=Hooks(before_create=_offer_checks, before_update=_offer_checks, decorate=decorate_offers),
)


# --- price kinds -------------------------------------------------------------------------------------

async def _kind_code_free(write: Write) -> None:
    code = write.values.get("code")
    if not code:
        return
    taken = (await write.session.execute(select(PriceKind.id).where(
        PriceKind.tenant_id == write.ctx.require_tenant(), PriceKind.code == code,
        PriceKind.deleted_at.is_(None), PriceKind.id != write.row.id))).first()
    if taken is not None:
        raise Conflict("Price kind code already exists")


async def _kind_in_use(write: Write) -> None:
    used = (await write.session.execute(select(func.count()).select_from(Price).where(
        Price.price_kind_id == write.row.id, Price.deleted_at.is_(None)))).scalar_one()
    if used:
        raise Conflict("Price kind is used by prices; delete them first")


price_kinds = Resource(
    path="/catalog/price-kinds",
    model=PriceKind,
    entity="catalog.price_kind",
    create_schema=PriceKindCreate,
    update_schema=PriceKindUpdate,
    features=Features.view_manage(SETTINGS_MANAGE, SETTINGS_MANAGE),
    tag=TAG,
    label="Price kind",
    descriptions={"create": "Creates a new price kind for categorizing product prices."},
    search=(PriceKind.code, PriceKind.title),
    sort=Sort((PriceKind.code, PriceKind.title, PriceKind.created_at, PriceKind.updated_at), default=PriceKind.title),
    filters={"isPromotion": Filter.eq(PriceKind.is_promotion, "Promotion kinds or not"),
             "isActive": Filter.eq(PriceKind.is_active, "Active or not")},
    # Price kinds belong to the tenant (organization empty), as the reference keeps them.
    scope="tenant",
    envelope=Envelope.TOTAL,
    fields=Fields("id", "organization_id", "tenant_id", "code", "title", "display_mode", "currency_code",
                  "is_promotion", "is_active", "created_at", "updated_at", casing="snake"),
    hooks=Hooks(before_create=_kind_code_free, before_update=_kind_code_free, before_delete=_kind_in_use),
)


# --- prices ------------------------------------------------------------------------------------------

async def _price_checks(write: Write) -> None:
    """Ties the layer to its product (from the variant or offer when not given), checks ranges and
    names, and works out the amount it was not given (gross from net and the tax rate, or back)."""
    session, ctx, values = write.session, write.ctx, write.values
    creating = write.action == "create"
    variant = await _require(session, ctx, Variant, values.get("variant_id"), "variantId", "Variant")
    offer = await _require(session, ctx, Offer, values.get("offer_id"), "offerId", "Offer")
    product_id = values.get("product_id") if "product_id" in values else (None if creating else write.row.product_id)
    for linked, name in ((variant, "variantId"), (offer, "offerId")):
        if linked is not None:
            if product_id and linked.product_id != product_id:
                raise invalid([name], f"{'Variant' if name == 'variantId' else 'Offer'} does not belong to the product")
            product_id = linked.product_id
    if creating and not product_id:
        raise invalid(["productId"], "Provide either a variantId, an offerId or a productId for pricing.")
    if "product_id" in values or creating:
        await _require(session, ctx, Product, product_id, "productId", "Product")
        values["product_id"] = product_id
    if values.get("price_kind_id"):
        kind = (await session.execute(select(PriceKind).where(
            PriceKind.id == values["price_kind_id"], PriceKind.tenant_id == ctx.require_tenant(),
            PriceKind.deleted_at.is_(None)))).scalars().first()
        if kind is None:
            raise invalid(["priceKindId"], "Price kind not found")
        values["kind"] = kind.code
    if values.get("channel_id"):
        await _check_channels(session, ctx, [(["channelId"], values["channel_id"])])
    elif offer is not None and creating:
        values["channel_id"] = offer.channel_id
    lo, hi = write.value("min_quantity") or 1, write.value("max_quantity")
    if hi is not None and hi < lo:
        raise invalid(["maxQuantity"], "maxQuantity must be greater than or equal to minQuantity")
    starts, ends = write.value("starts_at"), write.value("ends_at")
    if isinstance(starts, datetime) and isinstance(ends, datetime) and ends < starts:
        raise invalid(["endsAt"], "endsAt must be on or after startsAt")
    _price_amounts(write)


def _price_amounts(write: Write) -> None:
    values = write.values
    amounts_given = {"unit_price_net", "unit_price_gross", "tax_rate"} & set(values)
    if not amounts_given:
        return
    rate: Decimal | None = write.value("tax_rate")
    net: Decimal | None = values.get("unit_price_net")
    gross: Decimal | None = values.get("unit_price_gross")
    if net is None and gross is None:
        net, gross = write.value("unit_price_net"), None
        if net is None:
            gross = write.value("unit_price_gross")
    factor = 1 + (rate or Decimal(0)) / HUNDRED
    if net is not None and gross is None:
        gross = round_money(net * factor, 4)
    elif gross is not None and net is None:
        net = round_money(gross / factor, 4)
    if net is not None and gross is not None:
        values["unit_price_net"], values["unit_price_gross"] = net, gross
        values["tax_amount"] = gross - net


def _prices_of_product(stmt: Select[Any], raw: str) -> Select[Any]:
    return stmt.where(or_(Price.product_id == raw, Price.variant_id.in_(
        select(Variant.id).where(and_(Variant.product_id == raw)))))


prices = Resource(
    path="/catalog/prices",
    model=Price,
    entity="catalog.price",
    create_schema=PriceCreate,
    update_schema=PriceUpdate,
    features=Features(PRODUCTS_VIEW, PRICING_MANAGE, PRICING_MANAGE, PRICING_MANAGE),
    tag=TAG,
    label="Price",
    descriptions={"create": "Creates a new price entry for a product or variant. Give `unitPriceNet` or "
                            "`unitPriceGross` with `taxRate`; the other amount and `taxAmount` are worked out."},
    sort=Sort((Price.currency_code, Price.kind, Price.min_quantity, Price.unit_price_net, Price.unit_price_gross,
               Price.starts_at, Price.created_at, Price.updated_at)),
    filters={
        "productId": Filter.using(_prices_of_product, "Prices of this product (its variants' included)"),
        "variantId": Filter.eq(Price.variant_id, "Variant"),
        "offerId": Filter.eq(Price.offer_id, "Offer"),
        "channelId": Filter.eq(Price.channel_id, "Sales channel"),
        "currencyCode": Filter.eq(Price.currency_code, "ISO 4217 code"),
        "priceKindId": Filter.eq(Price.price_kind_id, "Price kind"),
        "kind": Filter.eq(Price.kind, "Price kind code"),
        "userId": Filter.eq(Price.user_id, "User"),
        "userGroupId": Filter.eq(Price.user_group_id, "User group"),
        "customerId": Filter.eq(Price.customer_id, "Customer"),
        "customerGroupId": Filter.eq(Price.customer_group_id, "Customer group"),
    },
    envelope=Envelope.TOTAL,
    fields=Fields("id", "product_id", "variant_id", "offer_id", "currency_code", "price_kind_id", "kind",
                  "min_quantity", "max_quantity", "unit_price_net", "unit_price_gross", "tax_rate", "tax_amount",
                  "tax_rate_id", "channel_id", "user_id", "user_group_id", "customer_id", "customer_group_id",
                  "metadata_json", "starts_at", "ends_at", "organization_id", "tenant_id", "created_at",
                  "updated_at", casing="snake", rename={"metadata_json": "metadata"}),
    custom_fields=CustomFields("catalog:catalog_product_price"),
    hooks=Hooks(before_create=_price_checks, before_update=_price_checks),
)


# --- tags (read) -------------------------------------------------------------------------------------

tags = tag_resource(path="/catalog/tags", namespace="catalog",
                    features=Features.view_manage(PRODUCTS_VIEW, PRODUCTS_MANAGE), tag=TAG,
                    label="Product tag").but(
    operations=frozenset({"list"}),
    descriptions={"list": "Returns a paginated collection of product tags scoped to the authenticated organization. "
                          "Tags are created by the `tags[]` of a product's create or update."},
    fields=Fields("id", "label", "slug", "color", "created_at", "updated_at"),
)
