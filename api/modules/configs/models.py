from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, IdMixin, utcnow


class UpgradeActionRun(IdMixin, Base):
    """A one-off upgrade action done for an organization: it is offered until recorded here."""

    __tablename__ = "upgrade_action_runs"
    __table_args__ = (UniqueConstraint("version", "action_id", "organization_id", "tenant_id",
                                       name="uq_upgrade_action_runs_action_scope"),)

    version: Mapped[str] = mapped_column(String(32))
    action_id: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[str] = mapped_column(String(36), index=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkerHeartbeat(Base):
    """One row per worker process, touched every few seconds while it runs (`/configs/system-status`)."""

    __tablename__ = "configs_worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
