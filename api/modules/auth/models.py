from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, SoftDeleteMixin, TimestampMixin


class User(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_confirmed: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)
    organization_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Signed-in tokens carry the version they were issued under; logging out, a new password or new
    # roles move it on, which ends every older token at once.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")


class Role(IdMixin, TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(100))
    # Null tenant: a global role, visible to every tenant.
    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)


class UserRole(IdMixin, Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), index=True)


class RoleAcl(IdMixin, TimestampMixin, Base):
    __tablename__ = "role_acls"

    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)
    features_json: Mapped[list[Any]] = mapped_column(default=list)
    is_super_admin: Mapped[bool] = mapped_column(default=False)
    # Null: every organization of the tenant; else the organization ids this grant may see.
    organizations_json: Mapped[list[Any] | None] = mapped_column(default=None)


class UserAcl(IdMixin, TimestampMixin, Base):
    """A user's own grant; when present it overrides the grants of the user's roles."""

    __tablename__ = "user_acls"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)
    features_json: Mapped[list[Any]] = mapped_column(default=list)
    is_super_admin: Mapped[bool] = mapped_column(default=False)
    organizations_json: Mapped[list[Any] | None] = mapped_column(default=None)


class Session(IdMixin, TimestampMixin, Base):
    """A remember-me session; only the sha256 of its token is stored."""

    __tablename__ = "sessions"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class PasswordReset(IdMixin, TimestampMixin, Base):
    __tablename__ = "password_resets"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class UserSidebarPreference(IdMixin, TimestampMixin, Base):
    __tablename__ = "user_sidebar_preferences"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id", "organization_id", "locale"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    settings_json: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RoleSidebarPreference(IdMixin, TimestampMixin, Base):
    __tablename__ = "role_sidebar_preferences"
    __table_args__ = (UniqueConstraint("role_id", "tenant_id", "locale"),)

    role_id: Mapped[str] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    settings_json: Mapped[dict[str, Any]] = mapped_column(default=dict)
