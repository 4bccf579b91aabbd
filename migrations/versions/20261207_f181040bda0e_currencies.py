"""currencies: `currencies` (one live code and at most one base currency per organization),
`exchange_rates` (one live rate per pair, date and source; numeric(18, 8)) and `currency_fetch_configs`
(one per organization and provider, with the last sync's outcome).

Revision ID: f181040bda0e
Revises: f9b83b5a18c3
Create Date: 2026-12-07 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f181040bda0e'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None

_LIVE = sa.text('deleted_at IS NULL')
_LIVE_BASE = sa.text('is_base AND deleted_at IS NULL')


def upgrade() -> None:
    op.create_table('currencies',
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('symbol', sa.String(length=10), nullable=True),
    sa.Column('decimal_places', sa.Integer(), nullable=False),
    sa.Column('thousands_separator', sa.String(length=5), nullable=True),
    sa.Column('decimal_separator', sa.String(length=5), nullable=True),
    sa.Column('is_base', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_currencies'))
    )
    with op.batch_alter_table('currencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_currencies_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_currencies_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('uq_currencies_org_code', ['tenant_id', 'organization_id', 'code'], unique=True,
                              sqlite_where=_LIVE, postgresql_where=_LIVE)
        batch_op.create_index('uq_currencies_org_base', ['tenant_id', 'organization_id'], unique=True,
                              sqlite_where=_LIVE_BASE, postgresql_where=_LIVE_BASE)

    op.create_table('exchange_rates',
    sa.Column('from_currency_code', sa.String(length=3), nullable=False),
    sa.Column('to_currency_code', sa.String(length=3), nullable=False),
    sa.Column('rate', sa.Numeric(precision=18, scale=8), nullable=False),
    sa.Column('date', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=50), nullable=False),
    sa.Column('type', sa.String(length=8), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rates'))
    )
    with op.batch_alter_table('exchange_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_rates_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_rates_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_exchange_rates_pair_date',
                              ['tenant_id', 'organization_id', 'from_currency_code', 'to_currency_code', 'date'],
                              unique=False)
        batch_op.create_index('uq_exchange_rates_pair_date_source',
                              ['tenant_id', 'organization_id', 'from_currency_code', 'to_currency_code', 'date',
                               'source'], unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE)

    op.create_table('currency_fetch_configs',
    sa.Column('provider', sa.String(length=50), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('sync_time', sa.String(length=5), nullable=True),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_sync_status', sa.String(length=16), nullable=True),
    sa.Column('last_sync_message', sa.Text(), nullable=True),
    sa.Column('last_sync_count', sa.Integer(), nullable=True),
    sa.Column('config', sa.JSON(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_currency_fetch_configs')),
    sa.UniqueConstraint('tenant_id', 'organization_id', 'provider', name=op.f('uq_currency_fetch_configs_tenant_id'))
    )
    with op.batch_alter_table('currency_fetch_configs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_currency_fetch_configs_organization_id'), ['organization_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_currency_fetch_configs_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_table('currency_fetch_configs')
    op.drop_table('exchange_rates')
    op.drop_table('currencies')
