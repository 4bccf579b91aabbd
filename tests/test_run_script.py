"""`make run` (scripts/run.py): the banner with the addresses people need, the console and the metrics among them;
the options it starts the Temporal dev server with."""

from __future__ import annotations

import contextlib
import importlib.util
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from tests.live import free_port

ROOT = Path(__file__).resolve().parent.parent


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stepwise_run_script", ROOT / "scripts" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_banner_prints_the_console_and_metrics_urls(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run = load()
    run.print_banner("http://127.0.0.1:8000/api", "http://127.0.0.1:8233", "127.0.0.1:7233", tmp_path,
                     "Admin (created): admin@example.com", run.worker_metrics({}))
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["Console", "http://127.0.0.1:8000/console"] in lines
    assert ["Metrics", "http://127.0.0.1:8000/metrics", "(worker:", "http://127.0.0.1:9464/metrics)"] in lines
    assert run.worker_metrics({"STEPWISE_WORKER_METRICS_PORT": "0"}) is None
    assert run.worker_metrics({"STEPWISE_WORKER_METRICS_HOST": "0.0.0.0", "STEPWISE_WORKER_METRICS_PORT": "9500"}) \
        == "http://127.0.0.1:9500/metrics"


def test_the_dev_server_keeps_its_store_in_wal_mode(tmp_path: Path) -> None:
    """The options `make run` gives the dev server are ones it accepts, and its SQLite store ends up in WAL mode
    (a rollback journal, the default, syncs on every commit)."""
    run = load()
    store, port = tmp_path / "temporal.db", free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "temporal"), "server", "start-dev", "--headless",
                               "--ip", "127.0.0.1", "--port", str(port), "--http-port", str(free_port()),
                               "--db-filename", str(store), "--log-level", "error", *run.TEMPORAL_DEV_OPTIONS],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not run.port_open("127.0.0.1", port):
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else "exited"
            assert time.monotonic() < deadline, "the dev server did not listen within 60 s"
            time.sleep(0.2)
        with contextlib.closing(sqlite3.connect(store)) as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert (tmp_path / "temporal.db-wal").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)
