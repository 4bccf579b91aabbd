"""A running instance's SQL projection, written for the API to read: its row, step instances, user tasks,
parallel branches and events (`api/modules/workflows/models.py`).

The workflow hands over everything that changed since its last write: to the `project` local activity,
or, for the write that precedes a sync activity, to that activity (`run_activity_with_projection`, the
worker's `run_activity`), which writes it before the side effect. Retries are harmless: rows are
upserted by the ids the workflow generated, events whose `event_key` exists are skipped, and an instance
write older than the row's `projection_seq` is ignored (a late batch only adds the events it has that
are missing).

Group commit: the batches of all instances that arrive while a transaction is being written are written
together in the next one, with a handful of multi-row statements whatever their number. SQLite has one
writer at a time; many small transactions racing for its lock (each waiting in SQLite's sleeping busy
handler while the event loop is busy running workflows) made a write take 100+ ms under load, and every
workflow task waits for its projection write (bench/workflows.py, docs/benchmarks.md). PostgreSQL gains
fewer commits. A group that fails is retried batch by batch, so one bad batch fails only its own call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import weakref
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, inspect, select
from sqlalchemy.types import DateTime
from temporalio import activity

from activities.deps import get_deps
from activities.run import execute
from api.db import Base, get_engine, sqlite_twin, utcnow
from api.metrics import (
    INSTANCES_CANCELLED,
    INSTANCES_COMPLETED,
    INSTANCES_FAILED,
    INSTANCES_STARTED,
    STEP_DURATION,
    definition_label,
)
from api.modules.workflows.models import (
    StepInstance,
    UserTask,
    WorkflowBranchInstance,
    WorkflowEvent,
    WorkflowInstance,
)
from engine.contract import ACTIVITY_PROJECT, ACTIVITY_RUN, PROJECTED, ProjectionBatch, RunActivityInput

# Batches per transaction: bounds how long one write holds SQLite's lock.
MAX_GROUP = 200


@cache
def _columns(model: type[Base]) -> tuple[dict[str, str], frozenset[str]]:
    """Attribute name → column key, and the attributes holding datetimes."""
    def is_datetime(column_type: Any) -> bool:
        return isinstance(getattr(column_type, "impl", column_type), DateTime)

    attrs = inspect(model).column_attrs
    return ({attr.key: attr.columns[0].key for attr in attrs},
            frozenset(attr.key for attr in attrs if is_datetime(attr.columns[0].type)))


def _values(model: type[Base], row: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The row keyed by column, its ISO timestamps parsed (the workflow sends JSON-safe values only)."""
    keys, dates = _columns(model)
    out = {keys[key]: datetime.fromisoformat(value) if key in dates and isinstance(value, str) else value
           for key, value in row.items()}
    out.update(extra)
    return out


def _insert(dialect: str, table: Table) -> Any:
    """INSERT with ON CONFLICT, which SQLite and PostgreSQL spell alike (through their own dialects)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


@cache
def _upsert_statement(dialect: str, model: type[Base], keys: tuple[str, ...], newer_only: bool) -> Any:
    """Built once per shape: building `excluded` and the SET clause costs more than running the statement."""
    table: Table = model.__table__  # type: ignore[assignment]
    stmt = _insert(dialect, table)
    changed = {key: stmt.excluded[key] for key in keys if key not in ("id", "created_at")}
    where = table.c.projection_seq <= stmt.excluded.projection_seq if newer_only else None
    return stmt.on_conflict_do_update(index_elements=[table.c.id], set_=changed, where=where)


_STORED_SEQ = select(WorkflowInstance.id, WorkflowInstance.projection_seq).where(
    WorkflowInstance.id.in_(bindparam("ids", expanding=True)))


@cache
def _event_statement(dialect: str) -> Any:
    table: Table = WorkflowEvent.__table__  # type: ignore[assignment]
    return _insert(dialect, table).on_conflict_do_nothing(index_elements=[table.c.event_key])


def _by_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive rows with the same columns, in order: one multi-row statement needs the same columns in
    every row, and events must go in in the order they happened."""
    runs: list[tuple[tuple[str, ...], list[dict[str, Any]]]] = []
    for row in rows:
        keys = tuple(row)
        if runs and runs[-1][0] == keys:
            runs[-1][1].append(row)
        else:
            runs.append((keys, [row]))
    return [group for _, group in runs]


def _upsert(conn: Connection, model: type[Base], rows: list[dict[str, Any]], *, newer_only: bool = False) -> None:
    """Insert or update by id. With `newer_only` a stored row with a higher `projection_seq` is kept."""
    for group in _by_keys(rows):
        conn.execute(_upsert_statement(conn.dialect.name, model, tuple(group[0]), newer_only), group)


def write(conn: Connection, batches: list[ProjectionBatch]) -> None:
    """Apply `batches` (in arrival order) in `conn`'s transaction, reads first and then a few multi-row
    writes, so the write lock is held briefly. Synchronous: it runs in one thread with SQLite's own driver,
    or through `AsyncConnection.run_sync` elsewhere (`_commit`)."""
    ids = list({batch.instance_id for batch in batches})
    stored: dict[str, int] = {row[0]: row[1] for row in conn.execute(_STORED_SEQ, {"ids": ids})}
    now = utcnow()
    instances: dict[str, dict[str, Any]] = {}
    rows: dict[type[Base], dict[str, dict[str, Any]]] = {StepInstance: {}, WorkflowBranchInstance: {}, UserTask: {}}
    events: list[dict[str, Any]] = []
    for batch in batches:
        if (stored.get(batch.instance_id) or 0) <= batch.seq:
            # Not a late retry: its rows are the newest (later batches of the group overwrite them).
            stored[batch.instance_id] = batch.seq
            if batch.instance is not None:
                instances[batch.instance_id] = _values(WorkflowInstance, batch.instance, projection_seq=batch.seq,
                                                       updated_at=now)
            sources: list[tuple[type[Base], list[dict[str, Any]]]] = [
                (StepInstance, batch.steps), (WorkflowBranchInstance, batch.branches), (UserTask, batch.tasks)]
            for model, source in sources:
                for row in source:
                    rows[model][row["id"]] = _values(model, row, updated_at=now)
        events += [_values(WorkflowEvent, event, workflow_instance_id=batch.instance_id, tenant_id=batch.tenant_id,
                           organization_id=batch.organization_id) for event in batch.events]
    if instances:
        _upsert(conn, WorkflowInstance, list(instances.values()), newer_only=True)
    for model, by_id in rows.items():
        if by_id:
            _upsert(conn, model, list(by_id.values()))
    for group in _by_keys(events):
        # In batch order, so event ids keep the order things happened in when timestamps tie.
        conn.execute(_event_statement(conn.dialect.name), group)


def _commit_in_thread(engine: Engine, batches: list[ProjectionBatch]) -> None:
    with engine.begin() as conn:
        write(conn, batches)


async def _commit(batches: list[ProjectionBatch]) -> None:
    """One transaction. On a SQLite file it runs whole in one worker thread (`api.db.sqlite_twin`): a group
    is ~7 statements, which through aiosqlite cost ~30 hand-offs between the event loop and the connection's
    thread, the largest part of the worker's CPU per instance (docs/benchmarks.md, "projection in
    one thread")."""
    engine = get_engine()
    twin = sqlite_twin(engine)
    if twin is not None:
        await asyncio.to_thread(_commit_in_thread, twin, batches)
        return
    async with engine.begin() as conn:
        await conn.run_sync(write, batches)


class _GroupWriter:
    """One per event loop: batches queue up while a transaction is written, then go in the next one."""

    def __init__(self) -> None:
        self.queue: list[tuple[ProjectionBatch, asyncio.Future[None]]] = []
        self.task: asyncio.Task[None] | None = None

    async def submit(self, batch: ProjectionBatch) -> None:
        future = asyncio.get_running_loop().create_future()
        self.queue.append((batch, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain())
        # A cancelled caller leaves its batch queued: writing it anyway is harmless (idempotent).
        await future

    async def _drain(self) -> None:
        group: list[tuple[ProjectionBatch, asyncio.Future[None]]] = []
        try:
            while self.queue:
                group, self.queue = self.queue[:MAX_GROUP], self.queue[MAX_GROUP:]
                try:
                    await _commit([batch for batch, _ in group])
                except Exception:  # noqa: BLE001 - settled batch by batch below
                    for batch, future in group:
                        try:
                            await _commit([batch])
                        except Exception as error:  # noqa: BLE001 - the caller's activity fails and retries
                            _settle(future, error)
                        else:
                            _settle(future, None)
                else:
                    for _, future in group:
                        _settle(future, None)
                group = []
        except BaseException as error:
            # Stopped (the loop is closing): nobody may wait forever.
            for _, future in [*group, *self.queue]:
                _settle(future, RuntimeError(f"projection writer stopped: {error!r}"))
            self.queue = []
            raise


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


_LIFECYCLE = {"WORKFLOW_STARTED": INSTANCES_STARTED, "WORKFLOW_COMPLETED": INSTANCES_COMPLETED,
              "WORKFLOW_FAILED": INSTANCES_FAILED, "WORKFLOW_CANCELLED": INSTANCES_CANCELLED}


def observe(batch: ProjectionBatch) -> None:
    """The metrics of what a written batch records (docs/operations.md): the workflow measures nothing itself
    (it must stay deterministic), and every start, end and step it makes passes through here once written.
    A write retried after it had succeeded (rare) counts its batch again. Never raises: the batch is written,
    and a metric must not make its activity fail and write it again."""
    try:
        definition = definition_label((batch.instance or {}).get("workflow_id"))
        for event in batch.events:
            counter = _LIFECYCLE.get(event.get("event_type", ""))
            if counter is not None:
                counter.labels(definition).inc()
        for step in batch.steps:
            if step.get("entered_at") and step.get("exited_at"):
                seconds = datetime.fromisoformat(step["exited_at"]) - datetime.fromisoformat(step["entered_at"])
                STEP_DURATION.labels(definition, step.get("step_type") or "unknown",
                                     step.get("status") or "unknown").observe(seconds.total_seconds())
    except Exception:  # noqa: BLE001 - see above
        activity.logger.warning("projection metrics not recorded", exc_info=True)


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _GroupWriter] = weakref.WeakKeyDictionary()


async def _submit(batch: ProjectionBatch) -> None:
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = _GroupWriter()
    await writer.submit(batch)


@activity.defn(name=ACTIVITY_PROJECT)
async def project(batch: ProjectionBatch) -> None:
    await _submit(batch)
    observe(batch)


@activity.defn(name=ACTIVITY_RUN)
async def run_activity_with_projection(inp: RunActivityInput) -> dict[str, Any]:
    """`run_activity` as the worker registers it: `activities.run`'s, writing first the projection batch the
    workflow handed it (`RunActivityInput.projection`), so the step shows before the side effect happens
    without a local activity of its own. A failed write does not hold the side effect back: the answer says
    so and the workflow writes the batch itself."""
    batch = inp.projection
    if batch is None:
        return await execute(inp, get_deps())
    try:
        await _submit(batch)
        projected = True
    except Exception:  # noqa: BLE001 - reported to the workflow, which writes the batch with retries
        activity.logger.warning("projection write failed; the workflow will write it", exc_info=True)
        projected = False
    output = await execute(dataclasses.replace(inp, projection=None), get_deps())
    if projected:
        # Only now: when the activity fails, the workflow writes the batch again itself (`project`).
        observe(batch)
    return {PROJECTED: projected, "output": output}
