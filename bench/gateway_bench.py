"""What the gateway costs: one small JSON GET measured direct and through the gateway, in the same run.

Run from the repository root:

    .venv/bin/python bench/gateway_bench.py                 # 3 rounds of 10 s each side, 16 connections
    .venv/bin/python bench/gateway_bench.py --duration 20 --rounds 5 --access-log

It starts, as subprocesses on free ports (uvicorn with uvloop and httptools, no access log):
- a tiny upstream built with prm_kit's `create_service_app`, so it pays a real service's middleware
  (request id, metrics, internal-credential check, problem handlers), serving `GET /v1/partners/bench`;
- the gateway, with API-key authentication and rate limiting on (limit far above the offered load),
  its key store on a fresh SQLite file and a bootstrap admin key.

Load comes from `wrk` when installed (`apt-get install -y wrk`), one thread and 16 connections,
otherwise from a Python asyncio load generator (which then says so: it needs CPU itself, so its
figures are lower and noisier). Each round measures direct, then through the gateway, for the same
duration (rounds alternate, so a neighbour's burst of CPU use hurts both sides alike); the figures
reported are the rounds' medians. A short run at one connection shows the latency one pass through
the gateway adds without queueing. Results are printed and written to bench/results/gateway.json.

With 16 connections both servers are saturated, so the median latency is mostly queueing
(p50 ≈ connections / throughput): the added-p50 goal is then in effect a throughput goal (about 75%
of direct at 5,000 req/s), which is why the one-connection figure is reported as well.

Goal on the 2-core reference machine: through-gateway throughput at least 45% of direct, and at most
1 ms added to the median latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import ROOT, SECRET, free_port, migrate_gateway, percentile, uvicorn_command, wait_ready

RESULTS = ROOT / "bench" / "results" / "gateway.json"
PATH = "/v1/partners/bench"
ADMIN_KEY = "prm_bench001_" + "b" * 43
GOAL_RATIO = 0.45
GOAL_ADDED_P50_MS = 1.0


# --- the upstream service (imported by its uvicorn subprocess through `upstream_app`) -------------------


def upstream_app() -> Any:
    """A minimal PRM service: the kit's full middleware stack and one JSON GET."""
    from typing import ClassVar

    from fastapi import APIRouter
    from prm_kit.app import create_service_app
    from prm_kit.settings import BaseServiceSettings
    from pydantic import BaseModel
    from scoring.main import MIGRATIONS_DIR

    class BenchSettings(BaseServiceSettings):
        service_name: ClassVar[str] = "benchupstream"

    class PartnerSummary(BaseModel):
        id: str
        name: str
        tier: str
        status: str

    router = APIRouter()
    answer = PartnerSummary(
        id="6f1c1b1e-2d2b-4c59-9d35-0c2f1f0b9a11", name="Acme GmbH", tier="gold", status="active"
    )

    @router.get(PATH, response_model=PartnerSummary)
    async def bench_partner() -> PartnerSummary:
        return answer

    return create_service_app(
        BenchSettings(),
        title="bench upstream",
        description="",
        routers=[router],
        migrations_dir=MIGRATIONS_DIR,
    )


# --- processes ------------------------------------------------------------------------------------------


# --- load -----------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int = 0
    # CPU time (user + system) each server process spent per request: robust to a busy machine,
    # where throughput and latency are not.
    cpu_us_per_request: dict[str, float] = field(default_factory=dict)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not found:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def run_wrk(url: str, headers: dict[str, str], *, connections: int, seconds: float) -> Measurement:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(failed.group(1)) if failed else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    return Measurement(rps, p50, p99, errors, requests)


def run_python_load(url: str, headers: dict[str, str], *, connections: int, seconds: float) -> Measurement:
    """The fallback: `connections` keep-alive clients in one asyncio loop, as fast as they can."""
    import aiohttp

    async def run() -> Measurement:
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds

        async def worker(session: aiohttp.ClientSession) -> None:
            nonlocal errors
            while (started := time.perf_counter()) < deadline:
                async with session.get(url, headers=headers) as answer:
                    await answer.read()
                    if answer.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=connector) as session:
            began = time.perf_counter()
            await asyncio.gather(*(worker(session) for _ in range(connections)))
            elapsed = time.perf_counter() - began
        return Measurement(
            requests_per_second=len(latencies) / elapsed,
            p50_ms=percentile(latencies, 0.5) * 1000,
            p99_ms=percentile(latencies, 0.99) * 1000,
            errors=errors,
            requests=len(latencies),
        )

    return asyncio.run(run())


def with_cpu(
    load: Any, servers: dict[str, int], url: str, headers: dict[str, str], *, connections: int, seconds: float
) -> Measurement:
    """`load(...)`, plus the CPU time each server process (name -> pid) spent per request meanwhile."""
    import psutil

    processes = {name: psutil.Process(pid) for name, pid in servers.items()}
    before = {name: sum(process.cpu_times()[:2]) for name, process in processes.items()}
    measurement: Measurement = load(url, headers, connections=connections, seconds=seconds)
    spent = {name: sum(process.cpu_times()[:2]) - before[name] for name, process in processes.items()}
    measurement.cpu_us_per_request = {
        name: round(seconds_spent / max(1, measurement.requests) * 1e6, 1)
        for name, seconds_spent in spent.items()
    }
    return measurement


# --- the run --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="direct+gateway pairs; medians are reported")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of unmeasured load on each first")
    parser.add_argument("--access-log", action="store_true", help="measure with the gateway's access log on")
    parser.add_argument(
        "--python-load", action="store_true", help="use the Python load generator even if wrk exists"
    )
    args = parser.parse_args()

    from prm_contracts.principal import Principal
    from prm_kit.internal_auth import sign_principal

    load_average_before = os.getloadavg()[0]
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    tool = "wrk" if use_wrk else "python-asyncio"
    if not use_wrk:
        print(
            "wrk not found (apt-get install -y wrk): using the Python load generator; figures are lower and noisier."
        )
    load = run_wrk if use_wrk else run_python_load

    work = Path(tempfile.mkdtemp(prefix="prm-gateway-bench-"))
    upstream_port, gateway_port = free_port(), free_port()
    upstream_url = f"http://127.0.0.1:{upstream_port}"
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    gateway_db = f"sqlite+aiosqlite:///{work / 'gateway.db'}"
    environment = {
        **os.environ,
        "PRM_INTERNAL_SECRET": SECRET,
        "PRM_DATA_DIR": str(work),
        "PRM_ACCESS_LOG": "false",
        "PRM_LOG_LEVEL": "WARNING",
        "PRM_DATABASE_URL": f"sqlite+aiosqlite:///{work}/{{service}}.db",
    }
    gateway_environment = {
        **environment,
        "PRM_GATEWAY_DATABASE_URL": gateway_db,
        "PRM_REGISTRY_URL": upstream_url,
        "PRM_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "PRM_RATE_LIMIT_PER_SECOND": "100000",
        "PRM_RATE_LIMIT_BURST": "1000000",
        "PRM_ACCESS_LOG": "true" if args.access_log else "false",
        # access lines are INFO: with the log on, the level must let them through
        "PRM_LOG_LEVEL": "INFO" if args.access_log else "WARNING",
    }
    migrate_gateway(gateway_db)
    # the servers' output goes to files (with the access log on, the gateway writes a line per request)
    upstream_log = (work / "upstream.log").open("wb")
    gateway_log = (work / "gateway.log").open("wb")
    processes = [
        subprocess.Popen(
            uvicorn_command("gateway_bench:upstream_app", upstream_port, app_dir=ROOT / "bench"),
            env=environment,
            cwd=ROOT,
            stdout=upstream_log,
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            uvicorn_command("gateway.main:create_app", gateway_port),
            env=gateway_environment,
            cwd=ROOT,
            stdout=gateway_log,
            stderr=subprocess.STDOUT,
        ),
    ]
    try:
        wait_ready(f"{upstream_url}/healthz", processes[0], timeout=120.0, poll=0.1)
        wait_ready(f"{gateway_url}/healthz", processes[1], timeout=120.0, poll=0.1)
        principal = Principal(subject="key:bench", scopes=frozenset({"admin"}))
        direct_headers = {"x-prm-principal": sign_principal(principal, SECRET, ttl_seconds=24 * 3600)}
        gateway_headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        for url, headers in ((upstream_url, direct_headers), (gateway_url, gateway_headers)):
            check = httpx.get(url + PATH, headers=headers, timeout=5.0)
            if check.status_code != 200:
                raise RuntimeError(f"{url}{PATH} answered {check.status_code}: {check.text}")

        for url, headers in ((upstream_url, direct_headers), (gateway_url, gateway_headers)):
            load(url + PATH, headers, connections=args.connections, seconds=args.warmup)
        # One connection: no queueing, so the difference is what one pass through the gateway adds.
        single_direct = load(upstream_url + PATH, direct_headers, connections=1, seconds=args.warmup)
        single_gateway = load(gateway_url + PATH, gateway_headers, connections=1, seconds=args.warmup)
        servers = {"upstream": processes[0].pid, "gateway": processes[1].pid}
        direct_runs: list[Measurement] = []
        gateway_runs: list[Measurement] = []
        for round_number in range(1, args.rounds + 1):
            direct_runs.append(
                with_cpu(
                    load,
                    servers,
                    upstream_url + PATH,
                    direct_headers,
                    connections=args.connections,
                    seconds=args.duration,
                )
            )
            gateway_runs.append(
                with_cpu(
                    load,
                    servers,
                    gateway_url + PATH,
                    gateway_headers,
                    connections=args.connections,
                    seconds=args.duration,
                )
            )
            if args.rounds > 1:
                print(f"round {round_number}: direct {direct_runs[-1]}, gateway {gateway_runs[-1]}")
    except Exception:
        for name in ("upstream.log", "gateway.log"):
            print(f"--- last lines of {name}:\n" + "\n".join(_tail(work / name)))
        raise
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        upstream_log.close()
        gateway_log.close()
        shutil.rmtree(work, ignore_errors=True)

    direct = _median(direct_runs)
    through = _median(gateway_runs)
    ratio = through.requests_per_second / direct.requests_per_second
    added_p50 = through.p50_ms - direct.p50_ms
    met = ratio >= GOAL_RATIO and added_p50 <= GOAL_ADDED_P50_MS
    result = {
        "tool": tool,
        "connections": args.connections,
        "duration_seconds": args.duration,
        "rounds": args.rounds,
        "request": f"GET {PATH} (small JSON)",
        "gateway_access_log": args.access_log,
        "direct": asdict(direct),
        "gateway": asdict(through),
        "throughput_ratio": round(ratio, 3),
        "added_p50_ms": round(added_p50, 3),
        "one_connection": {
            "direct": asdict(single_direct),
            "gateway": asdict(single_gateway),
            "added_p50_ms": round(single_gateway.p50_ms - single_direct.p50_ms, 3),
        },
        "goal": {"throughput_ratio_at_least": GOAL_RATIO, "added_p50_ms_at_most": GOAL_ADDED_P50_MS},
        "goal_met": met,
        "machine": {
            # other work on the machine shows here: throughput and latency suffer from it, CPU per request less
            "load_average_1min": {
                "before": round(load_average_before, 2),
                "after": round(os.getloadavg()[0], 2),
            },
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(
        f"load: {tool}, {args.connections} connections, {args.duration:g} s each, {args.rounds} round(s); "
        f"machine load average {load_average_before:.2f} before"
    )
    print(f"{'':10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}   CPU µs per request")
    for name, figures in (("direct", direct), ("gateway", through)):
        cpu = ", ".join(f"{server} {value:.0f}" for server, value in figures.cpu_us_per_request.items())
        print(
            f"{name:10}{figures.requests_per_second:>10.0f}{figures.p50_ms:>10.2f}"
            f"{figures.p99_ms:>10.2f}{figures.errors:>8}   {cpu}"
        )
    print(
        f"throughput ratio {ratio:.1%} (goal ≥ {GOAL_RATIO:.0%}); added p50 {added_p50:.2f} ms (goal ≤ {GOAL_ADDED_P50_MS:g} ms)"
    )
    print(
        f"at 1 connection (no queueing): p50 direct {single_direct.p50_ms:.2f} ms, "
        f"gateway {single_gateway.p50_ms:.2f} ms, added {single_gateway.p50_ms - single_direct.p50_ms:.2f} ms"
    )
    print(f"goal {'met' if met else 'NOT met'}; written to {RESULTS.relative_to(ROOT)}")
    return 0


def _tail(path: Path, lines: int = 20) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:] if path.exists() else []


def _median(runs: list[Measurement]) -> Measurement:
    names = runs[0].cpu_us_per_request.keys()
    return Measurement(
        requests_per_second=round(statistics.median(r.requests_per_second for r in runs), 1),
        p50_ms=round(statistics.median(r.p50_ms for r in runs), 3),
        p99_ms=round(statistics.median(r.p99_ms for r in runs), 3),
        errors=sum(r.errors for r in runs),
        requests=sum(r.requests for r in runs),
        cpu_us_per_request={
            name: round(statistics.median(r.cpu_us_per_request[name] for r in runs), 1) for name in names
        },
    )


if __name__ == "__main__":
    sys.exit(main())
