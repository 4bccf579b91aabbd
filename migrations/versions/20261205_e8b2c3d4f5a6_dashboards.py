"""dashboards: `dashboard_layouts` (each user's widget layout), `dashboard_role_widgets` and
`dashboard_user_widgets` (the widgets a role or a user may place).

Revision ID: e8b2c3d4f5a6
Revises: f9b83b5a18c3
Create Date: 2026-12-05 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'e8b2c3d4f5a6'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dashboard_layouts',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('layout_json', sa.JSON(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dashboard_layouts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_layouts')),
    sa.UniqueConstraint('user_id', 'tenant_id', 'organization_id', name=op.f('uq_dashboard_layouts_user_id'))
    )
    op.create_table('dashboard_role_widgets',
    sa.Column('role_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('widget_ids_json', sa.JSON(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_dashboard_role_widgets_role_id_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_role_widgets')),
    sa.UniqueConstraint('role_id', 'tenant_id', 'organization_id', name=op.f('uq_dashboard_role_widgets_role_id'))
    )
    with op.batch_alter_table('dashboard_role_widgets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboard_role_widgets_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('dashboard_user_widgets',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('widget_ids_json', sa.JSON(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dashboard_user_widgets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_user_widgets')),
    sa.UniqueConstraint('user_id', 'tenant_id', 'organization_id', name=op.f('uq_dashboard_user_widgets_user_id'))
    )
    with op.batch_alter_table('dashboard_user_widgets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboard_user_widgets_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dashboard_user_widgets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dashboard_user_widgets_tenant_id'))

    op.drop_table('dashboard_user_widgets')
    with op.batch_alter_table('dashboard_role_widgets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dashboard_role_widgets_tenant_id'))

    op.drop_table('dashboard_role_widgets')
    op.drop_table('dashboard_layouts')
