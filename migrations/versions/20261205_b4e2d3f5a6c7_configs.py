"""Configuration: `upgrade_action_runs` (one-off upgrade actions done per organization) and `configs_worker_heartbeats` (one row per running worker).

Revision ID: b4e2d3f5a6c7
Revises: f9b83b5a18c3
Create Date: 2026-12-05 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b4e2d3f5a6c7'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('configs_worker_heartbeats',
    sa.Column('worker_id', sa.String(length=64), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_configs_worker_heartbeats'))
    )
    with op.batch_alter_table('configs_worker_heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_configs_worker_heartbeats_beat_at'), ['beat_at'], unique=False)

    op.create_table('upgrade_action_runs',
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('action_id', sa.String(length=100), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upgrade_action_runs')),
    sa.UniqueConstraint('version', 'action_id', 'organization_id', 'tenant_id', name='uq_upgrade_action_runs_action_scope')
    )
    with op.batch_alter_table('upgrade_action_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upgrade_action_runs_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_upgrade_action_runs_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('upgrade_action_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upgrade_action_runs_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_upgrade_action_runs_organization_id'))

    op.drop_table('upgrade_action_runs')
    with op.batch_alter_table('configs_worker_heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_configs_worker_heartbeats_beat_at'))

    op.drop_table('configs_worker_heartbeats')
