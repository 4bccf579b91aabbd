"""Feature toggles: the global `feature_toggles` and the per-tenant `feature_toggle_overrides`.

Revision ID: a3f1c2d4e5b6
Revises: f9b83b5a18c3
Create Date: 2026-12-05 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a3f1c2d4e5b6'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feature_toggles',
    sa.Column('identifier', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('category', sa.String(length=200), nullable=True),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('default_value', sa.JSON(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feature_toggles')),
    sa.UniqueConstraint('identifier', name=op.f('uq_feature_toggles_identifier'))
    )
    with op.batch_alter_table('feature_toggles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feature_toggles_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_feature_toggles_name'), ['name'], unique=False)

    op.create_table('feature_toggle_overrides',
    sa.Column('toggle_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['toggle_id'], ['feature_toggles.id'], name=op.f('fk_feature_toggle_overrides_toggle_id_feature_toggles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feature_toggle_overrides')),
    sa.UniqueConstraint('toggle_id', 'tenant_id', name='uq_feature_toggle_overrides_toggle_tenant')
    )
    with op.batch_alter_table('feature_toggle_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feature_toggle_overrides_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feature_toggle_overrides_toggle_id'), ['toggle_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('feature_toggle_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feature_toggle_overrides_toggle_id'))
        batch_op.drop_index(batch_op.f('ix_feature_toggle_overrides_tenant_id'))

    op.drop_table('feature_toggle_overrides')
    with op.batch_alter_table('feature_toggles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feature_toggles_name'))
        batch_op.drop_index(batch_op.f('ix_feature_toggles_category'))

    op.drop_table('feature_toggles')
