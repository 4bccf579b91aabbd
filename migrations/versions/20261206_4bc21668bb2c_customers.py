"""customers: the CRM's tables. `customer_entities` (people and companies, told apart by `kind`) with
their profiles `customer_people` and `customer_companies`; `customer_deals` with the participant links
`customer_deal_people` and `customer_deal_companies`; the timeline `customer_activities` and
`customer_comments`; `customer_addresses`; the per-kind `customer_dictionary_entries`;
`customer_todo_links` (todos of the example module, by id) and `customer_settings` (address format).

Revision ID: 4bc21668bb2c
Revises: f9b83b5a18c3
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '4bc21668bb2c'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customer_activities',
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('deal_id', sa.String(length=36), nullable=True),
    sa.Column('activity_type', sa.String(length=100), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('author_user_id', sa.String(length=36), nullable=True),
    sa.Column('appearance_icon', sa.String(length=100), nullable=True),
    sa.Column('appearance_color', sa.String(length=16), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_activities'))
    )
    with op.batch_alter_table('customer_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_activities_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_activities_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_activities_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_activities_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer_addresses',
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=True),
    sa.Column('purpose', sa.String(length=150), nullable=True),
    sa.Column('company_name', sa.String(length=200), nullable=True),
    sa.Column('address_line1', sa.String(length=300), nullable=False),
    sa.Column('address_line2', sa.String(length=300), nullable=True),
    sa.Column('building_number', sa.String(length=50), nullable=True),
    sa.Column('flat_number', sa.String(length=50), nullable=True),
    sa.Column('city', sa.String(length=150), nullable=True),
    sa.Column('region', sa.String(length=150), nullable=True),
    sa.Column('postal_code', sa.String(length=30), nullable=True),
    sa.Column('country', sa.String(length=150), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_addresses'))
    )
    with op.batch_alter_table('customer_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_addresses_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_addresses_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_addresses_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer_comments',
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('deal_id', sa.String(length=36), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_user_id', sa.String(length=36), nullable=True),
    sa.Column('appearance_icon', sa.String(length=100), nullable=True),
    sa.Column('appearance_color', sa.String(length=16), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_comments'))
    )
    with op.batch_alter_table('customer_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_comments_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_comments_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_comments_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_comments_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer_companies',
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('legal_name', sa.String(length=200), nullable=True),
    sa.Column('brand_name', sa.String(length=200), nullable=True),
    sa.Column('domain', sa.String(length=200), nullable=True),
    sa.Column('website_url', sa.String(length=300), nullable=True),
    sa.Column('industry', sa.String(length=150), nullable=True),
    sa.Column('size_bucket', sa.String(length=100), nullable=True),
    sa.Column('annual_revenue', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_companies')),
    sa.UniqueConstraint('entity_id', name=op.f('uq_customer_companies_entity_id'))
    )
    with op.batch_alter_table('customer_companies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_companies_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_companies_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer_deal_companies',
    sa.Column('deal_id', sa.String(length=36), nullable=False),
    sa.Column('company_entity_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_deal_companies')),
    sa.UniqueConstraint('deal_id', 'company_entity_id', name=op.f('uq_customer_deal_companies_deal_id'))
    )
    with op.batch_alter_table('customer_deal_companies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_deal_companies_company_entity_id'), ['company_entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_deal_companies_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_deal_companies_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_deal_companies_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer_deal_people',
    sa.Column('deal_id', sa.String(length=36), nullable=False),
    sa.Column('person_entity_id', sa.String(length=36), nullable=False),
    sa.Column('participant_role', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_deal_people')),
    sa.UniqueConstraint('deal_id', 'person_entity_id', name=op.f('uq_customer_deal_people_deal_id'))
    )
    with op.batch_alter_table('customer_deal_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_deal_people_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_deal_people_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_deal_people_person_entity_id'), ['person_entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_deal_people_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer_deals',
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=50), nullable=False),
    sa.Column('pipeline_stage', sa.String(length=100), nullable=True),
    sa.Column('value_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('value_currency', sa.String(length=3), nullable=True),
    sa.Column('probability', sa.Integer(), nullable=True),
    sa.Column('expected_close_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('owner_user_id', sa.String(length=36), nullable=True),
    sa.Column('source', sa.String(length=150), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_deals'))
    )
    with op.batch_alter_table('customer_deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_deals_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_deals_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer_dictionary_entries',
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('value', sa.String(length=150), nullable=False),
    sa.Column('normalized_value', sa.String(length=150), nullable=False),
    sa.Column('label', sa.String(length=150), nullable=False),
    sa.Column('color', sa.String(length=16), nullable=True),
    sa.Column('icon', sa.String(length=48), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_dictionary_entries')),
    sa.UniqueConstraint('organization_id', 'kind', 'normalized_value', name=op.f('uq_customer_dictionary_entries_organization_id'))
    )
    with op.batch_alter_table('customer_dictionary_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_dictionary_entries_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_dictionary_entries_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer_entities',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('owner_user_id', sa.String(length=36), nullable=True),
    sa.Column('primary_email', sa.String(length=320), nullable=True),
    sa.Column('primary_phone', sa.String(length=50), nullable=True),
    sa.Column('phone_digits', sa.String(length=50), nullable=True),
    sa.Column('status', sa.String(length=100), nullable=True),
    sa.Column('lifecycle_stage', sa.String(length=100), nullable=True),
    sa.Column('source', sa.String(length=150), nullable=True),
    sa.Column('next_interaction_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_interaction_name', sa.String(length=200), nullable=True),
    sa.Column('next_interaction_ref_id', sa.String(length=191), nullable=True),
    sa.Column('next_interaction_icon', sa.String(length=100), nullable=True),
    sa.Column('next_interaction_color', sa.String(length=16), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_entities'))
    )
    with op.batch_alter_table('customer_entities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_entities_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_customer_entities_phone', ['tenant_id', 'phone_digits'], unique=False)
        batch_op.create_index('ix_customer_entities_scope', ['tenant_id', 'organization_id', 'kind', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_entities_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer_people',
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('first_name', sa.String(length=120), nullable=False),
    sa.Column('last_name', sa.String(length=120), nullable=False),
    sa.Column('preferred_name', sa.String(length=120), nullable=True),
    sa.Column('job_title', sa.String(length=150), nullable=True),
    sa.Column('department', sa.String(length=150), nullable=True),
    sa.Column('seniority', sa.String(length=100), nullable=True),
    sa.Column('timezone', sa.String(length=120), nullable=True),
    sa.Column('linked_in_url', sa.String(length=300), nullable=True),
    sa.Column('twitter_url', sa.String(length=300), nullable=True),
    sa.Column('company_entity_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_people')),
    sa.UniqueConstraint('entity_id', name=op.f('uq_customer_people_entity_id'))
    )
    with op.batch_alter_table('customer_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_people_company_entity_id'), ['company_entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_people_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_people_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer_settings',
    sa.Column('address_format', sa.String(length=20), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_settings')),
    sa.UniqueConstraint('organization_id', name=op.f('uq_customer_settings_organization_id'))
    )
    with op.batch_alter_table('customer_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_settings_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_settings_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer_todo_links',
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('todo_id', sa.String(length=36), nullable=False),
    sa.Column('todo_source', sa.String(length=120), nullable=False),
    sa.Column('created_by_user_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_todo_links')),
    sa.UniqueConstraint('entity_id', 'todo_source', 'todo_id', name=op.f('uq_customer_todo_links_entity_id'))
    )
    with op.batch_alter_table('customer_todo_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_todo_links_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_todo_links_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_todo_links_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_todo_links_todo_id'), ['todo_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('customer_todo_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_todo_links_todo_id'))
        batch_op.drop_index(batch_op.f('ix_customer_todo_links_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_customer_todo_links_organization_id'))
        batch_op.drop_index(batch_op.f('ix_customer_todo_links_entity_id'))

    op.drop_table('customer_todo_links')
    with op.batch_alter_table('customer_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_settings_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_customer_settings_organization_id'))

    op.drop_table('customer_settings')
    with op.batch_alter_table('customer_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_people_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_customer_people_organization_id'))
        batch_op.drop_index(batch_op.f('ix_customer_people_company_entity_id'))

    op.drop_table('customer_people')
    with op.batch_alter_table('customer_entities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_entities_tenant_id'))
        batch_op.drop_index('ix_customer_entities_scope')
        batch_op.drop_index('ix_customer_entities_phone')
        batch_op.drop_index(batch_op.f('ix_customer_entities_organization_id'))

    op.drop_table('customer_entities')
    with op.batch_alter_table('customer_dictionary_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_dictionary_entries_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_customer_dictionary_entries_organization_id'))

    op.drop_table('customer_dictionary_entries')
    with op.batch_alter_table('customer_deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_deals_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_customer_deals_organization_id'))

    op.drop_table('customer_deals')
    with op.batch_alter_table('customer_deal_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_deal_people_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_customer_deal_people_person_entity_id'))
        batch_op.drop_index(batch_op.f('ix_customer_deal_people_organization_id'))
        batch_op.drop_index(batch_op.f('ix_customer_deal_people_deal_id'))

    op.drop_table('customer_deal_people')
    with op.batch_alter_table('customer_deal_companies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_deal_companies_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_customer_deal_companies_organization_id'))
        batch_op.drop_index(batch_op.f('ix_customer_deal_companies_deal_id'))
        batch_op.drop_index(batch_op.f('ix_customer_deal_companies_company_entity_id'))

    op.drop_table('customer_deal_companies')
    with op.batch_alter_table('customer_companies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_companies_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_customer_companies_organization_id'))

    op.drop_table('customer_companies')
    with op.batch_alter_table('customer_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_comments_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_customer_comments_organization_id'))
        batch_op.drop_index(batch_op.f('ix_customer_comments_entity_id'))
        batch_op.drop_index(batch_op.f('ix_customer_comments_deal_id'))

    op.drop_table('customer_comments')
    with op.batch_alter_table('customer_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_addresses_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_customer_addresses_organization_id'))
        batch_op.drop_index(batch_op.f('ix_customer_addresses_entity_id'))

    op.drop_table('customer_addresses')
    with op.batch_alter_table('customer_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_activities_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_customer_activities_organization_id'))
        batch_op.drop_index(batch_op.f('ix_customer_activities_entity_id'))
        batch_op.drop_index(batch_op.f('ix_customer_activities_deal_id'))

    op.drop_table('customer_activities')
