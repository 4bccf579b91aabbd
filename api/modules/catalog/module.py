"""Catalog: products (and their variants, offers, categories, tags, media), price layers with their
resolution, price kinds and option-schema templates. See docs/catalog.md."""

from __future__ import annotations

from api.commands import crud_commands
from api.manifest import Module, NavEntry, Searchable
from api.modules.catalog.models import Product
from api.modules.catalog.resources import (
    CATEGORIES_MANAGE,
    CATEGORIES_VIEW,
    PRICING_MANAGE,
    PRODUCTS_MANAGE,
    PRODUCTS_VIEW,
    SETTINGS_MANAGE,
    VARIANTS_MANAGE,
    categories,
    offers,
    option_schemas,
    price_kinds,
    prices,
    products,
    tags,
    variants,
)
from api.modules.catalog.routes import router

module = Module(
    id="catalog",
    title="Catalog",
    features={
        PRODUCTS_VIEW: "View products",
        PRODUCTS_MANAGE: "Manage products",
        VARIANTS_MANAGE: "Manage product variants",
        CATEGORIES_VIEW: "View categories",
        CATEGORIES_MANAGE: "Manage categories",
        PRICING_MANAGE: "Manage prices",
        SETTINGS_MANAGE: "Manage catalog settings (price kinds, option schemas)",
    },
    resources=(products, variants, categories, offers, prices, price_kinds, option_schemas, tags),
    routers=(router,),
    navigation=(
        NavEntry("/backend/catalog/products", "Products", group_id="catalog", group_name="Catalog",
                 features=(PRODUCTS_VIEW,), order=10, group_order=300),
        NavEntry("/backend/catalog/categories", "Categories", group_id="catalog", group_name="Catalog",
                 features=(CATEGORIES_VIEW,), order=20, group_order=300),
    ),
    # Workflows may create and update products, variants, prices and categories through UPDATE_ENTITY.
    commands=(*crud_commands(products, ("create", "update")), *crud_commands(variants, ("create", "update")),
              *crud_commands(prices, ("create", "update")), *crud_commands(categories, ("create", "update"))),
    search=(Searchable("catalog.product", Product, fields=("title", "subtitle", "sku", "description"), title="title",
                       subtitle="sku", url="/backend/catalog/products/{id}", label="Product"),),
)
