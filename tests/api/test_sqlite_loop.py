"""api/sqlite_loop.py: which calls run on the event loop, and that a locked database or a checkpoint never holds
the loop up."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from api import sqlite_loop
from api.db import make_engine
from api.sqlite_loop import LoopConnection


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "loop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    return path


@pytest.fixture
async def conn(db: Path) -> AsyncIterator[LoopConnection]:
    connection = sqlite_loop.connect(str(db))
    await connection
    try:
        yield connection
    finally:
        await connection.close()


def file_size(path: Path) -> int:
    return path.stat().st_size


class Ticker:
    """Counts the turns the event loop gives a task of its own while a test waits on the database."""

    def __init__(self, pause: float) -> None:
        self.ticks = 0
        self._pause = pause
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.ticks += 1
            await asyncio.sleep(self._pause)

    def stop(self) -> None:
        self._task.cancel()


def handed(conn: LoopConnection) -> int:
    return conn._handed


async def test_writes_and_commit_run_on_the_loop_reads_in_the_thread(conn: LoopConnection) -> None:
    before = handed(conn)
    await conn.execute("INSERT INTO t (v) VALUES (?)", ("a",))
    await conn.execute("UPDATE t SET v = 'b'")
    await conn.commit()
    assert handed(conn) == before
    cursor = await conn.execute("SELECT v FROM t")
    assert await cursor.fetchall() == [("b",)]
    assert handed(conn) > before


async def test_rows_a_write_returns_are_read_on_the_loop(conn: LoopConnection) -> None:
    before = handed(conn)
    cursor = await conn.execute("INSERT INTO t (v) VALUES ('x') RETURNING id")
    rows = await cursor.fetchall()
    await cursor.close()
    await conn.commit()
    assert [tuple(r) for r in rows] == [(1,)]
    assert handed(conn) == before


async def test_a_write_waits_for_another_connections_lock_in_the_thread(conn: LoopConnection, db: Path) -> None:
    holder = sqlite3.connect(db, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, held by another connection
    holder.execute("INSERT INTO t (v) VALUES ('first')")
    ticker = Ticker(0.01)
    write = asyncio.create_task(conn.execute("INSERT INTO t (v) VALUES ('second')"))
    await asyncio.sleep(0.3)
    assert not write.done()  # waiting for the lock ...
    assert ticker.ticks >= 10  # ... in the thread: the loop ran on meanwhile
    holder.commit()
    await asyncio.wait_for(write, 10)
    await conn.commit()
    ticker.stop()
    holder.close()
    cursor = await conn.execute("SELECT v FROM t ORDER BY id")
    assert [r[0] for r in await cursor.fetchall()] == ["first", "second"]
    # The timeout is back to 0: the next write that meets a lock goes to the thread again.
    cursor = await conn.execute("PRAGMA busy_timeout")
    assert tuple(await cursor.fetchall()) == ((0,),)


async def test_a_lock_held_past_the_timeout_fails_as_before(conn: LoopConnection, db: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_loop, "BUSY_TIMEOUT_MS", 100)
    holder = sqlite3.connect(db)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        await conn.execute("INSERT INTO t (v) VALUES ('late')")
    holder.rollback()
    holder.close()


async def test_a_write_the_thread_runs_waits_for_the_lock_too(conn: LoopConnection, db: Path) -> None:
    holder = sqlite3.connect(db, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    many = asyncio.create_task(conn.executemany("INSERT INTO t (v) VALUES (?)", [("a",), ("b",)]))  # the thread's
    await asyncio.sleep(0.2)
    assert not many.done()  # waiting, not "database is locked" at once
    holder.commit()
    holder.close()
    await asyncio.wait_for(many, 10)
    await conn.commit()
    cursor = await conn.execute("SELECT count(*) FROM t")
    assert tuple(await cursor.fetchall()) == ((2,),)


async def test_a_long_run_of_writes_lets_the_loop_serve_others(conn: LoopConnection) -> None:
    ticker = Ticker(0)
    await asyncio.sleep(0)
    before, seen = handed(conn), ticker.ticks
    for i in range(3 * sqlite_loop.LOOP_STREAK):
        await conn.execute("INSERT INTO t (v) VALUES (?)", (str(i),))
    await conn.commit()
    ticker.stop()
    assert handed(conn) - before >= 2  # every LOOP_STREAK-th call went to the thread ...
    assert ticker.ticks > seen  # ... and the loop ran the ticker meanwhile


async def test_no_call_runs_on_the_loop_while_the_thread_still_runs_one(conn: LoopConnection) -> None:
    slow = asyncio.create_task(conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT count(*) FROM n"))
    await asyncio.sleep(0.01)
    assert not slow.done()
    before = handed(conn)
    await conn.execute("INSERT INTO t (v) VALUES ('after')")
    assert handed(conn) == before + 1  # queued behind the SELECT instead of running beside it
    assert slow.done()
    await conn.commit()


async def test_checkpoints_run_by_rows_changed_not_by_commit(conn: LoopConnection, db: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_loop, "CHECKPOINT_ROWS", 50)
    monkeypatch.setattr(sqlite_loop._Checkpoints, "changed", 0)
    size = file_size(db)
    for i in range(40):
        await conn.execute("INSERT INTO t (v) VALUES (?)", ("x" * 2000 + str(i),))
        await conn.commit()
    assert file_size(db) == size  # SQLite's own checkpoints are off: everything is still in the WAL
    before = handed(conn)
    for i in range(10):
        await conn.execute("INSERT INTO t (v) VALUES (?)", ("y" * 2000 + str(i),))
        await conn.commit()
    assert handed(conn) == before + 1  # one checkpoint, in the thread
    assert file_size(db) > size + 40 * 2000


async def test_the_engine_writes_a_transaction_without_a_hand_off(db: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert isinstance(driver, LoopConnection)
            before = handed(driver)
            await connection.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "one"}])
            await connection.execute(text("UPDATE t SET v = 'two' WHERE v = 'one'"))
            await connection.commit()
            assert handed(driver) == before
            assert (await connection.execute(text("SELECT v FROM t"))).scalars().all() == ["two"]
            settings = [(await connection.execute(text(f"PRAGMA {p}"))).scalar()
                        for p in ("journal_mode", "foreign_keys", "busy_timeout", "wal_autocheckpoint")]
            assert settings == ["wal", 1, 0, 0]
    finally:
        await engine.dispose()
