"""What one request costs in CPU, process by process: the gateway's `/healthz`, small proxied registry GETs and
scoring's single score. Load-independent measures, for guiding work on a busy machine.

Run from the repository root, with PostgreSQL reachable (default: postgres@127.0.0.1:5432, trust):

    .venv/bin/python bench/request_cost.py                # 2,000 sequential requests of each kind
    .venv/bin/python bench/request_cost.py --quick        # 300 of each: a smoke run
    .venv/bin/python bench/request_cost.py --profile      # and a cProfile of each server over each kind
    .venv/bin/python bench/request_cost.py --callgrind    # instructions per request under valgrind (slow)

It creates fresh PostgreSQL databases for the registry and scoring (dropped at the end), registers one partner
and loads a few precomputed scores, and starts the registry, scoring and the gateway as uvicorn subprocesses
with the benches' options (uvloop, httptools, no access log; the gateway's key store on SQLite with a bootstrap
admin key). Then, for each kind of request, after a warm-up, it sends N requests one after another on one
keep-alive connection and reads how much CPU each server process used meanwhile: the on-CPU time of all its
threads from `/proc/<pid>/task/*/schedstat` (nanoseconds, so no tick rounding), less what the process burns
idle, measured for a second before. Work done per second rather than per request (the outbox relay, the score
refresh worker, the sweeps, the gateway's key re-verification and revocation check) is slowed down for the
run. Sequential requests do not queue, so the figure is the work of one request, not of waiting; it varies with
a neighbour's cache pressure and the thread hand-offs a request makes, but far less than latency does.

`--callgrind` runs each server under `valgrind --tool=callgrind` with instrumentation off until the warm-up is
done, then zeroes the counters before each kind and dumps them after it: instructions per request, exact and
independent of the load (valgrind runs a Python process about 50x slower, so use it with `--quick`).

`--profile` runs each server under cProfile (timed by thread CPU time), switched on (SIGUSR1) before each kind
and dumped (SIGUSR2) after it, and prints each server's share of time by package and its costliest functions.
cProfile's own cost inflates call-heavy code; read the shares, not the absolute times. A coroutine counts a
call each time it resumes.

Results are printed and written to bench/results/request_cost.json (or `--output`) with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import http.client
import json
import os
import platform
import pstats
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from _common import FAST_SERVER, ROOT, SECRET, free_port, migrate_gateway, wait_ready

RESULTS = ROOT / "bench" / "results" / "request_cost.json"
ADMIN_KEY = "prm_bench004_" + "c" * 43
SERVERS = ("gateway", "registry", "scoring")
PROFILE_ENV = "PRM_BENCH_PROFILE_PREFIX"


# --- a server under cProfile (this module run as `--serve FACTORY PORT`) ------------------------------------


def serve_profiled(factory: str, port: int) -> None:
    """uvicorn with the benches' options; SIGUSR1 starts a fresh profile, SIGUSR2 stops and writes it."""
    import cProfile

    import uvicorn

    prefix = os.environ[PROFILE_ENV]
    state: dict[str, Any] = {"profile": None, "count": 0}
    # Profilers are kept, not freed: freeing one while another is being enabled fails in CPython 3.11.
    done: list[cProfile.Profile] = []

    def start(_signal: int, _frame: Any) -> None:
        if state["profile"] is not None:
            return
        state["profile"] = cProfile.Profile(time.thread_time)  # CPU time: a busy machine does not inflate it
        state["profile"].enable()

    def stop(_signal: int, _frame: Any) -> None:
        profile = state["profile"]
        if profile is None:
            return
        profile.disable()
        profile.dump_stats(f"{prefix}.{state['count']}.prof")
        state["count"] += 1
        done.append(profile)
        state["profile"] = None

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    uvicorn.run(
        factory,
        factory=True,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


# --- measuring a process --------------------------------------------------------------------------------------


def cpu_ns(pid: int) -> int:
    """On-CPU nanoseconds of every thread of `pid` so far."""
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path, encoding="ascii") as stat:
                total += int(stat.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended meanwhile
    return total


def idle_rate(pids: dict[str, int], seconds: float = 1.0) -> dict[str, float]:
    """CPU nanoseconds per second each process burns without requests (background loops)."""
    before = {name: cpu_ns(pid) for name, pid in pids.items()}
    started = time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - started
    return {name: (cpu_ns(pid) - before[name]) / elapsed for name, pid in pids.items()}


def wait_for_file(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} was not written within {timeout} s")
        time.sleep(0.05)
    time.sleep(0.2)  # written whole


def callgrind_control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args], check=True, capture_output=True)


def callgrind_total(out_dir: Path, pid: int, dump: str) -> int:
    """The instruction total of the dump named `dump` of `pid`."""
    for path in sorted(out_dir.glob(f"callgrind.{pid}.out.*")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if f"Trigger: dump {dump}\n" not in text:
            continue
        found = re.search(r"^totals:\s+(\d+)", text, re.M) or re.search(r"^summary:\s+(\d+)", text, re.M)
        if found:
            return int(found.group(1))
    raise RuntimeError(f"no callgrind dump {dump!r} of process {pid} in {out_dir}")


# --- requests -------------------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection (the standard library's: cheap for this process, and sequential)."""

    def __init__(self, port: int) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            return self._get(path, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # the server closed the idle connection (its keep-alive timeout): once more on a new one
            self._connection.close()
            return self._get(path, headers)

    def _get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        self._connection.request("GET", path, headers=headers)
        response = self._connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self._connection.close()


Kind = tuple[str, str, list[str], tuple[str, ...]]  # name, description, paths, servers that work on it


def run_kind(
    client: Client,
    paths: list[str],
    *,
    count: int,
    warmup: int,
    headers: dict[str, str],
) -> tuple[int, float]:
    """Warm up, then send `count` GETs (cycling through `paths`); errors and seconds taken."""
    for index in range(warmup):
        client.get(paths[index % len(paths)], headers)
    errors = 0
    started = time.perf_counter()
    for index in range(count):
        status, _ = client.get(paths[index % len(paths)], headers)
        errors += status != 200
    return errors, time.perf_counter() - started


# --- profiles -------------------------------------------------------------------------------------------------

_GROUPS = (
    ("prm_kit", "prm_kit"),
    ("gateway/", "gateway"),
    ("partner_registry", "registry code"),
    ("scoring/", "scoring code"),
    ("prm_contracts", "prm_contracts"),
    ("fastapi", "fastapi"),
    ("starlette", "starlette"),
    ("pydantic", "pydantic"),
    ("uvicorn", "uvicorn"),
    ("sqlalchemy", "sqlalchemy"),
    ("asyncpg", "asyncpg"),
    ("aiosqlite", "aiosqlite"),
    ("aiohttp", "aiohttp"),
    ("multidict", "aiohttp"),
    ("yarl", "aiohttp"),
    ("structlog", "structlog"),
    ("prometheus_client", "prometheus_client"),
    ("jwt", "pyjwt"),
    ("asyncio", "asyncio"),
    ("contextlib", "contextlib"),
)


def _group(filename: str, function: str) -> str:
    for needle, name in _GROUPS:
        if needle in filename:
            return name
    if filename == "~":  # a C function, "<method 'send' of '_socket.socket' objects>": "C send"
        quoted = re.search(r"'([^']+)'", function)
        return f"C {quoted.group(1) if quoted else function.strip('<>')}"
    return "other python"


def profile_summary(path: str, count: int, top: int) -> dict[str, Any]:
    stats = pstats.Stats(path)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    by_group: dict[str, float] = defaultdict(float)
    rows = []
    total = 0.0
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in raw.items():
        by_group[_group(filename, function)] += tottime
        total += tottime
        short = re.sub(r"^.*/(site-packages|src)/", "", filename)
        rows.append((tottime, cumtime, calls, f"{short}:{line}({function})"))
    rows.sort(reverse=True)
    return {
        "profiled_us_per_request": round(total / count * 1e6, 1),
        "share_by_package": {
            name: round(seconds / total, 3)
            for name, seconds in sorted(by_group.items(), key=lambda item: -item[1])
            if seconds / total >= 0.005
        },
        "top_functions": [
            {
                "function": name,
                "tottime_us": round(tottime / count * 1e6, 2),
                "cumtime_us": round(cumtime / count * 1e6, 2),
                "calls": round(calls / count, 2),
            }
            for tottime, cumtime, calls, name in rows[:top]
        ],
    }


# --- the run --------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--serve", nargs=2, metavar=("FACTORY", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="300 requests of each kind")
    parser.add_argument("--requests", type=int, default=2_000, help="per kind")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--profile", action="store_true", help="cProfile each server over each kind")
    mode.add_argument("--callgrind", action="store_true", help="count instructions under valgrind")
    parser.add_argument("--top", type=int, default=25, help="functions listed per profile")
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help=f"where the JSON goes (default {RESULTS})"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "PRM_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
        help="any database on the server; the bench creates and drops its own next to it",
    )
    args = parser.parse_args()
    if args.serve:
        serve_profiled(args.serve[0], int(args.serve[1]))
        return 0
    count = 300 if args.quick else args.requests
    if args.callgrind:
        count = min(count, 200)
    warmup = max(30, count // 10)

    from partner_registry.main import MIGRATIONS_DIR as REGISTRY_MIGRATIONS
    from prm_kit.db.engine import make_engine
    from prm_kit.migrations import ensure_database, upgrade
    from prm_kit.testing import drop_database
    from scoring.main import MIGRATIONS_DIR as SCORING_MIGRATIONS
    from scoring_bench import load as load_scores
    from sqlalchemy import make_url

    rng = random.Random(20261201)
    suffix = uuid.uuid4().hex[:8]
    base = make_url(args.postgres_url).set(drivername="postgresql+asyncpg")
    urls = {
        "registry": base.set(database=f"prm_bench_cost_registry_{suffix}").render_as_string(
            hide_password=False
        ),
        "scoring": base.set(database=f"prm_bench_cost_scoring_{suffix}").render_as_string(
            hide_password=False
        ),
    }
    work = Path(tempfile.mkdtemp(prefix="prm-request-cost-"))
    processes: dict[str, subprocess.Popen[bytes]] = {}
    pids: dict[str, int] = {}
    result: dict[str, Any] = {}
    try:

        async def prepare() -> list[uuid.UUID]:
            for name, migrations in (("registry", REGISTRY_MIGRATIONS), ("scoring", SCORING_MIGRATIONS)):
                await ensure_database(urls[name])
                engine = make_engine(urls[name])
                try:
                    await upgrade(engine, migrations)
                finally:
                    await engine.dispose()
            dsn = make_url(urls["scoring"]).set(drivername="postgresql").render_as_string(hide_password=False)
            return await load_scores(dsn, 100, rng)

        score_ids = asyncio.run(prepare())
        gateway_db = f"sqlite+aiosqlite:///{work / 'gateway.db'}"
        migrate_gateway(gateway_db)
        ports = {name: free_port() for name in SERVERS}
        environment = {
            **os.environ,
            "PRM_INTERNAL_SECRET": SECRET,
            "PRM_DATA_DIR": str(work),
            "PRM_ACCESS_LOG": "false",
            "PRM_LOG_LEVEL": "WARNING",
            # Work done per second, not per request, slowed down so it does not count as the requests' (under
            # valgrind a request takes about a second): the outbox relay, the score refresh worker, the
            # sweeps, and the gateway's key re-verification and revocation check.
            "PRM_OUTBOX_POLL_SECONDS": "60",
            "PRM_SCORE_REFRESH_SECONDS": "0",
            "PRM_DEAL_EXPIRY_SWEEP_SECONDS": "0",
            "PRM_AGREEMENT_EXPIRY_SWEEP_SECONDS": "0",
            "PRM_KEY_CACHE_TTL_SECONDS": "60",
            "PRM_KEY_REVOCATION_CHECK_SECONDS": "60",
        }
        per_server = {
            "registry": ("partner_registry.main:create_app", {"PRM_REGISTRY_DATABASE_URL": urls["registry"]}),
            "scoring": ("scoring.main:create_app", {"PRM_SCORING_DATABASE_URL": urls["scoring"]}),
            "gateway": (
                "gateway.main:create_app",
                {
                    "PRM_GATEWAY_DATABASE_URL": gateway_db,
                    "PRM_REGISTRY_URL": f"http://127.0.0.1:{ports['registry']}",
                    "PRM_SCORING_URL": f"http://127.0.0.1:{ports['scoring']}",
                    "PRM_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
                    "PRM_RATE_LIMIT_PER_SECOND": "100000",
                    "PRM_RATE_LIMIT_BURST": "1000000",
                },
            ),
        }
        for name in ("registry", "scoring", "gateway"):
            factory, extra = per_server[name]
            env = {**environment, **extra}
            if args.profile:
                env[PROFILE_ENV] = str(work / name)
                command = [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--serve",
                    factory,
                    str(ports[name]),
                ]
            else:
                command = [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1"]
                command += ["--port", str(ports[name]), *FAST_SERVER]
                if args.callgrind:
                    command = [
                        "valgrind",
                        "--tool=callgrind",
                        "--instr-atstart=no",
                        f"--callgrind-out-file={work}/callgrind.%p.out",
                        *command,
                    ]
            processes[name] = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
            pids[name] = processes[name].pid
        ready_timeout = 900.0 if args.callgrind else 60.0
        for name in ("registry", "scoring", "gateway"):
            wait_ready(f"http://127.0.0.1:{ports[name]}/healthz", processes[name], timeout=ready_timeout)

        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        setup = http.client.HTTPConnection("127.0.0.1", ports["gateway"], timeout=120)
        body = {
            "legal_name": "Acme Networks GmbH",
            "display_name": "Acme Networks",
            "partner_type": "reseller",
            "country": "DE",
            "region": "DACH",
            "registration_number": "HRB 4711",
        }
        setup.request(
            "POST",
            "/v1/partners",
            body=json.dumps(body),
            headers={**admin, "Content-Type": "application/json"},
        )
        answer = setup.getresponse()
        created = json.loads(answer.read())
        if answer.status != 201:
            raise RuntimeError(f"registering the partner answered {answer.status}: {created}")
        setup.close()
        partner_id = created["id"]

        kinds: list[Kind] = [
            ("gateway /healthz", "the gateway's own endpoint: the floor", ["/healthz"], ("gateway",)),
            (
                "registry GET /v1/partners/{id}",
                "a small proxied GET",
                [f"/v1/partners/{partner_id}"],
                ("gateway", "registry"),
            ),
            (
                "registry GET /v1/partners?limit=1",
                "a one-item list",
                ["/v1/partners?limit=1"],
                ("gateway", "registry"),
            ),
            (
                "scoring GET /v1/scores/partners/{id}",
                "a single score",
                [f"/v1/scores/partners/{score_id}" for score_id in score_ids],
                ("gateway", "scoring"),
            ),
        ]
        client = Client(ports["gateway"])
        # one warm-up of everything first: the first requests of a process compile, import and fill caches
        for _name, _description, paths, _servers in kinds:
            run_kind(client, paths, count=0, warmup=warmup, headers=admin)
        if args.callgrind:
            for name in SERVERS:
                callgrind_control("-i", "on", str(pids[name]))
            for _name, _description, paths, _servers in kinds:  # re-warm now that instrumentation is on
                run_kind(client, paths, count=0, warmup=10, headers=admin)
        load_before = os.getloadavg()
        idle = {} if args.callgrind else idle_rate(pids)
        measured: dict[str, Any] = {}
        dumps = {server: 0 for server in SERVERS}
        for number, (name, description, paths, servers) in enumerate(kinds):
            if args.callgrind:
                for server in SERVERS:
                    callgrind_control("-z", str(pids[server]))
            if args.profile:
                for server in servers:
                    os.kill(pids[server], signal.SIGUSR1)
            before = {server: cpu_ns(pid) for server, pid in pids.items()}
            errors, seconds = run_kind(client, paths, count=count, warmup=0, headers=admin)
            after = {server: cpu_ns(pid) for server, pid in pids.items()}
            if args.profile:
                for server in servers:
                    os.kill(pids[server], signal.SIGUSR2)
                for server in servers:  # written before the next kind's SIGUSR1 may be sent
                    wait_for_file(Path(f"{work / server}.{dumps[server]}.prof"))
                    dumps[server] += 1
            figures: dict[str, Any] = {
                "description": description,
                "requests": count,
                "errors": errors,
                "cpu_us_per_request": {
                    server: round(
                        max(0.0, after[server] - before[server] - idle.get(server, 0.0) * seconds)
                        / count
                        / 1000,
                        1,
                    )
                    for server in servers
                },
            }
            figures["cpu_us_per_request"]["total"] = round(sum(figures["cpu_us_per_request"].values()), 1)
            if args.callgrind:
                dump = f"kind{number}"
                for server in SERVERS:
                    callgrind_control(f"--dump={dump}", str(pids[server]))
                time.sleep(1.0)
                figures["instructions_per_request"] = {
                    server: round(callgrind_total(work, pids[server], dump) / count) for server in servers
                }
                figures["instructions_per_request"]["total"] = sum(
                    figures["instructions_per_request"].values()
                )
            measured[name] = figures
        client.close()
        if args.profile:
            profiles: dict[str, dict[str, Any]] = {}
            dumps = {server: 0 for server in SERVERS}
            for name, _description, _paths, servers in kinds:
                profiles[name] = {}
                for server in servers:
                    path = f"{work / server}.{dumps[server]}.prof"
                    dumps[server] += 1
                    profiles[name][server] = profile_summary(path, count, args.top)
            result["profiles"] = profiles
        result = {
            "requests_per_kind": count,
            "mode": "callgrind" if args.callgrind else "profile" if args.profile else "cpu",
            "idle_cpu_us_per_second": {name: round(rate / 1000, 1) for name, rate in idle.items()},
            "measurements": measured,
            **result,
            "load_average": [round(value, 2) for value in load_before],
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
        }
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=120 if args.callgrind else 20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(work, ignore_errors=True)

        async def drop() -> None:
            for url in urls.values():
                await drop_database(url)

        asyncio.run(drop())

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{count:,} sequential requests per kind; load average {result['load_average']}")
    unit = "instructions" if args.callgrind else "CPU µs"
    print(f"{'':40}" + "".join(f"{name:>12}" for name in (*SERVERS, "total")) + f"   ({unit} per request)")
    for name, figures in result["measurements"].items():
        values = figures["instructions_per_request"] if args.callgrind else figures["cpu_us_per_request"]
        cells = "".join(
            f"{values[server]:>12,}" if server in values else f"{'':>12}" for server in (*SERVERS, "total")
        )
        print(f"{name:40}{cells}" + (f"   errors {figures['errors']}" if figures["errors"] else ""))
    for name, by_server in result.get("profiles", {}).items():
        for server, summary in by_server.items():
            print(
                f"\n== {name}: {server} (cProfile, {summary['profiled_us_per_request']} µs per request profiled)"
            )
            print(
                "   "
                + ", ".join(f"{group} {share:.0%}" for group, share in summary["share_by_package"].items())
            )
            for row in summary["top_functions"]:
                print(
                    f"   {row['tottime_us']:>8.1f} {row['cumtime_us']:>9.1f} {row['calls']:>7}  {row['function']}"
                )
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
