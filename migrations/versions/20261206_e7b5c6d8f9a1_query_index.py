"""query_index: indexed documents (with a PostgreSQL tsvector and a GIN index), hashed search tokens,
index jobs, and the indexer's error and status logs.

Revision ID: e7b5c6d8f9a1
Revises: f9b83b5a18c3
Create Date: 2026-12-06 10:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'e7b5c6d8f9a1'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('query_index_entries',
    sa.Column('entity_type', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('subtitle', sa.String(length=500), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('search_tsv', postgresql.TSVECTOR().with_variant(sa.Text(), 'sqlite'), nullable=True),
    sa.Column('doc', sa.JSON(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('indexed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('embedding', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('embedding_model', sa.String(length=200), nullable=True),
    sa.Column('vectorized_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_query_index_entries')),
    sa.UniqueConstraint('entity_type', 'record_id', name='query_index_entries_entity_record_unique')
    )
    with op.batch_alter_table('query_index_entries', schema=None) as batch_op:
        batch_op.create_index('query_index_entries_tenant_entity_idx', ['tenant_id', 'entity_type'], unique=False)
        batch_op.create_index('query_index_entries_tsv_idx', ['search_tsv'], unique=False, postgresql_using='gin')

    op.create_table('query_index_error_logs',
    sa.Column('source', sa.String(length=50), nullable=False),
    sa.Column('handler', sa.String(length=200), nullable=False),
    sa.Column('entity_type', sa.String(length=100), nullable=True),
    sa.Column('record_id', sa.String(length=36), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('stack', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_query_index_error_logs'))
    )
    with op.batch_alter_table('query_index_error_logs', schema=None) as batch_op:
        batch_op.create_index('query_index_error_logs_tenant_idx', ['tenant_id', 'occurred_at'], unique=False)

    op.create_table('query_index_jobs',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('entity_type', sa.String(length=100), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('processed_count', sa.Integer(), nullable=False),
    sa.Column('total_count', sa.Integer(), nullable=True),
    sa.Column('workflow_id', sa.String(length=100), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_query_index_jobs'))
    )
    with op.batch_alter_table('query_index_jobs', schema=None) as batch_op:
        batch_op.create_index('query_index_jobs_scope_idx', ['tenant_id', 'source', 'started_at'], unique=False)

    op.create_table('query_index_status_logs',
    sa.Column('source', sa.String(length=50), nullable=False),
    sa.Column('handler', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('entity_type', sa.String(length=100), nullable=True),
    sa.Column('record_id', sa.String(length=36), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_query_index_status_logs'))
    )
    with op.batch_alter_table('query_index_status_logs', schema=None) as batch_op:
        batch_op.create_index('query_index_status_logs_tenant_idx', ['tenant_id', 'occurred_at'], unique=False)

    op.create_table('query_index_tokens',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('entity_type', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('field', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_query_index_tokens'))
    )
    with op.batch_alter_table('query_index_tokens', schema=None) as batch_op:
        batch_op.create_index('query_index_tokens_lookup_idx', ['tenant_id', 'token_hash'], unique=False)
        batch_op.create_index('query_index_tokens_record_idx', ['entity_type', 'record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('query_index_tokens', schema=None) as batch_op:
        batch_op.drop_index('query_index_tokens_record_idx')
        batch_op.drop_index('query_index_tokens_lookup_idx')

    op.drop_table('query_index_tokens')
    with op.batch_alter_table('query_index_status_logs', schema=None) as batch_op:
        batch_op.drop_index('query_index_status_logs_tenant_idx')

    op.drop_table('query_index_status_logs')
    with op.batch_alter_table('query_index_jobs', schema=None) as batch_op:
        batch_op.drop_index('query_index_jobs_scope_idx')

    op.drop_table('query_index_jobs')
    with op.batch_alter_table('query_index_error_logs', schema=None) as batch_op:
        batch_op.drop_index('query_index_error_logs_tenant_idx')

    op.drop_table('query_index_error_logs')
    with op.batch_alter_table('query_index_entries', schema=None) as batch_op:
        batch_op.drop_index('query_index_entries_tsv_idx', postgresql_using='gin')
        batch_op.drop_index('query_index_entries_tenant_entity_idx')

    op.drop_table('query_index_entries')
