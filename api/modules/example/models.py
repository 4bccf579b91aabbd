"""The module others copy: one `Resource` declaration and a few lookups. Read this first."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, CustomValuesMixin, IdMixin, ScopedMixin, SoftDeleteMixin, TimestampMixin


class Todo(CustomValuesMixin, IdMixin, TimestampMixin, SoftDeleteMixin, ScopedMixin, Base):
    """Priority, severity, description, assignee, due date and tags are custom fields of
    `example:todo` (see resources.py), stored by the kit, not columns."""

    __tablename__ = "example_todos"

    title: Mapped[str] = mapped_column(String(500))
    is_done: Mapped[bool] = mapped_column(default=False)
