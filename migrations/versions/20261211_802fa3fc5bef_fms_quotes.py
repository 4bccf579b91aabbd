"""FMS Quotes & Offers: `fms_quotes` with their `fms_quote_lines`, the `fms_offers` built from them with
their `fms_offer_lines`, and `fms_offer_sequences` (the per-organization offer-number counter). Other
modules' rows (clients, ports, catalog products) are referenced by id only (no foreign keys).

Revision ID: 802fa3fc5bef
Revises: 7c3e91d4a2f6
Create Date: 2026-12-11 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '802fa3fc5bef'
down_revision = '7c3e91d4a2f6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fms_offer_lines',
    sa.Column('offer_id', sa.String(length=36), nullable=False),
    sa.Column('line_number', sa.Integer(), server_default='0', nullable=False),
    sa.Column('product_name', sa.String(length=255), nullable=True),
    sa.Column('charge_code', sa.String(length=20), nullable=True),
    sa.Column('container_size', sa.String(length=20), nullable=True),
    sa.Column('charge_name', sa.String(length=255), nullable=True),
    sa.Column('charge_category', sa.String(length=20), nullable=True),
    sa.Column('charge_unit', sa.String(length=20), nullable=True),
    sa.Column('container_type', sa.String(length=10), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=18, scale=4), server_default='1', nullable=False),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fms_offer_lines'))
    )
    with op.batch_alter_table('fms_offer_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fms_offer_lines_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fms_offer_lines_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fms_offer_lines_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('fms_offer_sequences',
    sa.Column('current_value', sa.Integer(), server_default='0', nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fms_offer_sequences')),
    sa.UniqueConstraint('tenant_id', 'organization_id', name='uq_fms_offer_sequences_scope')
    )
    with op.batch_alter_table('fms_offer_sequences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fms_offer_sequences_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fms_offer_sequences_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('fms_offers',
    sa.Column('quote_id', sa.String(length=36), nullable=False),
    sa.Column('offer_number', sa.String(length=50), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('status', sa.String(length=20), server_default='draft', nullable=False),
    sa.Column('contract_type', sa.String(length=10), server_default='spot', nullable=False),
    sa.Column('carrier_name', sa.String(length=255), nullable=True),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('currency_code', sa.String(length=3), server_default='USD', nullable=False),
    sa.Column('total_amount', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('payment_terms', sa.String(length=255), nullable=True),
    sa.Column('special_terms', sa.Text(), nullable=True),
    sa.Column('customer_notes', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('superseded_by_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fms_offers')),
    sa.UniqueConstraint('tenant_id', 'organization_id', 'offer_number', 'version', name='uq_fms_offers_number_version')
    )
    with op.batch_alter_table('fms_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fms_offers_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fms_offers_quote_id'), ['quote_id'], unique=False)
        batch_op.create_index('ix_fms_offers_scope_status', ['tenant_id', 'organization_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_fms_offers_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('fms_quote_lines',
    sa.Column('quote_id', sa.String(length=36), nullable=False),
    sa.Column('line_number', sa.Integer(), server_default='0', nullable=False),
    sa.Column('product_id', sa.String(length=36), nullable=True),
    sa.Column('variant_id', sa.String(length=36), nullable=True),
    sa.Column('price_id', sa.String(length=36), nullable=True),
    sa.Column('product_name', sa.String(length=255), nullable=False),
    sa.Column('charge_code', sa.String(length=20), nullable=True),
    sa.Column('product_type', sa.String(length=20), nullable=True),
    sa.Column('provider_name', sa.String(length=255), nullable=True),
    sa.Column('container_size', sa.String(length=20), nullable=True),
    sa.Column('contract_type', sa.String(length=10), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=18, scale=4), server_default='1', nullable=False),
    sa.Column('currency_code', sa.String(length=3), server_default='USD', nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('margin_percent', sa.Numeric(precision=8, scale=4), server_default='0', nullable=False),
    sa.Column('unit_sales', sa.Numeric(precision=18, scale=4), server_default='0', nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fms_quote_lines'))
    )
    with op.batch_alter_table('fms_quote_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fms_quote_lines_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fms_quote_lines_quote_id'), ['quote_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fms_quote_lines_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('fms_quotes',
    sa.Column('quote_number', sa.String(length=50), nullable=True),
    sa.Column('client_id', sa.String(length=36), nullable=True),
    sa.Column('container_count', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='draft', nullable=False),
    sa.Column('direction', sa.String(length=20), nullable=True),
    sa.Column('incoterm', sa.String(length=10), nullable=True),
    sa.Column('cargo_type', sa.String(length=10), nullable=True),
    sa.Column('origin_port_ids', sa.JSON(), nullable=False),
    sa.Column('destination_port_ids', sa.JSON(), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('currency_code', sa.String(length=3), server_default='USD', nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fms_quotes'))
    )
    with op.batch_alter_table('fms_quotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fms_quotes_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fms_quotes_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_fms_quotes_scope_status', ['tenant_id', 'organization_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_fms_quotes_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fms_quotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fms_quotes_tenant_id'))
        batch_op.drop_index('ix_fms_quotes_scope_status')
        batch_op.drop_index(batch_op.f('ix_fms_quotes_organization_id'))
        batch_op.drop_index(batch_op.f('ix_fms_quotes_client_id'))

    op.drop_table('fms_quotes')

    with op.batch_alter_table('fms_quote_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fms_quote_lines_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_fms_quote_lines_quote_id'))
        batch_op.drop_index(batch_op.f('ix_fms_quote_lines_organization_id'))

    op.drop_table('fms_quote_lines')

    with op.batch_alter_table('fms_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fms_offers_tenant_id'))
        batch_op.drop_index('ix_fms_offers_scope_status')
        batch_op.drop_index(batch_op.f('ix_fms_offers_quote_id'))
        batch_op.drop_index(batch_op.f('ix_fms_offers_organization_id'))

    op.drop_table('fms_offers')

    with op.batch_alter_table('fms_offer_sequences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fms_offer_sequences_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_fms_offer_sequences_organization_id'))

    op.drop_table('fms_offer_sequences')

    with op.batch_alter_table('fms_offer_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fms_offer_lines_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_fms_offer_lines_organization_id'))
        batch_op.drop_index(batch_op.f('ix_fms_offer_lines_offer_id'))

    op.drop_table('fms_offer_lines')
