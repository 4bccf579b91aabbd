from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, TimestampMixin


class OnboardingRequest(IdMixin, TimestampMixin, Base):
    """A self sign-up waiting for its e-mail to be confirmed. Only the token's hash is kept; the
    password hash is dropped once the account exists."""

    __tablename__ = "onboarding_requests"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    # pending | completed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    organization_name: Mapped[str] = mapped_column(String(240))
    locale: Mapped[str | None] = mapped_column(String(10))
    terms_accepted: Mapped[bool] = mapped_column(default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    organization_id: Mapped[str | None] = mapped_column(String(36))
    user_id: Mapped[str | None] = mapped_column(String(36))
    last_email_sent_at: Mapped[datetime | None] = mapped_column(default=None)
