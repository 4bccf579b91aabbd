"""contractors: contractors, their addresses, contacts, role types (and role links), payment terms and
credit limits

Revision ID: 7c3e91d4a2f6
Revises: 5d1e7c2a9b40
Create Date: 2026-12-11 09:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '7c3e91d4a2f6'
down_revision = '5d1e7c2a9b40'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contractor_addresses',
    sa.Column('contractor_id', sa.String(length=36), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('address_line', sa.String(length=255), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=100), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=100), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contractor_addresses'))
    )

    with op.batch_alter_table('contractor_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contractor_addresses_contractor_id'), ['contractor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contractor_addresses_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contractor_addresses_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contractor_contacts',
    sa.Column('contractor_id', sa.String(length=36), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contractor_contacts'))
    )

    with op.batch_alter_table('contractor_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contractor_contacts_contractor_id'), ['contractor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contractor_contacts_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contractor_contacts_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contractor_credit_limits',
    sa.Column('contractor_id', sa.String(length=36), nullable=False),
    sa.Column('credit_limit', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('is_unlimited', sa.Boolean(), nullable=False),
    sa.Column('current_exposure', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contractor_credit_limits')),
    sa.UniqueConstraint('contractor_id', name=op.f('uq_contractor_credit_limits_contractor_id'))
    )

    with op.batch_alter_table('contractor_credit_limits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contractor_credit_limits_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contractor_credit_limits_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contractor_payment_terms',
    sa.Column('contractor_id', sa.String(length=36), nullable=False),
    sa.Column('payment_days', sa.Integer(), nullable=False),
    sa.Column('payment_method', sa.String(length=20), nullable=True),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('bank_name', sa.String(length=255), nullable=True),
    sa.Column('bank_account_number', sa.String(length=50), nullable=True),
    sa.Column('bank_routing_number', sa.String(length=50), nullable=True),
    sa.Column('iban', sa.String(length=50), nullable=True),
    sa.Column('swift_bic', sa.String(length=20), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contractor_payment_terms')),
    sa.UniqueConstraint('contractor_id', name=op.f('uq_contractor_payment_terms_contractor_id'))
    )

    with op.batch_alter_table('contractor_payment_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contractor_payment_terms_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contractor_payment_terms_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contractor_role_links',
    sa.Column('contractor_id', sa.String(length=36), nullable=False),
    sa.Column('role_type_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('contractor_id', 'role_type_id', name=op.f('pk_contractor_role_links'))
    )

    with op.batch_alter_table('contractor_role_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contractor_role_links_role_type_id'), ['role_type_id'], unique=False)

    op.create_table('contractor_role_types',
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('color', sa.String(length=20), nullable=True),
    sa.Column('icon', sa.String(length=50), nullable=True),
    sa.Column('has_custom_fields', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('is_system', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contractor_role_types')),
    sa.UniqueConstraint('tenant_id', 'organization_id', 'code', name='uq_contractor_role_types_code')
    )

    with op.batch_alter_table('contractor_role_types', schema=None) as batch_op:
        batch_op.create_index('ix_contractor_role_types_category', ['tenant_id', 'organization_id', 'category'], unique=False)
        batch_op.create_index(batch_op.f('ix_contractor_role_types_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contractor_role_types_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('contractors',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('short_name', sa.String(length=50), nullable=True),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('tax_id', sa.String(length=50), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('role_type_ids', sa.JSON(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contractors'))
    )

    with op.batch_alter_table('contractors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contractors_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contractors_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_contractors_scope', ['tenant_id', 'organization_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contractors_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contractors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contractors_tenant_id'))
        batch_op.drop_index('ix_contractors_scope')
        batch_op.drop_index(batch_op.f('ix_contractors_parent_id'))
        batch_op.drop_index(batch_op.f('ix_contractors_organization_id'))

    op.drop_table('contractors')

    with op.batch_alter_table('contractor_role_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contractor_role_types_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_contractor_role_types_organization_id'))
        batch_op.drop_index('ix_contractor_role_types_category')

    op.drop_table('contractor_role_types')

    with op.batch_alter_table('contractor_role_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contractor_role_links_role_type_id'))

    op.drop_table('contractor_role_links')

    with op.batch_alter_table('contractor_payment_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contractor_payment_terms_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_contractor_payment_terms_organization_id'))

    op.drop_table('contractor_payment_terms')

    with op.batch_alter_table('contractor_credit_limits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contractor_credit_limits_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_contractor_credit_limits_organization_id'))

    op.drop_table('contractor_credit_limits')

    with op.batch_alter_table('contractor_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contractor_contacts_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_contractor_contacts_organization_id'))
        batch_op.drop_index(batch_op.f('ix_contractor_contacts_contractor_id'))

    op.drop_table('contractor_contacts')

    with op.batch_alter_table('contractor_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contractor_addresses_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_contractor_addresses_organization_id'))
        batch_op.drop_index(batch_op.f('ix_contractor_addresses_contractor_id'))

    op.drop_table('contractor_addresses')
