"""The gateway under overload: many concurrent callers of one list, with load shedding off and on, in one run.

Run from the repository root:

    .venv/bin/python bench/overload_bench.py                      # 200 clients, 20 s per mode
    .venv/bin/python bench/overload_bench.py --duration 10 --max-in-flight 16

It starts, as subprocesses on free ports:
- a stand-in service with a fixed capacity: `--workers` requests served at once, each taking `--service-ms`
  (default 4 x 100 ms: 40 answers a second, about what the registry's partner list managed when the
  overload was observed), the rest waiting their turn inside it, as in a saturated real service;
- the gateway, through its launcher (`python -m gateway.serve`), on a fresh SQLite key store, with rate
  limits far above the offered load, once with shedding off (`PRM_UPSTREAM_MAX_IN_FLIGHT=0`) and once
  with it on (the default bound, or `--max-in-flight`).

`--clients` callers (default 200) each ask `GET /v1/partners` in a loop for `--duration` seconds; a caller
answered 503 waits what its Retry-After says before asking again, as a well-behaved client does. Reported
per mode: answers, the error rate (every answer other than 200, and client-side failures), latency p50 /
p99 / max over all answers and over the 200s alone, and the share of fast 503s (under 1 s). Printed, and
written to bench/results/overload.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _common import FAST_SERVER, ROOT, SECRET, free_port, migrate_gateway, percentile, stop, wait_ready

RESULTS = ROOT / "bench" / "results" / "overload.json"
PATH = "/v1/partners"
ADMIN_KEY = "prm_overload_" + "o" * 43
FAST_SECONDS = 1.0
CLIENT_TIMEOUT_SECONDS = 60.0


# --- the stand-in service (imported by its uvicorn subprocess through `upstream_app`) --------------------


def upstream_app() -> Any:
    """A service of fixed capacity: OVERLOAD_WORKERS answers at once, each OVERLOAD_SERVICE_MS long."""
    workers = asyncio.Semaphore(int(os.environ["OVERLOAD_WORKERS"]))
    service_seconds = float(os.environ["OVERLOAD_SERVICE_MS"]) / 1000
    page = json.dumps(
        {"items": [{"id": n, "name": f"Partner {n}"} for n in range(20)], "next": None}
    ).encode()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] != "/readyz":
            async with workers:
                await asyncio.sleep(service_seconds)
        body = page if scope["path"] != "/readyz" else b'{"status": "ready"}'
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


# --- processes ------------------------------------------------------------------------------------------


def start_upstream(port: int, workers: int, service_ms: float) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "overload_bench:upstream_app", "--factory"]
    command += ["--app-dir", str(ROOT / "bench"), "--host", "127.0.0.1", "--port", str(port)]
    command += ["--no-access-log", "--log-level", "warning", "--backlog", "4096"]
    environment = os.environ | {"OVERLOAD_WORKERS": str(workers), "OVERLOAD_SERVICE_MS": str(service_ms)}
    return subprocess.Popen(command, env=environment, start_new_session=True)


def start_gateway(
    port: int, upstream_url: str, folder: Path, max_in_flight: int | None
) -> subprocess.Popen[bytes]:
    database_url = f"sqlite+aiosqlite:///{folder / 'gateway.db'}"
    migrate_gateway(database_url)
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PRM_")} | {
        "PRM_INTERNAL_SECRET": SECRET,
        "PRM_GATEWAY_DATABASE_URL": database_url,
        "PRM_DATA_DIR": str(folder),
        "PRM_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "PRM_OPENAPI_DOCUMENT": str(ROOT / "openapi" / "prm.json"),
        "PRM_ACCESS_LOG": "false",
        "PRM_LOG_LEVEL": "WARNING",
        "PRM_RATE_LIMIT_PER_SECOND": "100000",
        "PRM_RATE_LIMIT_BURST": "1000000",
        **{f"PRM_{name}_URL": upstream_url for name in ("REGISTRY", "SCORING", "INCENTIVES", "ANALYTICS")},
    }
    if max_in_flight is not None:
        environment["PRM_UPSTREAM_MAX_IN_FLIGHT"] = str(max_in_flight)
    command = [sys.executable, "-m", "gateway.serve", "--host", "127.0.0.1", "--port", str(port)]
    command += FAST_SERVER
    return subprocess.Popen(command, env=environment, start_new_session=True)


# --- load -----------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    mode: str
    max_in_flight: int
    answers: int
    served_per_second: float
    error_rate: float  # every answer other than 200, and client-side failures, over all attempts
    fast_503_share: float  # 503s within FAST_SECONDS, over all attempts
    statuses: dict[str, int]
    p50_ms: float
    p99_ms: float
    max_ms: float
    served_p50_ms: float
    served_p99_ms: float


async def _load(url: str, clients: int, seconds: float) -> tuple[list[tuple[str, float]], float]:
    import aiohttp

    answers: list[tuple[str, float]] = []
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}

    async def caller(session: aiohttp.ClientSession, until: float) -> None:
        while time.monotonic() < until:
            started = time.monotonic()
            retry_after = 0.0
            try:
                async with session.get(url + PATH, headers=headers) as answer:
                    await answer.read()
                    status = str(answer.status)
                    if answer.status == 503:
                        retry_after = float(answer.headers.get("retry-after", "1"))
            except (aiohttp.ClientError, TimeoutError) as exc:
                status = type(exc).__name__
            answers.append((status, time.monotonic() - started))
            if retry_after:
                await asyncio.sleep(retry_after)

    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        began = time.monotonic()
        await asyncio.gather(*(caller(session, began + seconds) for _ in range(clients)))
        return answers, time.monotonic() - began


def _ms(seconds: list[float], share: float) -> float:
    return round(percentile(seconds, share) * 1000, 1)


def measure(mode: str, max_in_flight: int, url: str, clients: int, seconds: float) -> Outcome:
    answers, elapsed = asyncio.run(_load(url, clients, seconds))
    statuses: dict[str, int] = {}
    for status, _took in answers:
        statuses[status] = statuses.get(status, 0) + 1
    latencies = [took for _status, took in answers]
    served = [took for status, took in answers if status == "200"]
    fast_503 = sum(1 for status, took in answers if status == "503" and took < FAST_SECONDS)
    total = max(1, len(answers))
    return Outcome(
        mode=mode,
        max_in_flight=max_in_flight,
        answers=len(answers),
        served_per_second=round(len(served) / elapsed, 1),
        error_rate=round((len(answers) - len(served)) / total, 4),
        fast_503_share=round(fast_503 / total, 4),
        statuses=dict(sorted(statuses.items())),
        p50_ms=_ms(latencies, 0.5),
        p99_ms=_ms(latencies, 0.99),
        max_ms=_ms(latencies, 1.0),
        served_p50_ms=_ms(served, 0.5),
        served_p99_ms=_ms(served, 0.99),
    )


def main() -> int:
    from gateway.config import Settings

    default_bound: int = Settings.model_fields["upstream_max_in_flight"].default
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load per mode")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4, help="the stand-in's requests served at once")
    parser.add_argument("--service-ms", type=float, default=100.0, help="the stand-in's time per request")
    parser.add_argument("--max-in-flight", type=int, default=default_bound, help="the bound with shedding on")
    options = parser.parse_args()

    upstream_port, gateway_port = free_port(), free_port()
    upstream_url = f"http://127.0.0.1:{upstream_port}"
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    upstream = start_upstream(upstream_port, options.workers, options.service_ms)
    outcomes: list[Outcome] = []
    try:
        wait_ready(f"{upstream_url}/readyz", upstream, timeout=90.0)
        for mode, bound in (("shedding off", 0), ("shedding on", options.max_in_flight)):
            with tempfile.TemporaryDirectory(prefix="overload-bench-") as folder:
                gateway = start_gateway(gateway_port, upstream_url, Path(folder), bound)
                try:
                    wait_ready(f"{gateway_url}/healthz", gateway, timeout=90.0)
                    print(f"{mode}: {options.clients} clients for {options.duration:g} s ...", flush=True)
                    outcomes.append(measure(mode, bound, gateway_url, options.clients, options.duration))
                finally:
                    stop(gateway)
    finally:
        stop(upstream)

    capacity = options.workers / (options.service_ms / 1000)
    print(f"\nstand-in capacity {capacity:g} answers/s ({options.workers} x {options.service_ms:g} ms)")
    print(
        f"{'':14}{'answers':>8}{'200/s':>8}{'errors':>8}{'fast 503':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'200 p50':>9}{'200 p99':>9}  statuses"
    )
    for outcome in outcomes:
        print(
            f"{outcome.mode:14}{outcome.answers:>8}{outcome.served_per_second:>8}"
            f"{outcome.error_rate:>8.1%}{outcome.fast_503_share:>9.1%}{outcome.p50_ms:>9}{outcome.p99_ms:>9}"
            f"{outcome.max_ms:>9}{outcome.served_p50_ms:>9}{outcome.served_p99_ms:>9}  {outcome.statuses}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "system": platform.platform(),
        },
        "clients": options.clients,
        "duration_seconds": options.duration,
        "stand_in": {"workers": options.workers, "service_ms": options.service_ms},
        "outcomes": [asdict(outcome) for outcome in outcomes],
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
