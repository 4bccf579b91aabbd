"""The module's four tables (rules, rule sets, set members, execution logs), plus the domain-event
marker on logs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, SoftDeleteMixin, TimestampMixin, new_id, utcnow

# SQL NULL (not JSON `null`) for absent expressions and actions, so `IS NULL` means "none".
_JSON = JSON(none_as_null=True)


class BusinessRule(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "business_rules"
    # Unique per tenant, not per organization, soft-deleted rows included (as the reference).
    __table_args__ = (
        UniqueConstraint("rule_id", "tenant_id", name="business_rules_rule_id_tenant_id_unique"),
        Index("business_rules_entity_event_idx", "entity_type", "event_type", "enabled"),
        Index("business_rules_tenant_org_idx", "tenant_id", "organization_id"),
        Index("business_rules_type_enabled_idx", "rule_type", "enabled", "priority"),
        Index("business_rules_event_type_idx", "event_type", "tenant_id", "organization_id"),
    )

    rule_id: Mapped[str] = mapped_column(String(50))
    rule_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    rule_type: Mapped[str] = mapped_column(String(20))
    rule_category: Mapped[str | None] = mapped_column(String(50))
    entity_type: Mapped[str] = mapped_column(String(50))
    event_type: Mapped[str | None] = mapped_column(String(50))
    condition_expression: Mapped[Any] = mapped_column(_JSON, nullable=True, default=None)
    success_actions: Mapped[Any] = mapped_column(_JSON, nullable=True, default=None)
    failure_actions: Mapped[Any] = mapped_column(_JSON, nullable=True, default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    version: Mapped[int] = mapped_column(Integer, default=1)
    effective_from: Mapped[datetime | None] = mapped_column(default=None)
    effective_to: Mapped[datetime | None] = mapped_column(default=None)
    tenant_id: Mapped[str] = mapped_column(String(36))
    organization_id: Mapped[str] = mapped_column(String(36))
    created_by: Mapped[str | None] = mapped_column(String(255))
    updated_by: Mapped[str | None] = mapped_column(String(255))


class RuleSet(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "rule_sets"
    __table_args__ = (
        UniqueConstraint("set_id", "tenant_id", name="rule_sets_set_id_tenant_id_unique"),
        Index("rule_sets_tenant_org_idx", "tenant_id", "organization_id"),
        Index("rule_sets_enabled_idx", "enabled"),
    )

    set_id: Mapped[str] = mapped_column(String(50))
    set_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    organization_id: Mapped[str] = mapped_column(String(36))
    created_by: Mapped[str | None] = mapped_column(String(255))
    updated_by: Mapped[str | None] = mapped_column(String(255))


class RuleSetMember(Base):
    """Junction of sets and rules; removing a member is a hard delete."""

    __tablename__ = "rule_set_members"
    __table_args__ = (
        UniqueConstraint("rule_set_id", "rule_id", name="rule_set_members_set_rule_unique"),
        Index("rule_set_members_set_idx", "rule_set_id", "sequence"),
        Index("rule_set_members_rule_idx", "rule_id"),
        Index("rule_set_members_tenant_org_idx", "tenant_id", "organization_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    rule_set_id: Mapped[str] = mapped_column(String(36), ForeignKey("rule_sets.id", onupdate="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(36), ForeignKey("business_rules.id", onupdate="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(default=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    organization_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RuleExecutionLog(Base):
    """One row per rule run (never on dry runs); append-only.

    `event_id` is set when a domain event triggered the run: unique with the rule, it makes a
    redelivered event a no-op for the rules it already ran. A workflow guard sets it to its evaluation's
    key, for the same reason (a local activity run again after a worker crash).
    """

    __tablename__ = "rule_execution_logs"
    __table_args__ = (
        UniqueConstraint("event_id", "rule_id", name="rule_execution_logs_event_rule_unique"),
        Index("rule_execution_logs_rule_idx", "rule_id"),
        Index("rule_execution_logs_entity_idx", "entity_type", "entity_id"),
        Index("rule_execution_logs_result_idx", "execution_result", "executed_at"),
        Index("rule_execution_logs_tenant_org_idx", "tenant_id", "organization_id"),
    )

    # Integer on SQLite so it is the rowid alias (autoincrement); BIGINT identity on PostgreSQL.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    rule_id: Mapped[str] = mapped_column(String(36), ForeignKey("business_rules.id", onupdate="CASCADE"))
    entity_id: Mapped[str] = mapped_column(String(255))
    # 255, not the reference's 50: workflow callers build `workflow:<id>:transition`.
    entity_type: Mapped[str] = mapped_column(String(255))
    execution_result: Mapped[str] = mapped_column(String(20))
    input_context: Mapped[Any] = mapped_column(_JSON, nullable=True, default=None)
    output_context: Mapped[Any] = mapped_column(_JSON, nullable=True, default=None)
    error_message: Mapped[str | None] = mapped_column(Text)
    execution_time_ms: Mapped[int] = mapped_column(Integer, default=0)
    executed_at: Mapped[datetime] = mapped_column(default=utcnow)
    tenant_id: Mapped[str] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    executed_by: Mapped[str | None] = mapped_column(String(255))
    event_id: Mapped[str | None] = mapped_column(String(36), default=None)
