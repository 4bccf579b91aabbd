"""fms_tracking: `fms_tracking_references`, the containers and bookings an organization asked Freighttech to
track (one per carrier and booking or container number) and how each registration went.

Revision ID: 1be69047d631
Revises: a4c8e2f61b37
Create Date: 2026-12-12 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '1be69047d631'
down_revision = 'a4c8e2f61b37'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fms_tracking_references',
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('carrier_code', sa.String(length=100), nullable=False),
    sa.Column('booking_number', sa.String(length=255), nullable=True),
    sa.Column('container_id', sa.String(length=50), nullable=True),
    sa.Column('shipment_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reference_id', sa.String(length=100), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fms_tracking_references')),
    sa.UniqueConstraint('tenant_id', 'organization_id', 'key', name='uq_fms_tracking_references_key')
    )
    with op.batch_alter_table('fms_tracking_references', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fms_tracking_references_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fms_tracking_references_tenant_id'), ['tenant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('fms_tracking_references', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fms_tracking_references_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_fms_tracking_references_organization_id'))

    op.drop_table('fms_tracking_references')
