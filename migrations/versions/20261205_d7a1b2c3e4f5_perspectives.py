"""perspectives: `perspectives` (a user's saved table views) and `role_perspectives` (views a role gives
its members by default).

Revision ID: d7a1b2c3e4f5
Revises: f9b83b5a18c3
Create Date: 2026-12-05 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd7a1b2c3e4f5'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('perspectives',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('table_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('settings_json', sa.JSON(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_perspectives_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_perspectives'))
    )
    with op.batch_alter_table('perspectives', schema=None) as batch_op:
        batch_op.create_index('ix_perspectives_user_table', ['user_id', 'table_id'], unique=False)

    op.create_table('role_perspectives',
    sa.Column('role_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('table_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('settings_json', sa.JSON(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_role_perspectives_role_id_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_perspectives'))
    )
    with op.batch_alter_table('role_perspectives', schema=None) as batch_op:
        batch_op.create_index('ix_role_perspectives_role_table', ['role_id', 'table_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_perspectives_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('role_perspectives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_perspectives_tenant_id'))
        batch_op.drop_index('ix_role_perspectives_role_table')

    op.drop_table('role_perspectives')
    with op.batch_alter_table('perspectives', schema=None) as batch_op:
        batch_op.drop_index('ix_perspectives_user_table')

    op.drop_table('perspectives')
