"""What the benches share: starting servers on free ports, waiting for them, migrating the gateway's database,
stopping process groups, and the nearest-rank percentile of latencies."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-internal-secret-0123456789abcdef-0123"  # noqa: S105 - a throwaway secret for the bench only
FAST_SERVER = ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def uvicorn_command(factory: str, port: int, *, app_dir: Path | None = None, workers: int = 1) -> list[str]:
    """uvicorn serving `factory` on the loopback `port` (in `workers` processes), with the fast loop and
    parser and no access log."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    command += FAST_SERVER
    if workers != 1:
        command += ["--workers", str(workers)]
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    return command


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0, poll: float = 0.2) -> None:
    """Until `url` answers 200; an error when the process exits first or `timeout` runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode} before it was ready")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(poll)
    raise RuntimeError(f"{url} was not ready within {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group (started with `start_new_session=True`), SIGKILL after 30 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def migrate_gateway(database_url: str) -> None:
    """The gateway's database created if missing and migrated to head."""
    from gateway.main import MIGRATIONS_DIR
    from prm_kit.db.engine import make_engine
    from prm_kit.migrations import ensure_database, upgrade

    async def run() -> None:
        await ensure_database(database_url)
        engine = make_engine(database_url)
        try:
            await upgrade(engine, MIGRATIONS_DIR)
        finally:
            await engine.dispose()

    asyncio.run(run())


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.5 is the median's upper neighbour, 1.0 the maximum); NaN of
    nothing."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]
