"""SQLite for an event loop: aiosqlite, with the calls that are quick by nature run on the loop itself.

aiosqlite runs every call of a connection in that connection's thread: a statement costs the loop four hand-offs
(cursor, execute, fetch, close), each a queue put, a thread wake-up and a wake-up of the loop again. For a write
that is most of its cost: an INSERT by key takes SQLite a few microseconds, the hand-offs about a hundred, and
more when both cores are busy (docs/benchmarks.md, "SQLite calls on the loop, changes by level, heap settled").
So `LoopConnection` runs on the loop:

- cursor creation and closing, and ROLLBACK;
- INSERT, UPDATE, DELETE, BEGIN, SAVEPOINT, RELEASE and ROLLBACK statements and the rows they return, and COMMIT:
  with WAL they never wait for a reader, and with `synchronous=NORMAL` a commit writes the WAL without fsync;
- nothing while an earlier call of the same connection still runs in its thread (a cancelled request's), and
  every `LOOP_STREAK`th call of an unbroken run of them, so a long run of writes lets the loop serve others.

Everything else stays in the thread, where it does not hold up other requests: SELECTs (a list can scan and sort
many rows), `executemany`, DDL, checkpoints, closing.

Two things could make a call on the loop wait, and both are moved off it:
- Another connection holds the write lock. The connection's busy timeout is 0, so the call fails at once with
  SQLITE_BUSY; it is then run again in the thread with the usual timeout (`BUSY_TIMEOUT_MS`), as is any call
  the thread runs that meets a lock. A statement that failed with SQLITE_BUSY changed nothing, so running it
  again is safe.
- A commit that crosses SQLite's automatic checkpoint threshold would copy the WAL into the database and fsync
  it. Automatic checkpoints are off on these connections; instead, once `CHECKPOINT_ROWS` rows were changed
  through them since the last one (about SQLite's default threshold of 1,000 pages), a passive checkpoint runs
  in the committing connection's thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite

# How long a call waits for another connection's write lock (SQLite's busy timeout), in the thread.
BUSY_TIMEOUT_MS = 10_000
# Rows changed through loop connections between two checkpoints (this process).
CHECKPOINT_ROWS = 1_000
# Calls in a row a connection runs on the loop before it hands one to its thread, so that the loop gets a turn
# during a long run of writes (an import flushing thousands of rows): ~50 statements, a few milliseconds.
LOOP_STREAK = 200
# Statements run on the loop: writes by their first word (upper case, after leading blanks).
_LOOP_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")
_LOOP_CALLS = frozenset({"cursor", "rollback", "commit"})
_FETCHES = frozenset({"fetchall", "fetchone", "fetchmany"})
PRAGMAS = ("PRAGMA journal_mode=WAL",
           # With WAL, NORMAL stays consistent after a crash and only a power loss can drop the last commits.
           "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON")
SQLITE_BUSY = 5


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY and its extended codes (another connection holds the lock)."""
    return isinstance(exc, sqlite3.OperationalError) and getattr(exc, "sqlite_errorcode", 0) & 0xFF == SQLITE_BUSY


class _Checkpoints:
    """Rows changed through this process's loop connections since the last checkpoint."""

    changed = 0


class LoopConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs quick calls on the event loop (module docstring)."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        # Calls handed to the thread and calls it finished: each counter is written by one thread only.
        self._handed = 0
        self._finished = 0
        self._changes_seen = 0
        self._streak = 0  # calls run on the loop since the last one in the thread

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if (self._connection is not None and self._handed == self._finished and self._streak < LOOP_STREAK
                and _on_loop(fn, args)):
            self._streak += 1
            try:
                result = fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                result = await self._in_thread(fn, *args, **kwargs)  # tried again there, waiting (_counted)
        else:
            result = await self._in_thread(fn, *args, **kwargs)
        if getattr(fn, "__name__", "") == "commit":
            await self._count_changes()
        return result

    async def _in_thread(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._handed += 1
        self._streak = 0
        return await super()._execute(self._counted, fn, *args, **kwargs)

    def _counted(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`fn` in the thread; one that meets another connection's lock (a write the loop does not run, such as
        DDL or `executemany`) waits for it as on any other connection."""
        try:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
            return self._patient(fn, *args, **kwargs)
        finally:
            self._finished += 1

    def _patient(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`fn` in the thread, waiting for another connection's lock as long as any connection would."""
        self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            return fn(*args, **kwargs)
        finally:
            self._conn.execute("PRAGMA busy_timeout=0")

    async def _count_changes(self) -> None:
        if self._connection is None:
            return
        total = self._connection.total_changes
        _Checkpoints.changed += total - self._changes_seen
        self._changes_seen = total
        if _Checkpoints.changed >= CHECKPOINT_ROWS:
            _Checkpoints.changed = 0
            await self._in_thread(self._checkpoint)

    def _checkpoint(self) -> None:
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").close()


def _on_loop(fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    name = getattr(fn, "__name__", "")
    if name == "execute":
        return bool(args) and isinstance(args[0], str) and args[0].lstrip()[:9].upper().startswith(_LOOP_STATEMENTS)
    if name in _FETCHES:  # the rows a write returned (RETURNING); a SELECT's rowcount is -1
        return getattr(getattr(fn, "__self__", None), "rowcount", -1) != -1
    if name == "close":
        return isinstance(getattr(fn, "__self__", None), sqlite3.Cursor)
    return name in _LOOP_CALLS


def connect(database: str, **kwargs: Any) -> LoopConnection:
    """Passed to SQLAlchemy's aiosqlite dialect as `connect_args={"async_creator_fn": connect}`: the dialect
    calls it with the URL's database and options (in place of `aiosqlite.connect`), so the engine's connect
    events fire as for any other connection."""
    # The loop and the connection's thread take turns on it (never both at once: LoopConnection._execute).
    kwargs.update(check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn = LoopConnection(partial(_open, database, kwargs), 64)
    conn._thread.daemon = True  # as SQLAlchemy's own aiosqlite connect does
    return conn


def _open(database: str, kwargs: dict[str, Any]) -> sqlite3.Connection:
    conn = sqlite3.connect(database, **kwargs)
    for pragma in (*PRAGMAS, "PRAGMA busy_timeout=0", "PRAGMA wal_autocheckpoint=0"):
        conn.execute(pragma).close()
    return conn
