"""search: per-tenant search settings (global-search strategies, embedding provider, auto-indexing).

Revision ID: f8c6d7e9a0b2
Revises: f9b83b5a18c3
Create Date: 2026-12-06 10:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f8c6d7e9a0b2'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('search_settings',
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_settings')),
    sa.UniqueConstraint('tenant_id', 'key', name='search_settings_tenant_key_unique')
    )


def downgrade() -> None:
    op.drop_table('search_settings')
