"""Shared tags: one `tags` table partitioned by module namespace and the `tag_assignments` links.

Revision ID: f9b83b5a18c3
Revises: 30a5a52dd96a
Create Date: 2026-12-04 18:56:38.468021
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f9b83b5a18c3'
down_revision = '30a5a52dd96a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tag_assignments',
    sa.Column('tag_id', sa.String(length=36), nullable=False),
    sa.Column('entity_type', sa.String(length=100), nullable=False),
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tag_assignments')),
    sa.UniqueConstraint('tag_id', 'entity_type', 'entity_id', name=op.f('uq_tag_assignments_tag_id'))
    )
    with op.batch_alter_table('tag_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tag_assignments_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tag_assignments_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tag_assignments_tag_id'), ['tag_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tag_assignments_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('tags',
    sa.Column('namespace', sa.String(length=64), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('color', sa.String(length=32), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags'))
    )
    with op.batch_alter_table('tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tags_namespace'), ['namespace'], unique=False)
        batch_op.create_index(batch_op.f('ix_tags_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tags_tenant_id'), ['tenant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tags_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_tags_organization_id'))
        batch_op.drop_index(batch_op.f('ix_tags_namespace'))

    op.drop_table('tags')
    with op.batch_alter_table('tag_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tag_assignments_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_tag_assignments_tag_id'))
        batch_op.drop_index(batch_op.f('ix_tag_assignments_organization_id'))
        batch_op.drop_index(batch_op.f('ix_tag_assignments_entity_id'))

    op.drop_table('tag_assignments')
