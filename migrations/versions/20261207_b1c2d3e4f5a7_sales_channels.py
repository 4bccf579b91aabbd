"""Sales: `sales_channels` (the channels catalog offers and channel prices point at), orders and
quotes with their lines and adjustments, payments, shipments and shipment items, notes, document
addresses, shipping and payment methods, delivery windows, tax rates, the module's settings and its
document-number sequences. Other modules' rows are referenced by id only (no foreign keys).

Revision ID: b1c2d3e4f5a7
Revises: f9b83b5a18c3
Create Date: 2026-12-07 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b1c2d3e4f5a7'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sales_channels',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('code', sa.String(length=150), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status_entry_id', sa.String(length=36), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_channels'))
    )
    op.create_index(op.f('ix_sales_channels_code'), 'sales_channels', ['code'], unique=False)
    op.create_index(op.f('ix_sales_channels_organization_id'), 'sales_channels', ['organization_id'], unique=False)
    op.create_index(op.f('ix_sales_channels_tenant_id'), 'sales_channels', ['tenant_id'], unique=False)

    op.create_table('sales_delivery_windows',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('code', sa.String(length=150), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('lead_time_days', sa.Integer(), nullable=True),
    sa.Column('cutoff_time', sa.String(length=5), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_delivery_windows'))
    )
    with op.batch_alter_table('sales_delivery_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_delivery_windows_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_delivery_windows_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_document_addresses',
    sa.Column('document_id', sa.String(length=36), nullable=False),
    sa.Column('document_kind', sa.String(length=16), nullable=False),
    sa.Column('customer_address_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('purpose', sa.String(length=64), nullable=True),
    sa.Column('company_name', sa.String(length=255), nullable=True),
    sa.Column('address_line1', sa.String(length=255), nullable=False),
    sa.Column('address_line2', sa.String(length=255), nullable=True),
    sa.Column('building_number', sa.String(length=64), nullable=True),
    sa.Column('flat_number', sa.String(length=64), nullable=True),
    sa.Column('city', sa.String(length=255), nullable=True),
    sa.Column('region', sa.String(length=255), nullable=True),
    sa.Column('postal_code', sa.String(length=64), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_document_addresses'))
    )
    with op.batch_alter_table('sales_document_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_document_addresses_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_document_addresses_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_document_addresses_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_document_sequences',
    sa.Column('document_kind', sa.String(length=16), nullable=False),
    sa.Column('current_value', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_document_sequences')),
    sa.UniqueConstraint('tenant_id', 'organization_id', 'document_kind', name='uq_sales_document_sequences_kind')
    )
    with op.batch_alter_table('sales_document_sequences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_document_sequences_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_document_sequences_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_notes',
    sa.Column('context_type', sa.String(length=32), nullable=False),
    sa.Column('context_id', sa.String(length=36), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=True),
    sa.Column('quote_id', sa.String(length=36), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_user_id', sa.String(length=36), nullable=True),
    sa.Column('appearance_icon', sa.String(length=100), nullable=True),
    sa.Column('appearance_color', sa.String(length=32), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_notes'))
    )
    with op.batch_alter_table('sales_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_notes_context_id'), ['context_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_notes_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_notes_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_order_adjustments',
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('order_line_id', sa.String(length=36), nullable=True),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=True),
    sa.Column('label', sa.String(length=255), nullable=True),
    sa.Column('calculator_key', sa.String(length=100), nullable=True),
    sa.Column('promotion_id', sa.String(length=36), nullable=True),
    sa.Column('rate', sa.Numeric(precision=9, scale=4), server_default='0', nullable=False),
    sa.Column('amount_net', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('amount_gross', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('currency_code', sa.String(length=3), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order_adjustments'))
    )
    with op.batch_alter_table('sales_order_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_adjustments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_adjustments_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_adjustments_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_order_lines',
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('reserved_quantity', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('fulfilled_quantity', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('invoiced_quantity', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('returned_quantity', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('line_number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status_entry_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=100), nullable=True),
    sa.Column('product_id', sa.String(length=36), nullable=True),
    sa.Column('product_variant_id', sa.String(length=36), nullable=True),
    sa.Column('catalog_snapshot', sa.JSON(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('quantity_unit', sa.String(length=32), nullable=True),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('unit_price_net', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('unit_price_gross', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('discount_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=9, scale=4), server_default='0', nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=9, scale=4), server_default='0', nullable=False),
    sa.Column('tax_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('total_net_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('total_gross_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('configuration', sa.JSON(), nullable=True),
    sa.Column('promotion_code', sa.String(length=100), nullable=True),
    sa.Column('promotion_snapshot', sa.JSON(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('custom_field_set_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order_lines'))
    )
    with op.batch_alter_table('sales_order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_lines_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_lines_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_orders',
    sa.Column('order_number', sa.String(length=100), nullable=True),
    sa.Column('fulfillment_status_entry_id', sa.String(length=36), nullable=True),
    sa.Column('fulfillment_status', sa.String(length=100), nullable=True),
    sa.Column('payment_status_entry_id', sa.String(length=36), nullable=True),
    sa.Column('payment_status', sa.String(length=100), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('quote_id', sa.String(length=36), nullable=True),
    sa.Column('status_entry_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=100), nullable=True),
    sa.Column('customer_entity_id', sa.String(length=36), nullable=True),
    sa.Column('customer_contact_id', sa.String(length=36), nullable=True),
    sa.Column('customer_snapshot', sa.JSON(), nullable=True),
    sa.Column('billing_address_id', sa.String(length=36), nullable=True),
    sa.Column('shipping_address_id', sa.String(length=36), nullable=True),
    sa.Column('billing_address_snapshot', sa.JSON(), nullable=True),
    sa.Column('shipping_address_snapshot', sa.JSON(), nullable=True),
    sa.Column('customer_reference', sa.String(length=255), nullable=True),
    sa.Column('external_reference', sa.String(length=255), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('internal_notes', sa.Text(), nullable=True),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expected_delivery_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('exchange_rate', sa.Numeric(precision=18, scale=8), nullable=True),
    sa.Column('channel_id', sa.String(length=36), nullable=True),
    sa.Column('shipping_method_id', sa.String(length=36), nullable=True),
    sa.Column('shipping_method_code', sa.String(length=150), nullable=True),
    sa.Column('shipping_method_snapshot', sa.JSON(), nullable=True),
    sa.Column('delivery_window_id', sa.String(length=36), nullable=True),
    sa.Column('delivery_window_code', sa.String(length=150), nullable=True),
    sa.Column('delivery_window_snapshot', sa.JSON(), nullable=True),
    sa.Column('payment_method_id', sa.String(length=36), nullable=True),
    sa.Column('payment_method_code', sa.String(length=150), nullable=True),
    sa.Column('payment_method_snapshot', sa.JSON(), nullable=True),
    sa.Column('tax_strategy_key', sa.String(length=100), nullable=True),
    sa.Column('discount_strategy_key', sa.String(length=100), nullable=True),
    sa.Column('tax_info', sa.JSON(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('custom_field_set_id', sa.String(length=36), nullable=True),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('line_item_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('subtotal_net_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('subtotal_gross_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('discount_total_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('tax_total_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('shipping_net_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('shipping_gross_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('surcharge_total_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('grand_total_net_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('grand_total_gross_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('paid_total_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('refunded_total_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('outstanding_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('totals_snapshot', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_orders'))
    )
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_orders_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_orders_customer_entity_id'), ['customer_entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_orders_order_number'), ['order_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_orders_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_orders_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_payment_methods',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('code', sa.String(length=150), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('provider_key', sa.String(length=150), nullable=True),
    sa.Column('terms', sa.Text(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('provider_settings', sa.JSON(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_payment_methods'))
    )
    with op.batch_alter_table('sales_payment_methods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_payment_methods_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_payment_methods_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_payments',
    sa.Column('order_id', sa.String(length=36), nullable=True),
    sa.Column('payment_method_id', sa.String(length=36), nullable=True),
    sa.Column('payment_reference', sa.String(length=255), nullable=True),
    sa.Column('status_entry_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=100), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('captured_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('refunded_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('custom_field_set_id', sa.String(length=36), nullable=True),
    sa.Column('allocations', sa.JSON(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_payments'))
    )
    with op.batch_alter_table('sales_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_payments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_payments_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_payments_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_quote_adjustments',
    sa.Column('quote_id', sa.String(length=36), nullable=False),
    sa.Column('quote_line_id', sa.String(length=36), nullable=True),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=True),
    sa.Column('label', sa.String(length=255), nullable=True),
    sa.Column('calculator_key', sa.String(length=100), nullable=True),
    sa.Column('promotion_id', sa.String(length=36), nullable=True),
    sa.Column('rate', sa.Numeric(precision=9, scale=4), server_default='0', nullable=False),
    sa.Column('amount_net', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('amount_gross', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('currency_code', sa.String(length=3), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_quote_adjustments'))
    )
    with op.batch_alter_table('sales_quote_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_quote_adjustments_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_quote_adjustments_quote_id'), ['quote_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_quote_adjustments_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_quote_lines',
    sa.Column('quote_id', sa.String(length=36), nullable=False),
    sa.Column('line_number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status_entry_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=100), nullable=True),
    sa.Column('product_id', sa.String(length=36), nullable=True),
    sa.Column('product_variant_id', sa.String(length=36), nullable=True),
    sa.Column('catalog_snapshot', sa.JSON(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('quantity_unit', sa.String(length=32), nullable=True),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('unit_price_net', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('unit_price_gross', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('discount_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=9, scale=4), server_default='0', nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=9, scale=4), server_default='0', nullable=False),
    sa.Column('tax_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('total_net_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('total_gross_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('configuration', sa.JSON(), nullable=True),
    sa.Column('promotion_code', sa.String(length=100), nullable=True),
    sa.Column('promotion_snapshot', sa.JSON(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('custom_field_set_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_quote_lines'))
    )
    with op.batch_alter_table('sales_quote_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_quote_lines_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_quote_lines_quote_id'), ['quote_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_quote_lines_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_quotes',
    sa.Column('quote_number', sa.String(length=100), nullable=True),
    sa.Column('converted_order_id', sa.String(length=36), nullable=True),
    sa.Column('status_entry_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=100), nullable=True),
    sa.Column('customer_entity_id', sa.String(length=36), nullable=True),
    sa.Column('customer_contact_id', sa.String(length=36), nullable=True),
    sa.Column('customer_snapshot', sa.JSON(), nullable=True),
    sa.Column('billing_address_id', sa.String(length=36), nullable=True),
    sa.Column('shipping_address_id', sa.String(length=36), nullable=True),
    sa.Column('billing_address_snapshot', sa.JSON(), nullable=True),
    sa.Column('shipping_address_snapshot', sa.JSON(), nullable=True),
    sa.Column('customer_reference', sa.String(length=255), nullable=True),
    sa.Column('external_reference', sa.String(length=255), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('internal_notes', sa.Text(), nullable=True),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expected_delivery_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('exchange_rate', sa.Numeric(precision=18, scale=8), nullable=True),
    sa.Column('channel_id', sa.String(length=36), nullable=True),
    sa.Column('shipping_method_id', sa.String(length=36), nullable=True),
    sa.Column('shipping_method_code', sa.String(length=150), nullable=True),
    sa.Column('shipping_method_snapshot', sa.JSON(), nullable=True),
    sa.Column('delivery_window_id', sa.String(length=36), nullable=True),
    sa.Column('delivery_window_code', sa.String(length=150), nullable=True),
    sa.Column('delivery_window_snapshot', sa.JSON(), nullable=True),
    sa.Column('payment_method_id', sa.String(length=36), nullable=True),
    sa.Column('payment_method_code', sa.String(length=150), nullable=True),
    sa.Column('payment_method_snapshot', sa.JSON(), nullable=True),
    sa.Column('tax_strategy_key', sa.String(length=100), nullable=True),
    sa.Column('discount_strategy_key', sa.String(length=100), nullable=True),
    sa.Column('tax_info', sa.JSON(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('custom_field_set_id', sa.String(length=36), nullable=True),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('line_item_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('subtotal_net_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('subtotal_gross_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('discount_total_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('tax_total_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('shipping_net_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('shipping_gross_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('surcharge_total_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('grand_total_net_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('grand_total_gross_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('paid_total_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('refunded_total_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('outstanding_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('totals_snapshot', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_quotes'))
    )
    with op.batch_alter_table('sales_quotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_quotes_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_quotes_customer_entity_id'), ['customer_entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_quotes_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_quotes_quote_number'), ['quote_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_quotes_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_settings',
    sa.Column('order_number_format', sa.String(length=255), nullable=False),
    sa.Column('quote_number_format', sa.String(length=255), nullable=False),
    sa.Column('order_customer_editable_statuses', sa.JSON(), nullable=True),
    sa.Column('order_address_editable_statuses', sa.JSON(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_settings')),
    sa.UniqueConstraint('tenant_id', 'organization_id', name='uq_sales_settings_org')
    )
    with op.batch_alter_table('sales_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_settings_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_settings_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_shipment_items',
    sa.Column('shipment_id', sa.String(length=36), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('order_line_id', sa.String(length=36), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_shipment_items'))
    )
    with op.batch_alter_table('sales_shipment_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_shipment_items_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_shipment_items_order_line_id'), ['order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_shipment_items_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_shipment_items_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_shipment_items_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_shipments',
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('shipment_number', sa.String(length=100), nullable=True),
    sa.Column('shipping_method_id', sa.String(length=36), nullable=True),
    sa.Column('status_entry_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=100), nullable=True),
    sa.Column('carrier_name', sa.String(length=255), nullable=True),
    sa.Column('tracking_numbers', sa.JSON(), nullable=True),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('weight_value', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('weight_unit', sa.String(length=16), nullable=True),
    sa.Column('declared_value_net', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('declared_value_gross', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('currency_code', sa.String(length=3), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('items_snapshot', sa.JSON(), nullable=True),
    sa.Column('shipment_address_snapshot', sa.JSON(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_shipments'))
    )
    with op.batch_alter_table('sales_shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_shipments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_shipments_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_shipments_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_shipping_methods',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('code', sa.String(length=150), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('carrier_code', sa.String(length=150), nullable=True),
    sa.Column('provider_key', sa.String(length=150), nullable=True),
    sa.Column('service_level', sa.String(length=150), nullable=True),
    sa.Column('estimated_transit_days', sa.Integer(), nullable=True),
    sa.Column('base_rate_net', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('base_rate_gross', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('currency_code', sa.String(length=3), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('provider_settings', sa.JSON(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_shipping_methods'))
    )
    with op.batch_alter_table('sales_shipping_methods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_shipping_methods_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_shipping_methods_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sales_tax_rates',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('code', sa.String(length=150), nullable=False),
    sa.Column('rate', sa.Numeric(precision=9, scale=4), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.Column('region_code', sa.String(length=64), nullable=True),
    sa.Column('postal_code', sa.String(length=64), nullable=True),
    sa.Column('city', sa.String(length=255), nullable=True),
    sa.Column('customer_group_id', sa.String(length=36), nullable=True),
    sa.Column('product_category_id', sa.String(length=36), nullable=True),
    sa.Column('channel_id', sa.String(length=36), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('is_compound', sa.Boolean(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_tax_rates'))
    )
    with op.batch_alter_table('sales_tax_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_tax_rates_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_tax_rates_tenant_id'), ['tenant_id'], unique=False)

def downgrade() -> None:
    with op.batch_alter_table('sales_tax_rates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_tax_rates_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_tax_rates_organization_id'))

    op.drop_table('sales_tax_rates')
    with op.batch_alter_table('sales_shipping_methods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_shipping_methods_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_shipping_methods_organization_id'))

    op.drop_table('sales_shipping_methods')
    with op.batch_alter_table('sales_shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_shipments_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_shipments_organization_id'))
        batch_op.drop_index(batch_op.f('ix_sales_shipments_order_id'))

    op.drop_table('sales_shipments')
    with op.batch_alter_table('sales_shipment_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_shipment_items_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_shipment_items_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_sales_shipment_items_organization_id'))
        batch_op.drop_index(batch_op.f('ix_sales_shipment_items_order_line_id'))
        batch_op.drop_index(batch_op.f('ix_sales_shipment_items_order_id'))

    op.drop_table('sales_shipment_items')
    with op.batch_alter_table('sales_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_settings_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_settings_organization_id'))

    op.drop_table('sales_settings')
    with op.batch_alter_table('sales_quotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_quotes_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_quotes_quote_number'))
        batch_op.drop_index(batch_op.f('ix_sales_quotes_organization_id'))
        batch_op.drop_index(batch_op.f('ix_sales_quotes_customer_entity_id'))
        batch_op.drop_index(batch_op.f('ix_sales_quotes_channel_id'))

    op.drop_table('sales_quotes')
    with op.batch_alter_table('sales_quote_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_quote_lines_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_quote_lines_quote_id'))
        batch_op.drop_index(batch_op.f('ix_sales_quote_lines_organization_id'))

    op.drop_table('sales_quote_lines')
    with op.batch_alter_table('sales_quote_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_quote_adjustments_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_quote_adjustments_quote_id'))
        batch_op.drop_index(batch_op.f('ix_sales_quote_adjustments_organization_id'))

    op.drop_table('sales_quote_adjustments')
    with op.batch_alter_table('sales_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_payments_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_payments_organization_id'))
        batch_op.drop_index(batch_op.f('ix_sales_payments_order_id'))

    op.drop_table('sales_payments')
    with op.batch_alter_table('sales_payment_methods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_payment_methods_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_payment_methods_organization_id'))

    op.drop_table('sales_payment_methods')
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_orders_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_orders_organization_id'))
        batch_op.drop_index(batch_op.f('ix_sales_orders_order_number'))
        batch_op.drop_index(batch_op.f('ix_sales_orders_customer_entity_id'))
        batch_op.drop_index(batch_op.f('ix_sales_orders_channel_id'))

    op.drop_table('sales_orders')
    with op.batch_alter_table('sales_order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_lines_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_order_lines_organization_id'))
        batch_op.drop_index(batch_op.f('ix_sales_order_lines_order_id'))

    op.drop_table('sales_order_lines')
    with op.batch_alter_table('sales_order_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_adjustments_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_order_adjustments_organization_id'))
        batch_op.drop_index(batch_op.f('ix_sales_order_adjustments_order_id'))

    op.drop_table('sales_order_adjustments')
    with op.batch_alter_table('sales_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_notes_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_notes_organization_id'))
        batch_op.drop_index(batch_op.f('ix_sales_notes_context_id'))

    op.drop_table('sales_notes')
    with op.batch_alter_table('sales_document_sequences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_document_sequences_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_document_sequences_organization_id'))

    op.drop_table('sales_document_sequences')
    with op.batch_alter_table('sales_document_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_document_addresses_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_document_addresses_organization_id'))
        batch_op.drop_index(batch_op.f('ix_sales_document_addresses_document_id'))

    op.drop_table('sales_document_addresses')
    with op.batch_alter_table('sales_delivery_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_delivery_windows_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sales_delivery_windows_organization_id'))

    op.drop_table('sales_delivery_windows')
    op.drop_index(op.f('ix_sales_channels_tenant_id'), table_name='sales_channels')
    op.drop_index(op.f('ix_sales_channels_organization_id'), table_name='sales_channels')
    op.drop_index(op.f('ix_sales_channels_code'), table_name='sales_channels')
    op.drop_table('sales_channels')
