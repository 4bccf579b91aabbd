"""Engine, sessions and the declarative base shared by every module's models."""

from __future__ import annotations

import uuid
import weakref
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Engine, Index, MetaData, String, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from api import sqlite_loop
from api.settings import get_settings

# Named constraints so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware: SQLite keeps no offset,
    and a naive value read back from it would serialize without one."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime()}


class IdMixin:
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SoftDeleteMixin:
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class ScopedMixin:
    """Rows owned by a tenant and an organization (both from the auth context, never the payload)."""

    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)
    organization_id: Mapped[str | None] = mapped_column(String(36), index=True)


class CustomValuesMixin:
    """Rows of a collection that declares custom fields: their values as one JSON document
    `{key: value | [values]}` on the row (api/crud/custom_fields.py, docs/custom-fields.md). On PostgreSQL
    a JSONB column with a GIN index (`jsonb_path_ops`) serves every field's filter; SQLite gets an
    expression index per filtered field when a list first filters by it."""

    custom_values: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"), default=None)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # maps the class: its table exists from here
        table = cls.__dict__.get("__table__")
        if table is not None and "custom_values" in table.c:
            Index(f"ix_{table.name}_custom_values", table.c.custom_values, postgresql_using="gin",
                  postgresql_ops={"custom_values": "jsonb_path_ops"}).ddl_if(dialect="postgresql")


_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    for pragma in (*sqlite_loop.PRAGMAS, f"PRAGMA busy_timeout={sqlite_loop.BUSY_TIMEOUT_MS}"):
        cur.execute(pragma)
    cur.close()


def make_engine(url: str, **pool: Any) -> AsyncEngine:
    """The engine for `url`; `pool` overrides the connection pool's options (pool_size, max_overflow, ...)."""
    if url.startswith("sqlite"):
        # Writes run on the event loop, reads in the connection's thread (api/sqlite_loop.py).
        return create_async_engine(url, connect_args={"async_creator_fn": sqlite_loop.connect}, **pool)
    return create_async_engine(url, **{"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True, **pool})


_sqlite_twins: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def sqlite_twin(engine: AsyncEngine) -> Engine | None:
    """For a SQLite file database: the same file through the plain sqlite3 driver (same settings), for code
    that runs a whole transaction in one worker thread. Through aiosqlite every statement costs the event
    loop four hand-offs to the connection's thread (cursor, execute, fetch, close). None for other
    databases and for in-memory SQLite (another connection would see another database)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or "mode=memory" in str(url):
        return None
    twin = _sqlite_twins.get(engine.sync_engine)
    if twin is None:
        twin = create_engine(url.set(drivername="sqlite"), connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(twin, "connect", _sqlite_pragmas)
        _sqlite_twins[engine.sync_engine] = twin
    return twin


def get_engine() -> AsyncEngine:
    global _engine, _sessionmaker
    if _engine is None:
        settings = get_settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        _engine = make_engine(settings.db_url)
        _sessionmaker = async_sessionmaker(_engine, expire_on_commit=False)
    return _engine


def set_engine(engine: AsyncEngine) -> None:
    """Point the process at another database (tests, tools)."""
    global _engine, _sessionmaker
    _engine = engine
    _sessionmaker = async_sessionmaker(engine, expire_on_commit=False)


def sessionmaker() -> async_sessionmaker[AsyncSession]:
    get_engine()
    assert _sessionmaker is not None
    return _sessionmaker
