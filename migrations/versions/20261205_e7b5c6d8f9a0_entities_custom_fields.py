"""Entities and custom fields: the kit's `custom_field_defs`, `custom_field_values` (indexed for
filtering), `encryption_maps` and `encryption_tenant_keys`; the entities module's `custom_entities`
and `custom_entity_records`. The example todos' priority, severity, description, assignee, due_at
and tags columns move into custom field values of `example:todo` and are dropped.

Revision ID: e7b5c6d8f9a0
Revises: f9b83b5a18c3
Create Date: 2026-12-05 10:00:00.000000
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = 'e7b5c6d8f9a0'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None

TEXT_FIELDS = ('priority', 'severity', 'description', 'assignee')
values_table = sa.table(
    'custom_field_values', sa.column('id', sa.String), sa.column('entity_id', sa.String),
    sa.column('record_id', sa.String), sa.column('field_key', sa.String), sa.column('tenant_id', sa.String),
    sa.column('organization_id', sa.String), sa.column('position', sa.Integer), sa.column('value_text', sa.Text),
    sa.column('value_key', sa.String))
todos_table = sa.table(
    'example_todos', sa.column('id', sa.String), sa.column('tenant_id', sa.String),
    sa.column('organization_id', sa.String), sa.column('priority', sa.String), sa.column('severity', sa.String),
    sa.column('description', sa.Text), sa.column('assignee', sa.String),
    sa.column('due_at', sa.DateTime(timezone=True)), sa.column('tags', sa.JSON))


def _timestamps() -> list[sa.Column[Any]]:
    return [sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False)]


def _iso(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).isoformat()


def upgrade() -> None:
    op.create_table('custom_field_defs',
    sa.Column('entity_id', sa.String(length=150), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('config_json', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    *_timestamps(),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_field_defs'))
    )
    op.create_index('ix_custom_field_defs_scope', 'custom_field_defs', ['entity_id', 'tenant_id', 'key'])
    op.create_table('custom_field_values',
    sa.Column('entity_id', sa.String(length=150), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('field_key', sa.String(length=100), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('value_text', sa.Text(), nullable=True),
    sa.Column('value_key', sa.String(length=255), nullable=True),
    sa.Column('value_int', sa.BigInteger(), nullable=True),
    sa.Column('value_float', sa.Float(), nullable=True),
    sa.Column('value_bool', sa.Boolean(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_field_values'))
    )
    op.create_index('ix_custom_field_values_text', 'custom_field_values',
                    ['tenant_id', 'entity_id', 'field_key', 'value_key', 'record_id'])
    op.create_index('ix_custom_field_values_int', 'custom_field_values',
                    ['tenant_id', 'entity_id', 'field_key', 'value_int', 'record_id'])
    op.create_index('ix_custom_field_values_float', 'custom_field_values',
                    ['tenant_id', 'entity_id', 'field_key', 'value_float', 'record_id'])
    op.create_index('ix_custom_field_values_record', 'custom_field_values', ['record_id', 'entity_id', 'field_key'])
    op.create_table('encryption_maps',
    sa.Column('entity_id', sa.String(length=150), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('fields_json', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    *_timestamps(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encryption_maps'))
    )
    op.create_index('ix_encryption_maps_scope', 'encryption_maps', ['tenant_id', 'entity_id'])
    op.create_table('encryption_tenant_keys',
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('wrapped_key', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_encryption_tenant_keys'))
    )
    op.create_table('custom_entities',
    sa.Column('entity_id', sa.String(length=150), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('label_field', sa.String(length=100), nullable=True),
    sa.Column('default_editor', sa.String(length=32), nullable=True),
    sa.Column('show_in_sidebar', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    *_timestamps(),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_entities'))
    )
    op.create_index('ix_custom_entities_scope', 'custom_entities', ['tenant_id', 'entity_id'])
    op.create_table('custom_entity_records',
    sa.Column('entity_id', sa.String(length=150), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    *_timestamps(),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_entity_records'))
    )
    op.create_index('ix_custom_entity_records_entity', 'custom_entity_records', ['tenant_id', 'entity_id'])
    op.create_index(op.f('ix_custom_entity_records_organization_id'), 'custom_entity_records', ['organization_id'])
    op.create_index(op.f('ix_custom_entity_records_tenant_id'), 'custom_entity_records', ['tenant_id'])

    _move_todo_fields()
    with op.batch_alter_table('example_todos', schema=None) as batch_op:
        for name in (*TEXT_FIELDS, 'due_at', 'tags'):
            batch_op.drop_column(name)


def _move_todo_fields() -> None:
    """Every todo's old column values become custom field values of `example:todo` (tags: one row
    per tag, in order)."""
    bind = op.get_bind()
    rows: list[dict[str, Any]] = []
    for todo in bind.execute(sa.select(todos_table)).mappings():
        def value(key: str, text: str, position: int = 0, todo: Any = todo) -> None:
            rows.append({'id': str(uuid.uuid4()), 'entity_id': 'example:todo', 'record_id': todo['id'],
                         'field_key': key, 'tenant_id': todo['tenant_id'],
                         'organization_id': todo['organization_id'], 'position': position,
                         'value_text': text, 'value_key': text[:255]})
        for key in TEXT_FIELDS:
            if todo[key]:
                value(key, str(todo[key]))
        if todo['due_at'] is not None:
            value('due_at', _iso(todo['due_at']))
        for position, tag in enumerate(t for t in (todo['tags'] or []) if isinstance(t, str) and t):
            value('tags', tag, position)
    if rows:
        op.bulk_insert(values_table, rows)


def downgrade() -> None:
    with op.batch_alter_table('example_todos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('severity', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('assignee', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('tags', sa.JSON(), nullable=False, server_default='[]'))
    bind = op.get_bind()
    found: dict[str, dict[str, Any]] = {}
    for v in bind.execute(sa.select(values_table).where(values_table.c.entity_id == 'example:todo')
                          .order_by(values_table.c.position)).mappings():
        todo = found.setdefault(v['record_id'], {'tags': []})
        if v['field_key'] == 'tags':
            todo['tags'].append(v['value_text'])
        elif v['field_key'] == 'due_at' and v['value_text']:
            todo['due_at'] = datetime.fromisoformat(v['value_text'])
        elif v['field_key'] in TEXT_FIELDS:
            todo[v['field_key']] = v['value_text'][:200] if v['field_key'] == 'assignee' else v['value_text']
    for record_id, values in found.items():
        bind.execute(todos_table.update().where(todos_table.c.id == record_id).values(**values))
    for table in ('custom_entity_records', 'custom_entities', 'encryption_tenant_keys', 'encryption_maps',
                  'custom_field_values', 'custom_field_defs'):
        op.drop_table(table)
