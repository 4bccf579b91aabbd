"""shipments: shipments with their containers, documents and tasks.

Revision ID: a4c8e2f61b37
Revises: a9e4c7f21b3d
Create Date: 2026-12-11 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a4c8e2f61b37'
down_revision = 'a9e4c7f21b3d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shipments',
    sa.Column('client_id', sa.String(length=36), nullable=True),
    sa.Column('shipper_id', sa.String(length=36), nullable=True),
    sa.Column('consignee_id', sa.String(length=36), nullable=True),
    sa.Column('contact_person_id', sa.String(length=36), nullable=True),
    sa.Column('created_by_id', sa.String(length=36), nullable=True),
    sa.Column('assigned_to_id', sa.String(length=36), nullable=True),
    sa.Column('container_number', sa.String(length=20), nullable=True),
    sa.Column('internal_reference', sa.String(length=255), nullable=True),
    sa.Column('client_reference', sa.String(length=255), nullable=True),
    sa.Column('booking_number', sa.String(length=255), nullable=True),
    sa.Column('bol_number', sa.String(length=255), nullable=True),
    sa.Column('carrier', sa.String(length=255), nullable=True),
    sa.Column('origin_port', sa.String(length=255), nullable=True),
    sa.Column('origin_location', sa.String(length=255), nullable=True),
    sa.Column('destination_port', sa.String(length=255), nullable=True),
    sa.Column('destination_location', sa.String(length=255), nullable=True),
    sa.Column('etd', sa.DateTime(timezone=True), nullable=True),
    sa.Column('atd', sa.DateTime(timezone=True), nullable=True),
    sa.Column('eta', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ata', sa.DateTime(timezone=True), nullable=True),
    sa.Column('request_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('weight', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('volume', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('container_type', sa.String(length=8), nullable=True),
    sa.Column('total_pieces', sa.Integer(), nullable=True),
    sa.Column('total_actual_weight', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('total_chargeable_weight', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('total_volume', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('actual_weight_per_kilo', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('mode', sa.String(length=8), nullable=True),
    sa.Column('vessel_name', sa.String(length=255), nullable=True),
    sa.Column('vessel_imo', sa.String(length=20), nullable=True),
    sa.Column('voyage_number', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='BOOKED', nullable=False),
    sa.Column('incoterms', sa.String(length=3), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments'))
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_assigned_to_id'), ['assigned_to_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_shipments_scope_created', ['tenant_id', 'organization_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('shipment_containers',
    sa.Column('shipment_id', sa.String(length=36), nullable=False),
    sa.Column('container_number', sa.String(length=20), nullable=True),
    sa.Column('container_type', sa.String(length=8), nullable=True),
    sa.Column('cargo_description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('current_location', sa.String(length=255), nullable=True),
    sa.Column('gate_in_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('loaded_on_vessel_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('discharged_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('gate_out_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('empty_return_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_containers_shipment_id_shipments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_containers'))
    )
    with op.batch_alter_table('shipment_containers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_containers_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_containers_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_containers_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('shipment_documents',
    sa.Column('shipment_id', sa.String(length=36), nullable=False),
    sa.Column('attachment_id', sa.String(length=36), nullable=False),
    sa.Column('extracted_data', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_documents_shipment_id_shipments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_documents'))
    )
    with op.batch_alter_table('shipment_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_documents_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_documents_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_documents_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('shipment_tasks',
    sa.Column('shipment_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='TODO', nullable=False),
    sa.Column('assigned_to_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_tasks_shipment_id_shipments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_tasks'))
    )
    with op.batch_alter_table('shipment_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_tasks_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_tasks_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_tasks_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    # Children first: they hold foreign keys to `shipments`.
    op.drop_table('shipment_tasks')
    op.drop_table('shipment_documents')
    op.drop_table('shipment_containers')
    op.drop_table('shipments')
