"""Attachments: `attachment_partitions` (storage areas of a tenant, code unique per tenant) and
`attachments` (uploaded files: owner, record, partition, sniffed type, storage key, tags, assignments).

Revision ID: 905356d12f06
Revises: f9b83b5a18c3
Create Date: 2026-12-05 10:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '905356d12f06'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachment_partitions',
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('storage_driver', sa.String(length=32), nullable=False),
    sa.Column('config_json', sa.JSON(), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('requires_ocr', sa.Boolean(), nullable=False),
    sa.Column('ocr_model', sa.String(length=50), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment_partitions')),
    sa.UniqueConstraint('tenant_id', 'code', name='uq_attachment_partitions_tenant_code')
    )
    with op.batch_alter_table('attachment_partitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_partitions_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('attachments',
    sa.Column('entity_id', sa.String(length=200), nullable=False),
    sa.Column('record_id', sa.String(length=200), nullable=False),
    sa.Column('partition_code', sa.String(length=60), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('mime_type', sa.String(length=200), nullable=False),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('storage_driver', sa.String(length=32), nullable=False),
    sa.Column('storage_path', sa.String(length=500), nullable=False),
    sa.Column('storage_metadata', sa.JSON(), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('assignments', sa.JSON(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_entity_record', ['entity_id', 'record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_partition_code'), ['partition_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_attachments_partition_code'))
        batch_op.drop_index(batch_op.f('ix_attachments_organization_id'))
        batch_op.drop_index('ix_attachments_entity_record')

    op.drop_table('attachments')
    with op.batch_alter_table('attachment_partitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_partitions_tenant_id'))

    op.drop_table('attachment_partitions')
