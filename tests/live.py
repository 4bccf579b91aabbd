"""A running API for tests that need one over a real socket (the CLI, the browser): `uvicorn` in a child
process on the test database, talking to the test run's Temporal server and engine worker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def live_server(*, temporal_address: str, task_queue: str) -> AsyncIterator[str]:
    """Serve the app until the block ends; yields its base URL (`http://127.0.0.1:<port>`)."""
    port = free_port()
    env = {**os.environ, "STEPWISE_TEMPORAL_ADDRESS": temporal_address, "STEPWISE_TEMPORAL_TASK_QUEUE": task_queue}
    log_path = Path(env["STEPWISE_DATA_DIR"]) / f"live-{port}.log"
    log = open(log_path, "wb")  # noqa: ASYNC230 - once per test session, closed below
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1", "--port",
        str(port), "--log-level", "warning", cwd=str(ROOT), env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                if process.returncode is not None:
                    raise RuntimeError(f"the API exited; its log is {log_path}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"{url}/api/docs/openapi.json", timeout=2)).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the API did not start within 30 s")
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()
