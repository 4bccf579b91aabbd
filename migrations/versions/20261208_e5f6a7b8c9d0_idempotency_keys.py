"""Idempotency keys: one row per tenant and `Idempotency-Key`, with the request's fingerprint and the first
answer (status and body), forgotten after their expiry.

Revision ID: e5f6a7b8c9d0
Revises: f9b83b5a18c3
Create Date: 2026-12-08 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'e5f6a7b8c9d0'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'idempotency_keys',
        sa.Column('tenant_id', sa.String(length=36), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('response_body', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    )
    op.create_index('idempotency_keys_expires_idx', 'idempotency_keys', ['expires_at'], unique=False)
    op.create_index('idempotency_keys_tenant_key_uq', 'idempotency_keys', ['tenant_id', 'key'], unique=True)


def downgrade() -> None:
    op.drop_index('idempotency_keys_tenant_key_uq', table_name='idempotency_keys')
    op.drop_index('idempotency_keys_expires_idx', table_name='idempotency_keys')
    op.drop_table('idempotency_keys')
