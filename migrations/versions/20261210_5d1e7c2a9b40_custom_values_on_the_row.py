"""Custom-field values move from the shared `custom_field_values` table onto their records' rows: a JSON
document `custom_values` on every table of a collection with custom fields (JSONB with a GIN index on
PostgreSQL). A filter by a custom field then reads only the row, as an indexed column's does; through the
value table it cost a join per matching row, 2-5x the indexed column's filter (docs/benchmarks.md, "Custom
fields"). Existing values are moved, ciphertext and lookup hashes as they are.

Revision ID: 5d1e7c2a9b40
Revises: cb44086a5baa
Create Date: 2026-12-10 10:00:00
"""
from __future__ import annotations

import json
import uuid
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '5d1e7c2a9b40'
down_revision = 'cb44086a5baa'
branch_labels = None
depends_on = None

# The entity id of each collection with custom fields and its table, as the modules declare them now.
TABLES = {
    'booking:booking_event_attendee': 'booking_event_attendees',
    'booking:booking_resource': 'booking_resources',
    'booking:booking_team': 'booking_teams',
    'booking:booking_team_member': 'booking_team_members',
    'catalog:catalog_product': 'catalog_products',
    'catalog:catalog_product_price': 'catalog_product_prices',
    'catalog:catalog_product_variant': 'catalog_product_variants',
    'customers:customer_activity': 'customer_activities',
    'customers:customer_company_profile': 'customer_entities',
    'customers:customer_deal': 'customer_deals',
    'customers:customer_person_profile': 'customer_entities',
    'example:todo': 'example_todos',
    'sales:sales_order': 'sales_orders',
    'sales:sales_order_line': 'sales_order_lines',
    'sales:sales_payment': 'sales_payments',
    'sales:sales_quote': 'sales_quotes',
    'sales:sales_quote_line': 'sales_quote_lines',
    'sales:sales_shipment': 'sales_shipments',
}
RECORDS = 'custom_entity_records'  # every other entity id: a custom entity's records
ENCRYPTED = 'enc:v1:'
SHIPPED_MULTI = {('example:todo', 'tags')}


def _doc_type() -> Any:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), 'postgresql')


def _tables() -> list[str]:
    return sorted(set(TABLES.values()) | {RECORDS})


def _multi_fields(bind: Any) -> set[tuple[str, str]]:
    rows = bind.execute(sa.text('SELECT entity_id, "key", config_json FROM custom_field_defs')).all()
    out = set(SHIPPED_MULTI)
    for entity, key, config in rows:
        config = json.loads(config) if isinstance(config, str) else (config or {})
        if isinstance(config, dict) and config.get('multi'):
            out.add((entity, key))
    return out


def upgrade() -> None:
    for table in _tables():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('custom_values', _doc_type(), nullable=True))
        if op.get_bind().dialect.name == 'postgresql':  # SQLite indexes a field's expression when filtered
            op.create_index(f'ix_{table}_custom_values', table, ['custom_values'], unique=False,
                            postgresql_using='gin', postgresql_ops={'custom_values': 'jsonb_path_ops'})

    bind = op.get_bind()
    multi = _multi_fields(bind)
    docs: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    lists: dict[tuple[str, str, str], list[tuple[Any, Any]]] = defaultdict(list)
    for entity, record, key, text, lookup, number, real, flag in bind.execute(sa.text(
            'SELECT entity_id, record_id, field_key, value_text, value_key, value_int, value_float, value_bool '
            'FROM custom_field_values ORDER BY entity_id, record_id, field_key, position')):
        value = number if number is not None else real if real is not None else \
            bool(flag) if flag is not None else text
        hashed = lookup if isinstance(text, str) and text.startswith(ENCRYPTED) else None
        lists[(entity, record, key)].append((value, hashed))
    for (entity, record, key), values in lists.items():
        doc = docs[(TABLES.get(entity, RECORDS), record)]
        many = (entity, key) in multi or len(values) > 1
        doc[key] = [v for v, _ in values] if many else values[0][0]
        if any(h is not None for _, h in values):
            doc['#' + key] = [h for _, h in values] if many else values[0][1]
    for (table, record), doc in docs.items():
        bind.execute(sa.text(f'UPDATE {table} SET custom_values = :doc WHERE id = :id')
                     .bindparams(sa.bindparam('doc', type_=_doc_type())), {'doc': doc, 'id': record})

    op.drop_index('ix_custom_field_values_record', table_name='custom_field_values')
    op.drop_index('ix_custom_field_values_float', table_name='custom_field_values')
    op.drop_index('ix_custom_field_values_int', table_name='custom_field_values')
    op.drop_index('ix_custom_field_values_text', table_name='custom_field_values')
    op.drop_table('custom_field_values')


def downgrade() -> None:
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

    bind = op.get_bind()
    values = sa.table('custom_field_values', *(sa.column(c) for c in (
        'id', 'entity_id', 'record_id', 'field_key', 'tenant_id', 'organization_id', 'position', 'value_text',
        'value_key', 'value_int', 'value_float', 'value_bool')))
    entities = {table: entity for entity, table in TABLES.items()}
    for table in _tables():
        kind = 'kind' if table == 'customer_entities' else 'entity_id' if table == RECORDS else None
        columns = f'id, tenant_id, organization_id, custom_values{", " + kind if kind else ""}'
        rows = bind.execute(sa.text(f'SELECT {columns} FROM {table} WHERE custom_values IS NOT NULL')
                            .columns(custom_values=_doc_type())).all()
        out = []
        for row in rows:
            if table == RECORDS:
                entity = row[4]
            elif table == 'customer_entities':
                entity = f'customers:customer_{row[4]}_profile'
            else:
                entity = entities[table]
            doc = row[3] or {}
            for key, value in doc.items():
                if key.startswith('#'):
                    continue
                hashes = doc.get('#' + key)
                items = value if isinstance(value, list) else [value]
                hash_items = hashes if isinstance(hashes, list) else [hashes] * len(items)
                for position, (item, hashed) in enumerate(zip(items, hash_items, strict=False)):
                    text = item if isinstance(item, str) else None
                    out.append({
                        'id': str(uuid.uuid4()), 'entity_id': entity, 'record_id': row[0], 'field_key': key,
                        'tenant_id': row[1], 'organization_id': row[2], 'position': position, 'value_text': text,
                        'value_key': hashed if text and text.startswith(ENCRYPTED) else text[:255] if text else None,
                        'value_int': item if isinstance(item, int) and not isinstance(item, bool) else None,
                        'value_float': item if isinstance(item, float) else None,
                        'value_bool': item if isinstance(item, bool) else None})
        if out:
            bind.execute(values.insert(), out)
    for table in _tables():
        if bind.dialect.name == 'postgresql':
            op.drop_index(f'ix_{table}_custom_values', table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('custom_values')
