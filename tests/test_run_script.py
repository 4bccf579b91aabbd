"""`make run`'s banner (scripts/run.py): the addresses people need, the console and the metrics among them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

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
