"""Catalog: products, variants, categories (a tree per organization) and their product links, offers,
price layers (`numeric` money), price kinds and option-schema templates. No foreign keys to other
modules' tables (channels, customers, users are referenced by id).

Revision ID: c2d3e4f5a6b8
Revises: f9b83b5a18c3
Create Date: 2026-12-07 10:05:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c2d3e4f5a6b8'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalog_option_schemas',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('code', sa.String(length=150), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('schema', sa.JSON(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_option_schemas'))
    )
    op.create_index(op.f('ix_catalog_option_schemas_organization_id'), 'catalog_option_schemas', ['organization_id'], unique=False)
    op.create_index(op.f('ix_catalog_option_schemas_tenant_id'), 'catalog_option_schemas', ['tenant_id'], unique=False)
    op.create_table('catalog_price_kinds',
    sa.Column('code', sa.String(length=150), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('display_mode', sa.String(length=20), nullable=False),
    sa.Column('currency_code', sa.String(length=3), nullable=True),
    sa.Column('is_promotion', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_price_kinds'))
    )
    op.create_index(op.f('ix_catalog_price_kinds_organization_id'), 'catalog_price_kinds', ['organization_id'], unique=False)
    op.create_index(op.f('ix_catalog_price_kinds_tenant_id'), 'catalog_price_kinds', ['tenant_id'], unique=False)
    op.create_table('catalog_product_categories',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('slug', sa.String(length=150), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('root_id', sa.String(length=36), nullable=True),
    sa.Column('tree_path', sa.Text(), nullable=True),
    sa.Column('path_label', sa.Text(), nullable=True),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('ancestor_ids', sa.JSON(), nullable=False),
    sa.Column('child_ids', sa.JSON(), nullable=False),
    sa.Column('descendant_ids', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_product_categories'))
    )
    op.create_index(op.f('ix_catalog_product_categories_organization_id'), 'catalog_product_categories', ['organization_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_categories_parent_id'), 'catalog_product_categories', ['parent_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_categories_tenant_id'), 'catalog_product_categories', ['tenant_id'], unique=False)
    op.create_table('catalog_product_category_assignments',
    sa.Column('product_id', sa.String(length=36), nullable=False),
    sa.Column('category_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_product_category_assignments')),
    sa.UniqueConstraint('product_id', 'category_id', name=op.f('uq_catalog_product_category_assignments_product_id'))
    )
    op.create_index(op.f('ix_catalog_product_category_assignments_category_id'), 'catalog_product_category_assignments', ['category_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_category_assignments_organization_id'), 'catalog_product_category_assignments', ['organization_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_category_assignments_product_id'), 'catalog_product_category_assignments', ['product_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_category_assignments_tenant_id'), 'catalog_product_category_assignments', ['tenant_id'], unique=False)
    op.create_table('catalog_product_offers',
    sa.Column('product_id', sa.String(length=36), nullable=False),
    sa.Column('channel_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('default_media_id', sa.String(length=36), nullable=True),
    sa.Column('default_media_url', sa.String(length=500), nullable=True),
    sa.Column('localized_content', sa.JSON(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_product_offers'))
    )
    op.create_index(op.f('ix_catalog_product_offers_channel_id'), 'catalog_product_offers', ['channel_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_offers_organization_id'), 'catalog_product_offers', ['organization_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_offers_product_id'), 'catalog_product_offers', ['product_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_offers_tenant_id'), 'catalog_product_offers', ['tenant_id'], unique=False)
    op.create_table('catalog_product_prices',
    sa.Column('product_id', sa.String(length=36), nullable=True),
    sa.Column('variant_id', sa.String(length=36), nullable=True),
    sa.Column('offer_id', sa.String(length=36), nullable=True),
    sa.Column('price_kind_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=150), nullable=False),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('min_quantity', sa.Integer(), nullable=False),
    sa.Column('max_quantity', sa.Integer(), nullable=True),
    sa.Column('unit_price_net', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('unit_price_gross', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('tax_rate', sa.Numeric(precision=7, scale=4), nullable=True),
    sa.Column('tax_amount', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('tax_rate_id', sa.String(length=36), nullable=True),
    sa.Column('channel_id', sa.String(length=36), nullable=True),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('user_group_id', sa.String(length=36), nullable=True),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('customer_group_id', sa.String(length=36), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_product_prices'))
    )
    op.create_index(op.f('ix_catalog_product_prices_offer_id'), 'catalog_product_prices', ['offer_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_prices_organization_id'), 'catalog_product_prices', ['organization_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_prices_price_kind_id'), 'catalog_product_prices', ['price_kind_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_prices_product_id'), 'catalog_product_prices', ['product_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_prices_tenant_id'), 'catalog_product_prices', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_prices_variant_id'), 'catalog_product_prices', ['variant_id'], unique=False)
    op.create_table('catalog_product_variants',
    sa.Column('product_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('sku', sa.String(length=191), nullable=True),
    sa.Column('barcode', sa.String(length=191), nullable=True),
    sa.Column('status_entry_id', sa.String(length=36), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('default_media_id', sa.String(length=36), nullable=True),
    sa.Column('default_media_url', sa.String(length=500), nullable=True),
    sa.Column('weight_value', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('weight_unit', sa.String(length=25), nullable=True),
    sa.Column('dimensions', sa.JSON(), nullable=True),
    sa.Column('tax_rate_id', sa.String(length=36), nullable=True),
    sa.Column('tax_rate', sa.Numeric(precision=7, scale=4), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('option_values', sa.JSON(), nullable=True),
    sa.Column('custom_fieldset_code', sa.String(length=150), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_product_variants'))
    )
    op.create_index(op.f('ix_catalog_product_variants_organization_id'), 'catalog_product_variants', ['organization_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_variants_product_id'), 'catalog_product_variants', ['product_id'], unique=False)
    op.create_index(op.f('ix_catalog_product_variants_tenant_id'), 'catalog_product_variants', ['tenant_id'], unique=False)
    op.create_table('catalog_products',
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('subtitle', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('sku', sa.String(length=191), nullable=True),
    sa.Column('handle', sa.String(length=150), nullable=True),
    sa.Column('product_type', sa.String(length=32), nullable=False),
    sa.Column('status_entry_id', sa.String(length=36), nullable=True),
    sa.Column('primary_currency_code', sa.String(length=3), nullable=True),
    sa.Column('default_unit', sa.String(length=50), nullable=True),
    sa.Column('default_media_id', sa.String(length=36), nullable=True),
    sa.Column('default_media_url', sa.String(length=500), nullable=True),
    sa.Column('weight_value', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('weight_unit', sa.String(length=25), nullable=True),
    sa.Column('dimensions', sa.JSON(), nullable=True),
    sa.Column('tax_rate_id', sa.String(length=36), nullable=True),
    sa.Column('tax_rate', sa.Numeric(precision=7, scale=4), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('custom_fieldset_code', sa.String(length=150), nullable=True),
    sa.Column('option_schema_id', sa.String(length=36), nullable=True),
    sa.Column('is_configurable', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_products'))
    )
    op.create_index(op.f('ix_catalog_products_option_schema_id'), 'catalog_products', ['option_schema_id'], unique=False)
    op.create_index(op.f('ix_catalog_products_organization_id'), 'catalog_products', ['organization_id'], unique=False)
    op.create_index(op.f('ix_catalog_products_tenant_id'), 'catalog_products', ['tenant_id'], unique=False)
    op.create_index('ix_catalog_products_tenant_sku', 'catalog_products', ['tenant_id', 'sku'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_catalog_products_tenant_sku', table_name='catalog_products')
    op.drop_index(op.f('ix_catalog_products_tenant_id'), table_name='catalog_products')
    op.drop_index(op.f('ix_catalog_products_organization_id'), table_name='catalog_products')
    op.drop_index(op.f('ix_catalog_products_option_schema_id'), table_name='catalog_products')
    op.drop_table('catalog_products')
    op.drop_index(op.f('ix_catalog_product_variants_tenant_id'), table_name='catalog_product_variants')
    op.drop_index(op.f('ix_catalog_product_variants_product_id'), table_name='catalog_product_variants')
    op.drop_index(op.f('ix_catalog_product_variants_organization_id'), table_name='catalog_product_variants')
    op.drop_table('catalog_product_variants')
    op.drop_index(op.f('ix_catalog_product_prices_variant_id'), table_name='catalog_product_prices')
    op.drop_index(op.f('ix_catalog_product_prices_tenant_id'), table_name='catalog_product_prices')
    op.drop_index(op.f('ix_catalog_product_prices_product_id'), table_name='catalog_product_prices')
    op.drop_index(op.f('ix_catalog_product_prices_price_kind_id'), table_name='catalog_product_prices')
    op.drop_index(op.f('ix_catalog_product_prices_organization_id'), table_name='catalog_product_prices')
    op.drop_index(op.f('ix_catalog_product_prices_offer_id'), table_name='catalog_product_prices')
    op.drop_table('catalog_product_prices')
    op.drop_index(op.f('ix_catalog_product_offers_tenant_id'), table_name='catalog_product_offers')
    op.drop_index(op.f('ix_catalog_product_offers_product_id'), table_name='catalog_product_offers')
    op.drop_index(op.f('ix_catalog_product_offers_organization_id'), table_name='catalog_product_offers')
    op.drop_index(op.f('ix_catalog_product_offers_channel_id'), table_name='catalog_product_offers')
    op.drop_table('catalog_product_offers')
    op.drop_index(op.f('ix_catalog_product_category_assignments_tenant_id'), table_name='catalog_product_category_assignments')
    op.drop_index(op.f('ix_catalog_product_category_assignments_product_id'), table_name='catalog_product_category_assignments')
    op.drop_index(op.f('ix_catalog_product_category_assignments_organization_id'), table_name='catalog_product_category_assignments')
    op.drop_index(op.f('ix_catalog_product_category_assignments_category_id'), table_name='catalog_product_category_assignments')
    op.drop_table('catalog_product_category_assignments')
    op.drop_index(op.f('ix_catalog_product_categories_tenant_id'), table_name='catalog_product_categories')
    op.drop_index(op.f('ix_catalog_product_categories_parent_id'), table_name='catalog_product_categories')
    op.drop_index(op.f('ix_catalog_product_categories_organization_id'), table_name='catalog_product_categories')
    op.drop_table('catalog_product_categories')
    op.drop_index(op.f('ix_catalog_price_kinds_tenant_id'), table_name='catalog_price_kinds')
    op.drop_index(op.f('ix_catalog_price_kinds_organization_id'), table_name='catalog_price_kinds')
    op.drop_table('catalog_price_kinds')
    op.drop_index(op.f('ix_catalog_option_schemas_tenant_id'), table_name='catalog_option_schemas')
    op.drop_index(op.f('ix_catalog_option_schemas_organization_id'), table_name='catalog_option_schemas')
    op.drop_table('catalog_option_schemas')
