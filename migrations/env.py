"""Alembic environment: async engines for both SQLite and PostgreSQL; the URL comes from settings
unless the caller passed a connection (tests, `api.cli migrate`)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from api.app import load_models
from api.db import Base, UTCDateTime, make_engine
from api.settings import get_settings

load_models()
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Migrations stay independent of application code: our UTC wrapper is stored as a plain
    # timezone-aware DateTime.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _include(dialect: str) -> Any:
    # An index the models create on one dialect only (`Index(...).ddl_if(dialect=...)`, e.g. the GIN
    # index of custom values on PostgreSQL) is not expected on the others.
    def include(obj: Any, _name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
        wanted = getattr(getattr(obj, "_ddl_if", None), "dialect", None) if type_ == "index" else None
        return wanted is None or wanted == dialect
    return include


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                      render_item=_render_item, include_object=_include(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


async def _online(url: str) -> None:
    engine = make_engine(url)
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


connection: Any = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_online(context.config.attributes.get("url") or get_settings().db_url))
