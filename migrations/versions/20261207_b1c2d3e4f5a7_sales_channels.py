"""Sales: `sales_channels`, the channels catalog offers and channel prices point at (the rest of sales
comes in later migrations).

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


def downgrade() -> None:
    op.drop_index(op.f('ix_sales_channels_tenant_id'), table_name='sales_channels')
    op.drop_index(op.f('ix_sales_channels_organization_id'), table_name='sales_channels')
    op.drop_index(op.f('ix_sales_channels_code'), table_name='sales_channels')
    op.drop_table('sales_channels')
