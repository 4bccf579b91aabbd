"""fms_locations, fms_products, fms_tracking: `fms_locations` (ports and terminals, one live code per
organization), `fms_charge_codes` (one live code per organization), `fms_tracking_freighttech_settings` (one
per organization, the API key encrypted) and `fms_tracking_milestones` (one per reference and milestone).

Revision ID: a9e4c7f21b3d
Revises: 802fa3fc5bef
Create Date: 2026-12-11 09:00:00
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'a9e4c7f21b3d'
down_revision = '802fa3fc5bef'
branch_labels = None
depends_on = None

_LIVE = sa.text('deleted_at IS NULL')


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), 'postgresql')


def _scoped() -> list[sa.Column[Any]]:
    return [sa.Column('tenant_id', sa.String(length=36), nullable=True),
            sa.Column('organization_id', sa.String(length=36), nullable=True)]


def _stamps(*, deleted: bool = True) -> list[sa.Column[Any]]:
    cols = [sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False)]
    if deleted:
        cols.append(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    return cols


def _scope_indexes(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f(f'ix_{table}_tenant_id'), ['tenant_id'], unique=False)


def upgrade() -> None:
    op.create_table('fms_locations',
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('locode', sa.String(length=10), nullable=True),
    sa.Column('port_id', sa.String(length=36), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('city', sa.String(length=255), nullable=True),
    sa.Column('country', sa.String(length=100), nullable=True),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    *_stamps(),
    *_scoped(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fms_locations'))
    )
    _scope_indexes('fms_locations')
    with op.batch_alter_table('fms_locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fms_locations_port_id'), ['port_id'], unique=False)
        batch_op.create_index('ix_fms_locations_scope_type', ['tenant_id', 'organization_id', 'type'], unique=False)
        batch_op.create_index('uq_fms_locations_org_code', ['tenant_id', 'organization_id', 'code'], unique=True,
                              sqlite_where=_LIVE, postgresql_where=_LIVE)

    op.create_table('fms_charge_codes',
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('charge_unit', sa.String(length=20), nullable=False),
    sa.Column('field_schema', _json(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    *_stamps(),
    *_scoped(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fms_charge_codes'))
    )
    _scope_indexes('fms_charge_codes')
    with op.batch_alter_table('fms_charge_codes', schema=None) as batch_op:
        batch_op.create_index('uq_fms_charge_codes_org_code', ['tenant_id', 'organization_id', 'code'], unique=True,
                              sqlite_where=_LIVE, postgresql_where=_LIVE)

    op.create_table('fms_tracking_freighttech_settings',
    sa.Column('api_key', sa.Text(), nullable=False),
    sa.Column('api_base_url', sa.String(length=255), nullable=False),
    sa.Column('webhook_nonce', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    *_stamps(deleted=False),
    *_scoped(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fms_tracking_freighttech_settings')),
    sa.UniqueConstraint('tenant_id', 'organization_id', name='uq_fms_tracking_settings_org')
    )
    _scope_indexes('fms_tracking_freighttech_settings')

    op.create_table('fms_tracking_milestones',
    sa.Column('reference_id', sa.String(length=100), nullable=False),
    sa.Column('milestone_id', sa.String(length=100), nullable=False),
    sa.Column('container_id', sa.String(length=50), nullable=True),
    sa.Column('carrier_scac', sa.String(length=20), nullable=True),
    sa.Column('bill_of_lading', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=50), nullable=True),
    sa.Column('occurred_at', sa.String(length=40), nullable=True),
    sa.Column('event_type', sa.String(length=100), nullable=True),
    sa.Column('event_classifier', sa.String(length=50), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('location_name', sa.String(length=255), nullable=True),
    sa.Column('unlocode', sa.String(length=10), nullable=True),
    sa.Column('vessel', sa.String(length=255), nullable=True),
    sa.Column('voyage', sa.String(length=100), nullable=True),
    sa.Column('planned', sa.Boolean(), nullable=False),
    sa.Column('data', _json(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    *_scoped(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fms_tracking_milestones')),
    sa.UniqueConstraint('tenant_id', 'organization_id', 'reference_id', 'milestone_id',
                        name='uq_fms_tracking_milestones_ref')
    )
    _scope_indexes('fms_tracking_milestones')
    with op.batch_alter_table('fms_tracking_milestones', schema=None) as batch_op:
        batch_op.create_index('ix_fms_tracking_milestones_container', ['tenant_id', 'organization_id', 'container_id'],
                              unique=False)


def downgrade() -> None:
    for table in ('fms_tracking_milestones', 'fms_tracking_freighttech_settings', 'fms_charge_codes',
                  'fms_locations'):
        op.drop_table(table)
