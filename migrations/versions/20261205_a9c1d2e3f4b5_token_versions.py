"""Users' token version: logging out, a new password or new roles revoke every older signed-in token.

Revision ID: a9c1d2e3f4b5
Revises: f9b83b5a18c3
Create Date: 2026-12-04 19:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a9c1d2e3f4b5'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('token_version')
