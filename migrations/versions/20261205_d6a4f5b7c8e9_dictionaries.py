"""Dictionaries: `dictionaries` and `dictionary_entries` (value unique per dictionary), and the default
dictionaries (sales statuses and adjustment kinds) for every organization that exists already; new
organizations get them from the dictionaries module's subscriber.

Revision ID: d6a4f5b7c8e9
Revises: f9b83b5a18c3
Create Date: 2026-12-05 10:00:00
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = 'd6a4f5b7c8e9'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dictionaries',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_system', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('manager_visibility', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dictionaries'))
    )
    with op.batch_alter_table('dictionaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dictionaries_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_dictionaries_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dictionaries_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('dictionary_entries',
    sa.Column('dictionary_id', sa.String(length=36), nullable=False),
    sa.Column('value', sa.String(length=150), nullable=False),
    sa.Column('normalized_value', sa.String(length=150), nullable=False),
    sa.Column('label', sa.String(length=150), nullable=False),
    sa.Column('color', sa.String(length=7), nullable=True),
    sa.Column('icon', sa.String(length=64), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['dictionary_id'], ['dictionaries.id'], name=op.f('fk_dictionary_entries_dictionary_id_dictionaries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dictionary_entries')),
    sa.UniqueConstraint('dictionary_id', 'normalized_value', name='uq_dictionary_entries_dictionary_value')
    )
    with op.batch_alter_table('dictionary_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dictionary_entries_dictionary_id'), ['dictionary_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dictionary_entries_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dictionary_entries_tenant_id'), ['tenant_id'], unique=False)

    _seed_existing_organizations()


# A copy of the defaults as they were when this migration was written: a migration must not change
# what it does when the module's defaults change later.
_DEFAULTS = (
    ('sales.order_status', 'Sales order statuses', 'Configurable set of statuses used by sales orders.', (
        ('draft', 'Draft', '#94a3b8', 'lucide:file-pen-line'),
        ('confirmed', 'Confirmed', '#2563eb', 'lucide:badge-check'),
        ('in_fulfillment', 'In fulfillment', '#f59e0b', 'lucide:loader-2'),
        ('fulfilled', 'Fulfilled', '#16a34a', 'lucide:check-circle-2'),
        ('on_hold', 'On hold', '#a855f7', 'lucide:pause-circle'),
        ('canceled', 'Canceled', '#ef4444', 'lucide:x-circle'))),
    ('sales.order_line_status', 'Sales order line statuses',
     'Configurable set of statuses used by sales order lines.', (
         ('pending', 'Pending', '#94a3b8', 'lucide:clock'),
         ('allocated', 'Allocated', '#6366f1', 'lucide:inbox'),
         ('picking', 'Picking', '#f59e0b', 'lucide:hand'),
         ('packed', 'Packed', '#0ea5e9', 'lucide:package'),
         ('shipped', 'Shipped', '#2563eb', 'lucide:truck'),
         ('delivered', 'Delivered', '#16a34a', 'lucide:check-circle-2'),
         ('backordered', 'Backordered', '#d946ef', 'lucide:alert-octagon'),
         ('returned', 'Returned', '#0d9488', 'lucide:undo-2'),
         ('canceled', 'Canceled', '#ef4444', 'lucide:x-circle'))),
    ('sales.shipment_status', 'Shipment statuses', 'Configurable set of statuses used by shipments.', (
        ('pending', 'Pending', '#94a3b8', 'lucide:clock-3'),
        ('packed', 'Packed', '#22c55e', 'lucide:package-check'),
        ('shipped', 'Shipped', '#2563eb', 'lucide:truck'),
        ('in_transit', 'In transit', '#0ea5e9', 'lucide:loader'),
        ('delivered', 'Delivered', '#16a34a', 'lucide:check-circle-2'),
        ('canceled', 'Canceled', '#ef4444', 'lucide:x-circle'),
        ('returned', 'Returned', '#0d9488', 'lucide:undo-2'))),
    ('sales.payment_status', 'Payment statuses', 'Configurable set of statuses used by payments.', (
        ('pending', 'Pending', '#94a3b8', 'lucide:clock-3'),
        ('authorized', 'Authorized', '#6366f1', 'lucide:badge-check'),
        ('captured', 'Captured', '#0ea5e9', 'lucide:banknote'),
        ('received', 'Received', '#16a34a', 'lucide:check'),
        ('refunded', 'Refunded', '#f59e0b', 'lucide:rotate-ccw'),
        ('failed', 'Failed', '#ef4444', 'lucide:triangle-alert'),
        ('canceled', 'Canceled', '#ef4444', 'lucide:x-circle'))),
    ('sales.adjustment_kind', 'Sales adjustment kinds', 'Reusable adjustment kinds applied to sales documents.', (
        ('discount', 'Discount', None, None), ('tax', 'Tax', None, None), ('shipping', 'Shipping', None, None),
        ('surcharge', 'Surcharge', None, None), ('custom', 'Custom', None, None))),
)


def _seed_existing_organizations() -> None:
    bind = op.get_bind()
    orgs = sa.table('organizations', sa.column('id'), sa.column('tenant_id'), sa.column('deleted_at'))
    dictionaries = sa.table('dictionaries', *(sa.column(c) for c in (
        'id', 'tenant_id', 'organization_id', 'key', 'name', 'description', 'is_system', 'is_active',
        'manager_visibility', 'created_at', 'updated_at')))
    entries = sa.table('dictionary_entries', *(sa.column(c) for c in (
        'id', 'tenant_id', 'organization_id', 'dictionary_id', 'value', 'normalized_value', 'label', 'color',
        'icon', 'created_at', 'updated_at')))
    now = datetime.now(UTC)
    for org_id, tenant_id in bind.execute(sa.select(orgs.c.id, orgs.c.tenant_id)
                                          .where(orgs.c.deleted_at.is_(None))).all():
        for key, name, description, seeds in _DEFAULTS:
            dictionary_id = str(uuid.uuid4())
            bind.execute(dictionaries.insert().values(
                id=dictionary_id, tenant_id=tenant_id, organization_id=org_id, key=key, name=name,
                description=description, is_system=True, is_active=True, manager_visibility='hidden',
                created_at=now, updated_at=now))
            for value, label, color, icon in seeds:
                bind.execute(entries.insert().values(
                    id=str(uuid.uuid4()), tenant_id=tenant_id, organization_id=org_id, dictionary_id=dictionary_id,
                    value=value, normalized_value=value.lower(), label=label, color=color, icon=icon,
                    created_at=now, updated_at=now))


def downgrade() -> None:
    with op.batch_alter_table('dictionary_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dictionary_entries_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_dictionary_entries_organization_id'))
        batch_op.drop_index(batch_op.f('ix_dictionary_entries_dictionary_id'))

    op.drop_table('dictionary_entries')
    with op.batch_alter_table('dictionaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dictionaries_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_dictionaries_organization_id'))
        batch_op.drop_index(batch_op.f('ix_dictionaries_key'))

    op.drop_table('dictionaries')
