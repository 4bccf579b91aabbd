"""Booking: teams, team roles and members, resource types and resources, services, availability rule
sets and rules (RFC 5545 text), events with their resource and member indexes, attendees and iCalendar
feed tokens.

Revision ID: d826af288d88
Revises: f9b83b5a18c3
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd826af288d88'
down_revision = 'f9b83b5a18c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('booking_availability_rule_sets',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_availability_rule_sets'))
    )
    with op.batch_alter_table('booking_availability_rule_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_availability_rule_sets_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_availability_rule_sets_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_availability_rules',
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('rrule', sa.Text(), nullable=False),
    sa.Column('exdates', sa.JSON(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_availability_rules'))
    )
    with op.batch_alter_table('booking_availability_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_availability_rules_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_booking_availability_rules_subject', ['tenant_id', 'subject_type', 'subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_availability_rules_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_event_attendees',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('customer_id', sa.String(length=36), nullable=True),
    sa.Column('first_name', sa.String(length=200), nullable=False),
    sa.Column('last_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('address_line1', sa.String(length=300), nullable=True),
    sa.Column('address_line2', sa.String(length=300), nullable=True),
    sa.Column('city', sa.String(length=200), nullable=True),
    sa.Column('region', sa.String(length=200), nullable=True),
    sa.Column('postal_code', sa.String(length=32), nullable=True),
    sa.Column('country', sa.String(length=64), nullable=True),
    sa.Column('attendee_type', sa.String(length=64), nullable=True),
    sa.Column('external_ref', sa.String(length=200), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_event_attendees'))
    )
    with op.batch_alter_table('booking_event_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_event_attendees_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_event_attendees_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_event_attendees_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_event_attendees_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_event_members',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('role_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_event_members')),
    sa.UniqueConstraint('event_id', 'member_id', name=op.f('uq_booking_event_members_event_id'))
    )
    with op.batch_alter_table('booking_event_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_event_members_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_event_members_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_event_members_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_event_members_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_event_resources',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_event_resources')),
    sa.UniqueConstraint('event_id', 'resource_id', name=op.f('uq_booking_event_resources_event_id'))
    )
    with op.batch_alter_table('booking_event_resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_event_resources_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_event_resources_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_event_resources_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_event_resources_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_events',
    sa.Column('service_id', sa.String(length=36), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('rrule', sa.Text(), nullable=True),
    sa.Column('exdates', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requires_confirmations', sa.Boolean(), nullable=False),
    sa.Column('confirmation_mode', sa.String(length=20), nullable=False),
    sa.Column('confirmation_deadline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('resources', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_events'))
    )
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_events_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_events_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_events_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_events_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_feed_tokens',
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_feed_tokens')),
    sa.UniqueConstraint('subject_type', 'subject_id', name=op.f('uq_booking_feed_tokens_subject_type')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_booking_feed_tokens_token_hash'))
    )
    with op.batch_alter_table('booking_feed_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_feed_tokens_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_feed_tokens_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_resource_types',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('appearance_icon', sa.String(length=100), nullable=True),
    sa.Column('appearance_color', sa.String(length=16), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_resource_types'))
    )
    with op.batch_alter_table('booking_resource_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_resource_types_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_resource_types_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_resources',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('resource_type_id', sa.String(length=36), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('capacity_unit_value', sa.String(length=100), nullable=True),
    sa.Column('capacity_unit_name', sa.String(length=200), nullable=True),
    sa.Column('capacity_unit_color', sa.String(length=16), nullable=True),
    sa.Column('capacity_unit_icon', sa.String(length=100), nullable=True),
    sa.Column('appearance_icon', sa.String(length=100), nullable=True),
    sa.Column('appearance_color', sa.String(length=16), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('availability_rule_set_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_resources'))
    )
    with op.batch_alter_table('booking_resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_resources_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_resources_resource_type_id'), ['resource_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_resources_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_services',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('capacity_model', sa.String(length=20), nullable=False),
    sa.Column('max_attendees', sa.Integer(), nullable=True),
    sa.Column('required_roles', sa.JSON(), nullable=False),
    sa.Column('required_members', sa.JSON(), nullable=False),
    sa.Column('required_resources', sa.JSON(), nullable=False),
    sa.Column('required_resource_types', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_services'))
    )
    with op.batch_alter_table('booking_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_services_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_services_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_team_members',
    sa.Column('team_id', sa.String(length=36), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('role_ids', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('availability_rule_set_id', sa.String(length=36), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_team_members'))
    )
    with op.batch_alter_table('booking_team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_team_members_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_team_members_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_team_members_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_team_members_user_id'), ['user_id'], unique=False)

    op.create_table('booking_team_roles',
    sa.Column('team_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('appearance_icon', sa.String(length=100), nullable=True),
    sa.Column('appearance_color', sa.String(length=16), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_team_roles'))
    )
    with op.batch_alter_table('booking_team_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_team_roles_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_team_roles_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_team_roles_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_teams',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=36), nullable=True),
    sa.Column('organization_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_teams'))
    )
    with op.batch_alter_table('booking_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_teams_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_teams_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('booking_teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_teams_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_teams_organization_id'))

    op.drop_table('booking_teams')
    with op.batch_alter_table('booking_team_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_team_roles_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_team_roles_team_id'))
        batch_op.drop_index(batch_op.f('ix_booking_team_roles_organization_id'))

    op.drop_table('booking_team_roles')
    with op.batch_alter_table('booking_team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_team_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_booking_team_members_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_team_members_team_id'))
        batch_op.drop_index(batch_op.f('ix_booking_team_members_organization_id'))

    op.drop_table('booking_team_members')
    with op.batch_alter_table('booking_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_services_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_services_organization_id'))

    op.drop_table('booking_services')
    with op.batch_alter_table('booking_resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_resources_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_resources_resource_type_id'))
        batch_op.drop_index(batch_op.f('ix_booking_resources_organization_id'))

    op.drop_table('booking_resources')
    with op.batch_alter_table('booking_resource_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_resource_types_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_resource_types_organization_id'))

    op.drop_table('booking_resource_types')
    with op.batch_alter_table('booking_feed_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_feed_tokens_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_feed_tokens_organization_id'))

    op.drop_table('booking_feed_tokens')
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_events_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_events_starts_at'))
        batch_op.drop_index(batch_op.f('ix_booking_events_service_id'))
        batch_op.drop_index(batch_op.f('ix_booking_events_organization_id'))

    op.drop_table('booking_events')
    with op.batch_alter_table('booking_event_resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_event_resources_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_event_resources_resource_id'))
        batch_op.drop_index(batch_op.f('ix_booking_event_resources_organization_id'))
        batch_op.drop_index(batch_op.f('ix_booking_event_resources_event_id'))

    op.drop_table('booking_event_resources')
    with op.batch_alter_table('booking_event_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_event_members_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_event_members_organization_id'))
        batch_op.drop_index(batch_op.f('ix_booking_event_members_member_id'))
        batch_op.drop_index(batch_op.f('ix_booking_event_members_event_id'))

    op.drop_table('booking_event_members')
    with op.batch_alter_table('booking_event_attendees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_event_attendees_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_event_attendees_organization_id'))
        batch_op.drop_index(batch_op.f('ix_booking_event_attendees_event_id'))
        batch_op.drop_index(batch_op.f('ix_booking_event_attendees_customer_id'))

    op.drop_table('booking_event_attendees')
    with op.batch_alter_table('booking_availability_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_availability_rules_tenant_id'))
        batch_op.drop_index('ix_booking_availability_rules_subject')
        batch_op.drop_index(batch_op.f('ix_booking_availability_rules_organization_id'))

    op.drop_table('booking_availability_rules')
    with op.batch_alter_table('booking_availability_rule_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_availability_rule_sets_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_availability_rule_sets_organization_id'))

    op.drop_table('booking_availability_rule_sets')
