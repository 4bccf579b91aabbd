"""Onboarding: `onboarding_requests`, self sign-ups waiting for their e-mail confirmation.

Revision ID: c5f3e4a6b7d8
Revises: f9b83b5a18c3
Create Date: 2026-12-05 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c5f3e4a6b7d8'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('onboarding_requests',
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('first_name', sa.String(length=120), nullable=False),
    sa.Column('last_name', sa.String(length=120), nullable=False),
    sa.Column('organization_name', sa.String(length=240), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('terms_accepted', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('last_email_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_requests')),
    sa.UniqueConstraint('email', name=op.f('uq_onboarding_requests_email'))
    )
    with op.batch_alter_table('onboarding_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_requests_token_hash'), ['token_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('onboarding_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_onboarding_requests_token_hash'))

    op.drop_table('onboarding_requests')
